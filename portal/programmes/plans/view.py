"""What the Monthly plans page shows, without Streamlit: the month the page is about, the
board's cards, the report's state and its draft texts, the review grid's rows and the
figures behind the charts. The page only lays these out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OrgUnit, PlanItem
from portal import clock, formatting, periods
from portal.i18n import t
from portal.metrics import targets as tg
from portal.org import calendars
from portal.org.scope import Actor, get_unit_in_scope
from portal.programmes.plans import figures
from portal.programmes.plans import specs as pl

# Board columns, left to right; "late" holds overdue and postponed items.
COLUMNS = ("not_started", "in_progress", "done", "late", "cancelled")
# What an item is shown as: its stored status, or "overdue" once past due and not done.
DISPLAY_STATUSES = tuple(c.value for c in pl.ITEM_STATUSES)
ACTIVE = ("not_started", "in_progress", "overdue")
GRID_MONTHS = 6
COMPLETION_INDICATOR = "MP-DONE"


def board_month(selected: str, today: dt.date) -> str:
    """The month the page is about: the sidebar's month, or for a longer period the
    month holding its end, never later than this month."""
    if periods.is_key(selected, "month"):
        return selected
    end = periods.bounds(selected)[1] if periods.is_key(selected) else today
    return periods.month_key(min(end, today))


def months_up_to(month: str, count: int = GRID_MONTHS) -> list[str]:
    """The `count` months ending with `month`, oldest first."""
    year, m = int(month[:4]), int(month[5:7])
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{m:02d}")
        year, m = (year - 1, 12) if m == 1 else (year, m - 1)
    return keys[::-1]


def choice_label(choices: tuple[Any, ...], value: str | None, lang: str) -> str:
    for choice in choices:
        if choice.value == value:
            return choice.label(lang)
    return value or ""


def status_label(status: str, lang: str) -> str:
    """An item's display status (stored status, or overdue)."""
    return choice_label(pl.ITEM_STATUSES, status, lang)


def column_label(column: str, lang: str) -> str:
    return t(f"plans.column.{column}", lang)


def rule_text(rule: str | None, lang: str) -> str:
    """A unit's reporting deadline rule in words ("次月第5个工作日")."""
    rule = rule or calendars.DEFAULT_DUE_RULE
    match = calendars.RULE_RE.match(rule)
    if not match:
        return rule
    if rule == "month_end":
        return t("plans.rule.month_end", lang)
    if match.group("n"):
        return t("plans.rule.workday", lang, n=int(match.group("n")))
    return t("plans.rule.day", lang, n=int(match.group("d")))


# -- the board ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    id: int
    title: str
    owner: str
    area: str
    status: str  # as stored
    shown: str  # display status: the stored one, or "overdue" once past due and not done
    column: str
    overdue: bool
    target_qty: float | None
    actual_qty: float | None
    target_unit: str
    progress_pct: int
    due: dt.date
    workdays: int | None  # working days left (not overdue) or late (overdue); None when closed
    carried_over: bool
    notes: str

    @property
    def open(self) -> bool:
        return self.status not in ("done", "cancelled")


def item_view(item: PlanItem, today: dt.date, calendar: calendars.WorkCalendar) -> Card:
    overdue = item.status == "overdue" or (item.status in ACTIVE and item.due_date < today)
    if item.status in ("done", "cancelled"):
        column, workdays = item.status, None
    elif overdue or item.status == "postponed":
        column = "late"
        workdays = calendar.workdays_between(item.due_date + dt.timedelta(days=1), today) if overdue else None
    else:
        column, workdays = item.status, calendar.workdays_between(today, item.due_date)
    return Card(
        item.id,
        item.title,
        item.owner_name or "",
        item.area,
        item.status,
        "overdue" if overdue else item.status,
        column,
        overdue,
        item.target_qty,
        item.actual_qty,
        item.target_unit or "",
        item.progress_pct or 0,
        item.due_date,
        workdays,
        bool(item.carried_over),
        item.notes or "",
    )


def board(session: Session, actor: Actor, unit_id: int, month: str, today: dt.date) -> list[Card]:
    """The unit's items of the month as board cards, in due-date order."""
    calendar = calendars.load_calendar(session)
    return [item_view(i, today, calendar) for i in pl.items_of(session, actor, unit_id, month)]


def subtree_cards(
    session: Session, actor: Actor, unit_id: int, month: str, today: dt.date, lang: str
) -> list[tuple[str, Card]]:
    """The month's items of the unit and every unit below it, each with its unit's name."""
    unit = get_unit_in_scope(session, actor, unit_id)
    calendar = calendars.load_calendar(session)
    rows = session.execute(
        select(PlanItem, OrgUnit.name_zh, OrgUnit.name_en)
        .join(OrgUnit, PlanItem.org_unit_id == OrgUnit.id)
        .where(
            OrgUnit.path.startswith(unit.path, autoescape=True), PlanItem.month == month, PlanItem.deleted_at.is_(None)
        )
        .order_by(PlanItem.due_date, PlanItem.id)
    )
    return [
        (name_en if lang == "en" and name_en else name_zh, item_view(item, today, calendar))
        for item, name_zh, name_en in rows
    ]


def unit_summary(below: list[tuple[str, Card]]) -> list[dict[str, Any]]:
    """Per unit (in the order first met): items, done, completion rate and overdue items."""
    rows: dict[str, dict[str, Any]] = {}
    for unit, card in below:
        row = rows.setdefault(unit, {"unit": unit, "items": 0, "done": 0, "counted": 0, "overdue": 0})
        row["items"] += 1
        row["done"] += card.status == "done"
        row["counted"] += card.status != "cancelled"
        row["overdue"] += card.overdue
    for row in rows.values():
        row["rate"] = row["done"] / row["counted"] * 100 if row["counted"] else None
    return list(rows.values())


def filter_cards(
    cards: list[Card], owners: list[str] | None = None, areas: list[str] | None = None, columns: list[str] | None = None
) -> list[Card]:
    return [
        c
        for c in cards
        if (not owners or c.owner in owners) and (not areas or c.area in areas) and (not columns or c.column in columns)
    ]


def by_column(cards: list[Card]) -> dict[str, list[Card]]:
    grouped: dict[str, list[Card]] = {c: [] for c in COLUMNS}
    for card in cards:
        grouped[card.column].append(card)
    return grouped


def completion(cards: list[Card] | list[PlanItem]) -> tuple[int, int, float | None]:
    """Done items, items that count (all but cancelled), and the rate in percent."""
    counted = [c for c in cards if c.status != "cancelled"]
    done = sum(c.status == "done" for c in counted)
    return done, len(counted), (done / len(counted) * 100 if counted else None)


# -- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportState:
    exists: bool
    status: str  # draft | submitted | approved | returned
    due: dt.date
    rule: str
    overdue: bool  # not submitted and past its due date
    submitted_at: dt.datetime | None
    submitted_by: str | None
    on_time: bool | None
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    review_comment: str | None
    locked: bool
    summary: str | None
    problems: str | None
    next_plan: str | None
    version: int

    @property
    def editable(self) -> bool:
        return self.status in ("draft", "returned")


def report_state(session: Session, actor: Actor, unit_id: int, month: str, today: dt.date) -> ReportState:
    unit = get_unit_in_scope(session, actor, unit_id)
    report = pl.report_for(session, actor, unit.id, month)
    due = pl.due_for(session, unit, month)
    status = report.status if report else "draft"
    return ReportState(
        report is not None,
        status,
        due,
        unit.report_due_rule or calendars.DEFAULT_DUE_RULE,
        status in ("draft", "returned") and today > due,
        report.submitted_at if report else None,
        report.submitted_by if report else None,
        report.on_time if report else None,
        report.reviewed_at if report else None,
        report.reviewed_by if report else None,
        report.review_comment if report else None,
        bool(report and report.locked),
        report.summary if report else None,
        report.problems if report else None,
        report.next_plan if report else None,
        report.version if report else 0,
    )


def draft_texts(session: Session, actor: Actor, unit_id: int, month: str, lang: str) -> dict[str, str]:
    """The month's report drafted from its figures (portal.programmes.plans.figures, the
    ones the Word and Excel reports print): what was completed (with quantities and the
    completion rate), what was not and why (存在问题), and next month's items."""
    data = figures.month_data(session, actor, unit_id, month)
    label = periods.label(month, lang)
    if not data.total:
        lines = [t("plans.draft.no_items", lang, month=label)]
    else:
        lines = [
            t(
                "plans.draft.summary_head",
                lang,
                month=label,
                total=data.total,
                done=data.done_count,
                rate=data.rate_text,
            )
        ]
    for n, item in enumerate(data.done, 1):
        line = t("plans.draft.line", lang, n=n, title=item.title)
        if item.actual_qty is not None or item.target_qty is not None:
            actual = formatting.qty(item.actual_qty, item.unit) or formatting.DASH
            target = formatting.qty(item.target_qty, item.unit) or formatting.DASH
            line += t("plans.draft.qty", lang, actual=actual, target=target)
        if item.completed_on:
            line += t("plans.draft.on", lang, date=formatting.date(item.completed_on))
        lines.append(line)
    if data.total and not data.done:
        lines.append(t("plans.draft.none_done", lang))
    problems = [
        t(
            "plans.draft.problem",
            lang,
            n=n,
            title=item.title,
            pct=item.progress_pct,
            status=status_label(item.status, lang),
            why=item.notes.replace("\n", " ") or t("plans.draft.no_reason", lang),
        )
        for n, item in enumerate(data.unfinished, 1)
    ]
    plan_lines = []
    for n, item in enumerate(data.next_items, 1):
        line = t("plans.draft.line", lang, n=n, title=item.title)
        extra = []
        if item.target_qty is not None:
            extra.append(t("plans.draft.target", lang, target=formatting.qty(item.target_qty, item.unit)))
        if item.owner:
            extra.append(t("plans.draft.owner", lang, owner=item.owner))
        if item.carried_over:
            extra.append(t("plans.draft.carried", lang))
        if extra:
            line += t("plans.draft.extra", lang, text=t("plans.draft.sep", lang).join(extra))
        plan_lines.append(line)
    if not data.next_items:
        key = "plans.draft.no_next" if data.unfinished else "plans.draft.no_next_plan"
        plan_lines.append(t(key, lang, month=periods.label(data.next_month, lang)))
        for n, item in enumerate(data.unfinished, 1):
            plan_lines.append(t("plans.draft.continue", lang, n=n, title=item.title))
    nothing = "plans.draft.no_problems" if data.total else "plans.draft.nothing"
    return {
        "summary": "\n".join(lines),
        "problems": "\n".join(problems) if problems else t(nothing, lang),
        "next_plan": "\n".join(plan_lines),
    }


# -- review ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridRow:
    unit_id: int
    unit: str
    month: str
    status: str  # plans.Cell.status
    due: dt.date
    submitted_at: dt.datetime | None
    on_time: bool | None
    locked: bool


def review_units(session: Session, actor: Actor, unit_id: int, lang: str) -> list[tuple[int, str]]:
    """The grid's rows: the active units directly below the unit, or the unit itself."""
    unit, children = tg.unit_and_children(session, actor, unit_id)
    return [(u.ref.id, u.name(lang)) for u in (children or [unit])]


def review_grid(
    session: Session, actor: Actor, units: list[tuple[int, str]], months: list[str], today: dt.date
) -> list[GridRow]:
    cells = pl.grid(session, actor, [uid for uid, _ in units], months, today)
    return [
        GridRow(uid, name, month, cell.status, cell.due, cell.submitted_at, cell.on_time, cell.locked)
        for uid, name in units
        for month in months
        for cell in [cells[(uid, month)]]
    ]


# -- chart figures --------------------------------------------------------------------------


def completion_by_month(
    session: Session, actor: Actor, unit_id: int, months: list[str], today: dt.date
) -> list[dict[str, Any]]:
    """Plan-item completion per month for the unit and the units below it: the MP-DONE
    indicator (items due in the month, against its target) when it is defined, else the
    items of each month counted directly against 100 %."""
    from db.models import Indicator
    from portal.metrics import indicators as ind

    unit = get_unit_in_scope(session, actor, unit_id)
    indicator = session.scalar(
        select(Indicator).where(Indicator.code == COMPLETION_INDICATOR, Indicator.deleted_at.is_(None))
    )
    rows = []
    if indicator is not None:
        ref = ind.UnitRef(unit.id, unit.path)
        for month in months:
            p = tg.progress(session, indicator, [ref], month, today)[0]
            rows.append(
                {
                    "month": month,
                    "done": p.numerator or 0,
                    "total": p.denominator or 0,
                    "pct": p.actual,
                    "target": p.target,
                    "over": today >= periods.bounds(month)[1],
                }
            )
        return rows
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))
    counts: dict[str, Counter[str]] = {m: Counter() for m in months}
    for month, status in session.execute(
        select(PlanItem.month, PlanItem.status).where(
            PlanItem.org_unit_id.in_(subtree), PlanItem.month.in_(months), PlanItem.deleted_at.is_(None)
        )
    ):
        counts[month][status] += 1
    for month in months:
        total = sum(n for s, n in counts[month].items() if s != "cancelled")
        done = counts[month]["done"]
        rows.append(
            {
                "month": month,
                "done": done,
                "total": total,
                "pct": done / total * 100 if total else None,
                "target": 100.0,
                "over": today >= periods.bounds(month)[1],
            }
        )
    return rows


def status_counts(cards: list[Card]) -> list[dict[str, Any]]:
    counts = Counter(c.shown for c in cards)
    return [{"status": s, "count": counts[s]} for s in DISPLAY_STATUSES if counts[s]]


def owner_load(
    cards: list[Card], lang: str, units: list[str] | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Items per owner and display status (owners with most items first, at most `limit`
    of them). With the cards' unit names, owners of different units are told apart when
    there is more than one."""
    nobody = t("plans.no_owner", lang)
    several = units is not None and len(set(units)) > 1
    names = [
        t("plans.owner_at", lang, owner=c.owner or nobody, unit=u) if several else c.owner or nobody
        for c, u in zip(cards, units or [""] * len(cards))
    ]
    counts = Counter((name, c.shown) for name, c in zip(names, cards))
    totals = Counter(names)
    order = sorted(totals, key=lambda o: (-totals[o], o.startswith(nobody), o))[:limit]  # nobody's last
    return [
        {"owner": o, "status": s, "count": counts[(o, s)]} for o in order for s in DISPLAY_STATUSES if counts[(o, s)]
    ]


def ontime_by_unit(
    session: Session, actor: Actor, units: list[tuple[int, str]], months: list[str], today: dt.date
) -> list[dict[str, Any]]:
    """Per unit over the months: reports due so far, and those in on time, by the one
    definition every page and the MP-ONTIME indicator share (figures.reports_on_time): a
    report still missing after its due date counts as late."""
    for unit_id, _ in units:
        get_unit_in_scope(session, actor, unit_id)
    found = figures.reports_on_time(session, [uid for uid, _ in units], months, today)
    return [{"unit": name, "due": found[uid][1], "on_time": found[uid][0]} for uid, name in units]


def grid_cells(rows: list[GridRow], lang: str) -> list[dict[str, Any]]:
    """The review grid's rows in the shape plan_charts.report_grid_chart reads."""

    cells = []
    for row in rows:
        flag = (
            ""
            if row.on_time is None or row.status in ("draft", "overdue", "not_due")
            else ("✓" if row.on_time else "✗")
        )
        if row.submitted_at is not None and row.status not in ("draft", "overdue", "not_due"):
            detail = clock.local_time(row.submitted_at, "%m-%d %H:%M")
            tip = t(
                "plans.grid.tip_submitted",
                lang,
                time=clock.local_time(row.submitted_at),
                flag=t("plans.on_time" if row.on_time else "plans.late", lang),
            )
        else:
            detail = t("plans.grid.due", lang, date=row.due.strftime("%m-%d"))
            tip = t("plans.grid.tip_due", lang, date=row.due.isoformat())
        cells.append(
            {
                "unit": row.unit,
                "month": periods.label(row.month, lang),
                "status": row.status,
                "flag": flag,
                "detail": detail,
                "tip": tip,
            }
        )
    return cells
