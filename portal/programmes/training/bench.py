"""The training benchmark (called by ``python -m portal.bench``): N sign-in marks over
sessions of 200 trainees and four half-days (bulk-inserted, as the activities are; past
20,000 roster places the trainees come from a register of 20,000 people), then
a 200-person session's grid (the roster and its marks as the page reads them), one save of
200 changed marks through the audited grid save, and the county's hours ledger for a year."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from sqlalchemy import Engine, insert, select, text

from db.engine import transaction
from db.models import TrainingAttendance, TrainingEnrolment, TrainingPerson, TrainingProgramme, TrainingSession
from portal import clock
from portal.org.scope import Actor
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr
from portal.timing import timed

PEOPLE = 200  # per session
HALVES = 4
STATUSES = ("present",) * 17 + ("late", "leave", "absent")
# A county's trainees: its health workers, village doctors and school staff number a few
# thousand; 20,000 is a generous ceiling. Up to that many roster places every trainee is a
# new person (the small runs and the tests); past it, sessions draw their trainees from a
# register of this many people, as a real county's year does (at a million marks each
# person attends about a dozen sessions). ``register=None`` keeps every trainee new.
REGISTER = 20_000


def generate(engine: Engine, ids: dict[str, int], marks: int, seed: int = 11, register: int | None = REGISTER) -> int:
    """Sessions of PEOPLE x HALVES marks until ``marks`` are written; returns the last
    session's id (the one the grid timings use)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not a secret
    holders = [i for code, i in ids.items() if code.startswith("t")]
    now = clock.now()
    stamp = {"version": 1, "created_at": now, "updated_at": now}
    sessions = max(1, -(-marks // (PEOPLE * HALVES)))
    pool = (
        _register(engine, holders, max(register, PEOPLE), rng, stamp)
        if register and sessions * PEOPLE > register
        else None
    )
    with transaction(engine) as s:
        programme = s.execute(
            insert(TrainingProgramme).returning(TrainingProgramme.id),
            [
                {
                    "organiser_unit_id": ids["county"],
                    "year": 2026,
                    "title": "基准培训",
                    "category": "assistant",
                    "pass_mark": 60,
                    "good_mark": 80,
                    "excellent_mark": 90,
                    **stamp,
                }
            ],
        ).scalar_one()
    last = 0
    written = 0
    for n in range(sessions):
        start = dt.date(2026, 1, 5) + dt.timedelta(days=(n * 2) % 340)
        halves = tr.half_days(start, HALVES)
        with transaction(engine) as s:
            last = s.execute(
                insert(TrainingSession).returning(TrainingSession.id),
                [
                    {
                        "programme_id": programme,
                        "organiser_unit_id": ids["county"],
                        "session_no": n + 1,
                        "title": f"第{n + 1}期",
                        "start_date": start,
                        "half_days": HALVES,
                        "end_date": start + dt.timedelta(days=1),
                        "hours_per_half_day": 3.0,
                        "format": "lecture",
                        "status": "open",
                        **stamp,
                    }
                ],
            ).scalar_one()
            if pool is not None:  # trainees from the county's register
                people = [{**person, "session_id": last, **stamp} for person in rng.sample(pool, PEOPLE)]
            else:
                people = [
                    {
                        "session_id": last,
                        "org_unit_id": rng.choice(holders),
                        "person_name": f"学员{n}-{p}",
                        "category": "assistant",
                        "phone": f"139{n % 10000:04d}{p:04d}",
                        "status": "confirmed",
                        **stamp,
                    }
                    for p in range(PEOPLE)
                ]
            if pool is None:  # each a new person, added to the register
                registered = s.execute(
                    insert(TrainingPerson).returning(TrainingPerson.id, sort_by_parameter_order=True),
                    [_person(p["org_unit_id"], p["person_name"], p["phone"], stamp) for p in people],
                ).scalars()
                for person, trainee in zip(people, list(registered), strict=True):
                    person["trainee_id"] = trainee
            enrolled = list(
                s.execute(
                    insert(TrainingEnrolment).returning(TrainingEnrolment.id, sort_by_parameter_order=True), people
                ).scalars()
            )
            rows = []
            for enrolment, person in zip(enrolled, people, strict=True):
                for half in halves:
                    if written >= marks:
                        break
                    status = rng.choice(STATUSES)
                    present = status in tr.PRESENT
                    rows.append(
                        {
                            "session_id": last,
                            "enrolment_id": enrolment,
                            "org_unit_id": person["org_unit_id"],
                            "person_id": tr.person_key_of(
                                person["org_unit_id"], person["person_name"], person["phone"]
                            ),
                            "category": "assistant",
                            "half_day": half,
                            "day": dt.date.fromisoformat(half[:10]),
                            "status": status,
                            "method": "grid",
                            "half_day_hours": 3.0,
                            "present": present,
                            "hours": 3.0 if present else 0.0,
                            **stamp,
                        }
                    )
                    written += 1
            if rows:
                s.execute(insert(TrainingAttendance), rows)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return int(last)


def _person(unit: int, name: str, phone: str, stamp: dict[str, Any]) -> dict[str, Any]:
    return {
        "org_unit_id": unit,
        "name": name,
        "category": "assistant",
        "phone": phone,
        "person_key": tr.person_key_of(unit, name, phone),
        **stamp,
    }


def _register(
    engine: Engine, holders: list[int], size: int, rng: random.Random, stamp: dict[str, Any]
) -> list[dict[str, Any]]:
    """The county's register of ``size`` people, bulk-inserted; a roster entry's values for each."""
    people = [(rng.choice(holders), f"学员{p}", f"138{p:08d}") for p in range(size)]
    with transaction(engine) as s:
        ids = list(
            s.execute(
                insert(TrainingPerson).returning(TrainingPerson.id, sort_by_parameter_order=True),
                [_person(unit, name, phone, stamp) for unit, name, phone in people],
            ).scalars()
        )
    return [
        {
            "org_unit_id": unit,
            "person_name": name,
            "category": "assistant",
            "phone": phone,
            "status": "confirmed",
            "trainee_id": trainee,
        }
        for (unit, name, phone), trainee in zip(people, ids, strict=True)
    ]


def _median(fn: Any) -> float:
    return float(timed(fn, 3)[0])


def times(engine: Engine, head: Actor, session_id: int) -> dict[str, float]:
    """attendance_grid_ms, attendance_save_ms (200 changed marks), hours_ledger_ms."""
    with transaction(engine) as s:

        def grid() -> Any:
            run = training.get_session(s, head, session_id)
            return training.roster(s, head, run), training.attendance_cells(s, head, run)

        grid_ms = _median(grid)
        ledger_ms = _median(lambda: training.hours_ledger(s, head, 2026))
        run = training.get_session(s, head, session_id)
        loaded = training.attendance_cells(s, head, run)
        half = tr.half_days(run.start_date, run.half_days)[0]
        people = list(
            s.scalars(select(TrainingEnrolment.id).where(TrainingEnrolment.session_id == session_id).limit(PEOPLE))
        )
    edits = {
        (p, half): ("absent" if loaded.get((p, half)) and loaded[(p, half)].value != "absent" else "present")
        for p in people
    }
    t0 = time.perf_counter()
    with transaction(engine) as s:
        saved = training.save_attendance(s, head, session_id, loaded, edits)
    save_ms = (time.perf_counter() - t0) * 1000
    if saved.changed != len(edits):
        raise RuntimeError(f"the attendance save changed {saved.changed} of {len(edits)} marks")
    return {"attendance_grid_ms": grid_ms, "attendance_save_ms": save_ms, "hours_ledger_ms": ledger_ms}
