"""Charts of the sanitation page: pure functions from plain rows to Altair charts (no
Streamlit here), in the portal's chart style.

* ranking_chart    a period's mean score per zone as bars, the red-flag holders in red with ★
* progress_chart   inspections per week (bars) against planned, with the week's mean score
* heatmap_chart    points lost per checklist item × zone (which criteria fail most, where)

Every text comes from the catalogues (``sanitation.chart.*``); zone names arrive as typed.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from portal.charts import progress as charts
from portal.i18n import t
from portal.programmes.sanitation.view import HeatCell, RankRow, WeekFigure

FLAG_COLOUR = "#c62828"
BAR_COLOUR = charts.ACTUAL_LINE_COLOUR
ROW_PX = 26


def ranking_chart(rows: Sequence[RankRow], lang: str, target: float | None = None) -> alt.LayerChart:
    ranked = [r for r in rows if r.mean is not None]
    flag = t("sanitation.chart.flag", lang)
    data = pd.DataFrame(
        {
            "zone": [("★ " if r.flag else "") + r.zone for r in ranked],
            "mean": [r.mean for r in ranked],
            "rank": [r.rank for r in ranked],
            "flag": [flag if r.flag else "" for r in ranked],
        }
    )
    order = list(data["zone"])
    low = max(0.0, (min(data["mean"]) if len(data) else 0.0) - 10)
    low = min(low, target - 5) if target is not None else low
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("mean:Q", title=t("sanitation.chart.score", lang), scale=alt.Scale(domain=[low, 100], clamp=True)),
            y=alt.Y("zone:N", title=t("sanitation.chart.zone", lang), sort=order),
            color=alt.condition(alt.datum.flag != "", alt.value(FLAG_COLOUR), alt.value(BAR_COLOUR)),
            tooltip=[
                alt.Tooltip("zone:N", title=t("sanitation.chart.zone", lang)),
                alt.Tooltip("mean:Q", title=t("sanitation.chart.score", lang), format=".1f"),
                alt.Tooltip("rank:Q", title=t("sanitation.rank.col.rank", lang)),
            ],
        )
    )
    labels = bars.mark_text(align="left", dx=3).encode(text=alt.Text("mean:Q", format=".1f"), color=alt.value("#333"))
    layers: list[alt.Chart] = [bars, labels]
    if target is not None:
        rule = (
            alt.Chart(pd.DataFrame({"target": [target]}))
            .mark_rule(strokeDash=[4, 3], color="#555")
            .encode(x="target:Q")
        )
        layers.append(rule)
    chart: alt.LayerChart = alt.LayerChart(layer=layers).properties(
        title=t("sanitation.chart.ranking", lang), height=alt.Step(ROW_PX), width="container"
    )
    return chart


def progress_chart(weeks: Sequence[WeekFigure], lang: str) -> alt.LayerChart:
    data = pd.DataFrame(
        {
            "week": [w.label for w in weeks],
            "count": [w.inspections for w in weeks],
            "mean": [w.mean for w in weeks],
        }
    )
    base = alt.Chart(data).encode(x=alt.X("week:N", title=t("sanitation.chart.week", lang), sort=list(data["week"])))
    bars = base.mark_bar(color="#90caf9").encode(
        y=alt.Y("count:Q", title=t("sanitation.chart.count", lang)),
        tooltip=[alt.Tooltip("week:N"), alt.Tooltip("count:Q", title=t("sanitation.chart.count", lang))],
    )
    line = base.mark_line(point=True, color=FLAG_COLOUR).encode(
        y=alt.Y("mean:Q", title=t("sanitation.chart.score", lang), scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("week:N"), alt.Tooltip("mean:Q", title=t("sanitation.chart.score", lang), format=".1f")],
    )
    return (
        alt.layer(bars, line)
        .resolve_scale(y="independent")
        .properties(title=t("sanitation.chart.progress", lang), height=220, width="container")
    )


# more points lost, darker; a cell that never lost a point is left blank (never red)
CRITERIA_SHOWN = 12  # the criteria that lost most; the rest are summed in the table below it


def heatmap_chart(cells: Sequence[HeatCell], lang: str) -> charts.LayeredChart:
    """Zones down, criteria across (the costliest first), each cell the points lost."""
    if not cells:
        return charts.no_data_chart(lang, t("sanitation.chart.heatmap", lang))
    by_criterion: dict[str, float] = {}
    by_zone: dict[str, float] = {}
    for c in cells:
        by_criterion[c.criterion] = by_criterion.get(c.criterion, 0.0) + c.lost
        by_zone[c.zone] = by_zone.get(c.zone, 0.0) + c.lost
    criteria = sorted(by_criterion, key=lambda k: (-by_criterion[k], k))[:CRITERIA_SHOWN]
    zones = sorted(by_zone, key=lambda k: (-by_zone[k], k))
    shown = [c for c in cells if c.criterion in criteria]
    data = pd.DataFrame(
        {
            "zone": [c.zone for c in shown],
            "criterion": [c.criterion for c in shown],
            "lost": [c.lost for c in shown],
            "inspections": [c.inspections for c in shown],
        }
    )
    base = alt.Chart(data).encode(
        x=alt.X(
            "criterion:N",
            sort=criteria,
            title=t("sanitation.chart.criterion", lang),
            axis=alt.Axis(labelAngle=-40, labelLimit=140, orient="top"),
        ),
        y=alt.Y("zone:N", sort=zones, title=t("sanitation.chart.zone", lang), axis=alt.Axis(labelLimit=140)),
        tooltip=[
            alt.Tooltip("zone:N", title=t("sanitation.chart.zone", lang)),
            alt.Tooltip("criterion:N", title=t("sanitation.chart.criterion", lang)),
            alt.Tooltip("lost:Q", title=t("sanitation.chart.lost", lang), format=".1f"),
            alt.Tooltip("inspections:Q", title=t("sanitation.chart.inspections", lang)),
        ],
    )
    rect = base.mark_rect(stroke="#ffffff", strokeWidth=1).encode(
        color=alt.Color(
            "lost:Q", title=t("sanitation.chart.lost", lang), scale=alt.Scale(scheme="oranges", domainMin=0)
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("lost:Q", format=".0f"),
        color=alt.condition(alt.datum.lost > max(data["lost"]) / 2, alt.value("#ffffff"), alt.value("#333")),
    )
    chart: charts.LayeredChart = alt.LayerChart(layer=[rect, text]).properties(
        title=t("sanitation.chart.heatmap", lang), height=alt.Step(ROW_PX), width="container"
    )
    return chart
