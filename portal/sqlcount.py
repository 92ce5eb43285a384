"""Counting the SQL statements a piece of work sends, so a page's query budget can be
measured (python -m portal.bench) and held by tests: a test that asserts "at most N"
fails as soon as a change adds a query to a rerun.

    with count_queries(engine) as counted:
        ...
    counted.n, counted.statements
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

# SQLite's connection set-up (the pragmas every new connection runs) and SAVEPOINT
# bookkeeping are not queries a page asked for.
_NOT_QUERIES = ("PRAGMA",)


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return f"{self.n} statements:\n" + "\n".join(f"  {s[:600]}" for s in self.statements)


@contextmanager
def count_queries(engine: Engine | type[Engine] = Engine) -> Iterator[Counted]:
    """Every statement the engine sends while the block runs (all threads); by default
    every engine of the process (a page under AppTest opens its own)."""
    counted = Counted()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = " ".join(statement.split())
        if not text.upper().startswith(_NOT_QUERIES):
            counted.statements.append(text)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", before)
