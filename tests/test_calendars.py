"""Working days, deadline rules and theme days: around National Day and Spring Festival
2026, and in 2027, which the holiday library does not cover (fallback)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.engine import transaction
from db.models import ThemeDay
from portal.errors import ValidationError
from portal.org import themedays
from portal.org.calendars import CalendarDaySpec, RecordedDay, WorkCalendar, due_date, load_calendar
from portal.org.scope import SYSTEM
from portal.records import service as rs

D = dt.date
CAL = WorkCalendar()


@pytest.mark.parametrize(
    "day, workday",
    [
        (D(2026, 10, 1), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday make-up working day (调休)
        (D(2026, 9, 20), True),  # Sunday make-up before National Day
        (D(2026, 2, 14), True),  # Saturday make-up before Spring Festival
        (D(2026, 2, 16), False),
        (D(2026, 2, 23), False),
        (D(2026, 2, 24), True),
        (D(2026, 11, 23), True),
        (D(2026, 11, 22), False),
        (D(2027, 1, 1), False),  # fallback still knows New Year's Day
        (D(2027, 1, 4), True),
        (D(2027, 1, 9), False),
        (D(2027, 10, 2), False),
    ],
)
def test_working_days(day, workday):
    assert CAL.is_workday(day) is workday


@pytest.mark.parametrize(
    "month, rule, due",
    [
        ("2026-09", "workday:5", D(2026, 10, 13)),  # Oct 8, 9, 10 (Sat), 12, 13
        ("2026-01", "workday:5", D(2026, 2, 6)),
        ("2026-02", "workday:5", D(2026, 3, 6)),  # Spring Festival is over by March
        ("2026-09", "workday:1", D(2026, 10, 8)),
        ("2026-12", "workday:5", D(2027, 1, 8)),  # 2027: Monday-Friday fallback, 1 Jan off
        ("2026-10", "day:2", D(2026, 11, 2)),
        ("2026-10", "month_end", D(2026, 10, 31)),
        ("2026-02", "month_end", D(2026, 2, 28)),
    ],
)
def test_due_dates(month, rule, due):
    assert due_date(CAL, month, rule) == due


def test_recorded_days_override_the_fallback():
    cal = WorkCalendar.with_days(
        [RecordedDay(D(2027, 1, 4), False, "元旦调休"), RecordedDay(D(2027, 1, 9), True, "调休上班")]
    )
    assert due_date(cal, "2026-12") == D(2027, 1, 9)  # Jan 5, 6, 7, 8, 9
    assert cal.holiday_name(D(2027, 1, 4)) == "元旦调休"
    assert cal.workdays_between(D(2027, 1, 1), D(2027, 1, 10)) == 5
    assert cal.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert not WorkCalendar.library_covers(2027) and WorkCalendar.library_covers(2026)


def test_bad_rule_is_refused_by_the_form_and_read_as_the_default():
    from portal.org.calendars import DEFAULT_DUE_RULE, valid_rule

    assert not valid_rule("every other tuesday")
    # a stored one (written before the check) must not break a page: the default applies
    assert due_date(CAL, "2026-10", "every other tuesday") == due_date(CAL, "2026-10", DEFAULT_DUE_RULE)


def rule(code):
    return next(r for r in themedays.BUILTIN if r.code == code)


@pytest.mark.parametrize(
    "code, year, start, end",
    [
        ("asthma_day", 2026, D(2026, 5, 5), D(2026, 5, 5)),  # first Tuesday of May, not "5.3"
        ("asthma_day", 2027, D(2027, 5, 4), D(2027, 5, 4)),
        ("mothers_day", 2026, D(2026, 5, 10), D(2026, 5, 10)),
        ("mothers_day", 2027, D(2027, 5, 9), D(2027, 5, 9)),
        ("tb_day", 2027, D(2027, 3, 24), D(2027, 3, 24)),
        ("teeth_day", 2026, D(2026, 9, 20), D(2026, 9, 20)),
        ("leprosy_day", 2027, D(2027, 1, 31), D(2027, 1, 31)),  # last Sunday of January
        ("patriotic_health_month", 2026, D(2026, 4, 1), D(2026, 4, 30)),
        ("cancer_week", 2026, D(2026, 4, 15), D(2026, 4, 21)),
        ("myopia_week", 2026, D(2026, 9, 21), D(2026, 9, 27)),
    ],
)
def test_theme_day_rules(code, year, start, end):
    assert themedays.occurrence(rule(code), year) == (start, end)


def test_seed_days_are_flagged_with_their_source():
    seeds = {r.code for r in themedays.BUILTIN if r.in_seed}
    assert {"tb_day", "no_tobacco_day", "teeth_day", "asthma_day", "aids_day"} <= seeds
    assert "water_day" not in seeds
    assert all(r.seed_ref for r in themedays.BUILTIN if r.in_seed)
    assert len({r.code for r in themedays.BUILTIN}) == len(themedays.BUILTIN)


def test_upcoming_sixty_days():
    items = themedays.upcoming(list(themedays.BUILTIN), D(2026, 11, 23), 60)
    assert [(s, r.code) for s, _, r in items] == [
        (D(2026, 12, 1), "aids_day"),
        (D(2026, 12, 3), "disability_day"),
        (D(2026, 12, 4), "law_day"),
    ]
    march = themedays.upcoming(list(themedays.BUILTIN), D(2027, 3, 20), 10)
    assert [r.code for _, _, r in march][:2] == ["water_day", "tb_day"]
    # a month-long campaign under way is listed
    assert "patriotic_health_month" in [
        r.code for _, _, r in themedays.upcoming(list(themedays.BUILTIN), D(2026, 4, 20), 5)
    ]


def test_builtin_theme_days_load_once_and_stay_editable(engine):
    with transaction(engine) as s:
        assert themedays.ensure_builtin(s) == len(themedays.BUILTIN)
    with transaction(engine) as s:
        assert themedays.ensure_builtin(s) == 0
        tb = s.scalar(select(ThemeDay).where(ThemeDay.code == "tb_day"))
        rs.update(s, SYSTEM, themedays.ThemeDaySpec, tb.id, {"topics_zh": "结核病、耐药结核"}, tb.version)
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(ThemeDay)) == len(themedays.BUILTIN)
        assert s.scalar(select(ThemeDay.topics_zh).where(ThemeDay.code == "tb_day")) == "结核病、耐药结核"
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        rs.create(
            s,
            SYSTEM,
            themedays.ThemeDaySpec,
            {"code": "local_day", "name_zh": "本地日", "name_en": "Local", "rule": "fixed", "month": 2},
        )
    assert info.value.errors[0].field == "day"


def test_recorded_days_come_from_the_database(engine):
    with transaction(engine) as s:
        rs.create(s, SYSTEM, CalendarDaySpec, {"day": "2027-01-04", "workday": "否", "name_zh": "元旦调休"})
    with transaction(engine) as s:
        assert due_date(load_calendar(s), "2026-12") == D(2027, 1, 11)
