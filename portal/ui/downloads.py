"""Download buttons whose file is made when clicked (reports, exports, templates).

Streamlit runs the maker on a download thread, outside the script, where nothing can be
drawn. A failure is logged there and re-raised, so the browser gets no file - never an
empty one; the click's own rerun then says, next to the button, that it failed."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from portal.ui.i18n import t

log = logging.getLogger("portal")
# How long the click's rerun waits for the file to be made before it stops listening
# (the file still downloads; only a failure after this goes unsaid on the page).
WAIT_SECONDS = 60.0


@dataclass
class _Outcome:
    done: threading.Event = field(default_factory=threading.Event)
    failed: bool = False


DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_button(
    container: Any,
    label: str,
    make: Callable[[], bytes],
    *,
    file_name: str,
    mime: str,
    key: str,
    icon: str = ":material/download:",
) -> None:
    """A download button in container; below it, an error when the last click failed."""
    outcome = _Outcome()

    def run() -> bytes:
        try:
            data = make()
        except Exception:
            log.exception("download %s (%s) failed", key, file_name)
            outcome.failed = True
            outcome.done.set()
            raise  # Streamlit answers the browser with an error instead of a file
        outcome.done.set()
        return data

    container.download_button(
        label,
        run,
        file_name=file_name,
        mime=mime,
        key=key,
        icon=icon,
        on_click=functools.partial(_clicked, key, outcome),
    )
    message = st.session_state.pop(_failed_key(key), None)
    if message:
        st.error(message, icon=":material/error:")


def _clicked(key: str, outcome: _Outcome) -> None:
    """The click's rerun, before the page draws: wait for the download thread's answer."""
    if outcome.done.wait(WAIT_SECONDS) and outcome.failed:
        st.session_state[_failed_key(key)] = t("download.failed")


def _failed_key(key: str) -> str:
    return f"{key}.failed"
