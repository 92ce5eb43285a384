"""The training area's lines for the home page: the sessions the user runs today, with how
many of the roster are marked for the current half-day (a trainer's first stop)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import TrainingAttendance, TrainingEnrolment
from portal import clock
from portal.apps import Todo
from portal.i18n import t
from portal.org.scope import Actor
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr


def todo(session: Session, actor: Actor, today: dt.date, lang: str) -> list[Todo]:
    if actor.role not in tr.TRAINERS:
        return []
    lines = []
    half = f"{today.isoformat()}/{'am' if clock.now().hour < 12 else 'pm'}"
    for run in training.sessions_for(session, actor, today):
        end = run.end_date or run.start_date
        if not (run.start_date <= today <= end) or run.status not in ("planned", "open"):
            continue
        if not training.runs_session(session, actor, run):
            continue
        roster = (
            session.scalar(
                select(func.count()).where(
                    TrainingEnrolment.session_id == run.id,
                    TrainingEnrolment.deleted_at.is_(None),
                    TrainingEnrolment.status.in_(tr.HOLDING),
                )
            )
            or 0
        )
        marked = (
            session.scalar(
                select(func.count()).where(
                    TrainingAttendance.session_id == run.id,
                    TrainingAttendance.deleted_at.is_(None),
                    TrainingAttendance.half_day == half,
                )
            )
            or 0
        )
        lines.append(
            Todo(
                "session_today",
                t("training.home.today", lang, title=run.title),
                t("training.home.detail", lang, venue=run.venue or "—", marked=marked, roster=roster),
                page="training",
                query={"session": str(run.id)},
                count=roster - marked,
                severity="warning" if marked < roster else "info",
            )
        )
    return lines
