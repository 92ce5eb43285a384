"""What the Monthly plans page shows, computed without Streamlit: the page's month, the
board's cards, the report draft (draft_texts), the report's state, the review grid and
the figures behind the charts."""

from __future__ import annotations

import datetime as dt

import pytest

from db.engine import transaction
from portal import formatting
from portal.metrics import library as indicator_library
from portal.org.scope import SYSTEM
from portal.programmes.plans import specs as pl
from portal.programmes.plans import view as pv
from portal.records import service as records
from tests.conftest import make_tree, make_user

TODAY = dt.date(2026, 11, 23)


def add(s, unit: int, month: str, title: str, **values) -> int:
    return records.create(
        s, SYSTEM, pl.PlanItemSpec, {"org_unit_id": unit, "month": month, "title": title, **values}
    ).id


@pytest.fixture
def october(engine):
    """东关镇 (t1): four October items in every state, two November items."""
    ids = make_tree(engine)
    with transaction(engine) as s:
        ids["lecture"] = add(
            s,
            ids["t1"],
            "2026-10",
            "低盐膳食健康教育讲座",
            area="he",
            owner_name="陈静",
            target_qty=2,
            target_unit="次",
            actual_qty=2,
            status="done",
            due_date=dt.date(2026, 10, 20),
            completed_on=dt.date(2026, 10, 18),
        )
        ids["market"] = add(
            s,
            ids["t1"],
            "2026-10",
            "利用集市开展健康咨询活动",
            area="he",
            owner_name="陈静",
            target_qty=2,
            target_unit="次",
            actual_qty=1,
            status="in_progress",
            progress_pct=50,
            due_date=dt.date(2026, 10, 31),
            notes="集市因雨取消一次",
        )
        ids["visit"] = add(
            s,
            ids["t1"],
            "2026-10",
            "对村卫生室进行检查督导",
            area="mp",
            owner_name="王磊",
            status="not_started",
            due_date=dt.date(2026, 11, 30),
        )
        ids["board"] = add(s, ids["t1"], "2026-10", "更换健康教育宣传栏", area="he", status="cancelled")
        add(s, ids["t1"], "2026-11", "慢性病人随访", area="mp", owner_name="王磊", target_qty=120, target_unit="人")
        add(s, ids["t1"], "2026-11", "公共卫生知识培训", area="tr")
    return ids


def test_the_pages_month_follows_the_sidebar():
    assert pv.board_month("2026-10", TODAY) == "2026-10"
    assert pv.board_month("2026Q4", TODAY) == "2026-11"  # clamped to this month
    assert pv.board_month("2026Q3", TODAY) == "2026-09"
    assert pv.board_month("2025", TODAY) == "2025-12"
    assert pv.board_month("2026T2", TODAY) == "2026-11"  # the autumn term runs into January
    assert pv.months_up_to("2026-03", 6) == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert pv.months_up_to("2026-10", 1) == ["2026-10"]


def test_board_cards_group_by_status_and_flag_overdue(engine, october):
    with transaction(engine) as s:
        cards = {c.id: c for c in pv.board(s, SYSTEM, october["t1"], "2026-10", TODAY)}
    lecture, market, visit, board = (cards[october[k]] for k in ("lecture", "market", "visit", "board"))
    assert (lecture.column, lecture.overdue, lecture.workdays) == ("done", False, None)
    assert (market.column, market.overdue, market.shown) == ("late", True, "overdue")
    assert market.workdays == 16  # working days from 1 to 23 November 2026
    assert (visit.column, visit.overdue) == ("not_started", False)
    assert visit.workdays == 6  # 23-30 November: Mon-Fri and Mon
    assert board.column == "cancelled" and not board.open
    grouped = pv.by_column(list(cards.values()))
    assert [len(grouped[c]) for c in pv.COLUMNS] == [1, 0, 1, 1, 1]
    assert pv.completion(list(cards.values())) == (1, 3, pytest.approx(100 / 3))
    assert [c.id for c in pv.filter_cards(list(cards.values()), owners=["陈静"])] == [
        october["lecture"],
        october["market"],
    ]
    assert [c.id for c in pv.filter_cards(list(cards.values()), areas=["mp"])] == [october["visit"]]
    assert [c.id for c in pv.filter_cards(list(cards.values()), columns=["late"])] == [october["market"]]


def test_draft_texts_in_chinese(engine, october):
    actor = make_user(engine, "t1staff", "staff", october["t1"])
    with transaction(engine) as s:
        texts = pv.draft_texts(s, actor, october["t1"], "2026-10", "zh-CN")
    summary, problems, next_plan = texts["summary"], texts["problems"], texts["next_plan"]
    assert summary.splitlines()[0] == "2026年10月共安排计划事项 3 项，已完成 1 项，完成率 33%。主要完成情况："
    assert summary.splitlines()[1] == "1. 低盐膳食健康教育讲座，完成 2次（目标 2次），2026-10-18 完成"
    assert problems.splitlines() == [
        "1. 利用集市开展健康咨询活动（进行中，进度 50%）：集市因雨取消一次",
        "2. 对村卫生室进行检查督导（未开始，进度 0%）：未说明原因",
    ]
    assert "更换健康教育宣传栏" not in summary + problems  # cancelled items count nowhere
    assert next_plan.splitlines() == ["1. 慢性病人随访（目标 120人，责任人 王磊）", "2. 公共卫生知识培训"]


def test_draft_texts_in_english_and_for_an_empty_month(engine, october):
    with transaction(engine) as s:
        english = pv.draft_texts(s, SYSTEM, october["t1"], "2026-10", "en")
        empty = pv.draft_texts(s, SYSTEM, october["t2"], "2026-10", "zh-CN")
        november = pv.draft_texts(s, SYSTEM, october["t1"], "2026-11", "zh-CN")
    assert english["summary"].startswith("2026-10: 3 plan items, 1 done, completion rate 33%.")
    assert "(In progress, 50%): 集市因雨取消一次" in english["problems"]
    assert english["next_plan"].startswith("1. 慢性病人随访 (target 120人, owner 王磊)")
    assert empty == {
        "summary": "2026年10月未安排计划事项。",
        "problems": "无。",
        "next_plan": "2026年11月计划尚未制定。",
    }
    # nothing planned for December yet: the unfinished items are proposed to continue
    assert november["next_plan"].splitlines() == [
        "2026年12月计划尚未制定，拟继续推进本月未完成事项：",
        "1. 继续推进：慢性病人随访",
        "2. 继续推进：公共卫生知识培训",
    ]


def test_draft_texts_mark_carried_items_and_respect_scope(engine, october):
    with transaction(engine) as s:
        pl.carry_over(s, SYSTEM, october["t1"], "2026-10")
        texts = pv.draft_texts(s, SYSTEM, october["t1"], "2026-10", "zh-CN")
    assert "4. 对村卫生室进行检查督导（责任人 王磊，上月结转）" in texts["next_plan"]
    assert "（延期，进度 50%）：集市因雨取消一次" in texts["problems"]
    outsider = make_user(engine, "t2staff", "staff", october["t2"])
    with transaction(engine) as s, pytest.raises(Exception) as caught:
        pv.draft_texts(s, outsider, october["t1"], "2026-10", "zh-CN")
    assert type(caught.value).__name__ == "NotFound"


def test_report_state_and_the_review_grid(engine, october):
    head = make_user(engine, "chief", "head", october["county"])
    submitted = dt.datetime(2026, 11, 4, 2, 0, tzinfo=dt.UTC)
    with transaction(engine) as s:
        before = pv.report_state(s, head, october["t1"], "2026-10", TODAY)
        pl.submit(s, SYSTEM, october["t1"], "2026-10", now=submitted, summary="总结")
        pl.approve(s, head, october["t1"], "2026-10", "同意")
        after = pv.report_state(s, head, october["t1"], "2026-10", TODAY)
        units = pv.review_units(s, head, october["county"], "zh-CN")
        rows = pv.review_grid(s, head, units, ["2026-10", "2026-11"], TODAY)
        alone = pv.review_units(s, head, october["t1v1"], "zh-CN")
    assert not before.exists and before.status == "draft" and before.overdue and before.editable
    assert before.due == dt.date(2026, 11, 6) and before.rule == "workday:5"
    assert after.status == "approved" and after.locked and after.on_time and not after.editable
    assert after.summary == "总结" and after.review_comment == "同意" and after.reviewed_by == "chief"
    assert [name for _, name in units] == ["东关镇卫生院", "西河镇卫生院", "示范县第一中学"]
    assert alone == [(october["t1v1"], "东关村卫生室")]  # no units below: the unit itself
    by_key = {(r.unit_id, r.month): r for r in rows}
    assert by_key[(october["t1"], "2026-10")].status == "approved"
    assert by_key[(october["t2"], "2026-10")].status == "overdue"
    assert by_key[(october["t2"], "2026-11")].status == "not_due"
    cells = {(c["unit"], c["month"]): c for c in pv.grid_cells(rows, "zh-CN")}
    assert cells[("东关镇卫生院", "2026年10月")] | {} == {
        "unit": "东关镇卫生院",
        "month": "2026年10月",
        "status": "approved",
        "flag": "✓",
        "detail": "11-04 10:00",
        "tip": "提交于 2026-11-04 10:00（按时）",
    }
    assert cells[("西河镇卫生院", "2026年10月")]["detail"] == "时限 11-06"
    assert cells[("西河镇卫生院", "2026年10月")]["flag"] == ""
    with transaction(engine) as s:
        add(s, october["t2"], "2026-09", "九月讲座")  # 西河镇 plans monthly this year: it owes October's report
        ontime = {r["unit"]: r for r in pv.ontime_by_unit(s, head, units, ["2026-10", "2026-11"], TODAY)}
    assert ontime["东关镇卫生院"] == {"unit": "东关镇卫生院", "due": 1, "on_time": 1}
    assert ontime["西河镇卫生院"] == {"unit": "西河镇卫生院", "due": 1, "on_time": 0}  # missing counts late


def test_chart_figures(engine, october):
    with transaction(engine) as s:
        fallback = pv.completion_by_month(s, SYSTEM, october["county"], ["2026-09", "2026-10"], TODAY)
        indicator_library.ensure_builtin(s)
        measured = pv.completion_by_month(s, SYSTEM, october["county"], ["2026-10"], TODAY)
        cards = pv.board(s, SYSTEM, october["t1"], "2026-10", TODAY)
        below = pv.subtree_cards(s, SYSTEM, october["county"], "2026-11", TODAY, "zh-CN")
    assert fallback[0] == {"month": "2026-09", "done": 0, "total": 0, "pct": None, "target": 100.0, "over": True}
    assert fallback[1]["done"] == 1 and fallback[1]["total"] == 3  # the county's subtree, by item month
    # MP-DONE counts items by their due date: the督导 item is due in November
    assert (measured[0]["done"], measured[0]["total"], measured[0]["target"]) == (1, 2, 100)
    assert measured[0]["pct"] == pytest.approx(50)
    assert pv.status_counts(cards) == [
        {"status": "not_started", "count": 1},
        {"status": "done", "count": 1},
        {"status": "overdue", "count": 1},
        {"status": "cancelled", "count": 1},
    ]
    load = pv.owner_load(cards, "zh-CN")
    assert [(r["owner"], r["status"], r["count"]) for r in load] == [
        ("陈静", "done", 1),
        ("陈静", "overdue", 1),
        ("王磊", "not_started", 1),
        ("未指定责任人", "cancelled", 1),
    ]
    assert [name for name, _ in below] == ["东关镇卫生院", "东关镇卫生院"]
    names = [name for name, _ in below] + ["西河镇卫生院"]
    several = pv.owner_load([c for _, c in below] + [below[0][1]], "zh-CN", names)
    assert {r["owner"] for r in several} == {
        "王磊（东关镇卫生院）",
        "王磊（西河镇卫生院）",
        "未指定责任人（东关镇卫生院）",
    }


def test_small_helpers():
    assert formatting.number(2.0) == "2" and formatting.number(1.5) == "1.5" and formatting.number(None) == "—"
    assert formatting.number(1234) == "1,234"
    assert pv.rule_text("workday:5", "zh-CN") == "次月第 5 个工作日前"
    assert pv.rule_text("day:2", "zh-CN") == "次月 2 日前"
    assert pv.rule_text("month_end", "en") == "By the last day of the month"
    assert pv.rule_text(None, "zh-CN") == "次月第 5 个工作日前"
    assert pv.column_label("late", "zh-CN") == "逾期·延期"
    assert pv.status_label("postponed", "zh-CN") == "延期"


def test_owner_load_keeps_the_busiest_owners(engine, october):
    with transaction(engine) as s:
        cards = pv.board(s, SYSTEM, october["t1"], "2026-10", TODAY)
    assert [r["owner"] for r in pv.owner_load(cards, "zh-CN", limit=1)] == ["陈静", "陈静"]


def test_unit_summary_for_a_heads_board(engine, october):
    with transaction(engine) as s:
        add(s, october["t2"], "2026-10", "西河讲座", status="done")
        below = pv.subtree_cards(s, SYSTEM, october["county"], "2026-10", TODAY, "zh-CN")
    rows = {r["unit"]: r for r in pv.unit_summary(below)}
    assert rows["东关镇卫生院"] | {} == {
        "unit": "东关镇卫生院",
        "items": 4,
        "done": 1,
        "counted": 3,
        "overdue": 1,
        "rate": pytest.approx(100 / 3),
    }
    assert rows["西河镇卫生院"]["rate"] == 100
