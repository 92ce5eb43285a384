"""The public self sign-in page (/signin?w=WINDOW&c=CODE) a trainee opens on a phone,
without an account: the session's title, three boxes (name, last four digits of the
phone, the code from the screen, filled in from the link) and one sentence back. Nothing
else: no roster, no menu, no record data (see portal.programmes.training.signin)."""

from __future__ import annotations

import hashlib

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from portal.programmes.training import signin
from portal.ui.db import unit_of_work
from portal.ui.i18n import t
from portal.ui.messages import attempt
from portal.ui.shell import public_page

KEY = "signin"


def _client() -> str:
    """Who is asking, for the per-client limit, hashed: the address and the browser
    session. A hall's phones often share one address (the same Wi-Fi), so the address
    alone would lock them all out; the window's own limit caps guessing from new tabs."""
    forwarded = st.context.headers.get("X-Forwarded-For")
    address = st.context.ip_address
    if isinstance(forwarded, str) and forwarded.strip():
        seen = forwarded.split(",")[0].strip()
    else:
        seen = address if isinstance(address, str) and address else "unknown"
    ctx = get_script_run_ctx()
    tab = ctx.session_id if ctx is not None else ""
    return hashlib.sha256(f"{seen}|{tab}".encode()).hexdigest()


def render() -> None:
    public_page()
    raw = st.query_params.get("w") or ""
    window_id = int(raw) if raw.isdigit() and len(raw) < 10 else 0

    def load() -> str | None:
        with unit_of_work() as session:
            return signin.title_of(session, window_id)

    title = attempt(load) if window_id else None
    st.title(t("training.signin.heading"))
    if not title:
        st.info(t("training.signin.closed"))
        return
    st.subheader(title)
    with st.form(f"{KEY}.form", clear_on_submit=False):
        name = st.text_input(t("training.signin.name"), key=f"{KEY}.name", max_chars=60)
        tail = st.text_input(t("training.signin.tail"), key=f"{KEY}.tail", max_chars=4)
        code = st.text_input(
            t("training.signin.code"), key=f"{KEY}.code", value=st.query_params.get("c") or "", max_chars=6
        )
        sent = st.form_submit_button(t("training.signin.submit"), type="primary", width="stretch")
    if not sent:
        return

    def send() -> signin.Outcome:
        with unit_of_work() as session:
            return signin.signin(session, window_id, code, name, tail, _client())

    outcome = attempt(send)
    if outcome is None:
        return
    message = t(f"training.signin.result.{outcome.result}")
    if outcome.result == "signed_in":
        st.success(message, icon=":material/check_circle:")
    else:
        st.warning(message, icon=":material/info:")
