"""Passwords, lockout and the login cookie's token, without Streamlit.

The token has the shape streamlit-authenticator 0.4 writes ({"username", "exp_date"},
HS256), so the cookie it sets after the login form is the one verified here on the
server on every run, including the first run after a browser refresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import bcrypt
import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import User
from portal import clock
from portal.org.scope import Actor, actor_for
from portal.records import audit

MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
# A valid-looking hash to compare against when the username is unknown, so a missing
# account costs as much time as a wrong password and timing tells nothing.
_DUMMY_HASH = bcrypt.hashpw(b"dummy-password", bcrypt.gensalt(rounds=4)).decode()


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
    LOCK_MINUTES. A locked account refuses even the right password until the lock ends."""
    now = now or clock.now()
    username = (username or "").strip().lower()
    user = session.scalar(select(User).where(User.username == username, User.deleted_at.is_(None)))
    if user is None:
        check_password(password or "", _DUMMY_HASH)
        return LoginResult(False, "bad_credentials")
    actor = actor_for(session, user)
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(False, "locked", user, user.locked_until)
    if not check_password(password or "", user.password_hash):
        return _record_failure(session, user, actor, now)
    if not user.active:
        return LoginResult(False, "disabled", user)
    before = {"failed_attempts": user.failed_attempts, "last_login_at": _iso(user.last_login_at)}
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
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


def _record_failure(session: Session, user: User, actor: Actor, now: dt.datetime) -> LoginResult:
    before = {"failed_attempts": user.failed_attempts, "locked_until": _iso(user.locked_until)}
    user.failed_attempts += 1
    action = "login_failed"
    if user.failed_attempts >= MAX_FAILED_ATTEMPTS:
        user.failed_attempts = 0
        user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        action = "locked"
    after = {"failed_attempts": user.failed_attempts, "locked_until": _iso(user.locked_until)}
    audit.record(session, actor, action, "users", user.id, user.org_unit_id, before, after)
    if action == "locked":
        return LoginResult(False, "locked", user, user.locked_until)
    return LoginResult(False, "bad_credentials", user)


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
    user = session.scalar(select(User).where(User.username == username, User.deleted_at.is_(None)))
    if user is None or not user.active:
        return None
    if user.locked_until is not None and user.locked_until > now:
        return None
    # The library's own cookie has no "iat": derive it from the expiry it was given.
    issued = float(claims.get("iat", expires - expiry_days * 86400))
    if user.tokens_valid_after is not None and issued < user.tokens_valid_after.timestamp():
        return None
    return user


def revoke_tokens(user: User, now: dt.datetime | None = None) -> None:
    """Every cookie issued so far stops working (logout, password change or reset)."""
    user.tokens_valid_after = now or clock.now()
