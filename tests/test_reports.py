"""Monthly reports and year-end summaries: the numbers inside the Word and Excel files
(read back with python-docx and openpyxl), in Chinese and English, scoping, and the
`python -m portal report` command."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.engine import transaction
from portal import formatting
from portal.cli import main
from portal.errors import NotFound
from portal.org.scope import Actor
from portal.programmes.plans import reports
from portal.programmes.plans import specs as plans
from portal.programmes.plans import view as pv
from portal.records import service as rs
from tests.conftest import fill_demo, make_user

UTC = dt.UTC
DECEMBER = dt.date(2026, 12, 15)  # September to November are over, December is under way


@dataclass
class Known:
    tree: dict[str, int]
    head: Actor
    staff: Actor
    other: Actor


def _item(s: Session, actor: Actor, unit: int, month: str, title: str, **extra: Any) -> Any:
    return rs.create(s, actor, plans.PlanItemSpec, {"org_unit_id": unit, "month": month, "title": title, **extra})


@pytest.fixture
def known(engine: Engine, tree: dict[str, int]) -> Known:
    """東关镇 (t1): September 2026 (2 items, one carried over; reported on time) and
    October 2026 (8 items: 5 done incl. the carried one, 2 unfinished with reasons, 1
    cancelled; reported late, approved), one item planned for November."""
    head = make_user(engine, "county_head", "head", tree["county"])
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    other = make_user(engine, "t2staff", "staff", tree["t2"])
    t1 = tree["t1"]
    with transaction(engine) as s:
        _item(
            s,
            staff,
            t1,
            "2026-09",
            "九月公共卫生工作会议",
            area="mp",
            owner_name="张伟",
            target_qty=1,
            target_unit="次",
            actual_qty=1,
            status="done",
            completed_on="2026-09-05",
        )
        _item(
            s,
            staff,
            t1,
            "2026-09",
            "慢性病人第一次随访",
            area="mp",
            owner_name="王医生",
            target_qty=1,
            target_unit="轮",
            status="in_progress",
            notes="随访对象外出务工",
        )
        assert plans.carry_over(s, staff, t1, "2026-09") == 1
        plans.submit(s, staff, t1, "2026-09", now=dt.datetime(2026, 10, 10, 1, 30, tzinfo=UTC))
        plans.approve(s, head, t1, "2026-09")
    with transaction(engine) as s:
        [carried] = [i for i in plans.items_of(s, staff, t1, "2026-10") if i.carried_over]
        rs.update(
            s,
            staff,
            plans.PlanItemSpec,
            carried.id,
            {"status": "done", "completed_on": "2026-10-15", "actual_qty": 1},
            None,
        )
        _item(
            s,
            staff,
            t1,
            "2026-10",
            "召开公共卫生项目工作会议",
            area="mp",
            owner_name="张伟",
            target_qty=1,
            target_unit="次",
            actual_qty=1,
            status="done",
            completed_on="2026-10-08",
        )
        _item(
            s,
            staff,
            t1,
            "2026-10",
            "低盐膳食健康教育讲座",
            area="he",
            owner_name="李梅",
            target_qty=2,
            target_unit="次",
            actual_qty=2,
            status="done",
            completed_on="2026-10-20",
        )
        _item(
            s,
            staff,
            t1,
            "2026-10",
            "减盐健康咨询活动",
            area="he",
            owner_name="李梅",
            target_qty=1,
            target_unit="次",
            actual_qty=1,
            status="done",
            completed_on="2026-10-25",
        )
        _item(
            s,
            staff,
            t1,
            "2026-10",
            "更换健康教育宣传栏",
            area="he",
            owner_name="赵刚",
            target_qty=1,
            target_unit="次",
            actual_qty=1,
            status="done",
            completed_on="2026-10-28",
        )
        supervision = _item(
            s,
            staff,
            t1,
            "2026-10",
            "对村卫生室人员工作进行检查督导",
            area="mp",
            owner_name="王医生",
            target_qty=4,
            target_unit="次",
            notes="宣传资料未按时到位",
        )
        _item(
            s,
            staff,
            t1,
            "2026-10",
            "结核病防治知识讲座",
            area="he",
            owner_name="李梅",
            target_qty=1,
            target_unit="次",
            status="overdue",
            notes="讲师临时有事改期",
        )
        _item(s, staff, t1, "2026-10", "取消的义诊", area="other", status="cancelled")
        _item(s, staff, t1, "2026-11", "十一月健康讲座", area="he", owner_name="刘芳", target_qty=1, target_unit="次")
        rs.create(
            s,
            staff,
            plans.ProgressUpdateSpec,
            {
                "item_id": supervision.id,
                "update_date": "2026-10-18",
                "note": "已督导两个村",
                "quantity": 2,
                "progress_pct": 50,
            },
        )
        plans.submit(
            s,
            staff,
            t1,
            "2026-10",
            now=dt.datetime(2026, 11, 9, 2, 0, tzinfo=UTC),
            summary="本月共开展讲座2次，受众120人。",
            problems="1. 村医培训积极性不高\n2、经费不足",
            next_plan="1. 十一月健康讲座\n2. 迎接县局年终考核",
        )
        plans.approve(s, head, t1, "2026-10", "同意")
    return Known(tree, head, staff, other)


def _docx(data: bytes) -> tuple[list[str], list[list[list[str]]], Any]:
    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs if p.text.strip()]
    tables = [[[c.text for c in row.cells] for row in table.rows] for table in document.tables]
    return paragraphs, tables, document


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _pairs(ws: Any) -> dict[str, Any]:
    return {row[0]: row[1] for row in ws.iter_rows(min_row=2, values_only=True)}


# --------------------------------------------------------------------------- the data


def test_month_data_numbers(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        data = reports.month_data(s, known.head, known.tree["t1"], "2026-10", today=DECEMBER)
    assert (data.total, data.done_count, data.done_text, data.rate_text) == (7, 5, "5 / 7", "71%")
    assert len(data.items) == 8 and len(data.unfinished) == 2 and data.updates == 1
    assert [(p.item, p.reason) for p in data.problems] == [
        ("对村卫生室人员工作进行检查督导", "宣传资料未按时到位"),
        ("结核病防治知识讲座", "讲师临时有事改期"),
        (None, "村医培训积极性不高"),
        (None, "经费不足"),
    ]
    assert [i.title for i in data.next_items] == ["十一月健康讲座"]
    assert data.extra_plan_lines == ["迎接县局年终考核"]  # the line that is an item is not repeated
    assert (data.report.status, data.report.on_time, data.report.due_date) == ("approved", False, dt.date(2026, 11, 6))
    assert data.report.reviewed_by == "county_head"
    areas = {a.area: a for a in data.areas}
    assert (areas["he"].planned, areas["he"].done) == (4, 3)
    assert (areas["mp"].planned, areas["mp"].done) == (3, 2)
    assert sorted(areas["mp"].quantities) == [("次", 5.0, 3.0), ("轮", 1.0, 1.0)]  # per unit of measure
    assert "other" not in areas  # the cancelled item counts nowhere
    assert formatting.pct(200 / 3) == "67%" and formatting.pct(None) == "—" and formatting.pct(100.0) == "100%"


def test_a_month_without_anything(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        data = reports.month_data(s, known.head, known.tree["t2"], "2026-10", today=DECEMBER)
        paragraphs, tables, _ = _docx(
            reports.monthly_report_docx(s, known.head, known.tree["t2"], "2026-10", today=DECEMBER)
        )
    assert (data.total, data.rate, data.rate_text, data.report.exists) == (0, None, "—", False)
    assert data.report.display_status(DECEMBER) == "overdue"
    assert "本月未制定计划事项。" in paragraphs and "下月计划尚未制定。" in paragraphs
    assert any("逾期未报" in p for p in paragraphs) and tables == []


# --------------------------------------------------------------------------- Word


def test_monthly_report_docx_in_chinese(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        data = reports.monthly_report_docx(s, known.staff, known.tree["t1"], "2026-10", today=DECEMBER)
    paragraphs, tables, document = _docx(data)
    assert paragraphs[0] == "东关镇卫生院2026年10月工作总结及11月工作计划"
    assert "单位：东关镇卫生院　　期间：2026年10月" in paragraphs
    status = next(p for p in paragraphs if p.startswith("月报状态"))
    assert "已审批" in status and "2026-11-09 10:00" in status and "逾期" in status and "2026-11-06" in status
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、本月工作完成情况", "二、存在问题", "三、下月工作计划（2026年11月）"]
    assert "本月计划事项7项，已完成5项，完成率71%；未完成2项；共填报进展记录1条。" in paragraphs
    assert "分领域：健康教育计划4项、完成3项；综合管理计划3项、完成2项。" in paragraphs
    assert "本月共开展讲座2次，受众120人。" in paragraphs  # the report's own summary
    [table] = tables
    assert table[0] == ["事项", "责任人", "目标", "完成", "状态", "完成日期"]
    assert ["低盐膳食健康教育讲座", "李梅", "2次", "2次", "已完成", "2026-10-20"] in table
    assert ["对村卫生室人员工作进行检查督导", "王医生", "4次", "2次", "进行中", ""] in table
    assert ["慢性病人第一次随访（上月结转）", "王医生", "1轮", "1轮", "已完成", "2026-10-15"] in table
    assert len(table) == 9
    problems = paragraphs[paragraphs.index("二、存在问题") + 1 : paragraphs.index("三、下月工作计划（2026年11月）")]
    assert problems == [
        "1. 对村卫生室人员工作进行检查督导：宣传资料未按时到位",
        "2. 结核病防治知识讲座：讲师临时有事改期",
        "3. 村医培训积极性不高",
        "4. 经费不足",
    ]
    after = paragraphs[paragraphs.index("三、下月工作计划（2026年11月）") + 1 :]
    assert after[:2] == ["1. 十一月健康讲座（目标1次；责任人：刘芳；完成时限2026-11-30）", "2. 迎接县局年终考核"]
    assert any(p.startswith("审批意见：同意（county_head，") for p in after)
    assert after[-2:] == ["东关镇卫生院", "2026-11-09"]


def test_docx_fonts_show_chinese(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        _, _, document = _docx(reports.monthly_report_docx(s, known.head, known.tree["t1"], "2026-10"))
    for name in ("Normal", "Heading 1", "Title"):
        style = document.styles[name]
        fonts = style.element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == "宋体", name
        assert fonts.get(qn("w:asciiTheme")) is None, name
    assert document.styles["Normal"].font.name == "SimSun"
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7  # A4


def test_monthly_report_docx_in_english(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        paragraphs, tables, _ = _docx(
            reports.monthly_report_docx(s, known.head, known.tree["t1"], "2026-10", lang="en", today=DECEMBER)
        )
    assert paragraphs[0] == "t1: work summary for October 2026 and plan for November 2026"
    assert any("a completion rate of 71%" in p and "7 items were planned" in p for p in paragraphs)
    assert "2. Problems" in paragraphs and "3. Plan for next month (November 2026)" in paragraphs
    assert "1. 对村卫生室人员工作进行检查督导: 宣传资料未按时到位" in paragraphs
    assert any(p.startswith("1. 十一月健康讲座 (target 1次; owner: 刘芳; due 2026-11-30)") for p in paragraphs)
    assert tables[0][0] == ["Item", "Owner", "Target", "Done", "Status", "Completed on"]
    assert ["减盐健康咨询活动", "李梅", "1次", "1次", "Done", "2026-10-25"] in tables[0]
    assert any("late" in p and "Approved" in p for p in paragraphs)


# --------------------------------------------------------------------------- Excel


def test_monthly_report_xlsx(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        book = _book(reports.monthly_report_xlsx(s, known.head, known.tree["t1"], "2026-10", today=DECEMBER))
    assert book.sheetnames == ["概况", "完成情况", "存在问题", "下月计划"]
    overview = book["概况"]
    figures = _pairs(overview)
    assert figures["单位"] == "东关镇卫生院" and figures["月份"] == "2026年10月"
    assert (figures["计划事项"], figures["已完成"], figures["未完成"]) == (7, 5, 2)
    assert figures["完成率"] == pytest.approx(0.71)
    assert figures["完成情况"] == "5 / 7" and figures["进展记录（条）"] == 1
    assert figures["月报状态"] == "已审批" and figures["是否按时"] == "逾期" and figures["上报时限"] == "2026-11-06"
    rate_cell = next(row[1] for row in overview.iter_rows(min_row=2) if row[0].value == "完成率")
    assert rate_cell.number_format == "0%"
    assert all(c.font.bold for c in overview[1]) and overview.column_dimensions["B"].width == 60
    items = book["完成情况"]
    header = [c.value for c in items[1]]
    assert header[:8] == ["序号", "事项", "业务领域", "责任人", "目标", "完成", "计量单位", "状态"]
    assert all(c.font.bold for c in items[1]) and items.freeze_panes == "A2"
    rows = {r[1]: r for r in items.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 8
    assert rows["低盐膳食健康教育讲座"][2:9] == ("健康教育", "李梅", 2, 2, "次", "已完成", 100)
    assert rows["对村卫生室人员工作进行检查督导"][11] == "宣传资料未按时到位"
    assert rows["慢性病人第一次随访"][12] == "是"
    problems = list(book["存在问题"].iter_rows(min_row=2, values_only=True))
    assert problems == [
        (1, "对村卫生室人员工作进行检查督导", "宣传资料未按时到位"),
        (2, "结核病防治知识讲座", "讲师临时有事改期"),
        (3, None, "村医培训积极性不高"),
        (4, None, "经费不足"),
    ]
    following = list(book["下月计划"].iter_rows(min_row=2, values_only=True))
    assert following[0][:7] == (1, "十一月健康讲座", "健康教育", "刘芳", 1, "次", "2026-11-30")
    assert following[1][:2] == (2, "迎接县局年终考核") and len(following) == 2


def test_monthly_report_xlsx_in_english(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        book = _book(reports.monthly_report_xlsx(s, known.head, known.tree["t1"], "2026-10", lang="en"))
    assert book.sheetnames == ["Overview", "Items", "Problems", "Next month"]
    figures = _pairs(book["Overview"])
    assert figures["Completion rate"] == pytest.approx(0.71) and figures["Done of planned"] == "5 / 7"
    assert figures["On time"] == "late"
    assert [c.value for c in book["Items"][1]][:3] == ["No.", "Item", "Area"]


def test_xlsx_text_never_runs_as_a_formula(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        _item(s, known.other, known.tree["t2"], "2026-10", "=1+1", notes="@SUM(A1)", status="overdue")
        book = _book(reports.monthly_report_xlsx(s, known.other, known.tree["t2"], "2026-10"))
    [row] = book["完成情况"].iter_rows(min_row=2)
    assert row[1].value == "'=1+1" and row[1].data_type == "s" and row[11].value == "'@SUM(A1)"


# --------------------------------------------------------------------------- scope and input


def test_a_township_cannot_build_another_townships_report(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        for build in (reports.month_data, reports.monthly_report_docx, reports.monthly_report_xlsx):
            with pytest.raises(NotFound):
                build(s, known.other, known.tree["t1"], "2026-10")
        for build in (reports.year_data, reports.year_summary_docx, reports.year_summary_xlsx):
            with pytest.raises(NotFound):
                build(s, known.other, known.tree["t1"], 2026)
        assert reports.month_data(s, known.staff, known.tree["t1"], "2026-10").total == 7
        viewer = make_user(engine, "t1viewer", "viewer", known.tree["t1"])
        assert reports.month_data(s, viewer, known.tree["t1"], "2026-10").done_count == 5
        with pytest.raises(NotFound):
            reports.month_data(s, viewer, known.tree["county"], "2026-10")


def test_bad_periods_and_formats(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        with pytest.raises(reports.ReportError) as info:
            reports.month_data(s, known.head, known.tree["t1"], "2026-13")
        assert "2026-13" in info.value.message("zh-CN")
        with pytest.raises(reports.ReportError):
            reports.year_data(s, known.head, known.tree["t1"], "26")
        with pytest.raises(reports.ReportError):
            reports.build(s, known.head, known.tree["t1"], "2026-10", "pdf")
        with pytest.raises(reports.ReportError):
            reports.build(s, known.head, known.tree["t1"], "2026Q1", "docx")
        assert reports.build(s, known.head, known.tree["t1"], "2026", "xlsx")[:2] == b"PK"


# --------------------------------------------------------------------------- the year


def test_year_data_numbers(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        data = reports.year_data(s, known.head, known.tree["t1"], 2026, today=DECEMBER)
    # September, October and November are over; the carried item counts once (in October)
    assert (data.total, data.done_count, data.rate_text) == (9, 6, "67%")
    assert data.last_month == "2026-11" and data.partial
    assert (data.expected, len(data.reported), data.on_time_count, data.late_count, data.missing_count) == (
        3,
        2,
        1,
        1,
        1,
    )
    assert formatting.pct(data.on_time_rate) == "33%"
    months = {m.month: m for m in data.months}
    assert len(months) == 12
    assert (months["2026-09"].total, months["2026-09"].done, months["2026-09"].status) == (2, 1, "approved")
    assert (months["2026-10"].total, months["2026-10"].done, months["2026-10"].on_time) == (7, 5, False)
    assert (months["2026-11"].status, months["2026-12"].status, months["2026-01"].status) == ("overdue", "none", "none")
    # the carried-over September item is told once, where it ended (done in October)
    assert [(p.month, p.item or p.reason) for p in data.problems] == [
        ("2026-10", "对村卫生室人员工作进行检查督导"),
        ("2026-10", "结核病防治知识讲座"),
        ("2026-10", "村医培训积极性不高"),
        ("2026-10", "经费不足"),
        ("2026-11", "十一月健康讲座"),
    ]
    with transaction(engine) as s:
        at_year_end = reports.year_data(s, known.head, known.tree["t1"], 2026, today=dt.date(2027, 1, 20))
    assert not at_year_end.partial and at_year_end.total == 9


def test_year_summary_docx(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        paragraphs, tables, document = _docx(
            reports.year_summary_docx(s, known.head, known.tree["t1"], 2026, today=DECEMBER)
        )
    assert paragraphs[0] == "东关镇卫生院2026年度工作总结"
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、主要成绩", "二、存在问题", "三、今后努力方向"]
    assert (
        "截至2026年11月，全年计划事项9项，已完成6项，完成率67%。应报月报3份，已上报2份，其中按时1份、逾期1份；"
        "未报1份；按时上报率33%。"
    ) in paragraphs
    [table] = tables
    assert table[0] == ["月份", "计划事项", "已完成", "完成率", "月报状态", "上报时间", "是否按时"]
    assert table[1:] == [
        ["2026年9月", "2", "1", "50%", "已审批", "2026-10-10 09:30", "按时"],
        ["2026年10月", "7", "5", "71%", "已审批", "2026-11-09 10:00", "逾期"],
        ["2026年11月", "1", "0", "0%", "逾期未报", "", ""],
    ]
    assert "1. 2026年10月：对村卫生室人员工作进行检查督导：宣传资料未按时到位" in paragraphs
    assert "5. 2026年11月：十一月健康讲座：未开始，未说明原因" in paragraphs
    directions = paragraphs[paragraphs.index("三、今后努力方向") + 1 :]
    assert directions[0].startswith("1. 健康教育工作全年计划5项、完成3项（完成率60%）")
    assert directions[1].startswith("2. 综合管理工作全年计划4项、完成3项（完成率75%）")
    assert directions[2] == "3. 月报按时上报1份、逾期1份、未报1份，今后严格按上报时限报送。"


def test_year_summary_docx_in_english_and_xlsx(engine: Engine, known: Known) -> None:
    with transaction(engine) as s:
        paragraphs, _, _ = _docx(
            reports.year_summary_docx(s, known.head, known.tree["t1"], 2026, lang="en", today=DECEMBER)
        )
        book = _book(reports.year_summary_xlsx(s, known.head, known.tree["t1"], 2026, today=DECEMBER))
        english = _book(reports.year_summary_xlsx(s, known.head, known.tree["t1"], 2026, lang="en", today=DECEMBER))
    assert paragraphs[0] == "t1: work summary for 2026"
    assert any(
        p.startswith("Up to November 2026: 9 items were planned in the year and 6 were done: a completion rate of 67%")
        for p in paragraphs
    )
    assert book.sheetnames == ["概况", "逐月情况", "成绩", "存在问题", "今后努力方向"]
    figures = _pairs(book["概况"])
    assert (
        figures["计划事项"],
        figures["已完成"],
        figures["应报月报（份）"],
        figures["按时上报（份）"],
        figures["逾期上报（份）"],
        figures["未报（份）"],
    ) == (9, 6, 3, 1, 1, 1)
    assert figures["完成率"] == pytest.approx(0.67) and figures["按时上报率"] == pytest.approx(0.33)
    months = list(book["逐月情况"].iter_rows(min_row=2, values_only=True))
    assert len(months) == 12
    october = months[9]
    assert october[:5] == ("2026年10月", 7, 5, pytest.approx(0.71), "已审批") and october[7] == "逾期"
    assert book["逐月情况"]["D11"].number_format == "0%"
    achievements = {r[0]: r for r in book["成绩"].iter_rows(min_row=2, values_only=True)}
    assert achievements["健康教育"][1:3] == (5, 3)
    assert len(list(book["存在问题"].iter_rows(min_row=2))) == 5
    assert book["今后努力方向"]["B2"].value.startswith("健康教育工作全年计划5项")
    assert english.sheetnames == ["Overview", "By month", "Achievements", "Problems", "The way ahead"]


# --------------------------------------------------------------------------- the command

Run = Callable[..., Any]


@pytest.fixture
def cli(engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("PORTAL_LANG", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        return code, out.out, out.err

    return run


def test_cli_report_month(cli: Run, known: Known, tmp_path: Path) -> None:
    target = tmp_path / "oct.docx"
    code, out, err = cli("report", "month", "--unit", "t1", "--period", "2026-10", "-o", str(target))
    assert code == 0, err
    assert "已生成" in out and "东关镇卫生院" in out and str(target) in out
    paragraphs, _, _ = _docx(target.read_bytes())
    assert any("完成率71%" in p for p in paragraphs)
    book = tmp_path / "oct.xlsx"
    assert cli("report", "month", "--unit", "t1", "--period", "2026-10", "-o", str(book), "--as", "t1staff")[0] == 0
    assert _pairs(_book(book.read_bytes())["概况"])["完成情况"] == "5 / 7"
    forced = tmp_path / "oct.bin"
    code, out, _ = cli(
        "--lang", "en", "report", "month", "--unit", "t1", "--period", "2026-10", "--format", "xlsx", "-o", str(forced)
    )
    assert code == 0 and "Wrote the report" in out and _book(forced.read_bytes()).sheetnames[0] == "Overview"


def test_cli_report_year(cli: Run, known: Known, tmp_path: Path) -> None:
    target = tmp_path / "2026.docx"
    code, _, err = cli("report", "year", "--unit", "t1", "--period", "2026", "-o", str(target), "--lang", "zh-CN")
    assert code == 0, err
    paragraphs, tables, _ = _docx(target.read_bytes())
    assert paragraphs[0] == "东关镇卫生院2026年度工作总结"
    assert ["2026年10月", "7", "5", "71%", "已审批", "2026-11-09 10:00", "逾期"] in tables[0]
    workbook = tmp_path / "2026.xlsx"
    assert cli("report", "year", "--unit", "t1", "--period", "2026", "-o", str(workbook))[0] == 0
    assert _book(workbook.read_bytes()).sheetnames[1] == "逐月情况"


def test_cli_report_errors(cli: Run, known: Known, tmp_path: Path) -> None:
    out = str(tmp_path / "x.docx")
    code, _, err = cli("report", "month", "--unit", "t1", "--period", "2026-13", "-o", out)
    assert code == 2 and "2026-13" in err
    code, _, err = cli("report", "year", "--unit", "t1", "--period", "2026-10", "-o", out)
    assert code == 2 and "年份" in err
    code, _, err = cli("report", "month", "--unit", "t1", "--period", "2026-10", "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "--format" in err and "docx, xlsx" in err
    code, _, err = cli("report", "month", "--unit", "nowhere", "--period", "2026-10", "-o", out)
    assert code == 2 and "--unit" in err and "nowhere" in err
    # another township's unit is out of scope: it reads as unknown, and nothing is written
    code, _, err = cli("report", "month", "--unit", "t1", "--period", "2026-10", "-o", out, "--as", "t2staff")
    assert code == 2 and "t1" in err and not Path(out).exists()
    assert cli("report", "month", "--unit", "t1", "--period", "2026-10", "-o", out, "--as", "ghost")[0] == 2
    assert cli("report", "month", "--unit", "t1", "-o", out)[0] == 2  # --period missing
    assert cli("report", "month", "--unit", "t1", "--period", "2026-10", "--format", "pdf", "-o", out)[0] == 2
    assert cli("report")[0] == 2  # which kind?
    code, _, err = cli(
        "report", "month", "--unit", "t1", "--period", "2026-10", "-o", str(tmp_path / "missing" / "x.docx")
    )
    assert code == 1 and "x.docx" in err


# --------------------------------------------------------------------------- the demo


def test_reports_of_the_demo_county(engine: Engine) -> None:
    fill_demo(engine)
    with transaction(engine) as s:
        from sqlalchemy import select

        from db.models import OrgUnit, User
        from portal.org.scope import SYSTEM, actor_for

        cg = s.scalar(select(OrgUnit).where(OrgUnit.code == "cg"))
        staff = actor_for(s, s.scalar(select(User).where(User.username == "staff")))
        january = reports.month_data(s, staff, cg.id, "2026-01")
        assert january.rate_text == "100%" and january.report.status == "approved"
        assert "一月份" in january.report.summary and len(january.next_items) == 5
        paragraphs, _, _ = _docx(reports.monthly_report_docx(s, staff, cg.id, "2026-01"))
        assert paragraphs[0] == "城关镇卫生院2026年1月工作总结及2月工作计划"
        assert any("村卫生室人员业务水平参差不齐" in p for p in paragraphs)
        year = reports.year_data(s, SYSTEM, s.scalar(select(OrgUnit.id).where(OrgUnit.code == "bp")), 2026)
        assert year.total > 0 and year.problems and year.missing_count >= 1


def test_one_rate_on_the_page_draft_the_docx_and_the_xlsx(engine: Engine, known: Known) -> None:
    """The completion rate reads the same in the page's draft, the Word report and the
    Excel report, because all three take it from figures.month_data (5 of 7 = 71.43 %)."""
    with transaction(engine) as s:
        draft = pv.draft_texts(s, known.head, known.tree["t1"], "2026-10", "zh-CN")
        docx, _, _ = _docx(reports.monthly_report_docx(s, known.head, known.tree["t1"], "2026-10", today=DECEMBER))
        book = _book(reports.monthly_report_xlsx(s, known.head, known.tree["t1"], "2026-10", today=DECEMBER))
    shown = formatting.pct(5 / 7 * 100)
    assert shown == "71%"
    assert f"完成率 {shown}" in draft["summary"]
    assert any(f"完成率{shown}" in p for p in docx)
    cell = next(row[1] for row in book["概况"].iter_rows(min_row=2) if row[0].value == "完成率")
    assert cell.number_format == formatting.PERCENT_FORMAT and f"{round(cell.value * 100)}%" == shown
    # 99.96 % is not done: it never reads 100 % anywhere
    assert formatting.pct(99.96) == "99%" and formatting.fraction(99.96) == 0.99
