"""Targets and progress: bullet chart per unit, the cumulative line, the scorecard, the
records behind a number, and handing targets down to the units below (下达)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from db.models import Indicator
from portal import cache, clock, formatting, i18n, periods
from portal.charts import progress as charts
from portal.metrics import indicators as ind
from portal.metrics import targets as tg
from portal.org import units as orgunits
from portal.org.scope import Actor
from portal.records import registry
from portal.records import service as records
from portal.records.display import md_escape
from portal.records.fields import Field
from portal.records.service import Filters
from portal.ui import figures
from portal.ui import views as ui_views
from portal.ui.db import unit_of_work
from portal.ui.grid import GridRow, PivotGrid, pivot_editor
from portal.ui.i18n import lang, t, tm
from portal.ui.messages import attempt, flash
from portal.ui.records import render_records
from portal.ui.shell import require_page, selected_period, selected_unit_id

KEY = "targets"


def render() -> None:
    actor = require_page("targets")
    st.title(t("targets.title"))

    def indicators() -> None:
        st.caption(t("targets.indicators_intro"))
        render_records(ind.IndicatorSpec, actor)

    ui_views.tabs(
        [
            (t("targets.tab.progress"), lambda: progress_view(actor)),
            (t("targets.tab.indicators"), indicators),
            (t("targets.tab.targets"), lambda: render_records(tg.TargetSpec, actor, unit_id=selected_unit_id())),
        ],
        f"{KEY}.tabs",
    )


def progress_view(actor: Actor) -> None:
    today = clock.today()
    unit_id = selected_unit_id() or actor.org_unit_id
    if unit_id is None:  # as on the plans page: only the CLI's system actor has no unit
        st.info(t("plans.no_unit"))
        return
    with unit_of_work() as session:
        indicator_list = ind.active_indicators(session)
        unit, children = tg.unit_and_children(session, actor, unit_id)
    ready = [i for i in indicator_list if _available(i)]
    pending = [i for i in indicator_list if not _available(i)]
    st.caption(
        tm(
            "targets.caption",
            unit=unit.name(lang()),
            period=periods.label(selected_period(), lang()),
            time=clock.local_time(clock.now(), "%H:%M"),
        )
    )
    if not ready:
        st.info(t("targets.none"))
        return
    codes = [i.code for i in ready]
    by_code = {i.code: i for i in ready}
    code = st.selectbox(
        t("targets.indicator"),
        codes,
        key=f"{KEY}.pick.indicator",
        format_func=lambda c: f"{c} {tg.indicator_name(by_code[c], lang())}",
    )
    indicator = by_code[code]
    st.caption(tm("targets.source", source=indicator.source or "-"))
    rows_units = [unit, *children]
    names = {u.ref.id: u.name(lang()) for u in rows_units}
    with unit_of_work() as session:
        # every ready indicator for the unit and the units below, computed once per data
        # version: the chosen indicator's bars and the scorecard both read it, and picking
        # another indicator is a cache hit
        every = cache.figure(session, tg.scorecard, ready, [u.ref for u in rows_units], selected_period(), today)
        progress = [p for p in every if p.indicator == indicator.code]
        origin = tg.target_origin(session, indicator, unit.ref.id, progress[0].period)
    period = progress[0].period
    st.subheader(tm("targets.by_unit", name=tg.indicator_name(indicator, lang()), period=periods.label(period, lang())))
    _summary(progress[0], indicator)
    _origin(origin, progress[0], indicator)
    shown = progress[1:] or progress  # the units below; a unit with none shows itself
    language = lang()
    with unit_of_work() as session:
        figures.chart(
            session,
            ("bullet", shown, names, indicator, language),
            lambda: charts.bullet_chart(tg.chart_rows(shown, names, indicator, language), language),
        )
    _cumulative(indicator, unit, today)
    _scorecard(ready, unit, children, every)
    _drill(actor, indicator, rows_units, progress)
    if actor.role in tg.HEADS and children:
        _assign(actor, indicator, period, children)
    if pending:
        st.caption(
            tm(
                "targets.pending",
                codes=i18n.join((f"{i.code} {tg.indicator_name(i, lang())}" for i in pending), lang()),
            )
        )


def _summary(p: tg.Progress, indicator: Indicator) -> None:
    unit = md_escape(tg.unit_label(indicator, lang()))  # metric values are markdown
    cols = st.columns(4)
    cols[0].metric(t("targets.actual"), f"{formatting.number(p.actual)} {unit}")
    cols[1].metric(t("targets.target"), f"{formatting.number(p.target)} {unit}" if p.target is not None else "—")
    expected = round(p.expected, 1) if p.expected is not None else None
    cols[2].metric(t("targets.expected"), f"{formatting.number(expected)} {unit}" if expected is not None else "—")
    cols[3].metric(t("targets.status"), _status_text(p))
    if p.pct is not None:
        cols[3].caption(t("targets.pct", pct=formatting.pct(p.pct)))


def _origin(origin: tg.TargetOrigin, p: tg.Progress, indicator: Indicator) -> None:
    """The one rule behind the target figure, next to it, and a parent's own target that
    differs from what its units were set."""
    text = t(f"targets.origin.{origin.source}", below=formatting.number(origin.below))
    if origin.source == "own" and origin.below is not None and p.target is not None and origin.below != p.target:
        text += t("targets.origin.differs", below=formatting.number(origin.below))
    st.caption(md_escape(text))


def _status_text(p: tg.Progress) -> str:
    return t("targets.unavailable") if p.status == "unavailable" else charts.status_label(p.status, lang())


def _available(indicator: Indicator) -> bool:
    try:
        definition = ind.definition_of(indicator)
        if definition.numerator is not None:
            registry.get(definition.numerator.record)
    except (KeyError, ValueError):
        return False
    return True


def _cumulative(indicator: Indicator, unit: tg.UnitView, today: dt.date) -> None:
    with unit_of_work() as session:
        actual, expected, milestones, target = cache.figure(
            session,
            tg.cumulative_series,
            indicator,
            unit.ref,
            selected_period(),
            today,
        )
        if not actual:
            return
        st.subheader(tm("targets.cumulative", unit=unit.name(lang())))
        language = lang()
        figures.chart(
            session,
            ("cumulative", indicator, unit.ref, selected_period(), today, language),
            lambda: charts.cumulative_chart(
                [{"date": d, "value": v} for d, v in actual],
                [{"date": d, "value": v} for d, v in expected],
                [
                    {
                        "date": d,
                        "value": v,
                        "label": t("targets.milestone", month=m, pct=round(v / target * 100) if target else 0),
                    }
                    for d, v, m in milestones
                ],
                target,
                language,
                unit=tg.unit_label(indicator, language),
            ),
        )


def _scorecard(
    ready: list[Indicator], unit: tg.UnitView, children: list[tg.UnitView], every: list[tg.Progress]
) -> None:
    rows_units = children or [unit]
    names = {u.ref.id: u.name(lang()) for u in rows_units}
    labels = {i.code: f"{i.code} {tg.indicator_name(i, lang())}" for i in ready}
    cells = [p for p in every if p.unit_id in names]  # the units below (or the unit alone)
    with unit_of_work() as session:
        st.subheader(t("targets.scorecard"))
        language = lang()
        figures.chart(
            session,
            ("scorecard", cells, names, labels, language),
            lambda: charts.scorecard_chart(tg.score_cells(cells, names, labels), language),
        )


def _drill(actor: Actor, indicator: Indicator, rows_units: list[tg.UnitView], progress: list[tg.Progress]) -> None:
    """The records behind a number, so nobody has to take a percentage on trust."""
    st.subheader(t("targets.drill"))
    by_unit = {p.unit_id: p for p in progress}
    options = [u.ref.id for u in rows_units]
    language = lang()
    names = {u.ref.id: u.name(language) for u in rows_units}

    def label(uid: int) -> str:
        p = by_unit[uid]
        return f"{names[uid]} · {formatting.number(p.actual)}" + (
            f" / {formatting.number(p.target)}" if p.target is not None else ""
        )

    unit_id = st.selectbox(t("targets.drill_unit"), options, key=f"{KEY}.drill.unit", format_func=label)
    record, values, (start, end) = tg.drill_filters(indicator, unit_id, selected_period())
    spec = registry.get(record)
    in_unit = {spec.org_field: unit_id} if spec.org_field else {}
    in_period = {spec.date_field: (start, end)} if spec.date_field else {}
    wanted = {**values, **in_unit, **in_period}
    with unit_of_work() as session:
        found = attempt(lambda: cache.figure(session, drill_rows, actor, record, wanted, language))
    if found is None:
        return
    total, rows = found
    st.caption(t("targets.drill_count", count=total, shown=len(rows)))
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"{KEY}.table.drill")


def drill_rows(
    session: Session, actor: Actor, record: str, values: dict[str, Any], language: str
) -> tuple[int, list[dict[str, str]]]:
    """The drill's total and its first 100 records as shown; kept with the figures (its
    count over a million rows costs more than the rest of a cached page)."""
    spec = registry.get(record)
    page = records.list_page(session, actor, spec, Filters(values=dict(values)), per_page=100)
    unit_names = {u.id: i18n.label(language, u.name_zh, u.name_en) for u in orgunits.tree(session, actor)}
    keys = {f.key for f in spec.fields}
    shown = [(spec.field(k), spec.field(k).label(language)) for k in spec.list_display if k in keys]
    rows = [{label: _display(f, getattr(r, f.key), unit_names, language) for f, label in shown} for r in page.rows]
    return page.total, rows


def _display(f: Field, value: Any, names: dict[int, str], language: str) -> str:
    if value is None:
        return ""
    if f.type == "choice":
        return f.choice_label(value, language)
    if f.type == "org_unit":
        return names.get(value, str(value))
    return str(value)


def _assign(actor: Actor, indicator: Indicator, period: str, children: list[tg.UnitView]) -> None:
    """下达: the units below × the period, as the engine's grid — one row per unit (a number
    box each, so Enter never moves an edit to the next unit), unsaved edits marked, one
    audited save with each target's version checked."""
    language = lang()
    st.subheader(t("targets.assign", period=periods.label(period, language)))
    ids = [c.ref.id for c in children]
    with unit_of_work() as session:
        cells = tg.target_cells(session, indicator.code, ids, [period])
    grid = PivotGrid(
        key=f"{KEY}.assign.{indicator.code}.{period}",
        spec=tg.TargetSpec,
        pivot=tg.HAND_DOWN,
        rows=[GridRow(c.ref.id, c.name(language)) for c in children],
        columns=[(period, tg.unit_label(indicator, language) or t("targets.col.target"))],
        cells=cells,
        shared={"indicator_code": indicator.code},
        layout="list",
        save=lambda session, who, edits: tg.hand_down(session, who, indicator.code, edits, cells),
    )
    pivot_editor(grid)
    if periods.kind(period) == "year" and cells:
        st.caption(t("targets.split_help"))
        if st.button(t("targets.split"), key=f"{KEY}.assign.split.{indicator.code}", icon=":material/calendar_month:"):
            values = {unit_id: cell.value for (unit_id, _), cell in cells.items()}

            def split() -> dict[str, int]:
                with unit_of_work() as session:
                    return tg.assign(session, actor, indicator.code, period, values, split_months=True)

            counts = attempt(split)
            if counts is not None:
                st.toast(t("targets.saved", **counts), icon=":material/check_circle:")
                flash(t("targets.saved", **counts))
                st.rerun()
