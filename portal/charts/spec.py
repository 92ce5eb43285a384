"""A chart as the Vega-Lite dict the browser draws, made once and kept: converting an
Altair chart runs Altair's JSON-schema validation over the whole spec (a quarter of a
second for the scorecard), so a page that shows a cached figure converts its chart once
per data version (portal.cache) and sends the kept dict on every other rerun.

The charts are built by this package and validated by its tests (tests/test_charts.py,
tests/test_plan_charts.py), so the conversion here skips the validation."""

from __future__ import annotations

from typing import Any

import altair as alt

# What Altair's default theme adds and Streamlit takes away (it draws charts without it).
_DEFAULT_THEME_VIEW = {"continuousWidth": 300, "continuousHeight": 300}


def vega_lite(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict(validate=False)
    view = spec.get("config", {}).get("view")
    if alt.theme.active == "default" and isinstance(view, dict):
        for key, value in _DEFAULT_THEME_VIEW.items():
            if view.get(key) == value:
                del view[key]
        if not view:
            del spec["config"]["view"]
        if not spec["config"]:
            del spec["config"]
    return spec
