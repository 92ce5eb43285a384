"""The monthly cycle as people do it, in headless Chromium against a real `streamlit run`:
township staff submit last month's report on /plans, the county head approves it from
the Review tab (in a browser context of their own), and the staff's next attempt to
edit one of that month's items is refused with the lock message.

The server runs on a free port with its own SQLite database: the test tree, a staff
user of 东关镇卫生院 and a county head (password demo12345), and three items of last
month. Skipped without /usr/bin/chromium unless PORTAL_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from db.engine import make_engine, transaction
from db.models import MonthlyReport, OrgUnit, PlanItem
from portal import clock, periods
from portal.org.scope import SYSTEM
from portal.programmes.plans import specs as pl
from portal.records import service as records
from tests.browser_support import (
    DEMO_PASSWORD,
    MAIN,
    PHONE,
    Server,
    chromium,
    expect,
    goto,
    log_in,
    new_context,
    settle,
    streamlit_server,
    text,
)
from tests.conftest import make_tree, make_user

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = DEMO_PASSWORD
MONTH = periods.month_key(clock.today().replace(day=1) - dt.timedelta(days=1))  # last month
MONTH_LABEL = periods.label(MONTH, "zh-CN")
TOWNSHIP = "东关镇卫生院"  # make_tree's t1
ITEMS = (
    ("低盐膳食健康教育讲座", "done", 100),
    ("利用集市开展健康咨询活动", "in_progress", 50),
    ("对村卫生室人员工作进行检查督导", "not_started", 0),
)


# --- server and browser ---------------------------------------------------------------


def _seed(engine) -> None:
    ids = make_tree(engine)
    make_user(engine, "head", "head", ids["county"], password=PASSWORD)
    make_user(engine, "staff", "staff", ids["t1"], password=PASSWORD)
    last_day = periods.bounds(MONTH)[1]
    with transaction(engine) as s:
        for title, status, pct in ITEMS:
            records.create(
                s,
                SYSTEM,
                pl.PlanItemSpec,
                {
                    "org_unit_id": ids["t1"],
                    "month": MONTH,
                    "area": "he",
                    "title": title,
                    "owner_name": "陈静",
                    "status": status,
                    "progress_pct": pct,
                    "target_qty": 1,
                    "target_unit": "次",
                    "due_date": last_day,
                },
            )


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with streamlit_server("portal-plans-browser-", _seed) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


# --- helpers --------------------------------------------------------------------------


def open_month(page) -> None:
    """/plans with last month chosen in the sidebar."""
    goto(page, "/plans")
    expect(page, page.locator(f"{MAIN} h1", has_text=text("nav.plans")), "the Monthly plans heading")
    settle(page)
    picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text=text("shell.period"))
    picker.click()
    page.get_by_role("option", name=MONTH_LABEL, exact=True).click()
    expect(
        page,
        page.locator(f'{MAIN} [data-testid="stCaptionContainer"]', has_text=f" · {MONTH_LABEL}"),
        "the page switched to last month",
    )
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def tab(page, key: str) -> None:
    page.get_by_role("tab", name=text(key), exact=True).first.click()
    settle(page)


def report_row(url_db: str) -> MonthlyReport:
    engine = make_engine(url_db)
    try:
        with transaction(engine) as s:
            return s.scalar(select(MonthlyReport).where(MonthlyReport.month == MONTH))
    finally:
        engine.dispose()


# --- the test -------------------------------------------------------------------------


def test_submit_approve_and_the_lock(browser, server):
    url, url_db = server.url, server.db_url
    started = time.monotonic()

    staff = new_context(browser, url)
    page = staff.new_page()
    log_in(page, "staff")
    open_month(page)
    tab(page, "plans.tab.report")
    summary = page.get_by_label(text("plans.report.summary"), exact=True)
    assert summary.input_value().startswith(f"{MONTH_LABEL}共安排计划事项 3 项")  # drafted from the items
    page.locator(MAIN).locator("button", has_text=text("plans.report.submit")).click()
    flashed = page.get_by_text(text("plans.report.submitted_on_time", month=MONTH_LABEL)).or_(
        page.get_by_text(text("plans.report.submitted_late", month=MONTH_LABEL))
    )
    expect(page, flashed, "the submitted message")
    settle(page)
    assert report_row(url_db).status == "submitted"

    head = new_context(browser, url)
    review = head.new_page()
    log_in(review, "head")
    open_month(review)
    tab(review, "plans.tab.review")
    expect(
        review,
        review.get_by_text(
            text(
                "plans.review.pending",
                count=1,
                list=text("plans.review.pending_item", unit=TOWNSHIP, month=MONTH_LABEL),
            )
        ),
        "the report waiting for review",
    )
    review.locator(MAIN).locator("button", has_text=text("plans.review.approve")).click()
    expect(
        review,
        review.get_by_text(text("plans.review.approved", unit=TOWNSHIP, month=MONTH_LABEL)),
        "the approval message",
    )
    settle(review)
    row = report_row(url_db)
    assert row.status == "approved" and row.locked and row.reviewed_by == "head"
    head.close()

    again = staff.new_page()  # a new session, signed in by the cookie
    open_month(again)
    expect(again, again.get_by_text(text("plans.locked_banner", month=MONTH_LABEL)), "the lock banner")
    tab(again, "plans.tab.items")
    table = again.locator(f'{MAIN} [data-testid="stDataFrame"]').first
    expect(again, table, "the items table")
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    again.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
    settle(again)
    save = again.locator(MAIN).locator("button", has_text=text("records.save"))
    expect(again, save, "the edit form")
    title_label = pl.PlanItemSpec.field("title").label("zh-CN") + " *"
    # .first: the edit form comes before the add tab's form, which has the same field
    again.locator(MAIN).get_by_label(title_label, exact=True).first.fill("低盐膳食健康教育讲座（补充）")
    save.first.click()
    expect(again, again.get_by_text(text("validation.month_locked", month=MONTH)), "the lock message")
    settle(again)
    engine = make_engine(url_db)
    try:
        with transaction(engine) as s:
            titles = set(s.scalars(select(PlanItem.title).where(PlanItem.month == MONTH)))
    finally:
        engine.dispose()
    assert titles == {title for title, _, _ in ITEMS}  # nothing changed
    staff.close()
    assert time.monotonic() - started < 90, "the cycle took too long in the browser"


# --- a returned report, sent again and approved, on a desk and on a phone ---------------

RETURNED = {"t2": "西河镇卫生院", "school": "示范县第一中学"}
COMMENT = "请补充入户随访人数。"


def _returned_and_sent_again(url_db: str, code: str) -> None:
    """The unit submitted last month, the county returned it with a comment, and the unit
    sent it again: it waits for the head."""
    engine = make_engine(url_db)
    try:
        with transaction(engine) as s:
            unit_id = s.scalar(select(OrgUnit.id).where(OrgUnit.code == code))
            pl.submit(s, SYSTEM, unit_id, MONTH, summary="本月完成计划事项 5 项。", problems="无", next_plan="继续")
            pl.return_report(s, SYSTEM, unit_id, MONTH, COMMENT)
            pl.submit(s, SYSTEM, unit_id, MONTH, summary="本月完成计划事项 5 项，入户随访 126 人。")
    finally:
        engine.dispose()


def _report_of(url_db: str, code: str) -> MonthlyReport:
    engine = make_engine(url_db)
    try:
        with transaction(engine) as s:
            unit = s.scalar(select(OrgUnit.id).where(OrgUnit.code == code))
            mine = (MonthlyReport.org_unit_id == unit, MonthlyReport.month == MONTH)
            return s.scalar(select(MonthlyReport).where(*mine))
    finally:
        engine.dispose()


def _on_screen(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


@pytest.mark.parametrize(("code", "viewport"), [("t2", None), ("school", PHONE)], ids=["desktop", "phone"])
def test_head_approves_a_report_sent_again_after_a_return(browser, server, code, viewport):
    """From sign-in: /plans opens on the review tab (the head has units below), the grid on
    a desk or the list per unit on a phone; the report waiting is chosen with its earlier
    return comment; one click approves it and the confirmation is on screen."""
    _returned_and_sent_again(server.db_url, code)
    name, phone = RETURNED[code], viewport is not None
    ctx = new_context(browser, server.url, viewport=viewport)
    try:
        page = ctx.new_page()
        log_in(page, "head")
        goto(page, f"/plans?month={MONTH}")  # as a home-page link does: the month chosen
        expect(page, page.get_by_role("tab", name=text("plans.tab.review"), selected=True), "the review tab, open")
        settle(page)
        grid, listed = page.locator(".st-key-plans-review-grid"), page.locator(".st-key-plans-review-list")
        if phone:
            expect(page, listed.get_by_text(name), "the unit in the phone's list")
            assert not grid.is_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        else:
            expect(page, grid.locator("canvas, svg"), "the review grid")
            assert not listed.is_visible()
        expect(page, page.locator(MAIN).get_by_text(f"{name} · {MONTH_LABEL}"), "the waiting report, chosen")
        expect(page, page.get_by_text(text("plans.review.last_comment", comment=COMMENT)), "the earlier comment")
        button = page.locator(MAIN).locator("button", has_text=text("plans.review.approve"))
        button.scroll_into_view_if_needed()
        button.click()
        done = page.get_by_text(text("plans.review.approved", unit=name, month=MONTH_LABEL))
        expect(page, done, "the approval message")
        assert any(_on_screen(page, done.nth(i)) for i in range(done.count())), "the confirmation is off screen"
        settle(page)
    finally:
        ctx.close()
    row = _report_of(server.db_url, code)
    assert row.status == "approved" and row.locked and row.reviewed_by == "head"
