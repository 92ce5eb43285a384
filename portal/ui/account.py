"""My account: profile, language preference and changing my own password."""

from __future__ import annotations

import streamlit as st

from portal.org import users
from portal.records.display import md_escape
from portal.ui.auth import renew_cookie
from portal.ui.db import unit_of_work
from portal.ui.i18n import t
from portal.ui.messages import attempt, field_errors, flash
from portal.ui.shell import require_page

FIELDS = ("current_password", "new_password", "confirm_password")


def render() -> None:
    actor = require_page("account")
    st.title(t("account.title"))
    st.subheader(t("account.profile"))
    st.markdown(
        f"- {t('col.username')}: `{actor.username}`\n"
        f"- {t('col.display_name')}: {md_escape(actor.display_name)}\n"
        f"- {t('col.role')}: {t('role.' + actor.role)}"
    )
    st.subheader(t("account.change_password"))
    with st.form("account.form.password", clear_on_submit=False):
        slots = {}
        for name in FIELDS:
            st.text_input(t(f"field.{name}"), type="password", key=f"account.input.{name}")
            slots[name] = st.empty()
        submitted = st.form_submit_button(t("account.save"))
    if submitted:
        values = {name: st.session_state.get(f"account.input.{name}", "") for name in FIELDS}
        errors: dict[str, list[str]] = {}

        def save() -> object:
            with unit_of_work() as session:
                return users.change_own_password(
                    session, actor, values["current_password"], values["new_password"], values["confirm_password"]
                )

        if attempt(save, errors) is not None:
            for name in FIELDS:
                st.session_state.pop(f"account.input.{name}", None)
            renew_cookie(actor)
            flash(t("account.password_changed"))
            st.rerun()
        for name, slot in slots.items():
            field_errors(slot, errors.get(name))
