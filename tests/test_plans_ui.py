"""The Monthly plans page through AppTest, on the demo county with October 2026 plans for
three townships: the board, a progress update, staff submitting the month, the county
head approving it (which locks it), the lock refusing an edit, a township head refused
on its own report, the status grid and the month close.

See tests/test_pages.py for why a copy of app.py runs from a folder without pages/.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from db.models import MonthlyReport, OrgUnit, PlanItem, ProgressUpdate
from portal import clock
from portal.i18n import t
from portal.org.scope import SYSTEM
from portal.programmes.plans import specs as pl
from portal.records import service as records
from tests.conftest import BACKENDS, demo_engine, open_tab, served_app

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages/plans.py")
MONTH = "2026-10"
DEMO_DAY = dt.date(2026, 8, 20)
# (title, owner, status, progress, due day, target, actual, notes)
ITEMS = [
    ("低盐膳食健康教育讲座", "陈静", "done", 100, 20, 1, 1, None),
    ("利用集市开展健康咨询活动", "陈静", "in_progress", 50, 31, 2, 1, "集市因雨取消一次"),
    ("对村卫生室人员工作进行检查督导", "王磊", "not_started", 0, 15, 1, None, "人手不足"),
    ("更换健康教育宣传栏", "刘芳", "cancelled", 0, 31, 1, None, None),
]


@pytest.fixture(scope="module", params=BACKENDS)
def plans_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with clock.frozen(DEMO_DAY):  # the demo's plans stop before MONTH, which these tests fill themselves
        engine = demo_engine(request.param, tmp_path_factory.mktemp("plans"))
    with transaction(engine) as s:
        units = {u.code: u.id for u in s.scalars(select(OrgUnit))}
        for code in ("cg", "dg", "xh", "qs"):
            for title, owner, status, pct, day, target, actual, notes in ITEMS:
                records.create(
                    s,
                    SYSTEM,
                    pl.PlanItemSpec,
                    {
                        "org_unit_id": units[code],
                        "month": MONTH,
                        "area": "he",
                        "title": title,
                        "owner_name": owner,
                        "status": status,
                        "progress_pct": pct,
                        "target_qty": target,
                        "actual_qty": actual,
                        "target_unit": "次",
                        "due_date": dt.date(2026, 10, day),
                        "notes": notes,
                    },
                )
    with served_app(tmp_path_factory, engine) as entry:
        yield engine, entry, units
    engine.dispose()


TABS = "plans.tabs.view"


def open_plans(
    entry: str, username: str, unit: int | None = None, lang: str = "zh-CN", tab: str | None = None
) -> AppTest:
    """The page as the user opens it; `tab` (board, items, report, close, review, charts)
    opens that tab as a click would - only the open tab runs."""
    at = AppTest.from_file(entry, default_timeout=60)
    state = {"authentication_status": True, "username": username, "lang": lang, "shell.period": MONTH}
    if unit is not None:
        state["shell.org_unit"] = unit
    for key, value in state.items():
        at.session_state[key] = value
    if lang == "zh-CN":
        at.run()
    # else straight to the page: a second run would format the sidebar's period outside
    # the script, where the session's language is unknown
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if tab is not None:
        open_tab(at, TABS, f"plans.tab.{tab}", lang)
    return at


def texts(at: AppTest, *kinds: str) -> str:
    """The text as a reader sees it: markdown's backslash escapes (user text is escaped,
    portal.records.display.md_escape) dropped."""
    kinds = kinds or ("markdown", "caption", "error", "info", "warning", "success")
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(str(m.value) for kind in kinds for m in getattr(at, kind)))


def item(engine, unit: int, title: str, month: str = MONTH) -> PlanItem:
    with transaction(engine) as s:
        return s.scalar(
            select(PlanItem).where(
                PlanItem.org_unit_id == unit,
                PlanItem.month == month,
                PlanItem.title == title,
                PlanItem.deleted_at.is_(None),
            )
        )


def report(engine, unit: int, month: str = MONTH) -> MonthlyReport | None:
    with transaction(engine) as s:
        return s.scalar(select(MonthlyReport).where(MonthlyReport.org_unit_id == unit, MonthlyReport.month == month))


def ensure(engine, unit: int, status: str) -> None:
    """Bring a unit's October report to submitted or approved, whatever ran before."""
    current = report(engine, unit)
    with transaction(engine) as s:
        if current is None or current.status in ("draft", "returned"):
            pl.submit(s, SYSTEM, unit, MONTH)
        if status == "approved" and (current is None or current.status != "approved"):
            pl.approve(s, SYSTEM, unit, MONTH)


def board_columns(at: AppTest) -> dict[str, str]:
    """Card title -> the board column it sits under (markdown comes in page order)."""
    headers = {t(f"plans.column.{c}"): c for c in ("not_started", "in_progress", "done", "late", "cancelled")}
    placed, column = {}, None
    for m in at.markdown:
        text = str(m.value)
        head = text.split("**")[1] if text.startswith("**") else None
        if head == t("plans.close.carry_title"):
            break  # the Month close tab
        if head in headers and "-badge[" in text:
            column = headers[head]
        elif column and head and text == f"**{head}**":
            placed[head] = column
    return placed


def grid_cells(at: AppTest) -> dict[tuple[str, str], str]:
    for chart in at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        if (spec.get("title") or {}).get("text") == t("plans.review.grid_title"):
            # the data travels as Arrow: the chart's own data, or its named datasets
            blobs = [chart.proto.data.data] if chart.proto.data.data else [d.data.data for d in chart.proto.datasets]
            rows = [r for blob in blobs for r in pa.ipc.open_stream(blob).read_all().to_pylist()]
            return {(r["unit"], r["month"]): r["status"] for r in rows if "status" in r and "month" in r}
    raise AssertionError("no status grid on the page")


# --- board -----------------------------------------------------------------------------


def test_board_shows_the_units_items_by_status(plans_db):
    _engine, entry, _units = plans_db
    at = open_plans(entry, "staff")
    assert at.title[0].value == t("nav.plans")
    labels = [tab.label for tab in at.tabs]  # the page's tabs, with the items table's inside
    assert {t(f"plans.tab.{name}") for name in ("board", "items", "report", "close", "charts")} <= set(labels)
    assert t("plans.tab.review") not in labels  # for heads and admins only
    assert board_columns(at) == {
        "低盐膳食健康教育讲座": "done",
        "利用集市开展健康咨询活动": "late",
        "对村卫生室人员工作进行检查督导": "late",
        "更换健康教育宣传栏": "cancelled",
    }
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("plans.metric.items")] == "4" and metrics[t("plans.metric.done")] == "1"
    assert metrics[t("plans.metric.rate")] == "33%" and metrics[t("plans.metric.overdue")] == "2"
    shown = texts(at, "markdown")
    assert "完成 1 / 目标 2 次" in shown and t("plans.card.overdue") in shown
    # the owner filter narrows the board
    at.multiselect(key="plans.filter.owner").select("王磊")
    at.run()
    assert board_columns(at) == {"对村卫生室人员工作进行检查督导": "late"}
    assert t("plans.filter.shown", shown=1, total=4) in texts(at, "caption")
    assert not (at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"))  # the Charts tab did not run
    open_tab(at, TABS, "plans.tab.charts")
    assert len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) == 4
    assert not board_columns(at)  # and now the board is closed


def test_a_progress_update_through_the_form_moves_the_item(plans_db):
    engine, entry, units = plans_db
    market = item(engine, units["cg"], "利用集市开展健康咨询活动")
    at = open_plans(entry, "staff")
    at.button(key="plans.progress.submit").click()  # nothing chosen: refused inline
    at.run()
    assert t("validation.required") in texts(at, "error")
    at.selectbox(key="plans.progress.item").select(market.id)
    at.text_area(key="plans.progress.note").input("在城关集市开展第二次健康咨询")
    at.number_input(key="plans.progress.quantity").set_value(1.0)
    at.number_input(key="plans.progress.pct").set_value(100)
    at.button(key="plans.progress.submit").click()
    at.run()
    assert not at.exception
    assert t("plans.progress.saved", title="利用集市开展健康咨询活动") in texts(at, "success")
    after = item(engine, units["cg"], "利用集市开展健康咨询活动")
    assert (after.status, after.progress_pct, after.actual_qty) == ("done", 100, 2)
    with transaction(engine) as s:
        update = s.scalar(select(ProgressUpdate).where(ProgressUpdate.item_id == market.id))
        assert update.note == "在城关集市开展第二次健康咨询" and update.by_name == "陈静"
    assert board_columns(at)["利用集市开展健康咨询活动"] == "done"


# --- the report cycle ------------------------------------------------------------------


def test_staff_submit_october_from_the_report_tab(plans_db):
    engine, entry, units = plans_db
    at = open_plans(entry, "staff", tab="report")
    summary = at.text_area(key="plans.report.summary")
    assert summary.value.startswith("2026年10月共安排计划事项 3 项")  # drafted from the items
    assert (
        "对村卫生室人员工作进行检查督导（未开始，进度 0%）：人手不足" in at.text_area(key="plans.report.problems").value
    )
    summary.input(summary.value + "\n另：完成秋季爱国卫生运动。")
    at.button(key="plans.report.submit").click()
    at.run()
    assert not at.exception
    saved = report(engine, units["cg"])
    assert saved.status == "submitted" and saved.submitted_by == "staff"
    assert saved.summary.endswith("另：完成秋季爱国卫生运动。")
    assert saved.due_date == dt.date(2026, 11, 6)  # the 5th working day of November

    assert saved.on_time == (saved.submitted_at.astimezone(clock.office_zone()).date() <= saved.due_date)
    flashed = t(
        "plans.report.submitted_on_time" if saved.on_time else "plans.report.submitted_late", month="2026年10月"
    )
    assert flashed in texts(at)
    assert at.button(key="plans.report.submit").disabled  # submitted: nothing more to send
    assert t("plans.report.waiting") in texts(at, "info")


def test_county_head_approves_from_the_review_tab(plans_db):
    engine, entry, units = plans_db
    ensure(engine, units["cg"], "submitted")
    at = open_plans(entry, "head", tab="review")
    assert t("plans.tab.review") in [tab.label for tab in at.tabs]
    assert at.selectbox(key="plans.review.unit").value == units["cg"]  # the one waiting is offered first
    at.selectbox(key="plans.review.month").select(MONTH)
    at.text_area(key="plans.review.report.workflow.comment").input("同意，请继续做好慢病随访。")
    at.button(key="plans.review.report.workflow.approve").click()
    at.run()
    assert not at.exception
    saved = report(engine, units["cg"])
    assert saved.status == "approved" and saved.locked and saved.reviewed_by == "head"
    assert saved.review_comment == "同意，请继续做好慢病随访。"
    with transaction(engine) as s:
        assert pl.is_locked(s, units["cg"], MONTH)
    assert t("plans.review.approved", unit="城关镇卫生院", month="2026年10月") in texts(at, "success")


def test_an_approved_month_refuses_edits_with_the_lock_message(plans_db):
    engine, entry, units = plans_db
    ensure(engine, units["cg"], "approved")
    lecture = item(engine, units["cg"], "低盐膳食健康教育讲座")
    at = open_plans(entry, "staff")
    assert t("plans.locked_banner", month="2026年10月") in texts(at, "warning")
    assert at.button(key="plans.progress.submit").disabled
    assert open_tab(at, TABS, "plans.tab.report").button(key="plans.report.submit").disabled
    # the items table's edit form (AppTest cannot click a table row: select it as a click would)
    at.session_state["plan_items.selected.id"] = lecture.id
    open_tab(at, TABS, "plans.tab.items")
    at.text_input(key="plan_items.edit.title").input("低盐膳食健康教育讲座（改）")
    at.button(key="FormSubmitter:plan_items.form.edit-" + t("records.save")).click()
    at.run()
    assert not at.exception
    assert t("validation.month_locked", month=MONTH) in texts(at, "error")
    assert item(engine, units["cg"], "低盐膳食健康教育讲座").version == lecture.version


def test_a_township_head_cannot_approve_its_own_townships_report(plans_db):
    engine, entry, units = plans_db
    ensure(engine, units["dg"], "submitted")
    at = open_plans(entry, "dg_head", tab="review")
    at.selectbox(key="plans.review.unit").select(units["dg"])
    at.selectbox(key="plans.review.month").select(MONTH)
    at.run()
    at.button(key="plans.review.report.workflow.approve").click()
    at.run()
    assert not at.exception
    assert t("plans.error.not_above") in texts(at, "error")
    assert report(engine, units["dg"]).status == "submitted"


def test_returning_needs_a_comment(plans_db):
    engine, entry, units = plans_db
    ensure(engine, units["qs"], "submitted")
    at = open_plans(entry, "head", tab="review")
    at.selectbox(key="plans.review.unit").select(units["qs"])
    at.selectbox(key="plans.review.month").select(MONTH)
    at.run()
    at.button(key="plans.review.report.workflow.return").click()
    at.run()
    assert t("validation.comment_required") in texts(at, "error")
    assert report(engine, units["qs"]).status == "submitted"
    at.text_area(key="plans.review.report.workflow.comment").input("请补充检查督导的原因说明")
    at.button(key="plans.review.report.workflow.return").click()
    at.run()
    saved = report(engine, units["qs"])
    assert saved.status == "returned" and saved.review_comment == "请补充检查督导的原因说明"
    staff_view = open_plans(entry, "head", unit=units["qs"], tab="report")
    assert "请补充检查督导的原因说明" in texts(staff_view, "warning")


def test_the_status_grid_shows_approved_and_overdue_cells(plans_db):
    engine, entry, units = plans_db
    ensure(engine, units["cg"], "approved")
    at = open_plans(entry, "head", tab="review")
    cells = grid_cells(at)
    assert cells[("城关镇卫生院", "2026年10月")] == "approved"
    assert cells[("北坡乡卫生院", "2026年10月")] == "overdue"  # nothing sent, past 6 November
    assert len({month for _, month in cells}) == 6  # May to October
    assert t("plans.review.legend") in texts(at, "caption")
    # the county has no items of its own: its board lists the units below instead
    open_tab(at, TABS, "plans.tab.board")
    below = next(d.value for d in at.dataframe if t("plans.below.overdue") in d.value.columns)
    assert set(below[t("plans.below.unit")]) == {"城关镇卫生院", "东关镇卫生院", "西河镇中心卫生院", "清水镇卫生院"}
    assert set(below[t("plans.below.items")]) == {len(ITEMS)}


def test_carry_over_creates_linked_items_next_month(plans_db):
    engine, entry, units = plans_db
    at = open_plans(entry, "head", unit=units["xh"], tab="close")
    assert at.button(key="plans.close.carry").label == t("plans.close.carry", count=2)
    at.button(key="plans.close.carry").click()
    at.run()
    assert not at.exception
    assert t("plans.close.carried", count=2, next="2026年11月") in texts(at, "success")
    with transaction(engine) as s:
        november = list(
            s.scalars(select(PlanItem).where(PlanItem.org_unit_id == units["xh"], PlanItem.month == "2026-11"))
        )
        assert sorted(i.title for i in november) == ["利用集市开展健康咨询活动", "对村卫生室人员工作进行检查督导"]
        for copy in november:
            original = s.get(PlanItem, copy.carried_from_id)
            assert copy.carried_over and original.month == MONTH and original.title == copy.title
            assert original.status == "postponed"
    assert at.button(key="plans.close.carry").disabled  # nothing left to carry


def test_copy_to_next_month_and_start_from_a_template(plans_db):
    engine, entry, units = plans_db
    at = open_plans(entry, "head", unit=units["qs"], tab="close")
    at.button(key="plans.close.copy").click()
    at.run()
    assert t("plans.close.copied", count=3, next="2026年11月") in texts(at, "success")  # the cancelled one stays
    # next month has items now: copying again asks first
    assert at.button(key="plans.close.copy").disabled
    assert t("plans.close.next_has", count=3, next="2026年11月") in texts(at, "warning")
    at.selectbox(key="plans.close.template").select("school_hygiene")
    at.radio(key="plans.close.template_month").set_value("2026-11")
    at.run()
    at.button(key="plans.close.apply_template").click()
    at.run()
    assert t("plans.close.applied", count=2, month="2026年11月") in texts(at, "success")
    with transaction(engine) as s:
        november = list(
            s.scalars(select(PlanItem).where(PlanItem.org_unit_id == units["qs"], PlanItem.month == "2026-11"))
        )
    assert len(november) == 5 and {i.status for i in november} == {"not_started"}
    assert {i.progress_pct for i in november} == {0}
    assert "突击检查寝室卫生" in {i.title for i in november}


def test_the_page_in_english(plans_db):
    _engine, entry, units = plans_db
    at = open_plans(entry, "head", unit=units["cg"], lang="en")
    assert at.title[0].value == "Monthly plans"
    assert {"Board", "Items", "Report", "Month close", "Review", "Charts"} <= {tab.label for tab in at.tabs}
    assert not at.error
