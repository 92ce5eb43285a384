"""Login glue: the only module that imports streamlit_authenticator.

The library draws the login form; everything else is done here:
- passwords are checked against the database with lockout (portal.org.auth.authenticate),
  plugged in as the library model's check_credentials;
- the login cookie is set and deleted by the server (serve.py's routes, HttpOnly), never
  by script in the page: after the password check the browser is sent to /_portal/login
  with a one-minute ticket, and to /_portal/logout on signing out;
- the cookie is read and verified on the server from st.context.cookies on every run, so
  a browser refresh or a deep link is signed in on its first run.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from db.models import User
from portal import cache, clock
from portal.config import CookieSettings, cookie_settings
from portal.org import auth, users
from portal.org.scope import Actor, actor_for
from portal.ui import launcher
from portal.ui.db import unit_of_work
from portal.ui.i18n import set_lang, t
from portal.ui.messages import flash

log = logging.getLogger("portal.org.auth")
ACTOR_KEY = "auth.actor"
RESULT_KEY = "auth.login_result"
REDIRECT_MESSAGE = "auth.redirect_message"
_LIBRARY_KEYS = ("authentication_status", "username", "name", "email", "roles")
_warned_no_launcher: list[bool] = []


def current_actor() -> Actor | None:
    """The signed-in user, checked against the database on every run (a disabled or
    locked account is signed out at once), else whoever the login cookie names."""
    settings = cookie_settings()
    if st.session_state.get("authentication_status") and st.session_state.get("username"):
        asked: tuple[str, str | None] = ("user", st.session_state["username"])
    else:
        asked = ("cookie", _cookie(settings.name))

    def look_up() -> Actor | None:
        with unit_of_work() as session:
            user = None
            if asked[0] == "user":
                user = session.scalar(
                    select(User)
                    .options(joinedload(User.org_unit))
                    .where(User.username == asked[1], User.deleted_at.is_(None))
                )
                if user is not None and not _usable(user):
                    user = None
            else:
                user = auth.user_from_token(session, asked[1], settings.key, settings.expiry_days)
            return actor_for(session, user) if user is not None else None

    actor = cache.memo(("signed_in", asked), look_up)  # once per rerun: app.py and the page both ask
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
    # Cookies are verified in current_actor() and written by the server (serve.py): the
    # library must neither re-admit a cookie the server revoked nor write its own copy
    # from script, which could not be HttpOnly.
    authenticator.cookie_controller.get_cookie = lambda: None
    authenticator.cookie_controller.set_cookie = lambda: None
    authenticator.cookie_controller.delete_cookie = lambda: None
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


def login_page(next_path: str = "/") -> None:
    """The only page an anonymous visitor gets, whatever URL they asked for; next_path is
    that URL's path, where a successful sign-in lands."""
    settings = cookie_settings()
    authenticator = _authenticator(settings)
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
        st.session_state.pop(RESULT_KEY, None)
        if launcher.active():
            ticket = auth.make_ticket(st.session_state["username"], settings.key)
            redirect(launcher.login_url(ticket, next_path))
            st.stop()  # the browser leaves for the cookie and comes back signed in
        _no_launcher()
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


def redirect(url: str) -> None:
    """Send the browser to url (a full page load): the message st.login and st.logout use,
    which the page follows with window.location, so no script of ours runs in the page."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    msg = ForwardMsg()
    msg.auth_redirect.url = url
    ctx.enqueue(msg)


def _no_launcher() -> None:
    if not _warned_no_launcher:
        _warned_no_launcher.append(True)
        log.warning("started without serve.py: no login cookie can be set, so a sign-in lasts for this browser tab")


def show_redirect_message(keep: bool) -> None:
    """The sentence a redirect brought along (?portal_msg=...). With keep (the login
    page), it stays for the session: the login widget's own component reruns the page
    once it loads, which would wipe a message shown only once."""
    try:
        arrived = launcher.MESSAGES.get(st.query_params.get(launcher.MESSAGE_PARAM) or "")
    except Exception:  # noqa: BLE001 - no browser context (bare script run)
        return
    if arrived:
        del st.query_params[launcher.MESSAGE_PARAM]
        st.session_state[REDIRECT_MESSAGE] = arrived
    key = st.session_state.get(REDIRECT_MESSAGE) if keep else st.session_state.pop(REDIRECT_MESSAGE, None)
    if key:
        (st.info if key == "shell.logged_out" else st.success)(t(key))


def logout(actor: Actor) -> None:
    """Sign out everywhere: the server revokes every cookie this user holds, then the
    browser's copy is deleted by /_portal/logout (script cannot delete an HttpOnly one)."""
    with unit_of_work() as session:
        users.logout(session, actor)
    _forget()
    if launcher.active():
        redirect(launcher.logout_url("signed_out"))
        st.stop()
    flash(t("shell.logged_out"), "info")
    st.rerun()


def renew_cookie(actor: Actor) -> None:
    """Give this browser a fresh cookie after the user's others were revoked (a password
    change signs out other devices, not this one): a round trip through /_portal/login."""
    if launcher.active():
        ticket = auth.make_ticket(actor.username, cookie_settings().key)
        redirect(launcher.login_url(ticket, "/account", "password_changed"))
