"""What the plans area puts on someone's home page: the lines of what they have to do
today (their unit's monthly report, their own items due this week, reports waiting for
their review, units that have not reported) and, for a head, a column per figure in the
table of the units below."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.models import OrgUnit, PlanItem
from portal import formatting, periods
from portal.apps import OverviewColumn, Todo
from portal.i18n import aside, label, t
from portal.org import calendars
from portal.org.scope import Actor, get_unit_in_scope
from portal.programmes.plans import figures
from portal.programmes.plans import specs as plans

OPEN = ("not_started", "in_progress", "overdue", "postponed")


def last_month(today: dt.date) -> str:
    return periods.month_key(today.replace(day=1) - dt.timedelta(days=1))


def todo(session: Session, actor: Actor, today: dt.date, lang: str) -> list[Todo]:
    if actor.org_unit_id is None or actor.role not in plans.WRITERS | {"viewer"}:
        return []
    unit = get_unit_in_scope(session, actor, actor.org_unit_id)
    calendar = calendars.load_calendar(session)
    lines = _my_report(session, actor, unit, today, lang, calendar)
    lines += _my_items(session, actor, unit, today, lang)
    if actor.role in plans.HEADS:
        lines += _below(session, actor, unit, today, lang)
    return lines


def _my_report(
    session: Session, actor: Actor, unit: OrgUnit, today: dt.date, lang: str, calendar: calendars.WorkCalendar
) -> list[Todo]:
    """Last month's report of the user's own unit, while it is theirs to send or resend."""
    month = last_month(today)
    if month < figures.first_months(session).get(unit.id, "9999"):
        return []  # the unit does not plan monthly (yet)
    report = plans.report_for(session, actor, unit.id, month)
    due = plans.due_for(session, unit, month)
    shown = periods.label(month, lang)
    query = {"view": "report", "month": month}
    if report is not None and report.status == "returned":
        return [
            Todo(
                "report_returned",
                t("plans.home.returned", lang, month=shown),
                t(
                    "plans.home.returned_detail",
                    lang,
                    by=report.reviewed_by or "—",
                    comment=report.review_comment or "—",
                ),
                "plans",
                query,
                severity="warning",
            )
        ]
    if report is not None and report.status in ("submitted", "approved"):
        return []
    if today > due:
        late = calendar.workdays_between(due + dt.timedelta(days=1), today)
        return [
            Todo(
                "report_overdue",
                t("plans.home.overdue", lang, month=shown),
                t("plans.home.overdue_detail", lang, due=formatting.date(due), n=late),
                "plans",
                query,
                severity="error",
            )
        ]
    left = calendar.workdays_between(today, due)
    return [
        Todo(
            "report_due",
            t("plans.home.due", lang, month=shown),
            t("plans.home.due_detail", lang, due=formatting.date(due), n=left),
            "plans",
            query,
            severity="warning" if left <= 2 else "info",
        )
    ]


def _my_items(session: Session, actor: Actor, unit: OrgUnit, today: dt.date, lang: str) -> list[Todo]:
    """The user's own open items due by the end of this week (overdue ones included)."""
    week_end = today + dt.timedelta(days=6 - today.weekday())
    mine = or_(PlanItem.owner_user_id == actor.id, PlanItem.owner_name == actor.display_name)
    rows = list(
        session.scalars(
            select(PlanItem)
            .where(
                PlanItem.deleted_at.is_(None),
                PlanItem.status.in_(OPEN),
                PlanItem.due_date <= week_end,
                PlanItem.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))),
                mine,
            )
            .order_by(PlanItem.due_date)
            .limit(20)
        )
    )
    if not rows:
        return []
    late = sum(1 for r in rows if r.due_date < today)
    titles = t("plans.draft.sep", lang).join(r.title for r in rows[:3]) + ("…" if len(rows) > 3 else "")
    return [
        Todo(
            "items_due",
            t("plans.home.items", lang, count=len(rows)),
            t("plans.home.items_detail", lang, late=late, titles=titles),
            "plans",
            {"view": "board", "month": periods.month_key(today)},
            count=len(rows),
            severity="error" if late else "info",
        )
    ]


def _below(session: Session, actor: Actor, unit: OrgUnit, today: dt.date, lang: str) -> list[Todo]:
    """For a head: reports of the units below waiting for review, and units whose report
    is past due (with a reminder ready to send to their WeChat group)."""
    children = list(
        session.scalars(
            select(OrgUnit).where(OrgUnit.parent_id == unit.id, OrgUnit.deleted_at.is_(None), OrgUnit.active.is_(True))
        )
    )
    if not children:
        return []
    month = last_month(today)
    cells = plans.grid(session, actor, [c.id for c in children], [month], today)
    owing = figures.first_months(session)
    names = {c.id: label(lang, c.name_zh, c.name_en) for c in children}
    waiting = [c.id for c in children if cells.get((c.id, month)) and cells[(c.id, month)].status == "submitted"]
    missing = [
        c.id
        for c in children
        if c.id in owing
        and owing[c.id] <= month
        and cells.get((c.id, month))
        and cells[(c.id, month)].status == "overdue"
    ]
    lines = []
    shown = periods.label(month, lang)
    if waiting:
        lines.append(
            Todo(
                "reviews_waiting",
                t("plans.home.waiting", lang, count=len(waiting), month=shown),
                t("plans.draft.sep", lang).join(names[u] for u in waiting),
                "plans",
                {"view": "review", "month": month},
                count=len(waiting),
                severity="warning",
            )
        )
    if missing:
        due = min(cells[(u, month)].due for u in missing)
        listed = t("plans.draft.sep", lang).join(names[u] for u in missing)
        lines.append(
            Todo(
                "units_missing",
                t("plans.home.missing", lang, count=len(missing), month=shown),
                listed,
                "plans",
                {"view": "review", "month": month},
                count=len(missing),
                severity="error",
                copy_text=t(
                    "plans.home.reminder",
                    lang,
                    unit=label(lang, unit.name_zh, unit.name_en),
                    today=formatting.date(today),
                    month=shown,
                    due=formatting.date(due),
                    units=listed,
                ),
            )
        )
    return lines


def overview(session: Session, actor: Actor, unit_ids: list[int], today: dt.date, lang: str) -> list[OverviewColumn]:
    """A head's table of the units below: this month's and last month's completion, last
    month's report, and overdue items."""
    if not unit_ids:
        return []
    this, last = periods.month_key(today), last_month(today)
    units = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))}
    done: dict[tuple[int, str], tuple[int, int]] = {}
    late: dict[int, int] = {}
    for unit_id, path in ((u.id, u.path) for u in units.values()):
        subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(path))
        for month in (this, last):
            total, finished = session.execute(
                select(func.count(), func.count().filter(PlanItem.status == "done")).where(
                    PlanItem.deleted_at.is_(None),
                    PlanItem.month == month,
                    PlanItem.status != "cancelled",
                    PlanItem.org_unit_id.in_(subtree),
                )
            ).one()
            done[(unit_id, month)] = (int(finished), int(total))
        late[unit_id] = (
            session.scalar(
                select(func.count())
                .select_from(PlanItem)
                .where(
                    PlanItem.deleted_at.is_(None),
                    PlanItem.status.in_(OPEN),
                    PlanItem.due_date < today,
                    PlanItem.org_unit_id.in_(subtree),
                )
            )
            or 0
        )
    cells = plans.grid(session, actor, list(units), [last], today)
    owing = figures.first_months(session)

    def rate(unit_id: int, month: str) -> tuple[str, str]:
        finished, total = done[(unit_id, month)]
        if not total:
            return formatting.DASH, "none"
        value = formatting.rate(finished, total)
        return aside(formatting.pct(value), formatting.share(finished, total), lang), (
            "ok" if (value or 0) >= 100 else "info"
        )

    def report(unit_id: int) -> tuple[str, str]:
        cell = cells.get((unit_id, last))
        if cell is None or owing.get(unit_id, "9999") > last:
            return formatting.DASH, "none"
        status = cell.status
        colour = {"approved": "ok", "submitted": "info", "returned": "warning", "overdue": "error"}.get(status, "none")
        return t(f"plans.home.status.{status}", lang), colour

    def column(key: str, title: str, make: Any) -> OverviewColumn:
        values, severity = {}, {}
        for unit_id in unit_ids:
            values[unit_id], severity[unit_id] = make(unit_id)
        return OverviewColumn(key, title, values, severity, "plans")

    return [
        column("plans_this", t("plans.home.col.this", lang, month=periods.label(this, lang)), lambda u: rate(u, this)),
        column("plans_last", t("plans.home.col.last", lang, month=periods.label(last, lang)), lambda u: rate(u, last)),
        column("report_last", t("plans.home.col.report", lang, month=periods.label(last, lang)), report),
        column(
            "items_late",
            t("plans.home.col.late", lang),
            lambda u: (formatting.number(late[u]), "error" if late[u] else "ok"),
        ),
    ]
