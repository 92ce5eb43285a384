"""The home page as each role sees it (AppTest, demo county frozen at 30 November 2026):
what they have to do today with links to where it is done, the head's table of the units
below, and a link's unit/month/view choosing the sidebar and the tab on arrival."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from db.models import OrgUnit
from portal import clock
from portal.i18n import t
from tests.conftest import demo_engine, open_tab, served_app

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, str]]:
    with clock.frozen(DAY):
        engine = demo_engine("sqlite", tmp_path_factory.mktemp("homepage"))
    with served_app(tmp_path_factory, engine) as entry:
        yield engine, entry
    engine.dispose()


def open_page(
    entry: str, username: str, page: str, lang: str = "zh-CN", query: dict[str, str] | None = None
) -> AppTest:
    at = AppTest.from_file(entry, default_timeout=60)
    for key, value in {"authentication_status": True, "username": username, "lang": lang}.items():
        at.session_state[key] = value
    with clock.frozen(DAY):
        if lang == "zh-CN":  # (English goes straight to the page, as in test_plans_ui)
            at.run()
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.switch_page(str(ROOT / page))
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "subheader", "success", "code")
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(str(m.value) for k in kinds for m in getattr(at, k)))


def links(at: AppTest) -> list[tuple[str, str]]:
    """(page file, query) of every link in the main area's to-do lines."""
    found = []
    for element in at.main.get("page_link"):
        proto = element.proto
        found.append((proto.page, proto.query_string))
    return found


def test_the_county_head_sees_reviews_missing_units_and_the_units_table(county) -> None:
    engine, entry = county
    at = open_page(entry, "head", "pages/home.py")
    shown = texts(at)
    assert t("home.todo.title", "zh-CN") in shown
    assert "份月报等待审核" in shown or "等待" in shown
    assert "未报" in shown  # the units that did not report, with a reminder to copy
    reminder = [c.value for c in at.code]
    assert reminder and "2026年10月" in reminder[0]
    frame = at.dataframe[0].value
    data = frame.data if hasattr(frame, "data") else frame  # a Styler or a DataFrame
    with transaction(engine) as s:
        county_id = s.scalar(select(OrgUnit.id).where(OrgUnit.code == "county"))
        below = set(s.scalars(select(OrgUnit.name_zh).where(OrgUnit.parent_id == county_id, OrgUnit.active.is_(True))))
    assert set(data[t("home.overview.unit", "zh-CN")]) == below
    assert any("10月" in column for column in data.columns)


def test_staff_see_their_report_or_theme_days_with_links(county) -> None:
    _, entry = county
    at = open_page(entry, "staff", "pages/home.py")
    shown = texts(at)
    assert "世界艾滋病日" in shown  # 1 December, the next day
    pages = [page for page, _ in links(at)]
    assert "education" in pages and ("education", "view=add") in links(at)


def test_english_home_has_no_chinese_punctuation_in_its_own_words(county) -> None:
    _, entry = county
    at = open_page(entry, "head", "pages/home.py", lang="en")
    assert t("home.todo.title", "en") in texts(at)
    assert [s.value for s in at.subheader][0:1] != []


def test_a_link_chooses_the_month_and_the_review_tab(county) -> None:
    _, entry = county
    at = open_page(entry, "head", "pages/plans.py", query={"view": "review", "month": "2026-09"})
    assert at.session_state["shell.period"] == "2026-09"
    assert at.session_state["plans.tabs.view"] == t("plans.tab.review", "zh-CN")
    assert "view" not in at.query_params and "month" not in at.query_params


def test_a_head_of_units_below_opens_plans_on_their_grid(county) -> None:
    _, entry = county
    at = open_page(entry, "head", "pages/plans.py")
    assert at.session_state["plans.tabs.view"] == t("plans.tab.review", "zh-CN")
    staff = open_page(entry, "staff", "pages/plans.py")
    assert staff.session_state["plans.tabs.view"] == t("plans.tab.board", "zh-CN")


def test_a_theme_day_link_opens_the_add_form(county) -> None:
    _, entry = county
    at = open_page(entry, "staff", "pages/education.py", query={"view": "add"})
    assert at.session_state["he_activities.tabs.view"] == t("records.tab.add", "zh-CN")


def test_a_plan_item_s_month_is_picked_and_defaults_to_the_sidebar_s(county) -> None:
    _, entry = county
    at = open_page(entry, "staff", "pages/plans.py", query={"month": "2026-10"})
    with clock.frozen(DAY):  # only the open tab runs: the items tab, then its records' add tab
        open_tab(at, "plans.tabs.view", "plans.tab.items")
        open_tab(at, "plan_items.tabs.view", "records.tab.add")
    picker = at.selectbox(key="plan_items.add.month")
    assert picker.value == "2026-10"
    assert picker.options[0] == "2026年12月" and "2026年11月" in picker.options  # next month first, then back
    assert not [w for w in at.text_input if w.key == "plan_items.add.month"]
