"""Administration, first version: the org tree with population, users, recent changes.
Admins add users, disable and re-enable them and reset passwords; heads see their area."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from db.models import ROLES
from portal import audit, i18n, orgunits, users
from portal.scope import Actor
from portal.ui.db import unit_of_work
from portal.ui.i18n import lang, t
from portal.ui.messages import attempt, field_errors, flash
from portal.ui.shell import require_page

PAGE_SIZE = 25
USER_FIELDS = ("username", "display_name", "role", "org_unit_id", "password")


def render() -> None:
    actor = require_page("admin")
    st.title(t("admin.title"))
    with unit_of_work() as session:
        units = orgunits.tree(session, actor)
    tab_units, tab_users, tab_changes = st.tabs(
        [t("admin.tab.units"), t("admin.tab.users"), t("admin.tab.changes")])
    with tab_units:
        units_table(units)
    with tab_users:
        users_table(actor)
        if actor.role in users.MANAGER_ROLES:
            add_user_form(actor, units)
            manage_user(actor)
        else:
            st.info(t("admin.read_only"))
    with tab_changes:
        recent_changes(actor)


def units_table(units: list[orgunits.UnitRow]) -> None:
    st.caption(t("admin.units_caption", count=len(units)))
    frame = pd.DataFrame({
        t("col.name"): ["\u3000" * u.depth + i18n.label(lang(), u.name_zh, u.name_en) for u in units],
        t("col.code"): [u.code for u in units],
        t("col.type"): [t(f"orgtype.{u.type}") for u in units],
        t("col.population"): [_count(u.population) for u in units],
        t("col.year"): [str(u.population_year or "") for u in units],
        t("col.students"): [_count(u.students) for u in units],
        t("col.status"): [t("status.active" if u.active else "status.disabled") for u in units],
    })
    st.dataframe(frame, hide_index=True, width="stretch", key="admin.table.units",
                 height=min(36 * (len(units) + 1) + 4, 720))


def _count(value: int | None) -> str:
    return f"{value:,}" if value is not None else ""


def users_table(actor: Actor) -> None:
    search = st.text_input(t("admin.search"), key="admin.filter.search")
    page = st.session_state.get("admin.page.users", 1)
    with unit_of_work() as session:
        rows, total = users.list_users(session, actor, search=search or None,
                                       limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    st.caption(t("admin.users_caption", count=total))
    frame = pd.DataFrame({
        t("col.username"): [r.username for r in rows],
        t("col.display_name"): [r.display_name for r in rows],
        t("col.role"): [t(f"role.{r.role}") for r in rows],
        t("col.unit"): [i18n.label(lang(), r.unit_name_zh, r.unit_name_en) for r in rows],
        t("col.status"): [_status(r) for r in rows],
        t("col.last_login"): [i18n.local_time(r.last_login_at) if r.last_login_at else "" for r in rows],
    })
    st.dataframe(frame, hide_index=True, width="stretch", key="admin.table.users")
    if pages > 1:
        st.number_input(t("admin.page"), 1, pages, key="admin.page.users")
        st.caption(t("admin.page_of", page=page, pages=pages))


def _status(row: users.UserRow) -> str:
    if not row.active:
        return t("status.disabled")
    return t("status.locked") if row.locked else t("status.active")


def add_user_form(actor: Actor, units: list[orgunits.UnitRow]) -> None:
    names = {u.id: "\u3000" * u.depth + i18n.label(lang(), u.name_zh, u.name_en)
             for u in units if u.active}
    with st.expander(t("admin.add_user"), icon=":material/person_add:"):
        with st.form("admin.form.user", clear_on_submit=False):
            slots = {}
            st.text_input(t("field.username"), key="admin.input.username", max_chars=32)
            slots["username"] = st.empty()
            st.text_input(t("field.display_name"), key="admin.input.display_name", max_chars=120)
            slots["display_name"] = st.empty()
            st.selectbox(t("field.role"), ROLES, key="admin.input.role",
                         format_func=lambda r: t(f"role.{r}"))
            slots["role"] = st.empty()
            st.selectbox(t("field.org_unit_id"), list(names), key="admin.input.org_unit_id",
                         format_func=names.__getitem__)
            slots["org_unit_id"] = st.empty()
            st.text_input(t("field.password"), type="password", key="admin.input.password")
            slots["password"] = st.empty()
            submitted = st.form_submit_button(t("admin.add_user"))
        if submitted:
            data = {f: st.session_state.get(f"admin.input.{f}") for f in USER_FIELDS}
            errors: dict[str, list[str]] = {}

            def save() -> object:
                with unit_of_work() as session:
                    return users.create(session, actor, data)

            if attempt(save, errors) is not None:
                for f in USER_FIELDS:
                    st.session_state.pop(f"admin.input.{f}", None)
                flash(t("admin.user_created", username=data["username"].strip().lower()))
                st.rerun()
            for name, slot in slots.items():
                field_errors(slot, errors.get(name))


def manage_user(actor: Actor) -> None:
    with st.expander(t("admin.manage_user"), icon=":material/manage_accounts:"):
        username = st.text_input(t("admin.pick_user"), key="admin.manage.username",
                                 placeholder="username").strip().lower()
        if not username:
            return
        with unit_of_work() as session:
            found = attempt(lambda: users.by_username(session, actor, username))
            if found is None:
                return
            target = (found.id, found.username, found.display_name, found.active, found.version)
        user_id, name, display, active, version = target
        st.write(f"**{display}** (`{name}`) · {t('status.active' if active else 'status.disabled')}")
        label = t("admin.disable") if active else t("admin.enable")
        if st.button(label, key="admin.manage.toggle"):
            def toggle() -> object:
                with unit_of_work() as session:
                    return users.set_active(session, actor, user_id, not active, version)

            if attempt(toggle) is not None:
                flash(t("admin.user_disabled" if active else "admin.user_enabled", username=name))
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
                flash(t("admin.password_reset", username=name))
                st.rerun()
            field_errors(slot, errors.get("password"))


def recent_changes(actor: Actor) -> None:
    with unit_of_work() as session:
        entries = audit.recent(session, actor, limit=50)
        rows = [(e.at, e.actor_name, e.action, e.record_type, e.record_id, e.before, e.after)
                for e in entries]
    if not rows:
        st.info(t("admin.no_changes"))
        return
    frame = pd.DataFrame({
        t("col.when"): [i18n.local_time(r[0]) for r in rows],
        t("col.who"): [r[1] for r in rows],
        t("col.action"): [t(f"audit.{r[2]}") for r in rows],
        t("col.record"): [f"{t('record.' + r[3])} #{r[4]}" for r in rows],
        t("col.changes"): [_diff(r[5], r[6]) for r in rows],
    })
    st.dataframe(frame, hide_index=True, width="stretch", key="admin.table.changes")


def _diff(before: dict | None, after: dict | None) -> str:
    before, after = before or {}, after or {}
    skip = {"updated_at", "created_at", "version", "path"}
    changed = [k for k in after if k not in skip and before.get(k) != after.get(k)]
    return ", ".join(f"{k}: {before.get(k, '∅')} → {after.get(k)}" for k in changed[:6])
