"""Passwords, lockout and the login cookie's token, without Streamlit.

The token has the shape streamlit-authenticator 0.4 writes ({"username", "exp_date"},
HS256), so the cookie it sets after the login form is the one verified here on the
server on every run, including the first run after a browser refresh.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import bcrypt
import jwt
from sqlalchemy import ColumnElement, case, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from db.base import UTCDateTime
from db.models import LoginThrottle, LoginTicket, User
from portal import clock
from portal.org.scope import Actor, actor_for
from portal.records import audit

log = logging.getLogger("portal.org.auth")
MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
# The bcrypt cost of a hash compared against when the username is unknown: the accounts'
# own (users are hashed at 12), so a missing account costs as much time as a wrong
# password and timing tells nothing. Made once, on the first unknown name.
DUMMY_ROUNDS = 12


@functools.cache
def _dummy_hash(rounds: int) -> str:
    return bcrypt.hashpw(b"dummy-password", bcrypt.gensalt(rounds=rounds)).decode()


def hash_password(password: str, rounds: int = 12) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode()


def check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("utf-8"))
    except ValueError:  # malformed hash or a password over bcrypt's 72-byte limit
        return False


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str  # ok | bad_credentials | locked | disabled
    user: User | None = None
    locked_until: dt.datetime | None = None


def authenticate(session: Session, username: str, password: str, now: dt.datetime | None = None) -> LoginResult:
    """Check a password, counting failures: the fifth in a row locks the account for
    LOCK_MINUTES. A locked account refuses even the right password until the lock ends.

    A name that is no account is counted and locked the same way (LoginThrottle), so the
    answers - and the time they take - say nothing about which names exist. Counting is
    one atomic UPDATE of the counter, outside the row's version check: parallel guesses
    are all counted, and none of them, nor the real user, meets a stale-row error."""
    now = now or clock.now()
    username = (username or "").strip().lower()
    user = session.scalar(select(User).where(User.username == username, User.deleted_at.is_(None)))
    if user is None:
        return _unknown_name(session, username, password or "", now)
    actor = actor_for(session, user)
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(False, "locked", user, user.locked_until)
    if not check_password(password or "", user.password_hash):
        return record_failure(session, user, actor, now)
    if not user.active:
        return LoginResult(False, "disabled", user)
    before = {"failed_attempts": user.failed_attempts, "last_login_at": _iso(user.last_login_at)}
    done = session.execute(
        update(User)
        .where(User.id == user.id, _not_locked(User.locked_until, now))
        .values(failed_attempts=0, locked_until=None, last_login_at=now)
        .execution_options(synchronize_session=False)
    )
    if not _matched(done):  # a parallel guess locked it between the read and now
        return LoginResult(False, "locked", user, _locked_until(session, user.id))
    session.expire(user, ["failed_attempts", "locked_until", "last_login_at"])
    audit.record(
        session,
        actor,
        "login",
        "users",
        user.id,
        user.org_unit_id,
        before,
        {"failed_attempts": 0, "last_login_at": now.isoformat()},
    )
    return LoginResult(True, "ok", user)


def _not_locked(locked_until: Any, now: dt.datetime) -> ColumnElement[bool]:
    return or_(locked_until.is_(None), locked_until <= literal(now, UTCDateTime()))


def _matched(result: Any) -> bool:
    return bool(result.rowcount)


def _locked_until(session: Session, user_id: int) -> dt.datetime | None:
    return session.scalar(select(User.locked_until).where(User.id == user_id))


def _counted(column: Any, locked: Any, now: dt.datetime) -> dict[str, Any]:
    """The counter's next values in SQL, from the values in the row: one more failure,
    or (at the limit) a lock and the counter back to zero."""
    reaches = column + 1 >= MAX_FAILED_ATTEMPTS
    until = literal(now + dt.timedelta(minutes=LOCK_MINUTES), UTCDateTime())
    return {
        "failed_attempts": case((reaches, 0), else_=column + 1),
        "locked_until": case((reaches, until), else_=locked),
    }


def record_failure(
    session: Session, user: User, actor: Actor, now: dt.datetime | None = None, action: str = "login_failed"
) -> LoginResult:
    """One more failed attempt on the account (a wrong password at sign-in, or a wrong
    current password on the account page), counted atomically and audited."""
    now = now or clock.now()
    row = session.execute(
        update(User)
        .where(User.id == user.id, _not_locked(User.locked_until, now))
        .values(**_counted(User.failed_attempts, User.locked_until, now))
        .returning(User.failed_attempts, User.locked_until)
        .execution_options(synchronize_session=False)
    ).first()
    session.expire(user, ["failed_attempts", "locked_until"])
    if row is None:  # locked by a parallel attempt meanwhile
        return LoginResult(False, "locked", user, _locked_until(session, user.id))
    failed, locked_until = row
    locked = locked_until is not None and locked_until > now
    before = {"failed_attempts": MAX_FAILED_ATTEMPTS - 1 if locked else failed - 1, "locked_until": None}
    after = {"failed_attempts": failed, "locked_until": _iso(locked_until) if locked else None}
    audit.record(session, actor, "locked" if locked else action, "users", user.id, user.org_unit_id, before, after)
    if locked:
        return LoginResult(False, "locked", user, locked_until)
    return LoginResult(False, "bad_credentials", user)


def record_failure_apart(session: Session, user_id: int, action: str) -> LoginResult:
    """record_failure in a transaction of its own, committed even though the caller's
    (which refuses the change the wrong password was for) is rolled back."""
    with Session(session.get_bind(), expire_on_commit=False) as apart, apart.begin():
        user = apart.get_one(User, user_id)
        return record_failure(apart, user, actor_for(apart, user), action=action)


def _unknown_name(session: Session, username: str, password: str, now: dt.datetime) -> LoginResult:
    key = hashlib.sha256(username.encode("utf-8")).hexdigest()
    table = LoginThrottle.__table__
    locked_until = session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.name_hash == key))
    if locked_until is not None and locked_until > now:
        return LoginResult(False, "locked", None, locked_until)
    check_password(password, _dummy_hash(DUMMY_ROUNDS))  # costs what a wrong password costs
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    counted = _counted(table.c.failed_attempts, table.c.locked_until, now)
    row = session.execute(
        insert(LoginThrottle)
        .values(name_hash=key, failed_attempts=1, locked_until=None, updated_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.name_hash],
            set_={**counted, "updated_at": literal(now, UTCDateTime())},
            where=_not_locked(table.c.locked_until, now),
        )
        .returning(table.c.locked_until)
    ).first()
    # Names tried a day ago and not locked now are forgotten, so the table stays small.
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.updated_at < literal(now - dt.timedelta(days=1), UTCDateTime()),
            _not_locked(LoginThrottle.locked_until, now),
        )
    )
    if row is None:  # locked by a parallel attempt meanwhile
        until = session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.name_hash == key))
        return LoginResult(False, "locked", None, until)
    if row[0] is not None and row[0] > now:
        log.info("sign-in throttled for an unknown name (%s...)", key[:8])
        return LoginResult(False, "locked", None, row[0])
    return LoginResult(False, "bad_credentials")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def encode_token(username: str, key: str, expiry_days: float, now: dt.datetime | None = None) -> str:
    now = now or clock.now()
    exp = (now + dt.timedelta(days=expiry_days)).timestamp()
    return jwt.encode({"username": username, "exp_date": exp, "iat": now.timestamp()}, key, algorithm="HS256")


def user_from_token(
    session: Session, token: str | None, key: str, expiry_days: float, now: dt.datetime | None = None
) -> User | None:
    """The active user a login cookie names, or None when it is forged, expired, issued
    before the user's last logout or password change, or names a disabled or locked user."""
    if not token:
        return None
    now = now or clock.now()
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
        username = str(claims["username"])
        expires = float(claims["exp_date"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None
    if expires <= now.timestamp():
        return None
    user = session.scalar(
        select(User).options(joinedload(User.org_unit)).where(User.username == username, User.deleted_at.is_(None))
    )
    if user is None or not user.active:
        return None
    if user.locked_until is not None and user.locked_until > now:
        return None
    # The library's own cookie has no "iat": derive it from the expiry it was given.
    issued = float(claims.get("iat", expires - expiry_days * 86400))
    if user.tokens_valid_after is not None and issued < user.tokens_valid_after.timestamp():
        return None
    return user


# -- sign-in tickets (serve.py's /_portal/login swaps one for the HttpOnly cookie) ---------

TICKET_SECONDS = 60
TICKET_PURPOSE = "login-ticket"


def make_ticket(username: str, key: str, now: dt.datetime | None = None) -> str:
    """A one-minute, single-use ticket naming a user who has just signed in; the browser
    brings it to the server, which answers with the login cookie (HttpOnly, so no script
    on the page ever holds the long-lived token)."""
    now = now or clock.now()
    claims = {
        "username": username,
        "purpose": TICKET_PURPOSE,
        "jti": secrets.token_urlsafe(24),
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(seconds=TICKET_SECONDS)).timestamp()),
    }
    return jwt.encode(claims, key, algorithm="HS256")


def read_ticket(ticket: str | None, key: str, now: dt.datetime | None = None) -> tuple[str, str] | None:
    """(username, ticket id) of a genuine, unexpired ticket; None for anything else (a
    forged or expired one, or a login cookie offered as a ticket)."""
    if not ticket:
        return None
    now = now or clock.now()
    try:
        claims = jwt.decode(
            ticket,
            key,
            algorithms=["HS256"],
            options={"require": ["exp", "jti"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("purpose") != TICKET_PURPOSE or float(claims["exp"]) <= now.timestamp():
        return None
    username, jti = claims.get("username"), claims.get("jti")
    if not isinstance(username, str) or not isinstance(jti, str) or len(jti) > 64:
        return None
    return username, jti


def use_ticket(session: Session, jti: str, now: dt.datetime | None = None) -> bool:
    """Mark a ticket used; False when it already was (a replay). The unique index decides,
    so two processes given the same ticket cannot both accept it."""
    now = now or clock.now()
    session.execute(
        delete(LoginTicket).where(
            LoginTicket.used_at < literal(now - dt.timedelta(seconds=10 * TICKET_SECONDS), UTCDateTime())
        )
    )
    try:
        with session.begin_nested():
            session.add(LoginTicket(jti=jti, used_at=now))
    except IntegrityError:
        return False
    return True


def usable_user(session: Session, username: str, now: dt.datetime | None = None) -> User | None:
    """The active, unlocked account of that name, if any."""
    now = now or clock.now()
    user = session.scalar(select(User).where(User.username == username, User.deleted_at.is_(None)))
    if user is None or not user.active or (user.locked_until is not None and user.locked_until > now):
        return None
    return user


def revoke_tokens(user: User, now: dt.datetime | None = None) -> None:
    """Every cookie issued so far stops working (logout, password change or reset)."""
    user.tokens_valid_after = now or clock.now()
