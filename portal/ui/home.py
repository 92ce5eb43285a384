"""Home: who I am, what part of the county I see, the selected unit's figures."""
from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy import func, select

from db.models import User
from portal import i18n, orgunits, periods
from portal.scope import org_filter
from portal.ui.db import unit_of_work
from portal.ui.i18n import lang, t
from portal.ui.shell import require_page, selected_period, selected_unit_id
from db.models import OrgUnit


def render() -> None:
    actor = require_page("home")
    with unit_of_work() as session:
        units = orgunits.tree(session, actor, include_inactive=False)
        user_count = session.scalar(
            select(func.count()).select_from(User).join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(org_filter(actor), User.active.is_(True))) or 0
    st.title(t("home.welcome", name=actor.display_name))
    home = next((u for u in units if u.id == actor.org_unit_id), None)
    if actor.sees_everything:
        st.write(t("home.scope_all", count=len(units)))
    elif home is not None:
        st.write(t("home.scope", unit=i18n.label(lang(), home.name_zh, home.name_en),
                   count=len(units) - 1))
    chosen = next((u for u in units if u.id == selected_unit_id()), home)
    if chosen is not None:
        st.subheader(t("home.selection", unit=i18n.label(lang(), chosen.name_zh, chosen.name_en),
                       period=periods.label(selected_period(), lang())))
    cols = st.columns(3)
    cols[0].metric(t("home.units"), f"{len(units):,}")
    cols[1].metric(t("home.users"), f"{user_count:,}")
    if chosen is not None:
        pop = f"{chosen.population:,}" if chosen.population is not None else t("home.no_population")
        year = chosen.population_year or dt.date.today().year
        cols[2].metric(t("home.population", year=year), pop)
    st.info(t("home.coming"), icon=":material/construction:")
