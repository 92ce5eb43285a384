"""Who is acting, and which part of the org tree they may see.

A user sees and edits their own org unit's subtree; an admin sees everything. Every
service builds its queries through these helpers, so the menu only mirrors a rule that the
service layer already enforces.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from db.models import OrgUnit, User
from portal import cache
from portal.errors import NotFound, PermissionDenied


@dataclass(frozen=True)
class Actor:
    id: int | None
    username: str
    display_name: str
    role: str
    org_unit_id: int | None
    org_path: str
    language: str | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role == "admin"


# The CLI acts as the machine's operator: it can already read the database file.
SYSTEM = Actor(None, "system", "system", "admin", None, "/")


def actor_for(session: Session, user: User) -> Actor:
    return Actor(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        org_unit_id=user.org_unit_id,
        org_path=user.org_unit.path,
        language=user.language,
    )


def org_filter(actor: Actor) -> ColumnElement[bool]:
    """WHERE clause limiting org_units to the actor's subtree."""
    if actor.sees_everything:
        return true()
    return OrgUnit.path.startswith(actor.org_path, autoescape=True)


def is_whole_tree(session: Session, path: str) -> bool:
    """True when a subtree is the whole tree: its top is the only root. Queries can then
    skip the subtree filter (a county head over a million rows sorts by date through an
    index instead of through an IN-list). Remembered for the session's lifetime."""
    held = session.info.setdefault("whole_tree", {})
    if path not in held:

        def roots() -> list[str]:
            return list(
                session.scalars(
                    select(OrgUnit.path).where(OrgUnit.parent_id.is_(None), OrgUnit.deleted_at.is_(None)).limit(2)
                )
            )

        held[path] = cache.memo("roots", lambda: cache.figures(session, "roots", roots)) == [path]
    return bool(held[path])


def unit_path(session: Session, unit_id: int) -> str | None:
    """One unit's path (deleted ones too), once per rerun; the org tree tells the memo
    the paths of the units it read."""
    return cache.memo(("unit_path", unit_id), lambda: session.scalar(select(OrgUnit.path).where(OrgUnit.id == unit_id)))


def unit_paths(session: Session) -> dict[int, str]:
    """Every unit's path by id (deleted ones too), read once per rerun."""
    return cache.memo("unit_paths", lambda: dict(session.execute(select(OrgUnit.id, OrgUnit.path)).all()))


def in_scope(actor: Actor, unit: OrgUnit) -> bool:
    return actor.sees_everything or unit.path.startswith(actor.org_path)


def get_unit_in_scope(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """The unit if the actor may see it. Out of scope reads as not found, so probing ids
    tells an outsider nothing."""
    unit = session.get(OrgUnit, unit_id)
    if unit is None or unit.deleted_at is not None or not in_scope(actor, unit):
        raise NotFound("error.not_found")
    return unit


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise PermissionDenied("error.permission")
