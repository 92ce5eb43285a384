"""Self sign-in (扫码签到): the rotating code, the window, matching by name and the last
four digits of the phone, the walk-in queue, the rate limits, and that an anonymous
attempt learns nothing beyond the session's title and its own outcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from db.engine import transaction
from db.models import AuditEntry, TrainingAttendance, TrainingEnrolment, TrainingWalkin
from portal import clock
from portal.errors import PermissionDenied
from portal.programmes.training import signin
from tests.test_training import AM1, PM1, START, World, make_world

NOW = clock.at(START, 9)


@pytest.fixture
def world(engine: Engine, tree: dict[str, int]) -> World:
    return make_world(engine, tree)  # 09:00 on the session's first morning


def at(seconds: int) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


def opened(world: World, minutes: int = 15) -> Any:
    with transaction(world.engine) as s:
        return signin.open_window(s, world.trainer, world.run, AM1, minutes, now=NOW)


def attempt(
    world: World, window: Any, when: dt.datetime, name: str, tail: str, client: str = "phone-1", code: str | None = None
) -> str:
    with transaction(world.engine) as s:
        result = signin.signin(
            s, window.id, code if code is not None else signin.current_code(window, when), name, tail, client, now=when
        )
        return f"{result.result}:{result.title}"


def test_a_roster_match_signs_in_once_audited_as_the_window(world: World) -> None:
    window = opened(world)
    assert attempt(world, window, at(60), "甲", "1111") == "signed_in:协管员培训第一期"
    assert attempt(world, window, at(90), "甲", "1111", client="phone-2") == "signed_in:协管员培训第一期"
    with transaction(world.engine) as s:
        marks = list(s.scalars(select(TrainingAttendance)))
        assert [(m.enrolment_id, m.half_day, m.status, m.method, m.hours) for m in marks] == [
            (world.people["甲"], AM1, "present", "self", 3.0)
        ]
        entry = s.scalar(select(AuditEntry).where(AuditEntry.record_type == "training_attendance"))
        assert entry is not None and entry.actor_name == f"signin:{window.id}"
        opened_entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "signin_open"))
        assert opened_entry is not None and opened_entry.actor_name == "tr_trainer"
        assert "secret" not in (opened_entry.after or {})


def test_the_code_rotates_and_the_previous_one_lasts_a_few_seconds(world: World) -> None:
    window = opened(world)
    step = int(NOW.timestamp()) // signin.CODE_SECONDS
    start = dt.datetime.fromtimestamp((step + 2) * signin.CODE_SECONDS, tz=dt.UTC)
    old = signin.code_at(window, step + 1)
    assert signin.code_ok(window, old, start + dt.timedelta(seconds=5))  # just rotated: still good
    assert not signin.code_ok(window, old, start + dt.timedelta(seconds=signin.GRACE_SECONDS + 1))
    assert signin.code_ok(window, signin.code_at(window, step + 2), start + dt.timedelta(seconds=25))
    later = start + dt.timedelta(seconds=signin.GRACE_SECONDS + 1)
    assert attempt(world, window, later, "甲", "1111", code=old) == "bad_code:协管员培训第一期"
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(TrainingAttendance)) == 0


def test_a_non_match_is_queued_and_told_only_to_see_the_trainer(world: World) -> None:
    window = opened(world)
    # 乙 has no phone on the roster; 丁 is nobody; 甲 with a wrong tail: all read the same
    outcomes = {
        attempt(world, window, at(60 + n), name, tail, client=f"c{n}")
        for n, (name, tail) in enumerate([("乙", "2222"), ("丁", "3333"), ("甲", "9999")])
    }
    assert outcomes == {"see_trainer:协管员培训第一期"}
    with transaction(world.engine) as s:
        waiting = signin.walkins(s, world.trainer, world.run)
        assert [(w.person_name, w.phone_tail) for w in waiting] == [("乙", "2222"), ("丁", "3333"), ("甲", "9999")]
        with pytest.raises(PermissionDenied):
            signin.walkins(s, world.t1_trainer, world.run)
    with transaction(world.engine) as s:
        enrolment = signin.accept_walkin(s, world.trainer, waiting[1].id, world.tree["t2"], "informant")
        signin.reject_walkin(s, world.trainer, waiting[2].id)
    with transaction(world.engine) as s:
        assert s.get(TrainingEnrolment, enrolment.id).person_name == "丁"
        mark = s.scalar(select(TrainingAttendance).where(TrainingAttendance.enrolment_id == enrolment.id))
        assert mark is not None and mark.status == "present" and mark.half_day == AM1
        assert [w.person_name for w in signin.walkins(s, world.trainer, world.run)] == ["乙"]
        assert s.scalar(select(func.count()).where(TrainingWalkin.status == "rejected")) == 1


def test_the_window_closes_itself_and_an_unknown_window_reads_the_same(world: World) -> None:
    window = opened(world, minutes=10)
    assert attempt(world, window, at(11 * 60), "甲", "1111") == "closed:"
    assert attempt(world, window, NOW - dt.timedelta(seconds=1), "甲", "1111") == "closed:"
    with transaction(world.engine) as s:
        assert signin.signin(s, 9999, "000000", "甲", "1111", "x", now=at(60)).result == "closed"
        assert signin.title_of(s, window.id, at(11 * 60)) is None
    with transaction(world.engine) as s:
        signin.close_window(s, world.trainer, window.id, now=at(120))
    assert attempt(world, window, at(180), "甲", "1111") == "closed:"
    # reopening for the afternoon closes nothing else and works again
    with transaction(world.engine) as s:
        afternoon = signin.open_window(s, world.trainer, world.run, PM1, 15, now=at(200))
    assert attempt(world, afternoon, at(230), "甲", "1111") == "signed_in:协管员培训第一期"


def test_attempts_are_rate_limited_per_client(world: World) -> None:
    window = opened(world)
    results = [attempt(world, window, at(60 + n), "丁", "0000", code="wrong") for n in range(signin.CLIENT_LIMIT[0])]
    assert all(r.startswith(("bad_code", "see_trainer")) for r in results)
    assert attempt(world, window, at(70), "甲", "1111") == "too_many:协管员培训第一期"  # even the right person
    assert attempt(world, window, at(70), "甲", "1111", client="phone-2") == "signed_in:协管员培训第一期"
    assert attempt(world, window, at(60 + 5 * 60 + 1), "甲", "1111") == "signed_in:协管员培训第一期"  # later


def test_only_who_runs_the_session_opens_a_window(world: World) -> None:
    with pytest.raises(PermissionDenied), transaction(world.engine) as s:
        signin.open_window(s, world.t1_trainer, world.run, AM1, 15, now=NOW)
    with pytest.raises(PermissionDenied), transaction(world.engine) as s:
        signin.open_window(s, world.t1_staff, world.run, AM1, 15, now=NOW)
