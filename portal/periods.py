"""Period keys: '2026-03' (month), '2026Q1', '2026H1', '2026', and school terms '2026T1'
(spring term, February-July) and '2026T2' (autumn term, September-January). Keys are
what the database stores and what the pickers pass around; labels are for people."""

from __future__ import annotations

import datetime as dt
import re

from portal.errors import FieldError
from portal.i18n import t

# The window every date and period must fall in (forms, imports, the CLI, reports): wide
# enough for any real plan, narrow enough that "9999-12" or "0001-01" is a typo, not a
# month whose neighbours overflow the calendar.
FIRST_YEAR, LAST_YEAR = 2000, 2100
FIRST_DAY, LAST_DAY = dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
HALF_RE = re.compile(r"^(\d{4})H([12])$")
YEAR_RE = re.compile(r"^(\d{4})$")
TERM_RE = re.compile(r"^(\d{4})T([12])$")
KINDS = ("month", "quarter", "half", "year", "term")
# first month and length in months; an autumn term runs into the next January
_SHAPES = {"quarter": 3, "half": 6}
_TERMS = {"1": (2, 6), "2": (9, 5)}


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shape(key: str | None) -> str | None:
    """The kind of period a key is written as, whatever its year (None: not a key)."""
    for name, regex in (
        ("month", MONTH_RE),
        ("quarter", QUARTER_RE),
        ("half", HALF_RE),
        ("year", YEAR_RE),
        ("term", TERM_RE),
    ):
        if regex.match(key or ""):
            return name
    return None


def kind(key: str | None) -> str:
    """The kind of a period key inside the window (FIRST_YEAR to LAST_YEAR)."""
    found = shape(key)
    if found is None or not FIRST_YEAR <= int((key or "")[:4]) <= LAST_YEAR:
        raise ValueError(f"not a period key: {key!r}")
    return found


def is_key(key: str, of_kind: str | None = None) -> bool:
    try:
        found = kind(key)
    except ValueError:
        return False
    return of_kind is None or found == of_kind


def key_error(field: str, value: object, of_kind: str | None = None) -> FieldError | None:
    """A field's period key: None when valid, else the error naming why (written wrong,
    or a year outside the window)."""
    text = value if isinstance(value, str) else ""
    if is_key(text, of_kind):
        return None
    written = shape(text)
    if written is not None and (of_kind is None or written == of_kind):
        low, high = (f"{FIRST_YEAR}-01", f"{LAST_YEAR}-12") if written == "month" else (FIRST_YEAR, LAST_YEAR)
        return FieldError(field, "validation.period_window", {"min": low, "max": high})
    return FieldError(field, "validation.month" if of_kind == "month" else "validation.period", {"value": value})


def window_text(of_kind: str | None, lang: str) -> str:
    """The window as a message says it (CLI, reports)."""
    if of_kind == "month":
        return t("validation.period_window", lang, min=f"{FIRST_YEAR}-01", max=f"{LAST_YEAR}-12")
    return t("validation.period_window", lang, min=FIRST_YEAR, max=LAST_YEAR)


def _first_month_and_length(key: str) -> tuple[int, int, int]:
    k, year = kind(key), int(key[:4])
    if k == "month":
        return year, int(key[5:7]), 1
    if k in _SHAPES:
        n = int(key[5])
        return year, _SHAPES[k] * (n - 1) + 1, _SHAPES[k]
    if k == "term":
        first, length = _TERMS[key[5]]
        return year, first, length
    return year, 1, 12


def bounds(key: str) -> tuple[dt.date, dt.date]:
    """First and last day of the period."""
    year, first_month, months = _first_month_and_length(key)
    start = dt.date(year, first_month, 1)
    end_index = first_month - 1 + months  # months since January of `year`, exclusive end
    end = dt.date(year + end_index // 12, end_index % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def months(key: str) -> list[str]:
    """The month keys a period spans, in order."""
    year, first_month, length = _first_month_and_length(key)
    out = []
    for i in range(length):
        index = first_month - 1 + i
        out.append(f"{year + index // 12:04d}-{index % 12 + 1:02d}")
    return out


def containing(day: dt.date, of_kind: str) -> str:
    """The key of the period of a kind that contains the day."""
    if of_kind == "month":
        return month_key(day)
    if of_kind == "quarter":
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    if of_kind == "half":
        return f"{day.year}H{1 if day.month <= 6 else 2}"
    if of_kind == "year":
        return str(day.year)
    if of_kind == "term":
        if day.month == 1:
            return f"{day.year - 1}T2"
        return f"{day.year}T1" if day.month <= 8 else f"{day.year}T2"
    raise ValueError(f"unknown period kind {of_kind!r}")


def this_month(today: dt.date) -> str:
    return month_key(today)


def last_12_months(today: dt.date) -> list[str]:
    """The twelve month keys ending with this month, oldest first."""
    keys = []
    year, month = today.year, today.month
    for _ in range(12):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return keys[::-1]


def year_to_date(today: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(today.year, 1, 1), today


def elapsed_fraction(key: str, today: dt.date) -> float:
    """How much of the period has passed by the end of today (0 before, 1 after)."""
    start, end = bounds(key)
    if today < start:
        return 0.0
    if today >= end:
        return 1.0
    return ((today - start).days + 1) / ((end - start).days + 1)


def label(key: str, lang: str) -> str:
    k = kind(key)
    year = int(key[:4])
    if k == "month":
        return t("period.month", lang, year=year, month=int(key[5:7]))
    if k == "quarter":
        return t("period.quarter", lang, year=year, n=int(key[5]))
    if k == "half":
        return t(f"period.half{key[5]}", lang, year=year)
    if k == "term":
        return t(f"period.term{key[5]}", lang, year=year)
    return t("period.year", lang, year=year)


def picker_options(today: dt.date) -> list[str]:
    """This year and last: months newest first, then quarters, halves, terms and years."""
    keys: list[str] = []
    for year in (today.year, today.year - 1):
        last = today.month if year == today.year else 12
        keys += [f"{year}-{m:02d}" for m in range(last, 0, -1)]
    for year in (today.year, today.year - 1):
        keys += [f"{year}Q{q}" for q in range(4, 0, -1) if bounds(f"{year}Q{q}")[0] <= today]
        keys += [f"{year}H{h}" for h in (2, 1) if bounds(f"{year}H{h}")[0] <= today]
        keys += [f"{year}T{n}" for n in (2, 1) if bounds(f"{year}T{n}")[0] <= today]
        keys.append(str(year))
    return keys
