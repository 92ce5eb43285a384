"""The HTTP routes serve.py adds to Streamlit's server, so the login cookie is set by the
server as HttpOnly (no script on the page can read it) instead of by JavaScript.

After the password check, the page sends the browser to /_portal/login with a one-minute,
single-use ticket (portal.org.auth.make_ticket); the route swaps it for the long-lived
login cookie (HttpOnly, SameSite=Strict, Secure over https) and redirects to the page
that was asked for. /_portal/logout deletes the cookie, which script cannot. Streamlit
reads the cookie from the websocket handshake (st.context.cookies), as before.

The routes run in Starlette's thread pool (plain def), outside any script run; they check
that the request comes from the portal's own pages (Sec-Fetch-Site, Origin), since custom
routes get no XSRF protection from Streamlit. Without serve.py (`streamlit run app.py`,
AppTest) there are no routes: a sign-in then lasts for the browser tab only.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from urllib.parse import urlencode, urlparse

from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from db.engine import database_url, make_engine, transaction
from portal.config import cookie_settings
from portal.org import auth

log = logging.getLogger("portal.launcher")
LOGIN_PATH = "/_portal/login"
LOGOUT_PATH = "/_portal/logout"
ENV_FLAG = "PORTAL_LAUNCHER"
# What the page after a redirect may say (the redirect starts a new session, so a flash
# message cannot travel in session state): query value -> catalogue key.
MESSAGES = {"signed_out": "shell.logged_out", "password_changed": "account.password_changed"}
MESSAGE_PARAM = "portal_msg"
_NEXT_RE = re.compile(r"^/[A-Za-z0-9_\-/]{0,200}$")


def activate() -> None:
    """Called by serve.py: this process serves the routes, so pages may redirect to them."""
    os.environ[ENV_FLAG] = "1"


def warm_up() -> None:
    """Called by serve.py: import every module the pages use before the first session.

    Otherwise the first page views after a start import pandas, Altair and the pages'
    modules in several script threads at once; one thread then sees another's half-made
    module ("partially initialized module 'pandas'") and its user an error. That is what a
    restarted process behind nginx gets: its browsers reconnect together, each on its page.

    It also tells Streamlit that this app navigates with st.navigation before any session
    starts. Until some session's app.py has said so, a fresh server runs a file under pages/
    by itself (its old multipage mode); with sessions arriving together, one such page
    could see the switch made by another half-way and be drawn without the shell (no menu,
    no sign-out) - shell._served_alone stays for `streamlit run app.py`.
    """
    import gc
    import importlib
    import pkgutil

    from streamlit.runtime.pages_manager import PagesManager

    import portal.ui

    PagesManager.uses_pages_directory = False  # what st.navigation sets on its first call
    for found in pkgutil.walk_packages(portal.ui.__path__, "portal.ui."):
        importlib.import_module(found.name)
    # What is loaded now (modules, classes, Altair's schema...) lives as long as the process:
    # park it outside the collector's generations, so no collection walks it again.
    gc.collect()
    gc.freeze()


def active() -> bool:
    return os.environ.get(ENV_FLAG) == "1"


def safe_next(value: str | None) -> str:
    """A path on this site to land on after sign-in: a relative path of plain segments,
    else "/" (never //host, a scheme, a backslash or a query of the sender's making)."""
    return value if value and _NEXT_RE.fullmatch(value) and not value.startswith("//") else "/"


def login_url(ticket: str, next_path: str, message: str | None = None) -> str:
    query = {"ticket": ticket, "next": safe_next(next_path)}
    if message in MESSAGES:
        query["msg"] = message
    return f"{LOGIN_PATH}?{urlencode(query)}"


def logout_url(message: str = "signed_out") -> str:
    return f"{LOGOUT_PATH}?{urlencode({'msg': message})}"


def _landing(next_path: str, message: str | None) -> str:
    if message in MESSAGES:
        return f"{next_path}?{urlencode({MESSAGE_PARAM: message})}"
    return next_path


def _from_the_portal(request: Request) -> bool:
    """A navigation from the portal's own pages, or typed/bookmarked; not one another
    site started (login CSRF: signing a victim in as the attacker)."""
    if request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return not origin or urlparse(origin).netloc == request.headers.get("host", request.url.netloc)


def _secure(request: Request) -> bool:
    # uvicorn already applies X-Forwarded-Proto from a trusted proxy to the scheme
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _redirect(target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the ticket never travels further
    return response


@functools.cache
def _engine(url: str) -> Engine:
    return make_engine(url)


def login(request: Request) -> Response:
    """Swap a ticket for the login cookie, then land on the page asked for."""
    if not _from_the_portal(request):
        log.warning("sign-in ticket refused: request from another site (%s)", request.headers.get("sec-fetch-site"))
        return Response(status_code=403)
    params = request.query_params
    response = _redirect(_landing(safe_next(params.get("next")), params.get("msg")))
    settings = cookie_settings()
    found = auth.read_ticket(params.get("ticket"), settings.key)
    if found is None:
        log.warning("sign-in ticket refused: forged, expired or not a ticket")
        return response
    username, jti = found
    with transaction(_engine(database_url())) as session:
        if not auth.use_ticket(session, jti):
            log.warning("sign-in ticket refused: already used (user %s)", username)
            return response
        if auth.usable_user(session, username) is None:
            return response  # disabled or locked in the last minute
    token = auth.encode_token(username, settings.key, settings.expiry_days)
    response.set_cookie(
        settings.name,
        token,
        max_age=int(settings.expiry_days * 86400),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


def logout(request: Request) -> Response:
    """Delete the login cookie (already worthless: signing out revoked it on the server)."""
    if not _from_the_portal(request):
        return Response(status_code=403)
    response = _redirect(_landing("/", request.query_params.get("msg")))
    response.delete_cookie(cookie_settings().name, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


def routes() -> list[Route]:
    return [Route(LOGIN_PATH, login, methods=["GET"]), Route(LOGOUT_PATH, logout, methods=["GET"])]
