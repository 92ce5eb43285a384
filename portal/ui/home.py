"""Home: who I am, what part of the county I see, the selected unit's figures."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import func, select

from db.models import OrgUnit, ThemeDay, User
from portal import clock, home, i18n, navigation, periods
from portal.org import themedays
from portal.org import units as orgunits
from portal.org.scope import Actor, org_filter
from portal.records import registry
from portal.records.display import md_escape
from portal.ui.db import unit_of_work
from portal.ui.i18n import lang, t, tm
from portal.ui.shell import ROOT, VISIBLE_KEY, require_page, selected_period, selected_unit_id


def render() -> None:
    actor = require_page("home")
    with unit_of_work() as session:
        units = orgunits.tree(session, actor, include_inactive=False)
        user_count = (
            session.scalar(
                select(func.count())
                .select_from(User)
                .join(OrgUnit, OrgUnit.id == User.org_unit_id)
                .where(org_filter(actor), User.active.is_(True))
            )
            or 0
        )
    st.title(tm("home.welcome", name=actor.display_name))
    st.caption(t("home.as_of", time=clock.now().strftime("%Y-%m-%d %H:%M")))
    home = next((u for u in units if u.id == actor.org_unit_id), None)
    if actor.sees_everything:
        st.write(t("home.scope_all", count=len(units)))
    elif home is not None:
        st.write(tm("home.scope", unit=i18n.label(lang(), home.name_zh, home.name_en), count=len(units) - 1))
    chosen = next((u for u in units if u.id == selected_unit_id()), home)
    if chosen is not None:
        st.subheader(
            tm(
                "home.selection",
                unit=i18n.label(lang(), chosen.name_zh, chosen.name_en),
                period=periods.label(selected_period(), lang()),
            )
        )
    todo_list(actor)
    if chosen is not None and actor.role in HEADS:
        units_overview(actor, chosen.id)
    cols = st.columns(3)
    cols[0].metric(t("home.units"), f"{len(units):,}")
    cols[1].metric(t("home.users"), f"{user_count:,}")
    if chosen is not None:
        pop = f"{chosen.population:,}" if chosen.population is not None else t("home.no_population")
        year = chosen.population_year or clock.today().year
        cols[2].metric(t("home.population", year=year), pop)
    theme_calendar()


def theme_calendar(days: int = 60) -> None:
    """The health theme days of the next two months, with what the plans suggest doing."""
    today = clock.today()
    with unit_of_work() as session:
        rules: list[ThemeDay] | list[themedays.Rule] = themedays.active_rules(session) or list(themedays.BUILTIN)
        items = themedays.upcoming(rules, today, days)
    st.subheader(t("home.calendar", days=days))
    if not items:
        st.info(t("home.calendar_empty"))
        return
    kinds = activity_labels(lang())
    weekdays = t("home.weekdays").split(",")
    frame = pd.DataFrame(
        {
            t("home.col.date"): [
                f"{s.isoformat()} {weekdays[s.weekday()]}" + (f" – {e.isoformat()}" if e != s else "")
                for s, e, _ in items
            ],
            t("home.col.in_days"): [
                t("home.today") if s <= today else t("home.in_days", n=(s - today).days) for s, _, _ in items
            ],
            t("home.col.day"): [r.name_en if lang() == "en" else r.name_zh for _, _, r in items],
            t("home.col.topics"): [(r.topics_en if lang() == "en" else r.topics_zh) or "" for _, _, r in items],
            t("home.col.suggested"): [
                i18n.join((kinds.get(k, k) for k in (r.activity_types or "").split(",") if k), lang())
                for _, _, r in items
            ],
            t("home.col.in_seed"): ["✓" if r.in_seed else "" for _, _, r in items],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch", key="home.table.calendar")


def activity_labels(language: str) -> dict[str, str]:
    """What the theme days suggest doing, in words: the choices of the health-education
    activity type, found through the spec registry (home does not import an area)."""
    spec = registry.specs().get("he_activities")
    if spec is None:
        return {}
    return {c.value: c.label(language) for c in spec.field("activity_type").choices}


HEADS = frozenset({"admin", "head"})  # who gets the table of the units below
ICONS = {"error": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}
COLOURS = {  # a figure's severity as a cell colour; "none" (no data) is grey, never red
    "ok": "background-color: #e6f4ea",
    "info": "",
    "warning": "background-color: #fef7e0",
    "error": "background-color: #fce8e6",
    "none": "color: #80868b",
}


def page_path(slug: str) -> str:
    return str(ROOT / navigation.page(slug).script)


def todo_list(actor: Actor) -> None:
    """What this person has to do today, each line with a link to where it is done."""
    with unit_of_work() as session:
        lines = home.todos(session, actor, clock.today(), lang())
    st.subheader(t("home.todo.title"))
    if not lines:
        st.success(t("home.todo.none"), icon=":material/task_alt:")
        return
    allowed = set(st.session_state.get(VISIBLE_KEY) or ())
    for i, line in enumerate(lines):
        with st.container(border=True, key=f"home.todo.{i}"):
            badge = f" `{line.count}`" if line.count else ""
            st.markdown(f"**{md_escape(line.title)}**{badge}")
            if line.detail:
                st.caption(md_escape(line.detail))
            if line.copy_text:
                st.caption(t("home.todo.copy"))
                st.code(line.copy_text, language=None, wrap_lines=True)
            if line.page in allowed:
                st.page_link(
                    page_path(line.page),
                    label=t("home.todo.open", page=t(navigation.page(line.page).title_key)),
                    icon=ICONS.get(line.severity, ":material/arrow_forward:"),
                    query_params=line.query or None,
                )


def units_overview(actor: Actor, unit_id: int) -> None:
    """A head's table of the units directly below the selected one, a column per figure
    from every area; grey is "no data", never red."""
    with unit_of_work() as session:
        table = home.overview(session, actor, unit_id, clock.today(), lang())
    if table is None or not table.columns:
        return
    st.subheader(t("home.overview.title"))
    ids = [uid for uid, _ in table.units]
    frame = pd.DataFrame(
        {t("home.overview.unit"): [name for _, name in table.units]}
        | {c.title: [c.values.get(uid, "—") for uid in ids] for c in table.columns}
    )
    styles = pd.DataFrame(
        {t("home.overview.unit"): [""] * len(ids)}
        | {c.title: [COLOURS.get(c.severity.get(uid, "none"), "") for uid in ids] for c in table.columns}
    )
    st.dataframe(
        frame.style.apply(lambda _frame: styles, axis=None),
        hide_index=True,
        width="stretch",
        key="home.table.overview",
    )
    st.caption(t("home.overview.legend"))
