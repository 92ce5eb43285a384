"""Chinese working days and deadline rules.

Official holidays and make-up working days (调休) come from the chinesecalendar library
for the years it covers; beyond them (it stops at 2026) the calendar falls back to
Monday-Friday less the fixed-date statutory holidays, corrected by the holidays and
make-up days an admin records. Recorded days
always win, so a late State Council notice can be entered before the library catches up.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, cast

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CalendarDay
from portal import cache
from portal.records.fields import Field
from portal.records.spec import ALL, Permissions, RecordSpec

ONE_DAY = dt.timedelta(days=1)
# Statutory holidays whose solar dates never move (元旦, 劳动节, 国庆). In years the library
# does not cover they are still known; the lunar ones must be recorded by an admin.
FIXED_HOLIDAYS = {
    (1, 1): "New Year's Day",
    (5, 1): "Labour Day",
    (10, 1): "National Day",
    (10, 2): "National Day",
    (10, 3): "National Day",
}


@dataclass(frozen=True)
class RecordedDay:
    day: dt.date
    workday: bool  # True: a make-up working day; False: a holiday
    name: str = ""


@dataclass
class WorkCalendar:
    recorded: dict[dt.date, RecordedDay] = field(default_factory=dict)

    @classmethod
    def with_days(cls, days: Iterable[RecordedDay]) -> WorkCalendar:
        return cls({d.day: d for d in days})

    @staticmethod
    def library_covers(year: int) -> bool:
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: dt.date) -> bool:
        if day in self.recorded:
            return self.recorded[day].workday
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the library does not know yet
            return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS

    def holiday_name(self, day: dt.date) -> str | None:
        if day in self.recorded and not self.recorded[day].workday:
            return self.recorded[day].name or None
        try:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return FIXED_HOLIDAYS.get((day.month, day.day))
        return name if is_holiday and name else None

    def nth_workday(self, year: int, month: int, n: int) -> dt.date:
        """The n-th working day of a month (n >= 1)."""
        day = dt.date(year, month, 1)
        seen = 0
        while True:
            if self.is_workday(day):
                seen += 1
                if seen == n:
                    return day
            day += ONE_DAY
            if day.month != month:
                raise ValueError(f"{year}-{month:02d} has fewer than {n} working days")

    def nth_workday_or_last(self, year: int, month: int, n: int) -> dt.date:
        """The n-th working day of a month; its last working day when it has fewer (its
        last day when it has none)."""
        day = dt.date(year, month, 1)
        found = None
        seen = 0
        while day.month == month:
            if self.is_workday(day):
                seen += 1
                found = day
                if seen == n:
                    return day
            day += ONE_DAY
        return found or day - ONE_DAY

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after start (start itself does not count)."""
        day, left = start, n
        while left > 0:
            day += ONE_DAY
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in [start, end]."""
        count, day = 0, start
        while day <= end:
            count += self.is_workday(day)
            day += ONE_DAY
        return count


# Deadline rules, as stored per unit: "workday:5" = the 5th working day of the next month
# (002 篇二 "次月初5个工作日内"), "day:2" = the 2nd of the next month (001 篇四 "2日前"),
# "month_end" = the last day of the period's own month (001 篇四 "每月30日").
RULE_RE = re.compile(r"^(workday:(?P<n>[1-9]\d?)|day:(?P<d>[1-9]\d?)|month_end)$")
DEFAULT_DUE_RULE = "workday:5"
# A rule must be one every month can meet. day:N stops at 28 (February); the last day is
# month_end's job. The fewest working days a month has had is 16 (February 2011, 2022 and
# 2026, Spring Festival), so workday:N stops at 15, one recorded holiday to spare.
MAX_DAY_RULE = 28
MAX_WORKDAY_RULE = 15
log = logging.getLogger("portal.org.calendars")
_warned: set[str] = set()
_DEFAULT_MATCH = cast(re.Match[str], RULE_RE.match(DEFAULT_DUE_RULE))


def valid_rule(rule: str) -> bool:
    """A rule the form accepts: well formed and met by every month."""
    match = RULE_RE.match(rule or "")
    if not match:
        return False
    if match.group("n"):
        return int(match.group("n")) <= MAX_WORKDAY_RULE
    if match.group("d"):
        return int(match.group("d")) <= MAX_DAY_RULE
    return True


def due_date(calendar: WorkCalendar, month_key: str, rule: str | None = DEFAULT_DUE_RULE) -> dt.date:
    """When a month's report is due under a rule (see RULE_RE). Never raises for a stored
    rule, however it got there: day:N is clamped to the month's last day, workday:N falls
    back to the month's last working day (or its last day), and an unreadable rule reads
    as the default (logged once)."""
    match = RULE_RE.match(rule or "") or _DEFAULT_MATCH
    if match is _DEFAULT_MATCH and rule and rule not in _warned:
        _warned.add(rule)
        log.warning("unreadable due rule %r; using %s", rule, DEFAULT_DUE_RULE)
    year, month = int(month_key[:4]), int(month_key[5:7])
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    last = dt.date(next_year + (next_month == 12), next_month % 12 + 1, 1) - ONE_DAY
    if match.group(0) == "month_end":
        return dt.date(next_year, next_month, 1) - ONE_DAY
    if match.group("n"):
        return calendar.nth_workday_or_last(next_year, next_month, int(match.group("n")))
    return min(dt.date(next_year, next_month, 1) + dt.timedelta(days=int(match.group("d")) - 1), last)


def load_calendar(session: Session) -> WorkCalendar:
    """The working-day calendar with the days admins recorded (read once per rerun)."""

    def load() -> WorkCalendar:
        rows = session.execute(
            select(CalendarDay.day, CalendarDay.workday, CalendarDay.name_zh).where(CalendarDay.deleted_at.is_(None))
        )
        return WorkCalendar.with_days(RecordedDay(day, workday, name) for day, workday, name in rows)

    return cache.memo("calendar", load)


class CalendarDaySpec(RecordSpec):
    """Holidays and make-up working days recorded by admins (调休安排)."""

    slug = "calendar_days"
    model = CalendarDay
    title_zh, title_en = "节假日与调休", "Holidays and make-up days"
    org_field = None
    fields = (
        Field("day", "date", "日期", "Date", required=True),
        Field(
            "workday",
            "bool",
            "上班",
            "Working day",
            required=True,
            help_zh="勾选表示调休上班日；不勾选表示放假",
            help_en="Ticked: a make-up working day; unticked: a holiday",
        ),
        Field("name_zh", "text", "名称", "Name", required=True, max_length=120, aliases=("节日",)),
        Field("name_en", "text", "英文名称", "English name", max_length=120, default=""),
    )
    list_display = ("day", "workday", "name_zh")
    list_filter = ("day", "workday")
    search_fields = ("name_zh", "name_en")
    ordering = ("-day",)
    natural_key = ("day",)
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": frozenset({"admin"}),
        "edit": frozenset({"admin"}),
        "delete": frozenset({"admin"}),
        "export": ALL,
        "import": frozenset({"admin"}),
        "revert": frozenset({"admin"}),
    }
