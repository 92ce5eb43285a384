"""One formatter for figures: what pages, charts, reports and exports all print."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import clock, formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (float("nan"), "—"), (0, "0"), (1234, "1,234"), (2.0, "2"), (2.5, "2.5"), (1 / 3, "0.33")],
)
def test_number(value: float | None, text: str) -> None:
    assert formatting.number(value) == text


@pytest.mark.parametrize(
    ("value", "text", "cell"),
    [
        (None, "—", None),
        (0, "0%", 0.0),
        (66.666, "67%", 0.67),
        (99.5, "99%", 0.99),
        (99.96, "99%", 0.99),
        (100, "100%", 1.0),
        (104.2, "104%", 1.04),
        (12.5, "13%", 0.13),
    ],
)
def test_pct_and_its_spreadsheet_cell_agree(value: float | None, text: str, cell: float | None) -> None:
    assert formatting.pct(value) == text
    assert formatting.fraction(value) == cell


def test_quantities_dates_and_times() -> None:
    assert formatting.qty(12, "次") == "12次" and formatting.qty(3, "times") == "3 times"
    assert formatting.qty(None, "次") == "" and formatting.qty(1500.5, "") == "1,500.5"
    assert formatting.share(16, 20) == "16 / 20" and formatting.rate(1, 0) is None
    assert formatting.date(dt.date(2026, 3, 24)) == "2026-03-24" and formatting.date(None) == ""
    instant = dt.datetime(2026, 3, 23, 17, 30, tzinfo=dt.UTC)  # 01:30 on the 24th in Beijing
    assert formatting.date(instant) == "2026-03-24" and formatting.when(instant) == "2026-03-24 01:30"
    with clock.frozen(instant):
        assert formatting.when(clock.now(), "%H:%M") == "01:30"
