"""Charts of the campaign board: pure functions from the board's rows to Altair charts (no
Streamlit here). Every text comes from the catalogues; unit names arrive as stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import altair as alt
import pandas as pd

from portal import clock
from portal.charts import progress as charts
from portal.i18n import t
from portal.programmes.education.campaigns import Board, BoardRow

BEHIND_COLOUR = "#c62828"
BAR_COLOUR = charts.ACTUAL_LINE_COLOUR
ROW_PX = 28


def reach_chart(rows: Sequence[BoardRow], lang: str) -> alt.LayerChart:
    """People reached per unit as bars (red when the unit is behind), the goal as a tick."""
    behind = t("education.campaign.behind", lang)
    data = pd.DataFrame(
        {
            "unit": [r.unit for r in rows],
            "people": [r.people for r in rows],
            "goal": [r.people_goal for r in rows],
            "state": [behind if r.behind else "" for r in rows],
        }
    )
    reached, goal, unit = (
        t("education.campaign.col.people", lang),
        t("education.campaign.col.people_goal", lang),
        t("education.campaign.col.unit", lang),
    )
    base = alt.Chart(data).encode(y=alt.Y("unit:N", title=unit, sort=list(data["unit"])))
    bars = base.mark_bar().encode(
        x=alt.X("people:Q", title=reached),
        color=alt.condition(alt.datum.state != "", alt.value(BEHIND_COLOUR), alt.value(BAR_COLOUR)),
        tooltip=[
            alt.Tooltip("unit:N", title=unit),
            alt.Tooltip("people:Q", title=reached),
            alt.Tooltip("goal:Q", title=goal),
        ],
    )
    ticks = base.mark_tick(color="#333", thickness=3, size=ROW_PX - 6).encode(x=alt.X("goal:Q", title=reached))
    chart: alt.LayerChart = alt.LayerChart(layer=[bars, ticks]).properties(
        title=t("education.campaign.chart", lang), height=alt.Step(ROW_PX), width="container"
    )
    return chart


def reach_over_days(board: Board, lang: str) -> alt.LayerChart:
    """People reached, added up day by day over the campaign's period (to today), against
    the goal of all the units shown as a dashed rule."""
    campaign, today = board.campaign, clock.today()
    last = min(campaign.end_date, max(today, campaign.start_date))
    days = [campaign.start_date + dt.timedelta(days=n) for n in range((last - campaign.start_date).days + 1)]
    per_day: dict[dt.date, int] = {}
    for a in board.activities:
        per_day[a.date] = per_day.get(a.date, 0) + a.participants
    running, totals = 0, []
    for day in days:
        running += per_day.get(day, 0)
        totals.append(running)
    reached, when = t("education.campaign.col.people", lang), t("education.campaign.col.date", lang)
    data = pd.DataFrame({"day": [d.isoformat() for d in days], "people": totals})
    line = (
        alt.Chart(data)
        .mark_line(point=True, color=BAR_COLOUR)
        .encode(
            # dates as digits: Vega's own day and month names are English
            x=alt.X("day:T", title=when, axis=alt.Axis(format="%m-%d", tickCount="day")),
            y=alt.Y("people:Q", title=reached),
            tooltip=[alt.Tooltip("day:T", title=when, format="%Y-%m-%d"), alt.Tooltip("people:Q", title=reached)],
        )
    )
    goal = (
        alt.Chart(pd.DataFrame({"goal": [board.total("people_goal")]}))
        .mark_rule(strokeDash=[4, 3], color="#555")
        .encode(y="goal:Q")
    )
    chart: alt.LayerChart = alt.LayerChart(layer=[line, goal]).properties(
        title=t("education.campaign.chart_days", lang), height=220, width="container"
    )
    return chart
