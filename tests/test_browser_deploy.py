"""A real browser through nginx in front of two portal processes (tests/test_deploy.py's
cluster): it signs in with the login form, then the process holding its session stops;
the page reconnects by itself, lands on the other process and is still signed in."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from portal.config import COOKIE_NAME
from portal.demo import DEMO_PASSWORD, USERS
from portal.i18n import catalogue, t
from tests import test_deploy
from tests.browser_support import chromium, goto, settle
from tests.test_deploy import Cluster

pytestmark = pytest.mark.browser

cluster = test_deploy.cluster  # the same fixture: two processes behind nginx
TEXTS = catalogue("zh-CN")
MAIN = '[data-testid="stMain"]'
HEAD = next(u for u in USERS if u.username == "head")
TIMEOUT_MS = 30_000


def test_a_browser_session_survives_losing_its_process(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("PORTAL_DATABASE_URL", "PORTAL_DEMO", "PORTAL_COOKIE_KEY"):
        monkeypatch.setenv(key, cluster.env[key])
    welcome = t("home.welcome", name=HEAD.display_name)
    with chromium() as browser:
        ctx = browser.new_context(base_url=cluster.url, viewport={"width": 1400, "height": 900}, locale="zh-CN")
        ctx.set_default_timeout(TIMEOUT_MS)
        page = ctx.new_page()
        goto(page, "/")
        page.locator('input[type="password"]').wait_for()
        settle(page)
        page.get_by_label(TEXTS["login.username"], exact=True).fill("head")
        page.get_by_label(TEXTS["login.password"], exact=True).fill(DEMO_PASSWORD)
        page.locator(MAIN).get_by_role("button", name=TEXTS["login.submit"], exact=True).click()
        page.get_by_text(welcome).wait_for()
        settle(page)
        (cookie,) = [c for c in ctx.cookies() if c["name"] == COOKIE_NAME]
        assert cookie["httpOnly"]

        # which process holds this browser: nginx sends the same cookie to the same one
        before = len(cluster.stream_upstreams())
        probe = test_deploy._session(cluster.url, f"{COOKIE_NAME}={cookie['value']}", "head")
        with ThreadPoolExecutor(1) as other_thread:  # Playwright's own loop runs in this one
            other_thread.submit(asyncio.run, probe).result()
        (holder,) = test_deploy._new_streams(cluster, before, 1)
        test_deploy._stop(cluster.upstreams[holder])

        # Streamlit's page notices the lost connection and reconnects through nginx
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page.wait_for_timeout(500)
            if page.get_by_text(welcome).count() and not page.locator('input[type="password"]').count():
                break
        settle(page)
        assert page.get_by_text(welcome).count() == 1, "the page did not come back signed in"
        assert page.locator('input[type="password"]').count() == 0
        # and it is a live session: the menu still works
        menu = page.locator('[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"]')
        menu.filter(has_text=TEXTS["nav.plans"]).first.click()
        page.locator(MAIN).get_by_role("heading", name=TEXTS["nav.plans"]).first.wait_for()
        settle(page)
        before = len(cluster.stream_upstreams())
        ctx.close()
    (served,) = test_deploy._new_streams(cluster, before, 1)
    assert served != holder and served in cluster.upstreams
