"""The statistics view of a record list: the spec's measures by period and by one of its
choices, under the list's own scope and filters (portal.records.stats), drawn by
portal.charts.stats."""

from __future__ import annotations

import streamlit as st

from portal.charts.stats import stats_chart
from portal.org.scope import Actor
from portal.records import display, stats
from portal.records.service import Filters, Spec
from portal.ui.db import unit_of_work
from portal.ui.i18n import lang, t
from portal.ui.messages import attempt

BUCKETS = ("month", "quarter", "year")


def stats_view(spec: Spec, actor: Actor, filters: Filters | None, prefix: str | None = None) -> None:
    declared = spec.stats
    if declared is None:
        return
    key = prefix or spec.slug
    language = lang()
    by_options: list[str | None] = [None, *declared.by]
    labels: dict[str | None, str] = {None: t("stats.by_none")}
    labels.update({k: spec.field(k).label(language) for k in declared.by})
    measures = {m.key: m for m in declared.measures}
    left, middle, right = st.columns(3)
    by = left.selectbox(t("stats.by"), by_options, key=f"{key}.stats.by", format_func=lambda k: labels[k])
    chosen = middle.selectbox(
        t("stats.measure"),
        list(measures),
        key=f"{key}.stats.measure",
        format_func=lambda k: _measure_label(spec, measures[k], language),
    )
    bucket = (
        right.segmented_control(
            t("stats.bucket"),
            BUCKETS,
            key=f"{key}.stats.bucket",
            default="month",
            format_func=lambda b: t(f"stats.bucket.{b}"),
        )
        or "month"
    )
    measure = measures[chosen]

    def load() -> tuple[list[stats.Point], dict[object, str]]:
        with unit_of_work() as session:
            points = stats.query(session, actor, spec, filters, by, measure, bucket)
            names: dict[object, str] = {}
            if by is not None:
                f = spec.field(by)
                groups = [p.group for p in points]
                if f.type == "choice":
                    names = {g: f.choice_label(g, language) for g in groups}
                elif f.type == "bool":
                    names = {g: display.yes_no(bool(g), language) for g in groups}
                else:  # a unit or a referenced record: its name
                    known = display.names(session, spec, [{by: g} for g in groups], language)
                    names = {g: display.format_value(f, g, language, known) for g in groups}
            return points, names

    loaded = attempt(load)
    if loaded is None:
        return
    points, names = loaded
    if not points:
        st.info(t("stats.empty"))
        return
    st.altair_chart(
        stats_chart(
            points,
            language,
            title=t("stats.title", type=spec.title(language)),
            measure_label=_measure_label(spec, measure, language),
            group_label=labels[by] if by else None,
            group_names=names,
        ),
        width="stretch",
        key=f"{key}.stats.chart",
    )
    st.caption(t("stats.caption"))


def _measure_label(spec: Spec, measure: stats.Measure, language: str) -> str:
    if measure.zh or measure.en:
        return measure.en if language == "en" else measure.zh
    if measure.agg == "count":
        return t("stats.count")
    return t("stats.sum", field=spec.field(measure.field or "").label(language))
