"""The pure helpers behind the record screens: formatting, table columns, filters from
widget values, history and conflict rows, form defaults."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from portal.org.users import UserSpec
from portal.programmes.education.specs import HeActivitySpec as HE
from portal.records import display
from portal.records.service import Change

UNITS = {1: "示范县卫生健康局", 2: "东关镇卫生院"}


def f(key, spec=HE):
    return spec.field(key)


@pytest.mark.parametrize(
    "field, value, zh, en",
    [
        ("activity_type", "lecture", "健康讲座", "Lecture"),
        ("activity_type", "unknown", "unknown", "unknown"),
        ("org_unit_id", 2, "东关镇卫生院", "东关镇卫生院"),
        ("org_unit_id", 99, "#99", "#99"),
        ("activity_date", dt.date(2026, 3, 24), "2026-03-24", "2026-03-24"),
        ("activity_date", "2026-03-24", "2026-03-24", "2026-03-24"),  # JSON form from the audit trail
        ("participants", 1200, "1,200", "1,200"),
        ("participants", 0, "0", "0"),
        ("participants", None, "", ""),
        ("title", "", "", ""),
        ("title", "讲座", "讲座", "讲座"),
    ],
)
def test_format_value(field, value, zh, en):
    assert display.format_value(f(field), value, "zh-CN", UNITS) == zh
    assert display.format_value(f(field), value, "en", UNITS) == en


def test_bools_read_yes_no_in_each_language():
    active = f("active", UserSpec)
    assert display.format_value(active, True, "zh-CN") == "是"
    assert display.format_value(active, False, "zh-CN") == "否"
    assert display.format_value(active, False, "en") == "No"
    assert display.format_value(active, None, "en") == ""


def test_table_columns_use_labels_and_skip_write_only_fields():
    rows = [
        SimpleNamespace(
            id=1,
            activity_date=dt.date(2026, 3, 24),
            activity_type="board",
            title="更换宣传栏",
            org_unit_id=2,
            participants=None,
            materials_given=300,
        )
    ]
    cols = display.table_columns(HE, rows, "zh-CN", UNITS)
    assert list(cols) == ["活动日期", "活动形式", "活动主题", "开展单位", "受教育人数", "发放资料（份）"]
    assert [c[0] for c in cols.values()] == ["2026-03-24", "宣传栏更换", "更换宣传栏", "东关镇卫生院", "", "300"]
    assert list(display.table_columns(HE, rows, "en", UNITS))[:2] == ["Date", "Activity type"]
    users = [SimpleNamespace(username="li", display_name="李", role="staff", org_unit_id=1, active=True)]
    user_cols = display.table_columns(UserSpec, users, "zh-CN", UNITS)
    assert "初始密码" not in user_cols and user_cols["角色"] == ["录入员"]


def test_record_label_and_markdown_escaping():
    values = {
        "id": 5,
        "activity_date": dt.date(2026, 3, 24),
        "activity_type": "lecture",
        "title": "**结核病**讲座",
        "org_unit_id": 2,
    }
    assert display.record_label(HE, values, "zh-CN", UNITS) == "2026-03-24 · 健康讲座 · **结核病**讲座"
    assert display.md_escape("**结核病** [link](x)") == r"\*\*结核病\*\* \[link\]\(x\)"
    assert display.record_label(HE, {"id": 7}, "zh-CN") == "#7"


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        ((), None),
        ((dt.date(2026, 3, 1),), (dt.date(2026, 3, 1), None)),  # while the second date is picked
        ((dt.date(2026, 3, 31), dt.date(2026, 3, 1)), (dt.date(2026, 3, 1), dt.date(2026, 3, 31))),
        (dt.date(2026, 3, 5), (dt.date(2026, 3, 5), dt.date(2026, 3, 5))),
    ],
)
def test_date_range(value, expected):
    assert display.date_range(value) == expected


def test_build_filters_drops_empty_widgets():
    filters = display.build_filters(
        HE, {"activity_type": [], "activity_date": (), "org_unit_id": None}, "  ", "2026-03"
    )
    assert (filters.values, filters.search, filters.period) == ({}, None, "2026-03")
    filters = display.build_filters(
        HE,
        {"activity_type": ["lecture", "board"], "activity_date": (dt.date(2026, 3, 1),), "org_unit_id": 2},
        " 结核 ",
        None,
    )
    assert filters.values == {
        "activity_type": ["lecture", "board"],
        "activity_date": (dt.date(2026, 3, 1), None),
        "org_unit_id": 2,
    }
    assert filters.search == "结核" and filters.period is None
    # a spec without a date field ignores the period
    assert display.build_filters(UserSpec, {"active": [False]}, None, "2026-03").period is None
    assert display.build_filters(UserSpec, {"active": [False]}).values == {"active": [False]}


def test_signature_is_stable_and_sensitive():
    a = display.build_filters(HE, {"activity_type": ["lecture"]})
    b = display.build_filters(HE, {"activity_type": ["lecture"]})
    c = display.build_filters(HE, {"activity_type": ["board"]})
    assert display.signature(a, 25) == display.signature(b, 25) != display.signature(c, 25)
    assert display.signature(a, 25) != display.signature(a, 50)


def entry(action, before, after, at=dt.datetime(2026, 3, 24, 2, 5, tzinfo=dt.UTC), who="staff"):
    return SimpleNamespace(action=action, before=before, after=after, at=at, actor_name=who)


def test_history_rows_newest_first_with_labels_and_local_time():
    v1 = {
        "id": 1,
        "version": 1,
        "title": "旧标题",
        "participants": 50,
        "org_unit_id": 2,
        "activity_date": "2026-03-24",
        "activity_type": "lecture",
        "updated_at": "x",
    }
    v2 = {**v1, "version": 2, "title": "新标题", "participants": 56, "updated_at": "y"}
    v3 = {**v2, "version": 3, "deleted_at": "2026-03-25T00:00:00+00:00"}
    rows = display.history_rows(
        HE, [entry("create", None, v1), entry("update", v1, v2), entry("delete", v2, v3)], "zh-CN", UNITS
    )
    assert [r["action"] for r in rows] == ["删除", "修改", "新增"]
    assert rows[0]["changes"] == ""  # only bookkeeping changed
    assert rows[1]["changes"] == "活动主题：旧标题 → 新标题；受教育人数：50 → 56"
    assert rows[1]["when"] == "2026-03-24 10:05"  # China time
    assert rows[1]["version"] == 2
    assert "开展单位：东关镇卫生院" in rows[2]["changes"] and "→" not in rows[2]["changes"]
    en = display.history_rows(HE, [entry("update", v1, v2)], "en", UNITS)
    assert en[0]["changes"] == "Title: 旧标题 → 新标题; People reached: 50 → 56"
    assert display.action_label("something_new", "zh-CN") == "something_new"


def test_history_never_mentions_passwords():
    before = {"username": "li", "active": True, "password_hash": "$2b$12$secret", "version": 1}
    after = {**before, "active": False, "password_hash": "$2b$12$other", "version": 2}
    text = display.describe_changes(UserSpec, before, after, "zh-CN")
    assert text == "启用：是 → 否"


def test_revert_choices_leave_out_the_current_version():
    entries = [
        entry("create", None, {"version": 1}),
        entry("update", {}, {"version": 2}),
        entry("delete", {}, {"version": 3}),
        entry("restore", {}, {"version": 4}),
    ]
    assert display.revert_choices(entries, current_version=4) == [2, 1]


def test_stale_rows_show_then_now_and_typed():
    changes = [Change("participants", 30, 99), Change("venue", None, "中心校"), Change("updated_at", "a", "b")]
    rows = display.stale_rows(HE, changes, {"participants": 40, "venue": ""}, "zh-CN", UNITS)
    assert rows == [
        {"field": "受教育人数", "then": "30", "now": "99", "typed": "40"},
        {"field": "地点", "then": "", "now": "中心校", "typed": ""},
    ]


def test_form_defaults_and_raw_values():
    today = dt.date(2026, 3, 24)
    defaults = display.form_defaults(HE, 2, today, unit_choices=[1, 2])
    assert defaults["org_unit_id"] == 2 and defaults["activity_date"] == today
    assert defaults["title"] == "" and defaults["participants"] is None
    assert display.form_defaults(HE, 7, today, unit_choices=[1, 2])["org_unit_id"] is None
    user_defaults = display.form_defaults(UserSpec, 1, today)
    assert user_defaults["active"] is True and user_defaults["password"] == ""
    raw = display.form_raw(HE, {"title": "  讲座 ", "participants": 3}, creating=False)
    assert raw["title"] == "讲座" and raw["participants"] == 3 and raw["venue"] is None
    assert "org_unit_id" in raw  # every writable field is sent
    assert display.form_raw(UserSpec, {"password": " pass word "}, creating=True)["password"] == " pass word "
    assert "password" not in display.form_raw(UserSpec, {}, creating=False)


def test_widget_values_from_stored_values():
    assert display.widget_value(f("title"), None) == ""
    assert display.widget_value(f("activity_date"), "2026-03-24") == dt.date(2026, 3, 24)
    assert display.widget_value(f("active", UserSpec), None) is False
    assert display.widget_value(f("participants"), 5) == 5


def test_unit_ids_from_objects_and_snapshots():
    rows = [SimpleNamespace(org_unit_id=2), {"org_unit_id": 1}, None, {"org_unit_id": "t1"}]
    assert display.unit_ids(HE, rows) == {1, 2}


def test_numeric_headers_are_the_number_columns():
    assert display.numeric_headers(HE, "zh-CN") == ["受教育人数", "发放资料（份）"]
    assert display.numeric_headers(UserSpec, "en") == []
