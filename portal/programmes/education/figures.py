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

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from db.models import Attachment, HeActivity, HeCampaign, HeCampaignGoal, OrgUnit


def _subtree(path: str) -> Any:
    return select(OrgUnit.id).where(OrgUnit.path.startswith(path, autoescape=True))


def _running(start: dt.date, end: dt.date) -> Any:
    return select(HeCampaign.id).where(
        HeCampaign.deleted_at.is_(None), HeCampaign.start_date <= end, HeCampaign.end_date >= start
    )


def _goals(unit: Any, start: dt.date, end: dt.date) -> Any:
    return (
        select(HeCampaignGoal.campaign_id, OrgUnit.path, HeCampaignGoal.people_goal)
        .join(OrgUnit, OrgUnit.id == HeCampaignGoal.org_unit_id)
        .where(
            HeCampaignGoal.deleted_at.is_(None),
            HeCampaignGoal.campaign_id.in_(_running(start, end)),
            HeCampaignGoal.org_unit_id.in_(_subtree(unit.path)),
        )
    )


def _activities(unit: Any, start: dt.date, end: dt.date) -> Any:
    return (
        select(HeActivity.id, HeActivity.campaign_id, HeActivity.participants, OrgUnit.path)
        .join(OrgUnit, OrgUnit.id == HeActivity.org_unit_id)
        .where(
            HeActivity.deleted_at.is_(None),
            HeActivity.campaign_id.in_(_running(start, end)),
            HeActivity.org_unit_id.in_(_subtree(unit.path)),
        )
    )


def coverage_figure(
    session: Session, units: Sequence[Any], start: dt.date, end: dt.date
) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    for unit in units:
        goals = session.execute(_goals(unit, start, end)).all()
        acts = session.execute(_activities(unit, start, end)).all()
        done = sum(1 for cid, path, _ in goals if any(a.campaign_id == cid and a.path.startswith(path) for a in acts))
        out[unit.id] = (float(done), float(len(goals)))
    return out


def evidence_figure(
    session: Session, units: Sequence[Any], start: dt.date, end: dt.date
) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    photo = aliased(Attachment)
    for unit in units:
        ids = _activities(unit, start, end).with_only_columns(HeActivity.id)
        total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
        with_photo = session.scalar(
            select(func.count(func.distinct(photo.record_id))).where(
                photo.record_type == "he_activities",
                photo.deleted_at.is_(None),
                photo.record_id.in_(ids),
            )
        )
        out[unit.id] = (float(with_photo or 0), float(total))
    return out


def reach_figure(
    session: Session, units: Sequence[Any], start: dt.date, end: dt.date
) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    for unit in units:
        goal = sum(g.people_goal or 0 for g in session.execute(_goals(unit, start, end)))
        people = sum(a.participants or 0 for a in session.execute(_activities(unit, start, end)))
        out[unit.id] = (float(people), float(goal))
    return out
