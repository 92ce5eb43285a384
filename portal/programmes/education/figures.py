"""Campaign figures the indicator engine computes by name (kind "figure"), over the
campaigns that run during the period and the goal rows of a unit's subtree:

- ``education.campaign_coverage``: goal units with at least one campaign activity (in
  their subtree) ÷ goal units;
- ``education.campaign_evidence``: campaign activities with a photo ÷ campaign activities;
- ``education.campaign_reach``: people reached by campaign activities ÷ the people goals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from db.models import Attachment, HeActivity, HeCampaign, HeCampaignGoal, OrgUnit


def _running(session: Session, start: dt.date, end: dt.date) -> list[int]:
    """The campaigns that run during [start, end] (a handful a year)."""
    return list(
        session.scalars(
            select(HeCampaign.id).where(
                HeCampaign.deleted_at.is_(None), HeCampaign.start_date <= end, HeCampaign.end_date >= start
            )
        )
    )


def _goals(session: Session, campaigns: list[int]) -> list[Any]:
    """Every goal row of those campaigns, with its unit's path."""
    if not campaigns:
        return []
    return list(
        session.execute(
            select(HeCampaignGoal.campaign_id, OrgUnit.path, HeCampaignGoal.people_goal)
            .join(OrgUnit, OrgUnit.id == HeCampaignGoal.org_unit_id)
            .where(HeCampaignGoal.deleted_at.is_(None), HeCampaignGoal.campaign_id.in_(campaigns))
        )
    )


def _activities(session: Session, campaigns: list[int]) -> list[Any]:
    """Every activity of those campaigns, with its unit's path: found through the campaign
    index (a few hundred rows), never by scanning a unit's whole history of activities;
    each unit's share is then taken by path, in Python."""
    if not campaigns:
        return []
    rows = session.execute(
        select(HeActivity.id, HeActivity.campaign_id, HeActivity.participants, OrgUnit.path, HeActivity.deleted_at)
        .join(OrgUnit, OrgUnit.id == HeActivity.org_unit_id)
        .where(HeActivity.campaign_id.in_(campaigns))
    )
    # the trash is left out here, not in SQL: "deleted_at IS NULL" led SQLite's planner to an
    # index on deleted_at and a scan of a million rows instead of the campaign index
    return [row for row in rows if row.deleted_at is None]


def coverage_figure(
    session: Session, units: Sequence[Any], start: dt.date, end: dt.date
) -> dict[int, tuple[float, float]]:
    campaigns = _running(session, start, end)
    goals, acts = _goals(session, campaigns), _activities(session, campaigns)
    reached = {(a.campaign_id, a.path) for a in acts}
    out: dict[int, tuple[float, float]] = {}
    for unit in units:
        mine = [(cid, path) for cid, path, _ in goals if path.startswith(unit.path)]
        done = sum(1 for cid, path in mine if any(c == cid and p.startswith(path) for c, p in reached))
        out[unit.id] = (float(done), float(len(mine)))
    return out


def evidence_figure(
    session: Session, units: Sequence[Any], start: dt.date, end: dt.date
) -> dict[int, tuple[float, float]]:
    acts = _activities(session, _running(session, start, end))
    ids = [a.id for a in acts]
    photographed: set[int] = set()
    if ids:
        photo = aliased(Attachment)
        photographed = set(
            session.scalars(
                select(photo.record_id).where(
                    photo.record_type == "he_activities", photo.deleted_at.is_(None), photo.record_id.in_(ids)
                )
            )
        )
    out: dict[int, tuple[float, float]] = {}
    for unit in units:
        mine = [a.id for a in acts if a.path.startswith(unit.path)]
        out[unit.id] = (float(sum(1 for i in mine if i in photographed)), float(len(mine)))
    return out


def reach_figure(
    session: Session, units: Sequence[Any], start: dt.date, end: dt.date
) -> dict[int, tuple[float, float]]:
    campaigns = _running(session, start, end)
    goals, acts = _goals(session, campaigns), _activities(session, campaigns)
    out: dict[int, tuple[float, float]] = {}
    for unit in units:
        goal = sum(g.people_goal or 0 for g in goals if g.path.startswith(unit.path))
        people = sum(a.participants or 0 for a in acts if a.path.startswith(unit.path))
        out[unit.id] = (float(people), float(goal))
    return out
