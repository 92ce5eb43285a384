"""Sanitation figures the indicator engine computes by name (kind "figure"): one
definition each, shared with the page.

- ``sanitation.inspections_planned``: inspections done ÷ inspections planned, over the
  campaigns of a unit's subtree that run during the period (done = the campaigns'
  inspections dated in the period; planned = the campaigns' planned totals);
- ``sanitation.rectifications_overdue``: rectifications still open (or sent back) whose
  deadline has passed, as of today or the period's end, whichever is earlier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import OrgUnit, SanitationCampaign, SanitationInspection, SanitationRectification
from portal import clock
from portal.programmes.sanitation.specs import OPEN_STATES


def _subtree(path: str) -> Any:
    return select(OrgUnit.id).where(OrgUnit.path.startswith(path, autoescape=True))


def planned_figure(
    session: Session, units: Sequence[Any], start: dt.date, end: dt.date
) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    for unit in units:
        running = select(SanitationCampaign.id).where(
            SanitationCampaign.deleted_at.is_(None),
            SanitationCampaign.org_unit_id.in_(_subtree(unit.path)),
            SanitationCampaign.start_date <= end,
            SanitationCampaign.end_date >= start,
        )
        planned = session.scalar(
            select(func.coalesce(func.sum(SanitationCampaign.planned_inspections), 0)).where(
                SanitationCampaign.id.in_(running)
            )
        )
        done = session.scalar(
            select(func.count()).where(
                SanitationInspection.deleted_at.is_(None),
                SanitationInspection.campaign_id.in_(running),
                SanitationInspection.inspection_date >= start,
                SanitationInspection.inspection_date <= end,
            )
        )
        out[unit.id] = (float(done or 0), float(planned or 0))
    return out


def overdue_figure(
    session: Session, units: Sequence[Any], start: dt.date, end: dt.date
) -> dict[int, tuple[float, float]]:
    as_of = min(clock.today(), end)
    out: dict[int, tuple[float, float]] = {}
    for unit in units:
        n = session.scalar(
            select(func.count()).where(
                SanitationRectification.deleted_at.is_(None),
                SanitationRectification.org_unit_id.in_(_subtree(unit.path)),
                SanitationRectification.status.in_(OPEN_STATES),
                SanitationRectification.due_date < as_of,
            )
        )
        out[unit.id] = (float(n or 0), 1.0)
    return out
