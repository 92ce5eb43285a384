"""Import and export for every record type, driven only by its RecordSpec (no Streamlit).

Import reads CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16) or XLSX, maps the file's
headers to fields (key, Chinese label, English label or alias), and checks every row
through portal.records.service.validate, the one validation path. Nothing is written
until apply_import, which saves every row through service.create / service.update in
the caller's transaction: one bad row leaves the database as it was.

Export writes the rows the actor may see, filtered like the table, as CSV (UTF-8 with a
BOM, so Excel shows Chinese) or XLSX, in a form that imports back to the same rows: org
units as their codes, choices and yes/no as labels, dates in ISO form. Text that a
spreadsheet would run as a formula is prefixed with an apostrophe, which import removes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import OrgUnit
from portal import clock
from portal.config import Limits, limits
from portal.errors import FieldError, PermissionDenied, PortalError, ValidationError
from portal.i18n import label, t
from portal.org.scope import Actor, org_filter
from portal.records import refs, service
from portal.records.fields import Field, printable
from portal.records.service import Filters, Spec

PROGRESS_EVERY = 500
EXPORT_CHUNK = 1000
FORMATS = ("csv", "xlsx")
BOM = "\ufeff"

# A cell starting with one of = + - @ is a formula to Excel and LibreOffice (CSV
# injection). Export puts an apostrophe in front; a value that already starts with
# apostrophes before such a character gets one more, so import can always strip exactly one.
_GUARDED = re.compile(r"^'*[=+\-@]")
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary Excel format (OLE2)
# A workbook has a few dozen parts; the ratio limit applies to parts big enough to matter.
_XLSX_MAX_PARTS = 10_000
_RATIO_FLOOR = 1024 * 1024

Progress = Callable[[float], object]  # told the share done so far; what it returns is ignored


class ImportFileError(PortalError):
    """The file cannot be read at all: wrong type, unknown encoding, empty, too long."""

    key = "io.unreadable"


class ImportRowError(PortalError):
    """A row failed while saving (the data changed since the check). Raised out of the
    caller's transaction, so nothing of the import is kept."""

    key = "io.row_failed"

    def __init__(self, row: int, problems: list[tuple[str, FieldError | PortalError]]) -> None:
        self.row = row
        self.problems = problems  # (column, error)
        super().__init__(self.key, row=row)

    def message(self, lang: str) -> str:
        text = "; ".join(f"{column}: {error.message(lang)}" for column, error in self.problems)
        return t(self.key, lang, row=self.row, message=text)


@dataclass
class RowError:
    """One problem, where the user sees it: row 1 is the header, data starts at row 2."""

    row: int
    column: str
    message: str


@dataclass
class ImportPreview:
    """What an import would do, and every problem found, before anything is written."""

    spec: Spec
    headers: list[str]
    mapping: dict[str, str]
    rows: list[dict[str, Any]]
    errors: list[RowError]
    to_create: int = 0
    to_update: int = 0
    upsert: bool = False
    unchanged: int = 0  # upsert rows identical to the stored record: skipped, not audited
    row_numbers: list[int] = field(default_factory=list)
    cells: list[list[Any]] = field(default_factory=list)  # the file's rows, as read
    header_row: int = 1
    # Rows identical to an earlier row of the file (row -> that first row): imported
    # unless apply_import is asked to skip them; the preview says so and lets the user pick.
    duplicates: dict[int, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def errors_by_row(self) -> dict[int, list[RowError]]:
        found: dict[int, list[RowError]] = {}
        for error in self.errors:
            found.setdefault(error.row, []).append(error)
        return found


# =========================================================================== reading


@dataclass
class _Table:
    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)


class Budget:
    """What one import may still spend (config.Limits): cells read and time. Shared by
    reading, checking and saving, so a slow step anywhere stops the import."""

    def __init__(self, bounds: Limits | None = None) -> None:
        self.limits = bounds or limits()
        self.deadline = time.monotonic() + self.limits.import_seconds
        self.cells = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise ImportFileError("io.too_slow", seconds=_number(self.limits.import_seconds))

    def row(self, width: int) -> None:
        """One row read, `width` cells wide as parsed (a blank row costs one)."""
        self.cells += max(width, 1)
        if self.cells > self.limits.import_cells:
            raise ImportFileError("io.too_many_cells", max=f"{self.limits.import_cells:,}")
        self.tick()


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def check_size(size: int, bounds: Limits | None = None) -> None:
    """Refuse a file over the upload limit before reading it (the CLI checks the file's
    size on disk; the pages check the uploaded bytes)."""
    bounds = bounds or limits()
    if size > bounds.upload_bytes:
        raise ImportFileError("io.too_big", mb=_number(bounds.upload_mb))


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[Any]]]:
    """Headers and the non-blank rows of a CSV or XLSX file."""
    table = _read(data, filename, Budget())
    return table.headers, [cells for _, cells in table.rows]


def _read(data: bytes, filename: str, budget: Budget) -> _Table:
    check_size(len(data), budget.limits)
    if not data or not data.strip():
        raise ImportFileError("io.empty_file")
    name = filename.lower()
    if data.startswith(_XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        numbered = _xlsx_rows(data, budget)
    elif data.startswith(_XLS_MAGIC) or name.endswith(".xls"):
        raise ImportFileError("io.xls_unsupported")
    elif name.endswith((".csv", ".txt", ".tsv")) or "." not in name:
        numbered = _csv_rows(_decode(data), budget)
    else:
        raise ImportFileError("io.unsupported_type", name=filename)
    return _table(numbered, budget.limits)


def _table(numbered: Iterable[tuple[int, list[Any]]], bounds: Limits) -> _Table:
    """The first non-blank row is the header; blank rows are skipped but keep counting,
    so row numbers match what the user sees in the spreadsheet."""
    header: tuple[int, list[Any]] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in numbered:
        if all(_blank(c) for c in cells):
            continue
        if len(cells) > bounds.import_columns:
            raise ImportFileError("io.too_many_columns", row=number, max=bounds.import_columns)
        if header is None:
            header = (number, cells)
            continue
        if len(rows) >= bounds.import_rows:
            raise ImportFileError("io.too_many_rows", max=f"{bounds.import_rows:,}")
        rows.append((number, cells))
    if header is None:
        raise ImportFileError("io.empty_file")
    if not rows:
        raise ImportFileError("io.no_rows")
    headers = ["" if c is None else str(c).strip() for c in header[1]]
    return _Table(headers, header[0], rows)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; GB18030, a superset of GBK, is what Excel on a
    Chinese Windows writes; UTF-16 is Excel's "Unicode text"."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # a binary file that happened to decode
            break
        return text
    raise ImportFileError("io.bad_encoding")


def _csv_rows(text: str, budget: Budget) -> Iterator[tuple[int, list[Any]]]:
    first_line = text.split("\n", 1)[0]
    # Cheaper and steadier than csv.Sniffer: the header line says which separator is used.
    delimiter = next((d for d in (",", "\t", ";") if d in first_line), ",")
    # strict: a quote left open reads to the end of the file otherwise, swallowing every
    # row after it into one cell (reported as a wrong value on some later row).
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    for number in itertools.count(1):
        start = reader.line_num + 1  # the line this record starts on
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            key = "io.cell_too_long" if "field limit" in str(exc) else "io.malformed_csv"
            raise ImportFileError(key, line=start, max=f"{csv.field_size_limit():,}") from None
        budget.row(len(cells))
        while cells and not cells[-1].strip():  # separators at the end of a line widen nothing
            cells.pop()
        yield number, list(cells)


def _xlsx_rows(data: bytes, budget: Budget) -> Iterator[tuple[int, list[Any]]]:
    _inspect_zip(data, budget.limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - a broken or encrypted file fails in many ways
        raise ImportFileError("io.bad_xlsx") from None
    try:
        sheet = workbook.worksheets[0]
        # The sheet's own <dimension> may claim A1:XFD1048576; openpyxl would pad every row
        # (and add every missing row) to it. Without it, a row is as wide as its last cell.
        sheet.reset_dimensions()
        for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
            budget.row(len(cells))
            values = [_xlsx_cell(c) for c in cells]
            while values and values[-1] is None:  # formatted but empty cells widen every row
                values.pop()
            yield number, values
    except ImportFileError:
        raise
    except Exception:  # noqa: BLE001 - a part that lies about its size or content
        raise ImportFileError("io.bad_xlsx") from None
    finally:
        workbook.close()


def _inspect_zip(data: bytes, bounds: Limits) -> None:
    """Refuse a workbook from its zip directory alone, before a byte is inflated: too many
    parts, too large unpacked, or a part that inflates more than any spreadsheet does
    (a zip bomb: a 1 MB file whose sheet is 1 GB of spaces). zipfile never inflates a
    part past the size its directory declares, so these sizes bound the parsing too."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError("io.bad_xlsx") from None
    if len(parts) > _XLSX_MAX_PARTS:
        raise ImportFileError("io.bad_xlsx")
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > _RATIO_FLOOR and part.file_size > bounds.xlsx_ratio * max(part.compress_size, 1):
            raise ImportFileError("io.xlsx_ratio", ratio=bounds.xlsx_ratio)
    if total > bounds.xlsx_unpacked_bytes:
        raise ImportFileError("io.xlsx_unpacked", mb=_number(bounds.xlsx_unpacked_mb))


def _xlsx_cell(value: Any) -> Any:
    # Excel keeps every number as a float and every date as a datetime: 1.0 would read
    # as the code "1.0", a midnight date as "2026-03-24 00:00:00".
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date()
    return value


def neutralise(value: str) -> str:
    """The text as a spreadsheet should store it: never runnable as a formula."""
    return "'" + value if _GUARDED.match(value) else value


def restore(value: str) -> str:
    """Undo neutralise() on a cell read back from a file."""
    return value[1:] if value.startswith("'") and _GUARDED.match(value[1:]) else value


# =========================================================================== headers


def _norm(text: str) -> str:
    # Full-width brackets and letters, case and spaces do not make another column.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def _error_headers() -> set[str]:
    return {_norm(t("io.error_column", lang)) for lang in ("zh-CN", "en")}


def _map_headers(spec: Spec, table: _Table, lang: str) -> tuple[dict[int, str], list[RowError]]:
    """Column index -> field key, and the header problems (unknown, blank, repeated)."""
    lookup: dict[str, Field] = {}
    for declared in spec.fields:
        for header in declared.headers():
            lookup.setdefault(_norm(header), declared)
    ignored = _error_headers()  # the error report's own column, when a fixed report is re-uploaded
    columns: dict[int, str] = {}
    first_column: dict[str, str] = {}
    errors: list[RowError] = []
    row = table.header_row
    width = max(len(table.headers), max((len(c) for _, c in table.rows), default=0))
    for index in range(width):
        header = table.headers[index] if index < len(table.headers) else ""
        f = lookup.get(_norm(header)) if header else None
        if f is None:
            if not header:
                if any(index < len(c) and not _blank(c[index]) for _, c in table.rows):
                    letter = get_column_letter(index + 1)
                    errors.append(RowError(row, letter, t("io.blank_header", lang, column=letter)))
            elif not _is_error_column(_norm(header), ignored):
                errors.append(
                    RowError(row, header, t("io.unknown_column", lang, column=header, known=_known_headers(spec, lang)))
                )
            continue
        if f.key in first_column:
            errors.append(
                RowError(row, header, t("io.duplicate_column", lang, column=header, other=first_column[f.key]))
            )
            continue
        first_column[f.key] = header
        if not f.readonly or f.computed is not None:  # read-only columns come with exports; they are not written back
            columns[index] = f.key
    return columns, errors


def _is_error_column(header: str, names: set[str]) -> bool:
    # error_report writes "错误" or "错误 — 表头：…" as that column's header
    return any(header == name or header.startswith(name + "—") for name in names)


def _known_headers(spec: Spec, lang: str) -> str:
    separator = ", " if lang == "en" else "、"
    return separator.join(f.label(lang) for f in spec.writable_fields(creating=True))


# =========================================================================== checking


@dataclass
class _Row:
    number: int
    raw: dict[str, Any]
    action: str = "create"  # create, update, unchanged or error
    existing: Any = None


def check_import(
    session: Session,
    actor: Actor,
    spec: Spec,
    data: bytes,
    filename: str,
    *,
    upsert: bool = False,
    lang: str = "zh-CN",
    progress: Progress | None = None,
) -> ImportPreview:
    """Read the file and check every row as apply_import would save it; write nothing.

    With upsert, a row whose natural key (e.g. an org unit's code) matches a live record
    in the actor's scope updates that record, and so does a row the type's identity rule
    finds (a person already in the register); otherwise every row creates a record.
    """
    _require_import(spec, actor, upsert)
    budget = Budget()
    table = _read(data, filename, budget)
    columns, errors = _map_headers(spec, table, lang)
    by_key = {key: table.headers[i] for i, key in columns.items()}
    missing = {
        f.key for f in spec.writable_fields(creating=True) if f.required and f.default is None and f.key not in by_key
    }
    rows = [_Row(number, _raw(cells, columns)) for number, cells in table.rows]
    ctx = _Context(session, actor, spec, lang, by_key, missing, upsert, errors, budget=budget)
    _check_rows(ctx, rows, progress)
    creates = sum(r.action == "create" for r in rows)
    if missing and any(r.existing is None for r in rows):  # some row would be created
        for key in sorted(missing, key=[f.key for f in spec.fields].index):
            label = spec.field(key).label(lang)
            errors.append(RowError(table.header_row, label, t("io.missing_column", lang, label=label)))
    errors.sort(key=lambda e: e.row)
    return ImportPreview(
        spec=spec,
        headers=table.headers,
        mapping={h: k for k, h in by_key.items()},
        rows=[r.raw for r in rows],
        errors=errors,
        to_create=creates,
        to_update=sum(r.action == "update" for r in rows),
        upsert=upsert,
        unchanged=sum(r.action == "unchanged" for r in rows),
        row_numbers=[r.number for r in rows],
        cells=[c for _, c in table.rows],
        header_row=table.header_row,
        duplicates=_duplicates(rows),
    )


def _duplicates(rows: list[_Row]) -> dict[int, int]:
    """Rows whose every imported cell equals an earlier row's (spaces around text and
    blank versus empty do not count as a difference)."""
    first: dict[tuple[tuple[str, str], ...], int] = {}
    found: dict[int, int] = {}
    for row in rows:
        key = tuple(sorted((k, "" if _blank(v) else str(v).strip()) for k, v in row.raw.items()))
        if key in first:
            found[row.number] = first[key]
        else:
            first[key] = row.number
    return found


def _require_import(spec: Spec, actor: Actor, upsert: bool) -> None:
    service.require(spec, actor, "import")
    service.require(spec, actor, "create")
    if upsert:
        if not spec.natural_key and not spec.identity:
            raise PortalError("io.upsert_unsupported", type=spec.slug)
        service.require(spec, actor, "edit")


def _raw(cells: list[Any], columns: dict[int, str]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for index, key in columns.items():
        value = cells[index] if index < len(cells) else None
        raw[key] = restore(value) if isinstance(value, str) else value
    return raw


@dataclass
class _Context:
    session: Session
    actor: Actor
    spec: Spec
    lang: str
    by_key: dict[str, str]  # field key -> the file's header
    missing: set[str]  # required fields the file has no column for
    upsert: bool
    errors: list[RowError]
    seen: dict[tuple[Any, ...], int] = field(default_factory=dict)  # natural key -> first row
    units: dict[str, OrgUnit] | None = None  # live units in scope, by code
    budget: Budget = field(default_factory=Budget)

    def unit_id(self, code: str) -> int | None:
        """The id of a live unit in the actor's scope with this code. Handing the service
        the id lets it check the unit from the session instead of one query per row; any
        other code is passed on as written, so the service's message shows it."""
        if self.units is None:
            self.units = {
                u.code: u
                for u in self.session.scalars(
                    select(OrgUnit).where(org_filter(self.actor), OrgUnit.deleted_at.is_(None))
                )
            }
        unit = self.units.get(code)
        return unit.id if unit is not None else None

    def any_unit_id(self, code: str) -> int | None:
        """The id of the unit with this code, in scope or not (to find a stored record
        by its natural key; scope is checked on the record found)."""
        return self.unit_id(code) or self.session.scalar(select(OrgUnit.id).where(OrgUnit.code == code.strip()))

    def column(self, key: str) -> str:
        if key in self.by_key:
            return self.by_key[key]
        try:
            return self.spec.field(key).label(self.lang)
        except KeyError:
            return key

    def add(self, row: _Row, key: str, message: str) -> None:
        row.action = "error"
        self.errors.append(RowError(row.number, self.column(key), message))

    def add_field_errors(self, row: _Row, errors: list[FieldError]) -> None:
        shown = [e for e in errors if not (e.field in self.missing and e.key == "validation.required")]
        for e in shown:
            self.add(row, e.field, e.message(self.lang))
        if errors:  # a missing column is reported once, on the header row
            row.action = "error"


def _check_rows(ctx: _Context, rows: list[_Row], progress: Progress | None) -> None:
    if not _refers_to_itself(ctx.spec) and not ctx.spec.identity:
        for i, row in enumerate(rows):
            ctx.budget.tick()
            _plan(ctx, row, write=False)
            _tick(progress, i, len(rows))
        return
    # Rows may name units that earlier rows create (a new township, then its villages),
    # or a person an earlier row adds (a type with an identity rule: the second row is the
    # same person), so the check saves them inside a savepoint that is always rolled back; each row has
    # its own savepoint too, so a row that fails halfway leaves nothing for the next.
    savepoint = ctx.session.begin_nested()
    try:
        for i, row in enumerate(rows):
            ctx.budget.tick()
            nested = ctx.session.begin_nested()
            _plan(ctx, row, write=True)
            if row.action == "error":
                nested.rollback()
            else:
                nested.commit()
            _tick(progress, i, len(rows))
    finally:
        savepoint.rollback()


def _refers_to_itself(spec: Spec) -> bool:
    return spec.model is OrgUnit and any(f.type == "org_unit" for f in spec.fields)


def _tick(progress: Progress | None, index: int, total: int) -> None:
    if progress is not None and ((index + 1) % PROGRESS_EVERY == 0 or index + 1 == total):
        progress(min(1.0, (index + 1) / max(total, 1)))


def _plan(ctx: _Context, row: _Row, *, write: bool, catch: bool = True) -> None:
    """Decide create / update / unchanged for a row and check it (or save it when write).
    With catch, problems become RowErrors; without, the service's exception propagates."""
    key = _natural_key(ctx, row.raw)
    if key is not None:
        if key in ctx.seen:
            ctx.add(
                row,
                ctx.spec.natural_key[-1],
                t("io.duplicate_key", ctx.lang, row=ctx.seen[key], value=_key_text(ctx, row)),
            )
            return
        ctx.seen[key] = row.number
        if ctx.upsert and not _find_existing(ctx, row, key):
            return
    elif ctx.upsert and ctx.spec.identity:  # no natural key: the type's rule finds the row
        row.existing = service.find_same(ctx.session, ctx.actor, ctx.spec, row.raw)
    payload = _payload(ctx, row)
    try:
        _save(ctx, row, payload, write)
    except ValidationError as exc:
        if not catch:
            raise
        ctx.add_field_errors(row, exc.errors)
    except (PortalError, IntegrityError) as exc:
        if not catch or isinstance(exc, PermissionDenied):
            raise
        ctx.add(row, ctx.spec.fields[0].key, _error_text(exc, ctx.lang))


def _save(ctx: _Context, row: _Row, payload: dict[str, Any], write: bool) -> None:
    session, actor, spec = ctx.session, ctx.actor, ctx.spec
    if row.existing is None:
        _check_computed(ctx, row, service.validate(session, actor, spec, payload))
        if write:
            service.create(session, actor, spec, payload)
        row.action = "create"
        return
    values = service.validate(session, actor, spec, payload, existing=row.existing)
    _check_computed(ctx, row, values)
    if service.unchanged(spec, row.existing, values):
        row.action = "unchanged"
        return
    if write:
        service.update(session, actor, spec, row.existing.id, payload, None)
    row.action = "update"


def _check_computed(ctx: _Context, row: _Row, values: dict[str, Any]) -> None:
    """A computed column may come back unchanged (an export re-imported); any other value
    is refused, naming the field and what it computes to."""
    errors = []
    for key, raw in row.raw.items():
        f = ctx.spec.field(key)
        if f.computed is None or _blank(raw):
            continue
        given, error = f.parse(raw)
        computed = values.get(key)
        if error is not None or not _equal(given, computed):
            shown = _export_value(f, computed, ctx.lang, {}) if computed is not None else ""
            errors.append(FieldError(key, "validation.computed_import", {"value": shown}))
    if errors:
        raise ValidationError(errors)


def _equal(given: Any, computed: Any) -> bool:
    if isinstance(given, (int, float)) and isinstance(computed, (int, float)):
        return abs(float(given) - float(computed)) < 1e-9
    return bool(given == computed)


def _natural_key(ctx: _Context, raw: dict[str, Any]) -> tuple[Any, ...] | None:
    """The row's natural key as the service stores it (a unit as its id), or None when
    a part is missing or unreadable (validation then names the field)."""
    spec = ctx.spec
    if not spec.natural_key or any(k not in raw for k in spec.natural_key):
        return None
    prepared = spec.prepare(dict(raw))
    values = []
    for k in spec.natural_key:
        value, error = spec.field(k).parse(prepared.get(k))
        if value is not None and error is None and spec.field(k).type == "org_unit":
            value = ctx.any_unit_id(str(value))
        if value is None or error is not None:
            return None
        values.append(value)
    return tuple(values)


def _key_text(ctx: _Context, row: _Row) -> str:
    """The natural key as the file wrote it."""
    return " / ".join(str(row.raw.get(k)).strip() for k in ctx.spec.natural_key)


def _find_existing(ctx: _Context, row: _Row, key: tuple[Any, ...]) -> bool:
    """Attach the stored record the key names; False (with an error) if it may not be updated."""
    model = ctx.spec.model
    match = ctx.session.scalars(
        select(model)
        .where(*(getattr(model, k) == v for k, v in zip(ctx.spec.natural_key, key)))
        .order_by(model.deleted_at.is_not(None))
        .limit(1)
    ).first()  # a live row first
    if match is None:
        return True
    visible = ctx.session.scalar(
        service.scoped(ctx.spec, ctx.actor, deleted=match.deleted_at is not None)
        .with_only_columns(model.id)
        .where(model.id == match.id)
    )
    column = ctx.spec.natural_key[-1]
    if visible is None:
        # Out of scope reads exactly as absent: the row is checked as a new record, and
        # whatever that says (the unit is not yours) is what a missing row would get, so
        # an import cannot be used to learn which rows exist elsewhere.
        return True
    if match.deleted_at is not None:
        ctx.add(row, column, t("io.in_trash", ctx.lang, value=_key_text(ctx, row)))
        return False
    row.existing = match
    return True


def _payload(ctx: _Context, row: _Row) -> dict[str, Any]:
    """What goes to the service. A blank cell of a field with a default means the
    default on create and "leave as is" on update. A create-only field is dropped on
    update when blank or unchanged (exports carry it), so only a real change is refused."""
    spec, existing = ctx.spec, row.existing
    payload: dict[str, Any] = {}
    for key, value in row.raw.items():
        f = spec.field(key)
        if f.computed is not None:
            continue  # compared with what the record computes to, in _check_computed
        if _blank(value) and f.default is not None:
            # The service parses a blank as None, which a NOT NULL column with a
            # default ("" for an English name) would refuse: leave it to the default.
            continue
        if (
            existing is not None
            and (f.create_only or f.write_only)
            and (_blank(value) or _same(ctx, f, value, existing))
        ):
            continue
        if f.type == "org_unit" and not _blank(value):
            # A file names units by code; Excel turns a numeric code into a number, which
            # the service would take for an id.
            value = str(value).strip()
            value = ctx.unit_id(value) or value
        if f.type == "ref" and not _blank(value):
            value = str(value).strip()  # a natural key or a label, never an id from a file
        payload[key] = value
    return payload


def _same(ctx: _Context, f: Field, value: Any, existing: Any) -> bool:
    if f.write_only:
        return False
    if f.type == "org_unit":
        unit = ctx.session.get(OrgUnit, getattr(existing, f.key) or 0)
        return unit is not None and unit.code == str(value).strip()
    parsed, error = f.parse(ctx.spec.prepare({f.key: value}).get(f.key, value))
    if error is not None:
        return False
    stored = getattr(existing, f.key)
    return parsed == stored


def _error_text(exc: BaseException, lang: str) -> str:
    if isinstance(exc, PortalError):
        return exc.message(lang)
    return t("error.generic", lang)


# =========================================================================== applying


def apply_import(
    session: Session,
    actor: Actor,
    spec: Spec,
    preview: ImportPreview,
    progress: Progress | None = None,
    *,
    skip_duplicates: bool = False,
) -> tuple[int, int]:
    """Save every row of a clean preview in the caller's transaction; (created, updated).
    With skip_duplicates, rows identical to an earlier row of the file (preview.duplicates)
    are left out.

    Each row goes through service.create / service.update again (validated, audited).
    If anything changed since the check and a row now fails, ImportRowError is raised and
    the caller's rollback leaves the database as it was.
    """
    if preview.spec is not spec:
        raise ValueError(f"the preview is for {preview.spec.slug}, not {spec.slug}")
    if not preview.ok:
        raise PortalError("io.has_errors", count=len(preview.errors))
    _require_import(spec, actor, preview.upsert)
    by_key = {key: header for header, key in preview.mapping.items()}
    ctx = _Context(session, actor, spec, "zh-CN", by_key, set(), preview.upsert, [])
    created = updated = 0
    total = len(preview.rows)
    numbers = preview.row_numbers or list(range(2, total + 2))
    for i, (number, raw) in enumerate(zip(numbers, preview.rows)):
        ctx.budget.tick()
        if skip_duplicates and number in preview.duplicates:
            continue
        row = _Row(number, dict(raw))
        try:
            _plan(ctx, row, write=True, catch=False)
        except ValidationError as exc:
            raise ImportRowError(number, [(ctx.column(e.field), e) for e in exc.errors]) from exc
        except IntegrityError as exc:
            raise ImportRowError(number, [("", PortalError("error.generic"))]) from exc
        if ctx.errors:  # a duplicate or out-of-scope key now: the data changed since the check
            raise ImportRowError(number, [(ctx.errors[0].column, PortalError("io.row_changed"))])
        created += row.action == "create"
        updated += row.action == "update"
        _tick(progress, i, total)
    return created, updated


# =========================================================================== reports


def error_report(preview: ImportPreview, lang: str) -> bytes:
    """The uploaded rows with one more column saying what is wrong with each, as CSV
    (UTF-8 with BOM): the user fixes the cells, deletes nothing, and uploads it again."""
    by_row = preview.errors_by_row()
    header_errors = by_row.get(preview.header_row, [])
    error_header = t("io.error_column", lang)
    if header_errors:
        error_header += " — " + t("io.header_errors", lang, errors=_joined(header_errors))
    # Every row as wide as the widest, so the error column lines up under its header.
    width = max(len(preview.headers), max((len(c) for c in preview.cells), default=0))
    lines = [[*preview.headers, *[""] * (width - len(preview.headers)), error_header]]
    for number, cells in zip(preview.row_numbers, preview.cells):
        padded = [*cells, *[None] * (width - len(cells))]
        lines.append([*(_report_cell(c) for c in padded), _joined(by_row.get(number, []))])
    return _csv_bytes(lines)


def _joined(errors: list[RowError]) -> str:
    return "; ".join(f"{e.column}: {e.message}" for e in errors)


def _report_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        # Safe to open, and it reads back as the same value the upload meant.
        return neutralise(restore(value))
    return str(value)


# =========================================================================== export


def export(session: Session, actor: Actor, spec: Spec, filters: Filters | None, fmt: str, lang: str = "zh-CN") -> bytes:
    """The rows the actor may see, filtered, as CSV or XLSX that imports back."""
    return export_with_count(session, actor, spec, filters, fmt, lang)[0]


def export_with_count(
    session: Session, actor: Actor, spec: Spec, filters: Filters | None, fmt: str, lang: str = "zh-CN"
) -> tuple[bytes, int]:
    service.require(spec, actor, "export")
    if fmt not in FORMATS:
        raise PortalError("io.bad_format", format=fmt)
    fields = spec.exported_fields()
    counter = [0]

    def rows() -> Iterator[list[Any]]:
        for values in _export_rows(session, actor, spec, fields, filters, lang):
            counter[0] += 1
            yield values

    headers = [f.label(lang) for f in fields]
    data = (
        _csv_bytes([headers], rows(), dates_as_text=True)
        if fmt == "csv"
        else _xlsx_bytes(spec.title(lang), headers, fields, rows())
    )
    return data, counter[0]


def _export_rows(
    session: Session, actor: Actor, spec: Spec, fields: tuple[Field, ...], filters: Filters | None, lang: str
) -> Iterator[list[Any]]:
    model = spec.model
    codes: dict[int, str] = {}
    if any(f.type == "org_unit" for f in fields):
        # Every unit's code in one query: a county has hundreds of units, not millions.
        codes = dict(session.execute(select(OrgUnit.id, OrgUnit.code)).all())
    stmt = (
        service.scoped(spec, actor)
        .with_only_columns(*(getattr(model, f.key) for f in fields))
        .where(*_filter_clauses(session, spec, filters))
        .order_by(*service._order(spec, None))  # the table's own order
        .execution_options(yield_per=EXPORT_CHUNK)
    )
    ref_fields = [(i, f) for i, f in enumerate(fields) if f.type == "ref"]
    chunk: list[Any] = []
    for values in session.execute(stmt):
        chunk.append(values)
        if len(chunk) == EXPORT_CHUNK:
            yield from _export_chunk(session, fields, ref_fields, chunk, lang, codes)
            chunk = []
    yield from _export_chunk(session, fields, ref_fields, chunk, lang, codes)


def _export_chunk(
    session: Session,
    fields: tuple[Field, ...],
    ref_fields: list[tuple[int, Field]],
    chunk: list[Any],
    lang: str,
    codes: dict[int, str],
) -> Iterator[list[Any]]:
    """Rows of one chunk, references written as their target's natural key (when it is
    one column) or label, one query per reference field per chunk."""
    texts = {f.key: ref_texts(session, f, {row[i] for row in chunk}, lang) for i, f in ref_fields}
    for values in chunk:
        out = []
        for f, v in zip(fields, values):
            if f.type == "ref" and v is not None:
                out.append(neutralise(texts[f.key].get(v, f"#{v}")))
            else:
                out.append(_export_value(f, v, lang, codes))
        yield out


def ref_texts(session: Session, f: Field, ids: Iterable[Any], lang: str) -> dict[int, str]:
    """How a file names the records a reference field points to."""
    target = refs.target(f)
    wanted = [i for i in ids if isinstance(i, int)]
    if len(target.natural_key) == 1:
        column = getattr(target.model, target.natural_key[0])
        return {
            i: str(v) for i, v in session.execute(select(target.model.id, column).where(target.model.id.in_(wanted)))
        }
    return refs.labels(session, target, wanted, lang)


def _filter_clauses(session: Session, spec: Spec, filters: Filters | None) -> list[Any]:
    if filters is None or "id" not in filters.values or spec.org_field != "id":
        return service.filter_clauses(session, spec, filters)
    # service.filter_clauses looks every filter key up as a field, and "id" (the org unit
    # tree's own subtree filter) is not one; it is applied here the same way.
    values = dict(filters.values)
    unit_id = values.pop("id")
    clauses = service.filter_clauses(session, spec, Filters(values, filters.search, filters.period))
    unit = session.get(OrgUnit, int(unit_id)) if unit_id not in (None, "") else None
    if unit is not None:
        clauses.append(OrgUnit.path.startswith(unit.path, autoescape=True))
    return clauses


def _export_value(f: Field, value: Any, lang: str, codes: dict[int, str]) -> Any:
    if value is None:
        return None
    if f.type == "org_unit":
        return codes.get(value, str(value))
    if f.type == "choice":
        return neutralise(f.choice_label(value, lang))
    if f.type == "bool":
        return t("io.true" if value else "io.false", lang)
    if isinstance(value, str):
        return neutralise(value)
    return value


def template(spec: Spec, fmt: str, lang: str, allowed: Mapping[str, Sequence[str]] | None = None) -> bytes:
    """An import template: the header row of every field an import accepts (the first
    sheet, which an import reads, stays empty so the template imports nothing by mistake)
    and, in Excel, a second sheet "填写说明" with one example row, each column's format and
    whether it is required, and the values a column allows (its choices, or ``allowed``:
    the names of the user's units, the records a reference may point to)."""
    if fmt not in FORMATS:
        raise PortalError("io.bad_format", format=fmt)
    fields = spec.writable_fields(creating=True)
    headers = [f.label(lang) for f in fields]
    if fmt == "csv":
        return _csv_bytes([headers])
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    data = workbook.create_sheet(_sheet_title(spec.title(lang)))
    data.append(headers)
    data.freeze_panes = "A2"
    bold = Font(bold=True)
    for index, (header, f) in enumerate(zip(headers, fields), 1):
        data.column_dimensions[get_column_letter(index)].width = _column_width(header, f)
        data.cell(1, index).font = bold
    guide = workbook.create_sheet(_sheet_title(t("io.template.guide", lang)))
    guide.append([t("io.template.example_note", lang)])
    guide.append(headers)
    guide.append([_example(f, lang, (allowed or {}).get(f.key, ())) for f in fields])
    guide.append([])
    guide.append([t(f"io.template.col.{c}", lang) for c in ("field", "format", "required", "allowed")])
    for row in (1, 2, 5):
        for cell in guide[row]:
            cell.font = bold
    for f in fields:
        values = [c.label(lang) for c in f.choices] or list((allowed or {}).get(f.key, ()))
        guide.append(
            [
                f.label(lang),
                t(f"io.template.format.{f.type}", lang),
                t("io.true" if f.required else "io.false", lang),
                t("io.template.sep", lang).join(values[:200]) + ("…" if len(values) > 200 else ""),
            ]
        )
    for index in range(1, max(len(headers), 4) + 1):
        guide.column_dimensions[get_column_letter(index)].width = 24
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def allowed_values(session: Session, actor: Actor, spec: Spec, lang: str, most: int = 500) -> dict[str, list[str]]:
    """For a template's guide: the names a unit column accepts (the user's active units, as
    shown on screen) and the labels a reference column accepts (records in the user's scope)."""
    found: dict[str, list[str]] = {}
    fields = spec.writable_fields(creating=True)
    if any(f.type == "org_unit" for f in fields):
        names = [
            label(lang, zh, en)
            for zh, en in session.execute(
                select(OrgUnit.name_zh, OrgUnit.name_en)
                .where(org_filter(actor), OrgUnit.deleted_at.is_(None), OrgUnit.active.is_(True))
                .order_by(OrgUnit.path)
                .limit(most)
            )
        ]
        found.update({f.key: names for f in fields if f.type == "org_unit"})
    for f in fields:
        if f.type == "ref":
            found[f.key] = [text for _, text in itertools.islice(refs.choices(session, actor, spec, f, {}, lang), most)]
    return found


def _example(f: Field, lang: str, allowed: Sequence[str]) -> Any:
    """A value a user could type in this column."""
    if f.default not in (None, ""):
        return f.choice_label(f.default, lang) if f.type == "choice" else f.default
    if f.choices:
        return f.choices[0].label(lang)
    if allowed:
        return allowed[0]
    if f.type == "ref" and not f.required:
        return None  # nothing in reach to point to (no running campaign): an optional reference stays blank
    return {
        "date": clock.today().isoformat(),
        "datetime": f"{clock.today().isoformat()} 09:30",
        "int": max(1, int(f.min or 0)),
        "float": max(1, f.min or 0),
        "bool": t("io.true", lang),
    }.get(f.type, t("io.template.text", lang, field=f.label(lang)))


# =========================================================================== writers


def _csv_bytes(head: list[list[Any]], rows: Iterable[list[Any]] = (), *, dates_as_text: bool = False) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)  # Excel reads a CSV without BOM in the system code page
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(head)
    if dates_as_text:
        rows = ([v.isoformat() if isinstance(v, dt.date) else v for v in r] for r in rows)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _xlsx_bytes(title: str, headers: list[str], fields: Iterable[Field], rows: Iterable[list[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(title))
    for index, (header, f) in enumerate(zip(headers, fields), 1):
        sheet.column_dimensions[get_column_letter(index)].width = _column_width(header, f)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for values in rows:
        sheet.append([_xlsx_value(v) for v in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    # Characters an .xlsx cannot hold (rows saved before fields refused them) would make
    # the whole file fail; they carry no meaning, so they are dropped.
    return printable(value) if isinstance(value, str) else value


def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet1"


def _column_width(header: str, f: Field) -> float:
    typical = {"date": 12, "int": 10, "float": 10, "bool": 8, "choice": 14, "org_unit": 14, "longtext": 40}.get(
        f.type, min(30, max(12, (f.max_length or 20) // 4))
    )
    header_width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in header)
    return float(max(typical, header_width + 2))
