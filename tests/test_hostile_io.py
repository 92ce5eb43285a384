"""Hostile files and values on the import and export path (issue 8): workbooks that expand
far beyond their size, malformed CSV, control characters, far dates and months, the
existence oracle of upserts, duplicate rows, and every resource limit named in the
message a user gets. Each test here failed before its fix."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import transaction
from db.models import HeActivity
from portal import config
from portal.i18n import t
from portal.org import users
from portal.org.scope import SYSTEM, Actor
from portal.programmes.education.specs import HeActivitySpec as HE
from portal.records import io as rio
from tests.conftest import make_user

HEADERS = ["开展单位", "活动日期", "活动形式", "活动主题", "受教育人数"]


@pytest.fixture(autouse=True)
def fast_hashing() -> Iterator[None]:
    token = users._HASH_ROUNDS.set(4)
    yield
    users._HASH_ROUNDS.reset(token)


def xlsx_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_sheet(data: bytes, sheet_xml: bytes) -> bytes:
    """The workbook with its first sheet's XML replaced (what a crafted file does)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            target.writestr(info.filename, body, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def sheet(rows_xml: str, dimension: str = "A1:E2") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>'
    ).encode()


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


HEADER_ROW = '<row r="1">' + "".join(inline(f"{c}1", h) for c, h in zip("ABCDE", HEADERS)) + "</row>"


def good_row(n: int) -> str:
    cells = ["t1", "2026-03-24", "健康讲座", f"讲座{n}", "12"]
    return f'<row r="{n}">' + "".join(inline(f"{c}{n}", v) for c, v in zip("ABCDE", cells)) + "</row>"


def count(engine: Engine, model: type = HeActivity) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def check(engine: Engine, actor: Actor, data: bytes, name: str = "f.xlsx", spec: Any = HE, **kw: Any) -> Any:
    with transaction(engine) as s:
        return rio.check_import(s, actor, spec, data, name, **kw)


@pytest.fixture
def staff(engine: Engine, tree: dict[str, int]) -> Actor:
    return make_user(engine, "staff1", "staff", tree["t1"])


# --------------------------------------------------------------------------- 1. workbooks


def test_a_zip_bomb_is_refused_before_parsing_and_the_limit_is_named(engine, staff):
    # A sheet of spaces: 30 MB that deflates to about 30 kB, over the ratio limit.
    bomb = with_sheet(
        xlsx_bytes(HEADERS, []), sheet(HEADER_ROW + '<row r="2">' + inline("D2", " " * 30_000_000) + "</row>")
    )
    assert len(bomb) < 200_000
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, bomb)
    assert info.value.key == "io.xlsx_ratio"
    limits = config.limits()
    assert str(limits.xlsx_ratio) in info.value.message("zh-CN")
    assert str(limits.xlsx_ratio) in info.value.message("en")
    assert count(engine) == 0


def test_the_unpacked_size_of_a_workbook_is_bounded(engine, staff, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_XLSX_UNPACKED_MB", "1")
    rows = "".join(good_row(n) for n in range(2, 4000))  # about 2 MB of ordinary XML
    data = with_sheet(xlsx_bytes(HEADERS, []), sheet(HEADER_ROW + rows, "A1:E3999"))
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, data)
    assert info.value.key == "io.xlsx_unpacked"
    assert "1 MB" in info.value.message("zh-CN") and "1 MB" in info.value.message("en")


def test_a_sheet_claiming_the_whole_grid_reads_only_what_is_there(engine, staff):
    # The dimension says XFD1048576; openpyxl would pad every row to 16,384 cells.
    data = with_sheet(xlsx_bytes(HEADERS, []), sheet(HEADER_ROW + good_row(2), "A1:XFD1048576"))
    preview = check(engine, staff, data)
    assert preview.ok, preview.errors
    assert len(preview.rows) == 1
    assert max(len(c) for c in preview.cells) <= config.limits().import_columns


def test_cells_far_to_the_right_are_refused_naming_the_column_limit(engine, staff):
    wide = '<row r="2">' + inline("D2", "x") + inline("ZZ2", "far") + "</row>"
    data = with_sheet(xlsx_bytes(HEADERS, []), sheet(HEADER_ROW + wide, "A1:ZZ2"))
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, data)
    assert info.value.key == "io.too_many_columns"
    assert str(config.limits().import_columns) in info.value.message("zh-CN")


def test_rows_times_columns_read_is_bounded(engine, staff, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_IMPORT_CELLS", "100")
    rows = [["t1", "2026-03-24", "健康讲座", f"讲座{n}", 5] for n in range(40)]
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, xlsx_bytes(HEADERS, rows))
    assert info.value.key == "io.too_many_cells"
    assert "100" in info.value.message("en")


def test_far_blank_rows_count_towards_the_cells_read(engine, staff, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_IMPORT_CELLS", "10000")
    far = good_row(2) + good_row(900_000)  # openpyxl yields every blank row in between
    data = with_sheet(xlsx_bytes(HEADERS, []), sheet(HEADER_ROW + far, "A1:E900000"))
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, data)
    assert info.value.key == "io.too_many_cells"


def test_rows_per_import_come_from_the_limits(engine, staff, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_IMPORT_ROWS", "3")
    rows = [["t1", "2026-03-24", "健康讲座", f"讲座{n}", 5] for n in range(4)]
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, xlsx_bytes(HEADERS, rows))
    assert info.value.key == "io.too_many_rows"
    assert "3" in info.value.message("zh-CN")


def test_the_upload_size_is_checked_by_the_import_itself(engine, staff, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_MB", "0.01")
    rows = [["t1", "2026-03-24", "健康讲座", f"讲座{n}" * 50, 5] for n in range(400)]
    data = xlsx_bytes(HEADERS, rows)
    assert len(data) > 10_485
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, data)
    assert info.value.key == "io.too_big"
    assert "0.01 MB" in info.value.message("zh-CN")


def test_an_import_that_runs_too_long_stops_and_writes_nothing(engine, staff, monkeypatch):
    rows = [["t1", "2026-03-24", "健康讲座", f"讲座{n}", 5] for n in range(30)]
    data = xlsx_bytes(HEADERS, rows)
    preview = check(engine, staff, data)
    assert preview.ok
    monkeypatch.setenv("PORTAL_MAX_IMPORT_SECONDS", "0.000001")
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, data)
    assert info.value.key == "io.too_slow"
    with pytest.raises(rio.ImportFileError), transaction(engine) as s:
        rio.apply_import(s, staff, HE, preview)
    assert count(engine) == 0


def test_bad_limit_settings_are_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_IMPORT_ROWS", "many")
    with pytest.raises(config.ConfigError) as info:
        config.limits()
    assert info.value.key == "startup.bad_limit"
    assert "PORTAL_MAX_IMPORT_ROWS" in t(info.value.key, "en", **info.value.params)


def test_the_cli_refuses_a_bomb_with_the_same_message(engine, tree, tmp_path, monkeypatch, capsys):
    from portal.cli import main

    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    bomb = with_sheet(
        xlsx_bytes(HEADERS, []), sheet(HEADER_ROW + '<row r="2">' + inline("D2", " " * 5_000_000) + "</row>")
    )
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    assert main(["import", "he_activities", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert str(config.limits().xlsx_ratio) in err
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_MB", "0.001")
    assert main(["import", "he_activities", str(path)]) == 2
    assert "0.001 MB" in capsys.readouterr().err
    assert count(engine) == 0


# --------------------------------------------------------------------------- 14. CSV


def test_an_unclosed_quote_is_reported_as_a_malformed_file_at_its_line(engine, staff):
    data = ("开展单位,活动日期,活动形式,活动主题,受教育人数\n"
            "t1,2026-03-24,健康讲座,讲座,12\n"
            't1,2026-03-25,健康讲座,"未闭合的引号,12\n'
            "t1,2026-03-26,健康讲座,讲座,12\n").encode()  # fmt: skip
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, data, "f.csv")
    assert info.value.key == "io.malformed_csv"
    assert info.value.params["line"] == 3
    assert "3" in info.value.message("zh-CN")
    assert count(engine) == 0


def test_an_over_long_csv_cell_is_named_not_a_parser_message(engine, staff):
    data = (f"开展单位,活动日期,活动形式,活动主题,受教育人数\nt1,2026-03-24,健康讲座,{'长' * 200_000},12\n").encode()
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, data, "f.csv")
    assert info.value.key in ("io.malformed_csv", "io.cell_too_long")
    assert "field larger than field limit" not in info.value.message("zh-CN")


def test_a_csv_row_with_too_many_cells_is_refused(engine, staff):
    data = (
        "开展单位,活动日期,活动形式,活动主题,受教育人数\nt1,2026-03-24,健康讲座,讲座,12" + ",x" * 5000 + "\n"
    ).encode()
    with pytest.raises(rio.ImportFileError) as info:
        check(engine, staff, data, "f.csv")
    assert info.value.key == "io.too_many_columns"


# --------------------------------------------------------------------------- 11. existence oracle


def test_out_of_scope_reads_the_same_whether_or_not_the_row_exists(engine, tree):
    from portal.metrics import library as indicator_library
    from portal.metrics import targets as tg

    with transaction(engine) as s:
        indicator_library.ensure_builtin(s)
        tg.assign(s, SYSTEM, "HE-01", "2026", {tree["t2"]: 4})  # exists in another township
    t1head = make_user(engine, "t1head", "head", tree["t1"])
    data = "指标编码,机构,期间,目标值\nHE-01,t2,2026,9\nHE-01,t2,2025,9\n".encode()  # existing, then missing
    with transaction(engine) as s:
        preview = rio.check_import(s, t1head, tg.TargetSpec, data, "targets.csv", upsert=True)
    by_row = {e.row: (e.column, e.message.replace("2026", "Y").replace("2025", "Y")) for e in preview.errors}
    assert set(by_row) == {2, 3}
    assert by_row[2] == by_row[3], by_row
    assert "已存在" not in by_row[2][1]


# --------------------------------------------------------------------------- 12. duplicate rows


DUPLICATED = (
    "开展单位,活动日期,活动形式,活动主题,受教育人数\n"
    "t1,2026-03-24,健康讲座,讲座,12\n"
    "t1,2026-03-25,健康讲座,讲座,12\n"
    "t1,2026-03-24,健康讲座,讲座,12\n"
    " t1 ,2026-03-24,健康讲座,讲座 ,12\n"
).encode()


def test_identical_rows_in_a_file_are_named_in_the_preview(engine, staff):
    preview = check(engine, staff, DUPLICATED, "f.csv")
    assert preview.ok
    assert preview.duplicates == {4: 2, 5: 2}  # row -> the first row it repeats


def test_the_user_chooses_to_import_duplicates_or_skip_them(engine, staff):
    preview = check(engine, staff, DUPLICATED, "f.csv")
    with transaction(engine) as s:
        assert rio.apply_import(s, staff, HE, preview, skip_duplicates=True) == (2, 0)
    assert count(engine) == 2
    with transaction(engine) as s:
        assert rio.apply_import(s, staff, HE, preview) == (4, 0)  # all of them, when asked
    assert count(engine) == 6


def test_the_cli_warns_about_duplicates_and_can_skip_them(engine, tree, tmp_path, monkeypatch, capsys):
    from portal.cli import main

    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    path = tmp_path / "dup.csv"
    path.write_bytes(DUPLICATED)
    assert main(["import", "he_activities", str(path), "--skip-duplicates"]) == 0
    out = capsys.readouterr()
    assert "4" in out.err and "5" in out.err  # the rows named in the warning
    assert count(engine) == 2
