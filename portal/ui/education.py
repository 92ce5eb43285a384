"""Health education (健康教育): activities recorded through the generic record screens, and
the campaigns (专题活动): launching one from an upcoming theme day, its steps, and its board
(units × goals against what was done, people reached against the goal, activities missing a
photo). Everything shown comes from portal.programmes.education.campaigns; every write goes
through the record engine there."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd
import streamlit as st

from portal import clock, formatting, i18n
from portal.org import themedays
from portal.org.scope import Actor
from portal.programmes.education import campaigns as ec
from portal.programmes.education import charts as ech
from portal.programmes.education import specs as es
from portal.programmes.education import summary
from portal.records import attachments
from portal.ui import views
from portal.ui import workflow as workflow_ui
from portal.ui.db import unit_of_work
from portal.ui.i18n import lang, t, tm
from portal.ui.messages import attempt, flash
from portal.ui.records import render_records
from portal.ui.shell import arrival_view, require_page, selected_period, selected_unit_id

KEY = "education"
LAUNCH_DAYS = 60  # theme days offered for a launch: those within the next two months


def k(purpose: str, name: str) -> str:
    return f"{KEY}.{purpose}.{name}"


def render() -> None:
    actor = require_page("education")
    st.title(t("nav.education"))
    st.caption(t("nav.education_intro"))
    labels = [t("education.tab.activities"), t("education.tab.campaigns")]
    theme = st.query_params.get("theme")  # a head's home-page link: ?view=campaigns&theme=aids_day
    if theme is not None:
        del st.query_params["theme"]
    if st.query_params.get("view") == "campaigns" and arrival_view(["campaigns"]):  # a home-page link
        st.session_state[k("tabs", "area")] = labels[1]
        if theme:
            st.session_state[k("launch", "asked")] = theme  # the launch form opens on that theme day
    views.tabs(  # only the open one runs: the activity list costs what it shows
        [
            (
                labels[0],
                lambda: render_records(es.HeActivitySpec, actor, unit_id=selected_unit_id(), period=selected_period()),
            ),
            (labels[1], lambda: campaigns_view(actor)),
        ],
        key=k("tabs", "area"),
    )


def campaigns_view(actor: Actor) -> None:
    if actor.role in es.HEADS:
        _launch(actor)
    with unit_of_work() as session:
        shown = [(c.id, c.name, c.start_date, c.end_date) for c in ec.visible(session, actor)]
    if not shown:
        st.info(t("education.campaign.none"))
    else:
        language = lang()
        names = {cid: i18n.aside(name, f"{start:%m-%d}—{end:%m-%d}", language) for cid, name, start, end in shown}
        chosen = st.selectbox(
            t("education.campaign.pick"), list(names), key=k("pick", "campaign"), format_func=lambda c: names[c]
        )
        if chosen is not None:
            board_view(actor, chosen)
    with st.expander(t("education.plans.records")):
        render_records(es.CampaignPlanSpec, actor, key=k("records", "plans"))
    _stock(actor)
    with st.expander(t("education.materials.records")):
        render_records(es.MaterialSpec, actor, key=k("records", "materials"))
    if actor.role in es.HEADS:
        with st.expander(t("education.campaign.records")):
            render_records(es.CampaignSpec, actor, key=k("records", "campaigns"))


def _stock(actor: Actor) -> None:
    with unit_of_work() as session:
        rows = ec.stock(session, actor, lang())
    if not rows:
        return
    st.markdown(f"**{t('education.materials.title')}**")
    st.dataframe(
        pd.DataFrame(
            {
                t("education.campaign.col.unit"): [r.unit for r in rows],
                t("education.materials.kind"): [r.kind for r in rows],
                t("education.materials.received"): [r.received for r in rows],
                t("education.materials.handed_out"): [r.handed_out for r in rows],
                t("education.materials.left"): [r.left for r in rows],
            }
        ),
        hide_index=True,
        key=k("materials", "stock"),
    )


def _launch(actor: Actor) -> None:
    today = clock.today()
    with unit_of_work() as session:
        rules: list[Any] = list(themedays.active_rules(session)) or list(themedays.BUILTIN)
        days = [
            (
                rule.code,
                start.year,
                rule.name_zh if lang() != "en" else rule.name_en,
                start,
                actor.org_unit_id is not None and ec.launched(session, actor.org_unit_id, rule.code, start),
            )
            for start, _e, rule in themedays.upcoming(rules, today, LAUNCH_DAYS)
        ]
    if not days:
        return
    with st.container(border=True):
        st.markdown(f"**{t('education.launch.title')}**")
        language, already = lang(), t("education.launch.already")
        options = {
            f"{code}:{year}": i18n.aside(name, start.isoformat(), language) + (already if done else "")
            for code, year, name, start, done in days
        }
        asked = st.session_state.pop(k("launch", "asked"), None)
        chosen = next((o for o in options if o.split(":")[0] == asked), None)
        if chosen is None and st.session_state.get(k("launch", "day")) not in options:
            # first time here: the first theme day this unit has not launched yet
            chosen = next((f"{code}:{year}" for code, year, _n, _s, done in days if not done), None)
        if chosen is not None:
            st.session_state[k("launch", "day")] = chosen
        picked = st.selectbox(
            t("education.launch.day"), list(options), key=k("launch", "day"), format_func=lambda o: options[o]
        )
        code, year = str(picked).split(":")
        with unit_of_work() as session:
            plan = attempt(lambda: ec.draft(session, actor, code, int(year), lang=lang()))
            if plan is not None:
                st.caption(
                    tm(
                        "education.launch.preview",
                        name=plan.name,
                        start=formatting.date(plan.start),
                        end=formatting.date(plan.end),
                        units=len(plan.units),
                    )
                )
        if st.button(t("education.launch.go"), key=k("launch", "go"), icon=":material/rocket_launch:", type="primary"):

            def run() -> str:
                with unit_of_work() as session:
                    made = ec.launch(session, actor, code, int(year), lang=lang())
                    return made.name

            name = attempt(run, {})
            if name is not None:
                flash(t("education.launch.done", name=name))
                st.rerun()


def board_view(actor: Actor, campaign_id: int) -> None:
    today = clock.today()
    language = lang()
    with unit_of_work() as session:
        board = attempt(lambda: ec.board(session, actor, campaign_id, today, language))
        if board is None:
            return
        campaign = board.campaign
        steering = actor.sees_everything or ec.steers(session, actor, campaign)
        st.caption(
            t(
                "education.campaign.period",
                start=formatting.date(campaign.start_date),
                end=formatting.date(campaign.end_date),
                topics=campaign.topics or "—",
            )
        )
        record = SimpleNamespace(id=campaign.id, version=campaign.version, status=campaign.status)
    workflow_ui.state_badge(es.CampaignSpec, record.status)
    if steering:
        workflow_ui.actions(
            es.CampaignSpec, actor, record, key=k("flow", str(record.id)), on_done=lambda _s: st.rerun()
        )
    rows = board.rows
    row = st.container(horizontal=True)
    row.metric(t("education.campaign.covered"), f"{board.covered} / {len(rows)}")
    row.metric(
        t("education.campaign.col.activities"), f"{board.total('activities')} / {board.total('activities_goal')}"
    )
    row.metric(t("education.campaign.col.people"), f"{board.total('people')} / {board.total('people_goal')}")
    row.metric(t("education.campaign.missing"), len(board.missing))
    if not rows:
        st.info(t("education.campaign.no_goals"))
        return
    table = pd.DataFrame(
        {
            t("education.campaign.col.unit"): [r.unit for r in rows],
            t("education.campaign.col.activities_goal"): [r.activities_goal for r in rows],
            t("education.campaign.col.planned"): [r.planned for r in rows],
            t("education.campaign.col.activities"): [r.activities for r in rows],
            t("education.campaign.col.people_goal"): [r.people_goal for r in rows],
            t("education.campaign.col.people"): [r.people for r in rows],
            t("education.campaign.col.reach"): [formatting.pct(r.reach_pct) for r in rows],
            t("education.campaign.col.materials"): [r.materials for r in rows],
            t("education.campaign.col.missing"): [r.missing_photos for r in rows],
            t("education.campaign.col.state"): [
                t("education.campaign.behind") if r.behind else t("education.campaign.on_track") for r in rows
            ],
        }
    )
    st.dataframe(table, hide_index=True, key=k("board", "table"))
    _drill_down(actor, campaign_id, rows, language)
    st.altair_chart(ech.reach_chart(rows, language), key=k("board", "chart"))
    st.altair_chart(ech.reach_over_days(board, language), key=k("board", "days"))
    missing = board.missing
    st.markdown(f"**{t('education.campaign.missing_title', count=len(missing))}**")
    if missing:
        st.dataframe(
            pd.DataFrame(
                {
                    t("education.campaign.col.date"): [formatting.date(e.date) for e in missing],
                    t("education.campaign.col.unit"): [e.unit for e in missing],
                    t("education.campaign.col.title"): [e.title for e in missing],
                    t("education.campaign.col.people"): [e.participants for e in missing],
                }
            ),
            hide_index=True,
            key=k("board", "missing"),
        )
    _downloads(actor, campaign_id, language)
    if steering:
        _choose_photos(actor, campaign_id, language)
    if board.activities:
        with st.expander(t("education.campaign.all_activities", count=len(board.activities))):
            st.dataframe(
                pd.DataFrame(
                    {
                        t("education.campaign.col.date"): [formatting.date(e.date) for e in board.activities],
                        t("education.campaign.col.unit"): [e.unit for e in board.activities],
                        t("education.campaign.col.title"): [e.title for e in board.activities],
                        t("education.campaign.col.people"): [e.participants for e in board.activities],
                        t("education.campaign.col.photos"): [e.photos for e in board.activities],
                    }
                ),
                hide_index=True,
                key=k("board", "activities"),
            )


def _drill_down(actor: Actor, campaign_id: int, rows: list[ec.BoardRow], language: str) -> None:
    """Under the board: one unit's activities in the campaign, with the photo there or missing."""
    names = {r.unit_id: r.unit for r in rows}
    chosen = st.selectbox(
        t("education.campaign.drill"),
        list(names),
        index=None,
        format_func=lambda u: names.get(u, str(u)),
        placeholder=t("education.campaign.drill_pick"),
        key=k("board", "unit"),
    )
    if chosen is None:
        return
    with unit_of_work() as session:
        shown = attempt(lambda: ec.unit_activities(session, actor, campaign_id, chosen, language))
    if shown is None:
        return
    if not shown:
        st.info(t("education.campaign.drill_none"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("education.campaign.col.date"): [formatting.date(a.date) for a in shown],
                t("education.campaign.col.unit"): [a.unit for a in shown],
                t("education.campaign.col.type"): [a.kind for a in shown],
                t("education.campaign.col.title"): [a.title for a in shown],
                t("education.campaign.col.people"): [a.participants for a in shown],
                t("education.campaign.col.photo"): [
                    t("education.campaign.photo_yes", count=a.photos)
                    if a.has_photo
                    else t("education.campaign.photo_missing")
                    for a in shown
                ],
            }
        ),
        hide_index=True,
        key=k("board", "unit_activities"),
    )


def _choose_photos(actor: Actor, campaign_id: int, language: str) -> None:
    """The head picks the summary's photos (up to six) and writes their captions."""
    with unit_of_work() as session:
        found = attempt(lambda: summary.candidates(session, actor, campaign_id, language))
        campaign = ec.get(session, actor, campaign_id)
        current, version, frozen = summary.chosen(campaign), campaign.version, campaign.status == "summarised"
    with st.expander(t("education.photos.title", max=summary.CHOSEN_MAX)):
        if not found:
            st.caption(t("education.summary.no_photos"))
            return
        st.caption(t("education.photos.frozen") if frozen else t("education.photos.hint", auto=summary.PHOTOS))
        by_id = {c.id: c for c in found}
        captions = dict(current)
        picked = st.multiselect(
            t("education.photos.pick"),
            list(by_id),
            default=[i for i, _ in current if i in by_id],
            format_func=lambda i: by_id[i].label_in(lang()),
            max_selections=summary.CHOSEN_MAX,
            placeholder=t("records.choose"),
            disabled=frozen,
            key=k("photos", f"pick.{campaign_id}"),
        )
        picks: list[tuple[int, str]] = []
        for attachment_id in picked:
            photo = by_id[attachment_id]
            left, right = st.columns([1, 3])
            thumb = _thumb(actor, attachment_id)
            if thumb is not None:
                left.image(thumb, width="stretch")
            text = right.text_input(
                t("education.photos.caption"),
                value=captions.get(attachment_id) or photo.label,
                max_chars=summary.CAPTION_MAX,
                disabled=frozen,
                key=k("photos", f"caption.{campaign_id}.{attachment_id}"),
            )
            picks.append((attachment_id, text))
        if frozen or not st.button(
            t("education.photos.save"), key=k("photos", f"save.{campaign_id}"), icon=":material/photo_library:"
        ):
            return

        def run() -> int:
            with unit_of_work() as session:
                summary.choose(session, actor, campaign_id, picks, version)
            return len(picks)

        saved = attempt(run, {})
        if saved is not None:
            flash(t("education.photos.saved", count=saved) if saved else t("education.photos.automatic"))
            st.rerun()


def _thumb(actor: Actor, attachment_id: int) -> bytes | None:
    with unit_of_work() as session:
        return attempt(lambda: attachments.content(session, actor, attachment_id, thumb=True))


def _downloads(actor: Actor, campaign_id: int, language: str) -> None:
    with unit_of_work() as session:
        word = attempt(lambda: summary.docx(session, actor, campaign_id, language))
        book = attempt(lambda: summary.xlsx(session, actor, campaign_id, language))
    row = st.container(horizontal=True)
    if word is not None:
        row.download_button(
            t("education.summary.download_docx"),
            word,
            file_name=f"campaign-{campaign_id}.docx",
            key=k("summary", "docx"),
            icon=":material/description:",
        )
    if book is not None:
        row.download_button(
            t("education.summary.download_xlsx"),
            book,
            file_name=f"campaign-{campaign_id}.xlsx",
            key=k("summary", "xlsx"),
            icon=":material/table_view:",
        )
