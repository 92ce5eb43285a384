"""Health education (健康教育): activities recorded through the generic record screens."""

from __future__ import annotations

import streamlit as st

from portal.programmes.education.specs import HeActivitySpec
from portal.ui.i18n import t
from portal.ui.records import render_records
from portal.ui.shell import require_page, selected_period, selected_unit_id


def render() -> None:
    actor = require_page("education")
    st.title(t("nav.education"))
    st.caption(t("nav.education_intro"))
    render_records(HeActivitySpec, actor, unit_id=selected_unit_id(), period=selected_period())
