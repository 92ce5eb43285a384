"""portal.ui.load against a real `streamlit run serve.py` on a free port: simulated users
speaking Streamlit's websocket protocol are signed in by their cookie, are served the
pages of their role with the right content and scope, and the report counts it all."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from sqlalchemy import create_engine, select
from streamlit.proto.BackMsg_pb2 import BackMsg

from db.models import AuditEntry, HeActivity, OrgUnit
from portal import clock
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
    # each session's first view is reported apart as well: one per user
    assert sum(v.first for v in result.views) == 2
    assert [v.page for v in result.views if v.first] == ["", ""]  # both mixes start at home
    assert summary["first_view"]["p50_ms"] > 0

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
        # the name the operations guide gives; it runs portal.ui.load
        [sys.executable, "-m", "portal.load", "--url", server.url, "--users", "2", "--duration", "3", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    for key in ("users", "requests", "errors", "p50_ms", "p95_ms", "max_ms", "rss_mb", "pages_per_s", "ramp_s"):
        assert key in report
    assert report["users"] == 2 and report["errors"] == 0 and report["requests"] >= 2
    assert set(report["pages"]) <= {"/", "/plans", "/targets", "/education", "/education+add", "/education+save"}
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


def test_staff_save_activities_through_the_add_form(server: Server, portal_env: None) -> None:
    """The save in the staff's mix: the add form is opened, its widgets' ids read from the
    deltas, filled in and submitted over the websocket; each confirmed save is one new
    activity in the user's own unit, dated today, with its audit entry, and the writes are
    timed under their own page name."""
    engine = create_engine(server.db_url)

    def saved() -> list[tuple[int, str, int, object, str]]:
        with engine.connect() as conn:
            rows = conn.execute(
                select(HeActivity.id, HeActivity.title, HeActivity.org_unit_id, HeActivity.activity_date, OrgUnit.code)
                .join(OrgUnit, OrgUnit.id == HeActivity.org_unit_id)
                .where(HeActivity.notes == load.SAVE_NOTE, HeActivity.deleted_at.is_(None))
            )
            return [tuple(row) for row in rows]

    def audited(ids: list[int]) -> int:
        with engine.connect() as conn:
            return len(
                conn.execute(
                    select(AuditEntry.id).where(
                        AuditEntry.record_type == "he_activities",
                        AuditEntry.action == "create",
                        AuditEntry.actor_name == "staff",
                        AuditEntry.record_id.in_(ids),
                    )
                ).all()
            )

    try:
        before = saved()
        # three staff sessions at once, each starting on another step of its mix: every
        # walk of five requests holds one save (opening the form + sending it)
        result = load.run(load.Config(server.url, users=3, duration=180.0, usernames=("staff",), views=5))
        summary = result.summary()
        assert summary["errors"] == 0, summary["error_samples"]
        saves = [v for v in result.views if v.page == load.SAVE]
        assert len(saves) == 3
        assert len([v for v in result.views if v.page == load.ADD_FORM]) == 3
        # the writes are a page of the report, with their timing
        row = summary["pages"]["/" + load.SAVE]
        assert row["requests"] == 3 and row["errors"] == 0
        assert row["p50_ms"] > 0 and row["max_ms"] >= row["p95_ms"] >= row["p50_ms"]
        assert summary["pages"]["/" + load.ADD_FORM]["requests"] == 3
        assert summary["requests"] == len(result.views) == 15

        after = saved()
        new = [r for r in after if r not in before]
        assert len(after) - len(before) == len(new) == len(saves)  # one row per confirmed save
        assert len({r[1] for r in new}) == len(new)  # a title no save repeats
        assert {r[4] for r in new} == {STAFF_TOWNSHIP.code}  # the user's own unit, as the form had it
        assert {r[3] for r in new} == {clock.today()}
        assert audited([r[0] for r in new]) == len(new)  # written with their audit entries
    finally:
        engine.dispose()


def test_no_saves_leaves_the_database_alone(server: Server, portal_env: None) -> None:
    result = load.run(load.Config(server.url, users=1, duration=120.0, usernames=("staff",), views=5, saves=False))
    assert result.summary()["errors"] == 0, result.summary()["error_samples"]
    assert [v.page for v in result.views] == ["", "education", "plans", "", "education"]


def test_a_refused_save_is_counted_as_an_error(
    server: Server, portal_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form the portal refuses (here: sent without its required title) shows an error
    box and no confirmation: the save view is an error and no row is written."""
    made = load.save_message

    def untitled(widgets: dict[str, Any], rng: Any, username: str) -> bytes:
        msg = BackMsg()
        msg.ParseFromString(made(widgets, rng, username))
        kept = [w for w in msg.rerun_script.widget_states.widgets if not w.id.endswith(load.FORM_KEY + "title")]
        del msg.rerun_script.widget_states.widgets[:]
        msg.rerun_script.widget_states.widgets.extend(kept)
        return msg.SerializeToString()

    monkeypatch.setattr(load, "save_message", untitled)

    async def refused() -> list[load.View]:
        async with websockets.connect(
            load.stream_url(server.url),
            subprotocols=[websockets.Subprotocol("streamlit")],
            additional_headers={"Cookie": load.login_cookie("staff")},
            max_size=None,
        ) as ws:
            return await load.save(ws, "staff", True, random.Random(1))

    engine = create_engine(server.db_url)
    try:
        with engine.connect() as conn:
            before = len(conn.execute(select(HeActivity.id)).all())
        opened, sent = asyncio.run(refused())
        with engine.connect() as conn:
            after = len(conn.execute(select(HeActivity.id)).all())
    finally:
        engine.dispose()
    assert (opened.page, opened.error) == (load.ADD_FORM, None)
    assert sent.page == load.SAVE
    assert sent.error is not None and sent.error.startswith("error box"), sent.error
    assert not load.SAVED & set(sent.texts)
    assert after == before


def test_users_arrive_over_one_think_time_unless_told() -> None:
    """A user who views a page every THINK seconds is at any phase of it in the steady
    state: by default the sessions open evenly over one think time; --ramp chooses."""
    assert load.Config("http://x", users=30, duration=60.0, think=10.0).arrival_window() == 10.0
    assert load.Config("http://x", users=8, duration=60.0).arrival_window() == 1.0  # flat out
    assert load.Config("http://x", users=8, duration=5.0).arrival_window() == 0.5
    assert load.Config("http://x", users=30, duration=60.0, think=10.0, ramp=0.0).arrival_window() == 0.0
    assert load.Config("http://x", users=30, duration=60.0, think=10.0, ramp=3.0).arrival_window() == 3.0


def test_arrivals_are_spread_over_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[float] = []
    loop_start: list[float] = []

    async def fake_user(index: int, cfg: load.Config, deadline: float, result: load.Result) -> None:
        started.append(asyncio.get_running_loop().time() - loop_start[0])

    async def go() -> None:
        loop_start.append(asyncio.get_running_loop().time())
        await load.run_async(load.Config("http://127.0.0.1:9", users=4, duration=0.1, ramp=0.8, pids=(os.getpid(),)))

    monkeypatch.setattr(load, "simulated_user", fake_user)
    asyncio.run(go())
    assert len(started) == 4
    # one user in each quarter of 0.8 s: user i opens in [0.2 i, 0.2 (i + 1))
    for i, at in enumerate(started):
        assert 0.2 * i - 0.02 <= at <= 0.2 * (i + 1) + 0.1, started


def test_one_real_browser_runs_beside_the_simulated_users(server: Server, portal_env: None) -> None:
    """--browser: one headless Chromium signed in by the same cookie opens the county head's
    pages by URL while the simulated users run; every page load must end signed in, with
    no run in progress and no exception box."""
    if not os.path.exists(load.BROWSER_PATH):
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{load.BROWSER_PATH} not found (apt-get install chromium)")
        pytest.skip(f"{load.BROWSER_PATH} not found")
    result = load.run(load.Config(server.url, users=2, duration=25.0, views=4, browser=load.BROWSER_PATH))
    summary = result.summary()
    assert summary["errors"] == 0, summary["error_samples"]
    browser = summary["browser"]
    assert browser is not None and browser["requests"] >= 2 and browser["errors"] == 0
    assert browser["p50_ms"] > 0
    assert {v.page for v in result.browser_views} <= set(load.MIX["head"])
    # the browser's loads are reported apart, not among the simulated users' views
    assert summary["requests"] == len(result.views) >= 2 * 4
    assert not any(v.user.startswith("browser:") for v in result.views)


def test_a_browser_that_cannot_start_is_an_error_of_the_run(server: Server, portal_env: None) -> None:
    result = load.run(load.Config(server.url, users=1, duration=2.0, views=1, browser="/nonexistent/chromium"))
    summary = result.summary()
    assert summary["browser"]["errors"] == 1 and summary["errors"] == 1
    assert "browser:head" in summary["error_samples"][0]
