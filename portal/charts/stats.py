"""The statistics chart every record list carries: a measure per period, stacked by a
choice (or one series), as a pure function of the figures (portal.records.stats)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

from portal import formatting, periods
from portal.charts.progress import DEFAULT_WIDTH, LayeredChart


def stats_chart(
    points: Sequence[Any],
    lang: str,
    *,
    title: str,
    measure_label: str,
    group_label: str | None = None,
    group_names: dict[Any, str] | None = None,
) -> alt.Chart | LayeredChart:
    """Bars per period, stacked by group when there is one; each bar is labelled."""
    names = group_names or {}
    rows = [
        {
            "period": periods.label(p.period, lang),
            "key": p.period,
            "group": names.get(p.group, str(p.group) if p.group not in (None, "") else "—"),
            "value": p.value,
            "text": formatting.number(p.value),
        }
        for p in points
    ]
    order = [r["period"] for r in sorted(rows, key=lambda r: r["key"])]
    seen: list[str] = []
    for label in order:
        if label not in seen:
            seen.append(label)
    base = alt.Chart(alt.Data(values=rows)).properties(title=title, width=DEFAULT_WIDTH, height=240)
    x = alt.X("period:N", sort=seen, title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("sum(value):Q", title=measure_label)
    tooltip = [alt.Tooltip("period:N", title=""), alt.Tooltip("text:N", title=measure_label)]
    if group_label:
        tooltip.insert(1, alt.Tooltip("group:N", title=group_label))
        return base.mark_bar().encode(
            x=x,
            y=y,
            color=alt.Color("group:N", title=group_label, legend=alt.Legend(orient="bottom")),
            tooltip=tooltip,
        )
    bars = base.mark_bar(color="#1565c0").encode(x=x, y=y, tooltip=tooltip)
    labels = base.mark_text(dy=-6, fontSize=11, color="#37474f").encode(x=x, y=y, text=alt.Text("sum(value):Q"))
    return alt.layer(bars, labels)
