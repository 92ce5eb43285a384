"""One office clock: "today" is the office's date whatever the server's time zone."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.engine import transaction
from db.models import OrgUnit
from portal import clock, periods
from portal.programmes.plans import specs as plans
from portal.programmes.plans import view as pv
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[1]
# date.today(), datetime.today(), datetime.utcnow() and datetime.now() read the server's
# clock; only portal/clock.py may ask it (db/base.py's column default is an aware UTC instant).
SERVER_CLOCK = re.compile(r"\b(?:date|datetime)\.(?:today|utcnow)\(|\bdatetime\.now\(\s*\)")
ANY_NOW = re.compile(r"\bdatetime\.now\(")


def test_no_server_clock_outside_the_clock_module() -> None:
    offenders = []
    for path in [*(ROOT / "portal").rglob("*.py"), *(ROOT / "db").rglob("*.py"), ROOT / "app.py"]:
        if path == ROOT / "portal" / "clock.py":
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            allowed_now = path == ROOT / "db" / "base.py"  # utcnow(): an aware instant for column defaults
            if SERVER_CLOCK.search(line) or (ANY_NOW.search(line) and not allowed_now):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


@pytest.fixture
def server_on_utc() -> Iterator[None]:
    """The server's own clock set to UTC, as many Linux servers are."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_today_is_the_offices_date_on_a_utc_server(server_on_utc: None) -> None:
    # 23:00 UTC on 30 November is 07:00 on 1 December in Beijing: the office is in December.
    with clock.frozen(dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)):
        assert clock.today() == dt.date(2026, 12, 1)
        assert periods.this_month(clock.today()) == "2026-12"
        assert pv.board_month("2026", clock.today()) == "2026-12"
    # 01:00 UTC on the 1st is 09:00 in Beijing, the same day
    with clock.frozen(dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)):
        assert clock.today() == dt.date(2026, 12, 1)
        assert clock.local_time(clock.now()) == "2026-12-01 09:00"


def test_the_time_zone_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    instant = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)
    with clock.frozen(instant):
        monkeypatch.setenv("PORTAL_TIMEZONE", "UTC")
        assert clock.today() == dt.date(2026, 11, 30)
        monkeypatch.setenv("PORTAL_TIMEZONE", "Asia/Urumqi")  # UTC+6
        assert clock.today() == dt.date(2026, 12, 1)
        monkeypatch.setenv("PORTAL_TIMEZONE", "Not/AZone")  # a typo falls back to Beijing
        assert clock.local_time(instant, "%H:%M") == "07:00"


def test_a_report_sent_early_on_the_due_day_counts_as_on_time(
    engine: Engine, tree: dict[str, int], server_on_utc: None
) -> None:
    """The due day is judged on the office's calendar: a report sent at 07:30 Beijing time
    on its due date (23:30 UTC the day before) is on time, not a day early or late."""
    staff = make_user(engine, "clerk", "staff", tree["t1"])
    with transaction(engine) as s:
        due = plans.due_for(s, s.get_one(OrgUnit, tree["t1"]), "2026-10")
    sent = clock.at(due, 7, 30)
    assert sent.astimezone(dt.UTC).date() == due - dt.timedelta(days=1)
    with clock.frozen(sent), transaction(engine) as s:
        report = plans.submit(s, staff, tree["t1"], "2026-10")
        assert report.on_time is True and report.due_date == due
    assert clock.local_date(sent + dt.timedelta(days=1)) > due  # a day later would be late


def test_frozen_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError), clock.frozen(dt.datetime(2026, 1, 1)):
        pass
    with clock.frozen(dt.date(2026, 1, 5)) as instant:
        assert clock.today() == dt.date(2026, 1, 5) and instant.tzinfo is not None
