"""What the sanitation area puts on someone's home page: the scheduled inspections due today
that are theirs (the rota's turn or their team's), their area's rectifications past their
deadline or still open (for those who put them right), and the ones reported done and
waiting for their check (for those who verify: units below their own)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.models import OrgUnit
from portal.apps import Todo
from portal.i18n import join, t
from portal.org.scope import Actor
from portal.programmes.sanitation import specs as sp
from portal.programmes.sanitation import view as sv


def todo(session: Session, actor: Actor, today: dt.date, lang: str) -> list[Todo]:
    if actor.role not in sp.WRITERS:
        return []
    rows = sv.rectifications(session, actor, today, lang, ("open", "returned", "rectified"))
    lines: list[Todo] = _due(session, actor, today, lang)
    overdue = [r for r in rows if r.overdue]
    still_open = [r for r in rows if r.record.status in sp.OPEN_STATES and not r.overdue]
    if overdue:
        lines.append(
            Todo(
                "rectification_overdue",
                t("sanitation.home.overdue", lang, count=len(overdue)),
                join(dict.fromkeys(f"{r.unit} {r.zone}".strip() for r in overdue[:5]), lang),
                page="sanitation",
                count=len(overdue),
                severity="error",
            )
        )
    if still_open:
        lines.append(
            Todo(
                "rectification_open",
                t("sanitation.home.open", lang, count=len(still_open)),
                t("sanitation.home.open_detail", lang, due=still_open[0].record.due_date.isoformat()),
                page="sanitation",
                count=len(still_open),
                severity="warning",
            )
        )
    if actor.role in sp.REVIEWERS:
        own = session.get(OrgUnit, actor.org_unit_id) if actor.org_unit_id is not None else None
        waiting = [
            r
            for r in rows
            if r.record.status == "rectified"
            and (actor.sees_everything or (own is not None and r.record.org_unit_id != own.id))
        ]
        if waiting:
            lines.append(
                Todo(
                    "rectification_to_verify",
                    t("sanitation.home.verify", lang, count=len(waiting)),
                    join(dict.fromkeys(r.unit for r in waiting[:5]), lang),
                    page="sanitation",
                    count=len(waiting),
                    severity="info",
                )
            )
    return lines


def _due(session: Session, actor: Actor, today: dt.date, lang: str) -> list[Todo]:
    """Today's scheduled inspections that are the actor's, over the campaigns running today."""
    due = [
        o
        for c in sv.campaigns(session, actor)
        if c.start_date <= today <= c.end_date
        for o in sv.due_today(session, actor, c.id, today)
    ]
    if not due:
        return []
    return [
        Todo(
            "inspection_due",
            t("sanitation.home.due", lang, count=len(due)),
            join(dict.fromkeys(o.zone for o in due[:5]), lang),
            page="sanitation",
            count=len(due),
            severity="info",
        )
    ]
