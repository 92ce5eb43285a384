"""Hostile values at the field level (issue 8): control characters (4), far dates and
months (8, 12), numbers past what a column holds, and the report builders over old rows
that already carry such text. Every path (service, import, CLI) gets the same refusal,
naming the field."""

from __future__ import annotations

import io
from collections.abc import Iterator

import docx
import openpyxl
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db.engine import transaction
from db.models import HeActivity, PlanItem
from portal.cli import main
from portal.errors import ValidationError
from portal.org import users
from portal.org.scope import Actor
from portal.programmes.education.specs import HeActivitySpec as HE
from portal.programmes.plans import reports
from portal.programmes.plans import specs as plans
from portal.records import io as rio
from portal.records import service as rs
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def fast_hashing() -> Iterator[None]:
    token = users._HASH_ROUNDS.set(4)
    yield
    users._HASH_ROUNDS.reset(token)


@pytest.fixture
def staff(engine: Engine, tree: dict[str, int]) -> Actor:
    return make_user(engine, "staff1", "staff", tree["t1"])


def refused(engine: Engine, actor: Actor, spec: type, raw: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        rs.create(s, actor, spec, raw)
    return [(e.field, e.key) for e in info.value.errors]


def import_errors(engine: Engine, actor: Actor, spec: type, data: bytes) -> list[tuple[int, str, str]]:
    with transaction(engine) as s:
        preview = rio.check_import(s, actor, spec, data, "f.csv")
    return [(e.row, e.column, e.message) for e in preview.errors]


def count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return s.query(model).count()


# --------------------------------------------------------------------------- 4. control characters


@pytest.mark.parametrize("char", ["\x0b", "\x00", "\x1b", "\x7f", "\ufffe"])
def test_control_characters_are_refused_naming_the_field(engine, tree, staff, char):
    raw = {"org_unit_id": tree["t1"], "month": "2026-10", "title": f"讲{char}座"}
    assert refused(engine, staff, plans.PlanItemSpec, raw) == [("title", "validation.control_char")]
    raw = {"org_unit_id": tree["t1"], "month": "2026-10", "title": "讲座", "description": f"一{char}二"}
    assert refused(engine, staff, plans.PlanItemSpec, raw) == [("description", "validation.control_char")]
    assert count(engine, PlanItem) == 0


def test_longtext_keeps_lines_and_tabs_and_text_refuses_them(engine, tree, staff):
    with transaction(engine) as s:
        item = rs.create(
            s,
            staff,
            plans.PlanItemSpec,
            {"org_unit_id": tree["t1"], "month": "2026-10", "title": "讲座", "description": "一\t二\r\n三\r四"},
        )
    assert item.description == "一\t二\n三\n四"  # Windows and old-Mac line ends read as one
    raw = {"org_unit_id": tree["t1"], "month": "2026-10", "title": "第一行\n第二行"}
    assert refused(engine, staff, plans.PlanItemSpec, raw) == [("title", "validation.control_char")]


def test_an_import_names_the_row_and_column_of_a_control_character(engine, tree, staff):
    data = "责任单位,月份,工作事项\nt1,2026-10,讲座\nt1,2026-10,坏\x0b标题\n".encode()
    errors = import_errors(engine, staff, plans.PlanItemSpec, data)
    assert [(row, column) for row, column, _ in errors] == [(3, "工作事项")]
    assert "U+000B" in errors[0][2]
    assert count(engine, PlanItem) == 0


def test_the_cli_refuses_a_control_character_with_exit_2(engine, tree, monkeypatch, capsys):
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    code = main(
        ["user", "add", "wangfang", "--name", "王\x01芳", "--role", "staff", "--unit", "t1", "--password", "x" * 9]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "--name" in err and "U+0001" in err and "Traceback" not in err


def _plant(engine: Engine, unit: int, actor: Actor) -> None:
    """A month of items, then the kind of text an older version let through, written
    straight into the table."""
    with transaction(engine) as s:
        item = rs.create(
            s,
            actor,
            plans.PlanItemSpec,
            {"org_unit_id": unit, "month": "2026-10", "title": "讲座", "status": "in_progress", "notes": "原因"},
        )
        rs.create(s, actor, plans.PlanItemSpec, {"org_unit_id": unit, "month": "2026-11", "title": "下月"})
        s.flush()
        bad = "坏\x0b标题\x01\x1f尾"
        for column in ("title", "notes", "owner_name", "target_unit"):
            s.execute(text(f"UPDATE plan_items SET {column} = :t"), {"t": bad})  # noqa: S608 - fixed names
        for column in ("name_zh", "name_en"):
            s.execute(text(f"UPDATE org_units SET {column} = :t WHERE id = :id"), {"t": bad, "id": unit})  # noqa: S608 - fixed names
        del item


@pytest.mark.parametrize("period", ["2026-10", "2026"])
@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_reports_build_from_old_rows_with_control_characters(engine, tree, staff, period, fmt):
    _plant(engine, tree["t1"], staff)
    with transaction(engine) as s:
        data = reports.build(s, staff, tree["t1"], period, fmt, "zh-CN")
    assert data
    if fmt == "docx":
        body = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        body += "\n".join(c.text for tb in docx.Document(io.BytesIO(data)).tables for r in tb.rows for c in r.cells)
    else:
        book = openpyxl.load_workbook(io.BytesIO(data))
        body = "\n".join(str(c) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r if c)
    assert "坏标题尾" in body


# --------------------------------------------------------------------------- 8. far months and dates


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12", "2101-01"])
def test_far_months_are_refused_naming_the_field(engine, tree, staff, month):
    raw = {"org_unit_id": tree["t1"], "month": month, "title": "讲座"}
    assert refused(engine, staff, plans.PlanItemSpec, raw) == [("month", "validation.period_window")]


def test_far_periods_of_targets_and_work_plans_are_refused(engine, tree, staff):
    head = make_user(engine, "head1", "head", tree["county"])
    raw = {"org_unit_id": tree["t1"], "period": "9999", "title": "计划"}
    assert refused(engine, head, plans.WorkPlanSpec, raw) == [("period", "validation.period_window")]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_far_dates_are_refused_by_the_form_and_the_import(engine, tree, staff, day):
    raw = {"org_unit_id": tree["t1"], "activity_date": day, "activity_type": "lecture", "title": "讲座"}
    assert refused(engine, staff, HE, raw) == [("activity_date", "validation.date_window")]
    data = f"开展单位,活动日期,活动形式,活动主题\nt1,{day},健康讲座,讲座\n".encode()
    errors = import_errors(engine, staff, HE, data)
    assert [(row, column) for row, column, _ in errors] == [(2, "活动日期")]
    assert "2000" in errors[0][2] and "2100" in errors[0][2]
    assert count(engine, HeActivity) == 0


def test_a_far_month_in_a_plan_item_import_is_a_row_error(engine, tree, staff):
    data = "责任单位,月份,工作事项\nt1,9999-12,讲座\n".encode()
    errors = import_errors(engine, staff, plans.PlanItemSpec, data)
    assert [(row, column) for row, column, _ in errors] == [(2, "月份")]


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "month", "--unit", "t1", "--period", "9999-12", "-o", "x.docx"],
        ["report", "month", "--unit", "t1", "--period", "0001-01", "-o", "x.docx"],
        ["report", "year", "--unit", "t1", "--period", "9999", "-o", "x.xlsx"],
    ],
)
def test_cli_reports_for_far_periods_exit_2_with_a_message(engine, tree, monkeypatch, capsys, tmp_path, argv):
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "2000" in err and "2100" in err


def test_cli_import_of_a_far_month_exits_2(engine, tree, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    path = tmp_path / "items.csv"
    path.write_text("责任单位,月份,工作事项\nt1,9999-12,讲座\n", encoding="utf-8")
    assert main(["import", "plan_items", str(path)]) == 2
    assert "月份" in capsys.readouterr().err


# --------------------------------------------------------------------------- numbers and lengths


def test_numbers_past_what_an_integer_column_holds_are_refused(engine, tree, staff):
    raw = {"org_unit_id": tree["t1"], "month": "2026-10", "title": "讲座", "progress_pct": 10**30}
    assert refused(engine, staff, plans.PlanItemSpec, raw) == [("progress_pct", "validation.max")]
    head = make_user(engine, "head1", "head", tree["county"])
    item = {"item_id": 10**12, "update_date": "2026-10-02", "note": "x"}
    assert refused(engine, head, plans.ProgressUpdateSpec, item) == [("item_id", "validation.max")]


def test_every_text_field_is_bounded_by_the_text_setting(engine, tree, staff, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_TEXT_CHARS", "50")
    raw = {"org_unit_id": tree["t1"], "activity_date": "2026-03-01", "activity_type": "consultation", "title": "义诊"}
    raw["notes"] = "长" * 51  # the field allows 2000; the setting caps every text field
    assert refused(engine, staff, HE, raw) == [("notes", "validation.too_long")]
