"""Child rows (like Django's TabularInline): records of another type edited as a table on
their parent's form, saved with the parent in one transaction.

    inlines = (Inline("checklist_items", link=(("checklist_id", "id"),)),)

``link`` pairs (child field, parent field): the engine sets those child columns from the
parent on every save (a foreign key to the parent's id, or a compound key such as a
unit's month: ``(("org_unit_id", "org_unit_id"), ("month", "month"))``), so the user never
types them and a child never moves to another parent. Children go through the same
validation as any record of their type; every created, changed or deleted child gets its
own audit entry; a refusal names the child row and field, and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Inline:
    spec: str
    link: tuple[tuple[str, str], ...]
    fields: tuple[str, ...] = ()
    min_rows: int = 0
    max_rows: int | None = None
    title_zh: str = ""
    title_en: str = ""

    @property
    def linked(self) -> tuple[str, ...]:
        """The child's fields the link fills (never shown as columns)."""
        return tuple(child for child, _ in self.link)
