"""How messages reach users: inline field errors, a friendly sentence for failures (the
trace goes to the log), and flash messages that survive one rerun."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.exc import InterfaceError, OperationalError

from db.engine import DatabaseFileError
from portal.errors import FieldError, PortalError, ValidationError
from portal.records.display import md_escape
from portal.ui.i18n import lang, t

log = logging.getLogger("portal")
FLASH_KEY = "flash"
T = TypeVar("T")


def flash(text: str, kind: str = "success") -> None:
    """Show text after the next rerun (st.rerun would swallow a message shown now)."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flashes() -> None:
    """Each message at the top of the page and, for a success, as a toast too: the user
    who saved from a form low on the page sees it without scrolling."""
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        {"success": st.success, "info": st.info, "warning": st.warning}.get(kind, st.info)(text)
        if kind == "success":
            st.toast(text, icon=":material/check_circle:")


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
        st.error(t("error.validation", count=len(exc.errors)) if errors is not None else md_escape(exc.message(lang())))
    except PortalError as exc:
        st.error(md_escape(exc.message(lang())))  # messages quote values the user typed
    except (DatabaseFileError, OperationalError, InterfaceError) as exc:
        st.error(database_problem(exc))
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


def database_problem(exc: DatabaseFileError | OperationalError | InterfaceError) -> str:
    """What to tell a user when the database itself fails, with the log line that goes
    with it: the file gone or replaced (already logged where it was noticed), a
    read-only database, or a server that does not answer."""
    if isinstance(exc, DatabaseFileError):
        return t("error.db_file_gone")
    if "readonly" in str(exc.orig or exc).replace("-", "").replace(" ", "").lower():
        log.error("the database is read-only; nothing can be saved: %s", exc.orig or exc)
        return t("error.db_readonly")
    log.exception("database unavailable")
    return t("error.db_unavailable")


def field_errors(slot: Any, messages: list[str] | None) -> None:
    """Fill a placeholder under a form field with that field's errors."""
    if messages:
        slot.error(md_escape(" ".join(messages)))
