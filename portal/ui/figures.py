"""Charts drawn from the figures cache: the chart is built and converted to Vega-Lite
once per data version (portal.cache, portal.charts.spec) and the kept spec is sent on
every other rerun."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from portal import cache
from portal.charts.spec import vega_lite


def chart(session: Session, key: Hashable, build: Callable[[], Any], *, widget_key: str | None = None) -> None:
    """Draw `build()` (an Altair chart from portal.charts). `key` names everything the
    chart shows besides the data (the figures, the names, the language)."""
    kept = cache.FIGURES.get(session, ("chart", cache.key_of(key)), lambda: json.dumps(vega_lite(build())))
    st.vega_lite_chart(json.loads(kept), width="stretch", key=widget_key)  # a fresh dict: Streamlit edits it
