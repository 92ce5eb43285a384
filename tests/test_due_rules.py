"""Monthly-report due rules (issue 8, defect 2): a rule is accepted only when every month
can meet it, a due date is computed for any rule already stored (never an exception),
and only a head above a unit, or an admin, sets that unit's rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from portal.cli import main
from portal.errors import ValidationError
from portal.org import calendars
from portal.org import units as orgunits
from portal.org.scope import SYSTEM, Actor
from portal.programmes.plans import specs as plans
from portal.programmes.plans import view as pv
from portal.records import service as rs
from tests.conftest import make_user, served_app

ROOT = Path(__file__).resolve().parents[1]
STORED = ["day:31", "day:29", "day:99", "workday:23", "workday:99", "workday:0", "garbage", "", None]


def set_rule(engine: Engine, actor: Actor, unit: int, rule: str) -> None:
    with transaction(engine) as s:
        orgunits.update(s, actor, unit, {"report_due_rule": rule})


@pytest.mark.parametrize("rule", ["day:31", "day:29", "day:99", "workday:23", "workday:16", "workday:0", "day:0"])
def test_a_rule_some_month_cannot_meet_is_refused_naming_the_field(engine, tree, rule):
    with pytest.raises(ValidationError) as info:
        set_rule(engine, SYSTEM, tree["t1"], rule)
    assert [e.field for e in info.value.errors] == ["report_due_rule"]


@pytest.mark.parametrize("rule", ["day:28", "day:1", "workday:15", "workday:1", "month_end"])
def test_rules_every_month_can_meet_are_accepted(engine, tree, rule):
    set_rule(engine, SYSTEM, tree["t1"], rule)


@pytest.mark.parametrize("rule", STORED)
def test_a_due_date_is_computed_for_any_stored_rule(rule):
    calendar = calendars.WorkCalendar()
    for year in (2026, 2027, 2100):
        for month in range(1, 13):
            key = f"{year}-{month:02d}"
            due = calendars.due_date(calendar, key, rule)  # never raises
            first, last = dt.date(year, month, 1), dt.date(year + (month == 12), month % 12 + 1, 1)
            assert first <= due < last + dt.timedelta(days=31), (key, rule, due)


def test_day_rules_are_clamped_and_workday_rules_fall_back_to_the_last_working_day():
    calendar = calendars.WorkCalendar()
    assert calendars.due_date(calendar, "2026-01", "day:31") == dt.date(2026, 2, 28)
    assert calendars.due_date(calendar, "2026-01", "workday:99") == dt.date(2026, 2, 28)  # Saturday make-up day
    holidays = calendars.WorkCalendar.with_days(
        calendars.RecordedDay(dt.date(2027, 2, 1) + dt.timedelta(days=i), False) for i in range(28)
    )
    assert calendars.due_date(holidays, "2027-01", "workday:5") == dt.date(2027, 2, 28)  # no working day at all


def test_plans_and_the_cli_survive_bad_rules_already_in_the_database(
    engine, tree, tmp_path, tmp_path_factory, monkeypatch
):
    head = make_user(engine, "head", "head", tree["county"])
    with transaction(engine) as s:
        rs.create(s, head, plans.PlanItemSpec, {"org_unit_id": tree["t1"], "month": "2026-10", "title": "讲座"})
        for code, rule in (("t1", "day:31"), ("t2", "workday:23"), ("t1v1", "garbage")):
            s.execute(text("UPDATE org_units SET report_due_rule = :r WHERE code = :c"), {"r": rule, "c": code})
    with transaction(engine) as s:
        cells = plans.grid(s, head, list(tree.values()), ["2026-01", "2026-10"], dt.date(2026, 11, 30))
        assert cells[(tree["t1"], "2026-01")].due == dt.date(2026, 2, 28)
        pv.report_state(s, head, tree["t1"], "2026-10", dt.date(2026, 11, 30))
    with served_app(tmp_path_factory, engine) as entry:
        at = AppTest.from_file(entry, default_timeout=60)
        for key, value in {"authentication_status": True, "username": "head", "lang": "zh-CN"}.items():
            at.session_state[key] = value
        at.session_state["shell.period"] = "2026-10"
        at.run()
        at.switch_page(str(ROOT / "pages/plans.py"))
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    out = tmp_path / "r.docx"
    assert main(["report", "month", "--unit", "t1", "--period", "2026-01", "-o", str(out)]) == 0
    assert out.stat().st_size > 0


def test_only_a_head_above_a_unit_sets_its_rule(engine, tree):
    township_head = make_user(engine, "t1head", "head", tree["t1"])
    county_head = make_user(engine, "head", "head", tree["county"])
    admin = make_user(engine, "root", "admin", tree["t1"])
    with pytest.raises(ValidationError) as info:
        set_rule(engine, township_head, tree["t1"], "day:2")  # its own unit
    assert [(e.field, e.key) for e in info.value.errors] == [("report_due_rule", "validation.due_rule_not_above")]
    set_rule(engine, township_head, tree["t1v1"], "day:2")  # a village below it
    set_rule(engine, county_head, tree["t1"], "day:3")
    set_rule(engine, admin, tree["t1"], "day:4")  # an admin may, even its own unit
    # the township head may still rename its own unit, as long as the rule stays
    with transaction(engine) as s:
        orgunits.update(s, township_head, tree["t1"], {"name_zh": "东关镇中心卫生院", "report_due_rule": "day:4"})
