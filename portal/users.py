"""User accounts: listed within the actor's scope, managed by admins, each user keeps
their own password and language."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import LANGUAGES, ROLES, OrgUnit, User
from portal import audit, auth
from portal.errors import FieldError, NotFound, StaleEdit, ValidationError
from portal.scope import Actor, get_unit_in_scope, org_filter, require_role
from portal.validation import USERNAME_RE, choice, password, pattern, raise_if_any, required_text

RECORD_TYPE = "users"
MANAGER_ROLES = ("admin",)


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    org_unit_id: int
    unit_code: str
    unit_name_zh: str
    unit_name_en: str
    active: bool
    locked: bool
    last_login_at: Any
    version: int


def _scoped_users():  # type: ignore[no-untyped-def]
    return select(User, OrgUnit).join(OrgUnit, OrgUnit.id == User.org_unit_id)


def list_users(session: Session, actor: Actor, search: str | None = None,
               limit: int = 100, offset: int = 0) -> tuple[list[UserRow], int]:
    """One page of the users the actor may see, and the total count (both in SQL)."""
    where = [org_filter(actor)]
    if search:
        text = search.strip()
        where.append(or_(User.username.icontains(text, autoescape=True),
                         User.display_name.icontains(text, autoescape=True)))
    total = session.scalar(
        select(func.count()).select_from(User).join(OrgUnit, OrgUnit.id == User.org_unit_id).where(*where)
    ) or 0
    now = utcnow()
    rows = [
        UserRow(u.id, u.username, u.display_name, u.role, u.org_unit_id, o.code, o.name_zh,
                o.name_en, u.active, bool(u.locked_until and u.locked_until > now),
                u.last_login_at, u.version)
        for u, o in session.execute(
            _scoped_users().where(*where).order_by(OrgUnit.path, User.username).limit(limit).offset(offset)
        )
    ]
    return rows, total


def get(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("error.not_found")
    get_unit_in_scope(session, actor, user.org_unit_id)  # out of scope reads as not found
    return user


def by_username(session: Session, actor: Actor, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("error.user_not_found", username=username)
    return get(session, actor, user.id)


def create(session: Session, actor: Actor, data: dict[str, Any]) -> User:
    require_role(actor, *MANAGER_ROLES)
    username = (data.get("username") or "").strip().lower()
    errors = [
        pattern("username", username, USERNAME_RE, "validation.username"),
        required_text("display_name", data.get("display_name"), 120),
        choice("role", data.get("role"), ROLES),
        password("password", data.get("password")),
    ]
    if data.get("language") not in (None, "", *LANGUAGES):
        errors.append(FieldError("language", "validation.choice", {"value": data["language"]}))
    if data.get("org_unit_id") in (None, ""):
        errors.append(FieldError("org_unit_id", "validation.required"))
    elif not str(data["org_unit_id"]).isdigit():
        errors.append(FieldError("org_unit_id", "validation.choice", {"value": data["org_unit_id"]}))
    raise_if_any(errors)
    unit = get_unit_in_scope(session, actor, int(data["org_unit_id"]))
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError([FieldError("username", "validation.unique", {"value": username})])
    user = User(
        username=username,
        display_name=data["display_name"].strip(),
        password_hash=auth.hash_password(data["password"], rounds=data.get("bcrypt_rounds", 12)),
        role=data["role"],
        org_unit_id=unit.id,
        language=data.get("language") or None,
        active=True,
        failed_attempts=0,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", RECORD_TYPE, user.id, unit.id, None, audit.snapshot(user))
    return user


def _change(session: Session, actor: Actor, user: User, action: str,
            expected_version: int | None, apply: Any) -> User:
    if expected_version is not None and user.version != expected_version:
        raise StaleEdit("error.stale")
    before = audit.snapshot(user)
    apply(user)
    session.flush()
    audit.record(session, actor, action, RECORD_TYPE, user.id, user.org_unit_id, before,
                 audit.snapshot(user))
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool,
               expected_version: int | None = None) -> User:
    """Disable or re-enable an account; disabling also ends its open logins."""
    require_role(actor, *MANAGER_ROLES)
    user = get(session, actor, user_id)
    if not active and user.id == actor.id:
        raise ValidationError([FieldError("active", "validation.cannot_disable_self")])

    def apply(u: User) -> None:
        u.active = active
        if not active:
            auth.revoke_tokens(u)

    return _change(session, actor, user, "enable" if active else "disable", expected_version, apply)


def reset_password(session: Session, actor: Actor, user_id: int, new_password: str,
                   expected_version: int | None = None) -> User:
    """An admin sets a new password; it also lifts a lockout and ends open logins."""
    require_role(actor, *MANAGER_ROLES)
    raise_if_any([password("password", new_password)])
    user = get(session, actor, user_id)

    def apply(u: User) -> None:
        u.password_hash = auth.hash_password(new_password)
        u.failed_attempts = 0
        u.locked_until = None
        auth.revoke_tokens(u)

    return _change(session, actor, user, "reset_password", expected_version, apply)


def change_own_password(session: Session, actor: Actor, current: str, new: str,
                        confirm: str) -> User:
    user = session.get(User, actor.id)
    if user is None:
        raise NotFound("error.not_found")
    if not auth.check_password(current or "", user.password_hash):
        raise ValidationError([FieldError("current_password", "validation.current_password")])
    raise_if_any([password("new_password", new)])
    if new != confirm:
        raise ValidationError([FieldError("confirm_password", "validation.password_mismatch")])
    if new == current:
        raise ValidationError([FieldError("new_password", "validation.password_same")])

    def apply(u: User) -> None:
        u.password_hash = auth.hash_password(new)
        auth.revoke_tokens(u)

    return _change(session, actor, user, "change_password", None, apply)


def set_language(session: Session, actor: Actor, language: str) -> User:
    raise_if_any([choice("language", language, LANGUAGES)])
    user = session.get(User, actor.id)
    if user is None:
        raise NotFound("error.not_found")
    if user.language == language:
        return user
    return _change(session, actor, user, "update", None, lambda u: setattr(u, "language", language))


def logout(session: Session, actor: Actor) -> None:
    """End this user's login cookies on every browser (the cookie cannot be deleted from
    the server, so it is made worthless instead)."""
    user = session.get(User, actor.id)
    if user is not None:
        _change(session, actor, user, "logout", None, auth.revoke_tokens)
