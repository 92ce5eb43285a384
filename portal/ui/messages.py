"""How messages reach users: inline field errors, a friendly sentence for failures (the
trace goes to the log), and flash messages that survive one rerun."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from portal.errors import FieldError, PortalError, ValidationError
from portal.ui.i18n import lang, t

log = logging.getLogger("portal")
FLASH_KEY = "flash"
T = TypeVar("T")


def flash(text: str, kind: str = "success") -> None:
    """Show text after the next rerun (st.rerun would swallow a message shown now)."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flashes() -> None:
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        {"success": st.success, "info": st.info, "warning": st.warning}.get(kind, st.info)(text)


def attempt(action: Callable[[], T], errors: dict[str, Any] | None = None) -> T | None:
    """Run a service call. Validation errors go to the errors dict (field -> text) for
    inline display; other portal errors become one sentence; anything else is logged and
    reported without internals."""
    try:
        return action()
    except ValidationError as exc:
        if errors is not None:
            for err in exc.errors:
                if err.row is not None:  # a grid's or a child table's row: said with its row and field
                    errors.setdefault(ROWS_KEY, []).append(row_message(err))
                else:
                    errors.setdefault(err.field, []).append(err.message(lang()))
        st.error(t("error.validation", count=len(exc.errors)) if errors is not None else exc.message(lang()))
    except PortalError as exc:
        st.error(exc.message(lang()))
    except Exception:  # the trace goes to the log, never to the screen
        log.exception("unexpected failure")
        st.error(t("error.generic"))
    return None


ROWS_KEY = "__rows__"


def row_message(err: FieldError) -> str:
    """ "器材 第 2 行 · 数量：不能小于 0"."""
    from portal.records import registry

    try:
        spec = registry.get(err.record or "")
        label = spec.field(err.field).label(lang()) if err.field != "id" else ""
        kind = spec.title(lang())
    except KeyError:
        label, kind = err.field, ""
    return t("records.row_error", type=kind, row=err.row, field=label, message=err.message(lang()))


def field_errors(slot: Any, messages: list[str] | None) -> None:
    """Fill a placeholder under a form field with that field's errors."""
    if messages:
        slot.error(" ".join(messages))
