"""Period keys: '2026-03' (month), '2026Q1', '2026H1', '2026'. Keys are what the database
stores and what the pickers pass around; labels are for people."""
from __future__ import annotations

import datetime as dt
import re

from portal.i18n import t

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
HALF_RE = re.compile(r"^(\d{4})H([12])$")
YEAR_RE = re.compile(r"^(\d{4})$")


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def kind(key: str) -> str:
    for name, regex in (("month", MONTH_RE), ("quarter", QUARTER_RE), ("half", HALF_RE),
                        ("year", YEAR_RE)):
        if regex.match(key):
            return name
    raise ValueError(f"not a period key: {key!r}")


def bounds(key: str) -> tuple[dt.date, dt.date]:
    """First and last day of the period."""
    k = kind(key)
    year = int(key[:4])
    if k == "month":
        first_month, months = int(key[5:7]), 1
    elif k == "quarter":
        first_month, months = 3 * (int(key[5]) - 1) + 1, 3
    elif k == "half":
        first_month, months = 6 * (int(key[5]) - 1) + 1, 6
    else:
        first_month, months = 1, 12
    start = dt.date(year, first_month, 1)
    end_month = first_month + months
    end = dt.date(year + (end_month > 12), (end_month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def label(key: str, lang: str) -> str:
    k = kind(key)
    year = int(key[:4])
    if k == "month":
        return t("period.month", lang, year=year, month=int(key[5:7]))
    if k == "quarter":
        return t("period.quarter", lang, year=year, n=int(key[5]))
    if k == "half":
        return t(f"period.half{key[5]}", lang, year=year)
    return t("period.year", lang, year=year)


def picker_options(today: dt.date) -> list[str]:
    """This year and last: months newest first, then quarters, halves and years."""
    keys: list[str] = []
    for year in (today.year, today.year - 1):
        last = today.month if year == today.year else 12
        keys += [f"{year}-{m:02d}" for m in range(last, 0, -1)]
    for year in (today.year, today.year - 1):
        keys += [f"{year}Q{q}" for q in range(4, 0, -1) if bounds(f"{year}Q{q}")[0] <= today]
        keys += [f"{year}H{h}" for h in (2, 1) if bounds(f"{year}H{h}")[0] <= today]
        keys.append(str(year))
    return keys
