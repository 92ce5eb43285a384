"""Workflows: a record's status moves only through declared transitions.

Declared on a spec (``workflow = Workflow(...)``), like django-fsm's transitions:

    Workflow(
        states=(State("draft", "草稿", "Draft"), State("done", "完成", "Done", readonly=True)),
        transitions=(Transition("finish", "完成", "Finish", ("draft",), "done", roles=HEADS),),
    )

- ``states``: the values of the status field (a read-only choice field the spec
  declares, usually as ``status_field(STATES)``; the engine checks they agree). A
  ``readonly`` state freezes the record: edits and deletes are refused until a
  transition leaves it.
- ``transitions``: name, labels, the states it leaves from, the state it enters, the roles
  allowed, an optional ``guard`` (``(session, actor, record) -> FieldError | None``; rights
  are checked before state, so an outsider learns nothing about the record), whether a
  comment is required (stored in ``comment_field`` when the spec has one), and
  ``effects`` (``(session, actor, record, comment, now) -> {column: value}``: the
  timestamps, flags and names the step sets).
- ``locks``: while a record is in one of a lock's states, records of another type whose
  fields match its fields (e.g. a unit's month) cannot be created, changed or deleted.

Every step goes through ``service.transition``: one audited write whose action is the
transition's name, with the record's values before and after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from portal.errors import FieldError
from portal.records.fields import Choice, Field

Guard = Callable[[Session, Any, Any], FieldError | None]
Effects = Callable[[Session, Any, Any, str, dt.datetime], dict[str, Any]]


@dataclass(frozen=True)
class State:
    value: str
    zh: str
    en: str
    readonly: bool = False

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Transition:
    name: str
    zh: str
    en: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    guard: Guard | None = None
    comment: bool = False
    effects: Effects | None = None
    icon: str = ":material/arrow_forward:"
    primary: bool = False

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Lock:
    """While a record of this workflow is in one of ``states``, records of type
    ``target`` whose ``match`` fields equal its own are frozen. ``match`` pairs
    (target field, this record's field)."""

    target: str
    match: tuple[tuple[str, str], ...]
    states: tuple[str, ...]
    message_key: str = "validation.locked_by"


@dataclass(frozen=True)
class Workflow:
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    field: str = "status"
    comment_field: str | None = None
    locks: tuple[Lock, ...] = ()

    @property
    def initial(self) -> str:
        return self.states[0].value

    def state(self, value: str | None) -> State | None:
        return next((s for s in self.states if s.value == value), None)

    def transition(self, name: str) -> Transition:
        for t in self.transitions:
            if t.name == name:
                return t
        raise KeyError(name)

    def available(self, state: str | None, role: str | None) -> list[Transition]:
        """The steps this role may take from this state (what buttons to show)."""
        return [t for t in self.transitions if state in t.sources and role in t.roles]

    def readonly(self, state: str | None) -> bool:
        found = self.state(state)
        return bool(found and found.readonly)


def status_field(states: tuple[State, ...], key: str = "status", zh: str = "状态", en: str = "Status") -> Field:
    """The read-only choice field a workflow moves, its choices the workflow's states:
    ``fields = (..., status_field(SESSION_STATES))``."""
    return Field(key, "choice", zh, en, readonly=True, choices=tuple(Choice(s.value, s.zh, s.en) for s in states))
