"""What the browser tests share: a real `streamlit run` on a free port over a throw-away
SQLite database, Debian's Chromium through Playwright, and waiting for Streamlit to
settle. Each test module seeds its own database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import fresh_engine

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SETTLE_MS = 20_000


@dataclass(frozen=True)
class Server:
    url: str
    db_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace") if self.log.exists() else ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().decode().strip() == "ok"
    except OSError:
        return False


@contextmanager
def streamlit_server(prefix: str, seed: Callable[[Engine], Any]) -> Iterator[Server]:
    """A migrated, seeded SQLite database and the portal served on it in demo mode,
    through serve.py as `make run` does (the login cookie comes from its routes)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    engine = fresh_engine("sqlite", tmp)
    try:
        seed(engine)
    finally:
        engine.dispose()
    db_url = f"sqlite:///{tmp / 'portal.sqlite3'}"
    port = free_port()
    env = {**os.environ, "PORTAL_DATABASE_URL": db_url, "PORTAL_DEMO": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("PORTAL_COOKIE_KEY", None)  # demo mode supplies its own key
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "serve.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    srv = Server(f"http://127.0.0.1:{port}", db_url, log)
    try:
        deadline = time.monotonic() + 60
        while not healthy(srv.url):
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{srv.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health within 60 s:\n{srv.output()}")
            time.sleep(0.25)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if os.environ.get("PORTAL_KEEP_SERVER_LOG"):
            print(srv.output())
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless. Missing: skip locally, fail under CI."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} not found (apt-get install chromium) - browser tests need it"
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def settle(page: Any, quiet_ms: int = 400) -> None:
    """Wait until Streamlit has drawn the page and no script run is in progress: the app
    frame is there, the network is idle, and the running indicator has stayed away for
    `quiet_ms` (a rerun can start just after the previous one ended)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=SETTLE_MS)
    # the websocket keeps some pages "busy"; the poll below decides
    with suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
    running = page.locator('[data-testid="stStatusWidget"]')
    deadline = time.monotonic() + SETTLE_MS / 1000
    quiet_since = None
    while time.monotonic() < deadline:
        if running.count() == 0 or not running.first.is_visible():
            quiet_since = quiet_since or time.monotonic()
            if (time.monotonic() - quiet_since) * 1000 >= quiet_ms:
                return
        else:
            quiet_since = None
        page.wait_for_timeout(100)
    raise AssertionError(f"Streamlit still running after {SETTLE_MS} ms on {page.url}")


# --- what a browser test does with a page ---------------------------------------------------


def leave_field(page: Any) -> None:
    """Leave the focused field with Tab, as a person does, so Streamlit commits its text.

    When the next field is a date box, focusing it opens its calendar, which floats over
    the buttons below; a person closes it with Escape (or a tap), and so does this."""
    page.keyboard.press("Tab")
    calendar = page.locator('#stFloatingOverlayPortal [role="grid"]')
    with suppress(Exception):
        calendar.first.wait_for(state="visible", timeout=500)
    if calendar.count() and calendar.first.is_visible():
        page.keyboard.press("Escape")
        calendar.first.wait_for(state="hidden", timeout=WAIT_MS)


WAIT_MS = 20_000  # an element to appear once the page is there
LOAD_MS = 60_000  # a page load: Streamlit's bundle takes seconds to parse on a busy 2-CPU box
MAIN = '[data-testid="stMain"]'
DEMO_PASSWORD = "demo12345"
TEXTS: dict[str, str] = {}


def text(key: str, **params: object) -> str:
    """The Chinese text the page shows for a message key."""
    if not TEXTS:
        from portal import i18n

        TEXTS.update(i18n.catalogue("zh-CN"))
    return TEXTS[key].format(**params) if params else TEXTS[key]


def new_context(browser: Any, url: str, viewport: dict[str, int] | None = None, locale: str = "zh-CN") -> Any:
    """A browser context on the server (desktop 1400 px unless told; PHONE for a phone)."""
    ctx = browser.new_context(base_url=url, viewport=viewport or {"width": 1400, "height": 1000}, locale=locale)
    ctx.set_default_timeout(WAIT_MS)
    return ctx


PHONE = {"width": 390, "height": 844}


def goto(page: Any, path: str) -> None:
    """Open a path and wait for Streamlit's frame: not for the browser's "load" event, which
    waits on every script of the bundle and timed out on a loaded machine."""
    for attempt in range(3):
        try:
            page.goto(path, wait_until="commit", timeout=LOAD_MS)
            break
        except Exception as exc:  # only the race below is retried
            # the sign-in's own redirect back to "/" may still be under way
            if "interrupted by another navigation" not in str(exc) or attempt == 2:
                raise
            with suppress(Exception):
                page.wait_for_load_state("domcontentloaded", timeout=LOAD_MS)
    page.wait_for_selector('[data-testid="stApp"]', timeout=LOAD_MS)


def expect(page: Any, locator: Any, what: str, timeout: int = WAIT_MS) -> None:
    """Wait for the locator; on failure say what the page showed instead (and keep a
    screenshot in the temp folder)."""
    try:
        locator.first.wait_for(state="visible", timeout=timeout)
    except Exception:  # noqa: BLE001 - reported with the page's text
        shot = Path(tempfile.gettempdir()) / f"browser-failure-{int(time.time() * 1000)}.png"
        page.screenshot(path=str(shot), full_page=True)
        body = page.locator('[data-testid="stApp"]').inner_text(timeout=2000)
        raise AssertionError(f"{what} did not appear on {page.url}; screenshot {shot}; page:\n{body}") from None


def log_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in on the login form and wait for the cookie (a typed URL opens a new session
    that only the cookie signs in)."""
    from portal.config import COOKIE_NAME

    goto(page, "/")
    expect(page, page.locator('input[type="password"]'), "the login form", LOAD_MS)
    settle(page)
    page.get_by_label(text("login.username"), exact=True).fill(username)
    page.get_by_label(text("login.password"), exact=True).fill(password)
    # signing in is a full page load: through /_portal/login (which writes the cookie) and
    # back; a test that navigated before it ended raced that redirect
    with page.expect_navigation(wait_until="commit", timeout=LOAD_MS):
        page.locator(MAIN).get_by_role("button", name=text("login.submit"), exact=True).click()
    page.wait_for_selector('[data-testid="stApp"]', timeout=LOAD_MS)
    expect(page, page.locator(f"{MAIN} h1"), "the home page", LOAD_MS)
    settle(page)
    assert any(c["name"] == COOKIE_NAME for c in page.context.cookies()), "the login cookie was never written"
