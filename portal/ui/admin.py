"""Administration: the org tree with population, then org units and users through the
generic record screens (list, add, import/export, trash), and the recent changes of the
viewer's area. Admins also disable and re-enable accounts and reset passwords."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from portal import clock, i18n, reminders
from portal.org import units as orgunits
from portal.org import users
from portal.org.calendars import CalendarDaySpec
from portal.org.scope import Actor, get_unit_in_scope
from portal.org.themedays import ThemeDaySpec
from portal.org.units import OrgUnitSpec
from portal.org.users import UserSpec
from portal.records import audit, display, registry
from portal.records.spec import RecordSpec
from portal.reminders import ReminderChannelSpec
from portal.ui import ops as ops_view
from portal.ui import views as ui_views
from portal.ui.db import unit_of_work
from portal.ui.i18n import lang, t, tm
from portal.ui.messages import attempt, field_errors, flash
from portal.ui.records import render_records
from portal.ui.shell import require_page, selected_unit_id


def render() -> None:
    actor = require_page("admin")
    st.title(t("admin.title"))
    with unit_of_work() as session:
        units = orgunits.tree(session, actor)

    def people() -> None:
        if actor.role not in users.MANAGER_ROLES:
            st.info(t("admin.read_only"))
        render_records(UserSpec, actor, unit_id=selected_unit_id())
        if actor.role in users.MANAGER_ROLES:
            manage_user(actor)

    def calendars() -> None:
        st.caption(t("admin.calendar_intro"))
        st.subheader(CalendarDaySpec.title(lang()))
        render_records(CalendarDaySpec, actor)
        st.subheader(ThemeDaySpec.title(lang()))
        render_records(ThemeDaySpec, actor)

    tabs: list[tuple[str, Callable[[], None]]] = [
        (
            t("admin.tab.units"),
            lambda: render_records(
                OrgUnitSpec,
                actor,
                unit_id=selected_unit_id(),
                extra_tabs=[(t("admin.tab.tree"), lambda: units_table(units))],
            ),
        ),
        (t("admin.tab.users"), people),
        (t("admin.tab.calendar"), calendars),
        (t("reminders.tab"), lambda: reminders_view(actor, units)),
        (t("admin.tab.changes"), lambda: recent_changes(actor)),
    ]
    if actor.role == "admin":
        tabs.append((t("admin.tab.ops"), ops_view.render))  # the operations view: admins only
    ui_views.tabs(tabs, "admin.tabs.main")  # only the open one runs


def reminders_view(actor: Actor, units: list[orgunits.UnitRow]) -> None:
    """Today's digest of the selected unit to copy, the units' group robots, and the log of
    deliveries (failures first in the admin's eye)."""
    st.caption(t("reminders.intro"))
    unit_id = selected_unit_id() or actor.org_unit_id
    names = {u.id: i18n.label(lang(), u.name_zh, u.name_en) for u in units}
    with unit_of_work() as session:
        unit = get_unit_in_scope(session, actor, unit_id) if unit_id is not None else None
        text = reminders.digest(session, unit, clock.today(), lang()) if unit is not None else ""
        log_rows = reminders.recent(session, actor)
    if unit is not None:
        st.subheader(tm("reminders.digest", unit=names.get(unit.id, unit.code)))  # a unit name is user text
        if text:
            st.code(text, language=None, wrap_lines=True)
        else:
            st.info(t("reminders.nothing"))
    render_records(ReminderChannelSpec, actor, unit_id=selected_unit_id())
    st.subheader(t("reminders.log"))
    failed = sum(1 for r in log_rows if r.status == "failed")
    if failed:
        st.warning(t("reminders.failed_banner", count=failed), icon=":material/error:")
    if log_rows:
        st.dataframe(
            pd.DataFrame(
                {
                    t("reminders.col.time"): [clock.local_time(r.attempted_at) for r in log_rows],
                    t("reminders.col.unit"): [names.get(r.org_unit_id, str(r.org_unit_id)) for r in log_rows],
                    t("reminders.col.status"): [t(f"reminders.status.{r.status}") for r in log_rows],
                    t("reminders.col.detail"): [r.detail for r in log_rows],
                }
            ),
            hide_index=True,
            width="stretch",
            key="admin.table.reminders",
        )


def units_table(units: list[orgunits.UnitRow]) -> None:
    st.caption(t("admin.units_caption", count=len(units)))
    frame = pd.DataFrame(
        {
            t("col.name"): [i18n.INDENT * u.depth + i18n.label(lang(), u.name_zh, u.name_en) for u in units],
            t("col.code"): [u.code for u in units],
            t("col.type"): [t(f"orgtype.{u.type}") for u in units],
            t("col.population"): [_count(u.population) for u in units],
            t("col.year"): [str(u.population_year or "") for u in units],
            t("col.students"): [_count(u.students) for u in units],
            t("col.status"): [t("status.active" if u.active else "status.disabled") for u in units],
        }
    )
    st.dataframe(
        frame, hide_index=True, width="stretch", key="admin.table.units", height=min(35 * (len(units) + 1) + 3, 720)
    )


def _count(value: int | None) -> str:
    return f"{value:,}" if value is not None else ""


def manage_user(actor: Actor) -> None:
    with st.expander(t("admin.manage_user"), icon=":material/manage_accounts:"):
        username = (
            st.text_input(
                t("admin.pick_user"), key="admin.manage.username", placeholder=t("admin.pick_user_placeholder")
            )
            .strip()
            .lower()
        )
        if not username:
            return
        with unit_of_work() as session:
            found = attempt(lambda: users.by_username(session, actor, username))
            if found is None:
                return
            target = (found.id, found.username, found.display_name, found.active, found.version)
        user_id, name, shown_name, active, version = target
        st.write(
            f"**{display.md_escape(shown_name)}** (`{name}`) · {t('status.active' if active else 'status.disabled')}"
        )
        label = t("admin.disable") if active else t("admin.enable")
        if st.button(label, key="admin.manage.toggle"):

            def toggle() -> object:
                with unit_of_work() as session:
                    return users.set_active(session, actor, user_id, not active, version)

            if attempt(toggle) is not None:
                flash(tm("admin.user_disabled" if active else "admin.user_enabled", username=name))
                st.rerun()
        with st.form("admin.form.reset", clear_on_submit=False):
            st.text_input(t("field.password"), type="password", key="admin.input.reset_password")
            slot = st.empty()
            reset = st.form_submit_button(t("admin.reset_password"))
        if reset:
            errors: dict[str, list[str]] = {}
            new = st.session_state.get("admin.input.reset_password", "")

            def do_reset() -> object:
                with unit_of_work() as session:
                    return users.reset_password(session, actor, user_id, new, version)

            if attempt(do_reset, errors) is not None:
                st.session_state.pop("admin.input.reset_password", None)
                flash(tm("admin.password_reset", username=name))
                st.rerun()
            field_errors(slot, errors.get("password"))


def recent_changes(actor: Actor) -> None:
    specs = registry.specs()
    with unit_of_work() as session:
        entries = audit.recent(session, actor, limit=50)
        rows = [(e.at, e.actor_name, e.action, e.record_type, e.record_id, e.before, e.after) for e in entries]
        mentioned = {i for r in rows if r[3] in specs for i in display.unit_ids(specs[r[3]], [r[5], r[6]])}
        names = display.unit_labels(session, mentioned, lang())
    if not rows:
        st.info(t("admin.no_changes"))
        return
    frame = pd.DataFrame(
        {
            t("col.when"): [clock.local_time(r[0]) for r in rows],
            t("col.who"): [r[1] for r in rows],
            t("col.action"): [display.action_label(r[2], lang()) for r in rows],
            t("col.record"): [f"{_record_type(specs, r[3])} #{r[4]}" for r in rows],
            t("col.changes"): [_diff(specs.get(r[3]), r[5], r[6], names) for r in rows],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key="admin.table.changes",
        height=min(35 * (len(rows) + 1) + 3, 35 * 21 + 3),
        column_config={t("col.changes"): st.column_config.TextColumn(width="large")},
    )


def _record_type(specs: Mapping[str, type[RecordSpec]], slug: str) -> str:
    return specs[slug].title(lang()) if slug in specs else t("record." + slug)


def _diff(
    spec: type[RecordSpec] | None, before: dict[str, Any] | None, after: dict[str, Any] | None, names: dict[int, str]
) -> str:
    """Changed fields with their labels; never a password or its hash."""
    if spec is not None:
        return display.describe_changes(spec, before, after, lang(), names, limit=6)
    before, after = before or {}, after or {}
    skip = {"updated_at", "created_at", "version", "path", "password_hash"}
    changed = [k for k in after if k not in skip and before.get(k) != after.get(k)]
    return ", ".join(f"{k}: {before.get(k, '∅')} → {after.get(k)}" for k in changed[:6])
