"""Password guessing (issue 8): the change-password form counts towards the lockout (3),
parallel wrong passwords are counted atomically and lock the account (9), and an unknown
name is throttled and answered exactly like a real one (14)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from db.engine import transaction
from db.models import AuditEntry, User
from portal.errors import PortalError, ValidationError
from portal.org import auth, users
from tests.conftest import make_user


def audit_count(engine: Engine, action: str) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


def state(engine: Engine, username: str) -> tuple[int, dt.datetime | None, int]:
    with transaction(engine) as s:
        user = s.scalar(select(User).where(User.username == username))
        return user.failed_attempts, user.locked_until, user.version


# --------------------------------------------------------------------------- 3. /account


def test_wrong_current_passwords_count_towards_the_lockout_and_are_audited(engine, tree):
    erin = make_user(engine, "erin", "staff", tree["t1"], password="right-password")
    for attempt in range(1, auth.MAX_FAILED_ATTEMPTS):
        with pytest.raises(ValidationError) as info, transaction(engine) as s:
            users.change_own_password(s, erin, "guess", "new-password-1", "new-password-1")
        assert info.value.errors[0].field == "current_password"
        assert state(engine, "erin")[0] == attempt  # kept, although the change was refused
    assert audit_count(engine, "password_failed") == auth.MAX_FAILED_ATTEMPTS - 1
    with pytest.raises(PortalError) as locked, transaction(engine) as s:
        users.change_own_password(s, erin, "guess", "new-password-1", "new-password-1")
    assert locked.value.key == "login.locked"
    assert state(engine, "erin")[1] is not None
    assert audit_count(engine, "locked") == 1
    with transaction(engine) as s:  # the lock is the login's: the right password waits too
        assert auth.authenticate(s, "erin", "right-password").reason == "locked"
    with pytest.raises(PortalError), transaction(engine) as s:
        users.change_own_password(s, erin, "right-password", "new-password-1", "new-password-1")


def test_a_login_failure_and_a_form_failure_share_one_count(engine, tree):
    fay = make_user(engine, "fay", "staff", tree["t1"], password="right-password")
    for _ in range(2):
        with transaction(engine) as s:
            auth.authenticate(s, "fay", "wrong")
    for _ in range(2):
        with pytest.raises(ValidationError), transaction(engine) as s:
            users.change_own_password(s, fay, "wrong", "new-password-1", "new-password-1")
    assert state(engine, "fay")[0] == 4


# --------------------------------------------------------------------------- 9. in parallel


def race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) in n threads released together; what each returned or raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def attempt(engine: Engine, username: str, password: str) -> str:
    with transaction(engine) as s:
        return auth.authenticate(s, username, password).reason


def test_parallel_wrong_passwords_are_all_counted_and_lock_the_account(engine, tree):
    make_user(engine, "gus", "staff", tree["t1"], password="right-password")
    _, _, version = state(engine, "gus")
    outcomes: Counter[str] = Counter()
    for _round in range(3):
        results = race(8, lambda i: attempt(engine, "gus", f"wrong-{i}"))
        assert not [r for r in results if isinstance(r, Exception)], results
        outcomes.update(results)
    assert outcomes["locked"] >= 1
    _failed, locked_until, after = state(engine, "gus")
    assert locked_until is not None and locked_until > dt.datetime.now(dt.UTC)
    assert after == version  # counting is not an edit of the account: no version check to lose
    assert audit_count(engine, "login_failed") + audit_count(engine, "locked") == outcomes["bad_credentials"] + 1


def test_a_real_user_racing_the_guesses_never_sees_an_error(engine, tree):
    make_user(engine, "hal", "staff", tree["t1"], password="right-password")

    def work(i: int) -> str:
        return attempt(engine, "hal", "right-password" if i % 4 == 0 else f"wrong-{i}")

    results = race(8, work) + race(8, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert set(results) <= {"ok", "bad_credentials", "locked"}


def test_parallel_successful_logins_of_one_user_all_succeed(engine, tree):
    make_user(engine, "ivy", "staff", tree["t1"], password="right-password")
    results = race(6, lambda i: attempt(engine, "ivy", "right-password"))
    assert results == ["ok"] * 6


# --------------------------------------------------------------------------- 14. unknown names


@pytest.fixture
def test_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unknown names are checked at the test accounts' bcrypt cost."""
    monkeypatch.setattr(auth, "DUMMY_ROUNDS", 4)


def test_an_unknown_name_costs_what_a_real_password_check_costs():
    assert auth.DUMMY_ROUNDS == users._HASH_ROUNDS.get() == 12  # the product cost of every account
    assert auth._dummy_hash(4).startswith("$2b$04$")


def test_an_unknown_name_is_throttled_and_answered_like_a_real_one(engine, tree, test_cost):
    make_user(engine, "jan", "staff", tree["t1"], password="right-password")
    now = dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC)
    real, ghost = [], []
    for _ in range(auth.MAX_FAILED_ATTEMPTS + 1):
        with transaction(engine) as s:
            real.append(auth.authenticate(s, "jan", "wrong", now))
            ghost.append(auth.authenticate(s, "nobody-here", "wrong", now))
    assert [r.reason for r in real] == [r.reason for r in ghost]
    assert [r.locked_until for r in real] == [r.locked_until for r in ghost]
    assert ghost[-1].reason == "locked" and ghost[-1].user is None
    later = now + dt.timedelta(minutes=auth.LOCK_MINUTES, seconds=1)
    with transaction(engine) as s:  # the throttle ends when a real lock would
        assert auth.authenticate(s, "nobody-here", "wrong", later).reason == "bad_credentials"


def test_the_throttle_of_unknown_names_is_shared_through_the_database(engine, tree, test_cost):
    now = dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC)
    results = race(auth.MAX_FAILED_ATTEMPTS, lambda i: attempt_at(engine, "ghost", now))
    assert not [r for r in results if isinstance(r, Exception)], results
    with transaction(engine) as s:  # another process, another session: still locked
        assert auth.authenticate(s, "GHOST ", "x", now).reason == "locked"


def attempt_at(engine: Engine, username: str, now: dt.datetime) -> str:
    with transaction(engine) as s:
        return auth.authenticate(s, username, "wrong", now).reason
