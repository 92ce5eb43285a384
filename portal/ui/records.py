"""The generic record screens, driven only by a RecordSpec: a filtered, paged table with
row selection; the selected record's edit form (with the version it loaded), delete with
confirmation and history with revert; the add form; import and export; the trash.

Everything a screen shows comes from portal.records.display and portal.records.service;
this module only lays it out. Widget keys read ``{prefix}.{purpose}.{field}`` where the
prefix is the spec's slug unless the page passes another.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from portal import clock, i18n, periods
from portal.config import limits
from portal.errors import NotFound, ValidationError
from portal.org import units as orgunits
from portal.org.scope import Actor
from portal.records import display, refs, service
from portal.records import io as records_io
from portal.records.fields import Field
from portal.records.service import Filters, Spec, StaleRecord
from portal.records.spec import PAGE_SIZES
from portal.ui import children, photos
from portal.ui import views as ui_views
from portal.ui import workflow as workflow_ui
from portal.ui.db import unit_of_work
from portal.ui.downloads import download_button
from portal.ui.i18n import lang, t, tm
from portal.ui.messages import ROWS_KEY, attempt, field_errors, flash
from portal.ui.shell import arrival_view
from portal.ui.stats import stats_view

if TYPE_CHECKING:  # the shape of selection_default; Streamlit does not export it at the top
    from streamlit.elements.arrow import DataframeStateInput

log = logging.getLogger("portal")
MIN_DATE, MAX_DATE = periods.FIRST_DAY, periods.LAST_DAY  # the window every date field accepts
TRASH_PAGE = 25
ROW_PX = 35


@dataclass
class Ctx:
    """What every part of one record screen needs."""

    spec: Spec
    actor: Actor
    prefix: str
    unit_id: int | None
    period: str | None
    lang: str
    units: list[orgunits.UnitRow] = field(default_factory=list)
    filters: Filters | None = None  # the list's current filters (export uses them)
    total: int | None = None

    def k(self, purpose: str, name: str) -> str:
        return f"{self.prefix}.{purpose}.{name}"

    def may(self, action: str) -> bool:
        return self.spec.allows(self.actor.role, action)

    @property
    def unit_names(self) -> dict[int, str]:
        return {u.id: i18n.label(self.lang, u.name_zh, u.name_en) for u in self.units}

    def unit_option(self, unit_id: int | None) -> str:
        if unit_id is None:
            return t("records.no_unit")
        for u in self.units:
            if u.id == unit_id:
                name = i18n.INDENT * u.depth + i18n.label(self.lang, u.name_zh, u.name_en)
                return name if u.active else f"{name}{t('records.inactive_suffix')}"
        return f"#{unit_id}"

    def unit_ids(self, active_only: bool) -> list[int]:
        return [u.id for u in self.units if u.active or not active_only]

    def names_for(self, session: Any, records: Sequence[Any]) -> dict[int, str]:
        names = self.unit_names
        missing = display.unit_ids(self.spec, records) - set(names)
        return {**names, **display.unit_labels(session, missing, self.lang)}


def render_records(
    spec: Spec,
    actor: Actor,
    *,
    key: str | None = None,
    unit_id: int | None = None,
    period: str | None = None,
    extra_tabs: Sequence[tuple[str, Callable[[], None]]] = (),
) -> None:
    """The whole screen for one record type. unit_id and period are the sidebar's
    choices (the default org-unit filter and the period filter); extra_tabs are views a
    page puts before the standard ones (e.g. the org tree)."""
    if not spec.allows(actor.role, "view"):
        st.error(t("error.permission"))
        return
    ctx = Ctx(spec, actor, key or spec.slug, unit_id, period, lang())
    with unit_of_work() as session:
        ctx.units = orgunits.tree(session, actor)
    views: list[tuple[str, str, Callable[[], None]]] = [
        *((label, label, draw) for label, draw in extra_tabs),
        ("list", t("records.tab.list"), lambda: list_view(ctx)),
    ]
    if ctx.may("create"):
        views.append(("add", t("records.tab.add"), lambda: add_view(ctx)))
    if spec.stats is not None:
        views.append(
            ("stats", t("records.tab.stats"), lambda: stats_view(spec, actor, current_filters(ctx), ctx.prefix))
        )
    if ctx.may("export") or ctx.may("import"):
        views.append(("io", t("records.tab.io"), lambda: io_view(ctx)))
    if ctx.may("delete"):
        views.append(("trash", t("records.tab.trash"), lambda: trash_view(ctx)))
    key = ctx.k("tabs", "view")
    wanted = arrival_view([code for code, _, _ in views])  # a home-page link: ?view=add
    if wanted is not None:
        st.session_state[key] = next(label for code, label, _ in views if code == wanted)
    ui_views.tabs([(label, draw) for _, label, draw in views], key)  # only the open tab runs


def _list_keys(ctx: Ctx) -> list[str]:
    """The list's own widgets whose values outlive a visit to another tab."""
    return [
        *(ctx.k("filter", key) for key in ctx.spec.list_filter),
        ctx.k("filter", "search"),
        ctx.k("filter", "period"),
        ctx.k("page", "size"),
    ]


def _keep_list(ctx: Ctx) -> None:
    ui_views.keep(ctx.k("kept", "list"), _list_keys(ctx))


def current_filters(ctx: Ctx) -> Filters:
    """The list's filters as last set, whether the list is open this run or not (the
    export and the statistics use them)."""
    if ctx.filters is not None:
        return ctx.filters
    name, spec = ctx.k("kept", "list"), ctx.spec
    widgets = {key: ui_views.value(name, ctx.k("filter", key)) for key in spec.list_filter}
    for f in spec.fields:  # never set: the org-unit filter starts at the sidebar's unit
        wkey = ctx.k("filter", f.key)
        never_set = wkey not in st.session_state and wkey not in ui_views.kept(name)
        if f.key in spec.list_filter and f.type == "org_unit" and never_set:
            widgets[f.key] = ctx.unit_id if ctx.unit_id in set(ctx.unit_ids(active_only=False)) else None
    use_period = bool(spec.date_field and ctx.period and ui_views.value(name, ctx.k("filter", "period"), True))
    ctx.filters = display.build_filters(
        spec, widgets, ui_views.value(name, ctx.k("filter", "search")), ctx.period if use_period else None
    )
    return ctx.filters


# -- list ---------------------------------------------------------------------------------


def filter_bar(ctx: Ctx) -> Filters:
    spec = ctx.spec
    ui_views.restore(ctx.k("kept", "list"))  # the filters as they were before another tab was opened
    _follow_sidebar(ctx)
    items: list[Callable[[], object]] = []
    if spec.search_fields:
        hint = i18n.join((spec.field(k).label(ctx.lang) for k in spec.search_fields), ctx.lang)
        items.append(
            lambda: st.text_input(
                t("records.search"),
                key=ctx.k("filter", "search"),
                placeholder=t("records.search_placeholder"),
                help=t("records.search_hint", fields=hint),
            )
        )
    items.extend(functools.partial(_filter_widget, ctx, spec.field(key)) for key in spec.list_filter)
    for start in range(0, len(items), 4):
        row = items[start : start + 4]
        for col, draw in zip(st.columns(4 if len(items) > 4 else max(len(items), 1)), row):
            with col:
                draw()
    use_period = False
    if spec.date_field and ctx.period:
        if ctx.k("filter", "period") not in st.session_state:  # on by default, set as the date filter's start
            st.session_state[ctx.k("filter", "period")] = True
        use_period = st.toggle(
            t("records.only_period", period=periods.label(ctx.period, ctx.lang)),
            key=ctx.k("filter", "period"),
        )
    widgets = {key: st.session_state.get(ctx.k("filter", key)) for key in spec.list_filter}
    _keep_list(ctx)
    return display.build_filters(
        spec, widgets, st.session_state.get(ctx.k("filter", "search")), ctx.period if use_period else None
    )


def _follow_sidebar(ctx: Ctx) -> None:
    """The org-unit filter starts at, and follows, the sidebar's unit."""
    seen = ctx.k("filter", "sidebar_unit")
    moved = st.session_state.get(seen, "unset") != ctx.unit_id
    st.session_state[seen] = ctx.unit_id
    scope = set(ctx.unit_ids(active_only=False))
    for f in ctx.spec.fields:
        wkey = ctx.k("filter", f.key)
        # the widget's state is dropped while another page is shown: start again from the sidebar
        if f.key in ctx.spec.list_filter and f.type == "org_unit" and (moved or wkey not in st.session_state):
            st.session_state[wkey] = ctx.unit_id if ctx.unit_id in scope else None


def _filter_widget(ctx: Ctx, f: Field) -> None:
    wkey, label = ctx.k("filter", f.key), f.label(ctx.lang)
    if f.type == "choice":
        st.multiselect(
            label,
            [c.value for c in f.choices],
            key=wkey,
            format_func=lambda v: f.choice_label(v, ctx.lang),
            placeholder=t("records.all"),
        )
    elif f.type == "bool":
        st.multiselect(
            label,
            [True, False],
            key=wkey,
            format_func=lambda v: display.yes_no(v, ctx.lang),
            placeholder=t("records.all"),
        )
    elif f.type == "date":
        # An empty range to start with, given through session state rather than value=[]:
        # a default next to a value Streamlit itself put into session state (it does after
        # a rerun from a form) makes it log a warning on every such run.
        if wkey not in st.session_state:
            st.session_state[wkey] = ()
        st.date_input(
            label,
            key=wkey,
            min_value=MIN_DATE,
            max_value=MAX_DATE,
            format="YYYY-MM-DD",
            help=t("records.date_range_help"),
        )
    elif f.type == "org_unit":
        options: list[int | None] = [None, *ctx.unit_ids(active_only=False)]
        if st.session_state.get(wkey) not in options:
            st.session_state[wkey] = None
        st.selectbox(
            label,
            options,
            key=wkey,
            index=None,
            placeholder=t("records.all_units"),
            format_func=lambda v: t("records.all_units") if v is None else ctx.unit_option(v),
            help=t("records.unit_filter_help"),
        )
    else:
        st.text_input(label, key=wkey)


def list_view(ctx: Ctx) -> None:
    spec = ctx.spec
    filters = filter_bar(ctx)
    size_key, page_key = ctx.k("page", "size"), ctx.k("page", "number")
    if st.session_state.get(size_key) not in PAGE_SIZES:
        st.session_state[size_key] = spec.list_per_page
    per_page = st.session_state[size_key]
    sig = display.signature(filters, per_page)
    if st.session_state.get(ctx.k("page", "filters")) != sig:  # new filters: back to page 1
        st.session_state[ctx.k("page", "filters")] = sig
        # Dropped, not set to 1: the pager takes its page from `default` below, and a
        # value set through session state as well makes Streamlit warn of the conflict.
        st.session_state.pop(page_key, None)
    wanted = st.session_state.get(page_key) or 1
    with unit_of_work() as session:
        page = attempt(lambda: service.list_page(session, ctx.actor, spec, filters, wanted, per_page))
        if page is None:
            return
        columns = display.table_columns(spec, page.rows, ctx.lang, ctx.names_for(session, page.rows))
        ids = [r.id for r in page.rows]
    ctx.filters, ctx.total = filters, page.total
    st.caption(t("records.total", count=page.total))
    if not ids:
        st.info(t("records.empty"))
    else:
        _table(ctx, columns, ids)
    if page.pages > 1 or page.total > min(PAGE_SIZES):
        left, right = st.columns([4, 1], vertical_alignment="center")
        with left:
            if st.session_state.get(page_key) not in (None, page.page):
                st.session_state.pop(page_key)  # past the last page: start again where we are
            st.pagination(page.pages, default=page.page, key=page_key)
        with right:
            st.selectbox(
                t("records.per_page"),
                PAGE_SIZES,
                key=size_key,
                format_func=lambda n: t("records.per_page_n", n=n),
                label_visibility="collapsed",
            )
    _keep_list(ctx)
    selected_view(ctx)


def _table(ctx: Ctx, columns: dict[str, list[str]], ids: list[int]) -> None:
    generation = st.session_state.get(ctx.k("table", "generation"), 0)
    table_key = ctx.k("table", display.signature(ids, generation))
    selected = st.session_state.get(ctx.k("selected", "id"))
    default: DataframeStateInput | None = (
        {"selection": {"rows": [ids.index(selected)], "columns": []}} if selected in ids else None
    )
    config = {
        header: st.column_config.TextColumn(alignment="right") for header in display.numeric_headers(ctx.spec, ctx.lang)
    }
    st.dataframe(
        pa.table(columns),  # text columns straight to Arrow: a DataFrame costs ten times as much
        key=table_key,
        hide_index=True,
        width="stretch",
        height=min(ROW_PX * (len(ids) + 1) + 3, ROW_PX * 26 + 3),
        column_config=config,
        on_select=functools.partial(_on_select, ctx.prefix, table_key, ids),
        selection_mode="single-row",
        selection_default=default,
    )
    if selected is None:
        st.caption(t("records.select_hint_edit" if ctx.may("edit") else "records.select_hint_view"))


def _on_select(prefix: str, table_key: str, ids: list[int]) -> None:
    state = st.session_state.get(table_key) or {}
    rows = (state.get("selection") or {}).get("rows") or []
    chosen = ids[rows[0]] if rows and rows[0] < len(ids) else None
    st.session_state[f"{prefix}.selected.id"] = chosen
    st.session_state.pop(f"{prefix}.delete.pending", None)


def _clear_selection(prefix: str) -> None:
    st.session_state[f"{prefix}.selected.id"] = None
    st.session_state.pop(f"{prefix}.delete.pending", None)
    st.session_state.pop(f"{prefix}.edit.stale", None)
    gen = f"{prefix}.table.generation"
    st.session_state[gen] = st.session_state.get(gen, 0) + 1


# -- the selected record --------------------------------------------------------------------


def selected_view(ctx: Ctx) -> None:
    spec, rid = ctx.spec, st.session_state.get(ctx.k("selected", "id"))
    if rid is None:
        return
    with unit_of_work() as session:
        try:
            obj = service.get(session, ctx.actor, spec, rid)
        except NotFound:
            obj = None
        if obj is not None:
            values = {"id": obj.id, **service.values_of(spec, obj)}
            version = obj.version
            entries = service.history(session, ctx.actor, spec, rid)
            snapshots = [e.before for e in entries] + [e.after for e in entries]
            names = ctx.names_for(session, [values, *snapshots])
    if obj is None:
        _clear_selection(ctx.prefix)
        st.info(t("records.gone"))
        return
    st.divider()
    head, close = st.columns([6, 1], vertical_alignment="center")
    head.subheader(display.md_escape(display.record_label(spec, values, ctx.lang, names)))
    close.button(
        t("records.close"),
        key=ctx.k("selected", "close"),
        icon=":material/close:",
        on_click=_clear_selection,
        args=(ctx.prefix,),
        width="stretch",
    )
    if spec.workflow is not None:
        state_row = st.container(horizontal=True, vertical_alignment="center")
        with state_row:
            workflow_ui.state_badge(spec, values.get(spec.workflow.field))
        workflow_ui.actions(spec, ctx.actor, obj, key=ctx.prefix, on_done=lambda _: _request_reload(ctx.prefix))
    if ctx.may("edit") and not _frozen(spec, values):
        edit_form(ctx, rid, version, values, names)
    else:
        _details(ctx, values, names)
    for f in spec.fields:
        if f.type == "images":
            st.markdown(f"**{f.label(ctx.lang)}**")
            photos.gallery(spec, ctx.actor, rid, f, key=f"{ctx.prefix}.{f.key}", removable=ctx.may("edit"))
            if (ctx.may("edit") or ctx.may("create")) and not _frozen(spec, values):
                photos.photo_input(spec, ctx.actor, rid, f, key=f"{ctx.prefix}.{f.key}")
    if ctx.may("delete"):
        delete_controls(ctx, rid, values, names)
    history_view(ctx, rid, version, entries, names)


def _details(ctx: Ctx, values: dict[str, Any], names: dict[int, str]) -> None:
    shown = [f for f in ctx.spec.fields if not f.write_only]
    st.dataframe(
        pd.DataFrame(
            {
                t("records.col.field"): [f.label(ctx.lang) for f in shown],
                t("records.col.value"): [display.format_value(f, values.get(f.key), ctx.lang, names) for f in shown],
            }
        ),
        hide_index=True,
        width="stretch",
        key=ctx.k("details", "table"),
    )


def _load_edit(ctx: Ctx, rid: int, version: int, values: dict[str, Any]) -> None:
    for f in ctx.spec.writable_fields(creating=False):
        st.session_state[ctx.k("edit", f.key)] = display.widget_value(f, values.get(f.key))
    st.session_state[ctx.k("edit", "loaded")] = (rid, version)
    st.session_state.pop(ctx.k("edit", "stale"), None)


def edit_form(ctx: Ctx, rid: int, version: int, values: dict[str, Any], names: dict[int, str]) -> None:
    spec = ctx.spec
    loaded_key = ctx.k("edit", "loaded")
    loaded = st.session_state.get(loaded_key)
    fields = spec.writable_fields(creating=False)
    dropped = any(ctx.k("edit", f.key) not in st.session_state for f in fields)  # page left and back
    if not loaded or loaded[0] != rid or dropped or st.session_state.pop(ctx.k("edit", "reload"), False):
        _load_edit(ctx, rid, version, values)
        loaded = st.session_state[loaded_key]
    stale = st.session_state.get(ctx.k("edit", "stale"))
    if stale is not None:
        _show_stale(ctx, stale, names)
    elif loaded[1] != version:
        st.info(t("records.changed_since_open"), icon=":material/update:")
        st.button(t("records.reload"), key=ctx.k("edit", "reload_button"), on_click=_request_reload, args=(ctx.prefix,))
    frozen = _frozen(spec, values)
    with st.form(ctx.k("form", "edit"), clear_on_submit=False, enter_to_submit=False):
        slots = _field_widgets(ctx, fields, "edit", current=values)
        tables = _inline_editors(ctx, rid, editable=not frozen)
        submitted = st.form_submit_button(t("records.save"), type="primary", icon=":material/save:")
    if not submitted:
        return
    typed = {f.key: st.session_state.get(ctx.k("edit", f.key)) for f in fields}
    raw = display.form_raw(spec, typed, creating=False)
    errors: dict[str, list[str]] = {}
    caught: dict[str, StaleRecord] = {}
    kids = {table.inline.spec: children.changes(table, ctx.lang) for table in tables}

    def save() -> object:
        try:
            with unit_of_work() as session:
                return service.save(session, ctx.actor, spec, rid, raw, expected_version=loaded[1], children=kids)
        except StaleRecord as exc:
            caught["stale"] = exc
            return None

    if attempt(save, errors) is not None:
        st.session_state[ctx.k("edit", "reload")] = True
        flash(t("records.saved"))
        st.rerun()
    if "stale" in caught:
        exc = caught["stale"]
        st.session_state[ctx.k("edit", "stale")] = {
            "by": exc.by,
            "at": exc.at,
            "typed": typed,
            "rows": display.stale_rows(spec, exc.changes, typed, ctx.lang, names),
        }
        st.rerun()
    _fill_slots(ctx, slots, errors)


def _request_reload(prefix: str) -> None:
    st.session_state[f"{prefix}.edit.reload"] = True


def _show_stale(ctx: Ctx, stale: dict[str, Any], names: dict[int, str]) -> None:
    by = stale.get("by")
    when = clock.local_time(stale["at"]) if stale.get("at") else ""
    text = tm("records.stale_by", by=by, when=when) if by else t("records.stale")
    st.warning(text, icon=":material/sync_problem:")
    rows = stale.get("rows") or []
    if rows:
        st.dataframe(
            pd.DataFrame(
                {
                    t("records.col.field"): [r["field"] for r in rows],
                    t("records.col.then"): [r["then"] for r in rows],
                    t("records.col.now"): [r["now"] for r in rows],
                    t("records.col.typed"): [r["typed"] for r in rows],
                }
            ),
            hide_index=True,
            width="stretch",
            key=ctx.k("stale", "table"),
        )
    st.caption(t("records.stale_hint"))
    st.button(
        t("records.reload"),
        key=ctx.k("edit", "reload_button"),
        on_click=_request_reload,
        args=(ctx.prefix,),
        icon=":material/refresh:",
    )


def delete_controls(ctx: Ctx, rid: int, values: dict[str, Any], names: dict[int, str]) -> None:
    pending = ctx.k("delete", "pending")
    if st.session_state.get(pending) != rid:
        if st.button(t("records.delete"), key=ctx.k("delete", "ask"), icon=":material/delete:"):
            st.session_state[pending] = rid
            st.rerun()
        return
    label = display.record_label(ctx.spec, values, ctx.lang, names)
    st.warning(t("records.delete_confirm", record=display.md_escape(label)), icon=":material/delete:")
    yes, no, _ = st.columns([1, 1, 4])
    if no.button(t("records.cancel"), key=ctx.k("delete", "cancel"), width="stretch"):
        st.session_state.pop(pending, None)
        st.rerun()
    if yes.button(t("records.delete_yes"), key=ctx.k("delete", "confirm"), type="primary", width="stretch"):
        loaded = st.session_state.get(ctx.k("edit", "loaded"))
        expected = loaded[1] if loaded and loaded[0] == rid else None

        def remove() -> object:
            with unit_of_work() as session:
                return service.delete(session, ctx.actor, ctx.spec, rid, expected_version=expected)

        if _act(ctx, remove) is not None:
            _clear_selection(ctx.prefix)
            flash(t("records.deleted", record=display.md_escape(label)))
            st.rerun()


def history_view(ctx: Ctx, rid: int, version: int, entries: list[Any], names: dict[int, str]) -> None:
    rows = display.history_rows(ctx.spec, entries, ctx.lang, names)
    with st.expander(t("records.history", count=len(rows)), icon=":material/history:"):
        st.dataframe(
            pd.DataFrame(
                {
                    t("records.col.when"): [r["when"] for r in rows],
                    t("records.col.who"): [r["who"] for r in rows],
                    t("records.col.action"): [r["action"] for r in rows],
                    t("records.col.version"): [str(r["version"] or "") for r in rows],
                    t("records.col.changes"): [r["changes"] for r in rows],
                }
            ),
            hide_index=True,
            width="stretch",
            key=ctx.k("history", "table"),
            column_config={t("records.col.changes"): st.column_config.TextColumn(width="large")},
        )
        if not ctx.may("revert"):
            return
        choices = display.revert_choices(entries, version)
        if not choices:
            return
        vkey = ctx.k("revert", "version")
        if st.session_state.get(vkey) not in choices:
            st.session_state[vkey] = choices[0]
        pick, go = st.columns([3, 1], vertical_alignment="bottom")
        chosen = pick.selectbox(
            t("records.revert_to"), choices, key=vkey, format_func=lambda v: t("records.version_n", n=v)
        )
        if go.button(t("records.revert"), key=ctx.k("revert", "submit"), icon=":material/undo:", width="stretch"):

            def revert() -> object:
                with unit_of_work() as session:
                    return service.revert(session, ctx.actor, ctx.spec, rid, chosen, expected_version=version)

            if _act(ctx, revert) is not None:
                st.session_state[ctx.k("edit", "reload")] = True
                flash(t("records.reverted", n=chosen))
                st.rerun()


# -- add ----------------------------------------------------------------------------------


def add_view(ctx: Ctx) -> None:
    spec = ctx.spec
    fields = spec.writable_fields(creating=True)
    choices = ctx.unit_ids(active_only=True)
    defaults = display.form_defaults(spec, ctx.unit_id, clock.today(), choices)
    follow = ctx.k("add", "sidebar_unit")
    sidebar_moved = st.session_state.get(follow, ctx.unit_id) != ctx.unit_id
    st.session_state[follow] = ctx.unit_id
    for f in fields:
        if f.period == "month" and not defaults[f.key]:  # the sidebar's month, else this month
            chosen = ctx.period if ctx.period and periods.is_key(ctx.period, "month") else None
            defaults[f.key] = chosen or periods.month_key(clock.today())
        wkey = ctx.k("add", f.key)
        if wkey not in st.session_state or (sidebar_moved and f.type == "org_unit"):
            st.session_state[wkey] = defaults[f.key]
    st.caption(t("records.required_hint"))
    generation = st.session_state.get(ctx.k("add", "generation"), 0)
    with st.form(ctx.k("form", "add"), clear_on_submit=False, enter_to_submit=False):
        slots = _field_widgets(ctx, fields, "add", current=None)
        tables = _inline_editors(ctx, None, editable=True, generation=generation)
        submitted = st.form_submit_button(t("records.add_submit"), type="primary", icon=":material/add:")
    if not submitted:
        return
    typed = {f.key: st.session_state.get(ctx.k("add", f.key)) for f in fields}
    raw = display.form_raw(spec, typed, creating=True)
    errors: dict[str, list[str]] = {}
    kids = {table.inline.spec: children.changes(table, ctx.lang) for table in tables}

    def save() -> object:
        with unit_of_work() as session:
            return service.save(session, ctx.actor, spec, None, raw, children=kids).id

    if attempt(save, errors) is not None:
        for f in fields:
            st.session_state.pop(ctx.k("add", f.key), None)
        st.session_state[ctx.k("add", "generation")] = generation + 1  # fresh child tables too
        st.toast(t("records.saved"), icon=":material/check_circle:")
        flash(t("records.saved"))
        st.rerun()
    _fill_slots(ctx, slots, errors)


# -- form widgets ---------------------------------------------------------------------------


def _frozen(spec: Spec, values: dict[str, Any]) -> bool:
    """A workflow state that holds the record read-only."""
    return spec.workflow is not None and spec.workflow.readonly(values.get(spec.workflow.field))


def _inline_editors(ctx: Ctx, rid: int | None, *, editable: bool, generation: int = 0) -> list[children.ChildTable]:
    if not ctx.spec.inlines:
        return []
    parent = None
    if rid is not None:
        with unit_of_work() as session:
            parent = service.get(session, ctx.actor, ctx.spec, rid)
    return [
        children.editor(
            ctx.spec, inline, ctx.actor, parent, key=f"{ctx.prefix}.g{generation}", language=ctx.lang, editable=editable
        )
        for inline in ctx.spec.inlines
    ]


def _field_widgets(ctx: Ctx, fields: Sequence[Field], purpose: str, current: dict[str, Any] | None) -> dict[str, Any]:
    """Widgets in a two-column grid (long text full width), each with an error slot."""
    slots: dict[str, Any] = {}
    short = [f for f in fields if f.type != "longtext"]
    for start in range(0, len(short), 2):
        for col, f in zip(st.columns(2), short[start : start + 2]):
            with col:
                _widget(ctx, f, ctx.k(purpose, f.key), current)
                slots[f.key] = st.empty()
    for f in fields:
        if f.type == "longtext":
            _widget(ctx, f, ctx.k(purpose, f.key), current)
            slots[f.key] = st.empty()
    return slots


def _widget(ctx: Ctx, f: Field, wkey: str, current: dict[str, Any] | None) -> None:
    label = f.label(ctx.lang) + (" *" if f.required else "")
    help_text = f.help(ctx.lang)
    if f.type == "text" and f.period == "month":
        months = month_options(clock.today(), (current or {}).get(f.key))
        _selectbox(label, months, wkey, None, f.required, lambda v: periods.label(v, ctx.lang))
    elif f.type == "text":
        st.text_input(
            label, key=wkey, max_chars=f.max_length, help=help_text, type="password" if f.write_only else "default"
        )
    elif f.type == "longtext":
        st.text_area(label, key=wkey, max_chars=f.max_length, help=help_text, height=100)
    elif f.type in ("int", "float"):
        is_int = f.type == "int"
        cast = int if is_int else float
        st.number_input(
            label,
            key=wkey,
            value=None,
            help=help_text,
            min_value=cast(f.min) if f.min is not None else None,
            max_value=cast(f.max) if f.max is not None else None,
            step=1 if is_int else None,
            format="%d" if is_int else None,
            placeholder=t("records.blank"),
        )
    elif f.type == "date":
        st.date_input(
            label, key=wkey, value=None, min_value=MIN_DATE, max_value=MAX_DATE, format="YYYY-MM-DD", help=help_text
        )
    elif f.type == "bool":
        st.checkbox(label, key=wkey, help=help_text)
    elif f.type == "choice":
        options: list[Any] = [c.value for c in f.choices]
        _selectbox(label, options, wkey, help_text, f.required, lambda v: f.choice_label(v, ctx.lang))
    elif f.type == "org_unit":
        options = list(ctx.unit_ids(active_only=True))
        held = (current or {}).get(f.key)
        if held is not None and held not in options:
            options.append(held)
        _selectbox(label, options, wkey, help_text, f.required, ctx.unit_option)
    elif f.type == "datetime":
        st.datetime_input(label, key=wkey, value=None, format="YYYY-MM-DD", help=help_text, step=300)
    elif f.type == "ref":
        choices = _ref_choices(ctx, f, current)
        _selectbox(label, list(choices), wkey, help_text, f.required, lambda v: choices.get(v, f"#{v}"))


def month_options(today: dt.date, held: Any = None) -> list[str]:
    """A month field's picker: next month, then this month back to January last year (and
    the month the record holds, if older)."""
    nxt = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    months = [periods.month_key(nxt), *(k for k in periods.picker_options(today) if periods.is_key(k, "month"))]
    if isinstance(held, str) and held and held not in months:
        months.append(held)
    return months


def _ref_choices(ctx: Ctx, f: Field, current: dict[str, Any] | None) -> dict[int, str]:
    """What a reference field's picker offers (records in scope), keeping the one the
    record holds even when it has since left the list."""
    with unit_of_work() as session:
        offered = dict(refs.choices(session, ctx.actor, ctx.spec, f, dict(current or {}), ctx.lang))
        held = (current or {}).get(f.key)
        if isinstance(held, int) and held not in offered:
            offered.update(refs.labels(session, refs.target(f), [held], ctx.lang))
    return offered


def _selectbox(
    label: str, options: list[Any], wkey: str, help_text: str | None, required: bool, fmt: Callable[[Any], str]
) -> None:
    if not required:
        options = [None, *options]
    if st.session_state.get(wkey) not in options:
        st.session_state[wkey] = None
    st.selectbox(
        label,
        options,
        key=wkey,
        index=None,
        help=help_text,
        format_func=lambda v: t("records.none") if v is None else fmt(v),
        placeholder=t("records.choose") if required else t("records.none"),
    )


def _fill_slots(ctx: Ctx, slots: dict[str, Any], errors: dict[str, list[str]]) -> None:
    for name, slot in slots.items():
        field_errors(slot, errors.get(name))
    _errors_without_slot(ctx, {k: v for k, v in errors.items() if k not in slots})


def _act(ctx: Ctx, action: Callable[[], Any]) -> Any:
    """Run a delete, restore or revert: a refusal that names a field (a unit still in
    use, a code taken meanwhile) is said with the field's label; anything else as attempt()."""
    refused: list[Any] = []

    def run() -> Any:
        try:
            return action()
        except ValidationError as exc:
            refused.extend(exc.errors)
            return None

    result = attempt(run)
    _errors_without_slot(ctx, {e.field: [e.message(ctx.lang)] for e in refused})
    return result


def _errors_without_slot(ctx: Ctx, errors: dict[str, list[str]]) -> None:
    """Field errors that have no widget here (a delete refused, a hidden field, a child row)."""
    for name, messages in errors.items():
        if name == ROWS_KEY:
            for message in messages:
                st.error(display.md_escape(message))
            continue
        try:
            label = ctx.spec.field(name).label(ctx.lang)
        except KeyError:
            label = ""
        text = display.md_escape(" ".join(messages))  # a message may quote what the user typed
        st.error(f"{display.md_escape(label)}{t('records.colon')}{text}" if label else text)


# -- trash ----------------------------------------------------------------------------------


def trash_view(ctx: Ctx) -> None:
    spec, page_key = ctx.spec, ctx.k("trash", "page")
    wanted = st.session_state.get(page_key) or 1
    with unit_of_work() as session:
        page = attempt(
            lambda: service.list_page(
                session, ctx.actor, spec, None, wanted, TRASH_PAGE, ordering=("-deleted_at", "-id"), deleted=True
            )
        )
        if page is None:
            return
        names = ctx.names_for(session, page.rows)
        items = [
            (
                r.id,
                display.record_label(spec, {"id": r.id, **service.values_of(spec, r)}, ctx.lang, names, limit=4),
                r.deleted_at,
            )
            for r in page.rows
        ]
    if not items:
        st.info(t("records.trash_empty"))
        return
    st.caption(t("records.trash_caption", count=page.total))
    for rid, label, when in items:
        with st.container(border=True):
            text, button = st.columns([6, 1], vertical_alignment="center")
            text.markdown(
                f"**{display.md_escape(label)}**  \n:gray[{t('records.deleted_at', when=clock.local_time(when))}]"
            )
            if button.button(
                t("records.restore"),
                key=ctx.k("restore", str(rid)),
                icon=":material/restore_from_trash:",
                width="stretch",
            ):

                def restore(rid: int = rid) -> object:
                    with unit_of_work() as session:
                        return service.restore(session, ctx.actor, spec, rid)

                if _act(ctx, restore) is not None:
                    flash(t("records.restored", record=display.md_escape(label)))
                    st.rerun()
    if page.pages > 1:
        if st.session_state.get(page_key) not in (None, page.page):
            st.session_state.pop(page_key)  # past the last page: start again where we are
        st.pagination(page.pages, default=page.page, key=page_key)


# -- import and export ----------------------------------------------------------------------

MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def io_view(ctx: Ctx) -> None:
    if ctx.may("export"):
        export_section(ctx)
    if ctx.may("import") and ctx.may("create"):
        if ctx.may("export"):
            st.divider()
        import_section(ctx)


def export_section(ctx: Ctx) -> None:
    spec, today = ctx.spec, clock.today()
    st.subheader(t("records.export_title"))
    filters, actor, language = current_filters(ctx), ctx.actor, ctx.lang
    if ctx.total is None:
        with unit_of_work() as session:
            ctx.total = attempt(lambda: service.count(session, actor, spec, filters))
    if ctx.total is not None:
        st.caption(t("records.export_caption", count=ctx.total))
    row = st.container(horizontal=True)
    for fmt in ("csv", "xlsx"):

        def make(fmt: str = fmt) -> bytes:
            with unit_of_work() as session:
                return records_io.export(session, actor, spec, filters, fmt, language)

        download_button(
            row,
            t(f"records.export_{fmt}"),
            make,
            file_name=display.export_filename(spec, language, fmt, today),
            mime=MIME[fmt],
            key=ctx.k("export", fmt),
        )


def template_file(ctx: Ctx, fmt: str) -> bytes:
    """The import template, its guide listing the user's own units and references."""
    allowed: dict[str, list[str]] = {}
    if fmt == "xlsx":
        with unit_of_work() as session:
            allowed = records_io.allowed_values(session, ctx.actor, ctx.spec, ctx.lang)
    return records_io.template(ctx.spec, fmt, ctx.lang, allowed)


def import_section(ctx: Ctx) -> None:
    spec, language = ctx.spec, ctx.lang
    st.subheader(t("records.import_title"))
    st.caption(t("records.import_help", mb=upload_limit_mb()))
    row = st.container(horizontal=True)
    for fmt in ("csv", "xlsx"):
        download_button(
            row,
            t(f"records.template_{fmt}"),
            functools.partial(template_file, ctx, fmt),
            file_name=display.export_filename(spec, language, fmt, clock.today(), True),
            mime=MIME[fmt],
            key=ctx.k("template", fmt),
            icon=":material/description:",
        )
    upsert = False
    if (spec.natural_key or spec.identity) and ctx.may("edit"):
        keys = i18n.join((spec.field(k).label(language) for k in spec.natural_key or spec.identity), language)
        label = t("records.upsert" if spec.natural_key else "records.upsert_identity", fields=keys)
        upsert = st.checkbox(label, key=ctx.k("import", "upsert"))
    generation = st.session_state.get(ctx.k("import", "generation"), 0)
    upload = st.file_uploader(t("records.upload"), type=["csv", "xlsx"], key=ctx.k("import", f"file_{generation}"))
    if upload is None:
        st.session_state.pop(ctx.k("import", "preview"), None)
        return
    data = upload.getvalue()
    sig = display.signature(hashlib.sha256(data).hexdigest(), upload.name, upsert, language)
    held = st.session_state.get(ctx.k("import", "preview"))
    if held is None or held[0] != sig:
        bar = st.progress(0.0, text=t("records.checking"))

        def check() -> records_io.ImportPreview:
            with unit_of_work() as session:
                return records_io.check_import(
                    session,
                    ctx.actor,
                    spec,
                    data,
                    upload.name,
                    upsert=upsert,
                    lang=language,
                    progress=lambda f: bar.progress(min(max(f, 0.0), 1.0)),
                )

        preview = attempt(check)
        bar.empty()
        if preview is None:
            return
        held = (sig, preview)
        st.session_state[ctx.k("import", "preview")] = held
    preview = held[1]
    if not preview.ok:
        _import_errors(ctx, preview)
        return
    st.success(
        t(
            "records.import_ready",
            rows=len(preview.rows),
            create=preview.to_create,
            update=preview.to_update,
            unchanged=preview.unchanged,
        )
    )
    st.dataframe(
        pd.DataFrame(display.preview_table(preview.headers, preview.cells, preview.row_numbers, language)),
        hide_index=True,
        width="stretch",
        key=ctx.k("import", "preview_table"),
    )
    if len(preview.rows) > 20:
        st.caption(t("records.preview_more", shown=20, rows=len(preview.rows)))
    skip = False
    if preview.duplicates:
        shown = i18n.join((str(n) for n in list(preview.duplicates)[:20]), ctx.lang) + (
            "…" if len(preview.duplicates) > 20 else ""
        )
        st.warning(
            t("records.import_duplicates", count=len(preview.duplicates), rows=shown), icon=":material/content_copy:"
        )
        skip = (
            st.radio(
                t("records.import_duplicates_choice"),
                ["all", "skip"],
                key=ctx.k("import", "duplicates"),
                format_func=lambda v: t(f"records.import_duplicates_{v}"),
                label_visibility="collapsed",
            )
            == "skip"
        )
    rows = len(preview.rows) - (len(preview.duplicates) if skip else 0)
    if st.button(
        t("records.import_confirm", rows=rows),
        key=ctx.k("import", "confirm"),
        type="primary",
        icon=":material/upload:",
    ):
        with st.status(t("records.importing"), expanded=True) as status:
            bar = st.progress(0.0)

            def apply() -> tuple[int, int]:
                with unit_of_work() as session:
                    return records_io.apply_import(
                        session,
                        ctx.actor,
                        spec,
                        preview,
                        progress=lambda f: bar.progress(min(max(f, 0.0), 1.0)),
                        skip_duplicates=skip,
                    )

            done = attempt(apply)
            if done is None:
                status.update(label=t("records.import_failed"), state="error")
                return
            status.update(label=t("records.imported", created=done[0], updated=done[1]), state="complete")
        st.session_state.pop(ctx.k("import", "preview"), None)
        st.session_state[ctx.k("import", "generation")] = generation + 1  # a fresh, empty uploader
        flash(t("records.imported", created=done[0], updated=done[1]))
        st.rerun()


def upload_limit_mb() -> int | float:
    """What a user may upload: the portal's limit, or the server's own cap when lower."""
    mb = min(float(limits().upload_mb), float(st.get_option("server.maxUploadSize")))
    return int(mb) if mb.is_integer() else mb


def _import_errors(ctx: Ctx, preview: Any) -> None:
    rows_with_errors = len({e.row for e in preview.errors})
    st.error(t("records.import_has_errors", count=len(preview.errors), rows=rows_with_errors))
    st.dataframe(
        pd.DataFrame(display.import_error_rows(preview.errors, ctx.lang)),
        hide_index=True,
        width="stretch",
        key=ctx.k("import", "errors_table"),
        column_config={t("records.col.reason"): st.column_config.TextColumn(width="large")},
    )
    if len(preview.errors) > 500:
        st.caption(t("records.errors_more", shown=500, count=len(preview.errors)))
    report = records_io.error_report(preview, ctx.lang)
    st.download_button(
        t("records.error_report"),
        report,
        mime=MIME["csv"],
        key=ctx.k("import", "report"),
        file_name=display.export_filename(ctx.spec, ctx.lang, "csv", clock.today()).replace(
            ".csv", f"_{t('records.report_suffix')}.csv"
        ),
        icon=":material/download:",
        on_click="ignore",
    )
