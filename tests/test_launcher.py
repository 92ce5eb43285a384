"""serve.py's routes (issue 8, defect 14): the login cookie is set by the server, HttpOnly,
SameSite=Strict and Secure over https, in exchange for a one-minute single-use ticket;
requests from other sites are refused; the landing page is a checked relative path; and
the page no longer writes any cookie from script. The routes are called directly with
Starlette requests; the browser tests drive them through a real `streamlit run serve.py`."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from portal import config
from portal.i18n import t
from portal.org import auth, users
from portal.ui import auth as ui_auth
from portal.ui import launcher
from tests.conftest import make_user, served_app

ROOT = Path(__file__).resolve().parents[1]
KEY = "k" * 40


@pytest.fixture
def site(engine: Engine, tree: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PORTAL_COOKIE_KEY", KEY)
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    monkeypatch.setattr(config, "read_secrets", dict)
    make_user(engine, "head", "head", tree["county"])
    return engine


def request(path: str, query: dict[str, str], headers: dict[str, str] | None = None, scheme: str = "http") -> Request:
    sent = {"host": "portal.test", **(headers or {})}
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": scheme,
            "path": path,
            "root_path": "",
            "query_string": urlencode(query).encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in sent.items()],
            "server": ("portal.test", 443 if scheme == "https" else 80),
        }
    )


def cookies(response: Response) -> list[str]:
    return [v.decode() for k, v in response.raw_headers if k == b"set-cookie"]


def sign_in(ticket: str, next_path: str = "/", **kw: Any) -> Response:
    return launcher.login(request(launcher.LOGIN_PATH, {"ticket": ticket, "next": next_path}, **kw))


def test_a_ticket_is_swapped_for_an_http_only_strict_cookie(site):
    response = sign_in(auth.make_ticket("head", KEY), "/plans", headers={"sec-fetch-site": "same-origin"})
    assert response.status_code == 303 and response.headers["location"] == "/plans"
    [cookie] = cookies(response)
    parts = [p.strip().lower() for p in cookie.split(";")]
    assert parts[0].startswith(config.COOKIE_NAME + "=")
    assert "httponly" in parts and "samesite=strict" in parts and "path=/" in parts
    assert "secure" not in parts  # plain http on localhost
    token = cookie.split(";")[0].split("=", 1)[1]
    with transaction(site) as s:
        assert auth.user_from_token(s, token, KEY, config.COOKIE_EXPIRY_DAYS).username == "head"
    assert response.headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_over_https_and_behind_a_tls_proxy(site):
    direct = sign_in(auth.make_ticket("head", KEY), scheme="https")
    proxied = sign_in(auth.make_ticket("head", KEY), headers={"x-forwarded-proto": "https"})
    for response in (direct, proxied):
        assert "secure" in [p.strip().lower() for p in cookies(response)[0].split(";")]


def test_a_ticket_works_once(site):
    ticket = auth.make_ticket("head", KEY)
    assert cookies(sign_in(ticket))
    again = sign_in(ticket)
    assert again.status_code == 303 and not cookies(again)


@pytest.mark.parametrize(
    "ticket",
    [
        "",
        "not-a-jwt",
        auth.make_ticket("head", "another-key-" + "x" * 20),
        auth.make_ticket("head", KEY, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=61)),
        auth.encode_token("head", KEY, 7),  # a login cookie is not a ticket
        auth.make_ticket("nobody", KEY),
    ],
)
def test_anything_but_a_fresh_genuine_ticket_sets_no_cookie(site, ticket):
    response = sign_in(ticket)
    assert response.status_code == 303 and not cookies(response)


def test_a_disabled_account_gets_no_cookie_from_its_ticket(site, tree):
    ticket = auth.make_ticket("head", KEY)
    with transaction(site) as s:
        admin = make_user(site, "root", "admin", tree["county"])
        head = users.by_username(s, admin, "head")
        users.set_active(s, admin, head.id, False)
    assert not cookies(sign_in(ticket))


@pytest.mark.parametrize("headers", [{"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"},
                                     {"origin": "https://evil.example"}])  # fmt: skip
def test_a_sign_in_started_by_another_site_is_refused(site, headers):
    response = sign_in(auth.make_ticket("head", KEY), headers=headers)
    assert response.status_code == 403 and not cookies(response)
    logout = launcher.logout(request(launcher.LOGOUT_PATH, {}, headers=headers))
    assert logout.status_code == 403 and not cookies(logout)


@pytest.mark.parametrize(
    "asked, lands",
    [
        ("/plans", "/plans"),
        ("/", "/"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/plans?x=1", "/"),
        ("plans", "/"),
        ("", "/"),
    ],
)
def test_only_a_plain_relative_path_is_followed(site, asked, lands):
    assert sign_in(auth.make_ticket("head", KEY), asked).headers["location"] == lands


def test_logout_deletes_the_http_only_cookie_and_says_so(site):
    response = launcher.logout(request(launcher.LOGOUT_PATH, {"msg": "signed_out"}))
    assert response.status_code == 303
    assert response.headers["location"] == "/?portal_msg=signed_out"
    [cookie] = cookies(response)
    parts = [p.strip().lower() for p in cookie.split(";")]
    assert parts[0] == config.COOKIE_NAME.lower() + '=""' or parts[0] == config.COOKIE_NAME.lower() + "="
    assert "max-age=0" in parts and "httponly" in parts


def test_serve_py_is_an_app_streamlit_discovers_with_both_routes():
    source = (ROOT / "serve.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    assigned = [n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "app"]
    assert assigned and ast.unparse(assigned[0].value).startswith("st.App(")
    assert {r.path for r in launcher.routes()} == {launcher.LOGIN_PATH, launcher.LOGOUT_PATH}


def test_no_page_writes_a_cookie_from_script():
    # The one script a page may run is the fixed one that closes the phone menu after
    # navigating (no user text, no cookie): shell.CLOSE_SIDEBAR, passed as that constant.
    allowed = {
        ROOT / "portal/ui/shell.py": "st.html(CLOSE_SIDEBAR if changed else NO_SCRIPT, unsafe_allow_javascript=True"
    }
    for path in [ROOT / "app.py", *(ROOT / "portal").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "document.cookie" not in text, path
        if "unsafe_allow_javascript" in text:
            assert path in allowed and text.count("unsafe_allow_javascript") == 1, path
            assert allowed[path] in text, path
    from portal.ui import shell

    assert "cookie" not in shell.CLOSE_SIDEBAR.lower() and "fetch" not in shell.CLOSE_SIDEBAR
    assert "<script" not in shell.NO_SCRIPT


# --------------------------------------------------------------------------- through the page


@pytest.fixture
def redirects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    sent: list[str] = []
    monkeypatch.setenv(launcher.ENV_FLAG, "1")  # as serve.py does
    monkeypatch.setattr(ui_auth, "redirect", sent.append)
    yield sent


def test_signing_in_on_a_deep_link_goes_for_the_cookie_and_back_to_it(engine, tree, tmp_path_factory, redirects):
    make_user(engine, "head", "head", tree["county"], password="demo12345")
    with served_app(tmp_path_factory, engine) as entry:
        at = AppTest.from_file(entry, default_timeout=30)
        at.session_state["lang"] = "zh-CN"
        at.switch_page(str(ROOT / "pages/admin.py"))  # the URL typed before signing in
        at.run()
        at.text_input[0].input("head")
        at.text_input[1].input("demo12345")
        at.button[0].click()
        at.run()
        assert not at.exception
        settings = config.cookie_settings()
    [url] = redirects
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert parsed.path == launcher.LOGIN_PATH and query["next"] == "/admin"
    assert auth.read_ticket(query["ticket"], settings.key)[0] == "head"


def test_signing_out_goes_to_the_logout_route(engine, tree, tmp_path_factory, redirects):
    make_user(engine, "head", "head", tree["county"])
    with served_app(tmp_path_factory, engine) as entry:
        at = AppTest.from_file(entry, default_timeout=30)
        for key, value in {"lang": "zh-CN", "authentication_status": True, "username": "head"}.items():
            at.session_state[key] = value
        at.run()
        at.button(key="shell.logout").click()
        at.run()
        assert not at.exception
    assert redirects == [launcher.logout_url("signed_out")]


def test_the_message_a_redirect_brings_is_shown_once(engine, tree, tmp_path_factory):
    make_user(engine, "head", "head", tree["county"])
    with served_app(tmp_path_factory, engine) as entry:
        at = AppTest.from_file(entry, default_timeout=30)
        at.session_state["lang"] = "zh-CN"
        at.query_params[launcher.MESSAGE_PARAM] = "signed_out"
        at.run()
        assert t("shell.logged_out") in [i.value for i in at.info]
        assert launcher.MESSAGE_PARAM not in at.query_params
