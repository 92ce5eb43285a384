"""The generic record services on real databases: validation, scoping, audit, soft
delete and restore, history and revert, and stale edits refused across two sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import transaction
from db.models import AuditEntry, HeActivity, OrgUnit, User
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.org import units as orgunits
from portal.org import users
from portal.org.scope import SYSTEM
from portal.programmes.education.specs import HeActivitySpec as HE
from portal.records import service as rs
from portal.records.service import Filters, StaleRecord
from tests.conftest import make_user

LECTURE = {
    "activity_date": "2026-03-24",
    "activity_type": "lecture",
    "title": "结核病防治知识讲座",
    "participants": "56",
    "theme_day": "世界防治结核病日",
    "venue": "村委会",
}


def add(engine, actor, **overrides):
    with transaction(engine) as s:
        return rs.create(s, actor, HE, {**LECTURE, **overrides}).id


def rows(engine, model=HeActivity, **where):
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(model).filter_by(**where))


# --- validation ------------------------------------------------------------------------


def test_create_parses_raw_text_and_resolves_unit_codes(engine, tree):
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    rid = add(engine, staff, org_unit_id="t1v1", participants="1,200", activity_date="2026/3/24")
    with transaction(engine) as s:
        obj = s.get(HeActivity, rid)
        assert (obj.org_unit_id, obj.participants, obj.activity_date) == (tree["t1v1"], 1200, dt.date(2026, 3, 24))


@pytest.mark.parametrize(
    "overrides, field, key",
    [
        ({"activity_date": "2026-02-30"}, "activity_date", "validation.type_date"),
        ({"activity_type": "party"}, "activity_type", "validation.choice"),
        ({"title": ""}, "title", "validation.required"),
        ({"title": "长" * 201}, "title", "validation.too_long"),
        ({"participants": "-3"}, "participants", "validation.min"),
        ({"participants": "2.5"}, "participants", "validation.type_int"),
        ({"participants": "0"}, "participants", "validation.lecture_participants"),
        ({"org_unit_id": "t2"}, "org_unit_id", "validation.unit_outside"),  # another township: said so
        ({"org_unit_id": "nowhere"}, "org_unit_id", "validation.org_unit_unknown"),
    ],
)
def test_bad_values_name_the_field_and_save_nothing(engine, tree, overrides, field, key):
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    with pytest.raises(ValidationError) as info:
        add(engine, staff, **{"org_unit_id": "t1", **overrides})
    assert [(e.field, e.key) for e in info.value.errors] == [(field, key)]
    assert rows(engine) == 0
    assert rows(engine, AuditEntry, record_type="he_activities") == 0


def test_every_bad_field_is_reported_at_once(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    with pytest.raises(ValidationError) as info:
        add(engine, admin, org_unit_id="", activity_date="soon", activity_type="x", title="")
    assert {e.field for e in info.value.errors} == {"org_unit_id", "activity_date", "activity_type", "title"}


def test_choice_labels_are_accepted_in_either_language(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    a = add(engine, admin, org_unit_id="t1", activity_type="健康讲座")
    b = add(engine, admin, org_unit_id="t1", activity_type="Consultation day")
    with transaction(engine) as s:
        assert [s.get(HeActivity, i).activity_type for i in (a, b)] == ["lecture", "consultation"]


# --- scoping and permissions ----------------------------------------------------------


def test_lists_counts_and_gets_are_scoped(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    for code in ("t1", "t1v1", "t2", "t2v1", "t2v1"):
        add(engine, admin, org_unit_id=code)
    t1 = make_user(engine, "t1head", "head", tree["t1"])
    t2 = make_user(engine, "t2staff", "staff", tree["t2"])
    with transaction(engine) as s:
        assert rs.list_page(s, t1, HE).total == 2
        assert rs.list_page(s, t2, HE).total == 3
        assert rs.list_page(s, admin, HE).total == 5
        assert rs.count(s, t1, HE) == 2
        other = s.scalar(select(HeActivity.id).where(HeActivity.org_unit_id == tree["t2"]))
        with pytest.raises(NotFound):
            rs.get(s, t1, HE, other)
    with pytest.raises(NotFound), transaction(engine) as s:
        rs.update(s, t1, HE, other, {"title": "越权修改"}, None)
    with pytest.raises(NotFound), transaction(engine) as s:
        rs.delete(s, t1, HE, other)
    assert rows(engine, title=LECTURE["title"]) == 5


def test_roles_without_permission_are_refused(engine, tree):
    viewer = make_user(engine, "viewer1", "viewer", tree["county"])
    trainer = make_user(engine, "trainer1", "trainer", tree["county"])
    with pytest.raises(PermissionDenied):
        add(engine, viewer, org_unit_id="t1")
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        rs.list_page(s, trainer, users.UserSpec)
    assert rows(engine) == 0


def test_filters_search_period_and_paging_in_sql(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    for day in range(1, 31):
        add(
            engine,
            admin,
            org_unit_id="t1v1" if day % 2 else "t2",
            activity_type="lecture" if day % 3 else "consultation",
            activity_date=f"2026-04-{day:02d}",
            title=f"活动{day}",
            participants=day,
        )
    add(engine, admin, org_unit_id="t1", activity_date="2026-05-02", title="五月讲座")
    with transaction(engine) as s:
        page = rs.list_page(s, admin, HE, Filters(period="2026-04"), page=2, per_page=25)
        assert (page.total, page.pages, len(page.rows)) == (30, 2, 5)
        assert page.rows[0].activity_date == dt.date(2026, 4, 5)  # newest first
        f = Filters(
            values={
                "activity_type": ["consultation"],
                "org_unit_id": tree["t1"],
                "activity_date": (dt.date(2026, 4, 1), dt.date(2026, 4, 20)),
            }
        )
        got = rs.list_page(s, admin, HE, f)
        assert sorted(r.activity_date.day for r in got.rows) == [3, 9, 15]
        assert rs.list_page(s, admin, HE, Filters(search="五月")).total == 1
        assert rs.list_page(s, admin, HE, Filters(search="%")).total == 0


# --- audit, soft delete, restore ---------------------------------------------------------


def test_writes_are_audited_and_deletes_are_soft(engine, tree):
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    rid = add(engine, staff, org_unit_id="t1")
    with transaction(engine) as s:
        rs.update(s, staff, HE, rid, {"participants": 80}, expected_version=1)
    with transaction(engine) as s:
        rs.delete(s, staff, HE, rid, expected_version=2)
    assert rows(engine) == 1  # still there
    with transaction(engine) as s:
        assert rs.list_page(s, staff, HE).total == 0
        trash = rs.list_page(s, staff, HE, deleted=True)
        assert [r.id for r in trash.rows] == [rid]
        rs.restore(s, staff, HE, rid)
    with transaction(engine) as s:
        assert rs.list_page(s, staff, HE).total == 1
        entries = rs.history(s, staff, HE, rid)
        assert [e.action for e in entries] == ["create", "update", "delete", "restore"]
        assert entries[1].before["participants"] == 56 and entries[1].after["participants"] == 80
        assert all(e.actor_name == "t1staff" and e.org_unit_id == tree["t1"] for e in entries)


def test_failed_write_leaves_no_trace(engine, tree):
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    rid = add(engine, staff, org_unit_id="t1")
    before = rows(engine, AuditEntry)
    with pytest.raises(ValidationError), transaction(engine) as s:
        rs.update(s, staff, HE, rid, {"title": "好标题"}, 1)
        rs.update(s, staff, HE, rid, {"participants": -1}, 2)  # second change fails: both roll back
    assert rows(engine, AuditEntry) == before
    with transaction(engine) as s:
        assert s.get(HeActivity, rid).title == LECTURE["title"]


def test_revert_to_an_earlier_version_is_audited(engine, tree):
    head = make_user(engine, "county_head", "head", tree["county"])
    rid = add(engine, head, org_unit_id="t1")
    with transaction(engine) as s:
        rs.update(s, head, HE, rid, {"title": "改错的标题", "participants": 5}, 1)
    with transaction(engine) as s:
        rs.revert(s, head, HE, rid, to_version=1, expected_version=2)
    with transaction(engine) as s:
        obj = s.get(HeActivity, rid)
        assert (obj.title, obj.participants, obj.version) == (LECTURE["title"], 56, 3)
        assert [e.action for e in rs.history(s, head, HE, rid)] == ["create", "update", "revert"]
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        rs.revert(s, staff, HE, rid, to_version=2)


def test_stale_edit_from_a_second_session_is_refused_with_what_changed(engine, tree):
    alice = make_user(engine, "alice", "staff", tree["t1"])
    bob = make_user(engine, "bob", "head", tree["t1"])
    rid = add(engine, alice, org_unit_id="t1")
    # both open version 1 in their own sessions
    with Session(engine) as s_alice, Session(engine) as s_bob:
        seen_by_alice = rs.get(s_alice, alice, HE, rid).version
        seen_by_bob = rs.get(s_bob, bob, HE, rid).version
        s_alice.rollback()
        s_bob.rollback()
    with transaction(engine) as s:
        rs.update(s, bob, HE, rid, {"participants": 99, "venue": "卫生院"}, seen_by_bob)
    with pytest.raises(StaleRecord) as info, transaction(engine) as s:
        rs.update(s, alice, HE, rid, {"participants": 60}, seen_by_alice)
    assert {c.field for c in info.value.changes} == {"participants", "venue"}
    assert info.value.by == "bob"
    assert "bob" in info.value.message("en") and "People reached" in info.value.message("en")
    assert "受教育人数" in info.value.message("zh-CN")
    with transaction(engine) as s:
        obj = s.get(HeActivity, rid)
        assert (obj.participants, obj.venue) == (99, "卫生院")  # nothing overwritten


def test_concurrent_flush_is_caught_by_the_version_column(engine, tree):
    alice = make_user(engine, "alice", "staff", tree["t1"])
    rid = add(engine, alice, org_unit_id="t1")
    with Session(engine) as first:
        obj = first.get(HeActivity, rid)  # read version 1, keep the session open
        with transaction(engine) as second:
            rs.update(second, alice, HE, rid, {"participants": 70}, 1)
        obj.participants = 71
        with pytest.raises(StaleRecord):
            rs._flush(first)
        first.rollback()
    with transaction(engine) as s:
        assert s.get(HeActivity, rid).participants == 70


# --- the built-in specs on the engine ----------------------------------------------------


def test_org_units_and_users_use_the_engine(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    with transaction(engine) as s:
        unit = rs.create(
            s,
            admin,
            orgunits.OrgUnitSpec,
            {"code": "t1v2", "name_zh": "新村卫生室", "type": "村卫生室", "parent_id": "t1"},
        )
        assert unit.path == s.get(OrgUnit, tree["t1"]).path + f"{unit.id}/"
        user = users.create(
            s,
            admin,
            {
                "username": " NewUser ",
                "display_name": "新用户",
                "role": "staff",
                "org_unit_id": unit.id,
                "password": "password-1",
                "bcrypt_rounds": 4,
            },
        )
        assert user.username == "newuser"
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        rs.delete(s, admin, orgunits.OrgUnitSpec, unit.id)
    assert info.value.errors[0].key == "validation.unit_in_use"
    with transaction(engine) as s:
        rs.delete(s, admin, users.UserSpec, user.id)
        rs.delete(s, admin, orgunits.OrgUnitSpec, unit.id)
    with transaction(engine) as s:
        assert all(u.code != "t1v2" for u in orgunits.tree(s, admin))
        assert s.scalar(select(User.deleted_at).where(User.username == "newuser")) is not None
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.record_type == "users").order_by(AuditEntry.id.desc())
        ).first()
        assert "password" not in entry.after and "password_hash" not in entry.after


def test_org_unit_subtree_filter_on_the_org_units_themselves(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    with transaction(engine) as s:
        page = rs.list_page(s, admin, orgunits.OrgUnitSpec, Filters(values={"id": tree["t1"]}))
        assert sorted(u.code for u in page.rows) == ["t1", "t1v1"]


def test_blank_optional_field_takes_its_default(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    with transaction(engine) as s:
        rs.update(s, admin, orgunits.OrgUnitSpec, tree["t1"], {"name_en": ""}, None)
    with transaction(engine) as s:
        assert s.get(OrgUnit, tree["t1"]).name_en == ""


def test_errors_are_named_by_the_spec_labels(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    with pytest.raises(ValidationError) as info:
        add(engine, admin, org_unit_id="t1", activity_date="someday")
    assert info.value.message("zh-CN").startswith("活动日期:")
    assert info.value.message("en").startswith("Date:")


def test_an_edit_that_changes_nothing_writes_nothing(engine, tree):
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    rid = add(engine, staff, org_unit_id="t1")
    before = rows(engine, AuditEntry)
    with transaction(engine) as s:
        rs.update(s, staff, HE, rid, {"title": LECTURE["title"], "participants": "56"}, 1)
    assert rows(engine, AuditEntry) == before
    with transaction(engine) as s:
        assert s.get(HeActivity, rid).version == 1


def test_database_checks_run_in_validation(engine, tree):
    from portal.metrics import library as indicator_library
    from portal.metrics import targets

    with transaction(engine) as s:
        indicator_library.ensure_builtin(s)
        with pytest.raises(ValidationError) as info:
            rs.validate(
                s,
                SYSTEM,
                targets.TargetSpec,
                {"indicator_code": "HE-01", "org_unit_id": tree["t1"], "period": "2026-Q9", "value": 1},
            )
        assert info.value.errors[0].field == "period"
        with pytest.raises(ValidationError) as info:
            rs.validate(
                s,
                SYSTEM,
                targets.TargetSpec,
                {"indicator_code": "HE-01", "org_unit_id": tree["t1"], "period": "2026Q1", "value": 1},
            )
        assert info.value.errors[0].key == "validation.period_kind"


def test_a_second_county_stays_invisible_to_the_first_county_head(engine, tree):
    # the county head's queries skip the subtree filter only while its county is the
    # only root; a second root in the same database must switch the filter back on
    head = make_user(engine, "county_head", "head", tree["county"])
    add(engine, SYSTEM, org_unit_id="t1")
    with transaction(engine) as s:
        assert rs.list_page(s, head, HE).total == 1
        other = orgunits.create(s, SYSTEM, {"code": "county2", "name_zh": "邻县卫生健康局", "type": "bureau"})
        rs.create(s, SYSTEM, HE, {**LECTURE, "org_unit_id": other.id})
    with transaction(engine) as s:
        assert rs.list_page(s, head, HE).total == 1
        assert rs.count(s, head, HE) == 1
        from portal.metrics import indicators as ind

        county = s.get(OrgUnit, tree["county"])
        values = ind.compute(
            s,
            ind.parse_definition('{"record": "he_activities"}'),
            [ind.UnitRef(county.id, county.path)],
            dt.date(2026, 1, 1),
            dt.date(2026, 12, 31),
        )
        assert values[county.id].actual == 1


def test_report_due_rule_is_checked(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        rs.update(s, admin, orgunits.OrgUnitSpec, tree["t1"], {"report_due_rule": "friday"}, None)
    assert info.value.errors[0].key == "validation.due_rule"
    with transaction(engine) as s:
        rs.update(s, admin, orgunits.OrgUnitSpec, tree["t1"], {"report_due_rule": "day:2"}, None)
        assert s.get(OrgUnit, tree["t1"]).report_due_rule == "day:2"
