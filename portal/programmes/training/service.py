"""What the /training page does beyond the generic record screens: a session's roster,
its attendance and score grids (saved through the engine's audited ``save_rows``), the
session's figures, the figures per unit, and the yearly hours ledger.

Who reaches a session's roster. Roster entries belong to the trainee's unit, so a county
session's roster spans many units. Its trainer (the session's account) and the users whose
subtree holds its organiser unit, with a trainer's or head's role, act on that session's
roster county-wide (``session_actor``); everyone else sees only the entries of their own
subtree, as everywhere else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Double, Numeric, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from db.models import (
    OrgUnit,
    TrainingAssessment,
    TrainingAttendance,
    TrainingEnrolment,
    TrainingExternalHours,
    TrainingHoursYear,
    TrainingPerson,
    TrainingSession,
)
from portal.errors import FieldError, NotFound, PermissionDenied, ValidationError
from portal.org.scope import Actor, in_scope, is_whole_tree, org_filter
from portal.programmes.training import specs as tr
from portal.records import service as records
from portal.records.grid import Cell, Pivot, Saved, pivot_changes

ATTENDANCE = Pivot(row="enrolment_id", column="half_day", value="status", shared=("session_id", "half_day_hours"))
SCORES = Pivot(
    row="enrolment_id",
    column="attempt",
    value="score",
    shared=("session_id", "assessed_on", "pass_mark", "good_mark", "excellent_mark"),
)


# -- the session and who may act on its roster -------------------------------------------------


def get_session(session: Session, actor: Actor, session_id: int) -> TrainingSession:
    run: TrainingSession = records.get(session, actor, tr.TrainingSessionSpec, session_id)
    return run


def runs_session(session: Session, actor: Actor, run: TrainingSession) -> bool:
    """The session's trainer, or a trainer, head or admin above its organiser unit."""
    if actor.role not in tr.TRAINERS:
        return False
    if actor.sees_everything or (actor.id is not None and run.trainer_user_id == actor.id):
        return True
    organiser = session.get(OrgUnit, run.organiser_unit_id)
    return organiser is not None and in_scope(actor, organiser)


def session_actor(session: Session, actor: Actor, run: TrainingSession) -> Actor:
    """The actor widened to the whole tree for this session's roster when they run the
    session; otherwise the actor as they are (their own subtree's entries only). Only
    this module's session-bound reads and writes use it."""
    if not runs_session(session, actor, run) or actor.sees_everything:
        return actor
    organiser = session.get(OrgUnit, run.organiser_unit_id)
    root = "/" + (organiser.path.strip("/").split("/")[0] if organiser else "") + "/"
    return dataclasses.replace(actor, org_path=root)


def sessions_for(session: Session, actor: Actor, today: dt.date, limit: int = 200) -> list[TrainingSession]:
    """Sessions to pick from: the actor's own sessions running today first, then the
    others running today, then the rest by start date, newest first."""
    rows = list(
        session.scalars(
            records.scoped(tr.TrainingSessionSpec, actor, session=session)
            .order_by(TrainingSession.start_date.desc(), TrainingSession.id)
            .limit(limit)
        )
    )

    def rank(run: TrainingSession) -> int:
        running = run.start_date <= today <= (run.end_date or run.start_date)
        mine = actor.id is not None and run.trainer_user_id == actor.id
        return 0 if running and mine else 1 if running else 2 if mine else 3

    return sorted(rows, key=rank)  # stable: newest first within each rank


# -- the roster -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterEntry:
    id: int
    name: str
    unit_id: int
    unit: str
    category: str
    sex: str | None
    phone: str | None
    status: str


def roster(session: Session, actor: Actor, run: TrainingSession, lang: str = "zh-CN") -> list[RosterEntry]:
    """The session's roster entries the actor may see, places held first, by unit and name."""
    wide = session_actor(session, actor, run)
    stmt = (
        records.scoped(tr.TrainingEnrolmentSpec, wide, session=session)
        .where(TrainingEnrolment.session_id == run.id)
        .order_by(TrainingEnrolment.org_unit_id, TrainingEnrolment.id)
    )
    rows = list(session.scalars(stmt))
    units = {
        u.id: u.name(lang)
        for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_({r.org_unit_id for r in rows})))
    }
    out = [
        RosterEntry(
            r.id, r.person_name, r.org_unit_id, units.get(r.org_unit_id, ""), r.category, r.sex, r.phone, r.status
        )
        for r in rows
    ]
    return sorted(out, key=lambda e: (e.status not in tr.HOLDING, e.unit_id, e.id))


def mask_phone(phone: str | None, actor: Actor, unit_path: str | None) -> str:
    """A phone in full inside the person's own unit subtree, else 138****1234."""
    if not phone:
        return ""
    if actor.sees_everything or (unit_path is not None and unit_path.startswith(actor.org_path)):
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


# -- the register: nominating people to a session ---------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A person of the register as the nomination picker shows them (phone masked outside
    the actor's own subtree)."""

    id: int
    name: str
    unit_id: int
    unit: str
    category: str
    sex: str | None
    phone: str
    on_roster: bool


def candidates(
    session: Session,
    actor: Actor,
    run: TrainingSession,
    *,
    search: str | None = None,
    unit_id: int | None = None,
    category: str | None = None,
    lang: str = "zh-CN",
    limit: int = 200,
) -> list[Candidate]:
    """People of the register the actor may nominate to the session, filtered: whoever runs
    the session reaches the whole county's register (as its roster); everyone else their own
    subtree's. A phone outside the actor's own subtree is masked."""
    wide = session_actor(session, actor, run)
    filters = records.Filters(values={"org_unit_id": unit_id, "category": [category] if category else None})
    stmt = records.scoped(tr.TrainingPersonSpec, wide, session=session).where(
        *records.filter_clauses(session, tr.TrainingPersonSpec, filters)
    )
    text = (search or "").strip()
    if text:  # a phone is searched only where it is shown in full: a masked one tells nothing
        own = select(OrgUnit.id).where(OrgUnit.path.startswith(actor.org_path, autoescape=True))
        by_phone = TrainingPerson.phone.icontains(text, autoescape=True)
        if not actor.sees_everything:
            by_phone = and_(by_phone, TrainingPerson.org_unit_id.in_(own))
        stmt = stmt.where(or_(TrainingPerson.name.icontains(text, autoescape=True), by_phone))
    stmt = stmt.order_by(TrainingPerson.org_unit_id, TrainingPerson.name, TrainingPerson.id).limit(limit)
    people = list(session.scalars(stmt))
    units = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_({p.org_unit_id for p in people})))}
    taken = set(
        session.scalars(
            select(TrainingEnrolment.trainee_id).where(
                TrainingEnrolment.session_id == run.id,
                TrainingEnrolment.deleted_at.is_(None),
                TrainingEnrolment.status.in_(tr.HOLDING),
                TrainingEnrolment.trainee_id.in_([p.id for p in people]),
            )
        )
    )
    out = []
    for p in people:
        unit = units.get(p.org_unit_id)
        out.append(
            Candidate(
                p.id,
                p.name,
                p.org_unit_id,
                unit.name(lang) if unit else "",
                p.category,
                p.sex,
                mask_phone(p.phone, actor, unit.path if unit else None),
                p.id in taken,
            )
        )
    return out


def nominate(session: Session, actor: Actor, session_id: int, person_ids: list[int]) -> Saved:
    """Put people of the register on the session's roster as they stand in the register
    (name, sex, unit, category, phone), in one all-or-nothing save: each entry validated
    (the unit's quota, the session's capacity, nobody twice), audited, refusals named by row."""
    run = get_session(session, actor, session_id)
    wide = session_actor(session, actor, run)
    records.require(tr.TrainingEnrolmentSpec, actor, "create")
    wanted = list(dict.fromkeys(int(i) for i in person_ids))
    found = {
        p.id: p
        for p in session.scalars(
            records.scoped(tr.TrainingPersonSpec, wide, session=session).where(TrainingPerson.id.in_(wanted))
        )
    }
    if len(found) != len(wanted):
        raise NotFound("error.not_found")
    # One entry after the other, so each one's quota and capacity count the ones before it
    # (a grid's rows are all checked against the database as it was); any refusal raises
    # with every row at fault and the caller's transaction keeps none of them.
    saved = Saved()
    errors: list[FieldError] = []
    for row, person_id in enumerate(wanted, 1):
        person = found[person_id]
        values = {
            "session_id": run.id,
            "org_unit_id": person.org_unit_id,
            "person_name": person.name,
            "sex": person.sex,
            "category": person.category,
            "phone": person.phone,
        }
        try:
            entry = records.create(session, wide, tr.TrainingEnrolmentSpec, values, system={"trainee_id": person_id})
        except ValidationError as exc:
            errors += [
                FieldError(e.field, e.key, e.params, row=row, record=tr.TrainingEnrolmentSpec.slug) for e in exc.errors
            ]
            continue
        saved.created += 1
        saved.ids.append(entry.id)
    if errors:
        raise records.RowsRefused(errors, labels={f.key: f for f in tr.TrainingEnrolmentSpec.fields})
    return saved


# -- the grids ----------------------------------------------------------------------------------


def attendance_cells(session: Session, actor: Actor, run: TrainingSession) -> dict[tuple[int, str], Cell]:
    wide = session_actor(session, actor, run)
    stmt = records.scoped(tr.TrainingAttendanceSpec, wide, session=session).where(
        TrainingAttendance.session_id == run.id
    )
    return {(m.enrolment_id, m.half_day): Cell(m.id, m.version, m.status) for m in session.scalars(stmt)}


def score_cells(session: Session, actor: Actor, run: TrainingSession) -> dict[tuple[int, int], Cell]:
    wide = session_actor(session, actor, run)
    stmt = records.scoped(tr.TrainingAssessmentSpec, wide, session=session).where(
        TrainingAssessment.session_id == run.id
    )
    return {(a.enrolment_id, a.attempt): Cell(a.id, a.version, a.score) for a in session.scalars(stmt)}


def check_runs(session: Session, actor: Actor, run: TrainingSession) -> None:
    if not runs_session(session, actor, run):
        raise PermissionDenied("training.not_your_session")


def _writer(session: Session, actor: Actor, run: TrainingSession) -> Actor:
    check_runs(session, actor, run)
    return session_actor(session, actor, run)


def _roster_labels(session: Session, run: TrainingSession) -> dict[int, str]:
    """The session's roster entries by id, loaded whole with their people: the per-row
    checks and hooks of the save then find them in the session instead of asking the
    database once per mark."""
    stmt = select(TrainingEnrolment).where(
        TrainingEnrolment.session_id == run.id, TrainingEnrolment.deleted_at.is_(None)
    )
    entries = list(session.scalars(stmt))
    people = {e.trainee_id for e in entries if e.trainee_id is not None}
    if people:
        list(session.scalars(select(TrainingPerson).where(TrainingPerson.id.in_(people))))
    return {e.id: e.person_name for e in entries}


def _check_loaded(session: Session, model: Any, run: TrainingSession, loaded: Mapping[Any, Cell]) -> None:
    """The cells a grid loaded must be this session's rows: the widened actor writes no
    other session's marks or results, whatever a caller passes."""
    ids = {cell.id for cell in loaded.values()}
    if not ids:
        return
    mine = set(session.scalars(select(model.id).where(model.id.in_(ids), model.session_id == run.id)))
    if ids - mine:
        raise NotFound("error.not_found")


def save_attendance(
    session: Session,
    actor: Actor,
    session_id: int,
    loaded: Mapping[tuple[int, str], Cell],
    edits: Mapping[tuple[int, str], Any],
) -> Saved:
    """The grid's edited cells as one all-or-nothing save: each mark created, changed or
    cleared through ``save_rows`` (validated, version-checked against what the grid
    loaded, one audit entry per changed mark); any refusal saves nothing."""
    run = get_session(session, actor, session_id)
    wide = _writer(session, actor, run)
    labels = _roster_labels(session, run)
    strays = [row for row, _ in edits if row not in labels]
    if strays:
        raise NotFound("training.not_on_roster")
    _check_loaded(session, TrainingAttendance, run, loaded)
    shared = {"session_id": run.id, "half_day_hours": run.hours_per_half_day}
    changes = pivot_changes(ATTENDANCE, shared, loaded, edits, labels)
    return records.save_rows(session, wide, tr.TrainingAttendanceSpec, changes)


def assessment_defaults(session: Session, run: TrainingSession) -> dict[str, Any]:
    """What every test result of a session shares: the session, the day, and the
    programme's pass mark and grade bands (the defaults when the programme is gone)."""
    programme = session.get(tr.TrainingProgramme, run.programme_id)
    return {
        "session_id": run.id,
        "assessed_on": run.end_date or run.start_date,
        "pass_mark": programme.pass_mark if programme else 60.0,
        "good_mark": programme.good_mark if programme else 80.0,
        "excellent_mark": programme.excellent_mark if programme else 90.0,
    }


def save_scores(
    session: Session,
    actor: Actor,
    session_id: int,
    loaded: Mapping[tuple[int, int], Cell],
    edits: Mapping[tuple[int, int], Any],
) -> Saved:
    """The score grid, saved like the attendance grid; grades follow from the programme's bands."""
    run = get_session(session, actor, session_id)
    wide = _writer(session, actor, run)
    labels = _roster_labels(session, run)
    if any(row not in labels for row, _ in edits):
        raise NotFound("training.not_on_roster")
    _check_loaded(session, TrainingAssessment, run, loaded)
    changes = pivot_changes(SCORES, assessment_defaults(session, run), loaded, edits, labels)
    return records.save_rows(session, wide, tr.TrainingAssessmentSpec, changes)


# -- figures ---------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Attendance and test figures over some marks and results."""

    marks: int = 0
    present: int = 0
    by_status: dict[str, int] = dataclasses.field(default_factory=dict)
    results: int = 0
    passed: int = 0
    by_grade: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def attendance_rate(self) -> float | None:
        return 100.0 * self.present / self.marks if self.marks else None

    @property
    def pass_rate(self) -> float | None:
        return 100.0 * self.passed / self.results if self.results else None

    def grade_share(self, grade: str) -> float | None:
        return 100.0 * self.by_grade.get(grade, 0) / self.results if self.results else None


def session_figures(session: Session, actor: Actor, run: TrainingSession) -> Figures:
    """The session's figures over the marks and first results the actor may see."""
    wide = session_actor(session, actor, run)
    marks = (
        records.scoped(tr.TrainingAttendanceSpec, wide, session=session)
        .where(TrainingAttendance.session_id == run.id)
        .with_only_columns(TrainingAttendance.status, func.count())
        .group_by(TrainingAttendance.status)
    )
    results = (
        records.scoped(tr.TrainingAssessmentSpec, wide, session=session)
        .where(TrainingAssessment.session_id == run.id, TrainingAssessment.attempt == 1)
        .with_only_columns(TrainingAssessment.grade, func.count())
        .group_by(TrainingAssessment.grade)
    )
    return _figures(dict(session.execute(marks).all()), dict(session.execute(results).all()))


def _figures(by_status: dict[str, int], by_grade: dict[str, int]) -> Figures:
    return Figures(
        marks=sum(by_status.values()),
        present=sum(n for s, n in by_status.items() if s in tr.PRESENT),
        by_status=by_status,
        results=sum(by_grade.values()),
        passed=sum(n for g, n in by_grade.items() if g in ("excellent", "good", "pass")),
        by_grade=by_grade,
    )


def unit_figures(session: Session, actor: Actor, year: int, lang: str = "zh-CN") -> list[tuple[str, Figures]]:
    """The year's figures per unit directly below the actor's unit (or per unit of the
    actor's own level when it has none below), over the records the actor may see."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    marks = session.execute(
        records.scoped(tr.TrainingAttendanceSpec, actor, session=session)
        .where(TrainingAttendance.day >= start, TrainingAttendance.day <= end)
        .with_only_columns(TrainingAttendance.org_unit_id, TrainingAttendance.status, func.count())
        .group_by(TrainingAttendance.org_unit_id, TrainingAttendance.status)
    ).all()
    results = session.execute(
        records.scoped(tr.TrainingAssessmentSpec, actor, session=session)
        .where(
            TrainingAssessment.assessed_on >= start,
            TrainingAssessment.assessed_on <= end,
            TrainingAssessment.attempt == 1,
        )
        .with_only_columns(TrainingAssessment.org_unit_id, TrainingAssessment.grade, func.count())
        .group_by(TrainingAssessment.org_unit_id, TrainingAssessment.grade)
    ).all()
    ids = {u for u, _, _ in marks} | {u for u, _, _ in results}
    units = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    tops = _top_units(session, actor, units)
    status: dict[int, Counter[str]] = defaultdict(Counter)
    grades: dict[int, Counter[str]] = defaultdict(Counter)
    for unit_id, value, n in marks:
        status[tops[unit_id].id][value] += n
    for unit_id, value, n in results:
        grades[tops[unit_id].id][value] += n
    named = {u.id: u.name(lang) for u in tops.values()}
    return [
        (named[uid], _figures(dict(status[uid]), dict(grades[uid])))
        for uid in sorted(named, key=lambda i: (tops_order(tops, i), i))
    ]


def tops_order(tops: dict[int, OrgUnit], uid: int) -> str:
    return next((u.path for u in tops.values() if u.id == uid), "")


def _top_units(session: Session, actor: Actor, units: dict[int, OrgUnit]) -> dict[int, OrgUnit]:
    """Each unit's ancestor one level below the actor's unit (or itself)."""
    depth = max(1, len(actor.org_path.strip("/").split("/")) if actor.org_path.strip("/") else 0)
    parts = {u.id: u.path.strip("/").split("/") for u in units.values()}
    wanted = {int(p[depth]) if len(p) > depth else uid for uid, p in parts.items()}
    found = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(wanted)))}
    return {uid: found[int(p[depth]) if len(p) > depth else uid] for uid, p in parts.items()}


# -- the hours ledger ------------------------------------------------------------------------------


class LedgerLine(NamedTuple):
    """One person's year (a tuple: the county's ledger holds a line per person)."""

    person: str
    name: str
    unit_id: int
    unit: str
    category: str
    hours: float  # everything: attendance plus the recorded external and online hours
    minimum: float
    external: float = 0.0  # of which recorded outside the portal's sessions (外出培训, 线上学习)

    @property
    def below(self) -> bool:
        return self.hours < self.minimum


def minimum_hours(category: str) -> float:
    return tr.MIN_HOURS.get(category, tr.DEFAULT_MIN_HOURS)


def hours_ledger(session: Session, actor: Actor, year: int, lang: str = "zh-CN") -> list[LedgerLine]:
    """学时台账: each person's hours in the year from the marks the actor may see (people
    of the actor's subtree) plus the external and online hours recorded for them, against
    the minimum for their category, named from the register; lowest first (then by unit,
    name and key).

    The sums are the running totals the database keeps (``training_hours_years``, one line
    per person, unit and category, exact on every write by its triggers), read in the
    ledger's order as plain tuples (Core, not the ORM: a county's year is a quarter of a
    million lines at a million marks). The name is the person's live register row's, found
    through ``ix_training_people_key`` for each line; a key the register does not hold live
    is named by its newest roster entry, else by its recorded external hours."""
    session.flush()  # the reads below go to the connection, past the unit of work
    totals = TrainingHoursYear
    registered = (  # the index's (person_key, deleted_at) prefix: one probe, no sort
        select(TrainingPerson.name)
        .where(TrainingPerson.person_key == totals.person_id, TrainingPerson.deleted_at.is_(None))
        .limit(1)
        .scalar_subquery()
    )
    rostered = (
        select(TrainingEnrolment.person_name).where(TrainingEnrolment.id == totals.last_enrolment).scalar_subquery()
    )
    recorded = (
        select(func.max(TrainingExternalHours.person_name))
        .where(
            TrainingExternalHours.org_unit_id == totals.org_unit_id,
            TrainingExternalHours.person_id == totals.person_id,
            TrainingExternalHours.deleted_at.is_(None),
        )
        .scalar_subquery()
    )
    name = func.coalesce(registered, rostered, recorded, "")
    total: ColumnElement[Any] = func.round(totals.hours + totals.external, 6)  # running sums: no float dust
    if session.get_bind().dialect.name == "postgresql":
        total = cast(func.round(cast(totals.hours + totals.external, Numeric), 6), Double)  # no round(double, int)
    least = case(
        {c.value: minimum_hours(c.value) for c in tr.PERSON_CATEGORIES},
        value=totals.category,
        else_=tr.DEFAULT_MIN_HOURS,
    )
    # the columns in the ledger's order, so the fetched tuples sort as they are (Python's
    # sort of a quarter of a million tuples beats SQLite's, which spills to a temp file)
    stmt = select(
        total - least, totals.org_unit_id, name, totals.person_id, totals.category, total, least, totals.external
    ).where(totals.year == year, or_(totals.marks > 0, totals.entries > 0))
    units_in_reach = select(OrgUnit)
    if not actor.sees_everything and not is_whole_tree(session, actor.org_path):
        stmt = stmt.where(totals.org_unit_id.in_(select(OrgUnit.id).where(org_filter(actor))))
        units_in_reach = units_in_reach.where(org_filter(actor))
    units = {u.id: u.name(lang) for u in session.scalars(units_in_reach)}  # a county's: a few hundred
    with _no_cycles():
        result = session.connection().execute(stmt)
        try:  # the driver's own tuples, fetched at once: no Row object for each of the lines
            rows = list(result.cursor.fetchall())
        finally:
            result.close()
        rows.sort()
        make = LedgerLine._make  # a tuple made in C: a quarter of a million of them
        where = units.get
        return [
            make((person, who, unit, where(unit, ""), category, hours, minimum, extra))
            for _, unit, who, person, category, hours, minimum, extra in rows
        ]


@contextmanager
def _no_cycles() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a ledger's tuples are made: they hold
    no cycles, and each of the collections a million new objects set off walks every object
    the process holds (measured at 1M marks: the ledger's tuples took 1.2 s with it, 0.1 s
    without). Process-wide, so a thread building at the same time is spared too; the
    collector is switched back on only if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def ledger_by_unit(lines: list[LedgerLine]) -> list[tuple[str, int, int]]:
    """(unit, people, people below their minimum) per unit, the most below first."""
    people: Counter[str] = Counter()
    below: Counter[str] = Counter()
    for line in lines:
        people[line.unit] += 1
        below[line.unit] += line.below
    return sorted(((u, people[u], below[u]) for u in people), key=lambda r: (-r[2], r[0]))


# -- a roster file as offices keep it --------------------------------------------------------------


def roster_file(session: Session, run: TrainingSession, data: bytes, filename: str) -> bytes:
    """An office's roster (姓名, 性别, 单位, 岗位, 手机; CSV in UTF-8 or GBK, or Excel) as a
    file the engine's import reads for this session: a 场次 column naming it is added when
    the file has none. Everything else (the checks, the per-row errors, the quota, the
    duplicates) is the engine's import of roster entries."""
    import csv
    import io as text_io

    from portal.records import io as records_io
    from portal.records import refs

    headers, rows = records_io.read_table(data, filename)
    known = {h.strip().lower() for h in tr.TrainingEnrolmentSpec.field("session_id").headers()}
    if any(str(h).strip().lower() in known for h in headers):
        return data
    label = refs.label_of(tr.TrainingSessionSpec, run, "zh-CN")
    out = text_io.StringIO()
    writer = csv.writer(out)
    writer.writerow([tr.TrainingEnrolmentSpec.field("session_id").zh, *headers])
    for cells in rows:
        writer.writerow([label, *("" if c is None else c for c in cells)])
    return out.getvalue().encode("utf-8")
