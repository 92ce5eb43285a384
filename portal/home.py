"""The home page's content, gathered from every area's manifest: what the signed-in person
has to do today (each line links to where it is done), and for a head the table of the units
directly below with each area's figures. No Streamlit here; portal/ui/home.py draws it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OrgUnit
from portal import apps
from portal.apps import OverviewColumn, Todo
from portal.i18n import label
from portal.org.scope import Actor, org_filter

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Overview:
    """A head's table: the units directly below (id, name) and one column per figure."""

    units: list[tuple[int, str]]
    columns: list[OverviewColumn]


def todos(session: Session, actor: Actor, today: dt.date, lang: str) -> list[Todo]:
    """Every area's lines for this person, the most urgent first (errors, then warnings),
    keeping each area's own order within a severity."""
    lines: list[Todo] = []
    for manifest in apps.manifests():
        if manifest.home:
            lines += apps.loader(manifest.home)(session, actor, today, lang)
    return sorted(lines, key=lambda line: SEVERITY_ORDER.get(line.severity, 3))


def units_below(session: Session, actor: Actor, unit_id: int | None) -> list[OrgUnit]:
    """The active units directly below ``unit_id`` that the actor may see."""
    if unit_id is None:
        return []
    return list(
        session.scalars(
            select(OrgUnit)
            .where(
                OrgUnit.parent_id == unit_id,
                OrgUnit.deleted_at.is_(None),
                OrgUnit.active.is_(True),
                org_filter(actor),
            )
            .order_by(OrgUnit.code)
        )
    )


def overview(session: Session, actor: Actor, unit_id: int | None, today: dt.date, lang: str) -> Overview | None:
    """The table of the units below ``unit_id`` (None when it has none): each area's columns."""
    below = units_below(session, actor, unit_id)
    if not below:
        return None
    ids = [u.id for u in below]
    columns: list[OverviewColumn] = []
    for manifest in apps.manifests():
        if manifest.overview:
            columns += apps.loader(manifest.overview)(session, actor, ids, today, lang)
    return Overview([(u.id, label(lang, u.name_zh, u.name_en)) for u in below], columns)
