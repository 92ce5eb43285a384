"""One way to write a figure, used by pages, charts, reports and exports alike, so the
same number reads the same everywhere.

Rules:
- numbers: thousands separators, whole numbers without ".0", other values to at most two
  decimals without trailing zeros; nothing reads "—";
- percentages: whole numbers, halves rounded up, except that a value short of 100 never
  reads "100%" (99.96 % of a target is not met); spreadsheets get the same whole number
  as a fraction with PERCENT_FORMAT, so Excel shows exactly what the page shows;
- quantities: the number and its unit of measure ("12次", "3 times");
- dates ISO (2026-03-24); instants on the office's wall clock (portal.clock).
"""

from __future__ import annotations

import datetime as dt
import math

from portal import clock

DASH = "—"
PERCENT_FORMAT = "0%"  # the spreadsheet number format matching pct()


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None) -> str:
    """1234 -> "1,234"; 2.5 -> "2.5"; 1/3 -> "0.33"; None -> "—"."""
    if value is None or _missing(value):
        return DASH
    x = float(value)
    if x.is_integer():
        return f"{int(x):,}"
    text = f"{x:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def pct_value(value: float | None) -> int | None:
    """The whole percentage shown for a value in per cent (None stays None)."""
    if value is None or _missing(value):
        return None
    shown = math.floor(value + 0.5)
    if value < 100 <= shown:
        shown = 99
    return int(shown)


def pct(value: float | None) -> str:
    """66.67 -> "67%"; 99.96 -> "99%"; None -> "—"."""
    shown = pct_value(value)
    return DASH if shown is None else f"{number(shown)}%"


def fraction(value: float | None) -> float | None:
    """The spreadsheet cell for a percentage: pct_value / 100 (format PERCENT_FORMAT)."""
    shown = pct_value(value)
    return None if shown is None else shown / 100


def rate(part: float, whole: float) -> float | None:
    """part / whole in per cent; None when there is nothing to divide by."""
    return part * 100.0 / whole if whole else None


def share(part: float | None, whole: float | None) -> str:
    """ "16 / 20", the figures behind a percentage."""
    return f"{number(part)} / {number(whole)}"


def qty(value: float | None, unit: str | None = "") -> str:
    """A quantity with its unit of measure; a Latin unit gets a space ("3 times"),
    a Chinese one none ("3次"). Nothing reads ""."""
    if value is None or _missing(value):
        return ""
    text = number(value)
    if not unit:
        return text
    return f"{text} {unit}" if unit.isascii() else f"{text}{unit}"


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return clock.local_date(value).isoformat()
    return value.isoformat()


def when(instant: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant on the office's wall clock; None reads ""."""
    return clock.local_time(instant, fmt) if instant is not None else ""
