"""Indicators computed from records, rolled up the tree; targets, expected-by-today and
status; assignment (下达) and scoping of targets."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from db.engine import transaction
from db.models import HeActivity, Indicator, OrgUnit, Target
from portal import clock
from portal.errors import PermissionDenied, ValidationError
from portal.metrics import indicators as ind
from portal.metrics import library as indicator_library
from portal.metrics import targets as tg
from portal.org import units as orgunits
from portal.org.scope import SYSTEM
from portal.records import service as rs
from tests.conftest import make_user

D = dt.date
MARCH_10 = D(2026, 3, 10)


def units(engine, *codes):
    with transaction(engine) as s:
        rows = s.execute(select(OrgUnit.code, OrgUnit.id, OrgUnit.path).where(OrgUnit.code.in_(codes))).all()
    by_code = {c: ind.UnitRef(i, p) for c, i, p in rows}
    return [by_code[c] for c in codes]


def bulk(engine, unit_id, n, day=MARCH_10, **values):
    row = {
        "org_unit_id": unit_id,
        "activity_date": day,
        "activity_type": "lecture",
        "title": "x",
        "participants": 10,
        "version": 1,
        "created_at": clock.now(),
        "updated_at": clock.now(),
        **values,
    }
    with transaction(engine) as s:
        s.execute(insert(HeActivity), [row] * n)


def lectures():
    return ind.parse_definition(
        {"kind": "aggregate", "record": "he_activities", "agg": "count", "filters": {"activity_type": "lecture"}}
    )


# --- definitions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"kind": "median"}', "'kind' must be one of"),
        ('{"record": "he_activities", "agg": "avg"}', "'agg' must be one of"),
        ('{"record": "he_activities", "agg": "sum"}', "needs a 'field'"),
        ('{"record": "he_activities", "filters": {"colour": "red"}}', "has no field 'colour'"),
        ('{"kind": "ratio", "numerator": {"record": "he_activities"}}', "denominator: expected an object"),
        ('{"kind": "per_population", "numerator": {"record": "he_activities"}, "population": "dogs"}', "'population'"),
        ('{"record": "he_activities", "factor": 0}', "'factor' must be a positive number"),
    ],
)
def test_bad_definitions_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        ind.parse_definition(text)


def test_pending_record_types_are_allowed_and_every_template_parses():
    assert ind.parse_definition('{"record": "training_assessments", "filters": {"passed": true}}')
    for template in indicator_library.builtin():
        ind.parse_definition(template["definition"])
        ind.parse_profile(template["profile"])
        assert template["source"]


@pytest.mark.parametrize(
    "text, points", [("pro_rata", []), ("", []), ("6:30,9:80,12:100", [(6, 30.0), (9, 80.0), (12, 100.0)])]
)
def test_profiles(text, points):
    assert ind.parse_profile(text) == points


@pytest.mark.parametrize("bad", ["9:80,6:30", "6:90,9:80", "13:100", "x"])
def test_bad_profiles(bad):
    with pytest.raises(ValueError):
        ind.parse_profile(bad)


# --- computation on known data -----------------------------------------------------------


def test_counts_roll_up_the_tree(engine, tree):
    bulk(engine, tree["t1v1"], 3)
    bulk(engine, tree["t1"], 2)
    bulk(engine, tree["t2v1"], 4)
    bulk(engine, tree["t2v1"], 5, activity_type="board")
    bulk(engine, tree["t2v1"], 1, day=D(2025, 12, 31))  # other year
    bulk(engine, tree["t2"], 1, deleted_at=clock.now())  # in the trash
    refs = units(engine, "county", "t1", "t1v1", "t2", "school")
    with transaction(engine) as s:
        got = ind.compute(s, lectures(), refs, D(2026, 1, 1), D(2026, 12, 31))
    assert {u: got[r.id].actual for u, r in zip(["county", "t1", "t1v1", "t2", "school"], refs)} == {
        "county": 9,
        "t1": 5,
        "t1v1": 3,
        "t2": 4,
        "school": 0,
    }


def test_closure_rate_1038_of_1314_is_79_percent(engine, tree):
    # 004 篇7: 1,314 cases received, 1,038 closed. HE records stand in for the cases:
    # consultations play "closed", lectures the rest.
    bulk(engine, tree["t1"], 1038, activity_type="consultation")
    bulk(engine, tree["t1"], 276, activity_type="lecture")
    definition = ind.parse_definition(
        {
            "kind": "ratio",
            "factor": 100,
            "numerator": {"record": "he_activities", "filters": {"activity_type": "consultation"}},
            "denominator": {"record": "he_activities"},
        }
    )
    [t1] = units(engine, "t1")
    with transaction(engine) as s:
        value = ind.compute(s, definition, [t1], D(2026, 1, 1), D(2026, 12, 31))[t1.id]
    assert (value.numerator, value.denominator) == (1038, 1314)
    assert round(value.actual) == 79 and abs(value.actual - 78.995) < 0.001


def test_coverage_against_population_with_children_fallback(engine, tree):
    with transaction(engine) as s:
        orgunits.set_population(s, SYSTEM, tree["t1v1"], 2026, "resident", 2000)
        orgunits.set_population(s, SYSTEM, tree["t2"], 2025, "resident", 10000)  # latest up to the year
    bulk(engine, tree["t1v1"], 10, participants=60)  # 600 people
    bulk(engine, tree["t2"], 5, participants=100)
    definition = ind.parse_definition(
        {
            "kind": "per_population",
            "population": "resident",
            "factor": 100,
            "numerator": {"record": "he_activities", "agg": "sum", "field": "participants"},
        }
    )
    t1, t2, county = units(engine, "t1", "t2", "county")
    with transaction(engine) as s:
        got = ind.compute(s, definition, [t1, t2, county], D(2026, 1, 1), D(2026, 12, 31))
    assert got[t1.id].actual == 30.0  # t1 has no figure: its village's 2,000
    assert got[t2.id].actual == 5.0
    assert got[county.id].denominator == 12000 and got[county.id].numerator == 1100


def test_unavailable_record_type(engine, tree):
    definition = ind.parse_definition('{"record": "vaccination_sessions"}')  # an area not built yet
    [t1] = units(engine, "t1")
    with transaction(engine) as s:
        value = ind.compute(s, definition, [t1], D(2026, 1, 1), D(2026, 12, 31))[t1.id]
    assert value == ind.UNAVAILABLE


def test_monthly_series_in_one_query(engine, tree):
    bulk(engine, tree["t1v1"], 2, day=D(2026, 1, 5))
    bulk(engine, tree["t1"], 3, day=D(2026, 3, 31))
    t1, county = units(engine, "t1", "county")
    with transaction(engine) as s:
        series = ind.aggregate_series(s, lectures().numerator, [t1, county], D(2026, 1, 1), D(2026, 12, 31))
    assert series[t1.id] == {"2026-01": 2, "2026-03": 3}
    assert series[county.id] == {"2026-01": 2, "2026-03": 3}


# --- expected by today and status ------------------------------------------------------------


@pytest.mark.parametrize(
    "today, profile, share",
    [
        (D(2026, 6, 30), "6:30,9:80,12:100", 0.30),
        (D(2026, 9, 30), "6:30,9:80,12:100", 0.80),
        (D(2026, 12, 31), "6:30,9:80,12:100", 1.0),
        (D(2025, 12, 31), "6:30,9:80,12:100", 0.0),
        (D(2026, 7, 2), "pro_rata", 183 / 365),
    ],
)
def test_expected_share(today, profile, share):
    assert abs(tg.expected_share("2026", today, profile) - share) < 0.002


def test_expected_share_between_milestones_is_linear():
    mid = tg.expected_share("2026", D(2026, 8, 15), "6:30,9:80,12:100")
    assert 0.30 < mid < 0.80


@pytest.mark.parametrize(
    "actual, target, expected, comparator, over, status",
    [
        (4, 4, 3.6, ">=", False, "met"),
        (3, 4, 2.0, ">=", False, "on_track"),
        (1, 4, 3.6, ">=", False, "behind"),
        (0, 4, 3.6, ">=", False, "not_started"),
        (3, 4, 4.0, ">=", True, "missed"),
        (None, None, None, ">=", False, "no_target"),
        (None, 90, 90, ">=", True, "no_data"),  # nothing to measure: grey, not "missed"
        (0, 0, 0, "<=", False, "on_track"),
        (2, 0, 0, "<=", True, "missed"),
        (2, 5, 1.0, "<=", True, "met"),
    ],
)
def test_status(actual, target, expected, comparator, over, status):
    assert tg.status_of(actual, target, expected, comparator, over) == status


# --- targets: assignment, scoping, progress --------------------------------------------------


@pytest.fixture
def library(engine):
    with transaction(engine) as s:
        indicator_library.ensure_builtin(s)


def test_templates_load_once(engine, library):
    with transaction(engine) as s:
        assert indicator_library.ensure_builtin(s) == 0
        assert s.scalar(select(func.count()).select_from(Indicator)) == len(indicator_library.builtin())


def test_head_assigns_targets_to_townships_who_see_their_own(engine, tree, library):
    head = make_user(engine, "county_head", "head", tree["county"])
    t1head = make_user(engine, "t1head", "head", tree["t1"])
    with transaction(engine) as s:
        counts = tg.assign(s, head, "HE-01", "2026", {tree["t1"]: 6, tree["t2"]: 4}, split_months=True)
    assert counts["created"] == 26  # 2 yearly + 24 monthly
    with transaction(engine) as s:
        monthly = s.scalar(select(Target.value).where(Target.period == "2026-03", Target.org_unit_id == tree["t1"]))
        assert monthly == 0.5
        seen = rs.list_page(s, t1head, tg.TargetSpec)
        assert {t.org_unit_id for t in seen.rows} == {tree["t1"]} and seen.total == 13
    # re-assigning changes values in place; None clears (soft delete, restorable)
    with transaction(engine) as s:
        counts = tg.assign(s, head, "HE-01", "2026", {tree["t1"]: 5, tree["t2"]: None})
    assert counts["updated"] == 1 and counts["deleted"] == 13
    with transaction(engine) as s:
        he01 = s.scalar(select(Indicator).where(Indicator.code == "HE-01"))
        he05 = s.scalar(select(Indicator).where(Indicator.code == "HE-05"))
        got = tg.targets_for(s, he01, [tree["t1"], tree["t2"], tree["t2v1"], tree["county"]], "2026")
        # t2 was cleared: nothing set below it either, so the per-unit norm; the county
        # adds up what its townships were set
        assert got == {tree["t1"]: 5, tree["t2"]: 4, tree["t2v1"]: 4, tree["county"]: 5}
        # a rate's default is a norm for everyone
        assert tg.targets_for(s, he05, [tree["t2"], tree["county"]], "2026") == {tree["t2"]: 50, tree["county"]: 50}


def test_the_target_s_origin_is_told_and_a_parent_that_differs_from_its_units_shows(engine, tree, library):
    head = make_user(engine, "county_head", "head", tree["county"])
    with transaction(engine) as s:
        tg.assign(s, head, "HE-01", "2026", {tree["t1"]: 6, tree["t2"]: 4})
        he01 = s.scalar(select(Indicator).where(Indicator.code == "HE-01"))
        origin = tg.target_origin(s, he01, tree["county"], "2026")
        assert (origin.source, origin.below) == ("children", 10)  # the county adds up its townships
        assert tg.targets_for(s, he01, [tree["county"]], "2026")[tree["county"]] == origin.below
        assert tg.target_origin(s, he01, tree["t1"], "2026").source == "own"
        assert tg.target_origin(s, he01, tree["t1v1"], "2026").source == "default"
        rs.create(
            s,
            SYSTEM,
            tg.TargetSpec,
            {"indicator_code": "HE-01", "org_unit_id": tree["county"], "period": "2026", "value": 8},
        )
    with transaction(engine) as s:
        origin = tg.target_origin(s, he01, tree["county"], "2026")
        assert (origin.source, origin.below) == ("own", 10)  # own wins; the page says the units add to 10


def test_targets_come_from_above(engine, tree, library):
    t1head = make_user(engine, "t1head", "head", tree["t1"])
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        tg.assign(s, t1head, "HE-01", "2026", {tree["t1"]: 9})
    assert info.value.errors[0].key == "validation.target_own_unit"
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        tg.assign(s, t1head, "HE-01", "2026", {tree["t2"]: 9})  # another township
    assert info.value.errors[0].key == "validation.org_unit"
    with transaction(engine) as s:
        tg.assign(s, t1head, "HE-01", "2026", {tree["t1v1"]: 2})  # its own village: fine
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        tg.assign(s, staff, "HE-01", "2026", {tree["t1v1"]: 3})
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        tg.assign(s, SYSTEM, "HE-01", "2026Q1", {tree["t1"]: 1})  # HE-01 is yearly
    assert info.value.errors[0].key == "validation.period_kind"
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        tg.assign(s, SYSTEM, "NOPE", "2026", {tree["t1"]: 1})
    assert info.value.errors[0].field == "indicator_code"


def test_progress_from_records_and_targets(engine, tree, library):
    head = make_user(engine, "county_head", "head", tree["county"])
    with transaction(engine) as s:
        tg.assign(s, head, "HE-01", "2026", {tree["t1"]: 4, tree["t2"]: 4})
    bulk(engine, tree["t1v1"], 4)
    bulk(engine, tree["t2"], 1)
    t1, t2, school = units(engine, "t1", "t2", "school")
    with transaction(engine) as s:
        he01 = s.scalar(select(Indicator).where(Indicator.code == "HE-01"))
        rows = {p.unit_id: p for p in tg.progress(s, he01, [t1, t2, school], "2026-11", D(2026, 11, 23))}
        assert (rows[t1.id].actual, rows[t1.id].target, rows[t1.id].pct, rows[t1.id].status) == (4, 4, 100, "met")
        assert rows[t2.id].status == "behind" and rows[t2.id].period == "2026"
        assert abs(rows[t2.id].expected - 4 * 327 / 365) < 0.01
        assert rows[school.id].target == 4 and rows[school.id].status == "not_started"  # the norm
        trained = s.scalar(select(Indicator).where(Indicator.code == "TR-PASS"))  # training exists now
        assert tg.progress(s, trained, [t1], "2026", D(2026, 11, 23))[0].status != "unavailable"
        actual, expected, _milestones, target = tg.cumulative_series(s, he01, t1, "2026", D(2026, 11, 23))
        assert actual[2] == (D(2026, 3, 31), 4) and actual[-1] == (D(2026, 11, 23), 4)
        assert target == 4 and expected[-1] == (D(2026, 12, 31), 4)
