"""A record's workflow on its page: where it stands, and the steps this user may take
from there (with the comment box when a step needs one). Every step goes through
service.transition, so rights, guards, comments and the audit entry are the engine's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import streamlit as st

from portal.org.scope import Actor
from portal.records import service
from portal.records.service import Spec
from portal.ui.db import unit_of_work
from portal.ui.i18n import lang, t
from portal.ui.messages import attempt, flash

Colour = Literal["gray", "blue", "orange", "green", "violet", "red"]
STATE_COLOURS: tuple[Colour, ...] = ("gray", "blue", "orange", "green", "violet", "red")


def state_badge(spec: Spec, state: str | None) -> None:
    workflow = spec.workflow
    if workflow is None:
        return
    found = workflow.state(state)
    index = [s.value for s in workflow.states].index(found.value) if found else 0
    colour = STATE_COLOURS[index % len(STATE_COLOURS)]
    st.badge(found.label(lang()) if found else str(state), color=colour, icon=":material/flag:")


def actions(
    spec: Spec,
    actor: Actor,
    record: Any,
    *,
    key: str,
    on_done: Callable[[str], None] | None = None,
    message: Callable[[str], str] | None = None,
) -> None:
    """The step buttons for this record and this user; nothing when there is none."""
    workflow = spec.workflow
    if workflow is None:
        return
    state = getattr(record, workflow.field)
    steps = workflow.available(state, actor.role)
    if not steps:
        return
    language = lang()
    needs_comment = any(s.comment for s in steps)
    comment_key = f"{key}.workflow.comment"
    if needs_comment or workflow.comment_field:
        st.text_area(t("workflow.comment"), key=comment_key, height=70, placeholder=t("workflow.comment_hint"))
    row = st.container(horizontal=True)
    clicked = None
    for step in steps:
        if row.button(
            step.label(language),
            key=f"{key}.workflow.{step.name}",
            icon=step.icon,
            type="primary" if step.primary else "secondary",
        ):
            clicked = step
    if clicked is None:
        return
    comment = (st.session_state.get(comment_key) or "").strip()
    errors: dict[str, list[str]] = {}

    def run() -> object:
        with unit_of_work() as session:
            return service.transition(session, actor, spec, record.id, clicked.name, comment, record.version)

    if attempt(run, errors) is not None:
        st.session_state.pop(comment_key, None)
        text = message(clicked.name) if message else t("workflow.done", step=clicked.label(language))
        st.toast(text, icon=":material/check_circle:")
        flash(text)
        if on_done is not None:
            on_done(clicked.name)
        st.rerun()
    for messages in errors.values():
        st.error(" ".join(messages))
