"""Import and export of record types (portal.records.io) on real databases: encodings and
header spellings, per-row errors that write nothing, upserts by natural key within scope,
round trips through CSV and XLSX, formula neutralising, scope, filters and permissions."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import transaction
from db.models import AuditEntry, HeActivity, OrgUnit, User
from portal.errors import PermissionDenied, PortalError
from portal.org import auth, users
from portal.org.scope import SYSTEM, Actor
from portal.org.units import OrgUnitSpec as OU
from portal.org.users import UserSpec as US
from portal.programmes.education.specs import HeActivitySpec as HE
from portal.records import io as rio
from portal.records import service as rs
from portal.records.service import Filters
from tests.conftest import make_user

HE_KEYS = ["org_unit_id", "activity_date", "activity_type", "title", "participants"]
HEADERS = {
    "zh": ["开展单位", "活动日期", "活动形式", "活动主题", "受教育人数"],
    "en": ["Org unit", "Date", "Activity type", "Title", "People reached"],
    "key": HE_KEYS,
    "alias": ["机构编码", "日期", "类型", "主题", "参加人数"],
}
GOOD = [
    ["t1", "2026-03-24", "健康讲座", "结核病防治知识讲座", "56"],
    ["t1v1", "2026/4/7", "consultation", "世界卫生日义诊", ""],
]


@pytest.fixture(autouse=True)
def fast_hashing() -> Iterator[None]:
    """Imported accounts are hashed at the product cost (12) unless lowered for tests."""
    token = users._HASH_ROUNDS.set(4)
    yield
    users._HASH_ROUNDS.reset(token)


# --------------------------------------------------------------------------- helpers


def csv_bytes(headers: list[str], rows: list[list[Any]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def count(engine: Engine, model: type = HeActivity) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def check(
    engine: Engine, actor: Actor, spec: Any, data: bytes, name: str = "f.csv", **kwargs: Any
) -> rio.ImportPreview:
    with transaction(engine) as s:
        return rio.check_import(s, actor, spec, data, name, **kwargs)


def import_file(
    engine: Engine, actor: Actor, spec: Any, data: bytes, name: str = "f.csv", **kwargs: Any
) -> tuple[int, int]:
    with transaction(engine) as s:
        preview = rio.check_import(s, actor, spec, data, name, **kwargs)
        assert preview.errors == []
        return rio.apply_import(s, actor, spec, preview)


def export(
    engine: Engine, actor: Actor, spec: Any, fmt: str, lang: str = "zh-CN", filters: Filters | None = None
) -> bytes:
    with transaction(engine) as s:
        return rio.export(s, actor, spec, filters, fmt, lang)


def table(data: bytes, fmt: str) -> list[list[str]]:
    """Every row of an exported file, header included, as text."""
    headers, rows = rio.read_table(data, f"x.{fmt}")

    def text(v: Any) -> str:
        return "" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v)

    return [headers] + [[text(v) for v in r] + [""] * (len(headers) - len(r)) for r in rows]


def he_values(engine: Engine) -> list[tuple[Any, ...]]:
    keys = [f.key for f in HE.fields if f.type != "images"]  # photos live in attachments, not a column
    with Session(engine) as s:
        rows = s.execute(select(*(getattr(HeActivity, k) for k in keys)).where(HeActivity.deleted_at.is_(None)))
        return sorted((tuple(r) for r in rows), key=repr)


# --------------------------------------------------------------------------- reading files


@pytest.mark.parametrize(
    "encoding, style",
    [
        ("utf-8", "zh"),
        ("utf-8-sig", "en"),
        ("gbk", "zh"),
        ("gb18030", "alias"),
        ("xlsx", "key"),
        ("xlsx", "zh"),
    ],
)
def test_imports_csv_in_every_encoding_and_xlsx_with_any_header_spelling(engine, tree, encoding, style):
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    headers = HEADERS[style]
    if encoding == "xlsx":
        data, name = xlsx_bytes(headers, [[*r[:1], dt.datetime(2026, 3, 24), *r[2:]] for r in GOOD]), "活动.xlsx"
    else:
        data, name = csv_bytes(headers, GOOD, encoding), "活动.csv"
    preview = check(engine, staff, HE, data, name)
    assert preview.ok, preview.errors
    assert (preview.to_create, preview.to_update) == (2, 0)
    assert preview.mapping == dict(zip(headers, HE_KEYS))
    assert count(engine) == 0  # checking writes nothing
    assert import_file(engine, staff, HE, data, name) == (2, 0)
    with Session(engine) as s:
        lecture = s.scalar(select(HeActivity).where(HeActivity.activity_type == "lecture"))
        assert (lecture.org_unit_id, lecture.activity_date, lecture.title, lecture.participants) == (
            tree["t1"],
            dt.date(2026, 3, 24),
            "结核病防治知识讲座",
            56,
        )
        day = s.scalar(select(HeActivity).where(HeActivity.activity_type == "consultation"))
        assert (day.org_unit_id, day.participants) == (tree["t1v1"], None)


def test_read_table_separators_blank_rows_and_unreadable_files(monkeypatch):
    for delimiter in ("\t", ";"):
        headers, rows = rio.read_table(csv_bytes(["code", "名称"], [["a", "甲"]], delimiter=delimiter), "x.csv")
        assert (headers, rows) == (["code", "名称"], [["a", "甲"]])
    data = "\n编码,名称\n\na,甲\n , \nb,乙\n".encode("utf-8-sig")
    assert rio.read_table(data, "x.csv") == (["编码", "名称"], [["a", "甲"], ["b", "乙"]])
    assert rio.read_table("编码\r\na\r\n".encode("utf-16"), "x.txt") == (["编码"], [["a"]])
    for data, name, key in [
        (b"", "x.csv", "io.empty_file"),
        (b" \n \n", "x.csv", "io.empty_file"),
        ("编码\n".encode(), "x.csv", "io.no_rows"),
        (b"\xff\xfe\x00\x81\xff" * 3, "x.csv", "io.bad_encoding"),
        (b"\xd0\xcf\x11\xe0rest", "x.xls", "io.xls_unsupported"),
        (b"PK\x03\x04broken", "x.xlsx", "io.bad_xlsx"),
        (b"a,b\n1,2\n", "x.pdf", "io.unsupported_type"),
    ]:
        with pytest.raises(rio.ImportFileError) as info:
            rio.read_table(data, name)
        assert info.value.key == key, name
    monkeypatch.setenv("PORTAL_MAX_IMPORT_ROWS", "3")
    with pytest.raises(rio.ImportFileError) as info:
        rio.read_table(csv_bytes(["a"], [["1"]] * 4), "x.csv")
    assert info.value.key == "io.too_many_rows" and "3" in info.value.message("zh-CN")


# --------------------------------------------------------------------------- bad files


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_written(engine, tree):
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    before = (count(engine), count(engine, AuditEntry))
    rows = [
        ["t1", "2026-03-24", "健康讲座", "好的讲座", "30"],  # row 2: fine
        ["t1", "2026-02-30", "健康讲座", "日期不对", "30"],  # row 3: bad date
        ["t1", "2026-03-24", "跳舞", "形式不对", "30"],  # row 4: unknown type
        ["", "", "", "", ""],  # row 5: blank, skipped
        ["t1v1", "2026-03-24", "资料发放", "", "5"],  # row 6: missing title
        ["t2", "2026-03-24", "资料发放", "别的乡镇", "5"],  # row 7: out of scope
    ]
    preview = check(engine, staff, HE, csv_bytes(HEADERS["zh"], rows))
    assert not preview.ok
    found = [(e.row, e.column) for e in preview.errors]
    assert found == [(3, "活动日期"), (4, "活动形式"), (6, "活动主题"), (7, "开展单位")]
    messages = {e.row: e.message for e in preview.errors}
    assert "2026-02-30" in messages[3] and "跳舞" in messages[4]
    assert "必填" in messages[6] and "t2" in messages[7]
    assert preview.to_create == 1 and preview.row_numbers == [2, 3, 4, 6, 7]
    with transaction(engine) as s, pytest.raises(PortalError) as info:
        rio.apply_import(s, staff, HE, preview)
    assert info.value.key == "io.has_errors"
    assert (count(engine), count(engine, AuditEntry)) == before
    english = check(engine, staff, HE, csv_bytes(HEADERS["en"], rows), lang="en")
    assert [(e.row, e.column) for e in english.errors] == [
        (3, "Date"),
        (4, "Activity type"),
        (6, "Title"),
        (7, "Org unit"),
    ]
    assert "Required" in english.errors[2].message or "required" in english.errors[2].message


def test_unknown_and_missing_columns_name_the_column(engine, tree):
    headers = ["开展单位", "活动日期", "活动形式", "颜色", "受教育人数", ""]
    rows = [["t1", "2026-03-24", "健康讲座", "红", "30", ""], ["t1", "2026-03-25", "健康讲座", "蓝", "30", "多余"]]
    preview = check(engine, SYSTEM, HE, csv_bytes(headers, rows))
    header_errors = [(e.row, e.column) for e in preview.errors]
    assert (1, "颜色") in header_errors and (1, "活动主题") in header_errors
    assert (1, "F") in header_errors  # data under a blank header
    unknown = next(e for e in preview.errors if e.column == "颜色")
    assert "颜色" in unknown.message and "活动主题" in unknown.message  # lists what is known
    missing = next(e for e in preview.errors if e.column == "活动主题")
    assert "活动主题" in missing.message
    # the missing column is reported once, not once per row
    assert len(preview.errors) == 3
    twice = check(
        engine, SYSTEM, HE, csv_bytes(["主题", "title", *HEADERS["zh"][:3]], [["a", "b", "t1", "2026-03-24", "其他"]])
    )
    assert [(e.row, e.column) for e in twice.errors] == [(1, "title")]


def test_duplicate_natural_keys_in_one_file(engine, tree):
    rows = [
        ["t3", "三号镇", "township_hc", "county"],
        ["t4", "四号镇", "乡镇卫生院", "county"],
        [" t3 ", "又一个三号", "乡镇卫生院", "county"],
    ]
    preview = check(engine, SYSTEM, OU, csv_bytes(["编码", "名称", "类型", "上级机构"], rows))
    assert [(e.row, e.column) for e in preview.errors] == [(4, "编码")]
    assert "第 2 行" in preview.errors[0].message or "2" in preview.errors[0].message
    assert count(engine, OrgUnit) == len(tree)


def test_existing_key_without_upsert_is_a_row_error(engine, tree):
    preview = check(
        engine,
        SYSTEM,
        OU,
        csv_bytes(["code", "name_zh", "type", "parent_id"], [["t1", "改名", "township_hc", "county"]]),
    )
    assert [(e.row, e.column) for e in preview.errors] == [(2, "code")]
    assert "t1" in preview.errors[0].message


# --------------------------------------------------------------------------- upsert


def test_upsert_org_units_by_code(engine, tree):
    rows = [
        ["t1", "东关镇中心卫生院", "Dongguan", "乡镇卫生院", "county", "是"],
        ["t2v1", "西河村卫生室（新）", "t2v1", "村卫生室", "t2", "否"],
        ["t3", "南山镇卫生院", "Nanshan", "乡镇卫生院", "county", ""],
        ["t3v1", "南山村卫生室", "", "村卫生室", "t3", ""],  # parent created two rows up
        ["school", "示范县第一中学", "school", "学校", "county", "是"],
    ]  # unchanged
    headers = ["编码", "中文名称", "英文名称", "类型", "上级机构", "启用"]
    preview = check(engine, SYSTEM, OU, csv_bytes(headers, rows), upsert=True)
    assert preview.ok, preview.errors
    assert (preview.to_create, preview.to_update, preview.unchanged) == (2, 2, 1)
    assert count(engine, OrgUnit) == len(tree)
    audit_before = count(engine, AuditEntry)
    assert import_file(engine, SYSTEM, OU, csv_bytes(headers, rows), upsert=True) == (2, 2)
    with Session(engine) as s:
        units = {u.code: u for u in s.scalars(select(OrgUnit))}
    assert (units["t1"].name_zh, units["t1"].name_en) == ("东关镇中心卫生院", "Dongguan")
    assert units["t2v1"].active is False and units["t2v1"].parent_id == tree["t2"]
    assert units["t3"].parent_id == tree["county"] and units["t3"].active is True
    assert units["t3v1"].parent_id == units["t3"].id and units["t3v1"].name_en == ""
    assert units["t3v1"].path == f"{units['t3'].path}{units['t3v1'].id}/"
    assert count(engine, AuditEntry) == audit_before + 4  # the unchanged row is not audited


def test_upsert_cannot_move_a_unit(engine, tree):
    rows = [["t1v1", "东关村卫生室", "村卫生室", "t2"]]
    preview = check(engine, SYSTEM, OU, csv_bytes(["编码", "中文名称", "类型", "上级机构"], rows), upsert=True)
    assert [(e.row, e.column) for e in preview.errors] == [(2, "上级机构")]


class TitledActivities(HE):
    """Activities identified by their title: an upsert whose match may lie out of scope."""

    slug = "he_titled"
    natural_key = ("title",)


def test_upsert_never_updates_a_record_outside_the_actors_scope(engine, tree):
    with transaction(engine) as s:
        rs.create(
            s,
            SYSTEM,
            HE,
            {"org_unit_id": "t2", "activity_date": "2026-03-01", "activity_type": "board", "title": "西河宣传栏"},
        )
        rs.create(
            s,
            SYSTEM,
            HE,
            {"org_unit_id": "t1", "activity_date": "2026-03-01", "activity_type": "board", "title": "东关宣传栏"},
        )
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    rows = [["t1", "2026-03-02", "宣传栏更换", "西河宣传栏"], ["t1", "2026-03-02", "宣传栏更换", "东关宣传栏"]]
    data = csv_bytes(HEADERS["zh"][:4], rows)
    preview = check(engine, staff, TitledActivities, data, upsert=True)
    assert [(e.row, e.column) for e in preview.errors] == [(2, "活动主题")]
    assert "西河宣传栏" in preview.errors[0].message
    assert preview.to_update == 1
    with Session(engine) as s:
        assert s.scalar(select(HeActivity.activity_date).where(HeActivity.title == "西河宣传栏")) == dt.date(2026, 3, 1)
    with pytest.raises(PortalError):  # a spec without a natural key cannot upsert
        check(engine, staff, HE, data, upsert=True)


def test_a_township_user_cannot_import_rows_for_another_township(engine, tree):
    staff = make_user(engine, "t2staff", "staff", tree["t2"])
    rows = [["t2v1", "2026-03-24", "资料发放", "本乡镇", "5"], ["t1v1", "2026-03-24", "资料发放", "别的乡镇", "5"]]
    preview = check(engine, staff, HE, csv_bytes(HEADERS["zh"], rows))
    assert [(e.row, e.column) for e in preview.errors] == [(3, "开展单位")]
    assert count(engine) == 0


def test_apply_is_all_or_nothing_when_the_data_changed_after_the_check(engine, tree):
    data = csv_bytes(
        ["code", "name_zh", "type", "parent_id"],
        [["t5", "五号镇", "township_hc", "county"], ["t6", "六号镇", "township_hc", "county"]],
    )
    preview = check(engine, SYSTEM, OU, data)
    assert preview.ok
    with transaction(engine) as s:  # someone adds t6 in the meantime
        rs.create(s, SYSTEM, OU, {"code": "t6", "name_zh": "抢先", "type": "other", "parent_id": "county"})
    audit_before = count(engine, AuditEntry)
    with pytest.raises(rio.ImportRowError) as info, transaction(engine) as s:
        rio.apply_import(s, SYSTEM, OU, preview)
    assert "3" in info.value.message("zh-CN") and "t6" in info.value.message("zh-CN")
    with Session(engine) as s:
        assert s.scalar(select(OrgUnit).where(OrgUnit.code == "t5")) is None
    assert count(engine, AuditEntry) == audit_before


# --------------------------------------------------------------------------- round trips

TRICKY = ["=1+1", "+86 139 0000 0000", "-x", "@SUM(A1:A2)", "'=already quoted", "it's fine"]


def seed_activities(engine: Engine) -> None:
    with transaction(engine) as s:
        for i, text in enumerate(TRICKY):
            rs.create(
                s,
                SYSTEM,
                HE,
                {
                    "org_unit_id": ["t1", "t1v1", "t2", "t2v1", "school", "class1"][i],
                    "activity_date": dt.date(2026, 3, 1 + i),
                    "activity_type": ["lecture", "board"][i % 2],
                    "title": text,
                    "venue": "村委会, 二楼" if i % 2 else None,
                    "speaker": "-张医生",
                    "participants": 10 + i,
                    "consultations": 0 if i == 0 else None,
                    "materials_given": 1_000_000 if i == 1 else None,
                    "notes": "第一行\n第二行" if i == 2 else None,
                },
            )


@pytest.mark.parametrize("fmt, lang", [("csv", "zh-CN"), ("xlsx", "en")])
def test_he_activities_export_imports_back_to_the_same_rows(engine, tree, fmt, lang):
    seed_activities(engine)
    original = he_values(engine)
    data = export(engine, SYSTEM, HE, fmt, lang)
    assert import_file(engine, SYSTEM, HE, data, f"export.{fmt}") == (len(TRICKY), 0)
    assert he_values(engine) == sorted(original * 2, key=repr)


def test_export_neutralises_formulas_and_import_restores_them(engine, tree):
    seed_activities(engine)
    data = export(engine, SYSTEM, HE, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    text = data.decode("utf-8-sig")
    for guarded in ("'=1+1", "'+86 139", "'-x", "'@SUM(A1:A2)", "''=already quoted", "'-张医生"):
        assert guarded in text
    assert "\n=1+1" not in text and ",=1+1" not in text and ",+86" not in text
    assert ",it's fine," in text
    book = openpyxl.load_workbook(io.BytesIO(export(engine, SYSTEM, HE, "xlsx")))
    sheet = book.active
    titles = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert set(titles) == {"'=1+1", "'+86 139 0000 0000", "'-x", "'@SUM(A1:A2)", "''=already quoted", "it's fine"}
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula cells
    assert all(c.font.b for c in sheet[1])  # bold header
    numbers = [row[7] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(n, int) for n in numbers)  # numbers stay numbers
    preview = check(engine, SYSTEM, HE, data)
    assert sorted(r["title"] for r in preview.rows) == sorted(TRICKY)


@pytest.mark.parametrize("fmt, lang", [("csv", "zh-CN"), ("xlsx", "en")])
def test_org_units_export_imports_back_as_the_same_tree(engine, tree, fmt, lang):
    with transaction(engine) as s:
        rs.update(s, SYSTEM, OU, tree["t2v1"], {"active": False}, None)
    data = export(engine, SYSTEM, OU, fmt, lang)
    # Unchanged, the export is a no-op upsert.
    preview = check(engine, SYSTEM, OU, data, f"units.{fmt}", upsert=True)
    assert preview.ok and (preview.to_create, preview.to_update, preview.unchanged) == (0, 0, len(tree))
    # With every code renamed, it builds a copy of the tree (parents before children).
    renamed = rename_codes(data, fmt)
    assert import_file(engine, SYSTEM, OU, renamed, f"units.{fmt}") == (len(tree), 0)
    with Session(engine) as s:
        units = {u.code: u for u in s.scalars(select(OrgUnit))}
        for code in tree:
            old, new = units[code], units["n_" + code]
            assert (new.name_zh, new.name_en, new.type, new.active) == (old.name_zh, old.name_en, old.type, old.active)
            parent = units["n_" + old.parent.code] if old.parent else None
            assert new.parent_id == (parent.id if parent else None)


def rename_codes(data: bytes, fmt: str) -> bytes:
    """The export with every unit code (and parent code) prefixed by n_."""

    def rename(value: Any) -> Any:
        return "n_" + value if isinstance(value, str) and value else value

    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        return csv_bytes(rows[0], [[rename(r[0]), *r[1:4], rename(r[4]), *r[5:]] for r in rows[1:]], "utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(data))
    for row in book.active.iter_rows(min_row=2):
        row[0].value, row[4].value = rename(row[0].value), rename(row[4].value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- export rules


def test_users_export_never_contains_a_password_or_hash(engine, tree):
    make_user(engine, "wangwu", "staff", tree["t1"], password="Very-Secret-42")
    rows = [["zhaoliu", "赵六", "录入员", "t1v1", "Another-Secret-7"]]
    data = csv_bytes(["用户名", "姓名", "角色", "所属机构", "初始密码"], rows)
    assert import_file(engine, SYSTEM, US, data) == (1, 0)
    with Session(engine) as s:
        assert auth.authenticate(s, "zhaoliu", "Another-Secret-7").reason == "ok"
        hashes = list(s.scalars(select(User.password_hash)))
    for fmt in ("csv", "xlsx"):
        exported = export(engine, SYSTEM, US, fmt)
        cells = table(exported, fmt)
        flat = "\n".join(",".join(r) for r in cells)
        assert "wangwu" in flat and "zhaoliu" in flat and "t1v1" in flat
        for secret in ("Very-Secret-42", "Another-Secret-7", "$2b$", *hashes):
            assert secret.encode() not in exported and secret not in flat
        assert "初始密码" not in cells[0] and "password" not in flat.lower()
    upsert = check(engine, SYSTEM, US, export(engine, SYSTEM, US, "csv"), upsert=True)
    assert upsert.ok and upsert.unchanged == 2


def test_export_respects_scope_and_filters(engine, tree):
    seed_activities(engine)
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    mine = table(export(engine, staff, HE, "csv"), "csv")
    assert sorted(r[0] for r in mine[1:]) == ["t1", "t1v1"]
    lectures = table(export(engine, SYSTEM, HE, "csv", filters=Filters(values={"activity_type": ["lecture"]})), "csv")
    assert {r[2] for r in lectures[1:]} == {"健康讲座"} and len(lectures) == 4
    english = table(export(engine, SYSTEM, HE, "csv", "en", Filters(values={"org_unit_id": tree["school"]})), "csv")
    assert english[0][:3] == ["Org unit", "Date", "Activity type"]
    assert sorted(r[0] for r in english[1:]) == ["class1", "school"]
    assert {r[2] for r in english[1:]} == {"Lecture", "Bulletin-board update"}
    in_period = table(export(engine, SYSTEM, HE, "csv", filters=Filters(search="+86")), "csv")
    assert [r[3] for r in in_period[1:]] == ["'+86 139 0000 0000"]
    subtree = table(export(engine, SYSTEM, OU, "csv", filters=Filters(values={"id": tree["t1"]})), "csv")
    assert [r[0] for r in subtree[1:]] == ["t1", "t1v1"]
    assert subtree[1][5] == "是"
    head = make_user(engine, "t2head", "head", tree["t2"])
    assert [r[0] for r in table(export(engine, head, OU, "csv"), "csv")[1:]] == ["t2", "t2v1"]


def test_permissions(engine, tree):
    viewer = make_user(engine, "viewer1", "viewer", tree["t1"])
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    data = csv_bytes(HEADERS["zh"], GOOD)
    with pytest.raises(PermissionDenied):
        check(engine, viewer, HE, data)
    assert export(engine, viewer, HE, "csv").startswith(b"\xef\xbb\xbf")  # viewers may export
    with pytest.raises(PermissionDenied):
        export(engine, staff, US, "csv")
    with pytest.raises(PermissionDenied):
        check(engine, staff, OU, csv_bytes(["code"], [["x"]]))


# --------------------------------------------------------------------------- reports, templates


def test_error_report_lists_every_row_with_its_errors_and_imports_once_fixed(engine, tree):
    rows = [["t1", "2026-03-24", "健康讲座", "=好的", "30"], ["t1", "昨天", "健康讲座", "坏的", "30"]]
    preview = check(engine, SYSTEM, HE, csv_bytes(HEADERS["zh"], rows))
    report = rio.error_report(preview, "zh-CN")
    assert report.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert lines[0] == [*HEADERS["zh"], "错误"]
    assert lines[1] == ["t1", "2026-03-24", "健康讲座", "'=好的", "30", ""]
    assert lines[2][:5] == rows[1] and "活动日期" in lines[2][5] and "昨天" in lines[2][5]
    english = rio.error_report(preview, "en").decode("utf-8-sig")
    assert english.splitlines()[0].endswith(",Errors")
    lines[2][1] = "2026-03-25"  # the user fixes the cell and uploads the report as it is
    fixed = csv_bytes(lines[0], list(lines[1:]), "utf-8-sig")
    assert import_file(engine, SYSTEM, HE, fixed) == (2, 0)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(HeActivity.title == "=好的")) == 1
    bad_header = check(engine, SYSTEM, HE, csv_bytes([*HEADERS["zh"], "颜色"], [[*rows[0], "红"]]))
    header_line = rio.error_report(bad_header, "zh-CN").decode("utf-8-sig").splitlines()[0]
    assert "颜色" in header_line


def test_templates_have_the_importable_headers(engine, tree):
    he = rio.template(HE, "csv", "zh-CN")
    assert he.decode("utf-8-sig").strip() == ",".join(f.zh for f in HE.fields if f.type != "images")
    book = openpyxl.load_workbook(io.BytesIO(rio.template(US, "xlsx", "en")))
    row = [c.value for c in book.active[1]]
    assert row == ["Username", "Name", "Role", "Org unit", "Language", "Active", "Initial password"]
    assert book.active.max_row == 1 and book.active["A1"].font.b
    filled = rio.template(OU, "csv", "zh-CN").decode("utf-8-sig").strip() + "\nt9,九号镇,,乡镇卫生院,county,\n"
    assert import_file(engine, SYSTEM, OU, filled.encode()) == (1, 0)


def test_the_excel_template_guides_with_an_example_and_the_user_s_own_unit_names(engine, tree):
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    with transaction(engine) as s:
        allowed = rio.allowed_values(s, staff, HE, "zh-CN")
    assert allowed["org_unit_id"] == ["东关镇卫生院", "东关村卫生室"]  # in scope only, as shown on screen
    book = openpyxl.load_workbook(io.BytesIO(rio.template(HE, "xlsx", "zh-CN", allowed)))
    data, guide = book.worksheets
    assert data.max_row == 1  # the sheet an import reads holds only the headers
    rows = [[c.value for c in r] for r in guide.iter_rows()]
    headers = [f.zh for f in HE.writable_fields(creating=True)]
    assert rows[1][: len(headers)] == headers
    example = dict(zip(headers, rows[2]))
    assert example[HE.field("org_unit_id").zh] == "东关镇卫生院"
    assert example[HE.field("activity_type").zh] == HE.field("activity_type").choices[0].zh
    allowed_by_field = {r[0]: r for r in rows[5:]}
    assert "西河镇卫生院" not in str(allowed_by_field[HE.field("org_unit_id").zh][3])
    assert "YYYY" not in str(rows) and "2026-10-15" in str(allowed_by_field[HE.field("activity_date").zh][1])
    # the example row, pasted into the data sheet, imports
    example_csv = csv_bytes(headers, [[str(v) if v is not None else "" for v in rows[2][: len(headers)]]])
    assert import_file(engine, staff, HE, example_csv) == (1, 0)


def test_a_unit_that_does_not_exist_and_one_outside_the_user_s_area_get_different_messages(engine, tree):
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    rows = [
        ["西河镇卫生院", "2026-03-24", "其他", "a", ""],  # exists, another township
        ["不存在卫生院", "2026-03-24", "其他", "b", ""],
        ["t2", "2026-03-24", "其他", "c", ""],  # by code, another township
        ["东关村卫生室", "2026-03-24", "其他", "d", ""],  # mine: fine
    ]
    preview = check(engine, staff, HE, csv_bytes(HEADERS["zh"], rows))
    keys = {e.row: e.message for e in preview.errors}
    assert "不在您的管理范围内" in keys[2] and "不在您的管理范围内" in keys[4]
    assert "不存在" in keys[3] and "管理范围" not in keys[3]
    assert 5 not in keys


def test_progress_is_reported(engine, tree, monkeypatch):
    monkeypatch.setattr(rio, "PROGRESS_EVERY", 2)
    seen: list[float] = []
    rows = [["t1", f"2026-03-{d:02d}", "其他", f"活动{d}", ""] for d in range(1, 6)]
    with transaction(engine) as s:
        preview = rio.check_import(s, SYSTEM, HE, csv_bytes(HEADERS["zh"], rows), "p.csv", progress=seen.append)
        assert seen == [0.4, 0.8, 1.0]
        seen.clear()
        assert rio.apply_import(s, SYSTEM, HE, preview, progress=seen.append) == (5, 0)
        assert seen == [0.4, 0.8, 1.0]
