"""Load test: python -m portal.ui.load --url URL --users N --duration S [--think S] [--json]

Simulated users that speak Streamlit's own websocket protocol, so the server is measured
and not a browser. Each user is one websocket at `/_stcore/stream` (subprotocol
`streamlit`), signed in by a valid login cookie in the handshake: the token is made with
the portal's own function and key (PORTAL_COOKIE_KEY / secrets, or the demo key kept
beside the demo database), so run this where the portal's settings are, with the same
PORTAL_DATABASE_URL and PORTAL_DEMO as the server. No password is checked and no row is
written to make a user: the accounts must exist (the demo ones do).

A page view is one `BackMsg.rerun_script` carrying the page's URL path as `page_name`;
the server answers with a stream of `ForwardMsg`s and the view is over at
`script_finished` (a run ended early for a rerun goes on to the next one). The time from
the send to that message is the page time a user waits for, without the browser's
drawing. A view counts as an error when it times out, the connection drops, the server
says the page does not exist, it shows a Python exception or an error box, or the user is
not signed in (no sign-out button on the page: the cookie was refused).

Users take turns between the county head and a township's staff (--as), each walking
through the pages of its role in a realistic mix (home, plans, targets, the education
list), with a think time between views (--think; 0 asks as fast as the server answers).
They arrive evenly over one think time (--ramp to choose): a user who views a page every
ten seconds is, in the steady state, at any point of those ten seconds; --ramp 0 makes
them all arrive in one instant (the worst minute of a report day). A session's first
view costs more than the next ones, so the report gives first views apart as well.

The staff's mix holds a save, one in five requests, made as a browser makes it: the
health-education activity's add form is opened (/education?view=add, reported as
`education+add`), the ids of its inputs and of its submit button are read from the
element protos the server sent (each keyed widget's id ends with its key,
`he_activities.add.title`...; the button is the form's submitter), and one rerun carrying
widget states types a title no save repeats, an activity type from the form's own
options, people reached and the note `portal.ui.load`, and triggers the button (reported
as `education+save`, its time running until the rerun the portal starts after saving is
over). The form's other fields keep what it showed: the user's unit and today. The
portal's service writes the row and its audit entry in one transaction, as for a person;
a save counts as an error when the page shows an error box or not the confirmation
(records.saved). A save writes a real row into the server's database: run it against a
copy or the demo, or leave the saves out with --no-saves. The rows are found again by their
note. Plain /education views ask for ?view=list, so they measure the list whatever tab a
save left open. --views counts requests and does not split a save's two.

The report gives page views per second, p50 / p95 / max per page (a save under its own
name) and overall, the errors with a few samples, and the resident memory (RSS) of the
server processes (--pid, else whatever listens on the URL's port on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.TextInput_pb2 import TextInput

from portal.config import cookie_settings
from portal.i18n import LANGUAGES, t
from portal.org import auth

# The pages each kind of user walks through, in turn ("" is the home page). A county
# head reviews plans and targets; a township's staff read the education list and enter an
# activity (SAVE: two requests, the add form opened, then filled in and sent).
SAVE = "education+save"  # a MIX step, and the page name the sent form is reported under
ADD_FORM = "education+add"  # the page name the add form's opening is reported under
MIX: dict[str, tuple[str, ...]] = {
    "head": ("", "plans", "targets", "education", "plans"),
    "staff": ("", "education", "plans", SAVE),
}
# The URL's query string of a view: /education shows its list whatever tab a save left
# open; ?view=add opens the add form, as a home-page link does.
QUERY = {"education": "view=list", ADD_FORM: "view=add", SAVE: ""}
PAGE_OF = {ADD_FORM: "education", SAVE: "education"}  # the URL path of a reported name
# The health-education activity's add form (portal.ui.records.add_view for HeActivitySpec):
# its widgets' keys, found at the end of their element ids, and the form's id.
FORM_ID = "he_activities.form.add"
FORM_KEY = "he_activities.add."
SAVED = frozenset(t("records.saved", language) for language in LANGUAGES)  # the flash after a save
SAVE_NOTE = "portal.ui.load"  # the notes of every activity a save writes: find them by it
DEFAULT_USERS = ("head", "staff")  # demo accounts: the county head, 城关镇's staff
ROLE_OF = {"head": "head", "staff": "staff", "dg_head": "head", "admin": "head", "zx1_staff": "staff"}
SIGNED_IN_MARK = "-shell.logout"  # the sign-out button's widget id: only a signed-in page has it
SIGNED_IN_BYTES = SIGNED_IN_MARK.encode()
PAGE_TIMEOUT = 60.0
SIGN_IN = "(sign-in)"  # the page name sign-ins are reported under (--password)
SAMPLE_ERRORS = 10


@dataclass
class View:
    """One page view as the server served it."""

    user: str
    page: str
    ms: float
    error: str | None = None
    texts: list[str] = field(default_factory=list)
    first: bool = False  # the session's first view (a new session costs more)


@dataclass
class Config:
    url: str
    users: int
    duration: float
    think: float = 0.0
    usernames: tuple[str, ...] = DEFAULT_USERS
    pids: tuple[int, ...] = ()
    keep_text: bool = False  # keep every string each view showed (tests check content)
    views: int | None = None  # each user stops after this many views (else at the deadline)
    password: str | None = None  # sign in through the login form (else a cookie made here)
    hold: bool = False  # with views: keep each session open until the deadline (idle memory)
    seed: int = 1
    saves: bool = True  # staff's mix sends the add form (rows written); False: pages only
    ramp: float | None = None  # users arrive evenly over this many seconds (None: see arrival_window)
    browser: str | None = None  # a Chromium executable: one real browser session runs beside the users

    def arrival_window(self) -> float:
        """Seconds over which the users' sessions open: --ramp, else one think time (a
        user who views a page every THINK seconds is, in the steady state, at any phase of
        it), else about a second (flat out: everybody at once)."""
        if self.ramp is not None:
            return max(0.0, self.ramp)
        return self.think if self.think > 0 else min(1.0, self.duration / 10)


@dataclass
class Result:
    config: Config
    views: list[View]
    elapsed: float
    rss_mb: dict[int, float]
    sessions_opened: int = 0
    loadavg: float = 0.0  # this machine's 1-minute load average at the deadline
    connect_errors: list[str] = field(default_factory=list)
    browser_views: list[View] = field(default_factory=list)  # the real browser's page loads

    def summary(self) -> dict[str, Any]:
        ok = [v.ms for v in self.views if v.error is None]
        errors = [v for v in self.views if v.error is not None]
        pages: dict[str, dict[str, Any]] = {}
        for name in sorted({v.page for v in self.views}):
            times = [v.ms for v in self.views if v.page == name and v.error is None]
            pages[name if name == SIGN_IN else "/" + name] = {
                "requests": sum(1 for v in self.views if v.page == name),
                "errors": sum(1 for v in self.views if v.page == name and v.error is not None),
                **_percentiles(times),
            }
        browser_errors = [v for v in self.browser_views if v.error is not None]
        samples = [f"{v.user} /{v.page}: {v.error}" for v in errors + browser_errors] + self.connect_errors
        return {
            "url": self.config.url,
            "users": self.config.users,
            "sessions_opened": self.sessions_opened,
            "duration_s": round(self.elapsed, 2),
            "think_s": self.config.think,
            "ramp_s": round(self.config.arrival_window(), 2),
            "requests": len(self.views),
            "errors": len(errors) + len(self.connect_errors) + len(browser_errors),
            "error_samples": samples[:SAMPLE_ERRORS],
            "pages_per_s": round(len(ok) / self.elapsed, 2) if self.elapsed > 0 else 0.0,
            **_percentiles(ok),
            "first_view": _percentiles([v.ms for v in self.views if v.first and v.error is None]),
            "browser": None
            if self.config.browser is None
            else {
                "requests": len(self.browser_views),
                "errors": len(browser_errors),
                **_percentiles([v.ms for v in self.browser_views if v.error is None]),
            },
            "pages": pages,
            "rss_mb": round(sum(self.rss_mb.values()), 1),
            "rss_mb_per_process": {str(pid): mb for pid, mb in sorted(self.rss_mb.items())},
            "cpus": os.cpu_count(),
            "loadavg_1m": round(self.loadavg, 2),
        }


def _percentiles(times: list[float]) -> dict[str, float | None]:
    if not times:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
    }


# --------------------------------------------------------------------------- protocol


def stream_url(url: str) -> str:
    """http://host:port/prefix -> ws://host:port/prefix/_stcore/stream (https -> wss)."""
    parsed = urlparse(url)
    scheme = "wss" if parsed.scheme in ("https", "wss") else "ws"
    return f"{scheme}://{parsed.netloc}{parsed.path.rstrip('/')}/_stcore/stream"


def login_cookie(username: str) -> str:
    """The Cookie header a browser signed in as username would send."""
    settings = cookie_settings()
    return f"{settings.name}={auth.encode_token(username, settings.key, settings.expiry_days)}"


def rerun(page: str) -> bytes:
    """A page view by its reported name: the page's URL path and its query string."""
    msg = BackMsg()
    msg.rerun_script.page_name = PAGE_OF.get(page, page)
    msg.rerun_script.query_string = QUERY.get(page, "")
    return msg.SerializeToString()


class FormMissing(Exception):
    """The page did not show the form, or the form lacked a widget the save fills in."""


def save_message(widgets: dict[str, Any], rng: random.Random, username: str) -> bytes:
    """The rerun a browser sends when the add form of a health-education activity is
    submitted: the widget states of the fields typed in (a title no save repeats, the type
    picked from the form's own options, people reached, a note) and the submit button's
    trigger. The form's other fields keep what the form showed (the user's unit, today).
    widgets: element id -> widget proto, as view() collected them from the form's page."""

    def find(key: str) -> Any:
        for wid, proto in widgets.items():
            if wid.endswith("-" + FORM_KEY + key):
                return proto
        raise FormMissing(f"no {FORM_KEY}{key} widget on the add form")

    submit = next(
        (p for p in widgets.values() if getattr(p, "is_form_submitter", False) and p.form_id == FORM_ID), None
    )
    if submit is None:
        raise FormMissing(f"no submit button of the form {FORM_ID}")
    kind = find("activity_type")
    if not kind.options:
        raise FormMissing("the activity type offers nothing")
    msg = BackMsg()
    msg.rerun_script.page_name = "education"
    msg.rerun_script.query_string = ""
    states = msg.rerun_script.widget_states.widgets
    states.add(id=find("title").id, string_value=f"负载测试 {username} {uuid.uuid4().hex[:12]}")
    states.add(id=kind.id, string_value=rng.choice(list(kind.options)))
    states.add(id=find("participants").id, double_value=float(rng.randint(10, 120)))
    states.add(id=find("notes").id, string_value=SAVE_NOTE)
    states.add(id=submit.id, trigger_value=True)
    return msg.SerializeToString()


def strings(msg: Any) -> Iterator[str]:
    """Every string field in a protobuf message, nested ones and lists included."""
    for _field, value in msg.ListFields():
        if isinstance(value, str):
            yield value
        elif hasattr(value, "ListFields"):
            yield from strings(value)
        elif not isinstance(value, bytes | int | float | bool):
            items = value.values() if hasattr(value, "values") else value
            for item in items:
                if isinstance(item, str):
                    yield item
                elif hasattr(item, "ListFields"):
                    yield from strings(item)


def _problem(msg: ForwardMsg) -> str | None:
    """What is wrong with the page, as shown by one delta (None: nothing)."""
    if not msg.delta.HasField("new_element"):
        return None
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        return f"exception {element.exception.type}: {element.exception.message[:200]}"
    if kind == "alert" and element.alert.format == Alert.ERROR:
        return f"error box: {element.alert.body[:200]}"
    return None


class SignInFailed(Exception):
    """The login form did not send the browser on to its cookie (wrong password, no form)."""


async def _run_to_end(ws: Any, on_message: Any) -> None:
    """Read ForwardMsgs until the script run is over, handing each to on_message."""
    while True:
        raw = await asyncio.wait_for(ws.recv(), PAGE_TIMEOUT)
        if isinstance(raw, str):
            continue
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        on_message(msg)
        kind = msg.WhichOneof("type")
        if kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return


async def sign_in(url: str, username: str, password: str) -> str:
    """Sign in as a person does, without a browser: fill in and submit the login form over
    the websocket, follow the page's redirect to /_portal/login and return the Cookie
    header value the server set (checks the password, costs what a real sign-in costs)."""
    inputs: dict[str, str] = {}  # "user" / "password" / "submit" -> widget id
    redirect: list[str] = []

    def read(msg: ForwardMsg) -> None:
        if msg.WhichOneof("type") == "auth_redirect":
            redirect.append(msg.auth_redirect.url)
        if msg.WhichOneof("type") != "delta" or not msg.delta.HasField("new_element"):
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "text_input":
            inputs["password" if element.text_input.type == TextInput.PASSWORD else "user"] = element.text_input.id
        elif kind == "button" and element.button.is_form_submitter:
            inputs["submit"] = element.button.id

    async with websockets.connect(
        stream_url(url), subprotocols=[websockets.Subprotocol("streamlit")], max_size=None, open_timeout=PAGE_TIMEOUT
    ) as ws:
        await ws.send(rerun(""))
        await _run_to_end(ws, read)
        if set(inputs) != {"user", "password", "submit"}:
            raise SignInFailed(f"no login form on the page (found {sorted(inputs)})")
        msg = BackMsg()
        msg.rerun_script.page_name = ""
        states = msg.rerun_script.widget_states.widgets
        states.add(id=inputs["user"], string_value=username)
        states.add(id=inputs["password"], string_value=password)
        states.add(id=inputs["submit"], trigger_value=True)
        await ws.send(msg.SerializeToString())
        await _run_to_end(ws, read)
    if not redirect:
        raise SignInFailed(f"{username}: the login form refused the password")
    return await asyncio.to_thread(_cookie_from, urljoin(url.rstrip("/") + "/", redirect[0].lstrip("/")))


def _cookie_from(login_url: str) -> str:
    """GET the sign-in route (as the browser's same-origin navigation) and return the
    login cookie from its Set-Cookie header."""
    parsed = urlparse(login_url)
    conn_class = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
    conn = conn_class(parsed.netloc, timeout=PAGE_TIMEOUT)
    try:
        conn.request("GET", f"{parsed.path}?{parsed.query}", headers={"Sec-Fetch-Site": "same-origin"})
        response = conn.getresponse()
        cookies = [v for k, v in response.getheaders() if k.lower() == "set-cookie"]
    finally:
        conn.close()
    name = cookie_settings().name
    for cookie in cookies:
        pair = cookie.split(";", 1)[0].strip()
        if pair.startswith(name + "=") and len(pair) > len(name) + 1:
            return pair
    raise SignInFailed(f"the sign-in route set no login cookie (HTTP {response.status})")


async def view(
    ws: Any,
    user: str,
    page: str,
    keep_text: bool,
    message: bytes | None = None,
    *,
    widgets: dict[str, Any] | None = None,
    confirm: frozenset[str] = frozenset(),
) -> View:
    """One page view on an open session: send the rerun (or message, a rerun carrying
    widget states: a click), read until the run is over. widgets, if given, collects the
    page's widgets (element id -> the widget's proto); confirm: texts one of which the
    page must show (a save's confirmation), else the view is an error."""
    start = time.monotonic()
    await ws.send(message or rerun(page))
    texts: list[str] = []
    signed_in = False
    confirmed = not confirm
    confirm_bytes = [text.encode() for text in confirm]
    problem: str | None = None
    while True:
        remaining = PAGE_TIMEOUT - (time.monotonic() - start)
        if remaining <= 0:
            raise TimeoutError
        raw = await asyncio.wait_for(ws.recv(), remaining)
        if isinstance(raw, str):
            continue
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta":
            problem = problem or _problem(msg)
            if widgets is not None and msg.delta.HasField("new_element"):
                element = msg.delta.new_element
                kind_of = element.WhichOneof("type")
                proto: Any = getattr(element, kind_of) if kind_of else None
                wid: str = proto.id if hasattr(proto, "id") else ""
                if wid:  # a widget: its element id
                    widgets[wid] = proto
            # the marks are looked for in the message's bytes: walking every string cost the
            # client more than the server spent on the page; the strings only when kept
            signed_in = signed_in or SIGNED_IN_BYTES in raw
            confirmed = confirmed or any(mark in raw for mark in confirm_bytes)
            if keep_text:
                texts.extend(strings(msg.delta))
        elif kind == "page_not_found":
            problem = problem or "page not found"
        elif kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue  # the page asked for a rerun: the user waits for that one too
            break
    ms = (time.monotonic() - start) * 1000
    if problem is None and not signed_in:
        problem = "not signed in (the login cookie was refused)"
    if problem is None and not confirmed:
        problem = "no confirmation on the page: nothing was saved"
    return View(user, page, ms, problem, texts)


async def save(ws: Any, user: str, keep_text: bool, rng: random.Random) -> list[View]:
    """A staff user enters a health-education activity: opens the add form (ADD_FORM),
    reads its widgets' ids from what the server sent, fills it in and sends it (SAVE). The
    save's view waits for the run the portal starts after saving and counts as an error
    without its confirmation. Not sent when the form's page was an error."""
    widgets: dict[str, Any] = {}
    opened = await view(ws, user, ADD_FORM, keep_text, widgets=widgets)
    if opened.error is not None:
        return [opened]
    try:
        message = save_message(widgets, rng, user)
    except FormMissing as exc:
        opened.error = str(exc)
        return [opened]
    return [opened, await view(ws, user, SAVE, keep_text, message, confirm=SAVED)]


async def simulated_user(index: int, cfg: Config, deadline: float, result: Result) -> None:
    username = cfg.usernames[index % len(cfg.usernames)]
    pages = tuple(p for p in MIX[ROLE_OF.get(username, "staff")] if cfg.saves or p != SAVE)
    rng = random.Random(cfg.seed * 1000 + index)  # noqa: S311 - think times, not secrets
    step = index // len(cfg.usernames)  # users of one kind start on different pages
    try:
        if cfg.password is None:
            cookie = login_cookie(username)
        else:
            start = time.monotonic()
            try:
                cookie = await sign_in(cfg.url, username, cfg.password)
            except SignInFailed as exc:
                result.views.append(View(username, SIGN_IN, (time.monotonic() - start) * 1000, str(exc)))
                return
            result.views.append(View(username, SIGN_IN, (time.monotonic() - start) * 1000))
        async with websockets.connect(
            stream_url(cfg.url),
            subprotocols=[websockets.Subprotocol("streamlit")],
            additional_headers={"Cookie": cookie},
            max_size=None,
            open_timeout=PAGE_TIMEOUT,
        ) as ws:
            result.sessions_opened += 1
            done = 0
            while time.monotonic() < deadline and (cfg.views is None or done < cfg.views):
                page = pages[step % len(pages)]
                step += 1
                try:
                    if page == SAVE:  # two requests, not split by --views
                        made = await save(ws, username, cfg.keep_text, rng)
                    else:
                        made = [await view(ws, username, page, cfg.keep_text)]
                    made[0].first = done == 0
                    result.views.extend(made)
                    done += len(made)
                except TimeoutError:
                    result.views.append(View(username, page, PAGE_TIMEOUT * 1000, "timed out"))
                    return  # the session may still be busy with it: stop this user
                if cfg.think > 0:
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * cfg.think)
            if cfg.hold:  # idle, still connected, as a tab left open
                await asyncio.sleep(max(0.0, deadline - time.monotonic()) + 1.0)
    except (OSError, websockets.WebSocketException, TimeoutError) as exc:
        result.connect_errors.append(f"{username}: connection: {type(exc).__name__}: {exc}"[:300])


BROWSER_PATH = "/usr/bin/chromium"  # Debian's package, as the browser tests use
SIGNED_IN_SELECTOR = ".st-key-shell-logout"  # the sign-out button's container: a signed-in page
BROWSER_PAUSE = 5.0  # seconds at least between the browser's page loads: a check, not part of the load
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]


async def browser_user(cfg: Config, deadline: float, result: Result) -> None:
    """One real headless Chromium among the simulated users: the check that real pages
    still load under the load. Signed in by the same login cookie as the first account of
    --as, it opens that role's pages in turn by their URL (a full page load: Streamlit's
    JavaScript, the websocket, the run), one every think time or BROWSER_PAUSE seconds,
    whichever is longer; a view counts when the page shows the sign-out
    button, no run is in progress and there is no exception box. Its times are reported
    apart ("browser"): they include the browser's own work."""
    username = cfg.usernames[0]
    pages = [p for p in MIX[ROLE_OF.get(username, "staff")] if p != SAVE]
    who = f"browser:{username}"
    try:
        from playwright.async_api import async_playwright

        settings = cookie_settings()
        token = login_cookie(username).split("=", 1)[1]
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=cfg.browser or BROWSER_PATH, headless=True, args=BROWSER_ARGS
            )
            try:
                context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
                await context.add_cookies([{"name": settings.name, "value": token, "url": cfg.url}])
                page = await context.new_page()
                step = 0
                while time.monotonic() < deadline:
                    name = pages[step % len(pages)]
                    step += 1
                    result.browser_views.append(await _browser_view(page, cfg.url, who, name))
                    await asyncio.sleep(max(cfg.think, BROWSER_PAUSE))
            finally:
                await browser.close()
    except Exception as exc:  # noqa: BLE001 - no browser, or it died: reported as an error of the run
        result.browser_views.append(View(who, "(browser)", 0.0, f"{type(exc).__name__}: {exc}"[:300]))


async def _browser_view(page: Any, url: str, who: str, name: str) -> View:
    query = QUERY.get(name, "")
    address = f"{url.rstrip('/')}/{PAGE_OF.get(name, name)}" + (f"?{query}" if query else "")
    start = time.monotonic()
    try:
        await page.goto(address, wait_until="commit", timeout=PAGE_TIMEOUT * 1000)
        await page.wait_for_selector(SIGNED_IN_SELECTOR, timeout=PAGE_TIMEOUT * 1000)
        running = page.locator('[data-testid="stStatusWidget"]')
        quiet_since: float | None = None
        while time.monotonic() - start < PAGE_TIMEOUT:  # no run in progress for 300 ms
            if await running.count() == 0 or not await running.first.is_visible():
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= 0.3:
                    break
            else:
                quiet_since = None
            await asyncio.sleep(0.05)
        ms = ((quiet_since or time.monotonic()) - start) * 1000  # until the run was over, not the 300 ms after
        if await page.locator('[data-testid="stException"]').count():
            return View(who, name, ms, "the page shows an exception")
        return View(who, name, ms)
    except Exception as exc:  # noqa: BLE001 - a timeout or a lost page: the view failed
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return View(who, name, (time.monotonic() - start) * 1000, f"{type(exc).__name__}: {first_line}"[:300])


async def run_async(cfg: Config) -> Result:
    result = Result(cfg, [], 0.0, {})
    start = time.monotonic()
    deadline = start + cfg.duration
    rng = random.Random(cfg.seed)  # noqa: S311 - arrival times, not secrets
    tasks = []
    gap = cfg.arrival_window() / cfg.users
    if cfg.browser is not None:
        tasks.append(asyncio.create_task(browser_user(cfg, deadline, result)))
    for i in range(cfg.users):  # one user in each slot of the arrival window, at a random point of it
        await asyncio.sleep(max(0.0, start + (i + rng.random()) * gap - time.monotonic()))
        tasks.append(asyncio.create_task(simulated_user(i, cfg, deadline, result)))
    # measured at the deadline, while the sessions are still open (or when all are done)
    await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
    result.rss_mb = rss_mb(cfg.pids or tuple(listening_pids(cfg.url)))
    result.loadavg = os.getloadavg()[0]
    await asyncio.gather(*tasks)
    result.elapsed = time.monotonic() - start
    return result


def run(cfg: Config) -> Result:
    return asyncio.run(run_async(cfg))


# --------------------------------------------------------------------------- server memory


def rss_mb(pids: Sequence[int]) -> dict[int, float]:
    """Resident memory of each process, from /proc (Linux); a vanished one is left out."""
    found: dict[int, float] = {}
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                found[pid] = round(int(line.split()[1]) / 1024, 1)
    return found


def listening_pids(url: str) -> list[int]:
    """The local processes listening on the URL's port (found through /proc/net/tcp and
    each process's open sockets; only processes this user may inspect)."""
    parsed = urlparse(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1", None):
        return []
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    pids: list[int] = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            pids.append(int(proc.name))
    return sorted(pids)


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.ui.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the portal, e.g. http://127.0.0.1:8501 or the nginx site")
    parser.add_argument("--users", type=int, default=4, help="simulated sessions at once (default 4)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds to keep asking (default 30)")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds between a user's views (default 0)")
    parser.add_argument(
        "--ramp",
        type=float,
        help="seconds over which the users arrive, evenly (default: the think time, or 1 s flat out; 0: all at once)",
    )
    parser.add_argument(
        "--as",
        dest="usernames",
        default=",".join(DEFAULT_USERS),
        help="accounts the users sign in as, in turn (default head,staff)",
    )
    parser.add_argument(
        "--password",
        help="sign each user in through the login form with this password (default: a login cookie made here)",
    )
    parser.add_argument(
        "--views", type=int, help="stop each user after this many page views (a save's two are not split)"
    )
    parser.add_argument(
        "--hold", action="store_true", help="with --views: keep each session open, idle, until the deadline"
    )
    parser.add_argument(
        "--no-saves",
        dest="saves",
        action="store_false",
        help="leave the staff's save out of the mix: pages only, no row written",
    )
    parser.add_argument(
        "--browser",
        nargs="?",
        const=BROWSER_PATH,
        help=f"also run one real headless Chromium session (default path {BROWSER_PATH}): real pages must load",
    )
    parser.add_argument("--pid", type=int, action="append", default=[], help="a server process to report RSS of")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.users < 1 or args.duration <= 0:
        parser.error("--users must be at least 1 and --duration positive")
    usernames = tuple(u.strip() for u in args.usernames.split(",") if u.strip())
    cfg = Config(
        args.url,
        args.users,
        args.duration,
        args.think,
        usernames,
        tuple(args.pid),
        views=args.views,
        password=args.password,
        hold=args.hold,
        saves=args.saves,
        ramp=args.ramp,
        browser=args.browser,
    )
    summary = run(cfg).summary()
    if args.json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_table(summary))
    return 0 if summary["errors"] == 0 else 1


def _table(s: dict[str, Any]) -> str:
    lines = [
        f"{s['users']} users arriving over {s['ramp_s']} s, {s['duration_s']} s, think {s['think_s']} s: "
        f"{s['requests']} page views ({s['pages_per_s']}/s), {s['errors']} errors, server RSS {s['rss_mb']} MB",
        f"{'page':<16}{'views':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}",
    ]
    rows = [*s["pages"].items(), ("all", {**s, "requests": s["requests"], "errors": s["errors"]})]
    lines += [
        f"{name:<16}{p['requests']:>7}{p['errors']:>8}{p['p50_ms'] or 0:>9.0f}{p['p95_ms'] or 0:>9.0f}"
        f"{p['max_ms'] or 0:>9.0f}"
        for name, p in rows
    ]
    if s["browser"] is not None:
        b = s["browser"]
        lines.append(
            f"real browser: {b['requests']} page loads, {b['errors']} errors, p50 {b['p50_ms'] or 0:.0f} ms, "
            f"max {b['max_ms'] or 0:.0f} ms"
        )
    first = s["first_view"]
    if first["p50_ms"] is not None:
        lines.append(f"first view of a session: p50 {first['p50_ms']:.0f} ms, p95 {first['p95_ms']:.0f} ms")
    lines += [f"  error: {e}" for e in s["error_samples"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
