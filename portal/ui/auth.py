"""Login glue: the only module that imports streamlit_authenticator.

The library draws the login form and sets the cookie. Two things are done differently:
- passwords are checked against the database with lockout (portal.org.auth.authenticate),
  plugged in as the library model's check_credentials;
- the login cookie is read and verified on the server from st.context.cookies on every
  run, so a browser refresh is signed in on its first run, without waiting for the
  library's cookie component to round-trip (which can leave a blank or signed-out page).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy import select

from db.models import User
from portal import clock
from portal.config import CookieSettings, cookie_settings
from portal.org import auth, users
from portal.org.scope import Actor, actor_for
from portal.ui.db import unit_of_work
from portal.ui.i18n import set_lang, t
from portal.ui.messages import flash

log = logging.getLogger("portal.org.auth")
ACTOR_KEY = "auth.actor"
RESULT_KEY = "auth.login_result"
PENDING_SET = "auth.pending_cookie"
PENDING_DELETE = "auth.pending_cookie_delete"
_LIBRARY_KEYS = ("authentication_status", "username", "name", "email", "roles")
TOKEN_RE = re.compile(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


def current_actor() -> Actor | None:
    """The signed-in user, checked against the database on every run (a disabled or
    locked account is signed out at once), else whoever the login cookie names."""
    settings = cookie_settings()
    with unit_of_work() as session:
        user = None
        if st.session_state.get("authentication_status") and st.session_state.get("username"):
            user = session.scalar(
                select(User).where(User.username == st.session_state["username"], User.deleted_at.is_(None))
            )
            if user is not None and not _usable(user):
                user = None
        elif not st.session_state.get(PENDING_DELETE):
            token = _cookie(settings.name)
            user = auth.user_from_token(session, token, settings.key, settings.expiry_days)
        actor = actor_for(session, user) if user is not None else None
    if actor is None:
        _forget()
        return None
    if st.session_state.get(ACTOR_KEY) is None and actor.language:
        set_lang(actor.language)  # a fresh sign-in or refresh starts in the saved language
    st.session_state.update(
        {ACTOR_KEY: actor, "authentication_status": True, "username": actor.username, "name": actor.display_name}
    )
    return actor


def _usable(user: User) -> bool:
    now = clock.now()
    return user.active and not (user.locked_until and user.locked_until > now)


def _cookie(name: str) -> str | None:
    try:
        return st.context.cookies.get(name)
    except Exception:  # noqa: BLE001 - no browser context (bare script run)
        return None


def _forget() -> None:
    for key in (*_LIBRARY_KEYS, ACTOR_KEY):
        st.session_state.pop(key, None)


def _authenticator(settings: CookieSettings) -> Any:
    authenticator = stauth.Authenticate(
        {"usernames": {}},
        settings.name,
        settings.key,
        settings.expiry_days,
        auto_hash=False,
        login_sleep_time=0,
    )
    model = authenticator.authentication_controller.authentication_model
    model.check_credentials = lambda username, password: _check_credentials(model, username, password)
    # Cookies are verified in current_actor(); the library must not re-admit a cookie
    # that the server has revoked.
    authenticator.cookie_controller.get_cookie = lambda: None
    return authenticator


def _check_credentials(model: Any, username: str, password: str) -> bool:
    with unit_of_work() as session:
        result = auth.authenticate(session, username, password)
        if result.ok and result.user is not None:
            # What the library reads after a successful check.
            model.credentials["usernames"] = {
                result.user.username: {
                    "name": result.user.display_name,
                    "email": None,
                    "roles": [result.user.role],
                    "password": result.user.password_hash,
                }
            }
            if result.user.language:
                set_lang(result.user.language)
    st.session_state[RESULT_KEY] = (result.reason, result.locked_until)
    return result.ok


def login_page() -> None:
    """The only page an anonymous visitor gets, whatever URL they asked for."""
    settings = cookie_settings()
    authenticator = _authenticator(settings)
    if st.session_state.pop(PENDING_DELETE, False):
        # already worthless (revoked on the server); this removes it from the browser too
        _cookie_script(f"{settings.name}=; path=/; max-age=0; SameSite=Strict")
    st.title(t("app.title"))
    st.caption(t("login.intro"))
    fields = {
        "Form name": t("login.title"),
        "Username": t("login.username"),
        "Password": t("login.password"),
        "Login": t("login.submit"),
    }
    try:
        authenticator.login(location="main", fields=fields, key="login.form")
    except Exception:  # library errors are logged, the user gets a sentence
        log.exception("login widget failed")
        st.error(t("error.generic"))
        return
    status = st.session_state.get("authentication_status")
    if status:
        st.session_state[PENDING_SET] = auth.encode_token(
            st.session_state["username"], settings.key, settings.expiry_days
        )
        st.session_state.pop(RESULT_KEY, None)
        st.rerun()
    elif status is False:
        _show_login_failure()


def _show_login_failure() -> None:
    reason, locked_until = st.session_state.get(RESULT_KEY) or ("bad_credentials", None)
    if reason == "locked" and locked_until is not None:
        st.error(t("login.locked", attempts=auth.MAX_FAILED_ATTEMPTS, until=clock.local_time(locked_until, "%H:%M")))
    elif reason == "disabled":
        st.error(t("login.disabled"))
    else:
        st.error(t("login.bad_credentials"))


def sync_cookie() -> None:
    """After a sign-in, write the cookie from the first settled run with a script that
    runs as soon as it arrives: the library's write, made in the login run, can be cut
    short by the rerun that follows, and its cookie component's reply triggers another
    rerun that can unmount a second component before it writes. The token is ours
    (a signed JWT), checked against the JWT alphabet before it goes into the page."""
    # Kept and re-sent on every run of this session until the browser is known to hold
    # it (its cookies as sent when the session opened): a rerun that outruns the script
    # only delays the write. Writing the same cookie again is harmless.
    token = st.session_state.get(PENDING_SET)
    settings = cookie_settings()
    if token and TOKEN_RE.fullmatch(token) and _cookie(settings.name) != token:
        max_age = int(settings.expiry_days * 86400)
        with st.sidebar:
            _cookie_script(f"{settings.name}={token}; path=/; max-age={max_age}; SameSite=Strict")


def _cookie_script(cookie: str) -> None:
    st.html(f"<script>document.cookie = '{cookie}';</script>", unsafe_allow_javascript=True)


def logout(actor: Actor) -> None:
    """Sign out everywhere: the server revokes every cookie this user holds, then the
    browser's copy is deleted on the login page."""
    with unit_of_work() as session:
        users.logout(session, actor)
    _forget()
    st.session_state.pop(PENDING_SET, None)
    st.session_state[PENDING_DELETE] = True
    flash(t("shell.logged_out"), "info")
    st.rerun()


def renew_cookie(actor: Actor) -> None:
    """Give this browser a fresh cookie after the user's others were revoked (a password
    change signs out other devices, not this one)."""
    settings = cookie_settings()
    st.session_state[PENDING_SET] = auth.encode_token(actor.username, settings.key, settings.expiry_days)
