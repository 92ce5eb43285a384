"""Scoping, lockout, password rules and the audit trail, through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.engine import transaction
from db.models import AuditEntry, OrgUnit, User
from portal import clock
from portal.errors import NotFound, PermissionDenied, StaleEdit, ValidationError
from portal.org import auth, users
from portal.org import units as orgunits
from portal.org.scope import SYSTEM
from portal.records import audit
from tests.conftest import make_user


def audit_count(engine, action: str | None = None, record_type: str | None = None) -> int:
    with transaction(engine) as s:
        stmt = select(func.count()).select_from(AuditEntry)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        if record_type:
            stmt = stmt.where(AuditEntry.record_type == record_type)
        return s.scalar(stmt) or 0


# --- scoping ---------------------------------------------------------------------------


def test_township_head_reads_only_own_subtree(engine, tree):
    head = make_user(engine, "t1head", "head", tree["t1"])
    with transaction(engine) as s:
        codes = [u.code for u in orgunits.tree(s, head)]
        assert codes == ["t1", "t1v1"]
        with pytest.raises(NotFound):
            orgunits.get(s, head, tree["t2"])
        with pytest.raises(NotFound):
            orgunits.get(s, head, tree["t2v1"])
        with pytest.raises(NotFound):
            orgunits.by_code(s, head, "t2")
        assert orgunits.get(s, head, tree["t1v1"]).code == "t1v1"


def test_township_head_cannot_change_another_township(engine, tree):
    head = make_user(engine, "t1head", "head", tree["t1"])
    with pytest.raises(NotFound), transaction(engine) as s:
        orgunits.update(s, head, tree["t2"], {"name_zh": "改名"})
    with pytest.raises(NotFound), transaction(engine) as s:
        orgunits.set_population(s, head, tree["t2v1"], 2026, "resident", 1)
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        orgunits.create(s, head, {"code": "x1", "name_zh": "新村", "type": "village_clinic", "parent_id": tree["t2"]})
    assert [(e.field, e.key) for e in info.value.errors] == [("parent_id", "validation.org_unit")]
    with transaction(engine) as s:
        assert s.get(OrgUnit, tree["t2"]).name_zh == "西河镇卫生院"
        assert s.scalar(select(func.count()).select_from(OrgUnit).where(OrgUnit.code == "x1")) == 0
    # ... while its own subtree is editable
    with transaction(engine) as s:
        orgunits.update(s, head, tree["t1v1"], {"name_zh": "东关村卫生室（新）"})
    with transaction(engine) as s:
        assert s.get(OrgUnit, tree["t1v1"]).name_zh == "东关村卫生室（新）"


def test_users_are_scoped(engine, tree):
    head = make_user(engine, "t1head", "head", tree["t1"])
    make_user(engine, "t1staff", "staff", tree["t1v1"])
    other = make_user(engine, "t2staff", "staff", tree["t2"])
    admin = make_user(engine, "boss", "admin", tree["t2v1"])  # an admin sees everything
    with transaction(engine) as s:
        rows, total = users.list_users(s, head)
        assert {r.username for r in rows} == {"t1head", "t1staff"} and total == 2
        with pytest.raises(NotFound):
            users.get(s, head, other.id)
        with pytest.raises(NotFound):
            users.by_username(s, head, "t2staff")
        rows, total = users.list_users(s, admin)
        assert total == 4


def test_only_admins_manage_users(engine, tree):
    head = make_user(engine, "county_head", "head", tree["county"])
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        users.set_active(s, head, staff.id, False)
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        users.reset_password(s, head, staff.id, "newpassword1")
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        users.create(
            s,
            head,
            {
                "username": "x",
                "display_name": "x",
                "role": "staff",
                "org_unit_id": tree["t1"],
                "password": "password123",
            },
        )
    with transaction(engine) as s:
        assert s.get(User, staff.id).active is True


# --- lockout and passwords ---------------------------------------------------------------


def test_five_wrong_passwords_lock_for_fifteen_minutes(engine, tree):
    make_user(engine, "alice", "staff", tree["t1"], password="right-password")
    now = dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC)
    for attempt in range(1, 5):
        with transaction(engine) as s:
            result = auth.authenticate(s, "alice", "wrong", now)
        assert result.reason == "bad_credentials"
        with transaction(engine) as s:
            assert s.scalar(select(User.failed_attempts).where(User.username == "alice")) == attempt
    with transaction(engine) as s:
        result = auth.authenticate(s, "alice", "wrong", now)
    assert result.reason == "locked"
    assert result.locked_until == now + dt.timedelta(minutes=15)
    # locked: the right password is refused until the lock ends
    with transaction(engine) as s:
        assert auth.authenticate(s, "alice", "right-password", now + dt.timedelta(minutes=14)).reason == "locked"
    with transaction(engine) as s:
        result = auth.authenticate(s, "alice", "right-password", now + dt.timedelta(minutes=15, seconds=1))
    assert result.ok
    with transaction(engine) as s:
        user = s.scalar(select(User).where(User.username == "alice"))
        assert user.failed_attempts == 0 and user.locked_until is None
    assert audit_count(engine, "locked") == 1
    assert audit_count(engine, "login_failed") == 4


def test_success_resets_failure_count_and_unknown_user_is_generic(engine, tree):
    make_user(engine, "bob", "staff", tree["t1"], password="right-password")
    with transaction(engine) as s:
        auth.authenticate(s, "bob", "wrong")
        auth.authenticate(s, "bob", "wrong")
    with transaction(engine) as s:
        assert auth.authenticate(s, "BOB ", "right-password").ok  # username is case-folded
    with transaction(engine) as s:
        assert s.scalar(select(User.failed_attempts).where(User.username == "bob")) == 0
        assert auth.authenticate(s, "nobody", "whatever").reason == "bad_credentials"


def test_disabled_user_cannot_sign_in_and_reset_lifts_lock(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    carol = make_user(engine, "carol", "staff", tree["t2"], password="right-password")
    with transaction(engine) as s:
        users.set_active(s, admin, carol.id, False)
    with transaction(engine) as s:
        assert auth.authenticate(s, "carol", "right-password").reason == "disabled"
    with transaction(engine) as s:
        users.set_active(s, admin, carol.id, True)
    now = clock.now()
    for _ in range(5):
        with transaction(engine) as s:
            auth.authenticate(s, "carol", "nope", now)
    with transaction(engine) as s:
        users.reset_password(s, admin, carol.id, "brand-new-pass")
    with transaction(engine) as s:
        assert auth.authenticate(s, "carol", "brand-new-pass").ok


@pytest.mark.parametrize(
    "new, confirm, field",
    [
        ("short", "short", "new_password"),
        ("x" * 73, "x" * 73, "new_password"),
        (" padded-password", " padded-password", "new_password"),
        ("long-enough-1", "long-enough-2", "confirm_password"),
        ("right-password", "right-password", "new_password"),
    ],
)
def test_password_rules(engine, tree, new, confirm, field):
    dave = make_user(engine, "dave", "staff", tree["t1"], password="right-password")
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        users.change_own_password(s, dave, "right-password", new, confirm)
    assert [e.field for e in info.value.errors] == [field]
    with transaction(engine) as s:
        assert auth.authenticate(s, "dave", "right-password").ok


def test_change_own_password_needs_current_and_revokes_cookies(engine, tree):
    erin = make_user(engine, "erin", "staff", tree["t1"], password="right-password")
    key = "k" * 32
    token = auth.encode_token("erin", key, 7, clock.now() - dt.timedelta(seconds=5))
    with transaction(engine) as s:
        assert auth.user_from_token(s, token, key, 7) is not None
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        users.change_own_password(s, erin, "wrong", "new-password-1", "new-password-1")
    assert info.value.errors[0].field == "current_password"
    with transaction(engine) as s:
        users.change_own_password(s, erin, "right-password", "new-password-1", "new-password-1")
    with transaction(engine) as s:
        assert auth.authenticate(s, "erin", "new-password-1").ok
        assert auth.user_from_token(s, token, key, 7) is None  # the old cookie is worthless
        fresh = auth.encode_token("erin", key, 7)
        assert auth.user_from_token(s, fresh, key, 7).username == "erin"


def test_token_checks(engine, tree):
    make_user(engine, "fay", "staff", tree["t1"])
    key = "k" * 32
    now = clock.now()
    with transaction(engine) as s:
        assert auth.user_from_token(s, auth.encode_token("fay", key, 7), key, 7).username == "fay"
        assert auth.user_from_token(s, auth.encode_token("fay", "x" * 32, 7), key, 7) is None  # forged
        expired = auth.encode_token("fay", key, 7, now - dt.timedelta(days=8))
        assert auth.user_from_token(s, expired, key, 7) is None
        assert auth.user_from_token(s, "garbage", key, 7) is None
        assert auth.user_from_token(s, auth.encode_token("ghost", key, 7), key, 7) is None


def test_create_user_validation_names_fields_and_saves_nothing(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        users.create(
            s,
            admin,
            {"username": "A", "display_name": "", "role": "boss", "org_unit_id": tree["t1"], "password": "short"},
        )
    assert {e.field for e in info.value.errors} == {"username", "display_name", "role", "password"}
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        users.create(
            s,
            admin,
            {
                "username": "root",
                "display_name": "重复",
                "role": "staff",
                "org_unit_id": tree["t1"],
                "password": "password123",
            },
        )
    assert info.value.errors[0].field == "username"
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1


# --- audit -----------------------------------------------------------------------------


def test_every_write_is_audited_in_the_same_transaction(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    assert audit_count(engine, "create", "org_units") == len(tree)
    assert audit_count(engine, "create", "users") == 1
    with transaction(engine) as s:
        u = users.create(
            s,
            admin,
            {
                "username": "gina",
                "display_name": "吉娜",
                "role": "staff",
                "org_unit_id": tree["t1"],
                "password": "password123",
                "bcrypt_rounds": 4,
            },
        )
        users.set_active(s, admin, u.id, False)
        orgunits.set_population(s, admin, tree["t1"], 2026, "resident", 23456)
    with transaction(engine) as s:
        entries = list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.record_type == "users", AuditEntry.actor_name == "root")
                .order_by(AuditEntry.id)
            )
        )
        assert [e.action for e in entries] == ["create", "disable"]
        assert entries[1].before["active"] is True and entries[1].after["active"] is False
        assert all("password_hash" not in (e.after or {}) for e in entries)
        pop = s.scalar(select(AuditEntry).where(AuditEntry.record_type == "org_unit_populations"))
        assert pop.after == {"year": 2026, "kind": "resident", "value": 23456}
    # a failed write leaves neither the change nor its audit entry
    before = audit_count(engine)
    with pytest.raises(RuntimeError), transaction(engine) as s:
        orgunits.update(s, admin, tree["t1"], {"name_zh": "回滚"})
        raise RuntimeError("boom")
    assert audit_count(engine) == before
    with transaction(engine) as s:
        assert s.get(OrgUnit, tree["t1"]).name_zh == "东关镇卫生院"


def test_recent_changes_feed_is_scoped(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    head = make_user(engine, "t1head", "head", tree["t1"])
    with transaction(engine) as s:
        orgunits.update(s, admin, tree["t2"], {"name_en": "West River"})
        orgunits.update(s, admin, tree["t1v1"], {"name_en": "East Pass Village"})
    with transaction(engine) as s:
        seen = {(e.record_type, e.record_id) for e in audit.recent(s, head)}
        assert ("org_units", tree["t1v1"]) in seen
        assert ("org_units", tree["t2"]) not in seen
        assert ("org_units", tree["t2"]) in {(e.record_type, e.record_id) for e in audit.recent(s, admin)}


def test_stale_edit_is_refused(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    with transaction(engine) as s:
        version = s.get(OrgUnit, tree["t1"]).version
    with transaction(engine) as s:
        orgunits.update(s, admin, tree["t1"], {"name_en": "first"}, expected_version=version)
    with pytest.raises(StaleEdit), transaction(engine) as s:
        orgunits.update(s, admin, tree["t1"], {"name_en": "second"}, expected_version=version)
    with transaction(engine) as s:
        assert s.get(OrgUnit, tree["t1"]).name_en == "first"


def test_subtree_paths(engine, tree):
    with transaction(engine) as s:
        county = s.get(OrgUnit, tree["county"])
        village = s.get(OrgUnit, tree["t1v1"])
        assert village.path.startswith(county.path) and village.path.count("/") == 4
        rows = orgunits.tree(s, SYSTEM)
        assert [r.depth for r in rows if r.code in ("county", "t1", "t1v1")] == [0, 1, 2]


def test_bad_code_is_a_field_error_and_padding_cannot_dodge_uniqueness(engine, tree):
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        orgunits.create(
            s, SYSTEM, {"code": "bad code\n", "name_zh": "坏编码", "type": "other", "parent_id": tree["county"]}
        )
    assert info.value.errors[0].field == "code"
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        orgunits.create(s, SYSTEM, {"code": " t1 ", "name_zh": "重复", "type": "other", "parent_id": tree["county"]})
    assert info.value.errors[0].key == "validation.unique"


def test_user_search_treats_wildcards_literally(engine, tree):
    admin = make_user(engine, "root", "admin", tree["county"])
    make_user(engine, "a_b", "staff", tree["t1"])
    make_user(engine, "axb", "staff", tree["t1"])
    with transaction(engine) as s:
        rows, total = users.list_users(s, admin, search="_")
        assert [r.username for r in rows] == ["a_b"] and total == 1
        assert users.list_users(s, admin, search="%")[1] == 0


def test_population_rejects_booleans_and_negatives(engine, tree):
    for bad in (True, -1, "12"):
        with pytest.raises(ValidationError), transaction(engine) as s:
            orgunits.set_population(s, SYSTEM, tree["t1"], 2026, "resident", bad)
