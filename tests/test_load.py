"""portal.ui.load against a real `streamlit run serve.py` on a free port: simulated users
speaking Streamlit's websocket protocol are signed in by their cookie, are served the
pages of their role with the right content and scope, and the report counts it all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from portal.demo import DEMO_PASSWORD, TOWNSHIPS, USERS, load_demo
from portal.i18n import t
from portal.ui import load
from tests.browser_support import ROOT, Server, streamlit_server

DISPLAY = {u.username: u.display_name for u in USERS}
STAFF_TOWNSHIP = next(tw for tw in TOWNSHIPS if tw.code == "cg")  # the demo staff's unit
OTHER_TOWNSHIP = next(tw for tw in TOWNSHIPS if tw.code == "dg")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with streamlit_server("portal-load-", lambda engine: load_demo(engine, fast=True)) as srv:
        yield srv


@pytest.fixture
def portal_env(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The load tool's settings are the server's: its database URL and demo mode, so the
    cookie it makes is signed with the demo key kept beside that database."""
    monkeypatch.setenv("PORTAL_DATABASE_URL", server.db_url)
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.delenv("PORTAL_COOKIE_KEY", raising=False)


def test_a_fresh_server_serves_deep_links_arriving_together(server: Server, portal_env: None) -> None:
    """The first views of a just-started process, each user on another page at once (a
    restarted process behind nginx gets exactly this): serve.py imports the pages' modules
    before the first session, so no thread sees another's half-imported pandas."""
    result = load.run(load.Config(server.url, users=6, duration=120.0, views=1))
    assert {v.page for v in result.views} == {"", "plans", "targets", "education"}
    assert result.summary()["errors"] == 0, result.summary()["error_samples"]


def test_simulated_users_get_their_pages_with_the_right_content(server: Server, portal_env: None) -> None:
    # each user walks its whole mix once, however slow the shared machine is today
    views = max(len(pages) for pages in load.MIX.values())
    result = load.run(load.Config(server.url, users=2, duration=120.0, keep_text=True, views=views))
    summary = result.summary()
    assert summary["errors"] == 0, summary["error_samples"]
    assert result.sessions_opened == 2
    assert summary["requests"] == 2 * views
    assert summary["p50_ms"] > 0 and summary["p95_ms"] >= summary["p50_ms"]

    def shown(user: str, page: str) -> list[str]:
        views = [v for v in result.views if v.user == user and v.page == page]
        assert views, f"{user} never opened /{page}"
        return [text for v in views for text in v.texts]

    # signed in as who the cookie says: the home page greets that person
    assert t("home.welcome", name=DISPLAY["head"]) in shown("head", "")
    assert t("home.welcome", name=DISPLAY["staff"]) in shown("staff", "")
    # the county head sees every township and the plans' review panel
    head_texts = shown("head", "") + shown("head", "plans")
    assert any(OTHER_TOWNSHIP.name_zh in text for text in head_texts)
    assert t("plans.review.action_title") in shown("head", "plans")
    # a township's staff sees its own township, never another one, and no review panel
    staff_texts = [text for v in result.views if v.user == "staff" for text in v.texts]
    assert any(STAFF_TOWNSHIP.name_zh in text for text in staff_texts)
    assert not any(OTHER_TOWNSHIP.name_zh in text for text in staff_texts)
    assert t("plans.review.action_title") not in shown("staff", "plans")


def test_a_refused_cookie_is_counted_as_an_error(
    server: Server, portal_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_COOKIE_KEY", "not-the-servers-key-" + "x" * 20)
    summary = load.run(load.Config(server.url, users=1, duration=1.0)).summary()
    assert summary["requests"] >= 1
    assert summary["errors"] == summary["requests"]
    assert "not signed in" in summary["error_samples"][0]


def test_the_command_prints_one_json_report(server: Server) -> None:
    env = {**os.environ, "PORTAL_DATABASE_URL": server.db_url, "PORTAL_DEMO": "1"}
    env.pop("PORTAL_COOKIE_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "portal.ui.load", "--url", server.url, "--users", "2", "--duration", "3", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    for key in ("users", "requests", "errors", "p50_ms", "p95_ms", "max_ms", "rss_mb", "pages_per_s"):
        assert key in report
    assert report["users"] == 2 and report["errors"] == 0 and report["requests"] >= 2
    assert set(report["pages"]) <= {"/", "/plans", "/targets", "/education"}
    # the server's memory, found through the port it listens on
    assert 50 < report["rss_mb"] < 4000


def test_users_can_sign_in_through_the_login_form(server: Server, portal_env: None) -> None:
    """--password: the form is filled in over the websocket, the redirect is followed to
    serve.py's /_portal/login, and the HttpOnly cookie it sets signs the session in."""
    result = load.run(load.Config(server.url, users=1, duration=60.0, views=2, password=DEMO_PASSWORD))
    summary = result.summary()
    assert summary["errors"] == 0, summary["error_samples"]
    assert [v.page for v in result.views] == [load.SIGN_IN, "", "plans"]

    wrong = load.run(load.Config(server.url, users=1, duration=60.0, views=1, password="not-the-password"))
    assert [(v.page, v.error) for v in wrong.views] == [(load.SIGN_IN, "head: the login form refused the password")]
