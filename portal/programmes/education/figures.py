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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from db.models import Attachment, HeActivity, HeCampaign, HeCampaignGoal
from portal.org.scope import unit_paths


def _running(session: Session, start: dt.date, end: dt.date) -> list[int]:
    """The campaigns that run during [start, end] (a handful a year)."""
    return list(
        session.scalars(
            select(HeCampaign.id).where(
                HeCampaign.deleted_at.is_(None), HeCampaign.start_date <= end, HeCampaign.end_date >= start
            )
        )
    )


@dataclass(frozen=True)
class _Row:
    id: int
    campaign_id: int | None
    value: int | None  # people reached, or the people goal
    path: str


def _goals(session: Session, campaigns: list[int]) -> list[_Row]:
    """Every goal row of those campaigns, with its unit's path."""
    if not campaigns:
        return []
    rows = session.execute(
        select(
            HeCampaignGoal.id, HeCampaignGoal.campaign_id, HeCampaignGoal.people_goal, HeCampaignGoal.org_unit_id
        ).where(HeCampaignGoal.deleted_at.is_(None), HeCampaignGoal.campaign_id.in_(campaigns))
    ).all()
    paths = unit_paths(session)
    return [_Row(r[0], r[1], r[2], paths.get(r[3], "")) for r in rows]


def _activities(session: Session, campaigns: list[int]) -> list[_Row]:
    """Every activity of those campaigns, with its unit's path: found through the campaign
    index alone (a few hundred rows), and each unit's share then taken by path in Python.
    Neither a join to the units nor "deleted_at IS NULL" goes into the SQL: either led
    SQLite's planner to walk every unit's whole history of activities - 2.8 s at a
    million rows instead of a millisecond."""
    if not campaigns:
        return []
    rows = session.execute(
        select(
            HeActivity.id,
            HeActivity.campaign_id,
            HeActivity.participants,
            HeActivity.org_unit_id,
            HeActivity.deleted_at,
        ).where(HeActivity.campaign_id.in_(campaigns))
    ).all()
    paths = unit_paths(session)
    return [_Row(r[0], r[1], r[2], paths.get(r[3], "")) for r in rows if r[4] is None]


def coverage_figure(
    session: Session, units: Sequence[Any], start: dt.date, end: dt.date
) -> dict[int, tuple[float, float]]:
    campaigns = _running(session, start, end)
    goals, acts = _goals(session, campaigns), _activities(session, campaigns)
    reached = {(a.campaign_id, a.path) for a in acts}
    out: dict[int, tuple[float, float]] = {}
    for unit in units:
        mine = [(g.campaign_id, g.path) for g in goals if g.path.startswith(unit.path)]
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
        goal = sum(g.value or 0 for g in goals if g.path.startswith(unit.path))
        people = sum(a.value or 0 for a in acts if a.path.startswith(unit.path))
        out[unit.id] = (float(people), float(goal))
    return out
