"""The figures of a unit's month and year, read once and used by everything that shows
them: the page's report draft, the Word and Excel reports and the CLI. A number is
computed here and nowhere else, so the draft and the documents cannot disagree.

The completion rate is the items done over the items planned (cancelled ones left out);
the problems are the reasons given on the items left unfinished plus the report's own
problems text; next month's plan is next month's items. Everything is read through the
actor's scope (plans.items_of and get_unit_in_scope), so a township cannot read another
township's figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import MonthlyReport, OrgUnit, PlanItem, ProgressUpdate, User
from portal import clock, formatting, periods
from portal.errors import PortalError
from portal.i18n import label
from portal.org import calendars
from portal.org.scope import Actor, get_unit_in_scope, unit_paths
from portal.programmes.plans import specs as plans

# "1." "1、" "（1）" "(1)" "一、" "-" at the start of a line typed into the problems box
_NUMBERING = re.compile(r"^\s*(?:[(（]?\d+[)）.、．]?|[一二三四五六七八九十]+、|[-•·*])\s*")


class ReportError(PortalError):
    key = "report.error.period"


@dataclass(frozen=True)
class ItemRow:
    id: int
    month: str
    area: str
    title: str
    owner: str
    target_qty: float | None
    actual_qty: float | None
    unit: str
    status: str
    progress_pct: int
    due_date: dt.date
    completed_on: dt.date | None
    notes: str
    carried_over: bool
    carried_from_id: int | None

    @property
    def done(self) -> bool:
        return self.status == "done"

    @property
    def counted(self) -> bool:
        """Counts towards the completion rate (everything but cancelled items)."""
        return self.status != "cancelled"


@dataclass(frozen=True)
class ReportInfo:
    """The month's report row, or what it would be (status draft) when none exists yet."""

    exists: bool
    status: str
    due_date: dt.date
    submitted_at: dt.datetime | None
    submitted_by: str | None
    on_time: bool | None
    summary: str
    problems: str
    next_plan: str
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_comment: str
    locked: bool

    def display_status(self, today: dt.date) -> str:
        """draft | submitted | approved | returned | overdue (draft past its due date)."""
        if self.status == "draft" and today > self.due_date:
            return "overdue"
        return self.status


@dataclass(frozen=True)
class Problem:
    """One line of 存在问题: an unfinished item and its reason, or a line of the report's
    own problems text (item None)."""

    month: str
    item: str | None
    reason: str | None
    status: str | None = None


@dataclass(frozen=True)
class AreaRow:
    area: str
    planned: int
    done: int
    quantities: tuple[tuple[str, float, float], ...]  # (unit, target, actual) per unit of measure

    @property
    def rate(self) -> float | None:
        return formatting.rate(self.done, self.planned)


class _Completion:
    """The completion figures a month and a year share; subclasses define total and
    done_count."""

    @property
    def total(self) -> int:
        """Items that count: all but the cancelled ones."""
        raise NotImplementedError

    @property
    def done_count(self) -> int:
        raise NotImplementedError

    @property
    def rate(self) -> float | None:
        """Done over all items not cancelled, in per cent; None when nothing was planned."""
        return formatting.rate(self.done_count, self.total)

    @property
    def rate_text(self) -> str:
        return formatting.pct(self.rate)

    @property
    def done_text(self) -> str:
        return f"{self.done_count} / {self.total}"


@dataclass
class MonthData(_Completion):
    unit_id: int
    unit_code: str
    unit_name_zh: str
    unit_name_en: str
    month: str
    next_month: str
    report: ReportInfo
    items: list[ItemRow]  # every item of the month, cancelled ones included
    next_items: list[ItemRow]  # next month's plan (cancelled ones left out)
    problems: list[Problem]
    areas: list[AreaRow]
    updates: int  # progress updates recorded on the month's items
    today: dt.date

    @property
    def counted(self) -> list[ItemRow]:
        return [i for i in self.items if i.counted]

    @property
    def done(self) -> list[ItemRow]:
        return [i for i in self.items if i.done]

    @property
    def unfinished(self) -> list[ItemRow]:
        return [i for i in self.items if i.status in plans.UNFINISHED]

    @property
    def total(self) -> int:
        return len(self.counted)

    @property
    def done_count(self) -> int:
        return len(self.done)

    @property
    def extra_plan_lines(self) -> list[str]:
        """Lines of the report's own next-month text that are not already plan items."""
        titles = [i.title for i in self.next_items]
        return [line for line in text_lines(self.report.next_plan) if not any(t_ in line for t_ in titles)]

    def unit_name(self, lang: str) -> str:
        return label(lang, self.unit_name_zh, self.unit_name_en)


@dataclass(frozen=True)
class MonthRow:
    """One month of the year summary."""

    month: str
    total: int
    done: int
    status: str  # as ReportInfo.display_status, or "none": nothing planned, nothing reported
    due_date: dt.date
    submitted_at: dt.datetime | None
    on_time: bool | None

    @property
    def rate(self) -> float | None:
        return formatting.rate(self.done, self.total)


@dataclass
class YearData(_Completion):
    unit_id: int
    unit_code: str
    unit_name_zh: str
    unit_name_en: str
    year: int
    months: list[MonthRow]
    items: list[ItemRow]  # each piece of work once: an item carried over counts where it ended
    problems: list[Problem]
    areas: list[AreaRow]
    next_year_items: list[ItemRow]  # January of the next year, if planned already
    closing_plan: str  # December's report: next month's plan text
    updates: int
    today: dt.date
    last_month: str | None = None  # the last month the totals cover

    @property
    def partial(self) -> bool:
        """The year is not over yet: the totals stop at last_month."""
        return self.last_month != f"{self.year}-12"

    @property
    def total(self) -> int:
        return sum(1 for i in self.items if i.counted)

    @property
    def done_count(self) -> int:
        return sum(1 for i in self.items if i.done)

    @property
    def reported(self) -> list[MonthRow]:
        """Months whose report went up (submitted at least once)."""
        return [m for m in self.months if m.submitted_at is not None]

    @property
    def on_time_count(self) -> int:
        return sum(1 for m in self.reported if m.on_time)

    @property
    def late_count(self) -> int:
        return sum(1 for m in self.reported if m.on_time is False)

    @property
    def missing_count(self) -> int:
        """Months with a plan whose report is past due and never went up."""
        return sum(1 for m in self.months if m.status == "overdue")

    @property
    def expected(self) -> int:
        return len(self.reported) + self.missing_count

    @property
    def on_time_rate(self) -> float | None:
        return formatting.rate(self.on_time_count, self.expected)

    def unit_name(self, lang: str) -> str:
        return label(lang, self.unit_name_zh, self.unit_name_en)


def _row(item: PlanItem) -> ItemRow:
    return ItemRow(
        item.id,
        item.month,
        item.area or "other",
        item.title,
        item.owner_name or "",
        item.target_qty,
        item.actual_qty,
        item.target_unit or "",
        item.status,
        item.progress_pct or 0,
        item.due_date,
        item.completed_on,
        (item.notes or "").strip(),
        bool(item.carried_over),
        item.carried_from_id,
    )


def _report_info(
    session: Session,
    unit: OrgUnit,
    month: str,
    report: MonthlyReport | None,
    calendar_: calendars.WorkCalendar | None = None,
) -> ReportInfo:
    if calendar_ is None:
        due = plans.due_for(session, unit, month)
    else:
        due = calendars.due_date(calendar_, month, unit.report_due_rule or calendars.DEFAULT_DUE_RULE)
    if report is None:
        return ReportInfo(False, "draft", due, None, None, None, "", "", "", None, None, "", False)
    return ReportInfo(
        True,
        report.status,
        report.due_date or due,
        report.submitted_at,
        report.submitted_by,
        report.on_time,
        (report.summary or "").strip(),
        (report.problems or "").strip(),
        (report.next_plan or "").strip(),
        report.reviewed_by,
        report.reviewed_at,
        (report.review_comment or "").strip(),
        bool(report.locked),
    )


def text_lines(text: str) -> list[str]:
    """A typed list as its lines, without the numbering people type in front of them."""
    out = []
    for line in (text or "").splitlines():
        line = _NUMBERING.sub("", line, count=1).strip() if _NUMBERING.match(line) else line.strip()
        if line:
            out.append(line)
    return out


def _problems(month: str, items: Iterable[ItemRow], report_text: str) -> list[Problem]:
    found = [Problem(month, i.title, i.notes or None, i.status) for i in items if i.status in plans.UNFINISHED]
    seen = {p.item for p in found} | {p.reason for p in found if p.reason}
    for line in text_lines(report_text):
        if line not in seen:
            found.append(Problem(month, None, line))
            seen.add(line)
    return found


def _areas(items: Iterable[ItemRow]) -> list[AreaRow]:
    counts: dict[str, list[int]] = {}
    quantities: dict[str, dict[str, list[float]]] = {}
    for item in items:
        if not item.counted:
            continue
        planned_done = counts.setdefault(item.area, [0, 0])
        planned_done[0] += 1
        planned_done[1] += item.done
        if item.target_qty is not None or item.actual_qty is not None:
            q = quantities.setdefault(item.area, {}).setdefault(item.unit, [0.0, 0.0])
            q[0] += item.target_qty or 0
            q[1] += item.actual_qty or 0
    order = [c.value for c in plans.AREAS]
    return [
        AreaRow(area, n, d, tuple((u, q[0], q[1]) for u, q in quantities.get(area, {}).items()))
        for area, (n, d) in sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    ]


def _update_count(session: Session, item_ids: Sequence[int]) -> int:
    if not item_ids:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(ProgressUpdate)
            .where(ProgressUpdate.item_id.in_(list(item_ids)), ProgressUpdate.deleted_at.is_(None))
        )
        or 0
    )


def _check_month(month: str) -> None:
    if not periods.is_key(month, "month"):
        raise ReportError("report.error.month", value=month)


def month_data(session: Session, actor: Actor, unit_id: int, month: str, today: dt.date | None = None) -> MonthData:
    """Everything a monthly report says about one unit's month, read in the actor's scope
    (NotFound when the unit is outside it)."""
    _check_month(month)
    unit = get_unit_in_scope(session, actor, unit_id)
    items = [_row(i) for i in plans.items_of(session, actor, unit.id, month)]
    following = plans.next_month(month)
    next_items = [_row(i) for i in plans.items_of(session, actor, unit.id, following) if i.status != "cancelled"]
    report = _report_info(session, unit, month, plans.report_for(session, actor, unit.id, month))
    if report.reviewed_by:  # the reviewer's name, as people sign, rather than the login
        name = session.scalar(select(User.display_name).where(User.username == report.reviewed_by))
        report = dataclasses.replace(report, reviewed_by=name or report.reviewed_by)
    return MonthData(
        unit.id,
        unit.code,
        unit.name_zh,
        unit.name_en or "",
        month,
        following,
        report,
        items,
        next_items,
        _problems(month, items, report.problems),
        _areas(items),
        _update_count(session, [i.id for i in items]),
        today or clock.today(),
    )


def year_data(session: Session, actor: Actor, unit_id: int, year: int | str, today: dt.date | None = None) -> YearData:
    """The year-end summary of one unit: month by month, the totals, the problems."""
    if not periods.is_key(str(year), "year"):
        raise ReportError("report.error.year", value=year)
    year = int(year)
    today = today or clock.today()
    unit = get_unit_in_scope(session, actor, unit_id)
    months = periods.months(str(year))
    january = f"{year + 1}-01"
    rows = [
        _row(i)
        for i in session.scalars(
            select(PlanItem)
            .where(
                PlanItem.org_unit_id == unit.id, PlanItem.month.in_([*months, january]), PlanItem.deleted_at.is_(None)
            )
            .order_by(PlanItem.month, PlanItem.due_date, PlanItem.id)
        )
    ]
    items = [i for i in rows if i.month != january]
    next_year = [i for i in rows if i.month == january and i.status != "cancelled"]
    reports = {
        r.month: r
        for r in session.scalars(
            select(MonthlyReport).where(
                MonthlyReport.org_unit_id == unit.id,
                MonthlyReport.month.in_(months),
                MonthlyReport.deleted_at.is_(None),
            )
        )
    }
    cal = calendars.load_calendar(session)
    first = first_months(session).get(unit.id)  # it owes a report for every month from its first plan on
    carried_on = {i.carried_from_id for i in items if i.carried_from_id}
    month_rows, problems, closed = [], [], set()
    for month in months:
        own = [i for i in items if i.month == month]
        info = _report_info(session, unit, month, reports.get(month), cal)
        status = info.display_status(today)
        if not own and not info.exists and (first is None or month < first or status != "overdue"):
            status = "none"  # nothing planned and nothing owed yet (reports_on_time's rule)
        elif status == "draft" and today <= periods.bounds(month)[1]:
            status = "not_due"
        month_rows.append(
            MonthRow(
                month,
                sum(1 for i in own if i.counted),
                sum(1 for i in own if i.done),
                status,
                info.due_date,
                info.submitted_at,
                info.on_time,
            )
        )
        # A month still under way has no problems yet, unless its report already went up.
        if today > periods.bounds(month)[1] or info.submitted_at is not None:
            closed.add(month)
            problems += _problems(month, [i for i in own if i.id not in carried_on], info.problems)
    # The totals cover the months that are over (all twelve once the year is). An item
    # carried over is one piece of work: it counts once, in the month it ended in (and its
    # problem is told there), unless that month is still under way.
    carried_on = {i.carried_from_id for i in items if i.carried_from_id and i.month in closed}
    once = [i for i in items if i.id not in carried_on and i.month in closed]
    december = reports.get(f"{year}-12")
    return YearData(
        unit.id,
        unit.code,
        unit.name_zh,
        unit.name_en or "",
        year,
        month_rows,
        once,
        problems,
        _areas(once),
        next_year,
        (december.next_plan or "").strip() if december else "",
        _update_count(session, [i.id for i in items]),
        today,
        max(closed, default=None),
    )


# --------------------------------------------------------------------------- punctuality


def reports_on_time(
    session: Session, units: Sequence[Any], months: Sequence[str], today: dt.date
) -> dict[int, tuple[int, int]]:
    """Per unit (its subtree), over the given report months: the reports due so far and
    those sent on time. One definition for every page, chart, report and indicator: a
    unit that plans (it has items or a report row that month) owes that month's report;
    a report sent counts by its on-time flag; one never sent counts as late once its due
    date has passed; a month not yet due counts only if it was already sent."""
    months = list(months)
    if not months or not units:
        return {int(getattr(u, "id", u)): (0, 0) for u in units}
    reports = {
        (r.org_unit_id, r.month): r
        for r in session.scalars(
            select(MonthlyReport).where(MonthlyReport.month.in_(months), MonthlyReport.deleted_at.is_(None))
        )
    }
    starts = first_months(session)
    owing = {(unit_id, month) for unit_id, first in starts.items() for month in months if month >= first}
    unit_rows = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_({uid for uid, _ in owing})))}
    calendar = calendars.load_calendar(session)
    per_unit: dict[int, list[int]] = {}
    for unit_id, month in owing:
        unit = unit_rows.get(unit_id)
        if unit is None or unit.deleted_at is not None:
            continue
        report = reports.get((unit_id, month))
        tally = per_unit.setdefault(unit_id, [0, 0])
        if report is not None and report.submitted_at is not None:
            tally[1] += 1
            tally[0] += bool(report.on_time)
        elif today > calendars.due_date(calendar, month, unit.report_due_rule or calendars.DEFAULT_DUE_RULE):
            tally[1] += 1  # never sent and past due: late
    paths = {uid: unit.path for uid, unit in unit_rows.items()}
    out: dict[int, tuple[int, int]] = {}
    for u in units:
        uid, path = (u.id, u.path) if hasattr(u, "path") else (u, None)
        if path is None:
            path = unit_paths(session).get(uid) or ""
        on_time = due = 0
        for leaf, (good, owed) in per_unit.items():
            if paths.get(leaf, "").startswith(path):
                on_time, due = on_time + good, due + owed
        out[uid] = (on_time, due)
    return out


def first_months(session: Session) -> dict[int, str]:
    """Each unit's first planned month: from then on it owes a monthly report."""
    firsts: dict[int, str] = {}
    for model in (PlanItem, MonthlyReport):
        rows = session.execute(
            select(model.org_unit_id, func.min(model.month))
            .where(model.deleted_at.is_(None))
            .group_by(model.org_unit_id)
        )
        for unit_id, month in rows:
            if month and (unit_id not in firsts or month < firsts[unit_id]):
                firsts[unit_id] = month
    return firsts


def report_months_in(start: dt.date, end: dt.date) -> list[str]:
    """The months of a period: a period's on-time rate is about the reports *for* its
    months (2026's rate covers January to December 2026, as the year-end summary and the
    plans statistics count it), each counted once it is due or sent."""
    months, month = [], periods.month_key(start)
    while periods.bounds(month)[0] <= end:
        months.append(month)
        month = plans.next_month(month)
    return months


def on_time_figure(
    session: Session, units: Sequence[Any], start: dt.date, end: dt.date
) -> dict[int, tuple[float, float]]:
    """The indicator engine's entry (kind "figure", name "plans.reports_on_time")."""
    found = reports_on_time(session, units, report_months_in(start, end), clock.today())
    return {uid: (float(good), float(owed)) for uid, (good, owed) in found.items()}
