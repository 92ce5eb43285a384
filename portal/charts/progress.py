"""Progress charts: pure functions from plain rows to Altair charts (no Streamlit here).

The progress service hands over plain dicts shaped like the TypedDicts below; each chart
function returns a layered chart (``LayeredChart``) that a page shows with ``st.altair_chart``. Every
title, axis, legend and tooltip text comes from the message catalogues (``chart.*`` keys);
only the names (org units, indicators, milestone labels) arrive already translated.

Status values and their traffic-light colours (``STATUS_COLOURS``):

* ``met``          target reached                                   green
* ``on_track``     at or above the value expected by today          light green
* ``behind``       below the expected-by-today value                amber
* ``missed``       the period has ended below target                red
* ``not_started``  nothing recorded while something was expected    grey
* ``no_target``    the indicator has no target for this unit        light grey
* ``no_data``      nothing to measure (e.g. no reports owed yet)    pale grey, never red
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import altair as alt

from portal import formatting
from portal.i18n import t

# What alt.layer() and `+` are typed to return: a FacetChart when every layer shares a
# facet encoding. These charts never facet, but the type is altair's promise, not ours.
LayeredChart = alt.LayerChart | alt.FacetChart

# --- data contract ---------------------------------------------------------------------


class ProgressRow(TypedDict):
    """One bar of a bullet chart: an org unit (for one indicator) or an indicator.

    label       the row's name, already in the reader's language
    actual      the value recorded so far
    target      the value to reach by the period's end; None when no target is set
    expected    the value that should have been reached by today; None when unknown
    pct         actual / target * 100; None without a target (computed when missing)
    status      one of STATUSES
    unit        the unit of actual/target/expected, e.g. "次" or "%" (may be "")
    comparator  ">=" (reach at least the target) or "<=" (stay at or below it)
    """

    label: str
    actual: float
    target: float | None
    expected: float | None
    pct: float | None
    status: str
    unit: NotRequired[str]
    comparator: NotRequired[str]


class SeriesPoint(TypedDict):
    """One point of a cumulative series: the running total on that date."""

    date: dt.date
    value: float


class Milestone(TypedDict):
    """A checkpoint on the cumulative chart: the value due by a date, and its caption
    (e.g. "6月 30%"), already in the reader's language."""

    date: dt.date
    value: float
    label: str


class ScoreCell(TypedDict):
    """One cell of the scorecard: how one org unit stands on one indicator.

    unit       the org unit's name (the row)
    indicator  the indicator's name (the column)
    status     one of STATUSES
    pct        actual / target * 100; None without a target
    text       the figures to print in the cell, e.g. "16/20"
    """

    unit: str
    indicator: str
    status: str
    pct: float | None
    text: str


# --- look ------------------------------------------------------------------------------

STATUSES = ("met", "on_track", "behind", "missed", "not_started", "no_target", "no_data")
STATUS_COLOURS: dict[str, str] = {
    "met": "#2e7d32",
    "on_track": "#66bb6a",
    "behind": "#ef6c00",
    "missed": "#c62828",
    "not_started": "#9e9e9e",
    "no_target": "#cfd8dc",
    "no_data": "#eceff1",
}
# Text printed on a status-coloured cell: white only where it reads well (contrast >= 4.5).
STATUS_TEXT_COLOURS: dict[str, str] = {
    "met": "#ffffff",
    "on_track": "#1b1b1b",
    "behind": "#1b1b1b",
    "missed": "#ffffff",
    "not_started": "#1b1b1b",
    "no_target": "#37474f",
    "no_data": "#546e7a",
}
TRACK_COLOUR = "#eceff1"  # bullet background bar
TARGET_COLOUR = "#000000"  # bullet target tick, cumulative target rule
EXPECTED_COLOUR = "#607d8b"  # expected-by-today marker and line
ACTUAL_LINE_COLOUR = "#1565c0"
MILESTONE_COLOUR = "#6a1b9a"
LABEL_COLOUR = "#37474f"
NO_FRAME = alt.ViewBackground(strokeWidth=0)  # no box around the plot area
# Width is the whole chart's (Streamlit stretches it to the column); height is the plot's,
# so rows keep their pixels however tall the title, legend and axes are. (Streamlit would
# otherwise apply "fit", squeezing every row into the given height.)
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")

DEFAULT_WIDTH = 640
ROW_PX = 28  # bullet chart: pixels per row
SCORE_ROW_PX = 44  # scorecard: pixels per org unit
SCORE_COL_PX = 120  # scorecard: pixels per indicator
CHAR_PX = 7  # rough width of a digit at the label font size, to leave room


def status_label(status: str, lang: str) -> str:
    """The status in the reader's language."""
    _check_status(status)
    return t(f"chart.status.{status}", lang)


def status_legend_labels(lang: str) -> dict[str, str]:
    """Every status, in legend order, with its label in lang."""
    return {status: status_label(status, lang) for status in STATUSES}


# --- helpers ---------------------------------------------------------------------------


def _check_status(status: str) -> None:
    if status not in STATUS_COLOURS:
        raise ValueError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")


def _get(row: Any, name: str, default: Any = None) -> Any:
    """A field of a plain dict (the contract) or of an object with that attribute."""
    if isinstance(row, Mapping):
        return row.get(name, default)
    return getattr(row, name, default)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _title(title: str | None, subtitle: str | None = None) -> alt.TitleParams | str:
    if not title and not subtitle:
        return ""
    params: dict[str, Any] = {"text": title or "", "anchor": "start", "fontSize": 15}
    if subtitle:
        params.update(subtitle=subtitle, subtitleColor="#607d8b", subtitleFontSize=11)
    return alt.TitleParams(**params)


def _status_scale(statuses: Sequence[str], lang: str) -> alt.Scale:
    """Colour scale over the statuses present (in legend order), keyed by their labels."""
    present = [s for s in STATUSES if s in set(statuses)]
    return alt.Scale(domain=[status_label(s, lang) for s in present], range=[STATUS_COLOURS[s] for s in present])


def _status_legend(lang: str) -> alt.Legend:
    return alt.Legend(
        title=t("chart.status", lang),
        orient="top",
        direction="horizontal",
        symbolType="square",
        labelFontSize=12,
        titleFontSize=12,
    )


def _unique(names: Sequence[str]) -> list[str]:
    """Names made unique ("名称", "名称 (2)") so two rows never share one band."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _date_text(value: dt.date | dt.datetime | str) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def no_data_chart(lang: str, title: str | None = None, width: int = DEFAULT_WIDTH) -> LayeredChart:
    """A small placeholder reading "no data yet", for when there is nothing to draw."""
    text = (
        alt.Chart(alt.Data(values=[{"text": t("chart.no_data", lang)}]))
        .mark_text(fontSize=14, color="#78909c")
        .encode(text="text:N")
    )
    return alt.layer(text).properties(width=width, height=60, title=_title(title), view=NO_FRAME, autosize=FIT_WIDTH)


# --- 1. bullet chart -------------------------------------------------------------------


def bullet_text(actual: float | None, target: float | None, pct: float | None, comparator: str = ">=") -> str:
    """The label right of a bullet bar: "16 / 20 · 80%", or just "16" without a target."""
    if target is None:
        return formatting.number(actual)
    bound = "≤" if comparator == "<=" else ""
    return f"{formatting.number(actual)} / {bound}{formatting.number(target)} · {formatting.pct(pct)}"


def bullet_chart(
    rows: list[ProgressRow], lang: str, title: str | None = None, *, width: int = DEFAULT_WIDTH
) -> LayeredChart:
    """Horizontal bullet chart, one row per item, in the order given.

    Layers: a light track up to the target (or to the actual, when that is larger), the
    actual bar coloured by status, a black tick at the target, a thin grey tick at the
    value expected by today, and "actual / target · pct" right of it. When the rows carry
    different units the scale is the share of the target (100 = target) instead of the
    raw figures; the labels keep the raw figures.
    """
    if not rows:
        return no_data_chart(lang, title, width)
    units = {(_get(r, "unit") or "") for r in rows}
    relative = len(units) > 1
    labels = _unique([str(_get(r, "label")) for r in rows])
    records = []
    for label, row in zip(labels, rows):
        status = _get(row, "status")
        _check_status(status)
        actual = _num(_get(row, "actual")) or 0.0
        target = _num(_get(row, "target"))
        expected = _num(_get(row, "expected"))
        pct = _num(_get(row, "pct"))
        if pct is None and target:
            pct = actual / target * 100
        comparator = _get(row, "comparator") or ">="
        unit = _get(row, "unit") or ""
        if relative:  # share of target; rows without a target get no bar
            scale = (100 / target) if target else None
            x_actual = actual * scale if scale is not None else 0.0
            x_target = 100.0 if target else None
            x_expected = expected * scale if (scale is not None and expected is not None) else None
        else:
            x_actual, x_target, x_expected = actual, target, expected
        x_track = max(x_actual, x_target or 0.0)
        text = bullet_text(actual, target, pct, comparator)
        bound = "≤" if comparator == "<=" else "≥"
        records.append(
            {
                "label": label,
                "x_actual": x_actual,
                "x_zero": 0,
                "x_target": x_target,
                "x_expected": x_expected,
                "x_track": x_track,
                "x_text": max(x_track, x_expected or 0.0),
                "text": text,
                "status": status,
                "status_text": status_label(status, lang),
                "actual_text": f"{formatting.number(actual)} {unit}".strip(),
                "target_text": (f"{bound}{formatting.number(target)} {unit}".strip() if target is not None else "—"),
                "expected_text": (f"{formatting.number(expected)} {unit}".strip() if expected is not None else "—"),
                "pct_text": formatting.pct(pct),
            }
        )
    # Room right of the longest bar for its label: anchor/D*W + label_px <= W for every row.
    domain_max = 0.0
    for r in records:
        label_px = CHAR_PX * len(r["text"]) + 12
        domain_max = max(domain_max, r["x_text"] * width / max(width - label_px, width / 3))
    if domain_max <= 0:
        domain_max = 1.0
    if relative:
        x_title = t("chart.pct_of_target", lang)
    else:
        unit = next(iter(units))
        x_title = (
            t("chart.axis_with_unit", lang, label=t("chart.actual", lang), unit=unit)
            if unit
            else t("chart.actual", lang)
        )

    x_scale = alt.Scale(domain=[0, domain_max], nice=False, zero=True)
    y = alt.Y(
        "label:N",
        sort=labels,
        title=None,
        axis=alt.Axis(labelLimit=180, labelFontSize=12, ticks=False, domain=False, labelPadding=6),
    )
    tooltip = [
        alt.Tooltip("label:N", title=t("chart.item", lang)),
        alt.Tooltip("actual_text:N", title=t("chart.actual", lang)),
        alt.Tooltip("target_text:N", title=t("chart.target", lang)),
        alt.Tooltip("expected_text:N", title=t("chart.expected", lang)),
        alt.Tooltip("pct_text:N", title=t("chart.pct", lang)),
        alt.Tooltip("status_text:N", title=t("chart.status", lang)),
    ]
    base = alt.Chart().encode(y=y, tooltip=tooltip)
    track = base.mark_bar(color=TRACK_COLOUR, size=18).encode(
        x=alt.X(
            "x_track:Q",
            scale=x_scale,
            title=x_title,
            axis=alt.Axis(grid=True, gridColor="#f0f0f0", tickCount=6, labelFlush=True),
        )
    )
    status_colour = alt.Color(
        "status_text:N", legend=_status_legend(lang), scale=_status_scale([r["status"] for r in records], lang)
    )
    actual = base.mark_bar(size=10).encode(x=alt.X("x_actual:Q", scale=x_scale), color=status_colour)
    target = (
        base.mark_tick(color=TARGET_COLOUR, thickness=3, size=22)
        .encode(x=alt.X("x_target:Q", scale=x_scale))
        .transform_filter("isValid(datum.x_target)")
    )
    expected = (
        base.mark_tick(color=EXPECTED_COLOUR, thickness=1.5, size=16)
        .encode(x=alt.X("x_expected:Q", scale=x_scale))
        .transform_filter("isValid(datum.x_expected)")
    )
    # Nothing done yet: a short stub at zero still shows the row's status colour.
    stub = (
        base.mark_tick(thickness=4, size=10, xOffset=2)
        .encode(x=alt.X("x_zero:Q", scale=x_scale), color=status_colour)
        .transform_filter("datum.x_actual <= 0")
    )
    label = base.mark_text(align="left", baseline="middle", dx=6, fontSize=11, color=LABEL_COLOUR).encode(
        x=alt.X("x_text:Q", scale=x_scale), text="text:N"
    )
    return alt.layer(track, actual, stub, target, expected, label, data=alt.Data(values=records)).properties(
        width=width,
        height=ROW_PX * len(records),
        title=_title(title, t("chart.bullet_key", lang)),
        view=NO_FRAME,
        autosize=FIT_WIDTH,
    )


# --- 2. cumulative chart ---------------------------------------------------------------


def cumulative_chart(
    points: list[SeriesPoint],
    expected: list[SeriesPoint],
    milestones: list[Milestone],
    target: float | None,
    lang: str,
    title: str | None = None,
    *,
    unit: str = "",
    width: int = DEFAULT_WIDTH,
    height: int = 300,
) -> LayeredChart:
    """The running total over time: actual as a solid line with points, the expected
    pace dashed, the target as a horizontal rule with its value, milestones as diamonds
    with their captions. Dates are calendar days (drawn in UTC so no time zone shifts
    them)."""
    target = _num(target)
    if not points and not expected and not milestones and target is None:
        return no_data_chart(lang, title, width)
    actual_name, expected_name = t("chart.cumulative", lang), t("chart.expected_line", lang)
    series: list[dict[str, Any]] = [
        {
            "date": _date_text(_get(p, "date")),
            "value": float(_get(p, "value")),
            "series": actual_name,
            "value_text": formatting.number(_get(p, "value")),
        }
        for p in points
    ] + [
        {
            "date": _date_text(_get(p, "date")),
            "value": float(_get(p, "value")),
            "series": expected_name,
            "value_text": formatting.number(_get(p, "value")),
        }
        for p in expected
    ]
    marks: list[dict[str, Any]] = [
        {
            "date": _date_text(_get(m, "date")),
            "value": float(_get(m, "value")),
            "label": str(_get(m, "label")),
            "value_text": formatting.number(_get(m, "value")),
        }
        for m in milestones
    ]
    dates = [r["date"] for r in series + marks]
    values = [r["value"] for r in series + marks] + ([target] if target is not None else [])
    y_max = max([*values, 1.0]) * 1.12  # headroom for the labels above the top line

    y_title = (
        t("chart.axis_with_unit", lang, label=t("chart.cumulative", lang), unit=unit)
        if unit
        else t("chart.cumulative", lang)
    )
    x = alt.X(
        "date:T",
        timeUnit="utcyearmonthdate",
        title=None,
        axis=alt.Axis(
            format="%m-%d",
            labelAngle=0,
            grid=False,
            tickCount=12,
            labelFlush=True,
            labelOverlap="greedy",
            labelSeparation=8,
        ),
    )
    y = alt.Y(
        "value:Q",
        title=y_title,
        scale=alt.Scale(domain=[0, y_max], nice=False),
        axis=alt.Axis(grid=True, gridColor="#eeeeee", tickCount=6),
    )
    date_tip = alt.Tooltip("date:T", timeUnit="utcyearmonthdate", format="%Y-%m-%d", title=t("chart.date", lang))
    layers = []
    if series:
        base = alt.Chart(alt.Data(values=series)).encode(x=x, y=y)
        colour = alt.Color(
            "series:N",
            title=None,
            scale=alt.Scale(domain=[actual_name, expected_name], range=[ACTUAL_LINE_COLOUR, EXPECTED_COLOUR]),
            legend=alt.Legend(orient="top", direction="horizontal", labelFontSize=12, symbolStrokeWidth=2.5),
        )
        dash = alt.StrokeDash(
            "series:N", legend=None, scale=alt.Scale(domain=[actual_name, expected_name], range=[[1, 0], [6, 4]])
        )
        tips = [
            alt.Tooltip("series:N", title=t("chart.series", lang)),
            date_tip,
            alt.Tooltip("value_text:N", title=t("chart.value", lang)),
        ]
        layers.append(
            base.mark_line(strokeWidth=2.5, interpolate="linear").encode(color=colour, strokeDash=dash, tooltip=tips)
        )
        layers.append(
            base.mark_point(filled=True, size=36, color=ACTUAL_LINE_COLOUR, opacity=1)
            .encode(tooltip=tips)
            .transform_filter(alt.FieldEqualPredicate(field="series", equal=actual_name))
        )
    if target is not None:
        first = min(dates) if dates else None
        rule_data = [
            {
                "value": target,
                "date": first,
                "text": t("chart.target_value", lang, value=formatting.number(target)) + (f" {unit}" if unit else ""),
            }
        ]
        rule = alt.Chart(alt.Data(values=rule_data))
        layers.append(
            rule.mark_rule(color=TARGET_COLOUR, strokeWidth=1.5).encode(
                y=y, tooltip=[alt.Tooltip("text:N", title=t("chart.target", lang))]
            )
        )
        if first is not None:
            layers.append(
                rule.mark_text(
                    align="left", baseline="bottom", dx=2, dy=-4, fontSize=12, fontWeight="bold", color=TARGET_COLOUR
                ).encode(x=x, y=y, text="text:N")
            )
    if marks:
        base = alt.Chart(alt.Data(values=marks)).encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("label:N", title=t("chart.milestone", lang)),
                date_tip,
                alt.Tooltip("value_text:N", title=t("chart.value", lang)),
            ],
        )
        layers.append(base.mark_point(shape="diamond", filled=True, size=110, color=MILESTONE_COLOUR, opacity=1))
        layers.append(
            base.mark_text(align="right", baseline="bottom", dx=-6, dy=-6, fontSize=12, color=MILESTONE_COLOUR).encode(
                text="label:N"
            )
        )
    return alt.layer(*layers).properties(
        width=width, height=height, title=_title(title), view=NO_FRAME, autosize=FIT_WIDTH
    )


# --- 3. scorecard ----------------------------------------------------------------------


def scorecard_chart(cells: list[ScoreCell], lang: str, title: str | None = None) -> LayeredChart:
    """A heat table: org units down, indicators across (both in first-seen order), each
    cell coloured by status and printing its figures over its percentage ("—" where
    there is none). A unit/indicator pair without a cell stays blank."""
    if not cells:
        return no_data_chart(lang, title)
    units: list[str] = []
    indicators: list[str] = []
    records = []
    for cell in cells:
        unit, indicator = str(_get(cell, "unit")), str(_get(cell, "indicator"))
        status = _get(cell, "status")
        _check_status(status)
        if unit not in units:
            units.append(unit)
        if indicator not in indicators:
            indicators.append(indicator)
        pct = _num(_get(cell, "pct"))
        records.append(
            {
                "unit": unit,
                "indicator": indicator,
                "status": status,
                "status_text": status_label(status, lang),
                "text": str(_get(cell, "text") or "") or "—",
                "pct_text": formatting.pct(pct),
                "text_colour": STATUS_TEXT_COLOURS[status],
            }
        )
    x = alt.X(
        "indicator:N",
        sort=indicators,
        title=None,
        axis=alt.Axis(
            orient="top",
            labelAngle=0,
            labelLimit=SCORE_COL_PX - 8,
            labelFontSize=12,
            ticks=False,
            domain=False,
            labelPadding=6,
        ),
    )
    y = alt.Y(
        "unit:N",
        sort=units,
        title=None,
        axis=alt.Axis(labelLimit=180, labelFontSize=12, ticks=False, domain=False, labelPadding=6),
    )
    tooltip = [
        alt.Tooltip("unit:N", title=t("chart.org_unit", lang)),
        alt.Tooltip("indicator:N", title=t("chart.indicator", lang)),
        alt.Tooltip("text:N", title=t("chart.result", lang)),
        alt.Tooltip("pct_text:N", title=t("chart.pct", lang)),
        alt.Tooltip("status_text:N", title=t("chart.status", lang)),
    ]
    base = alt.Chart().encode(x=x, y=y, tooltip=tooltip)
    rect = base.mark_rect(stroke="#ffffff", strokeWidth=2, cornerRadius=3).encode(
        color=alt.Color(
            "status_text:N", scale=_status_scale([r["status"] for r in records], lang), legend=_status_legend(lang)
        )
    )
    # Two lines, figures over percentage: two text layers nudged apart (a one-layer
    # line break would not centre the pair in the cell).
    text_colour = alt.Color("text_colour:N", scale=None, legend=None)
    figures = base.mark_text(fontSize=12, baseline="middle", dy=-8).encode(text="text:N", color=text_colour)
    share = base.mark_text(fontSize=11, baseline="middle", dy=8).encode(text="pct_text:N", color=text_colour)
    return alt.layer(rect, figures, share, data=alt.Data(values=records)).properties(
        width=SCORE_COL_PX * len(indicators),
        height=SCORE_ROW_PX * len(units),
        title=_title(title),
        view=NO_FRAME,
        autosize=FIT_WIDTH,
    )
