"""The frame around every page: startup checks, navigation from the registry and the
role, the sidebar (menu, org-unit and period pickers, language, sign-out) and the
gate each page script passes through."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from db import migrate
from db.engine import DatabaseFileError
from portal import apps, cache, clock, i18n, navigation, periods
from portal.config import ConfigError, cookie_settings, demo_mode, limits, unsafe_setting
from portal.navigation import PageDef
from portal.org import units as orgunits
from portal.org import users
from portal.org.scope import Actor
from portal.ui import auth
from portal.ui import ops as ops_view
from portal.ui.db import engine, unit_of_work
from portal.ui.i18n import SWITCH_KEY, lang, set_lang, t, tm
from portal.ui.messages import database_problem, show_flashes

log = logging.getLogger("portal")
ROOT = Path(__file__).resolve().parents[2]
UNIT_KEY = "shell.org_unit"
PERIOD_KEY = "shell.period"
VISIBLE_KEY = "shell.visible_pages"


def startup_check() -> None:
    """Stop with one clear sentence when the portal cannot safely run."""
    key, params = None, {}
    try:
        cookie_settings()
        limits()
        unsafe = unsafe_setting(st.get_option)
        if unsafe is not None:
            raise unsafe
        if not st.session_state.get("shell.startup_ok") and not migrate.is_current(engine()):
            key = "startup.db_outdated"
    except ConfigError as exc:
        key, params = exc.key, exc.params
    except DatabaseFileError as exc:
        key, params = ("startup.db_missing" if exc.reason == "missing" else "error.db_file_gone"), {"file": exc.path}
    except SQLAlchemyError:
        log.exception("database unreachable")
        key = "startup.db_unreachable"
    if key:
        st.error(f"**{t('startup.title')}**  \n{t(key, **params)}")
        st.stop()
    st.session_state["shell.startup_ok"] = True


def demo_banner() -> None:
    if demo_mode():
        st.warning(t("app.demo_banner"), icon=":material/science:")


def run_anonymous() -> None:
    # Every URL is registered, each showing the login form: a deep link gets the form (not
    # Streamlit's English "page not found" box) and, once signed in, its own page.
    pages = [
        st.Page(str(ROOT / p.script), title=t(p.title_key), icon=p.icon, url_path=p.url_path or None)
        if p.public
        else st.Page(
            _login_for(p.slug),
            title=t("nav.login"),
            icon=":material/login:",
            url_path=p.url_path or None,
            default=p.default,
        )
        for p in navigation.PAGES
    ]
    nav = st.navigation(pages, position="hidden")
    with st.sidebar:
        st.markdown(f"### {t('app.title')}")
        language_switch(None)
    demo_banner()
    # Messages sit in one container that is there on every run: a message that came and went
    # as its own element would shift everything below it, and Streamlit redraws what moved,
    # closing the expander the user had open (a "saved" message, then typing in a panel).
    with st.container():
        auth.show_redirect_message(keep=True)
        show_flashes()
    nav.run()


def _login_for(slug: str) -> Callable[[], None]:
    def login() -> None:
        auth.login_page("/" + navigation.page(slug).url_path)  # a deep link lands there after sign-in

    login.__name__ = f"login_{slug}"  # Streamlit names a function page after its function
    return login


_page_objects: dict[str, dict[str, st.Page]] = {}


def _pages(language: str) -> dict[str, st.Page]:
    """Every page, titled in one language. Built once per language and server process (a
    page object resolves its file on the disk, ten times in every rerun otherwise), and
    handed out as a copy to each run: st.navigation marks the page it returns as callable
    and running it clears the mark, so runs of two sessions must never share one."""
    found = _page_objects.get(language)
    if found is None:
        found = _page_objects[language] = {
            p.slug: st.Page(
                str(ROOT / p.script), title=t(p.title_key), icon=p.icon, url_path=p.url_path or None, default=p.default
            )
            for p in navigation.PAGES
        }
    return {slug: copy.copy(page) for slug, page in found.items()}


def run_signed_in(actor: Actor) -> None:
    # Every page is registered so any URL resolves to its script, which refuses roles that
    # may not open it; the menu shows only the pages the role may open.
    pages = _pages(lang())
    nav = st.navigation(list(pages.values()), position="hidden")
    with ops_view.timed_run(nav.url_path or "home", actor.username):  # a slow run is logged
        sidebar(actor, pages)
        close_sidebar_after_navigating(nav.url_path)
        streamlit_words()
        demo_banner()
        with st.container():  # always one element, message or not (see run_anonymous)
            auth.show_redirect_message(keep=False)
            show_flashes()
        nav.run()


LAST_PAGE_KEY = "shell.last_page"
PHONE_PX = 768  # Streamlit's own breakpoint: below it the sidebar covers the page
CLOSE_SIDEBAR = (
    "<script>"
    f"if (window.innerWidth < {PHONE_PX}) {{"
    "const bar = document.querySelector('[data-testid=\"stSidebar\"]');"
    "const close = document.querySelector('[data-testid=\"stSidebarCollapseButton\"] button');"
    "if (bar && close && bar.getBoundingClientRect().right > 0) close.click();"
    "}"
    "</script>"
)


NO_SCRIPT = "<span></span>"


def close_sidebar_after_navigating(current: str) -> None:
    """On a phone the sidebar covers the page it just opened; Streamlit leaves it open after
    a menu link, so a fixed script (no user text) closes it once when the page changed."""
    previous = st.session_state.get(LAST_PAGE_KEY)
    st.session_state[LAST_PAGE_KEY] = current
    changed = previous is not None and previous != current
    # Always one element, at the end of the sidebar: an element that came and went would
    # shift everything after it, and Streamlit would redraw those as new (expanders close).
    with st.sidebar:
        st.html(CLOSE_SIDEBAR if changed else NO_SCRIPT, unsafe_allow_javascript=True, width="content")


def _css_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def streamlit_words() -> None:
    """Streamlit's own visible English, in the user's language where CSS can reach it: the
    file uploader's button and size line, and the "Press Enter to apply" hint under inputs
    (our forms never submit on Enter). Only the portal's own catalogue text goes into this
    style sheet, never anything a user typed."""
    if lang() == "en":
        with st.sidebar:  # the same number of elements in both languages (see above)
            st.html("<style></style>")
        return
    mb = min(float(limits().upload_mb), float(st.get_option("server.maxUploadSize")))
    with st.sidebar:
        _style(mb)


def _style(mb: float) -> None:
    button = _css_text(t("shell.upload_button"))
    limit = _css_text(t("shell.upload_limit", mb=f"{mb:g}"))
    st.html(
        "<style>"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p{font-size:0}'
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after'
        f'{{content:"{button}";font-size:0.875rem}}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span{font-size:0}'
        f'[data-testid="stFileUploaderDropzoneInstructions"] span::after{{content:"{limit}";font-size:0.75rem}}'
        '[data-testid="InputInstructions"]{display:none}'
        + "".join(  # an empty date box's segments read yyyy / mm / dd: 年 / 月 / 日
            f'[data-placeholder="true"][data-type="{part}"]{{font-size:0}}'
            f'[data-placeholder="true"][data-type="{part}"]::after{{content:"{_css_text(t(f"shell.date_{part}"))}";'
            "font-size:0.875rem}"
            for part in ("year", "month", "day")
        )
        + "</style>"
    )


def sidebar(actor: Actor, pages: dict[str, st.Page]) -> None:
    visible = navigation.pages_for(actor.role)
    st.session_state[VISIBLE_KEY] = [p.slug for p in visible]
    with unit_of_work() as session:
        units = orgunits.tree(session, actor, include_inactive=False)
    with st.sidebar:
        st.markdown(f"### {t('app.title')}")
        menu(visible, pages)
        st.divider()
        arrive(units)
        unit_picker(actor, units)
        period_picker()
        language_switch(actor)
        st.divider()
        st.caption(
            tm(
                "app.signed_in_as",
                name=actor.display_name,
                role=t(f"role.{actor.role}"),
                unit=_unit_name(units, actor.org_unit_id),
            )
        )
        if st.button(t("shell.logout"), key="shell.logout", icon=":material/logout:"):
            auth.logout(actor)


def menu(visible: list[PageDef], pages: dict[str, st.Page]) -> None:
    section = None
    for p in visible:
        if p.section_key != section:
            section = p.section_key
            st.caption(t(section))
        st.page_link(pages[p.slug], label=t(p.title_key), icon=p.icon)


def arrive(units: list[orgunits.UnitRow]) -> None:
    """A link from the home page may carry ``unit`` and ``month``: they choose the sidebar's
    unit and period (when the user may see them) and leave the URL; ``view`` stays for the
    page (see arrival_view)."""
    params = st.query_params
    unit = params.get("unit")
    if unit is not None:
        if unit.isdigit() and int(unit) in {u.id for u in units}:
            st.session_state[UNIT_KEY] = int(unit)
        del params["unit"]
    month = params.get("month")
    if month is not None:
        if month in periods.picker_options(clock.today()):
            st.session_state[PERIOD_KEY] = month
        del params["month"]


def arrival_view(views: list[str]) -> str | None:
    """The view a link asked for (``?view=review``), once: it leaves the URL when read."""
    params = st.query_params
    view = params.get("view")
    if view is None:
        return None
    del params["view"]
    return view if view in views else None


def _unit_name(units: list[orgunits.UnitRow], unit_id: int | None) -> str:
    match = [u for u in units if u.id == unit_id]
    return i18n.label(lang(), match[0].name_zh, match[0].name_en) if match else "-"


def unit_picker(actor: Actor, units: list[orgunits.UnitRow]) -> None:
    ids = [u.id for u in units]
    if not ids:
        return
    if st.session_state.get(UNIT_KEY) not in ids:
        st.session_state[UNIT_KEY] = actor.org_unit_id if actor.org_unit_id in ids else ids[0]
    names = {u.id: i18n.INDENT * u.depth + i18n.label(lang(), u.name_zh, u.name_en) for u in units}
    st.selectbox(t("shell.org_unit"), ids, key=UNIT_KEY, format_func=names.__getitem__)


def period_picker() -> None:
    options = periods.picker_options(clock.today())
    if st.session_state.get(PERIOD_KEY) not in options:
        st.session_state[PERIOD_KEY] = options[0]
    st.selectbox(t("shell.period"), options, key=PERIOD_KEY, format_func=lambda key: periods.label(key, lang()))


def language_switch(actor: Actor | None) -> None:
    st.session_state[SWITCH_KEY] = lang()

    def changed() -> None:
        chosen = st.session_state[SWITCH_KEY]
        set_lang(chosen)
        if actor is not None:
            with unit_of_work() as session:
                users.set_language(session, actor, chosen)

    st.radio(
        t("shell.language"),
        i18n.LANGUAGES,
        key=SWITCH_KEY,
        horizontal=True,
        format_func=lambda code: t(f"lang.{code}"),
        on_change=changed,
    )


def selected_unit_id() -> int | None:
    return st.session_state.get(UNIT_KEY)


def selected_period() -> str:
    return st.session_state.get(PERIOD_KEY) or periods.month_key(clock.today())


def _served_alone() -> bool:
    """True when Streamlit ran this page file by itself: on a freshly started server it
    serves files under pages/ directly until some session's app.py has called
    st.navigation (its old multipage mode)."""
    from streamlit.runtime.pages_manager import PagesManager

    return bool(PagesManager.uses_pages_directory)


def require_page(slug: str) -> Actor:
    """Every page script starts here: no data before login, and a role that may not open
    the page gets a refusal even when it typed the URL."""
    if _served_alone():
        # Switch the server to app.py's navigation (what its first run would do) and run
        # again through it: the same page, with the shell, the menu and the login cookie.
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    if _startup_failed():
        startup_check()  # says why (e.g. the schema is out of date) and stops
    actor = auth.current_actor()
    if actor is None:
        # Reached without the entry script's gate (a page file served on its own):
        # the same login form, and nothing else.
        auth.login_page("/" + navigation.page(slug).url_path)
        st.stop()
    if not navigation.may_open(actor.role, slug):
        st.error(t("page.refused"))
        st.caption(t("page.refused_hint"))
        st.stop()
    return actor


def public_page() -> None:
    """What a public page's script (PageDef.public) starts with instead of require_page:
    served on its own, switch to app.py's navigation; a failed startup says why and stops.
    No login is asked for, and the page must show nothing a visitor may not see."""
    if _served_alone():
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    if _startup_failed():
        startup_check()


def run_public(renderer: str) -> None:
    """A public page's script: ``run_public("portal.ui.training:render_signin")``. The
    renderer is an area's, reached through the manifests' loader (pages import only the
    shared UI, and shared modules name areas only as data)."""
    public_page()
    apps.loader(renderer)()


def _startup_failed() -> bool:
    try:
        cookie_settings()
        return not (st.session_state.get("shell.startup_ok") or migrate.is_current(engine()))
    except (ConfigError, SQLAlchemyError, DatabaseFileError):
        return True


@contextmanager
def database_guard() -> Iterator[None]:
    """Around a whole run (app.py): when the database fails mid-page - the file gone, the
    server down - one sentence in place of Streamlit's error box; the log has the rest.
    Streamlit's own rerun and stop signals are not Exceptions and pass through.
    Also the rerun's memo (portal.cache): the org tree, the calendar, the signed-in user
    are looked up once per run."""
    try:
        with cache.rerun():
            yield
    except (DatabaseFileError, OperationalError, InterfaceError) as exc:
        st.error(database_problem(exc), icon=":material/database:")
