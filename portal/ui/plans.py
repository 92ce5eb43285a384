"""Monthly plans (月度计划): the month's board, its items, the month close, the monthly
report and its review, and the charts — for the sidebar's unit and month.

Everything shown comes from portal.programmes.plans.view and portal.programmes.plans.specs; the cycle's rules (who may
approve, what a lock forbids) live in portal.programmes.plans.specs, so this page only offers the actions
and says what the service answered.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from db.models import MonthlyReport
from portal import cache, clock, formatting, home, i18n, periods
from portal.org.scope import Actor, get_unit_in_scope
from portal.programmes.plans import charts as pc
from portal.programmes.plans import specs as pl
from portal.programmes.plans import view as pv
from portal.programmes.plans.templates import TEMPLATES
from portal.records import service as records
from portal.records.display import md_escape
from portal.ui import children, figures
from portal.ui import views as ui_views
from portal.ui import workflow as workflow_ui
from portal.ui.db import unit_of_work
from portal.ui.downloads import download_button
from portal.ui.i18n import lang, t, tm
from portal.ui.messages import attempt, field_errors, flash
from portal.ui.records import render_records
from portal.ui.shell import arrival_view, require_page, selected_period, selected_unit_id

log = logging.getLogger("portal")
KEY = "plans"
REPORT_FIELDS = ("summary", "problems", "next_plan")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OWNERS_SHOWN = 12  # the workload chart's busiest owners


def k(purpose: str, name: str) -> str:
    return f"{KEY}.{purpose}.{name}"


@dataclass
class Ctx:
    actor: Actor
    unit_id: int
    unit_name: str
    month: str
    today: dt.date
    state: pv.ReportState
    cards: list[pv.Card]
    has_below: bool = False

    @property
    def locked(self) -> bool:
        return self.state.locked

    @property
    def writer(self) -> bool:
        return self.actor.role in pl.WRITERS

    @property
    def month_label(self) -> str:
        return periods.label(self.month, lang())


def render() -> None:
    actor = require_page("plans")
    st.title(t("nav.plans"))
    unit_id = selected_unit_id() or actor.org_unit_id
    if unit_id is None:
        st.info(t("plans.no_unit"))
        return
    today = clock.today()
    month = pv.board_month(selected_period(), today)

    def load() -> Ctx:
        with unit_of_work() as session:
            unit = get_unit_in_scope(session, actor, unit_id)
            return Ctx(
                actor,
                unit.id,
                i18n.label(lang(), unit.name_zh, unit.name_en),
                month,
                today,
                pv.report_state(session, actor, unit.id, month, today),
                pv.board(session, actor, unit.id, month, today),
                bool(home.units_below(session, actor, unit.id)),
            )

    ctx = attempt(load)
    if ctx is None:
        return
    st.caption(tm("plans.caption", unit=ctx.unit_name, month=ctx.month_label))
    if month != selected_period():
        st.caption(
            tm("plans.month_from_period", period=periods.label(selected_period(), lang()), month=ctx.month_label)
        )
    if ctx.locked:
        st.warning(t("plans.locked_banner", month=ctx.month_label), icon=":material/lock:")
    views: list[tuple[str, Callable[[Ctx], None]]] = [
        ("board", board_view),
        ("items", items_view),
        ("report", report_view),
        ("close", close_view),
    ]
    if actor.role in pl.HEADS:
        views.append(("review", review_view))
    views.append(("charts", charts_view))
    labels = {code: t(f"plans.tab.{code}") for code, _ in views}
    key = k("tabs", "view")
    wanted = arrival_view(list(labels))  # a home-page link: ?view=review&month=2026-10
    if wanted is None and key not in st.session_state and ctx.has_below and actor.role in pl.HEADS:
        wanted = "review"  # a head of units below opens on their grid
    if wanted is not None:
        st.session_state[key] = labels[wanted]
    ui_views.tabs([(labels[code], functools.partial(draw, ctx)) for code, draw in views], key)  # only the open one runs


# -- board ----------------------------------------------------------------------------------


def board_view(ctx: Ctx) -> None:
    cards = ctx.cards
    if not cards:
        st.info(t("plans.board.empty", month=ctx.month_label))
    else:
        done, _counted, rate = pv.completion(cards)
        cols = st.columns(4)
        cols[0].metric(t("plans.metric.items"), len(cards))
        cols[1].metric(t("plans.metric.done"), done)
        cols[2].metric(t("plans.metric.rate"), formatting.pct(rate))
        cols[3].metric(t("plans.metric.overdue"), sum(c.overdue for c in cards))
        shown = _filters(cards)
        grouped = pv.by_column(shown)
        for col, column in zip(st.columns(len(pv.COLUMNS)), pv.COLUMNS):
            with col:
                _column(column, grouped[column])
    _units_below(ctx)
    if cards and pl.ProgressUpdateSpec.allows(ctx.actor.role, "create"):
        progress_form(ctx)


def _units_below(ctx: Ctx) -> None:
    """How the units below stand this month, so a head's board is not empty."""
    with unit_of_work() as session:
        cards = cache.figure(session, pv.subtree_cards, ctx.actor, ctx.unit_id, ctx.month, ctx.today, lang())
        below = [(name, card) for name, card in cards if card.id not in {c.id for c in ctx.cards}]
    if not below:
        return
    st.subheader(t("plans.below.title", month=ctx.month_label))
    rows = pv.unit_summary(below)
    st.dataframe(
        {
            t("plans.below.unit"): [r["unit"] for r in rows],
            t("plans.below.items"): [r["items"] for r in rows],
            t("plans.below.done"): [r["done"] for r in rows],
            t("plans.below.rate"): [r["rate"] for r in rows],
            t("plans.below.overdue"): [r["overdue"] for r in rows],
        },
        hide_index=True,
        width="stretch",
        key=k("table", "below"),
        column_config={
            t("plans.below.rate"): st.column_config.ProgressColumn(format="%.0f%%", min_value=0, max_value=100)
        },
    )
    st.caption(t("plans.below.hint"))


def _filters(cards: list[pv.Card]) -> list[pv.Card]:
    owners = sorted({c.owner for c in cards if c.owner})
    areas = [c.value for c in pl.AREAS if c.value in {card.area for card in cards}]
    left, middle, right = st.columns(3)
    chosen_owners = left.multiselect(
        t("plans.filter.owner"), owners, key=k("filter", "owner"), placeholder=t("records.all")
    )
    chosen_areas = middle.multiselect(
        t("plans.filter.area"),
        areas,
        key=k("filter", "area"),
        format_func=lambda v: pv.choice_label(pl.AREAS, v, lang()),
        placeholder=t("records.all"),
    )
    chosen_columns = right.multiselect(
        t("plans.filter.status"),
        list(pv.COLUMNS),
        key=k("filter", "status"),
        format_func=lambda v: pv.column_label(v, lang()),
        placeholder=t("records.all"),
    )
    shown = pv.filter_cards(cards, chosen_owners, chosen_areas, chosen_columns)
    if len(shown) != len(cards):
        st.caption(t("plans.filter.shown", shown=len(shown), total=len(cards)))
    return shown


COLUMN_COLOURS = {"not_started": "gray", "in_progress": "blue", "done": "green", "late": "red", "cancelled": "gray"}


def _column(column: str, cards: list[pv.Card]) -> None:
    colour = COLUMN_COLOURS[column]
    st.markdown(f"**{pv.column_label(column, lang())}** :{colour}-badge[{len(cards)}]")
    if not cards:
        st.caption(t("plans.board.column_empty"))
    for card in cards:
        _card(card)


def _card(card: pv.Card) -> None:
    with st.container(border=True, key=k("card", str(card.id))):
        st.markdown(f"**{md_escape(card.title)}**")
        meta = [pv.choice_label(pl.AREAS, card.area, lang())]
        if card.owner:
            meta.insert(0, card.owner)
        st.caption(md_escape(" · ".join(meta)))
        badges = st.container(horizontal=True, gap="small")
        if card.overdue:
            badges.badge(t("plans.card.overdue"), color="red", icon=":material/alarm:")
        elif card.status == "postponed":
            badges.badge(pv.status_label("postponed", lang()), color="orange", icon=":material/update:")
        if card.carried_over:
            badges.badge(t("plans.card.carried"), color="violet", icon=":material/redo:")
        if card.target_qty is not None or card.actual_qty is not None:
            st.markdown(
                md_escape(
                    t(
                        "plans.card.qty",
                        actual=formatting.number(card.actual_qty or 0),
                        target=formatting.number(card.target_qty),
                        unit=card.target_unit,
                    )
                )
            )
        if card.status != "cancelled":
            st.progress(min(max(card.progress_pct, 0), 100) / 100, text=f"{card.progress_pct}%")
        st.markdown(_due_line(card))


def _due_line(card: pv.Card) -> str:
    due = card.due.strftime("%m-%d")
    if card.overdue:
        return ":red[" + t("plans.card.due_late", date=due, n=card.workdays or 0) + "]"
    if card.status == "done":
        return ":green[" + t("plans.card.due_done", date=due) + "]"
    if card.status in ("cancelled", "postponed"):
        return ":gray[" + t("plans.card.due", date=due) + "]"
    if card.workdays is not None and card.workdays <= 2:
        return ":orange[" + t("plans.card.due_left", date=due, n=card.workdays) + "]"
    return ":gray[" + t("plans.card.due_left", date=due, n=card.workdays or 0) + "]"


def progress_form(ctx: Ctx) -> None:
    st.subheader(t("plans.progress.title"))
    open_cards = [c for c in ctx.cards if c.open]
    if ctx.locked:
        st.caption(t("plans.progress.locked"))
    elif not open_cards:
        st.caption(t("plans.progress.nothing_open"))
        return
    options = [c.id for c in open_cards]
    names = {c.id: f"{c.title} · {c.owner or t('plans.no_owner')} · {c.progress_pct}%" for c in open_cards}
    if st.session_state.get(k("progress", "item")) not in options:
        st.session_state.pop(k("progress", "item"), None)
    with st.form(k("form", "progress"), border=True):
        st.selectbox(
            t("plans.progress.item"),
            options,
            key=k("progress", "item"),
            index=None,
            format_func=names.__getitem__,  # the options are names' keys
            placeholder=t("records.choose"),
            disabled=ctx.locked,
        )
        slots = {"item_id": st.empty()}
        st.text_area(
            t("plans.progress.note") + " *",
            key=k("progress", "note"),
            max_chars=2000,
            height=80,
            placeholder=t("plans.progress.note_hint"),
            disabled=ctx.locked,
        )
        slots["note"] = st.empty()
        left, right = st.columns(2)
        with left:
            st.number_input(
                t("plans.progress.quantity"),
                key=k("progress", "quantity"),
                value=None,
                min_value=0.0,
                placeholder=t("records.blank"),
                disabled=ctx.locked,
            )
            slots["quantity"] = st.empty()
        with right:
            st.number_input(
                t("plans.progress.pct"),
                key=k("progress", "pct"),
                value=None,
                min_value=0,
                max_value=100,
                step=10,
                format="%d",
                placeholder=t("plans.progress.pct_blank"),
                help=t("plans.progress.pct_help"),
                disabled=ctx.locked,
            )
            slots["progress_pct"] = st.empty()
        submitted = st.form_submit_button(
            t("plans.progress.submit"),
            type="primary",
            icon=":material/add_task:",
            key=k("progress", "submit"),
            disabled=ctx.locked,
        )
    if not submitted:
        return
    item_id = st.session_state.get(k("progress", "item"))
    raw: dict[str, Any] = {"item_id": item_id, "note": st.session_state.get(k("progress", "note")) or ""}
    for field, name in (("quantity", "quantity"), ("progress_pct", "pct")):
        value = st.session_state.get(k("progress", name))
        if value is not None:
            raw[field] = value
    errors: dict[str, list[str]] = {}

    def save() -> object:
        with unit_of_work() as session:
            return records.create(session, ctx.actor, pl.ProgressUpdateSpec, raw).id

    if attempt(save, errors) is not None:
        for name in ("item", "note", "quantity", "pct"):
            st.session_state.pop(k("progress", name), None)
        title = next((c.title for c in open_cards if c.id == item_id), "")
        flash(tm("plans.progress.saved", title=title))
        st.rerun()
    for name, slot in slots.items():
        field_errors(slot, errors.pop(name, None))
    for messages in errors.values():  # the month locked meanwhile, an item gone...
        st.error(md_escape(" ".join(messages)))


# -- items ----------------------------------------------------------------------------------


def items_view(ctx: Ctx) -> None:
    """The month's plan as one editable table (the items are the month report's child
    rows, saved together in one audited transaction), and every item's full record below."""
    if ctx.locked:
        st.caption(t("plans.items.locked"))
    elif ctx.writer:
        month_table(ctx)
    with st.expander(t("plans.items.all_fields"), icon=":material/table_view:", expanded=not ctx.writer or ctx.locked):
        render_records(pl.PlanItemSpec, ctx.actor, key="plan_items", unit_id=ctx.unit_id, period=ctx.month)


def month_table(ctx: Ctx) -> None:
    inline = pl.MonthlyReportSpec.inlines[0]
    generation = st.session_state.get(k("month", "generation"), 0)
    with unit_of_work() as session:
        report = pl.report_for(session, ctx.actor, ctx.unit_id, ctx.month)
    parent = report if report is not None else MonthlyReport(org_unit_id=ctx.unit_id, month=ctx.month)
    with st.form(k("form", f"month{generation}"), enter_to_submit=False, border=False):
        table = children.editor(
            pl.MonthlyReportSpec,
            inline,
            ctx.actor,
            parent,
            key=k("month", str(generation)),
            language=lang(),
            editable=True,
        )
        submitted = st.form_submit_button(t("plans.items.save"), type="primary", icon=":material/save:")
    if not submitted:
        return
    rows = children.changes(table, lang())
    if not rows:
        st.info(t("plans.items.nothing_changed"))
        return
    errors: dict[str, list[str]] = {}

    def save() -> object:
        with unit_of_work() as session:
            month = pl.report_for(session, ctx.actor, ctx.unit_id, ctx.month, create=True)
            return records.save(session, ctx.actor, pl.MonthlyReportSpec, month.id, {}, children={inline.spec: rows})

    if attempt(save, errors) is not None:
        st.session_state[k("month", "generation")] = generation + 1
        st.toast(t("plans.items.saved", count=len(rows)), icon=":material/check_circle:")
        flash(t("plans.items.saved", count=len(rows)))
        st.rerun()
    for messages in errors.values():
        for message in messages:
            st.error(message)


# -- month close ----------------------------------------------------------------------------


def close_view(ctx: Ctx) -> None:
    nxt = pl.next_month(ctx.month)
    nxt_label = periods.label(nxt, lang())
    with unit_of_work() as session:
        following = pl.items_of(session, ctx.actor, ctx.unit_id, nxt)
        next_locked = pl.is_locked(session, ctx.unit_id, nxt)
    unfinished = [c for c in ctx.cards if c.status in pl.UNFINISHED]
    carried = {i.carried_from_id for i in following if i.carried_from_id}
    to_carry = [c for c in unfinished if c.id not in carried]
    copyable = [c for c in ctx.cards if c.status != "cancelled"]
    if not ctx.writer:
        st.info(t("plans.close.read_only"))
    st.caption(t("plans.close.intro", month=ctx.month_label, next=nxt_label))
    carry_col, copy_col, template_col = st.columns(3)
    with carry_col, st.container(border=True, height="stretch"):
        st.markdown(f"**{t('plans.close.carry_title')}**")
        st.caption(t("plans.close.carry_help", count=len(to_carry), next=nxt_label))
        if st.button(
            t("plans.close.carry", count=len(to_carry)),
            key=k("close", "carry"),
            type="primary",
            icon=":material/redo:",
            disabled=not ctx.writer or not to_carry or next_locked,
        ):

            def carry() -> int:
                with unit_of_work() as session:
                    return pl.carry_over(session, ctx.actor, ctx.unit_id, ctx.month)

            count = attempt(carry)
            if count is not None:
                flash(t("plans.close.carried", count=count, next=nxt_label))
                st.rerun()
    with copy_col, st.container(border=True, height="stretch"):
        st.markdown(f"**{t('plans.close.copy_title')}**")
        st.caption(t("plans.close.copy_help", count=len(copyable), next=nxt_label))
        confirmed = True
        if following:
            st.warning(t("plans.close.next_has", count=len(following), next=nxt_label))
            confirmed = st.checkbox(t("plans.close.copy_anyway"), key=k("close", "copy_confirm"))
        if st.button(
            t("plans.close.copy", next=nxt_label),
            key=k("close", "copy"),
            icon=":material/content_copy:",
            disabled=not ctx.writer or not copyable or not confirmed or next_locked,
        ):

            def copy() -> int:
                with unit_of_work() as session:
                    return pl.copy_month(session, ctx.actor, ctx.unit_id, ctx.month, nxt)

            count = attempt(copy)
            if count is not None:
                st.session_state.pop(k("close", "copy_confirm"), None)
                flash(t("plans.close.copied", count=count, next=nxt_label))
                st.rerun()
    with template_col, st.container(border=True, height="stretch"):
        _template_panel(ctx, nxt, next_locked)
    if next_locked:
        st.caption(t("plans.close.next_locked", next=nxt_label))


def _template_panel(ctx: Ctx, nxt: str, next_locked: bool) -> None:
    st.markdown(f"**{t('plans.close.template_title')}**")
    if st.session_state.get(k("close", "context")) != (ctx.unit_id, ctx.month):  # the sidebar moved
        st.session_state[k("close", "context")] = (ctx.unit_id, ctx.month)
        for name in ("template", "template_month"):
            st.session_state.pop(k("close", name), None)
    names = {
        code: t(
            "plans.close.template_name",
            name=tpl["en"] if lang() == "en" else tpl["zh"],
            source=tpl["source_en"] if lang() == "en" else tpl["source"],
        )
        for code, tpl in TEMPLATES.items()
    }
    if st.session_state.get(k("close", "template")) not in TEMPLATES:  # one with something for these months
        useful = [c for m in (ctx.month, nxt) for c, tpl in TEMPLATES.items() if tpl["months"].get(int(m[5:7]))]
        st.session_state[k("close", "template")] = (useful or list(TEMPLATES))[0]
    code = st.selectbox(
        t("plans.close.template"), list(TEMPLATES), key=k("close", "template"), format_func=names.__getitem__
    )
    targets = [ctx.month, nxt]
    target = st.radio(
        t("plans.close.template_month"),
        targets,
        key=k("close", "template_month"),
        horizontal=True,
        format_func=lambda m: periods.label(m, lang()),
    )
    rows = TEMPLATES[code]["months"].get(int(target[5:7]), [])
    if rows:
        st.caption(
            t(
                "plans.close.template_rows",
                count=len(rows),
                items=i18n.join((r[1] for r in rows[:3]), lang()) + ("…" if len(rows) > 3 else ""),
            )
        )
    else:
        st.caption(t("plans.close.template_none", month=periods.label(target, lang())))
    locked = ctx.locked if target == ctx.month else next_locked
    if st.button(
        t("plans.close.apply"),
        key=k("close", "apply_template"),
        icon=":material/playlist_add:",
        disabled=not ctx.writer or not rows or locked,
    ):

        def apply() -> int:
            with unit_of_work() as session:
                return pl.from_template(session, ctx.actor, ctx.unit_id, target, code)

        count = attempt(apply)
        if count is not None:
            flash(t("plans.close.applied", count=count, month=periods.label(target, lang())))
            st.rerun()


# -- the monthly report ---------------------------------------------------------------------


def report_view(ctx: Ctx) -> None:
    state = ctx.state
    _report_status(ctx)
    _load_texts(ctx)
    disabled = not state.editable or not ctx.writer
    st.text_area(t("plans.report.summary"), key=k("report", "summary"), height=180, max_chars=8000, disabled=disabled)
    st.text_area(t("plans.report.problems"), key=k("report", "problems"), height=150, max_chars=8000, disabled=disabled)
    st.text_area(
        t("plans.report.next_plan"), key=k("report", "next_plan"), height=150, max_chars=8000, disabled=disabled
    )
    row = st.container(horizontal=True)
    submit = row.button(
        t("plans.report.submit"), key=k("report", "submit"), type="primary", icon=":material/send:", disabled=disabled
    )
    row.button(
        t("plans.report.redraft"),
        key=k("report", "redraft"),
        icon=":material/auto_fix_high:",
        disabled=disabled,
        on_click=_redraft,
        args=(ctx.actor, ctx.unit_id, ctx.month, lang()),
        help=t("plans.report.redraft_help"),
    )
    _downloads(ctx, row)
    if state.editable and ctx.writer:
        st.caption(t("plans.report.submit_help", due=state.due.isoformat()))
    if submit:
        texts = {name: st.session_state.get(k("report", name)) or "" for name in REPORT_FIELDS}

        def send() -> Any:
            with unit_of_work() as session:
                report = pl.submit(session, ctx.actor, ctx.unit_id, ctx.month, None, **texts)  # now: the clock's
                return report.on_time

        outcome = attempt(send)
        if outcome is not None:
            flash(
                t(
                    "plans.report.submitted_on_time" if outcome else "plans.report.submitted_late",
                    month=ctx.month_label,
                ),
                "success" if outcome else "warning",
            )
            st.rerun()


def _report_status(ctx: Ctx) -> None:
    state = ctx.state
    cols = st.columns(4)
    status = "overdue" if state.overdue and state.status == "draft" else state.status
    cols[0].metric(t("plans.report.status"), pc.report_status_label(status, lang()))
    cols[1].metric(t("plans.report.due"), state.due.isoformat())
    cols[1].caption(pv.rule_text(state.rule, lang()))
    cols[2].metric(
        t("plans.report.submitted_at"),
        clock.local_time(state.submitted_at, "%m-%d %H:%M") if state.submitted_at else "—",
        help=clock.local_time(state.submitted_at) if state.submitted_at else None,
    )
    if state.submitted_by:
        cols[2].caption(tm("plans.report.by", name=state.submitted_by))
    flag = "—" if state.on_time is None else (f"✓ {t('plans.on_time')}" if state.on_time else f"✗ {t('plans.late')}")
    cols[3].metric(t("plans.report.on_time"), flag)
    if state.status == "returned":
        st.warning(
            tm("plans.report.returned", by=state.reviewed_by or "—", comment=state.review_comment or "—"),
            icon=":material/undo:",
        )
    elif state.status == "approved":
        st.success(
            tm(
                "plans.report.approved",
                by=state.reviewed_by or "—",
                time=clock.local_time(state.reviewed_at) if state.reviewed_at else "—",
            )
            + (tm("plans.report.comment", comment=state.review_comment) if state.review_comment else ""),
            icon=":material/verified:",
        )
    elif state.status == "submitted":
        st.info(t("plans.report.waiting"), icon=":material/hourglass_top:")
    elif state.overdue:
        st.error(t("plans.report.overdue", due=state.due.isoformat()), icon=":material/alarm:")


def _load_texts(ctx: Ctx) -> None:
    """Fill the text areas once per unit, month and report version: what was saved, else a
    draft from the month's items."""
    state = ctx.state
    sig = (ctx.unit_id, ctx.month, state.version, state.status, lang())
    dropped = any(k("report", name) not in st.session_state for name in REPORT_FIELDS)
    if st.session_state.get(k("report", "loaded")) == sig and not dropped:
        return
    stored = {"summary": state.summary, "problems": state.problems, "next_plan": state.next_plan}
    draft: dict[str, str] = {}
    if not all(stored.values()):
        with unit_of_work() as session:
            draft = pv.draft_texts(session, ctx.actor, ctx.unit_id, ctx.month, lang())
    for name in REPORT_FIELDS:
        st.session_state[k("report", name)] = stored[name] or draft.get(name, "")
    st.session_state[k("report", "loaded")] = sig


def _redraft(actor: Actor, unit_id: int, month: str, language: str) -> None:
    with unit_of_work() as session:
        draft = pv.draft_texts(session, actor, unit_id, month, language)
    for name in REPORT_FIELDS:
        st.session_state[k("report", name)] = draft[name]


def _reports_module() -> Any | None:
    """portal.programmes.plans.reports (Word and Excel monthly reports), once it is installed."""
    if importlib.util.find_spec("portal.programmes.plans.reports") is None:
        return None
    try:
        module = importlib.import_module("portal.programmes.plans.reports")
    except Exception:  # a broken optional module must not break the page
        log.exception("portal.programmes.plans.reports failed to import")
        return None
    return module if all(hasattr(module, n) for n in ("monthly_report_docx", "monthly_report_xlsx")) else None


def _downloads(ctx: Ctx, row: Any) -> None:
    module = _reports_module()
    if module is None:
        return
    actor, unit_id, month, language = ctx.actor, ctx.unit_id, ctx.month, lang()
    for fmt, maker, mime in (("docx", module.monthly_report_docx, DOCX), ("xlsx", module.monthly_report_xlsx, XLSX)):

        def make(maker: Callable[..., bytes] = maker) -> bytes:
            with unit_of_work() as session:
                return maker(session, actor, unit_id, month, language)

        download_button(
            row,
            t(f"plans.report.download_{fmt}"),
            make,
            file_name=t("plans.report.file_name", unit=ctx.unit_name, month=month) + f".{fmt}",
            mime=mime,
            key=k("report", f"download_{fmt}"),
        )


# -- review ---------------------------------------------------------------------------------


def review_view(ctx: Ctx) -> None:
    months = pv.months_up_to(ctx.month)
    language = lang()
    with unit_of_work() as session:
        units = pv.review_units(session, ctx.actor, ctx.unit_id, language)
        rows = cache.figure(session, pv.review_grid, ctx.actor, units, months, ctx.today)
        st.caption(t("plans.review.intro"))
        with st.container(key=GRID_BOX):  # a desk's grid: units down, months across
            figures.chart(
                session,
                ("plans.grid", rows, language),
                lambda: pc.report_grid_chart(pv.grid_cells(rows, language), language, t("plans.review.grid_title")),
                widget_key=k("chart", "grid"),
            )
    with st.container(key=LIST_BOX):  # a phone's list: one line of months per unit
        review_list(pv.grid_cells(rows, language), language)
    st.caption(t("plans.review.legend"))
    st.subheader(t("plans.review.action_title"))
    choices = [uid for uid, _ in units] + ([ctx.unit_id] if ctx.unit_id not in {u for u, _ in units} else [])
    names = dict(units) | {ctx.unit_id: ctx.unit_name}
    pending = [r for r in rows if r.status == "submitted"]
    if pending:
        listed = t("plans.draft.sep").join(
            tm("plans.review.pending_item", unit=r.unit, month=periods.label(r.month, lang())) for r in pending[:6]
        )
        st.info(
            t("plans.review.pending", count=len(pending), list=listed + ("…" if len(pending) > 6 else "")),
            icon=":material/pending_actions:",
        )
    context = (ctx.unit_id, ctx.month)
    if st.session_state.get(k("review", "context")) != context:  # the sidebar moved: start again
        st.session_state[k("review", "context")] = context
        for name in ("unit", "month"):
            st.session_state.pop(k("review", name), None)
    if st.session_state.get(k("review", "month")) not in months:
        st.session_state[k("review", "month")] = ctx.month
    if st.session_state.get(k("review", "unit")) not in choices:
        waiting = [r.unit_id for r in pending if r.month == st.session_state[k("review", "month")]]
        st.session_state[k("review", "unit")] = (waiting or choices)[0]
    left, right = st.columns(2)
    unit_id = left.selectbox(t("plans.review.unit"), choices, key=k("review", "unit"), format_func=names.__getitem__)
    month = right.selectbox(
        t("plans.review.month"), months[::-1], key=k("review", "month"), format_func=lambda m: periods.label(m, lang())
    )
    with unit_of_work() as session:
        state = attempt(lambda: pv.report_state(session, ctx.actor, unit_id, month, ctx.today))
    if state is None:
        return
    label = f"{names[unit_id]} · {periods.label(month, lang())}"
    status = "overdue" if state.overdue and state.status == "draft" else state.status
    with st.container(border=True):
        badge = f":{_badge_colour(status)}-badge[{pc.report_status_label(status, lang())}]"
        st.markdown(f"**{md_escape(label)}** {badge}")
        facts = [t("plans.review.due", date=state.due.isoformat())]
        if state.submitted_at:
            facts.append(
                t(
                    "plans.grid.tip_submitted",
                    time=clock.local_time(state.submitted_at),
                    flag=t("plans.on_time" if state.on_time else "plans.late"),
                )
            )
        if state.review_comment:
            facts.append(t("plans.review.last_comment", comment=state.review_comment))
        st.caption(md_escape(" · ".join(facts)))
        if state.exists and any((state.summary, state.problems, state.next_plan)):
            for name, value in (
                ("summary", state.summary),
                ("problems", state.problems),
                ("next_plan", state.next_plan),
            ):
                st.markdown(f"**{t(f'plans.report.{name}')}**")
                st.text(value or "—")
    if st.session_state.get(k("review", "picked")) != (unit_id, month):  # another report: a fresh comment
        st.session_state[k("review", "picked")] = (unit_id, month)
        st.session_state.pop(k("review", "report.workflow.comment"), None)
    with unit_of_work() as session:
        report = pl.report_for(session, ctx.actor, unit_id, month)
    if report is None:
        st.caption(t("plans.review.nothing_sent"))
        return
    done = {"approve": "plans.review.approved", "return": "plans.review.returned", "unlock": "plans.review.unlocked"}
    workflow_ui.actions(
        pl.MonthlyReportSpec,
        ctx.actor,
        report,
        key=k("review", "report"),
        message=lambda step: tm(
            done.get(step, "workflow.done"),
            unit=names[unit_id],
            month=periods.label(month, lang()),
            step=step,
        ),
    )


GRID_BOX, LIST_BOX = "plans-review-grid", "plans-review-list"
PHONE_PX = 640  # Streamlit stacks columns below this width
# Fixed text, no user input: on a phone the grid's months would not fit beside the unit
# names, so the list replaces it there (and only there).
REVIEW_CSS = (
    "<style>"
    f".st-key-{LIST_BOX}{{display:none}}"
    f"@media (max-width:{PHONE_PX}px){{.st-key-{GRID_BOX}{{display:none}}.st-key-{LIST_BOX}{{display:flex}}}}"
    "</style>"
)


def review_list(cells: list[dict[str, Any]], language: str) -> None:
    """The review grid as a list per unit: the unit's name, then a badge per month with
    the report's status (newest month first), all in one element."""
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for cell in cells:
        by_unit.setdefault(cell["unit"], []).append(cell)
    lines = []
    for unit, row in by_unit.items():
        badges = " ".join(
            f":{_badge_colour(c['status'])}-badge[{md_escape(c['month'])} · "
            f"{md_escape(pc.report_status_label(c['status'], language))}{(' ' + c['flag']) if c['flag'] else ''}]"
            for c in reversed(row)
        )
        lines.append(f"**{md_escape(unit)}**  \n{badges}")
    st.html(REVIEW_CSS)
    st.markdown("\n\n".join(lines) or t("plans.review.no_units"))


def _badge_colour(status: str) -> str:
    return {"approved": "green", "submitted": "blue", "returned": "orange", "overdue": "red"}.get(status, "gray")


# -- charts ---------------------------------------------------------------------------------


def charts_view(ctx: Ctx) -> None:
    months = pv.months_up_to(ctx.month)
    language = lang()
    with unit_of_work() as session:
        completion = cache.figure(session, pv.completion_by_month, ctx.actor, ctx.unit_id, months, ctx.today)
        units = pv.review_units(session, ctx.actor, ctx.unit_id, language)
        ontime = cache.figure(session, pv.ontime_by_unit, ctx.actor, units, months, ctx.today)
        below = cache.figure(session, pv.subtree_cards, ctx.actor, ctx.unit_id, ctx.month, ctx.today, language)
        cards = [card for _, card in below]
        names = [name for name, _ in below]
        # each chart's spec is kept with its figures (portal.ui.figures): the key names
        # what it shows besides the data
        shown = (ctx.actor, ctx.unit_id, ctx.month, ctx.today, language)
        figures.chart(
            session,
            ("plans.completion", *shown, months),
            lambda: pc.completion_chart(
                [{**row, "month": periods.label(row["month"], language)} for row in completion],  # cached: a copy
                language,
                t("plans.chart.completion_title", unit=ctx.unit_name),
            ),
            widget_key=k("chart", "completion"),
        )
        st.caption(t("plans.chart.completion_note"))
        left, right = st.columns(2)
        with left:
            figures.chart(
                session,
                ("plans.status", *shown),
                lambda: pc.status_chart(
                    pv.status_counts(cards), language, t("plans.chart.status_title", month=ctx.month_label)
                ),
                widget_key=k("chart", "status"),
            )
        with right:
            owners = len({r["owner"] for r in pv.owner_load(cards, language, names)})
            figures.chart(
                session,
                ("plans.owner", *shown),
                lambda: pc.owner_chart(
                    pv.owner_load(cards, language, names, OWNERS_SHOWN),
                    language,
                    t("plans.chart.owner_title", month=ctx.month_label),
                ),
                widget_key=k("chart", "owner"),
            )
            if owners > OWNERS_SHOWN:
                st.caption(t("plans.chart.owners_more", shown=OWNERS_SHOWN, count=owners))
        if len(set(names)) > 1:
            st.caption(t("plans.chart.subtree_note", count=len(cards)))
        first, last = periods.label(months[0], language), periods.label(months[-1], language)
        figures.chart(
            session,
            ("plans.ontime", *shown, months),
            lambda: pc.ontime_chart(ontime, language, t("plans.chart.ontime_title", first=first, last=last)),
            widget_key=k("chart", "ontime"),
        )
