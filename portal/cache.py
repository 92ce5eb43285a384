"""Two caches, so a rerun costs what it shows (no Streamlit here: the UI layer drives them).

1. The rerun memo. A page rerun asks for the same things many times over - the org tree,
   the working-day calendar, the unit paths, the signed-in user - from code far apart.
   ``memo(key, compute)`` keeps each answer for the rest of the rerun. The UI opens a
   memo at the start of every run (``with rerun():``); outside one (the CLI, tests, the
   services called directly) nothing is kept and ``compute`` runs every time. Any write
   (a flush with changes, or an INSERT/UPDATE/DELETE statement) empties the memo, so the
   rest of a run that changed something reads fresh data.

2. The figures cache, for expensive aggregates (scorecards, the plans status grid,
   dashboards). An entry's key holds the caller's key (the actor's scope, the period,
   the day, what is asked) and the data version: the newest audit entry's id and time,
   read with one cheap query. Every write goes through the audit trail, so a write on
   any server process advances the version and every process recomputes at once; no
   process needs to be told. Entries are kept per database URL, least recently used
   first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from db.models import AuditEntry

T = TypeVar("T")

# -- the rerun memo ------------------------------------------------------------------------

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("portal_rerun_memo", default=None)


@contextmanager
def rerun() -> Iterator[None]:
    """Everything memoised inside the block is looked up once."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memo(key: Hashable, compute: Callable[[], T]) -> T:
    held = _memo.get()
    if held is None:
        return compute()
    if key not in held:
        held[key] = compute()
    return held[key]


def remember(key: Hashable, value: Any) -> None:
    """Put an answer into the current rerun's memo (one query that learnt several)."""
    held = _memo.get()
    if held is not None:
        held[key] = value


def forget() -> None:
    """Empty the current rerun's memo (after a write)."""
    held = _memo.get()
    if held:
        held.clear()


@event.listens_for(Session, "after_flush")
def _after_flush(_session: Session, _context: Any) -> None:
    forget()


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        forget()


# -- the figures cache ---------------------------------------------------------------------

Version = tuple[Any, ...]


def data_version(session: Session) -> Version:
    """The newest audit entry (id and time): every write advances it."""
    row = session.execute(select(AuditEntry.id, AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1)).first()
    return (None, None) if row is None else (row[0], str(row[1]))


class FiguresCache:
    """Computed figures keyed by (database, caller's key, data version)."""

    WAIT_S = 30.0  # the longest a lookup waits for another thread computing the same entry

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._running: dict[Hashable, threading.Event] = {}  # entries being computed, by key
        self.hits = 0
        self.misses = 0
        self.waits = 0  # lookups that waited for another thread's computation

    def get(self, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
        """The entry, else ``compute()`` stored. Sessions that miss the same entry at once
        (a report day's heads opening /targets after a write) compute it once: the others
        wait for that result instead of each spending the same CPU. A waiter that waited
        WAIT_S (or whose computing thread failed) computes it itself."""
        version = memo(("data_version", _database(session)), lambda: data_version(session))
        full = (_database(session), key, version)
        waited = False
        while True:
            with self._lock:
                if full in self._entries:
                    self._entries.move_to_end(full)
                    self.hits += 1
                    return self._entries[full]
                running = self._running.get(full)
                if running is None:  # nobody computes it: this thread does
                    running = self._running[full] = threading.Event()
                    mine = True
                    break
                mine = False
                if waited:
                    break
                self.waits += 1
            waited = True
            running.wait(self.WAIT_S)  # then look again: stored, or compute it here
        try:
            value = compute()
            with self._lock:
                self.misses += 1
                self._entries[full] = value
                self._entries.move_to_end(full)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        finally:
            if mine:
                with self._lock:
                    if self._running.get(full) is running:
                        del self._running[full]
                running.set()
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _database(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


FIGURES = FiguresCache()


def figures(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """The process's figures cache: ``compute()`` unless the same key was computed at
    the current data version. Keys must name everything the figure depends on besides
    the data: the actor's scope, the units, the period, the day."""
    return FIGURES.get(session, key, compute)


def figure(session: Session, fn: Callable[..., T], *args: Any) -> T:
    """``fn(session, *args)`` through the figures cache; what it returns is shared by
    every rerun that asks at the same version, so callers read it and never change it. The key is the function and its
    arguments: an actor counts by its scope and role (two heads of the same county share
    their figures), a database row by its table and id (its content is data: the version
    covers it), lists and dicts by their items."""
    return FIGURES.get(session, (fn.__module__, fn.__qualname__, key_of(args)), lambda: fn(session, *args))


def key_of(value: Any) -> Hashable:
    if hasattr(value, "org_path") and hasattr(value, "role"):  # an Actor (portal.org.scope imports this module)
        return ("actor", value.org_path, value.sees_everything, value.role)
    if hasattr(value, "__table__"):
        return ("row", value.__table__.name, value.id)
    if isinstance(value, (list, tuple)):
        return tuple(key_of(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, key_of(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return frozenset(key_of(v) for v in value)
    hash(value)  # anything else must be hashable as it is
    return value


def clear() -> None:
    """Drop every cached figure (the benchmark's cache miss; tests)."""
    FIGURES.clear()
