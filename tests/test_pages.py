"""Pages through AppTest: the login gate, each role's menu, refusals by URL, the real
login form, and the admin and account pages doing real writes.

The app runs through tests.conftest.served_app (why: see there); the page-alone
behaviour is tested on purpose below.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from db.models import ROLES, AuditEntry, User
from portal import navigation
from portal.i18n import t
from portal.org import auth
from tests.conftest import BACKENDS, fresh_engine, make_tree, make_user, open_tab, served_app, tamper

ADMIN_TABS = "admin.tabs.main"  # /admin's tabs: only the open one runs

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo12345"
ENTRY = [str(ROOT / "app.py")]  # replaced by the module fixture's copy
HOME_UNIT = {
    "admin": "county",
    "head": "county",
    "trainer": "county",
    "inspector": "county",
    "staff": "t1",
    "viewer": "t1",
}


@pytest.fixture(scope="module", params=BACKENDS)
def app_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    engine = fresh_engine(request.param, tmp_path_factory.mktemp("pages"))
    ids = make_tree(engine)
    for role in ROLES:
        make_user(engine, role, role, ids[HOME_UNIT[role]], PASSWORD)
    with served_app(tmp_path_factory, engine) as entry:
        ENTRY[0] = entry
        yield engine
    engine.dispose()


def open_app(username: str | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRY[0], default_timeout=30)
    at.session_state["lang"] = "zh-CN"
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.run()
        if page:
            at.switch_page(str(ROOT / page))
            at.run()
    else:
        if page:  # asked for by file name before the first run, as a typed URL does
            at.switch_page(str(ROOT / page))
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [
        m.value
        for kind in ("title", "markdown", "caption", "error", "info", "warning", "success")
        for m in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def menu(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.sidebar.get("page_link")]


# --- anonymous -------------------------------------------------------------------------


@pytest.mark.parametrize("page", [p.script for p in navigation.PAGES if not p.public])
def test_anonymous_sees_only_the_login_form(app_db, page):
    at = open_app(page=page)
    assert [w.label for w in at.text_input] == [t("login.username"), t("login.password")]
    assert not at.dataframe and not menu(at)
    assert t("home.welcome", name="") not in texts(at)
    assert t("admin.title") not in [x.value for x in at.title]


@pytest.mark.parametrize("page", [p.script for p in navigation.PAGES if p.public])
def test_a_public_page_shows_no_login_and_no_data(app_db, page):
    # The training self sign-in: without a window it says so, and nothing else.
    at = open_app(page=page)
    assert not at.exception
    assert t("login.username") not in [w.label for w in at.text_input]
    assert not at.dataframe and not at.metric and not menu(at)


@pytest.mark.parametrize("page", [p.script for p in navigation.PAGES if not p.public])
def test_page_script_run_alone_refuses_without_login(app_db, page):
    # What a freshly started server could serve from pages/ before st.navigation ran.
    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    at.run()
    assert not at.exception
    assert [w.label for w in at.text_input] == [t("login.username"), t("login.password")]
    assert not at.dataframe and not at.metric and not menu(at)


# --- each role -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_pages(app_db, role):
    at = open_app(role)
    assert menu(at) == [t(p.title_key) for p in navigation.pages_for(role)]
    assert at.title[0].value == t("home.welcome", name=role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", navigation.PAGES, ids=lambda p: p.slug)
def test_every_page_for_every_role(app_db, role, page):
    at = open_app(role, page.script)
    if page.public:  # the same for everyone, signed in or not
        assert t("page.refused") not in texts(at) and at.title
        assert not at.dataframe and not at.metric
    elif role in page.roles:
        assert t("page.refused") not in texts(at)
        assert at.title, "the page rendered nothing"
    else:
        assert [e.value for e in at.error] == [t("page.refused")]
        assert not at.dataframe and not at.metric and not at.title


def test_head_admin_page_lists_only_scope_and_users_are_read_only(app_db):
    at = open_app("head", "pages/admin.py")
    units = at.dataframe[0].value
    assert len(units) == 7  # the whole county tree
    assert t("admin.read_only") not in texts(at)  # only the open tab runs: the units
    # heads may add and edit org units (and their group robots) in their area; users are
    # managed by admins only (only the open tab runs, outer and inner: the add forms are
    # drawn when their tab is open)
    assert not at.get("form")
    forms = []
    for outer, screen in (
        ("admin.tab.units", "org_units"),
        ("admin.tab.users", "users"),
        ("reminders.tab", "reminder_channels"),
    ):
        open_tab(at, ADMIN_TABS, outer)
        if screen == "users":
            assert t("admin.read_only") in texts(at)
            assert not [b for b in at.button if b.key and b.key.startswith("admin.manage")]
        open_tab(at, f"{screen}.tabs.view", "records.tab.add")
        forms += [f.proto.form.form_id for f in at.get("form")]
    assert forms == ["org_units.form.add", "reminder_channels.form.add"]


def test_township_viewer_admin_refused_but_home_scoped(app_db):
    at = open_app("viewer")
    assert t("home.scope", unit="东关镇卫生院", count=1) in texts(at)
    assert at.metric[0].value == "2"  # t1 and its village


# --- login form ------------------------------------------------------------------------


def login(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    at.run()
    return at


def test_login_through_the_real_form(app_db):
    at = open_app()
    login(at, "head", PASSWORD)
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert at.title[0].value == t("home.welcome", name="head")
    assert menu(at) == [t(p.title_key) for p in navigation.pages_for("head")]
    with transaction(app_db) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "login").order_by(AuditEntry.id.desc())).first()
        assert entry.actor_name == "head"


def test_wrong_password_then_lockout_message(app_db):
    at = open_app()
    login(at, "inspector", "wrong-password")
    assert [e.value for e in at.error] == [t("login.bad_credentials")]
    for _ in range(4):
        login(at, "inspector", "wrong-password")
    assert "已锁定" in at.error[0].value
    login(at, "inspector", PASSWORD)  # right password, still locked
    assert "已锁定" in at.error[0].value
    assert at.session_state["authentication_status"] is False
    with tamper(app_db) as s:
        user = s.scalar(select(User).where(User.username == "inspector"))
        assert user.locked_until is not None
        user.locked_until = None  # leave the account usable for other tests


def test_logout_returns_to_login_and_revokes_cookies(app_db):
    at = open_app("trainer")
    at.button(key="shell.logout").click()
    at.run()
    assert [w.label for w in at.text_input] == [t("login.username"), t("login.password")]
    assert t("shell.logged_out") in texts(at)
    with transaction(app_db) as s:
        user = s.scalar(select(User).where(User.username == "trainer"))
        assert user.tokens_valid_after is not None


def test_disabled_user_is_signed_out_on_next_run(app_db):
    at = open_app("viewer")
    with tamper(app_db) as s:
        s.scalar(select(User).where(User.username == "viewer")).active = False
    at.run()
    assert [w.label for w in at.text_input] == [t("login.username"), t("login.password")]
    with tamper(app_db) as s:
        s.scalar(select(User).where(User.username == "viewer")).active = True


# --- admin writes ----------------------------------------------------------------------


def test_admin_adds_a_user_through_the_form(app_db):
    # The users tab's add form is the generic record form (portal/ui/records.py).
    submit = "FormSubmitter:users.form.add-" + t("records.add_submit")
    at = open_tab(
        open_tab(open_app("admin", "pages/admin.py"), ADMIN_TABS, "admin.tab.users"),
        "users.tabs.view",
        "records.tab.add",
    )
    at.text_input(key="users.add.username").input("Bad Name")
    at.text_input(key="users.add.display_name").input("")
    at.text_input(key="users.add.password").input("short")
    at.button(key=submit).click()
    at.run()
    errors = " ".join(e.value for e in at.error)
    assert t("validation.username") in errors and t("validation.required") in errors
    assert at.text_input(key="users.add.username").value == "Bad Name"  # kept on error
    with transaction(app_db) as s:
        assert s.scalar(select(User).where(User.username.ilike("bad%"))) is None
    at.text_input(key="users.add.username").input("liuyang")
    at.text_input(key="users.add.display_name").input("刘洋")
    at.selectbox(key="users.add.role").select("staff")
    at.text_input(key="users.add.password").input("good-password-1")
    at.button(key=submit).click()
    at.run()
    assert t("records.saved") in texts(at)
    assert at.text_input(key="users.add.username").value == ""  # cleared after success
    with transaction(app_db) as s:
        user = s.scalar(select(User).where(User.username == "liuyang"))
        assert user.display_name == "刘洋" and auth.check_password("good-password-1", user.password_hash)


def test_admin_disables_and_resets(app_db):
    at = open_tab(open_app("admin", "pages/admin.py"), ADMIN_TABS, "admin.tab.users")
    at.text_input(key="admin.manage.username").input("staff")
    at.run()
    at.button(key="admin.manage.toggle").click()
    at.run()
    with transaction(app_db) as s:
        assert s.scalar(select(User.active).where(User.username == "staff")) is False
    at.text_input(key="admin.manage.username").input("staff")
    at.run()
    at.button(key="admin.manage.toggle").click()
    at.run()
    at.text_input(key="admin.input.reset_password").input("reset-pass-99")
    at.button(key="FormSubmitter:admin.form.reset-" + t("admin.reset_password")).click()
    at.run()
    assert t("admin.password_reset", username="staff") in texts(at)
    with tamper(app_db) as s:
        user = s.scalar(select(User).where(User.username == "staff"))
        assert user.active and auth.check_password("reset-pass-99", user.password_hash)
        user.password_hash = auth.hash_password(PASSWORD, rounds=4)


# --- account and language --------------------------------------------------------------


def test_change_own_password_on_account_page(app_db):
    at = open_app("trainer", "pages/account.py")
    for key, value in (
        ("current_password", "nope"),
        ("new_password", "another-pass-1"),
        ("confirm_password", "another-pass-1"),
    ):
        at.text_input(key=f"account.input.{key}").input(value)
    at.button(key="FormSubmitter:account.form.password-" + t("account.save")).click()
    at.run()
    assert t("validation.current_password") in [e.value for e in at.error]
    at.text_input(key="account.input.current_password").input(PASSWORD)
    at.button(key="FormSubmitter:account.form.password-" + t("account.save")).click()
    at.run()
    assert t("account.password_changed") in texts(at)
    with tamper(app_db) as s:
        user = s.scalar(select(User).where(User.username == "trainer"))
        assert auth.check_password("another-pass-1", user.password_hash)
        user.password_hash = auth.hash_password(PASSWORD, rounds=4)


def test_language_switch_is_saved_per_user(app_db):
    at = open_app("inspector")
    at.radio(key="shell.language").set_value("en")
    at.run()
    assert at.title[0].value == t("home.welcome", "en", name="inspector")
    assert menu(at)[0] == "Home"
    with transaction(app_db) as s:
        assert s.scalar(select(User.language).where(User.username == "inspector")) == "en"
    # a new session of the same user starts in English
    fresh = AppTest.from_file(ENTRY[0], default_timeout=30)
    fresh.session_state["authentication_status"] = True
    fresh.session_state["username"] = "inspector"
    fresh.run()
    assert fresh.title[0].value == t("home.welcome", "en", name="inspector")
    with tamper(app_db) as s:
        s.scalar(select(User).where(User.username == "inspector")).language = None


def test_pickers_persist_across_pages(app_db):
    at = open_app("head")
    options = at.selectbox(key="shell.org_unit").options
    assert len(options) == 7
    at.selectbox(key="shell.org_unit").select_index(2)
    at.selectbox(key="shell.period").select_index(1)
    at.run()
    unit, period = at.session_state["shell.org_unit"], at.session_state["shell.period"]
    at.switch_page(str(ROOT / "pages/admin.py"))
    at.run()
    at.switch_page(str(ROOT / "pages/home.py"))
    at.run()
    assert at.session_state["shell.org_unit"] == unit
    assert at.session_state["shell.period"] == period


def test_each_run_gets_its_own_page_objects() -> None:
    """st.navigation marks the page it returns callable and running it clears the mark: two
    sessions sharing one object made the second fail ("This page cannot be called
    directly"). The objects are built once per language, and each run gets copies."""
    from portal.ui import shell

    class Page:
        _can_be_called = False

    shell._page_objects["test"] = {"home": Page()}  # type: ignore[dict-item]  # a stand-in for st.Page
    try:
        first, second = shell._pages("test"), shell._pages("test")
        assert first["home"] is not second["home"]
        first["home"]._can_be_called = True
        assert second["home"]._can_be_called is False
    finally:
        del shell._page_objects["test"]
