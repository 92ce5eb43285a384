"""The public results page (公示): one published ranking, for anyone with its link
(``/sanitation_results?t=TOKEN``), signed in or not. It shows the period's zones, units, mean scores,
ranks and red flags (by groups, with each group's unit and flag, when published so), and
nothing else: no inspector, note, photo or id, no other period, no menu. An unknown,
malformed or unpublished link reads the same: nothing published.

It never calls require_page (there is no one to require); everything it can show comes
from portal.programmes.sanitation.view.public_ranking.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portal import formatting, i18n
from portal.programmes.sanitation import view as sv
from portal.records.display import md_escape
from portal.ui.db import unit_of_work
from portal.ui.i18n import lang, t

LINK_PARAM = "t"


def render() -> None:
    token = st.query_params.get(LINK_PARAM)
    with unit_of_work() as session:
        found = sv.public_ranking(session, token, lang())
    if found is None:
        st.title(t("sanitation.public.title"))
        st.info(t("sanitation.public.none"))
        return
    st.title(md_escape(found.title))
    st.caption(t("sanitation.public.period", start=formatting.date(found.start), end=formatting.date(found.end)))
    if found.holders:
        message = "sanitation.rank.flag_groups" if found.grouped else "sanitation.public.flag"
        st.success(md_escape(t(message, zones=i18n.join(found.holders, lang()))), icon=":material/flag:")
    group_column = {t("sanitation.rank.col.group"): [r.group for r in found.rows]} if found.grouped else {}
    st.dataframe(
        pd.DataFrame(
            {
                **group_column,
                t("sanitation.rank.col.rank"): [
                    t("sanitation.rank.unranked")
                    if r.rank is None
                    else f"{r.rank}{t('sanitation.rank.tied') if r.tied else ''}"
                    for r in found.rows
                ],
                t("sanitation.rank.col.zone"): [r.zone for r in found.rows],
                t("sanitation.rank.col.unit"): [r.unit for r in found.rows],
                t("sanitation.rank.col.mean"): [r.mean for r in found.rows],
                t("sanitation.rank.col.flag"): ["★" if r.flag else "" for r in found.rows],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(t("sanitation.rank.rule"))
