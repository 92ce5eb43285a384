"""The portal as a person sees it: headless Chromium against a real `streamlit run`.

One server is started for the module on a fresh SQLite database (demo mode) and the tests
run in file order: the anonymous test first, on a server nobody has signed in to yet
(Streamlit would serve files under pages/ on their own until st.navigation is called),
then sign-in, menus and page headings for a head, refresh after sign-in, and a staff user
typing the URL of a page her role may not open.

Set PORTAL_SCREENSHOTS to a folder to keep a PNG of every page visited.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from portal import i18n, navigation
from portal.config import COOKIE_NAME
from tests.browser_support import WAIT_MS, Server, chromium, goto, settle, streamlit_server
from tests.conftest import make_tree, make_user

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo12345"
SETTLE_MS = 20_000
TEXTS: dict[str, str] = i18n.catalogue("zh-CN")
WELCOME = TEXTS["home.welcome"].split("{")[0].rstrip("，,")  # "您好"
SHOTS = os.environ.get("PORTAL_SCREENSHOTS")

MAIN = '[data-testid="stMain"]'
MENU_LINKS = '[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"]'
PASSWORD_INPUT = 'input[type="password"]'


# --- server and browser ---------------------------------------------------------------


def _seed(engine) -> None:
    ids = make_tree(engine)
    make_user(engine, "head", "head", ids["county"], password=PASSWORD)
    make_user(engine, "staff", "staff", ids["t1"], password=PASSWORD)
    for role, unit in (("admin", "county"), ("trainer", "county"), ("inspector", "t1"), ("viewer", "t2")):
        make_user(engine, role, role, ids[unit], password=PASSWORD)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with streamlit_server("portal-browser-", _seed) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture
def context(browser, server):
    ctx = browser.new_context(base_url=server.url, viewport={"width": 1400, "height": 900}, locale="zh-CN")
    ctx.set_default_timeout(SETTLE_MS)
    try:
        yield ctx
    finally:
        ctx.close()


# --- helpers --------------------------------------------------------------------------


def shoot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def main_headings(page) -> list[str]:
    return [h.strip() for h in page.locator(f"{MAIN} h1").all_inner_texts()]


def menu_labels(page) -> list[str]:
    """The page links in the sidebar, without the material icon's ligature text, once the
    sidebar has drawn them (on a loaded machine the page's heading comes first: CI read an
    empty menu)."""
    with suppress(Exception):  # no links at all: the caller's assertion says so
        page.locator(MENU_LINKS).first.wait_for(state="attached", timeout=WAIT_MS)
    labels = []
    for link in page.locator(MENU_LINKS).all():
        label = link.locator('[data-testid="stMarkdownContainer"]')
        labels.append((label.first.inner_text() if label.count() else link.inner_text()).strip())
    return labels


def diagnose(page, what: str) -> str:
    """What the page showed when an expectation failed, with a screenshot for review."""
    folder = Path(SHOTS or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / f"failure-{int(time.time() * 1000)}.png"
    try:
        page.screenshot(path=str(shot), full_page=True)
        body = page.locator('[data-testid="stApp"]').inner_text(timeout=2000)
    except Exception as exc:  # noqa: BLE001 - the diagnosis must not hide the failure
        body = f"(page unreadable: {exc})"
    return f"{what} on {page.url}; screenshot {shot}; page text:\n{body}"


def wait_visible(page, locator, what: str) -> None:
    try:
        locator.first.wait_for(state="visible", timeout=SETTLE_MS)
    except PlaywrightTimeout:
        raise AssertionError(diagnose(page, f"{what} did not appear within {SETTLE_MS} ms")) from None


def wait_heading(page, text: str) -> None:
    wait_visible(page, page.locator(f"{MAIN} h1", has_text=text), f"heading {text!r}")


def login_button(page):
    return page.locator(MAIN).get_by_role("button", name=TEXTS["login.submit"], exact=True)


def no_exception(page, where: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, f"exception box on {where}"
    assert page.get_by_text(TEXTS["error.generic"]).count() == 0, f"error message on {where}"


def page_path(p: navigation.PageDef) -> str:
    return "/" + p.url_path


def log_in(page, username: str) -> None:
    goto(page, "/")
    wait_visible(page, page.locator(PASSWORD_INPUT), "the login form")
    settle(page)
    page.get_by_label(TEXTS["login.username"], exact=True).fill(username)
    page.get_by_label(TEXTS["login.password"], exact=True).fill(PASSWORD)
    login_button(page).click()
    wait_heading(page, WELCOME)
    settle(page)
    # The cookie is written by a component after the sign-in run; a typed URL or a refresh
    # opens a new session that only the cookie signs in.
    deadline = time.monotonic() + SETTLE_MS / 1000
    while not any(c["name"] == COOKIE_NAME for c in page.context.cookies()):
        assert time.monotonic() < deadline, diagnose(page, "login cookie was never written")
        page.wait_for_timeout(100)


def open_url(page, path: str, expect: str | None = None) -> None:
    goto(page, path)
    if expect:
        wait_heading(page, expect)
    settle(page)


def title(slug: str) -> str:
    return TEXTS[navigation.page(slug).title_key]


def heading(slug: str) -> str:
    """The main heading a page shows to a role that may open it: its menu title, except
    home, which greets the user."""
    return WELCOME if slug == "home" else title(slug)


# --- tests (file order matters: the anonymous test needs a server nobody has used) -----


def test_anonymous_gets_only_the_login_form_on_every_url(context, server):
    page = context.new_page()
    # Pages other than home first: on a fresh server Streamlit would serve pages/*.py for
    # their own URL until some run has called st.navigation.
    # The public self sign-in (/signin) is the one page without the login form: its own
    # browser check is below this loop.
    for p in sorted((p for p in navigation.PAGES if not p.public), key=lambda p: p.default):
        goto(page, page_path(p))
        wait_visible(page, page.locator(PASSWORD_INPUT), "the login form")
        settle(page)
        shoot(page, f"anonymous-{p.slug}")
        where = f"anonymous {page_path(p)}"
        assert page.locator(PASSWORD_INPUT).is_visible(), where
        assert login_button(page).is_visible(), where
        assert not set(main_headings(page)) & {heading(q.slug) for q in navigation.PAGES}, where
        assert page.locator('[data-testid="stDataFrame"]').count() == 0, where
        assert page.locator('[data-testid="stMetric"]').count() == 0, where
        assert page.get_by_text(WELCOME).count() == 0, where
        assert page.locator(MENU_LINKS).count() == 0, where
        no_exception(page, where)
    # each public page without its parameter: one sentence, nothing else
    empty = {"signin": "training.signin.closed", "sanitation_results": "sanitation.public.none"}
    for p in (p for p in navigation.PAGES if p.public):
        goto(page, page_path(p))
        wait_visible(page, page.get_by_text(TEXTS[empty[p.slug]]), f"the public page {p.slug}")
        where = f"anonymous {page_path(p)}"
        assert page.locator(PASSWORD_INPUT).count() == 0, where
        assert page.locator('[data-testid="stDataFrame"]').count() == 0, where
        assert page.locator('[data-testid="stMetric"]').count() == 0, where
        assert page.locator(MENU_LINKS).count() == 0, where
        no_exception(page, where)


def test_head_signs_in_and_opens_every_page_by_menu_and_by_url(context):
    page = context.new_page()
    log_in(page, "head")
    shoot(page, "head-home")
    allowed = navigation.pages_for("head")
    assert {p.slug for p in allowed} >= {"home", "admin", "account"}
    assert menu_labels(page) == [title(p.slug) for p in allowed]
    no_exception(page, "head home after sign-in")

    for p in allowed:  # by the sidebar menu
        page.locator(MENU_LINKS, has_text=title(p.slug)).click()
        wait_heading(page, heading(p.slug))
        settle(page)
        assert urlparse(page.url).path.rstrip("/") == page_path(p).rstrip("/"), page.url
        no_exception(page, f"head {page_path(p)} via menu")
        assert menu_labels(page) == [title(q.slug) for q in allowed]

    for p in allowed:  # by typing the URL (a new session the cookie signs in)
        open_url(page, page_path(p), heading(p.slug))
        shoot(page, f"head-{p.slug}")
        no_exception(page, f"head {page_path(p)} via URL")
        assert login_button(page).count() == 0
        assert menu_labels(page) == [title(q.slug) for q in allowed]


def test_refresh_keeps_the_user_signed_in(context):
    page = context.new_page()
    log_in(page, "head")
    open_url(page, "/admin", TEXTS["admin.title"])
    page.reload()
    wait_heading(page, TEXTS["admin.title"])
    settle(page)
    shoot(page, "head-admin-after-reload")
    assert TEXTS["admin.title"] in main_headings(page)
    assert urlparse(page.url).path == "/admin", page.url
    assert login_button(page).count() == 0
    no_exception(page, "/admin after reload")


def test_staff_typing_the_admin_url_is_refused(context):
    page = context.new_page()
    log_in(page, "staff")
    allowed = navigation.pages_for("staff")
    assert menu_labels(page) == [title(p.slug) for p in allowed]
    assert title("admin") not in menu_labels(page)

    open_url(page, "/admin")
    wait_visible(page, page.get_by_text(TEXTS["page.refused"]), "the refusal")
    settle(page)
    shoot(page, "staff-admin-refused")
    assert TEXTS["admin.title"] not in main_headings(page)
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert login_button(page).count() == 0
    assert title("admin") not in menu_labels(page)
    no_exception(page, "staff /admin")


def test_the_login_cookie_is_http_only_and_a_deep_link_survives_sign_in(context):
    """Issue 8, defect 14: serve.py's route sets the cookie; script in the page cannot
    read it; the page typed before signing in is the one shown after; signing out
    deletes it (script could not)."""
    page = context.new_page()
    open_url(page, "/plans")  # asked for before signing in
    wait_visible(page, page.locator(PASSWORD_INPUT), "the login form")
    page.get_by_label(TEXTS["login.username"], exact=True).fill("head")
    page.get_by_label(TEXTS["login.password"], exact=True).fill(PASSWORD)
    login_button(page).click()
    wait_heading(page, title("plans"))
    settle(page)
    assert urlparse(page.url).path == "/plans", page.url
    [cookie] = [c for c in page.context.cookies() if c["name"] == COOKIE_NAME]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert COOKIE_NAME not in page.evaluate("document.cookie")
    page.reload()  # a new session: only the cookie signs it in
    wait_heading(page, title("plans"))
    settle(page)
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name=TEXTS["shell.logout"]).click()
    wait_visible(page, page.locator(PASSWORD_INPUT), "the login form after signing out")
    settle(page)
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE_NAME]
    assert page.get_by_text(TEXTS["shell.logged_out"]).count() == 1
    no_exception(page, "after signing out")


# The text a reader sees: text nodes, without Material icon ligatures ("home" drawn as an
# icon), style, script and code, and without what is hidden or shrunk to nothing (the
# portal hides Streamlit's own English that way and draws its words with ::after).
VISIBLE_TEXT = """(() => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector('[data-testid="stApp"]'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest('[data-testid="stIconMaterial"], style, script, code, [data-testid="stDataFrame"]')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || parseFloat(style.fontSize) === 0) continue;
    if (style.fontFamily.includes('Material Symbols')) continue;  // an icon's ligature
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || box.right <= 0) continue;  // visually hidden (the skip link)
    out.push(node.textContent);
  }
  return out.join('\\n');
})()"""
# Words a Chinese page may show: the seed's ASCII data (usernames as display names, the
# demo password), file formats and product names.
DATA_WORDS = {
    "head", "staff", "admin", "trainer", "inspector", "viewer", "demo", "Excel", "Word", "xlsx", "docx",
    "csv", "CSV", "PDF", "WeCom", "DingTalk", "webhook", "Webhook", "JSON", "English", "Language", "YYYY",
}  # fmt: skip


def english_words(page) -> set[str]:
    """English words on a Chinese page that are not data: Streamlit's own or ours."""
    return {w for w in re.findall(r"[A-Za-z]{3,}", page.evaluate(VISIBLE_TEXT)) if w not in DATA_WORDS}


def sidebar_right(page) -> float:
    return page.evaluate(
        "(() => { const r = document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect();"
        " return r.right; })()"
    )


@pytest.mark.parametrize("username", ["head", "staff", "admin", "trainer", "inspector", "viewer"])
def test_at_phone_width_no_page_is_wider_than_the_screen_and_the_menu_closes(browser, server, username):
    """Every role (each is signed in as the user of its name), every page of its menu."""
    ctx = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844}, locale="zh-CN")
    ctx.set_default_timeout(SETTLE_MS)
    try:
        page = ctx.new_page()
        log_in(page, username)
        for p in navigation.pages_for(username):
            open_url(page, page_path(p), heading(p.slug))
            shoot(page, f"phone-{username}-{p.slug}")
            no_exception(page, f"{username} {page_path(p)} at 390 px")
            # tables scroll inside their own frame; nothing else may push the page sideways
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 390, f"{page_path(p)} is {wide} px wide on a 390 px phone"
            english = english_words(page)
            assert not english, f"{page_path(p)} shows English in Chinese mode: {sorted(english)}"
        # the menu covers the page on a phone; after choosing a page it closes
        page.locator('[data-testid="stExpandSidebarButton"]').first.click()
        page.wait_for_function(
            "document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().right > 0"
        )
        page.locator(MENU_LINKS, has_text=title("home")).click()
        wait_heading(page, heading("home"))
        page.wait_for_function(
            "document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().right <= 0"
        )
        assert sidebar_right(page) <= 0
    finally:
        ctx.close()
