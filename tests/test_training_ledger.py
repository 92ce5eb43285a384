"""The hours ledger's fast path gives what the plain reading of the marks gives: on the
benchmark's synthetic sessions (plus edits, deletions and another year), each person's
hours, name (their row's in the trainee register), unit and category equal a sum done in
Python over every live mark; the yearly totals the database's triggers keep equal the
live marks after every kind of write; and on SQLite the ledger reads a year's totals, not
its marks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from db.engine import transaction
from db.models import (
    OrgUnit,
    TrainingAttendance,
    TrainingEnrolment,
    TrainingExternalHours,
    TrainingHoursYear,
    TrainingPerson,
)
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


def totals(engine: Engine) -> dict[tuple[Any, ...], tuple[float, int, float, int]]:
    """What the triggers keep, lines with nothing live left dropped."""
    with transaction(engine) as s:
        rows = s.execute(select(TrainingHoursYear)).scalars()
        return {
            (t.year, t.person_id, t.org_unit_id, t.category): (
                round(t.hours, 6),
                t.marks,
                round(t.external, 6),
                t.entries,
            )
            for t in rows
            if t.marks or t.entries
        }


def summed(engine: Engine) -> dict[tuple[Any, ...], tuple[float, int, float, int]]:
    """The same, summed over the live marks and external hours in Python."""
    out: dict[tuple[Any, ...], tuple[float, int, float, int]] = {}
    with transaction(engine) as s:
        for m in s.scalars(select(TrainingAttendance).where(TrainingAttendance.deleted_at.is_(None))):
            key = (m.day.year, m.person_id, m.org_unit_id, m.category)
            hours, marks, external, entries = out.get(key, (0.0, 0, 0.0, 0))
            out[key] = (round(hours + m.hours, 6), marks + 1, external, entries)
        for x in s.scalars(select(TrainingExternalHours).where(TrainingExternalHours.deleted_at.is_(None))):
            key = (x.day.year, x.person_id, x.org_unit_id, x.category)
            hours, marks, external, entries = out.get(key, (0.0, 0, 0.0, 0))
            out[key] = (hours, marks, round(external + x.hours, 6), entries + 1)
    return out


def test_the_triggers_keep_the_yearly_totals_through_every_kind_of_write(engine: Engine, tree: dict[str, int]) -> None:
    """Inserts (bulk, as the bench writes), soft deletes and restores, hard deletes, hours,
    day (across a year), unit, category and person changes: after each, the totals table
    equals the sum over the live marks (on SQLite and on PostgreSQL: each has its triggers)."""
    last = bench.generate(engine, tree, 1600, seed=9)
    assert totals(engine) == summed(engine) and len(totals(engine)) == 400
    now = dt.datetime.now(dt.UTC)
    mark = TrainingAttendance
    steps = [
        update(mark).where(mark.id % 5 == 0).values(deleted_at=now),  # soft deletes
        update(mark).where(mark.id % 10 == 0).values(deleted_at=None),  # half of them restored
        update(mark).where(mark.id % 3 == 0).values(hours=1.5, status="late"),  # hours changed
        update(mark).where(mark.session_id == last).values(day=dt.date(2025, 12, 31)),  # a year back
        update(mark).where(mark.id % 11 == 0).values(org_unit_id=tree["t2"], category="nurse"),
        update(mark).where(mark.id % 13 == 0).values(person_id="moved:someone:0000"),
        delete(mark).where(mark.id % 17 == 0),  # hard deletes, live or not
        update(mark).where(mark.id % 4 == 0).values(deleted_at=now),  # and deletes again
    ]
    with transaction(engine) as s:
        first = s.scalars(select(TrainingAttendance).limit(1)).one()
        someone = (first.person_id, first.org_unit_id, first.category)
    external = TrainingExternalHours
    stamp = {"version": 1, "created_at": now, "updated_at": now}
    steps += [
        insert(external).values(
            [
                {  # one for a person with marks, one for nobody else's
                    "org_unit_id": unit,
                    "person_name": "外出",
                    "category": category,
                    "person_id": person,
                    "day": dt.date(2026, 3, 1),
                    "kind": "online",
                    "hours": 4.5,
                    **stamp,
                }
                for person, unit, category in (someone, ("x:外出:0000", tree["t1"], "nurse"))
            ]
        ),
        update(external).values(hours=external.hours + 1),
        update(external).where(external.person_id == someone[0]).values(deleted_at=now),
        delete(external).where(external.person_id == someone[0]),
    ]
    for step in steps:
        with transaction(engine) as s:
            s.execute(step)
        assert totals(engine) == summed(engine), str(step)
    with transaction(engine) as s:  # an expression on the old value, as a database applies it
        s.execute(update(mark).where(mark.id == s.scalar(select(func.min(mark.id)))).values(hours=mark.hours + 2))
    assert totals(engine) == summed(engine)
    with transaction(engine) as s:  # hours recorded, no marks: named as recorded
        lines = {line.person: line for line in training.hours_ledger(s, SYSTEM, 2026)}
        assert (lines["x:外出:0000"].name, lines["x:外出:0000"].hours, lines["x:外出:0000"].external) == (
            "外出",
            5.5,
            5.5,
        )
    with transaction(engine) as s:  # everything gone: no line left to show
        s.execute(delete(mark))
        s.execute(delete(external))
    assert totals(engine) == {}
    with transaction(engine) as s:
        assert training.hours_ledger(s, SYSTEM, 2026) == []


def test_sqlite_reads_a_years_totals_not_its_marks(engine: Engine, tree: dict[str, int]) -> None:
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL plans its own way; the ledger's results are tested above
    bench.generate(engine, tree, 800, seed=5)
    seen: list[tuple[str, Any]] = []
    from sqlalchemy import event

    def spy(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if "FROM training_hours_years" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", spy)
    try:
        with transaction(engine) as s:
            training.hours_ledger(s, SYSTEM, 2026)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert len(seen) == 1
    assert "GROUP BY" not in seen[0][0]  # the marks are not grouped on a read any more
    with engine.connect() as conn:
        plan = " | ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0][0], seen[0][1]))
    assert "training_hours_years" in plan and "training_attendance" not in plan, plan
    assert "GROUP BY" not in plan, plan  # a line per person, as stored; sorted in SQL, not in Python


def test_past_its_register_the_bench_draws_trainees_from_it(engine: Engine, tree: dict[str, int]) -> None:
    """At a million marks the benchmark's sessions share a county's register (20,000 people)
    instead of adding a new person for every place; here 400 places over 250 people."""
    bench.generate(engine, tree, 1600, seed=4, register=250)
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(TrainingPerson)) == 250
        keys = set(s.scalars(select(TrainingPerson.person_key)))
        marked = set(s.scalars(select(TrainingAttendance.person_id).distinct()))
        assert marked <= keys and len(marked) > 200  # the marks carry the register's keys
        lines = training.hours_ledger(s, SYSTEM, 2026)
    assert len(lines) == len(marked) and sum(line.hours for line in lines) == sum(
        hours for hours, *_ in summed(engine).values()
    )
    assert totals(engine) == summed(engine)
