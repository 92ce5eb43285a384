"""The session's language and the translate helper pages use."""

from __future__ import annotations

from typing import Any

import streamlit as st

from portal import cache, i18n
from portal.records.display import md_escape

LANG_KEY = "lang"  # plain state: survives pages that do not render the switch
SWITCH_KEY = "shell.language"  # the sidebar widget


def lang() -> str:
    """The session's language; looked up once per rerun (a page asks a thousand times)."""
    return cache.memo(LANG_KEY, _lang)


def _lang() -> str:
    current = st.session_state.get(LANG_KEY)
    if current in i18n.LANGUAGES:
        return current
    actor = st.session_state.get("auth.actor")
    saved = actor.language if actor is not None else None
    chosen = i18n.resolve_language(None, saved, _browser_locale())
    st.session_state[LANG_KEY] = chosen
    return chosen


def _browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # noqa: BLE001 - no browser context (AppTest, bare script run)
        return None


def set_lang(value: str) -> None:
    if value in i18n.LANGUAGES:
        st.session_state[LANG_KEY] = value
        cache.remember(LANG_KEY, value)


def t(key: str, **params: Any) -> str:
    return i18n.t(key, lang(), **params)


def tm(key: str, **params: Any) -> str:
    """t() for text Streamlit renders as markdown: the parameters (names, titles, any
    user text) are escaped, the catalogue's own formatting is kept."""
    return i18n.t(key, lang(), **{k: v if isinstance(v, int | float) else md_escape(v) for k, v in params.items()})
