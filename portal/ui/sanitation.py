"""Sanitation (爱国卫生): a campaign's figures; an inspection scored on the engine's grid
(one row per checklist item, saved all or nothing), its photos and the rectifications it
orders; the ranking of the campaign's zones with the red flag and its history; the
rectifications with their workflow steps; charts; and the generic record screens.

Everything shown comes from portal.programmes.sanitation.view and every write goes
through the record engine there; this module only lays it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from db.models import SanitationCampaign, SanitationZone
from portal import clock, formatting, i18n, periods
from portal.org.scope import Actor
from portal.programmes.sanitation import charts as sc
from portal.programmes.sanitation import reports
from portal.programmes.sanitation import specs as sp
from portal.programmes.sanitation import view as sv
from portal.records.display import md_escape
from portal.records.grid import RowChange, Saved
from portal.records.spec import HEADS
from portal.ui import photos, sanitation_public
from portal.ui import views as ui_views
from portal.ui import workflow as workflow_ui
from portal.ui.db import unit_of_work
from portal.ui.downloads import DOCX_MIME, XLSX_MIME, download_button
from portal.ui.grid import GridRow, PivotGrid, current, pivot_editor
from portal.ui.i18n import lang, t
from portal.ui.messages import attempt, flash
from portal.ui.records import render_records
from portal.ui.shell import require_page, selected_period, selected_unit_id

KEY = "sanitation"
PUBLIC_PATH = "sanitation_results"  # the public page's url_path: its file's name, so a fresh server finds it too
RECT_SHOWN = 40
DUE_SHOWN = 30  # today's list on a phone: the rest waits for the next screen
RECORD_SPECS = (
    sp.InspectionSpec,
    sp.RectificationSpec,
    sp.AppealSpec,
    sp.CampaignSpec,
    sp.ScheduleSpec,
    sp.ZoneSpec,
    sp.ChecklistSpec,
    sp.ChecklistItemSpec,
    sp.ItemScoreSpec,
)


def k(purpose: str, name: str) -> str:
    return f"{KEY}.{purpose}.{name}"


def render() -> None:
    actor = require_page("sanitation")
    st.title(t("nav.sanitation"))
    st.caption(t("sanitation.intro"))
    today = clock.today()
    with unit_of_work() as session:
        campaigns = [(c.id, c.name, c.start_date, c.end_date) for c in sv.campaigns(session, actor)]
    views: list[tuple[str, Callable[[], None]]] = []
    campaign_id: int | None = None
    if campaigns:
        language = lang()
        names = {cid: i18n.aside(name, f"{start:%m-%d}—{end:%m-%d}", language) for cid, name, start, end in campaigns}
        campaign_id = st.selectbox(
            t("sanitation.campaign"), list(names), key=k("pick", "campaign"), format_func=lambda c: names[c]
        )
    else:
        st.info(t("sanitation.no_campaign"))
    if campaign_id is not None:
        chosen = campaign_id
        _summary(actor, chosen, today)
        views += [
            (t("sanitation.tab.score"), lambda: score_view(actor, chosen, today)),
            (t("sanitation.tab.ranking"), lambda: ranking_view(actor, chosen, today)),
        ]
    views.append((t("sanitation.tab.rect"), lambda: rect_view(actor, today)))
    if campaign_id is not None:
        chosen_for_charts = campaign_id
        views.append((t("sanitation.tab.charts"), lambda: charts_view(actor, chosen_for_charts, today)))
    views.append((t("sanitation.tab.checklists"), lambda: checklist_view(actor)))
    views.append((t("sanitation.tab.records"), lambda: records_view(actor)))
    ui_views.tabs(views, k("tabs", "view"))  # only the open one runs


def _summary(actor: Actor, campaign_id: int, today: dt.date) -> None:
    with unit_of_work() as session:
        figures = attempt(lambda: sv.summary(session, actor, campaign_id, today))
    if figures is None:
        return
    row = st.container(horizontal=True)  # wraps two by two on a phone
    row.metric(
        t("sanitation.summary.inspections"),
        figures.inspections,
        help=t("sanitation.summary.planned", n=figures.planned) if figures.planned else None,
    )
    row.metric(t("sanitation.summary.mean"), formatting.number(figures.mean))
    row.metric(
        t("sanitation.summary.closure"),
        formatting.pct(figures.closure_rate),
        help=t("sanitation.summary.closure_help", verified=figures.rect_verified, total=figures.rect_total),
    )
    row.metric(t("sanitation.summary.overdue"), figures.rect_overdue)


# -- scoring ---------------------------------------------------------------------------------------


def score_view(actor: Actor, campaign_id: int, today: dt.date) -> None:
    writer = sp.InspectionSpec.allows(actor.role, "create")
    with unit_of_work() as session:
        campaign = session.get_one(SanitationCampaign, campaign_id)
        zones = [(z.id, z.name) for z in sv.zones_of(session, actor, campaign)]
        inspections = sv.inspections_of(session, actor, campaign_id)
        bounds = (campaign.start_date, campaign.end_date)
    if writer:
        _due_today(actor, campaign_id, today)
        _new_inspection(actor, campaign_id, zones, bounds, today)
    if not inspections:
        st.info(t("sanitation.pick.none"))
        return
    labels = {i.id: i.label for i in inspections}
    default = st.session_state.get(k("pick", "new"))
    ids = list(labels)
    index = ids.index(default) if default in ids else 0
    inspection_id = st.selectbox(
        t("sanitation.pick.title"), ids, index=index, key=k("pick", "inspection"), format_func=lambda i: labels[i]
    )
    if inspection_id is not None:
        sheet_view(actor, inspection_id, writer)


def _new_inspection(
    actor: Actor, campaign_id: int, zones: list[tuple[int, str]], bounds: tuple[dt.date, dt.date], today: dt.date
) -> None:
    with st.expander(t("sanitation.new.title"), icon=":material/add_task:"):
        if not zones:
            st.info(t("sanitation.new.no_zone"))
            return
        names = dict(zones)
        zone = st.selectbox(t("sanitation.new.zone"), list(names), key=k("new", "zone"), format_func=lambda z: names[z])
        day = st.date_input(
            t("sanitation.new.date"),
            value=min(max(today, bounds[0]), bounds[1]),
            min_value=bounds[0],
            max_value=bounds[1],
            key=k("new", "date"),
        )
        choices = {c.value: c.label(lang()) for c in sp.INSPECTION_TYPES}
        kind = st.segmented_control(
            t("sanitation.new.type"),
            list(choices),
            default="weekly",
            key=k("new", "type"),
            format_func=lambda c: choices.get(c, str(c)),
        )
        if not st.button(
            t("sanitation.new.start"), key=k("new", "start"), type="primary", icon=":material/fact_check:"
        ):
            return
        _start(actor, {"campaign_id": campaign_id, "zone_id": zone, "inspection_date": day, "inspection_type": kind})


def _start(actor: Actor, values: dict[str, Any]) -> None:
    """Create the inspection, open its sheet and say so; or show why not."""
    errors: dict[str, list[str]] = {}

    def run() -> tuple[int, str]:
        with unit_of_work() as session:
            obj = sv.start_inspection(session, actor, values)
            zone = session.get_one(SanitationZone, obj.zone_id).name
            return int(obj.id), zone

    created = attempt(run, errors)
    if created is not None:
        st.session_state[k("pick", "new")] = created[0]
        st.session_state.pop(k("pick", "inspection"), None)
        flash(t("sanitation.new.created", zone=created[1]))
        st.rerun()
    _show_errors(errors)


def _due_today(actor: Actor, campaign_id: int, today: dt.date) -> None:
    """The inspector's 今日待检: the schedules' occurrences that are theirs today and not
    done yet, each with a button that starts its inspection (today, the schedule's type)."""
    with unit_of_work() as session:
        due = attempt(lambda: sv.due_today(session, actor, campaign_id, today))
    if not due:
        return
    frequencies = {c.value: c.label(lang()) for c in sp.FREQUENCIES}
    kinds = {c.value: c.label(lang()) for c in sp.INSPECTION_TYPES}
    with st.container(border=True, key=k("due", "list")):
        st.markdown(f"**{t('sanitation.due.title', n=len(due))}**")
        for o in due[:DUE_SHOWN]:
            row = st.container(horizontal=True, vertical_alignment="center")  # wraps on a phone
            parts = [frequencies.get(o.frequency, o.frequency), kinds.get(o.inspection_type, o.inspection_type)]
            if o.start != o.end:
                parts.append(t("sanitation.due.by", date=formatting.date(o.end)))
            if o.team:
                parts.append(o.team)
            row.markdown(f"**{md_escape(o.zone)}**  \n{md_escape(' · '.join(parts))}")
            if row.button(
                t("sanitation.due.start"),
                key=k("due", f"start.{o.schedule_id}.{o.zone_id}"),
                icon=":material/fact_check:",
            ):
                _start(
                    actor,
                    {
                        "campaign_id": campaign_id,
                        "zone_id": o.zone_id,
                        "inspection_date": today,
                        "inspection_type": o.inspection_type,
                    },
                )


def sheet_view(actor: Actor, inspection_id: int, writer: bool) -> None:
    with unit_of_work() as session:
        sheet = attempt(lambda: sv.sheet(session, actor, inspection_id))
    if sheet is None:
        return
    inspection = sheet.inspection
    st.subheader(
        t("sanitation.sheet.title", zone=md_escape(sheet.zone), date=formatting.date(inspection.inspection_date))
    )
    st.caption(t("sanitation.sheet.checklist", name=md_escape(sheet.checklist), n=sheet.version_no))
    if not sheet.items:
        st.info(t("sanitation.sheet.no_items"))
        return
    key = k("sheet", str(inspection_id))
    grid = PivotGrid(
        key=key,
        spec=sp.ItemScoreSpec,
        pivot=sv.SHEET,
        rows=[
            GridRow(
                i.id,
                f"{i.seq}. {i.criterion}",
                {"max": t("sanitation.sheet.item", criterion=i.category, max=formatting.number(i.max_points))},
            )
            for i in sheet.items
        ],
        columns=[(sv.SCORE_COLUMN, t("sanitation.chart.score"))],
        cells=sheet.cells,
        shared={},
        editable=writer,
        layout="list",
        save=lambda session, who, edits: _save_sheet(session, who, inspection_id, edits),
        steps={i.id: i.step for i in sheet.items},  # one tap deducts one step; a blank item starts at full marks
        tops={i.id: i.max_points for i in sheet.items},
    )
    total_slot = st.empty()
    if (
        writer
        and not sheet.cells
        and st.button(t("sanitation.sheet.fill"), key=f"{key}.full", icon=":material/done_all:")
    ):
        edits = st.session_state.setdefault(f"{key}.edits", {})
        for cell, value in sv.full_marks(sheet).items():
            edits[cell] = value
            st.session_state[f"{key}.cell.{cell[0]}.{cell[1]}"] = value
        st.rerun()
    if not writer:
        st.caption(t("sanitation.sheet.readonly"))
    pivot_editor(grid)
    total_slot.info(
        t(
            "sanitation.sheet.total",
            total=formatting.number(sv.live_total(sheet, current(grid))),
            max=formatting.number(sheet.max_total),
        ),
        icon=":material/scoreboard:",
    )
    st.markdown(f"**{t('sanitation.photos')}**")
    field = sp.InspectionSpec.field("photos")
    photos.gallery(sp.InspectionSpec, actor, inspection_id, field, key=f"{key}.gallery", removable=writer)
    if writer:
        photos.photo_input(sp.InspectionSpec, actor, inspection_id, field, key=f"{key}.photos")
    if sp.RectificationSpec.allows(actor.role, "create"):
        _raise_rect(actor, inspection_id, key)
    if sheet.cells:  # scored: the notice for the unit inspected

        def notice() -> bytes:
            with unit_of_work() as session:
                return reports.rectification_notice(session, actor, inspection_id, "docx", lang())

        download_button(
            st,
            t("sanitation.doc.download_notice"),
            notice,
            file_name=f"{t('sanitation.doc.notice_title')}-{sheet.zone}-{inspection.inspection_date}.docx",
            mime=DOCX_MIME,
            key=f"{key}.notice",
        )


def _save_sheet(session: Any, actor: Actor, inspection_id: int, edits: dict[Any, Any]) -> Saved:
    return sv.score_sheet(session, actor, inspection_id, edits)


def _raise_rect(actor: Actor, inspection_id: int, key: str) -> None:
    with st.expander(t("sanitation.rect.raise"), icon=":material/report:"):
        text = st.text_area(t("sanitation.rect.description"), key=f"{key}.rect.text", max_chars=2000)
        due = st.date_input(t("sanitation.rect.due"), value=None, key=f"{key}.rect.due")
        if not st.button(t("sanitation.rect.add"), key=f"{key}.rect.add", icon=":material/assignment_late:"):
            return
        errors: dict[str, list[str]] = {}

        def run() -> dt.date:
            with unit_of_work() as session:
                rect = sv.raise_rectification(session, actor, inspection_id, text, due)
                due_date: dt.date = rect.due_date
                return due_date

        made = attempt(run, errors)
        if made is not None:
            st.session_state.pop(f"{key}.rect.text", None)
            flash(t("sanitation.rect.added", due=formatting.date(made)))
            st.rerun()
        _show_errors(errors)


def _show_errors(errors: dict[str, list[str]]) -> None:
    for messages in errors.values():
        st.error(" ".join(messages))


# -- ranking ---------------------------------------------------------------------------------------


def ranking_view(actor: Actor, campaign_id: int, today: dt.date) -> None:
    with unit_of_work() as session:
        campaign = session.get_one(SanitationCampaign, campaign_id)
        offered = sv.ranking_periods(campaign, today)
        target = campaign.target_score
        campaign_name = campaign.name
        missed_rule, missed_score = campaign.missed_rule, campaign.missed_score
        weights = campaign.type_weights
    options: dict[str, tuple[dt.date, dt.date]] = {p.key: (p.start, p.end) for p in offered}
    labels = {p.key: _period_label(p) for p in offered}
    chosen = st.selectbox(
        t("sanitation.rank.period"), list(options), key=k("rank", "period"), format_func=lambda x: labels[x]
    )
    span = options[chosen or "whole"]
    grouped = st.toggle(t("sanitation.rank.grouped"), key=k("rank", "grouped"), help=t("sanitation.rank.grouped_help"))
    with unit_of_work() as session:
        result = attempt(lambda: sv.ranking(session, actor, campaign_id, span[0], span[1], grouped=grouped))
        if result is None:
            return
        ids = {r.unit_id for r in result.rows} | {r.group_id for r in result.rows if r.group_id is not None}
        units = sv.unit_names(session, ids, lang())
        history = sv.flag_history(session, actor, campaign_id, today)
        missed = sv.missed(session, actor, campaign_id, span[0], span[1], today) if actor.role in HEADS else None
    holders = result.holders
    if holders and grouped:
        each = i18n.join((f"{units.get(h.group_id or 0, '')} · {h.zone}" for h in holders), lang())
        st.success(md_escape(t("sanitation.rank.flag_groups", zones=each)), icon=":material/flag:")
    elif holders:
        zones = i18n.join((h.zone for h in holders), lang())
        mean = formatting.number(holders[0].mean or 0)
        message = "sanitation.rank.flag_shared" if result.shared_flag else "sanitation.rank.flag"
        st.success(md_escape(t(message, zones=zones, mean=mean)), icon=":material/flag:")
    else:
        st.info(t("sanitation.rank.no_flag"))
    st.caption(t("sanitation.rank.rule"))
    weighed = reports.weights_text(weights, lang())
    if weighed:  # a declared text that reads as no weights says nothing
        st.caption(t("sanitation.rank.weights", weights=weighed))
    any_missed = any(r.missed for r in result.rows)
    if any_missed or missed_rule != "ignore":
        st.caption(t(f"sanitation.rank.missed.{missed_rule}", score=formatting.number(missed_score)))
    missed_column = {t("sanitation.rank.col.missed"): [r.missed for r in result.rows]} if any_missed else {}
    group_column = (
        {t("sanitation.rank.col.group"): [units.get(r.group_id or 0, "") for r in result.rows]} if grouped else {}
    )
    table = pd.DataFrame(
        {
            **group_column,
            t("sanitation.rank.col.rank"): [
                t("sanitation.rank.unranked")
                if r.rank is None
                else f"{r.rank}{t('sanitation.rank.tied') if r.tied else ''}"
                for r in result.rows
            ],
            t("sanitation.rank.col.zone"): [r.zone for r in result.rows],
            t("sanitation.rank.col.unit"): [units.get(r.unit_id, "") for r in result.rows],
            t("sanitation.rank.col.count"): [r.inspections for r in result.rows],
            t("sanitation.rank.col.mean"): [None if r.mean is None else r.mean for r in result.rows],
            t("sanitation.rank.col.flag"): ["★" if r.flag else "" for r in result.rows],
            **missed_column,
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", key=k("table", "ranking"))
    if any(r.mean is not None for r in result.rows):
        st.altair_chart(sc.ranking_chart(result.rows, lang(), target), width="stretch")
    row = st.container(horizontal=True)
    for fmt, mime in (("docx", DOCX_MIME), ("xlsx", XLSX_MIME)):

        def ranking_file(fmt: str = fmt) -> bytes:
            with unit_of_work() as session:
                return reports.ranking_document(
                    session, actor, campaign_id, span[0], span[1], fmt, lang(), grouped=grouped
                )

        download_button(
            row,
            t("sanitation.doc.download_ranking", fmt="Word" if fmt == "docx" else "Excel"),
            ranking_file,
            file_name=f"{campaign_name}-{span[0]}-{span[1]}.{fmt}",
            mime=mime,
            key=k("rank", f"download.{fmt}"),
        )
    _honour_lists(result, units, target, grouped)
    if missed is not None:
        _missed(missed)
    if sp.PublicationSpec.allows(actor.role, "create"):
        _publish(actor, campaign_id, campaign_name, span, labels[chosen or "whole"], grouped)
    st.subheader(t("sanitation.rank.history"))
    st.dataframe(
        pd.DataFrame(
            {
                t("sanitation.rank.col.week"): [
                    t("sanitation.rank.week", start=formatting.date(h.start), end=formatting.date(h.end))
                    for h in history
                ],
                t("sanitation.rank.col.holders"): [
                    (i18n.join(h.holders, lang()) + (t("sanitation.rank.tied") if h.shared else ""))
                    if h.holders
                    else t("sanitation.rank.none")
                    for h in history
                ],
                t("sanitation.rank.col.mean"): [h.mean for h in history],
            }
        ),
        hide_index=True,
        width="stretch",
        key=k("table", "history"),
    )


def _period_label(p: sv.RankPeriod) -> str:
    if p.kind == "term":
        return t("sanitation.rank.whole")
    if p.kind == "month":
        return t("sanitation.rank.month", month=periods.label(p.key, lang()))
    if p.kind == "day":
        return t("sanitation.rank.day", day=formatting.date(p.start))
    return t("sanitation.rank.week", start=formatting.date(p.start), end=formatting.date(p.end))


def _honour_lists(result: sv.Ranking, units: dict[int, str], target: float | None, grouped: bool) -> None:
    """红榜 / 黑榜 side by side (stacked on a phone): a line per zone, its place and mean."""
    red, black = sv.honour_lists(result, target)
    if not red and not black:
        return

    def line(r: sv.RankRow) -> str:
        group = f"{units.get(r.group_id or 0, '')} · " if grouped else ""
        place = f"{r.rank}{t('sanitation.rank.tied') if r.tied else ''}"
        mean = formatting.number(r.mean)
        return md_escape(t("sanitation.rank.honour_line", place=place, zone=group + r.zone, mean=mean))

    left, right = st.columns(2)
    with left:
        st.markdown(f"##### :red[{t('sanitation.rank.red_list')}]")
        st.markdown("\n".join(f"- {line(r)}" for r in red) if red else t("sanitation.rank.none"))
    with right:
        st.markdown(f"##### {t('sanitation.rank.black_list')}")
        rule = (
            t("sanitation.rank.black_rule_target", target=formatting.number(target))
            if target is not None
            else t("sanitation.rank.black_rule_last")
        )
        st.caption(rule)
        st.markdown("\n".join(f"- {line(r)}" for r in black) if black else t("sanitation.rank.none"))


def _missed(missed: list[sv.Occurrence]) -> None:
    """The 漏检 list for heads: three columns, so it reads on a phone."""
    st.subheader(t("sanitation.missed.title", n=len(missed)))
    if not missed:
        st.caption(t("sanitation.missed.none"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("sanitation.missed.col.when"): [
                    formatting.date(o.start)
                    if o.start == o.end
                    else t("sanitation.missed.span", start=formatting.date(o.start), end=formatting.date(o.end))
                    for o in missed
                ],
                t("sanitation.missed.col.zone"): [o.zone for o in missed],
                t("sanitation.missed.col.who"): [o.team or i18n.join(o.on_duty, lang()) for o in missed],
            }
        ),
        hide_index=True,
        width="stretch",
        key=k("table", "missed"),
    )


def _publish(
    actor: Actor, campaign_id: int, name: str, span: tuple[dt.date, dt.date], label: str, grouped: bool
) -> None:
    """A head publishes the period shown (公示), by groups when the tab shows groups, and may
    withdraw what was published."""
    just_published = st.session_state.pop(k("publish", "opened"), False)  # show the new link at once
    with st.expander(t("sanitation.publish.title"), icon=":material/campaign:", expanded=just_published):
        key = k("publish", f"{campaign_id}.{span[0].isoformat()}.{span[1].isoformat()}")
        if grouped:
            st.caption(t("sanitation.publish.grouped"))
        title = st.text_input(
            t("sanitation.publish.heading"),
            value=t("sanitation.publish.default", campaign=name, period=label),
            key=f"{key}.title",
            max_chars=200,
        )
        if st.button(t("sanitation.publish.button"), key=f"{key}.go", type="primary", icon=":material/publish:"):
            errors: dict[str, list[str]] = {}

            def run() -> str:
                with unit_of_work() as session:
                    token: str = sv.publish(session, actor, campaign_id, span[0], span[1], title, grouped).token
                    return token

            if attempt(run, errors) is not None:
                flash(t("sanitation.publish.done"))
                st.session_state[k("publish", "opened")] = True
                st.rerun()
            _show_errors(errors)
        with unit_of_work() as session:
            published = [(p.id, p.title, p.token) for p in sv.publications(session, actor, campaign_id)]
        if published:
            st.markdown(f"**{t('sanitation.publish.list')}**")
        for pid, heading, token in published:
            st.markdown(md_escape(heading))
            st.caption(t("sanitation.publish.link"))
            st.code(f"/{PUBLIC_PATH}?{sanitation_public.LINK_PARAM}={token}", language=None)
            if st.button(
                t("sanitation.publish.withdraw"), key=k("publish", f"withdraw.{pid}"), icon=":material/unpublished:"
            ):

                def withdraw(publication: int = pid) -> bool:
                    with unit_of_work() as session:
                        sv.unpublish(session, actor, publication)
                    return True

                if attempt(withdraw):
                    flash(t("sanitation.publish.withdrawn"))
                    st.rerun()


# -- rectifications ----------------------------------------------------------------------------------


def rect_view(actor: Actor, today: dt.date) -> None:
    show_closed = st.toggle(t("sanitation.rect.show_closed"), key=k("rect", "closed"))
    states = None if show_closed else ("open", "rectified", "returned")
    with unit_of_work() as session:
        rows = attempt(lambda: sv.rectifications(session, actor, today, lang(), states))
    if not rows:
        st.info(t("sanitation.rect.empty"))
        return
    writer = sp.RectificationSpec.allows(actor.role, "create")
    field = sp.RectificationSpec.field("photos")
    for row in rows[:RECT_SHOWN]:
        rect = row.record
        with st.container(border=True, key=k("rect", f"card.{rect.id}")):
            head = st.container(horizontal=True, vertical_alignment="center")
            with head:
                workflow_ui.state_badge(sp.RectificationSpec, rect.status)
                if row.overdue:
                    st.badge(t("sanitation.rect.overdue", days=-row.days_left), color="red", icon=":material/alarm:")
                elif rect.status in sp.OPEN_STATES:
                    st.badge(t("sanitation.rect.left", days=row.days_left), color="orange")
            st.markdown(f"**{md_escape(rect.description)}**")
            place = " · ".join(x for x in (row.unit, row.zone) if x)
            due = t("sanitation.rect.due_label", due=formatting.date(rect.due_date))
            st.caption(f"{md_escape(place)} · {due}")
            if rect.comment:
                st.caption(md_escape(rect.comment))
            photos.gallery(
                sp.RectificationSpec,
                actor,
                rect.id,
                field,
                key=k("rect", f"gallery.{rect.id}"),
                removable=writer and rect.status != "verified",
            )
            if writer and rect.status in sp.OPEN_STATES:
                with st.expander(t("sanitation.rect.evidence"), icon=":material/add_a_photo:"):
                    photos.photo_input(sp.RectificationSpec, actor, rect.id, field, key=k("rect", f"photo.{rect.id}"))
            workflow_ui.actions(sp.RectificationSpec, actor, rect, key=k("rect", f"flow.{rect.id}"))


# -- checklists and their versions ----------------------------------------------------------------

ITEM_COLUMNS = ("seq", "criterion", "category", "max_points", "step")


def checklist_view(actor: Actor) -> None:
    """The current version of each checklist with its items; a reviewer edits it here. A
    checklist inspections used is saved as a new version, and the page says so."""
    editor = sp.ChecklistSpec.allows(actor.role, "edit")
    with unit_of_work() as session:
        found = attempt(lambda: sv.checklists(session, actor))
    if not found:
        st.info(t("sanitation.checklist.none"))
        return
    names = {c.id: t("sanitation.checklist.label", name=c.name, n=c.version_no) for c in found}
    ids = list(names)
    made = st.session_state.get(k("checklist", "new"))  # a version just made is the one shown
    chosen = st.selectbox(
        t("sanitation.checklist.pick"),
        ids,
        index=ids.index(made) if made in ids else 0,
        key=k("checklist", "pick"),
        format_func=lambda c: names[c],
    )
    current = next((c for c in found if c.id == chosen), found[0])
    st.badge(t("sanitation.checklist.version", n=current.version_no), icon=":material/history:")
    if current.used:
        st.caption(t("sanitation.checklist.used", n=current.version_no, next=current.version_no + 1))
    else:
        st.caption(t("sanitation.checklist.unused"))
    labels = {c: sp.ChecklistItemSpec.field(c).label(lang()) for c in ITEM_COLUMNS}
    frame = pd.DataFrame(  # headed in the reader's language; the edits are mapped back to the fields
        {labels[c]: [getattr(i, c) for i in current.items] for c in ITEM_COLUMNS},
        columns=[labels[c] for c in ITEM_COLUMNS],
    )
    if not editor:
        st.dataframe(frame, hide_index=True, width="stretch")
        return
    key = k("checklist", f"{current.id}.{current.lock}")
    name = st.text_input(sp.ChecklistSpec.field("name").label(lang()), value=current.name, key=f"{key}.name")
    st.data_editor(
        frame,
        key=f"{key}.items",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
    )
    if not st.button(t("sanitation.checklist.save"), key=f"{key}.save", type="primary", icon=":material/save:"):
        return
    fields = {label: c for c, label in labels.items()}
    rows = _item_changes(current, st.session_state.get(f"{key}.items") or {}, fields)
    raw = {"name": name} if name != current.name else {}
    errors: dict[str, list[str]] = {}

    def run() -> sv.ChecklistEdit:
        with unit_of_work() as session:
            return sv.edit_checklist(session, actor, current.id, raw, rows, expected_version=current.lock)

    done = attempt(run, errors)
    if done is None:
        _show_errors(errors)
        return
    st.session_state[k("checklist", "new")] = done.checklist_id
    st.session_state.pop(k("checklist", "pick"), None)
    if done.new_version:
        flash(t("sanitation.checklist.saved_new", n=done.version_no, old=current.version_no))
    else:
        flash(t("sanitation.checklist.saved"))
    st.rerun()


def _item_changes(current: sv.ChecklistVersion, state: dict[str, Any], fields: dict[str, str]) -> list[RowChange]:
    """The editor's edited, added and deleted rows (columns headed by label) as the items'
    row changes (by id, fields by key)."""
    items = current.items
    changes = [
        RowChange(
            items[int(n)].id,
            None,
            {fields[c]: v for c, v in edit.items() if c in fields},
            label=items[int(n)].criterion,
        )
        for n, edit in (state.get("edited_rows") or {}).items()
        if int(n) < len(items)
    ]
    changes += [
        RowChange(values={fields[c]: v for c, v in row.items() if c in fields and v is not None})
        for row in state.get("added_rows") or []
        if any(v not in (None, "") for v in row.values())
    ]
    changes += [
        RowChange(items[int(n)].id, None, delete=True, label=items[int(n)].criterion)
        for n in state.get("deleted_rows") or []
        if int(n) < len(items)
    ]
    return changes


# -- charts and records --------------------------------------------------------------------------------


def charts_view(actor: Actor, campaign_id: int, today: dt.date) -> None:
    with unit_of_work() as session:
        campaign = session.get_one(SanitationCampaign, campaign_id)
        result = attempt(lambda: sv.ranking(session, actor, campaign_id, campaign.start_date, campaign.end_date))
        weeks = sv.week_figures(session, actor, campaign_id, today)
        target = campaign.target_score
        lost = sv.heatmap(session, actor, campaign_id, campaign.start_date, min(campaign.end_date, today), lang())
    if result is not None and any(r.mean is not None for r in result.rows):
        st.altair_chart(sc.ranking_chart(result.rows, lang(), target), width="stretch")
    if weeks:
        st.altair_chart(sc.progress_chart(weeks, lang()), width="stretch")
    st.altair_chart(sc.heatmap_chart(lost, lang()), width="stretch", key=k("chart", "heatmap"))
    st.caption(t("sanitation.charts.heatmap_note"))


def records_view(actor: Actor) -> None:
    specs = {s.slug: s for s in RECORD_SPECS if s.allows(actor.role, "view")}
    slug = st.segmented_control(
        t("sanitation.records.pick"),
        list(specs),
        default=sp.InspectionSpec.slug,
        key=k("records", "type"),
        format_func=lambda s: specs[s].title(lang()),
    )
    spec = specs[slug or sp.InspectionSpec.slug]
    render_records(spec, actor, key=k("records", spec.slug), unit_id=selected_unit_id(), period=selected_period())
