"""Test results from a file (成绩导入): the score sheet an office keeps (姓名, 手机 or 单位,
成绩; optionally 考核次数 and 证书编号; CSV in UTF-8 or GBK, or Excel) into one session.

The file is read by the engine's reader (its limits, encodings and row numbers as the
spreadsheet shows them). Each row names a person of the session's roster by name and phone
ending (the last four digits are enough), or by name and unit; a row that matches nobody,
or more than one person, or repeats an earlier row's person and attempt, is an error naming
its row and column. Nothing is saved while any row is wrong. A clean file is saved as one
grid save of test results (``service.save_rows``): validated, version-checked, one audit
entry per changed result, grades from the programme's bands, all or nothing.

Who may: the session's trainer and the trainers and heads above its organiser, as for the
score grid.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OrgUnit, TrainingAssessment, TrainingEnrolment, TrainingSession
from portal.errors import FieldError, PortalError
from portal.i18n import t
from portal.org.scope import Actor
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr
from portal.records import io as records_io
from portal.records import service as records
from portal.records.grid import RowChange, Saved
from portal.records.io import RowError

# The columns offices use, by what each means (headers compared without spaces, any case).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "学员姓名", "name"),
    "phone": ("手机", "手机号", "手机号码", "电话", "联系电话", "手机后四位", "手机尾号", "phone"),
    "unit": ("单位", "工作单位", "所在单位", "unit"),
    "score": ("成绩", "分数", "得分", "考核成绩", "score"),
    "attempt": ("考核次数", "次数", "attempt"),
    "certificate_no": ("证书编号", "证书号", "certificateno.", "certificateno", "certificate_no"),
}
REQUIRED = ("name", "score")


class ScoreImportError(PortalError):
    """The file cannot be imported as a whole (a column missing): nothing was saved."""

    key = "training.scores.missing_column"


class ScoresRefused(PortalError):
    """Some rows are wrong (found at the check, or when saving): nothing was saved."""

    key = "training.scores.refused"

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(self.key, count=len(errors))


@dataclass(frozen=True)
class ScoreLine:
    row: int  # as the spreadsheet shows it
    enrolment_id: int
    name: str
    attempt: int
    score: float
    certificate_no: str | None  # None: the file has no such cell; the stored number stays


@dataclass
class ScorePreview:
    """What the import would do, and every problem, before anything is written."""

    lines: list[ScoreLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _norm(header: Any) -> str:
    return re.sub(r"\s+", "", str(header or "")).lower()


def _columns(headers: list[str]) -> dict[str, int]:
    wanted = {_norm(alias): key for key, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = wanted.get(_norm(header))
        if key is not None and key not in found:
            found[key] = index
    return found


def _label(key: str, lang: str) -> str:
    return t(f"training.scores.col.{key}", lang)


def _digits(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed into Excel as a number
    return re.sub(r"\D", "", str(value or ""))


def _unit_names(session: Session, ids: set[int]) -> dict[int, set[str]]:
    rows = session.execute(
        select(OrgUnit.id, OrgUnit.name_zh, OrgUnit.name_en, OrgUnit.code).where(OrgUnit.id.in_(ids))
    )
    return {int(i): {_norm(n) for n in (zh, en, code) if n} for i, zh, en, code in rows}


class _Check:
    def __init__(self, session: Session, actor: Actor, run: TrainingSession, lang: str) -> None:
        wide = training.session_actor(session, actor, run)
        stmt = records.scoped(tr.TrainingEnrolmentSpec, wide, session=session).where(
            TrainingEnrolment.session_id == run.id
        )
        self.roster: dict[str, list[TrainingEnrolment]] = defaultdict(list)
        entries = list(session.scalars(stmt))
        for entry in entries:
            self.roster[entry.person_name.strip()].append(entry)
        self.units = _unit_names(session, {e.org_unit_id for e in entries})
        self.lang = lang
        self.errors: list[RowError] = []

    def error(self, at: int, key: str, message_key: str, **params: Any) -> None:
        self.errors.append(RowError(at, _label(key, self.lang), t(message_key, self.lang, **params)))

    def field_error(self, row: int, key: str, error: FieldError) -> None:
        self.errors.append(RowError(row, _label(key, self.lang), error.message(self.lang)))

    def match(self, row: int, name: str, phone: Any, unit: Any) -> TrainingEnrolment | None:
        tail = _digits(phone)[-4:]
        unit_name = _norm(unit)
        if phone not in (None, "") and len(tail) < 4:
            self.error(row, "phone", "training.scores.short_phone", value=str(phone)[:20])
            return None
        if not tail and not unit_name:
            self.error(row, "name", "training.scores.need_phone_or_unit", name=name)
            return None
        found = self.roster.get(name, [])
        if tail:
            found = [e for e in found if _digits(e.phone).endswith(tail)]
        else:
            found = [e for e in found if unit_name in self.units.get(e.org_unit_id, set())]
        if len(found) == 1:
            return found[0]
        how = t("training.scores.by_phone" if tail else "training.scores.by_unit", self.lang, value=tail or unit)
        if not found:
            self.error(row, "name", "training.scores.no_match", name=name, how=how)
        else:
            self.error(row, "name", "training.scores.ambiguous", name=name, how=how, count=len(found))
        return None


def _typed(check: _Check, row: int, key: str, raw: Any) -> tuple[Any, bool]:
    spec_field = tr.TrainingAssessmentSpec.field(key)
    value, error = spec_field.parse(raw)
    error = error or spec_field.check(value)
    if error is not None:
        check.field_error(row, key, error)
        return None, False
    return value, True


def _read(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    # The engine's reader: size, row and cell limits, zip bombs refused, UTF-8 / GBK / UTF-16
    # decoded, blank rows skipped while row numbers stay as the spreadsheet shows them.
    table = records_io._read(data, filename, records_io.Budget())
    return table.headers, table.rows


def check_scores(
    session: Session, actor: Actor, session_id: int, data: bytes, filename: str, lang: str = "zh-CN"
) -> ScorePreview:
    """Read and check the file for the session; write nothing."""
    run = training.get_session(session, actor, session_id)
    training.check_runs(session, actor, run)
    headers, rows = _read(data, filename)
    columns = _columns(headers)
    for key in REQUIRED:
        if key not in columns:
            raise ScoreImportError(
                "training.scores.missing_column", column=_label(key, "zh-CN"), column_en=_label(key, "en")
            )
    if "phone" not in columns and "unit" not in columns:
        raise ScoreImportError("training.scores.missing_who")
    check = _Check(session, actor, run, lang)
    lines: list[ScoreLine] = []
    seen: dict[tuple[int, int], int] = {}

    def cell(cells: list[Any], key: str) -> Any:
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    for number, cells in rows:
        name = str(cell(cells, "name") or "").strip()
        if not name:
            check.error(number, "name", "validation.required")
            continue
        score, ok = _typed(check, number, "score", cell(cells, "score"))
        attempt, attempt_ok = (
            (1, True)
            if cell(cells, "attempt") in (None, "")
            else _typed(check, number, "attempt", cell(cells, "attempt"))
        )
        certificate, certificate_ok = (
            _typed(check, number, "certificate_no", cell(cells, "certificate_no"))
            if "certificate_no" in columns
            else (None, True)
        )
        person = check.match(number, name, cell(cells, "phone"), cell(cells, "unit"))
        if person is None or not (ok and attempt_ok and certificate_ok):
            continue
        who = (person.id, int(attempt))
        if who in seen:
            check.error(number, "name", "training.scores.twice", name=name, row=seen[who])
            continue
        seen[who] = number
        lines.append(
            ScoreLine(
                number,
                person.id,
                name,
                int(attempt),
                float(score),
                certificate if "certificate_no" in columns else None,
            )
        )
    preview = ScorePreview(lines=lines, errors=sorted(check.errors, key=lambda e: e.row))
    _count(session, run, preview)
    return preview


def _stored(session: Session, run: TrainingSession) -> dict[tuple[int, int], TrainingAssessment]:
    stmt = select(TrainingAssessment).where(
        TrainingAssessment.session_id == run.id, TrainingAssessment.deleted_at.is_(None)
    )
    return {(a.enrolment_id, a.attempt): a for a in session.scalars(stmt)}


def _changes(session: Session, run: TrainingSession, lines: list[ScoreLine]) -> tuple[list[RowChange], list[int]]:
    """The results to create or change, and the file row of each (for the refusals)."""
    shared = training.assessment_defaults(session, run)
    stored = _stored(session, run)
    changes: list[RowChange] = []
    rows: list[int] = []
    for line in lines:
        values: dict[str, Any] = {"score": line.score}
        if line.certificate_no is not None:
            values["certificate_no"] = line.certificate_no
        old = stored.get((line.enrolment_id, line.attempt))
        if old is None:
            values.update(enrolment_id=line.enrolment_id, attempt=line.attempt)
            changes.append(RowChange(values=values, system=dict(shared), label=line.name))
        elif any(getattr(old, k) != v for k, v in values.items()):
            changes.append(RowChange(old.id, old.version, values, label=line.name))
        else:
            continue
        rows.append(line.row)
    return changes, rows


def _count(session: Session, run: TrainingSession, preview: ScorePreview) -> None:
    changes, _ = _changes(session, run, preview.lines)
    preview.to_create = sum(c.id is None for c in changes)
    preview.to_update = len(changes) - preview.to_create
    preview.unchanged = len(preview.lines) - len(changes)


def import_scores(
    session: Session, actor: Actor, session_id: int, data: bytes, filename: str, lang: str = "zh-CN"
) -> Saved:
    """Check the file again and save every row in the caller's transaction, or nothing:
    any problem raises ScoresRefused with the rows at fault (the caller rolls back)."""
    preview = check_scores(session, actor, session_id, data, filename, lang)
    if not preview.ok:
        raise ScoresRefused(preview.errors)
    run = training.get_session(session, actor, session_id)
    changes, rows = _changes(session, run, preview.lines)
    wide = training.session_actor(session, actor, run)
    try:
        return records.save_rows(session, wide, tr.TrainingAssessmentSpec, changes)
    except records.RowsRefused as exc:
        errors = [
            RowError(
                rows[(e.row or 1) - 1],
                tr.TrainingAssessmentSpec.field(e.field).label(lang) if e.field in _FIELDS else e.field,
                e.message(lang),
            )
            for e in exc.errors
        ]
        raise ScoresRefused(errors) from exc
    except records.StaleRows as exc:
        raise ScoresRefused(
            [RowError(rows[n - 1], _label("name", lang), t("io.row_changed", lang)) for n, *_ in exc.rows]
        ) from exc


_FIELDS = {f.key for f in tr.TrainingAssessmentSpec.fields}
