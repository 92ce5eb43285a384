"""User accounts: listed within the actor's scope, managed by admins, each user keeps
their own password and language."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from db.models import LANGUAGES, ROLES, OrgUnit, User
from portal import clock
from portal.errors import FieldError, NotFound, PortalError, StaleEdit, ValidationError
from portal.i18n import t
from portal.org import auth
from portal.org.scope import Actor, get_unit_in_scope, org_filter, require_role
from portal.records import audit
from portal.records import service as records
from portal.records.fields import Choice, Field
from portal.records.spec import Permissions, RecordSpec
from portal.records.validators import USERNAME_RE, choice, password, pattern, raise_if_any

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


def _scoped_users() -> Select[User, OrgUnit]:
    return select(User, OrgUnit).join(OrgUnit, OrgUnit.id == User.org_unit_id)


def list_users(
    session: Session, actor: Actor, search: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[UserRow], int]:
    """One page of the users the actor may see, and the total count (both in SQL)."""
    where = [org_filter(actor), User.deleted_at.is_(None)]
    if search:
        text = search.strip()
        where.append(
            or_(User.username.icontains(text, autoescape=True), User.display_name.icontains(text, autoescape=True))
        )
    total = (
        session.scalar(
            select(func.count()).select_from(User).join(OrgUnit, OrgUnit.id == User.org_unit_id).where(*where)
        )
        or 0
    )
    now = clock.now()
    rows = [
        UserRow(
            u.id,
            u.username,
            u.display_name,
            u.role,
            u.org_unit_id,
            o.code,
            o.name_zh,
            o.name_en,
            u.active,
            bool(u.locked_until and u.locked_until > now),
            u.last_login_at,
            u.version,
        )
        for u, o in session.execute(
            _scoped_users().where(*where).order_by(OrgUnit.path, User.username).limit(limit).offset(offset)
        )
    ]
    return rows, total


def get(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("error.not_found")
    get_unit_in_scope(session, actor, user.org_unit_id)  # out of scope reads as not found
    return user


def by_username(session: Session, actor: Actor, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower(), User.deleted_at.is_(None)))
    if user is None:
        raise NotFound("error.user_not_found", username=username)
    return get(session, actor, user.id)


_HASH_ROUNDS: ContextVar[int] = ContextVar("hash_rounds", default=12)


def _choices(prefix: str, values: tuple[str, ...]) -> tuple[Choice, ...]:
    return tuple(Choice(v, t(f"{prefix}.{v}", "zh-CN"), t(f"{prefix}.{v}", "en")) for v in values)


class UserSpec(RecordSpec):
    """User accounts. The password is write-only: set on create, stored as a bcrypt hash,
    never shown, exported, imported back or audited."""

    slug = RECORD_TYPE
    model = User
    title_zh, title_en = "用户", "Users"
    fields = (
        Field(
            "username",
            "text",
            "用户名",
            "Username",
            required=True,
            max_length=32,
            create_only=True,
            aliases=("账号", "登录名"),
            validator=lambda key, v: pattern(key, v, USERNAME_RE, "validation.username"),
            help_zh="3–32 位小写字母、数字、点、横线或下划线",
            help_en="3–32 lowercase letters, digits, . - _",
        ),
        Field("display_name", "text", "姓名", "Name", required=True, max_length=120, aliases=("名字", "name")),
        Field("role", "choice", "角色", "Role", required=True, choices=_choices("role", ROLES)),
        Field(
            "org_unit_id",
            "org_unit",
            "所属机构",
            "Org unit",
            required=True,
            aliases=("机构", "机构编码", "单位", "unit"),
        ),
        Field("language", "choice", "语言", "Language", choices=_choices("lang", LANGUAGES)),
        Field("active", "bool", "启用", "Active", default=True, aliases=("状态",)),
        Field(
            "password",
            "text",
            "初始密码",
            "Initial password",
            required=True,
            write_only=True,
            create_only=True,
            validator=password,
            help_zh="至少 8 位；用户登录后可自行修改",
            help_en="At least 8 characters; users can change it",
            aliases=("密码",),
        ),
    )
    list_display = ("username", "display_name", "role", "org_unit_id", "active")
    list_filter = ("role", "active", "org_unit_id")
    search_fields = ("username", "display_name")
    ordering = ("username",)
    natural_key = ("username",)
    permissions: ClassVar[Permissions] = {
        "view": frozenset({"admin", "head"}),
        "create": frozenset(MANAGER_ROLES),
        "edit": frozenset(MANAGER_ROLES),
        "delete": frozenset(MANAGER_ROLES),
        "export": frozenset({"admin", "head"}),
        "import": frozenset(MANAGER_ROLES),
        "revert": frozenset(MANAGER_ROLES),
    }

    @classmethod
    def prepare(cls, raw: dict[str, Any]) -> dict[str, Any]:
        if isinstance(raw.get("username"), str):
            raw["username"] = raw["username"].strip().lower()
        return raw

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        if existing is not None and values.get("active") is False and existing.id == actor.id:
            return [FieldError("active", "validation.cannot_disable_self")]
        return []

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if creating:
            obj.password_hash = auth.hash_password(values["password"], rounds=_HASH_ROUNDS.get())
            obj.failed_attempts = 0
        elif values.get("active") is False:
            auth.revoke_tokens(obj)  # a disabled account's open logins end now

    @classmethod
    def before_delete(cls, session: Any, obj: Any, actor: Any) -> None:
        if obj.id == actor.id:
            raise ValidationError([FieldError("username", "validation.cannot_disable_self")])
        auth.revoke_tokens(obj)


def create(session: Session, actor: Actor, data: dict[str, Any]) -> User:
    """A new account through the record engine (one validation path). ``bcrypt_rounds``
    in data lowers the hashing cost, for tests and the demo's fast mode only."""
    data = dict(data)
    token = _HASH_ROUNDS.set(int(data.pop("bcrypt_rounds", 12)))
    try:
        return records.create(session, actor, UserSpec, data)
    finally:
        _HASH_ROUNDS.reset(token)


def _change(session: Session, actor: Actor, user: User, action: str, expected_version: int | None, apply: Any) -> User:
    if expected_version is not None and user.version != expected_version:
        raise StaleEdit("error.stale")
    before = audit.snapshot(user)
    apply(user)
    session.flush()
    audit.record(session, actor, action, RECORD_TYPE, user.id, user.org_unit_id, before, audit.snapshot(user))
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool, expected_version: int | None = None) -> User:
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


def reset_password(
    session: Session, actor: Actor, user_id: int, new_password: str, expected_version: int | None = None
) -> User:
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


class AccountLocked(PortalError):
    """Too many wrong passwords: the account is locked (the message is the login's)."""

    key = "login.locked"


def change_own_password(session: Session, actor: Actor, current: str, new: str, confirm: str) -> User:
    """A user's own password change. A wrong current password counts towards the login
    lockout (in its own transaction, so it is kept although this change is refused) and
    is audited: the form must not be a way round the lockout."""
    user = session.get(User, actor.id)
    if user is None:
        raise NotFound("error.not_found")
    now = clock.now()
    if user.locked_until is not None and user.locked_until > now:
        raise _locked(user.locked_until)
    if not auth.check_password(current or "", user.password_hash):
        result = auth.record_failure_apart(session, user.id, "password_failed")
        if result.reason == "locked" and result.locked_until is not None:
            raise _locked(result.locked_until)
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


def _locked(until: Any) -> AccountLocked:
    return AccountLocked(attempts=auth.MAX_FAILED_ATTEMPTS, until=clock.local_time(until, "%H:%M"))


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
