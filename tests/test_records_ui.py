"""The generic record screens through AppTest, on the health-education page and the admin
page: add with inline errors, edit with the version check, a stale edit refused, delete
with confirmation and restore, history and revert, tabs by role, scope, and no password
data on screen.

Like tests/test_pages.py, the app runs from a copy of app.py in a folder without pages/
(see that module's docstring) and switch_page takes absolute paths. A row is selected by
setting the selection key the table's row-selection callback sets
(``<slug>.selected.id``): AppTest cannot click a dataframe row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from db.models import AuditEntry, HeActivity, OrgUnit, User
from portal import clock
from portal.i18n import t
from portal.org.scope import SYSTEM, actor_for
from portal.programmes.education.specs import HeActivitySpec as HE
from portal.records import service as rs
from tests.conftest import BACKENDS, fresh_engine, make_tree, make_user, open_tab, served_app

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo12345"
ENTRY = [str(ROOT / "app.py")]
PAGE = "pages/education.py"
ADD = "FormSubmitter:he_activities.form.add-" + t("records.add_submit")
SAVE = "FormSubmitter:he_activities.form.edit-" + t("records.save")
SELECTED = "he_activities.selected.id"
TABS = "he_activities.tabs.view"  # only the open tab runs: open_tab(at, TABS, "records.tab.add")
ACCOUNTS = {
    "admin": ("admin", "county"),
    "head": ("head", "county"),
    "staff": ("staff", "t1"),
    "viewer": ("viewer", "t1"),
    "trainer": ("trainer", "county"),
    "t2staff": ("staff", "t2"),
}


@pytest.fixture(scope="module", params=BACKENDS)
def app_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    engine = fresh_engine(request.param, tmp_path_factory.mktemp("records_ui"))
    ids = make_tree(engine)
    for username, (role, unit) in ACCOUNTS.items():
        make_user(engine, username, role, ids[unit], PASSWORD)
    with served_app(tmp_path_factory, engine) as entry:
        ENTRY[0] = entry
        yield engine, ids
    engine.dispose()


def open_page(username: str, page: str = PAGE) -> AppTest:
    at = AppTest.from_file(ENTRY[0], default_timeout=30)
    at.session_state["lang"] = "zh-CN"
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.run()
    at.switch_page(str(ROOT / page))
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(at: AppTest) -> str:
    parts = [
        m.value
        for kind in ("title", "subheader", "markdown", "caption", "error", "info", "warning", "success")
        for m in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def table(at: AppTest, column: str | None = None):
    """The record list (a keyed, selectable table), or the first table with that column."""
    if column is None:
        found = [d.value for d in at.dataframe if d.key and d.key.startswith("he_activities.table.")]
    else:
        found = [d.value for d in at.dataframe if column in d.value.columns]
    return found[0] if found else None


STALE, HISTORY = t("records.col.then"), t("records.col.changes")


def actor(engine, username: str):
    with transaction(engine) as s:
        return actor_for(s, s.scalar(select(User).where(User.username == username)))


def add_row(engine, username: str, unit: int, title: str, **extra) -> int:
    raw = {
        "org_unit_id": unit,
        "activity_date": clock.today(),
        "activity_type": "consultation",
        "title": title,
        **extra,
    }
    with transaction(engine) as s:
        return rs.create(s, actor(engine, username), HE, raw).id


def row(engine, rid: int) -> HeActivity:
    with transaction(engine) as s:
        return s.get(HeActivity, rid)


def select_row(at: AppTest, rid: int) -> AppTest:
    at.session_state[SELECTED] = rid
    at.run()
    ok(at)
    return at


# --- add -----------------------------------------------------------------------------------


def test_add_through_the_form_then_find_it_in_db_and_table(app_db):
    engine, ids = app_db
    at = open_tab(open_page("staff"), TABS, "records.tab.add")
    assert at.selectbox(key="he_activities.add.org_unit_id").value == ids["t1"]  # the sidebar's unit
    assert at.date_input(key="he_activities.add.activity_date").value == clock.today()
    at.selectbox(key="he_activities.add.activity_type").select("lecture")
    at.text_input(key="he_activities.add.title").input("表单新增的结核病讲座")
    at.text_input(key="he_activities.add.venue").input("东关村委会")
    at.number_input(key="he_activities.add.participants").set_value(45)
    at.button(key=ADD).click()
    at.run()
    ok(at)
    assert t("records.saved") in texts(at)
    assert at.text_input(key="he_activities.add.title").value == ""  # cleared after success
    with transaction(engine) as s:
        obj = s.scalar(select(HeActivity).where(HeActivity.title == "表单新增的结核病讲座"))
        assert (obj.org_unit_id, obj.participants, obj.venue, obj.activity_type, obj.version) == (
            ids["t1"],
            45,
            "东关村委会",
            "lecture",
            1,
        )
    assert table(at) is None  # the list's tab is closed: it did not run
    shown = table(open_tab(at, TABS, "records.tab.list"))
    assert "表单新增的结核病讲座" in list(shown[HE.field("title").label("zh-CN")])
    line = shown[shown[HE.field("title").label("zh-CN")] == "表单新增的结核病讲座"].iloc[0]
    assert line[HE.field("activity_type").label("zh-CN")] == "健康讲座"  # choice label
    assert line[HE.field("org_unit_id").label("zh-CN")] == "东关镇卫生院"  # unit by name
    assert t("records.total", count=len(shown)) in texts(at)


def test_bad_values_show_inline_errors_and_keep_what_was_typed(app_db):
    engine, _ = app_db
    at = open_tab(open_page("staff"), TABS, "records.tab.add")
    at.selectbox(key="he_activities.add.activity_type").select("lecture")
    at.text_input(key="he_activities.add.title").input("   ")
    at.text_input(key="he_activities.add.venue").input("村卫生室门口")
    at.button(key=ADD).click()
    at.run()
    ok(at)
    errors = [e.value for e in at.error]
    assert t("validation.required") in errors  # under the title
    assert t("error.validation", count=1) in errors
    assert at.text_input(key="he_activities.add.venue").value == "村卫生室门口"  # kept
    assert at.selectbox(key="he_activities.add.activity_type").value == "lecture"
    # the title is fine now; the lecture rule names the participants field
    at.text_input(key="he_activities.add.title").input("没有人数的讲座")
    at.button(key=ADD).click()
    at.run()
    assert t("validation.lecture_participants") in [e.value for e in at.error]
    assert at.text_input(key="he_activities.add.title").value == "没有人数的讲座"
    with transaction(engine) as s:
        assert s.scalar(select(HeActivity).where(HeActivity.venue == "村卫生室门口")) is None


# --- edit, stale edit -----------------------------------------------------------------------


def test_edit_saves_with_the_loaded_version(app_db):
    engine, ids = app_db
    rid = add_row(engine, "staff", ids["t1"], "待修改的咨询活动", consultations=10)
    at = select_row(open_page("staff"), rid)
    assert at.text_input(key="he_activities.edit.title").value == "待修改的咨询活动"
    assert at.number_input(key="he_activities.edit.consultations").value == 10
    assert at.session_state["he_activities.edit.loaded"] == (rid, 1)
    at.number_input(key="he_activities.edit.consultations").set_value(25)
    at.text_input(key="he_activities.edit.title").input("已修改的咨询活动")
    at.button(key=SAVE).click()
    at.run()
    ok(at)
    assert t("records.saved") in texts(at)
    obj = row(engine, rid)
    assert (obj.title, obj.consultations, obj.version) == ("已修改的咨询活动", 25, 2)
    assert at.session_state["he_activities.edit.loaded"] == (rid, 2)  # reloaded after saving
    assert at.text_input(key="he_activities.edit.title").value == "已修改的咨询活动"


def test_stale_edit_shows_what_changed_and_overwrites_nothing(app_db):
    engine, ids = app_db
    rid = add_row(engine, "staff", ids["t1"], "两人同时修改的活动", participants=30)
    at = select_row(open_page("staff"), rid)  # loads version 1
    with transaction(engine) as s:  # meanwhile, the head saves from another session
        rs.update(s, actor(engine, "head"), HE, rid, {"participants": 99, "venue": "中心校"}, 1)
    at.text_input(key="he_activities.edit.title").input("我改的标题")
    at.button(key=SAVE).click()
    at.run()
    ok(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "head" in warnings and t("records.stale_hint") in texts(at)
    conflict = table(at, STALE)
    assert set(conflict[t("records.col.field")]) == {"受教育人数", "地点"}
    line = conflict[conflict[t("records.col.field")] == "受教育人数"].iloc[0]
    assert (line[t("records.col.then")], line[t("records.col.now")]) == ("30", "99")
    obj = row(engine, rid)
    assert (obj.title, obj.participants, obj.version) == ("两人同时修改的活动", 99, 2)  # nothing overwritten
    assert at.text_input(key="he_activities.edit.title").value == "我改的标题"  # typed value kept
    at.button(key="he_activities.edit.reload_button").click()
    at.run()
    ok(at)
    assert at.text_input(key="he_activities.edit.title").value == "两人同时修改的活动"
    assert at.number_input(key="he_activities.edit.participants").value == 99
    assert table(at, STALE) is None


# --- delete, trash, restore ---------------------------------------------------------------


def test_delete_needs_confirmation_then_restore_from_trash(app_db):
    engine, ids = app_db
    rid = add_row(engine, "staff", ids["t1"], "要删除的宣传活动")
    at = select_row(open_page("staff"), rid)
    at.button(key="he_activities.delete.ask").click()
    at.run()
    ok(at)
    assert row(engine, rid).deleted_at is None  # the first click only asks
    assert any("要删除的宣传活动" in w.value for w in at.warning)
    at.button(key="he_activities.delete.cancel").click()
    at.run()
    assert row(engine, rid).deleted_at is None
    at.button(key="he_activities.delete.ask").click()
    at.run()
    at.button(key="he_activities.delete.confirm").click()
    at.run()
    ok(at)
    assert row(engine, rid).deleted_at is not None
    assert at.session_state[SELECTED] is None
    assert "要删除的宣传活动" not in list(table(at)[HE.field("title").label("zh-CN")])
    assert not [b for b in at.button if b.key == f"he_activities.restore.{rid}"]  # the trash tab is closed
    restore = open_tab(at, TABS, "records.tab.trash").button(key=f"he_activities.restore.{rid}")
    restore.click()
    at.run()
    ok(at)
    assert row(engine, rid).deleted_at is None
    assert "要删除的宣传活动" in list(table(open_tab(at, TABS, "records.tab.list"))[HE.field("title").label("zh-CN")])
    with transaction(engine) as s:
        actions = [e.action for e in rs.history(s, SYSTEM, HE, rid)]
    assert actions == ["create", "delete", "restore"]


# --- history and revert ------------------------------------------------------------------


def test_history_lists_entries_and_a_head_reverts(app_db):
    engine, ids = app_db
    rid = add_row(engine, "staff", ids["t1"], "原来的标题", participants=12)
    with transaction(engine) as s:
        rs.update(s, actor(engine, "staff"), HE, rid, {"title": "改坏的标题", "participants": 1}, 1)
    staff = select_row(open_page("staff"), rid)
    history = table(staff, HISTORY)
    assert list(history[t("records.col.action")]) == [t("audit.update"), t("audit.create")]
    assert "原来的标题 → 改坏的标题" in history[t("records.col.changes")].iloc[0]
    assert not [b for b in staff.button if b.key == "he_activities.revert.submit"]  # staff may not
    at = select_row(open_page("head"), rid)
    assert at.selectbox(key="he_activities.revert.version").options == [t("records.version_n", n=1)]
    at.button(key="he_activities.revert.submit").click()
    at.run()
    ok(at)
    assert t("records.reverted", n=1) in texts(at)
    obj = row(engine, rid)
    assert (obj.title, obj.participants, obj.version) == ("原来的标题", 12, 3)
    assert at.text_input(key="he_activities.edit.title").value == "原来的标题"
    with transaction(engine) as s:
        last = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.record_id == rid, AuditEntry.record_type == HE.slug)
            .order_by(AuditEntry.id.desc())
        ).first()
        assert (last.action, last.actor_name) == ("revert", "head")


# --- roles and scope ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, tabs",
    [
        ("trainer", ["records.tab.list", "records.tab.stats"]),
        ("viewer", ["records.tab.list", "records.tab.stats", "records.tab.io"]),
        ("staff", ["records.tab.list", "records.tab.add", "records.tab.stats", "records.tab.io", "records.tab.trash"]),
    ],
)
def test_tabs_follow_the_role(app_db, username, tabs):
    at = open_page(username)
    labels = [tab.label for tab in at.tabs]  # the activities' screens sit in the page's first tab, before 专题活动
    assert labels[1 : labels.index(t("education.tab.campaigns"))] == [t(k) for k in tabs]
    if "records.tab.add" not in tabs:
        assert not at.get("form")
    if "records.tab.io" in tabs:
        open_tab(at, TABS, "records.tab.io")
    may_import = HE.allows(ACCOUNTS[username][0], "import")
    assert bool(at.file_uploader) == may_import  # no import section without the permission
    exports = [b.key for b in at.download_button if b.key and b.key.startswith("he_activities.export.")]
    assert exports == (
        ["he_activities.export.csv", "he_activities.export.xlsx"] if HE.allows(ACCOUNTS[username][0], "export") else []
    )


def test_township_staff_see_only_their_township(app_db):
    engine, ids = app_db
    for unit in ("t1", "t1v1", "t2", "t2v1"):
        add_row(engine, "admin", ids[unit], f"范围测试{unit}")
    at = open_page("staff")
    options = at.selectbox(key="he_activities.filter.org_unit_id").options
    assert len(options) == 3  # all of my scope, t1, t1v1
    at.text_input(key="he_activities.filter.search").input("范围测试")
    at.run()
    ok(at)
    titles = sorted(table(at)[HE.field("title").label("zh-CN")])
    assert titles == ["范围测试t1", "范围测试t1v1"]
    other = open_page("t2staff")
    other.text_input(key="he_activities.filter.search").input("范围测试")
    other.run()
    assert sorted(table(other)[HE.field("title").label("zh-CN")]) == ["范围测试t2", "范围测试t2v1"]
    with transaction(engine) as s:
        t2_row = s.scalar(select(HeActivity.id).where(HeActivity.title == "范围测试t2"))
    select_row(at, t2_row)  # a foreign id in the session selects nothing
    assert at.session_state[SELECTED] is None
    assert t("records.gone") in texts(at)


def test_filters_narrow_the_table(app_db):
    engine, ids = app_db
    add_row(engine, "admin", ids["t1"], "筛选测试讲座", activity_type="lecture", participants=5)
    add_row(engine, "admin", ids["t1v1"], "筛选测试咨询")
    at = open_page("head")
    at.text_input(key="he_activities.filter.search").input("筛选测试")
    at.run()
    assert len(table(at)) == 2
    at.multiselect(key="he_activities.filter.activity_type").select("lecture")
    at.run()
    assert list(table(at)[HE.field("title").label("zh-CN")]) == ["筛选测试讲座"]
    at.multiselect(key="he_activities.filter.activity_type").unselect("lecture")
    at.selectbox(key="he_activities.filter.org_unit_id").select(ids["t1v1"])
    at.run()
    assert list(table(at)[HE.field("title").label("zh-CN")]) == ["筛选测试咨询"]
    last_year = clock.today() - dt.timedelta(days=400)
    at.date_input(key="he_activities.filter.activity_date").set_value((last_year, last_year))
    at.run()
    assert t("records.empty") in texts(at)


# --- import ---------------------------------------------------------------------------------


def csv_file(*lines: str) -> bytes:
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def test_import_lists_row_errors_then_imports_a_clean_file(app_db):
    engine, ids = app_db
    header = "活动日期,活动形式,活动主题,开展单位,受教育人数"
    bad = csv_file(
        header,
        "2026-03-24,健康讲座,导入测试一,t1,40",
        "2026-02-30,健康讲座,导入测试二,t1v1,20",  # no such day
        "2026-03-25,健康讲座,导入测试三,t2,30",
    )  # another township: out of scope
    at = open_tab(open_page("staff"), TABS, "records.tab.io")
    at.file_uploader(key="he_activities.import.file_0").set_value(("活动.csv", bad, "text/csv"))
    at.run()
    ok(at)
    problems = table(at, t("records.col.reason"))
    assert list(problems[t("records.col.row")]) == ["3", "4"]
    assert list(problems[t("records.col.column")]) == ["活动日期", "开展单位"]
    assert t("records.import_has_errors", count=2, rows=2) in [e.value for e in at.error]
    assert [b.key for b in at.download_button if b.key == "he_activities.import.report"]
    assert not [b for b in at.button if b.key == "he_activities.import.confirm"]
    with transaction(engine) as s:
        assert s.scalar(select(HeActivity).where(HeActivity.title.like("导入测试%"))) is None
    good = csv_file(header, "2026-03-24,健康讲座,导入测试一,t1,40", "2026-03-26,宣传栏更换,导入测试二,t1v1,")
    at.file_uploader(key="he_activities.import.file_0").set_value(("活动.csv", good, "text/csv"))
    at.run()
    ok(at)
    assert t("records.import_ready", rows=2, create=2, update=0, unchanged=0) in [m.value for m in at.success]
    shown = table(at, t("records.col.row"))
    assert list(shown["活动主题"]) == ["导入测试一", "导入测试二"] and list(shown[t("records.col.row")]) == ["2", "3"]
    at.button(key="he_activities.import.confirm").click()
    at.run()
    ok(at)
    assert t("records.imported", created=2, updated=0) in texts(at)
    assert at.file_uploader(key="he_activities.import.file_1").value is None  # a fresh uploader
    with transaction(engine) as s:
        got = {
            o.title: (o.org_unit_id, o.activity_type)
            for o in s.scalars(select(HeActivity).where(HeActivity.title.like("导入测试%")))
        }
    assert got == {"导入测试一": (ids["t1"], "lecture"), "导入测试二": (ids["t1v1"], "board")}


# --- admin page ----------------------------------------------------------------------------


def test_admin_users_tab_never_shows_password_data(app_db):
    engine, _ = app_db
    with transaction(engine) as s:
        staff = s.scalar(select(User).where(User.username == "staff"))
        staff_id, secret = staff.id, staff.password_hash
    at = open_tab(open_page("admin", "pages/admin.py"), "admin.tabs.main", "admin.tab.users")  # only the open tab runs
    at.session_state["users.selected.id"] = staff_id
    at.run()
    ok(at)
    assert at.text_input(key="users.edit.display_name").value == "staff"
    labels = [w.label for w in at.text_input if w.key and w.key.startswith("users.edit.")]
    assert labels and not [x for x in labels if "密码" in x]
    cells = " ".join(d.value.to_string() for d in at.dataframe)
    headers = " ".join(" ".join(map(str, d.value.columns)) for d in at.dataframe)
    widget_values = " ".join(str(w.value) for w in at.text_input)
    for seen in (cells, headers, widget_values, texts(at)):
        assert secret not in seen and "$2b$" not in seen and "password_hash" not in seen
    assert "密码" not in headers


def test_leaving_the_page_and_coming_back_keeps_the_selection_and_reloads_the_form(app_db):
    engine, ids = app_db
    rid = add_row(engine, "staff", ids["t1"], "离开再回来的活动")
    at = select_row(open_page("staff"), rid)
    at.switch_page(str(ROOT / "pages/home.py"))
    at.run()
    at.switch_page(str(ROOT / PAGE))
    at.run()
    ok(at)
    assert at.text_input(key="he_activities.edit.title").value == "离开再回来的活动"
    assert at.selectbox(key="he_activities.filter.org_unit_id").value == ids["t1"]


def test_a_refused_delete_says_why_with_the_field_label(app_db):
    engine, ids = app_db
    at = open_page("admin", "pages/admin.py")
    at.session_state["org_units.selected.id"] = ids["t1"]  # has a village and users
    open_tab(at, "org_units.tabs.view", "records.tab.list")  # the tree is the units' first tab
    at.button(key="org_units.delete.ask").click()
    at.run()
    at.button(key="org_units.delete.confirm").click()
    at.run()
    ok(at)
    errors = [e.value for e in at.error]
    assert any(e.startswith("编码：") and "不能删除" in e for e in errors), errors
    assert not [e for e in errors if e == t("error.validation", count=1)]
    with transaction(engine) as s:
        assert s.get(OrgUnit, ids["t1"]).deleted_at is None


def test_a_role_that_may_only_view_sees_details_and_history_without_actions(app_db):
    engine, ids = app_db
    rid = add_row(engine, "admin", ids["t1"], "只读查看的活动", venue="卫生院")
    at = select_row(open_page("trainer"), rid)
    details = table(at, t("records.col.value"))
    assert dict(zip(details[t("records.col.field")], details[t("records.col.value")]))["地点"] == "卫生院"
    assert table(at, HISTORY) is not None
    assert not at.get("form")
    assert not [b for b in at.button if b.key and b.key.startswith(("he_activities.delete", "he_activities.revert"))]
