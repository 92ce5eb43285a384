"""Charts of the Monthly plans page: pure functions from plain rows to Altair charts (no
Streamlit here), in the look of portal.charts.progress (its colours, number formats and titles).

* completion_chart    plan-item completion rate per month against its target
* status_chart        the month's items by status
* owner_chart         items per owner, stacked by status
* ontime_chart        each unit's share of monthly reports in on time, against 100 %
* report_grid_chart   units x months: where each unit's monthly report stands

Every text comes from the catalogues (``plans.chart.*``, ``plans.report_status.*`` and the
record choices); names (units, owners, month labels) arrive already translated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

from portal import formatting
from portal.charts import progress as charts
from portal.i18n import t
from portal.programmes.plans import specs as pl

BLUE = charts.ACTUAL_LINE_COLOUR
ITEM_STATUS_COLOURS: dict[str, str] = {
    "not_started": charts.STATUS_COLOURS["not_started"],
    "in_progress": BLUE,
    "done": charts.STATUS_COLOURS["met"],
    "overdue": charts.STATUS_COLOURS["missed"],
    "postponed": charts.STATUS_COLOURS["behind"],
    "cancelled": charts.STATUS_COLOURS["no_target"],
}
REPORT_STATUSES = ("approved", "submitted", "returned", "overdue", "draft", "not_due")
REPORT_STATUS_COLOURS: dict[str, str] = {
    "approved": charts.STATUS_COLOURS["met"],
    "submitted": BLUE,
    "returned": charts.STATUS_COLOURS["behind"],
    "overdue": charts.STATUS_COLOURS["missed"],
    "draft": charts.STATUS_COLOURS["not_started"],
    "not_due": "#e0e0e0",
}
REPORT_TEXT_COLOURS: dict[str, str] = {
    "approved": "#ffffff",
    "submitted": "#ffffff",
    "returned": "#1b1b1b",
    "overdue": "#ffffff",
    "draft": "#1b1b1b",
    "not_due": "#455a64",
}
ONTIME_LEVELS = ("all", "some", "none", "nothing_due")
ONTIME_COLOURS = {
    "all": charts.STATUS_COLOURS["met"],
    "some": charts.STATUS_COLOURS["behind"],
    "none": charts.STATUS_COLOURS["missed"],
    "nothing_due": charts.STATUS_COLOURS["no_target"],
}
COMPLETION_STATUSES = ("met", "on_track", "behind", "missed", "no_target")

ROW_PX = 28
GRID_ROW_PX = 46
GRID_COL_PX = 118
WIDTH = charts.DEFAULT_WIDTH


def _get(row: Any, name: str, default: Any = None) -> Any:
    return row.get(name, default) if isinstance(row, Mapping) else getattr(row, name, default)


def _title(title: str | None, subtitle: str | None = None) -> alt.TitleParams | str:
    return charts._title(title, subtitle)  # one title style for every chart of the portal


def _legend(title: str) -> alt.Legend:
    return alt.Legend(
        title=title, orient="top", direction="horizontal", symbolType="square", labelFontSize=12, titleFontSize=12
    )


def _scale(order: Sequence[str], present: set[str], colours: Mapping[str, str], label: Any) -> alt.Scale:
    keys = [s for s in order if s in present]
    return alt.Scale(domain=[label(s) for s in keys], range=[colours[s] for s in keys])


def item_status_label(status: str, lang: str) -> str:
    if status not in ITEM_STATUS_COLOURS:
        raise ValueError(f"unknown item status {status!r}")
    return next(c.label(lang) for c in pl.ITEM_STATUSES if c.value == status)


def report_status_label(status: str, lang: str) -> str:
    if status not in REPORT_STATUS_COLOURS:
        raise ValueError(f"unknown report status {status!r}")
    return t(f"plans.report_status.{status}", lang)


# --- completion by month -------------------------------------------------------------------


def completion_status(pct: float | None, target: float | None, over: bool) -> str:
    """met at or above target; missed when a finished month fell short; behind while the
    running month is short of it; no_target without items or target."""
    if pct is None or target is None:
        return "no_target"
    if pct >= target:
        return "met"
    return "missed" if over else "behind"


def completion_chart(
    rows: Sequence[Mapping[str, Any]], lang: str, title: str | None = None, *, width: int = WIDTH, height: int = 240
) -> charts.LayeredChart:
    """Bars of the completion rate per month (coloured by status), the target as a black
    tick on each month and "done/total · rate" above each bar.

    rows: {"month": label, "pct": rate or None, "target": rate or None, "done": n,
           "total": n, "over": the month has ended}
    """
    if not rows:
        return charts.no_data_chart(lang, title, width)
    records: list[dict[str, Any]] = []  # one chart row: a mix of texts and numbers
    for row in rows:
        pct, target = _get(row, "pct"), _get(row, "target")
        status = _get(row, "status") or completion_status(pct, target, bool(_get(row, "over")))
        done, total = _get(row, "done") or 0, _get(row, "total") or 0
        records.append(
            {
                "month": str(_get(row, "month")),
                "pct": float(pct) if pct is not None else 0.0,
                "target": float(target) if target is not None else None,
                "status": status,
                "status_text": charts.status_label(status, lang)
                if status != "no_target"
                else t("plans.chart.no_items", lang),
                "text": (
                    f"{formatting.number(done)}/{formatting.number(total)} · {formatting.pct(pct)}"
                    if total
                    else t("plans.chart.no_items", lang)
                ),
                "pct_text": formatting.pct(pct),
                "target_text": formatting.pct(target),
                "count_text": f"{formatting.number(done)}/{formatting.number(total)}",
            }
        )
    months = [r["month"] for r in records]
    top = max([110.0] + [r["pct"] * 1.1 for r in records] + [(r["target"] or 0) * 1.1 for r in records])
    x = alt.X("month:N", sort=months, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=12))
    y = alt.Y(
        "pct:Q",
        title=t("plans.chart.rate_axis", lang),
        scale=alt.Scale(domain=[0, top], nice=False),
        axis=alt.Axis(grid=True, gridColor="#eeeeee", values=[0, 20, 40, 60, 80, 100]),
    )
    tooltip = [
        alt.Tooltip("month:N", title=t("plans.chart.month", lang)),
        alt.Tooltip("count_text:N", title=t("plans.chart.done_of", lang)),
        alt.Tooltip("pct_text:N", title=t("plans.chart.rate", lang)),
        alt.Tooltip("target_text:N", title=t("chart.target", lang)),
        alt.Tooltip("status_text:N", title=t("chart.status", lang)),
    ]
    labels = {
        s: (charts.status_label(s, lang) if s != "no_target" else t("plans.chart.no_items", lang))
        for s in COMPLETION_STATUSES
    }
    colour = alt.Color(
        "status_text:N",
        legend=_legend(t("chart.status", lang)),
        scale=_scale(COMPLETION_STATUSES, {r["status"] for r in records}, charts.STATUS_COLOURS, labels.__getitem__),
    )
    base = alt.Chart().encode(x=x, tooltip=tooltip)
    bars = base.mark_bar(size=34, cornerRadiusTopLeft=3, cornerRadiusTopRight=3).encode(y=y, color=colour)
    target = (
        base.mark_tick(color=charts.TARGET_COLOUR, thickness=3, size=46)
        .encode(y=alt.Y("target:Q", scale=alt.Scale(domain=[0, top], nice=False)))
        .transform_filter("isValid(datum.target)")
    )
    text = base.mark_text(baseline="bottom", dy=-4, fontSize=11, color=charts.LABEL_COLOUR).encode(
        y=alt.Y("pct:Q", scale=alt.Scale(domain=[0, top], nice=False)), text="text:N"
    )
    return alt.layer(bars, target, text, data=alt.Data(values=records)).properties(
        width=width,
        height=height,
        title=_title(title, t("plans.chart.completion_key", lang)),
        view=charts.NO_FRAME,
        autosize=charts.FIT_WIDTH,
    )


# --- items by status -----------------------------------------------------------------------


def status_chart(
    rows: Sequence[Mapping[str, Any]], lang: str, title: str | None = None, *, width: int = WIDTH
) -> charts.LayeredChart:
    """One bar per item status (in the statuses' order), its count at the end.

    rows: {"status": item display status, "count": n}
    """
    rows = [r for r in rows if _get(r, "count")]
    if not rows:
        return charts.no_data_chart(lang, title, width)
    order = [c.value for c in pl.ITEM_STATUSES]
    records = sorted(
        (
            {
                "status": _get(r, "status"),
                "label": item_status_label(_get(r, "status"), lang),
                "count": int(_get(r, "count")),
            }
            for r in rows
        ),
        key=lambda r: order.index(r["status"]),
    )
    labels = [r["label"] for r in records]
    top = max(r["count"] for r in records)
    scale = alt.Scale(domain=[0, top * 1.15 + 0.5], nice=False)
    y = alt.Y(
        "label:N", sort=labels, title=None, axis=alt.Axis(labelFontSize=12, ticks=False, domain=False, labelPadding=6)
    )
    tooltip = [
        alt.Tooltip("label:N", title=t("chart.status", lang)),
        alt.Tooltip("count:Q", title=t("plans.chart.items", lang)),
    ]
    base = alt.Chart().encode(y=y, tooltip=tooltip)
    colour = alt.Color(
        "label:N",
        legend=None,
        scale=alt.Scale(domain=labels, range=[ITEM_STATUS_COLOURS[r["status"]] for r in records]),
    )
    bars = base.mark_bar(size=18, cornerRadiusEnd=3).encode(
        x=alt.X(
            "count:Q",
            scale=scale,
            title=t("plans.chart.items", lang),
            axis=alt.Axis(tickMinStep=1, format="d", grid=True, gridColor="#f0f0f0"),
        ),
        color=colour,
    )
    text = base.mark_text(align="left", dx=5, fontSize=12, color=charts.LABEL_COLOUR).encode(
        x=alt.X("count:Q", scale=scale), text="count:Q"
    )
    return alt.layer(bars, text, data=alt.Data(values=records)).properties(
        width=width, height=ROW_PX * len(records), title=_title(title), view=charts.NO_FRAME, autosize=charts.FIT_WIDTH
    )


# --- workload per owner --------------------------------------------------------------------


def owner_chart(
    rows: Sequence[Mapping[str, Any]], lang: str, title: str | None = None, *, width: int = WIDTH
) -> charts.LayeredChart:
    """Items per owner, stacked by status, owners in the order given.

    rows: {"owner": name, "status": item display status, "count": n}
    """
    rows = [r for r in rows if _get(r, "count")]
    if not rows:
        return charts.no_data_chart(lang, title, width)
    order = [c.value for c in pl.ITEM_STATUSES]
    owners: list[str] = []
    records: list[dict[str, Any]] = []  # one chart row: a mix of texts and numbers
    for row in rows:
        owner, status = str(_get(row, "owner")), _get(row, "status")
        if owner not in owners:
            owners.append(owner)
        records.append(
            {
                "owner": owner,
                "status": status,
                "label": item_status_label(status, lang),
                "count": int(_get(row, "count")),
                "rank": order.index(status),
            }
        )
    totals = {o: sum(r["count"] for r in records if r["owner"] == o) for o in owners}
    top = max(totals.values())
    scale = alt.Scale(domain=[0, top * 1.12 + 0.5], nice=False)
    present = {r["status"] for r in records}
    colour = alt.Color(
        "label:N",
        legend=_legend(t("chart.status", lang)),
        scale=_scale(order, present, ITEM_STATUS_COLOURS, lambda s: item_status_label(s, lang)),
    )
    y = alt.Y(
        "owner:N",
        sort=owners,
        title=None,
        axis=alt.Axis(labelFontSize=12, ticks=False, domain=False, labelPadding=6, labelLimit=160),
    )
    bars = (
        alt.Chart(alt.Data(values=records))
        .mark_bar(size=18)
        .encode(
            y=y,
            x=alt.X(
                "count:Q",
                stack="zero",
                scale=scale,
                title=t("plans.chart.items", lang),
                axis=alt.Axis(tickMinStep=1, format="d", grid=True, gridColor="#f0f0f0"),
            ),
            color=colour,
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("owner:N", title=t("plans.chart.owner", lang)),
                alt.Tooltip("label:N", title=t("chart.status", lang)),
                alt.Tooltip("count:Q", title=t("plans.chart.items", lang)),
            ],
        )
    )
    sums = [{"owner": o, "total": n} for o, n in totals.items()]
    text = (
        alt.Chart(alt.Data(values=sums))
        .mark_text(align="left", dx=5, fontSize=12, color=charts.LABEL_COLOUR)
        .encode(y=y, x=alt.X("total:Q", scale=scale), text="total:Q")
    )
    return alt.layer(bars, text).properties(
        width=width, height=ROW_PX * len(owners), title=_title(title), view=charts.NO_FRAME, autosize=charts.FIT_WIDTH
    )


# --- on-time reporting per unit ------------------------------------------------------------


def ontime_level(on_time: int, due: int) -> str:
    if not due:
        return "nothing_due"
    return "all" if on_time >= due else ("none" if on_time == 0 else "some")


def ontime_chart(
    rows: Sequence[Mapping[str, Any]], lang: str, title: str | None = None, *, width: int = WIDTH
) -> charts.LayeredChart:
    """Each unit's on-time rate as a bar on a 0-100 % track, a black tick at 100 % and
    "in time/due · rate" right of it.

    rows: {"unit": name, "on_time": reports in by their due date, "due": reports due so far}
    """
    if not rows:
        return charts.no_data_chart(lang, title, width)
    records: list[dict[str, Any]] = []  # one chart row: a mix of texts and numbers
    for row in rows:
        due, on_time = int(_get(row, "due") or 0), int(_get(row, "on_time") or 0)
        pct = on_time / due * 100 if due else None
        level = ontime_level(on_time, due)
        records.append(
            {
                "unit": str(_get(row, "unit")),
                "pct": pct or 0.0,
                "track": 100.0,
                "target": 100.0,
                "zero": 0,
                "level": level,
                "level_text": t(f"plans.chart.ontime.{level}", lang),
                "text": (
                    f"{on_time}/{due} · {formatting.pct(pct)}" if due else t("plans.chart.ontime.nothing_due", lang)
                ),
                "pct_text": formatting.pct(pct),
                "count_text": f"{on_time}/{due}",
            }
        )
    units = charts._unique([r["unit"] for r in records])
    for name, r in zip(units, records):
        r["unit"] = name
    scale = alt.Scale(domain=[0, 135], nice=False)
    y = alt.Y(
        "unit:N",
        sort=units,
        title=None,
        axis=alt.Axis(labelFontSize=12, ticks=False, domain=False, labelPadding=6, labelLimit=180),
    )
    tooltip = [
        alt.Tooltip("unit:N", title=t("chart.org_unit", lang)),
        alt.Tooltip("count_text:N", title=t("plans.chart.ontime_of", lang)),
        alt.Tooltip("pct_text:N", title=t("plans.chart.rate", lang)),
        alt.Tooltip("level_text:N", title=t("chart.status", lang)),
    ]
    base = alt.Chart().encode(y=y, tooltip=tooltip)
    x_axis = alt.Axis(values=[0, 20, 40, 60, 80, 100], grid=True, gridColor="#f0f0f0", labelFlush=True)
    track = base.mark_bar(color=charts.TRACK_COLOUR, size=18).encode(
        x=alt.X("track:Q", scale=scale, title=t("plans.chart.ontime_axis", lang), axis=x_axis)
    )
    colour = alt.Color(
        "level_text:N",
        legend=_legend(t("chart.status", lang)),
        scale=_scale(
            ONTIME_LEVELS, {r["level"] for r in records}, ONTIME_COLOURS, lambda s: t(f"plans.chart.ontime.{s}", lang)
        ),
    )
    bars = base.mark_bar(size=10).encode(x=alt.X("pct:Q", scale=scale), color=colour)
    stub = (
        base.mark_tick(thickness=4, size=10, xOffset=2)
        .encode(x=alt.X("zero:Q", scale=scale), color=colour)
        .transform_filter("datum.pct <= 0")
    )  # none in time yet
    tick = base.mark_tick(color=charts.TARGET_COLOUR, thickness=3, size=22).encode(x=alt.X("target:Q", scale=scale))
    text = base.mark_text(align="left", dx=8, fontSize=11, color=charts.LABEL_COLOUR).encode(
        x=alt.X("track:Q", scale=scale), text="text:N"
    )
    return alt.layer(track, bars, stub, tick, text, data=alt.Data(values=records)).properties(
        width=width,
        height=ROW_PX * len(records),
        title=_title(title, t("plans.chart.ontime_key", lang)),
        view=charts.NO_FRAME,
        autosize=charts.FIT_WIDTH,
    )


# --- the review grid -----------------------------------------------------------------------


def report_grid_chart(cells: Sequence[Mapping[str, Any]], lang: str, title: str | None = None) -> charts.LayeredChart:
    """Units down, months across (first-seen order); each cell coloured by the report's
    status with two lines of text: the status (✓ on time, ✗ late) and the submission
    time or the due date.

    cells: {"unit": name, "month": label, "status": one of REPORT_STATUSES,
            "flag": "✓", "✗" or "", "detail": second line, "tip": tooltip text}
    """
    if not cells:
        return charts.no_data_chart(lang, title)
    units: list[str] = []
    months: list[str] = []
    records: list[dict[str, Any]] = []  # one chart row: a mix of texts and numbers
    for cell in cells:
        unit, month, status = str(_get(cell, "unit")), str(_get(cell, "month")), _get(cell, "status")
        label = report_status_label(status, lang)
        if unit not in units:
            units.append(unit)
        if month not in months:
            months.append(month)
        flag = _get(cell, "flag") or ""
        records.append(
            {
                "unit": unit,
                "month": month,
                "status": status,
                "status_text": label,
                "head": f"{label} {flag}".strip(),
                "detail": _get(cell, "detail") or "",
                "tip": _get(cell, "tip") or label,
                "text_colour": REPORT_TEXT_COLOURS[status],
            }
        )
    x = alt.X(
        "month:N",
        sort=months,
        title=None,
        axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=12, ticks=False, domain=False, labelPadding=6),
    )
    y = alt.Y(
        "unit:N",
        sort=units,
        title=None,
        axis=alt.Axis(labelLimit=230, labelFontSize=12, ticks=False, domain=False, labelPadding=6),
    )
    tooltip = [
        alt.Tooltip("unit:N", title=t("chart.org_unit", lang)),
        alt.Tooltip("month:N", title=t("plans.chart.month", lang)),
        alt.Tooltip("status_text:N", title=t("chart.status", lang)),
        alt.Tooltip("tip:N", title=t("plans.chart.detail", lang)),
    ]
    base = alt.Chart().encode(x=x, y=y, tooltip=tooltip)
    rect = base.mark_rect(stroke="#ffffff", strokeWidth=2, cornerRadius=3).encode(
        color=alt.Color(
            "status_text:N",
            legend=_legend(t("plans.chart.report_status", lang)),
            scale=_scale(
                REPORT_STATUSES,
                {r["status"] for r in records},
                REPORT_STATUS_COLOURS,
                lambda s: report_status_label(s, lang),
            ),
        )
    )
    text_colour = alt.Color("text_colour:N", scale=None, legend=None)
    head = base.mark_text(fontSize=12, fontWeight="bold", baseline="middle", dy=-8).encode(
        text="head:N", color=text_colour
    )
    detail = base.mark_text(fontSize=11, baseline="middle", dy=9).encode(text="detail:N", color=text_colour)
    return alt.layer(rect, head, detail, data=alt.Data(values=records)).properties(
        width=GRID_COL_PX * len(months),
        height=GRID_ROW_PX * len(units),
        title=_title(title),
        view=charts.NO_FRAME,
        autosize=charts.FIT_WIDTH,
    )
