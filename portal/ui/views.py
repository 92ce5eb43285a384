"""Tabs of which only the open one runs.

Streamlit's plain st.tabs runs every tab's code on every rerun and hides all but one in
the browser: a record screen paid for its closed trash tab's count and page on every
click. These tabs track which one is open (switching reruns the page) and draw only
that one, so a rerun costs what it shows.

A widget that is not drawn in a run loses its value at the end of that run; what a view
wants to find again when it is opened again (the list's filters) it copies aside on each
run it draws (``keep``) and puts back when drawn again (``restore``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import streamlit as st

KEPT = "views.kept"


def tabs(views: Sequence[tuple[str, Callable[[], None]]], key: str) -> str:
    """Draw the tab bar and run only the open tab's function; returns its label."""
    labels = [label for label, _ in views]
    shown = st.tabs(labels, key=key, on_change="rerun")
    opened = labels[0]
    for tab, (label, draw) in zip(shown, views):
        if tab.open:
            opened = label
            with tab:
                draw()
    return opened


def open_tab(key: str) -> str | None:
    """The label of the tab open in the tabs with this key (None before they are drawn)."""
    value = st.session_state.get(key)
    return value if isinstance(value, str) else None


def keep(name: str, keys: Iterable[str]) -> None:
    """Copy the current values of these session-state keys aside under `name` (a key
    absent now keeps the value copied before)."""
    held = kept(name)
    held.update({k: st.session_state[k] for k in keys if k in st.session_state})
    st.session_state[f"{KEPT}.{name}"] = held


def kept(name: str) -> dict[str, Any]:
    return dict(st.session_state.get(f"{KEPT}.{name}") or {})


def restore(name: str) -> None:
    """Put back the values kept under `name` whose widgets lost them; then forget them."""
    for k, value in (st.session_state.pop(f"{KEPT}.{name}", None) or {}).items():
        if k not in st.session_state:
            st.session_state[k] = value


def value(name: str, key: str, default: Any = None) -> Any:
    """A widget's value whether its widget is drawn this run or its value is kept aside."""
    if key in st.session_state:
        return st.session_state[key]
    return kept(name).get(key, default)
