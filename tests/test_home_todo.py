"""What each role's home page says they have to do, on the demo county as of 30 November
2026: the plans area's lines and a head's table of the units below."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from db.engine import transaction
from db.models import OrgUnit, User
from portal import apps, clock
from portal.org.scope import actor_for
from portal.programmes.plans import home
from tests.conftest import demo_engine

DAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with clock.frozen(DAY):
        engine = demo_engine("sqlite", tmp_path_factory.mktemp("home"))
    yield engine
    engine.dispose()


def actor(engine: Engine, username: str):
    with transaction(engine) as s:
        return actor_for(s, s.scalar(select(User).where(User.username == username)))


def test_the_county_head_sees_reports_to_review_and_units_that_did_not_report(county: Engine) -> None:
    head = actor(county, "head")
    with transaction(county) as s:
        lines = {line.kind: line for line in home.todo(s, head, DAY, "zh-CN")}
        qs = s.scalar(select(OrgUnit.name_zh).where(OrgUnit.code == "qs"))
    assert lines["reviews_waiting"].count and lines["reviews_waiting"].page == "plans"
    assert lines["reviews_waiting"].query == {"view": "review", "month": "2026-10"}
    missing = lines["units_missing"]
    assert qs in missing.detail and qs in missing.copy_text and "2026年10月" in missing.copy_text
    assert missing.severity == "error"


def test_a_township_sees_its_report_returned_or_due(county: Engine) -> None:
    staff = actor(county, "staff")  # 城关镇: a keen unit, its October report waits for review
    dg_head = actor(county, "dg_head")
    with transaction(county) as s:
        staff_kinds = {line.kind for line in home.todo(s, staff, DAY, "zh-CN")}
        dg = {line.kind for line in home.todo(s, dg_head, DAY, "en")}
    assert "report_overdue" not in staff_kinds and "report_returned" not in staff_kinds
    assert "report_overdue" not in dg


def test_the_head_s_table_has_a_column_per_figure_and_no_data_is_not_red(county: Engine) -> None:
    head = actor(county, "head")
    with transaction(county) as s:
        units = {u.code: u.id for u in s.scalars(select(OrgUnit).where(OrgUnit.code.in_(("cg", "qs", "cdc"))))}
        columns = {c.key: c for c in home.overview(s, head, list(units.values()), DAY, "zh-CN")}
    assert set(columns) == {"plans_this", "plans_last", "report_last", "items_late"}
    report = columns["report_last"]
    assert report.values[units["qs"]] == "逾期未报" and report.severity[units["qs"]] == "error"
    assert report.values[units["cdc"]] == "—" and report.severity[units["cdc"]] == "none"  # the CDC does not plan
    assert columns["plans_last"].values[units["cg"]].endswith("）")  # "95%（19 / 20）"
    assert {"plans", "education"} <= {m.code for m in apps.manifests() if m.home}
