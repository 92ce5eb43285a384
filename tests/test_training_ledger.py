"""The hours ledger's fast path gives what the plain reading of the marks gives: on the
benchmark's synthetic sessions (plus edits, deletions and another year), each person's
hours, name (their row's in the trainee register), unit and category equal a sum done in
Python over every live mark; and on SQLite the year's marks are read through the ledger's covering
index, grouped as scanned, with no sort."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, select, update

from db.engine import transaction
from db.models import OrgUnit, TrainingAttendance, TrainingEnrolment, TrainingPerson
from portal.org.scope import SYSTEM
from portal.programmes.training import bench
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr


def reference(engine: Engine, year: int) -> list[tuple[Any, ...]]:
    """The ledger the slow, obvious way: every live mark of the year, summed in Python."""
    hours: dict[tuple[str, int, str], float] = defaultdict(float)
    last: dict[tuple[str, int, str], int] = {}
    with transaction(engine) as s:
        for m in s.scalars(select(TrainingAttendance).where(TrainingAttendance.deleted_at.is_(None))):
            if m.day.year != year:
                continue
            key = (m.person_id, m.org_unit_id, m.category)
            hours[key] += m.hours
            last[key] = max(last.get(key, 0), m.enrolment_id)
        people = {p.id: p.name for p in s.scalars(select(TrainingPerson))}
        names = {e.id: people[e.trainee_id] for e in s.scalars(select(TrainingEnrolment))}
        units = {u.id: u.name_zh for u in s.scalars(select(OrgUnit))}
    return sorted(
        (person, names[last[(person, unit, category)]], unit, units[unit], category, hours[(person, unit, category)])
        for person, unit, category in hours
    )


def test_the_ledger_equals_a_plain_sum_over_the_marks(engine: Engine, tree: dict[str, int]) -> None:
    last = bench.generate(engine, tree, 4000, seed=3)
    with transaction(engine) as s:  # some marks deleted, one person renamed, one session moved a year back
        s.execute(
            update(TrainingAttendance).where(TrainingAttendance.id % 7 == 0).values(deleted_at=dt.datetime.now(dt.UTC))
        )
        first = s.scalar(select(TrainingEnrolment.trainee_id).where(TrainingEnrolment.session_id == last).limit(1))
        s.execute(  # a raw write: the rename's audit trail is not what this test is about
            update(TrainingPerson).where(TrainingPerson.id == first).values(name=TrainingPerson.name + "（改）")
        )
        s.execute(
            update(TrainingAttendance)
            .where(TrainingAttendance.session_id == last - 1)
            .values(day=dt.date(2025, 12, 30))
        )
    for year in (2026, 2025):
        with transaction(engine) as s:
            got = sorted(
                (line.person, line.name, line.unit_id, line.unit, line.category, line.hours)
                for line in training.hours_ledger(s, SYSTEM, year)
            )
        assert got == reference(engine, year)
        assert got
    with transaction(engine) as s:
        lines = training.hours_ledger(s, SYSTEM, 2026)
        assert any(line.name.endswith("（改）") for line in lines)
        assert all(line.minimum == tr.MIN_HOURS["assistant"] for line in lines)
        keys = [(line.hours - line.minimum, line.unit_id, line.name, line.person) for line in lines]
        assert keys == sorted(keys)


def test_sqlite_reads_the_years_marks_through_the_ledger_index(engine: Engine, tree: dict[str, int]) -> None:
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL plans its own way (a hash aggregate); the ledger's results are tested above
    bench.generate(engine, tree, 800, seed=5)
    seen: list[tuple[str, Any]] = []
    from sqlalchemy import event

    def spy(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if "GROUP BY training_attendance.person_id" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", spy)
    try:
        with transaction(engine) as s:
            training.hours_ledger(s, SYSTEM, 2026)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert len(seen) == 1
    with engine.connect() as conn:
        plan = " | ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0][0], seen[0][1]))
    assert "COVERING INDEX ix_training_attendance_ledger" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
