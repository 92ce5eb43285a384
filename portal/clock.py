"""One clock: "today" and "now" as the office sees them.

The office's time zone is a setting (``PORTAL_TIMEZONE``, default Asia/Shanghai), not the
server's: a server kept on UTC must not show a Beijing office yesterday's month until
08:00. Every module asks here; a test fails if ``date.today()`` or a naive
``datetime.now()`` appears anywhere else in portal/ or db/.

Tests move the clock with ``frozen(...)``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"
_frozen: dt.datetime | None = None


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def office_zone() -> ZoneInfo:
    """The office's time zone; an unknown name in the setting falls back to the default."""
    name = os.environ.get("PORTAL_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return _zone(DEFAULT_TIMEZONE)


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC)."""
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC)


def local(instant: dt.datetime | None = None) -> dt.datetime:
    """An instant (default: now) on the office's wall clock."""
    value = instant if instant is not None else now()
    if value.tzinfo is None:
        raise ValueError("naive datetime: the clock only converts aware instants")
    return value.astimezone(office_zone())


def today() -> dt.date:
    """The office's date."""
    return local().date()


def local_date(instant: dt.datetime) -> dt.date:
    """The office's date at an instant (when a report was submitted, say)."""
    return local(instant).date()


def local_time(instant: dt.datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as the office's wall-clock time."""
    return local(instant).strftime(fmt)


def at(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    """The instant of an office wall-clock time on a day (e.g. 18:00 on a due date)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=office_zone()).astimezone(dt.UTC)


@contextmanager
def frozen(instant: dt.datetime | dt.date) -> Iterator[dt.datetime]:
    """Stop the clock at an instant (a date means 10:00 in the office that day)."""
    global _frozen
    if not isinstance(instant, dt.datetime):
        instant = at(instant, 10)
    if instant.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime or a date")
    saved, _frozen = _frozen, instant.astimezone(dt.UTC)
    try:
        yield _frozen
    finally:
        _frozen = saved
