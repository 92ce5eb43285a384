"""Period keys: kinds, bounds, months, containing periods, elapsed shares and labels."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import periods

D = dt.date


@pytest.mark.parametrize(
    "key, kind, start, end",
    [
        ("2026-02", "month", D(2026, 2, 1), D(2026, 2, 28)),
        ("2028-02", "month", D(2028, 2, 1), D(2028, 2, 29)),
        ("2026Q4", "quarter", D(2026, 10, 1), D(2026, 12, 31)),
        ("2026H1", "half", D(2026, 1, 1), D(2026, 6, 30)),
        ("2026", "year", D(2026, 1, 1), D(2026, 12, 31)),
        ("2026T1", "term", D(2026, 2, 1), D(2026, 7, 31)),
        ("2026T2", "term", D(2026, 9, 1), D(2027, 1, 31)),
    ],
)
def test_bounds(key, kind, start, end):
    assert periods.kind(key) == kind and periods.bounds(key) == (start, end)


@pytest.mark.parametrize("bad", ["2026-13", "2026Q5", "2026H3", "26", "2026T3", "", "2026-1"])
def test_bad_keys(bad):
    assert not periods.is_key(bad)
    with pytest.raises(ValueError):
        periods.kind(bad)


def test_months_and_containing():
    assert periods.months("2026T2") == ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
    assert periods.months("2026Q1") == ["2026-01", "2026-02", "2026-03"]
    assert len(periods.months("2026")) == 12
    assert periods.containing(D(2027, 1, 15), "term") == "2026T2"
    assert periods.containing(D(2026, 8, 15), "term") == "2026T1"  # the summer holiday closes the spring term
    assert periods.containing(D(2026, 11, 23), "quarter") == "2026Q4"
    assert periods.containing(D(2026, 7, 1), "half") == "2026H2"


def test_helpers():
    today = D(2026, 3, 5)
    assert periods.this_month(today) == "2026-03"
    assert periods.last_12_months(today)[0] == "2025-04" and periods.last_12_months(today)[-1] == "2026-03"
    assert periods.year_to_date(today) == (D(2026, 1, 1), today)
    assert periods.elapsed_fraction("2026-03", D(2026, 2, 27)) == 0.0
    assert periods.elapsed_fraction("2026-03", D(2026, 3, 31)) == 1.0
    assert abs(periods.elapsed_fraction("2026", D(2026, 7, 2)) - 183 / 365) < 1e-9
    options = periods.picker_options(D(2026, 11, 23))
    assert options[:2] == ["2026-11", "2026-10"] and "2026Q4" in options and "2026T2" in options
    assert "2027" not in options and "2025" in options


@pytest.mark.parametrize(
    "key, zh, en",
    [
        ("2026-03", "2026年3月", "2026-03"),
        ("2026Q1", "2026年第1季度", "2026 Q1"),
        ("2026H2", "2026年下半年", "2026 H2"),
        ("2026T2", "2026年秋季学期", "2026 autumn term"),
        ("2026", "2026年", "2026"),
    ],
)
def test_labels(key, zh, en):
    assert periods.label(key, "zh-CN") == zh and periods.label(key, "en") == en
