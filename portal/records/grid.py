"""Grids for bulk entry: many rows saved at once (Django's ``list_editable``; a pivot of
people × half-days for attendance, of checklist items × deductions for a scoring sheet,
of units × periods for targets handed down).

A save is a list of RowChange: an existing record to change (with the version the user
saw) or delete, or a new one to create. ``service.save_rows`` applies them in the caller's
transaction through the same validation as a form, checks each row's version, writes one
audit entry per changed row, skips rows that did not change, and on any refusal raises
with every row and field at fault, so nothing is saved.

A ``Pivot`` declares the cross-tab shape: which field is the row, which is the column and
which holds the cell, plus the fields every cell shares (a session, an indicator). The
area supplies the rows and columns; ``pivot_changes`` turns the edited cells into
RowChanges (create where a cell was empty, update where it changed, delete or blank where
it was cleared).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar


@dataclass
class RowChange:
    id: int | None = None
    version: int | None = None
    values: dict[str, Any] = field(default_factory=dict)
    delete: bool = False
    system: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # how the row is named in messages (a person's name, a unit)


@dataclass
class Saved:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


@dataclass(frozen=True)
class Pivot:
    """Cells of ``value`` at (``row``, ``column``); ``shared`` fields are the same for
    every cell of one grid (given when it is saved). ``blank_deletes``: clearing a cell
    deletes its record (else the value is set to blank)."""

    row: str
    column: str
    value: str
    shared: tuple[str, ...] = ()
    blank_deletes: bool = True


@dataclass(frozen=True)
class Cell:
    id: int
    version: int
    value: Any


R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


def pivot_changes(
    pivot: Pivot,
    shared: Mapping[str, Any],
    existing: Mapping[tuple[R, C], Cell],
    edited: Mapping[tuple[R, C], Any],
    labels: Mapping[R, str] | None = None,
) -> list[RowChange]:
    """RowChanges for the cells whose value differs from what is stored."""
    changes = []
    for (row, column), value in edited.items():
        blank = value is None or (isinstance(value, str) and not value.strip())
        cell = existing.get((row, column))
        label = (labels or {}).get(row, str(row))
        if cell is None:
            if blank:
                continue
            changes.append(
                RowChange(
                    values={pivot.row: row, pivot.column: column, pivot.value: value}, system=dict(shared), label=label
                )
            )
        elif blank and pivot.blank_deletes:
            changes.append(RowChange(cell.id, cell.version, delete=True, label=label))
        elif value != cell.value:
            changes.append(RowChange(cell.id, cell.version, {pivot.value: None if blank else value}, label=label))
    return changes
