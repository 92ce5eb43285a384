"""Monthly and year-end reports (月报、年度总结) built from the plan items and the month's
report row, as Word and Excel files that read like the offices' own reports:
"一月份工作总结 … 存在问题 … 二月份工作计划" (004 篇7).

The numbers come from the data, never typed twice: the completion rate is the items done
over the items planned (cancelled ones left out), the problems are the reasons given on
the items left unfinished plus the report's own problems text, and next month's plan is
next month's items. Everything is read through the actor's scope (plans.items_of and
get_unit_in_scope), so a township cannot build another township's report.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import MonthlyReport, OrgUnit, PlanItem, ProgressUpdate, User
from portal import periods
from portal.errors import PortalError
from portal.i18n import DISPLAY_TZ, label, local_time, t
from portal.org import calendars
from portal.org.scope import Actor, get_unit_in_scope
from portal.programmes.plans import specs as plans
from portal.records.fields import printable

FORMATS = ("docx", "xlsx")
_AREAS = {c.value: c for c in plans.AREAS}
_ITEM_STATUSES = {c.value: c for c in plans.ITEM_STATUSES}
_REPORT_STATUSES = {c.value: c for c in plans.REPORT_STATUSES}
# "1." "1、" "（1）" "(1)" "一、" "-" at the start of a line typed into the problems box
_NUMBERING = re.compile(r"^\s*(?:[(（]?\d+[)）.、．]?|[一二三四五六七八九十]+、|[-•·*])\s*")


class ReportError(PortalError):
    key = "report.error.period"


# --------------------------------------------------------------------------- the data


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
        return _rate(self.done, self.planned)


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
        return _rate(self.done_count, self.total)

    @property
    def rate_text(self) -> str:
        return pct(self.rate)

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
        return [line for line in _text_lines(self.report.next_plan) if not any(t_ in line for t_ in titles)]

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
        return _rate(self.done, self.total)


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
        return _rate(self.on_time_count, self.expected)

    def unit_name(self, lang: str) -> str:
        return label(lang, self.unit_name_zh, self.unit_name_en)


def _rate(done: int, total: int) -> float | None:
    return done * 100.0 / total if total else None


def pct(rate: float | None) -> str:
    """75.0 -> '75%', 66.666 -> '66.7%', None -> '—'."""
    if rate is None:
        return "—"
    rounded = round(rate, 1)
    return f"{rounded:.0f}%" if rounded == int(rounded) else f"{rounded:.1f}%"


def _today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(DISPLAY_TZ)).date()


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


def _text_lines(text: str) -> list[str]:
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
    for line in _text_lines(report_text):
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
        today or _today(),
    )


def year_data(session: Session, actor: Actor, unit_id: int, year: int | str, today: dt.date | None = None) -> YearData:
    """The year-end summary of one unit: month by month, the totals, the problems."""
    if not periods.is_key(str(year), "year"):
        raise ReportError("report.error.year", value=year)
    year = int(year)
    today = today or _today()
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
    carried_on = {i.carried_from_id for i in items if i.carried_from_id}
    month_rows, problems, closed = [], [], set()
    for month in months:
        own = [i for i in items if i.month == month]
        info = _report_info(session, unit, month, reports.get(month), cal)
        status = info.display_status(today)
        if not own and not info.exists:
            status = "none"
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


# --------------------------------------------------------------------------- wording


def month_label(month: str, lang: str) -> str:
    year, m = int(month[:4]), int(month[5:7])
    return f"{calendar.month_name[m]} {year}" if lang == "en" else f"{year}年{m}月"


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if value != int(value) else str(int(value))


def _qty(value: float | None, unit: str) -> str:
    text = _num(value)
    return f"{text}{unit}" if text and unit else text


def _area(area: str, lang: str) -> str:
    choice = _AREAS.get(area)
    return choice.label(lang) if choice else area


def _item_status(status: str, lang: str) -> str:
    choice = _ITEM_STATUSES.get(status)
    return choice.label(lang) if choice else status


def report_status(status: str, lang: str) -> str:
    if status in _REPORT_STATUSES:
        return _REPORT_STATUSES[status].label(lang)
    return t(f"report.status.{status}", lang)


def _on_time(on_time: bool | None, lang: str) -> str:
    if on_time is None:
        return ""
    return t("report.on_time", lang) if on_time else t("report.late", lang)


def _when(value: dt.datetime | None) -> str:
    return local_time(value) if value is not None else ""


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def problem_text(problem: Problem, lang: str) -> str:
    if problem.item is None:
        return problem.reason or ""
    reason = problem.reason or t("report.no_reason", lang, status=_item_status(problem.status or "", lang))
    return t("report.problem_line", lang, item=problem.item, reason=reason)


def _plan_line(item: ItemRow, lang: str) -> str:
    details = []
    if item.target_qty is not None:
        details.append(t("report.plan_target", lang, target=_qty(item.target_qty, item.unit)))
    if item.owner:
        details.append(t("report.plan_owner", lang, owner=item.owner))
    details.append(t("report.plan_due", lang, due=_date(item.due_date)))
    if item.carried_over:
        details.append(t("report.carried", lang))
    return t("report.plan_line", lang, item=item.title, details=t("report.sep", lang).join(details))


def _area_sentence(areas: Sequence[AreaRow], lang: str) -> str:
    parts = [t("report.area_part", lang, area=_area(a.area, lang), planned=a.planned, done=a.done) for a in areas]
    return t("report.by_area", lang, parts=t("report.sep", lang).join(parts)) if parts else ""


def _quantities(area: AreaRow, lang: str) -> str:
    return t("report.sep", lang).join(
        t("report.qty_part", lang, actual=_qty(actual, unit), target=_qty(target, unit))
        for unit, target, actual in area.quantities
    )


def _month_title(data: MonthData, lang: str) -> str:
    this, following = data.month, data.next_month
    nxt = month_label(following, lang)
    if lang != "en" and following[:4] == this[:4]:
        nxt = f"{int(following[5:7])}月"
    return t("report.month_title", lang, unit=data.unit_name(lang), period=month_label(this, lang), next=nxt)


def _status_line(info: ReportInfo, today: dt.date, lang: str) -> str:
    status = report_status(info.display_status(today), lang)
    if info.submitted_at is not None:
        return t(
            "report.status_submitted",
            lang,
            status=status,
            at=_when(info.submitted_at),
            on_time=_on_time(info.on_time, lang),
            due=_date(info.due_date),
        )
    return t("report.status_line", lang, status=status, due=_date(info.due_date))


def _sentence(data: MonthData, lang: str) -> str:
    if not data.total:
        return t("report.no_items", lang)
    return t(
        "report.month_sentence",
        lang,
        total=data.total,
        done=data.done_count,
        rate=data.rate_text,
        unfinished=len(data.unfinished),
        updates=data.updates,
    )


def _item_cells(item: ItemRow, lang: str) -> list[str]:
    title = item.title + (t("report.carried_mark", lang) if item.carried_over else "")
    return [
        title,
        item.owner,
        _qty(item.target_qty, item.unit),
        _qty(item.actual_qty, item.unit),
        _item_status(item.status, lang),
        _date(item.completed_on),
    ]


def _directions(data: YearData, lang: str) -> list[str]:
    """今后努力方向 from the year's own figures: the weakest areas, late or missing
    reports, reasons that kept coming back, what is already planned for January."""
    lines = [
        t(
            "report.direction_area",
            lang,
            area=_area(area.area, lang),
            planned=area.planned,
            done=area.done,
            rate=pct(area.rate),
            left=area.planned - area.done,
        )
        for area in sorted((a for a in data.areas if a.done < a.planned), key=lambda a: a.rate or 0)
    ]
    if data.late_count or data.missing_count:
        lines.append(
            t(
                "report.direction_reports",
                lang,
                on_time=data.on_time_count,
                late=data.late_count,
                missing=data.missing_count,
            )
        )
    reasons = Counter(p.reason for p in data.problems if p.item is not None and p.reason)
    for reason, n in reasons.most_common(3):
        if n > 1:
            lines.append(t("report.direction_reason", lang, reason=reason, count=n))
    if data.next_year_items:
        titles = t("report.list_sep", lang).join(i.title for i in data.next_year_items[:6])
        lines.append(t("report.direction_next", lang, count=len(data.next_year_items), items=titles))
    lines += _text_lines(data.closing_plan)
    return lines or [t("report.direction_keep", lang)]


# --------------------------------------------------------------------------- Word


class _Word:
    """A python-docx document set up for Chinese: A4, 宋体 for the East Asian text."""

    def __init__(self, lang: str, title: str) -> None:
        from docx import Document
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm, Pt

        self.lang, self.Pt, self.align = lang, Pt, WD_ALIGN_PARAGRAPH
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2.6))
        section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.5)
        latin = "Times New Roman" if lang == "en" else "SimSun"
        for name, size in (("Normal", 12), ("Heading 1", 14), ("Heading 2", 12), ("Title", 16)):
            self._font(self.doc.styles[name], latin, size)
        title = printable(title, lines=False)
        self.doc.core_properties.title = title
        self.doc.core_properties.language = lang
        heading = self.doc.add_paragraph(style="Title")
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        heading.add_run(title).bold = True

    def _font(self, style: Any, latin: str, size: int) -> None:
        from docx.oxml.ns import qn
        from docx.shared import RGBColor

        style.font.name = latin
        style.font.size = self.Pt(size)
        fonts = style.element.rPr.rFonts
        fonts.set(qn("w:eastAsia"), "宋体")
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)  # a theme font would win over the names set here
        if style.name != "Normal":
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.font.bold = True
        if style.name == "Title":  # the template's title has a rule under it and tight spacing
            ppr = style.element.pPr
            if ppr is not None:
                for border in ppr.findall(qn("w:pBdr")):
                    ppr.remove(border)

    def heading(self, text: str) -> None:
        self.doc.add_paragraph(printable(text, lines=False), style="Heading 1")

    def para(self, text: str, *, bold: bool = False, center: bool = False, indent: bool = True) -> None:
        text = printable(text or "")
        if not text:
            return
        for line in text.splitlines() or [text]:
            if not line.strip():
                continue
            p = self.doc.add_paragraph()
            if center:
                p.alignment = self.align.CENTER
            elif indent and self.lang != "en":
                p.paragraph_format.first_line_indent = self.Pt(24)  # two characters
            p.add_run(line.strip()).bold = bold

    def numbered(self, lines: Sequence[str], empty: str) -> None:
        if not lines:
            self.para(empty)
        for n, line in enumerate(lines, 1):
            self.para(f"{n}. {line}")

    def right(self, text: str) -> None:
        p = self.doc.add_paragraph(printable(text))
        p.alignment = self.align.RIGHT

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> None:
        from docx.shared import Cm

        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.autofit = False
        for cell, text in zip(table.rows[0].cells, headers):
            cell.text = ""
            run = cell.paragraphs[0].add_run(printable(text))
            run.bold = True
            cell.paragraphs[0].alignment = self.align.CENTER
        for values in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values):
                cell.text = "" if value is None else printable(str(value))
        for column, width in zip(table.columns, widths):
            column.width = Cm(width)  # the grid: what LibreOffice and WPS lay out by
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Cm(width)
                for p in cell.paragraphs:
                    for run in p.runs:
                        run.font.size = self.Pt(10.5)
        self.doc.add_paragraph()

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


ITEM_WIDTHS = (5.0, 1.7, 1.6, 1.6, 2.0, 2.9)


def monthly_report_docx(
    session: Session, actor: Actor, unit_id: int, month: str, lang: str = "zh-CN", today: dt.date | None = None
) -> bytes:
    """The month's report as a Word document: 一、本月工作完成情况 (with the figures and the
    items), 二、存在问题, 三、下月工作计划."""
    data = month_data(session, actor, unit_id, month, today)
    return _month_docx(data, lang)


def _month_docx(data: MonthData, lang: str) -> bytes:
    doc = _Word(lang, _month_title(data, lang))
    doc.para(
        t("report.header_line", lang, unit=data.unit_name(lang), period=month_label(data.month, lang)), center=True
    )
    doc.para(_status_line(data.report, data.today, lang), center=True)
    doc.heading(t("report.section_done", lang))
    doc.para(_sentence(data, lang))
    doc.para(_area_sentence(data.areas, lang))
    if data.report.summary:
        doc.para(data.report.summary)
    if data.items:
        doc.table(
            [
                t("report.col.item", lang),
                t("report.col.owner", lang),
                t("report.col.target", lang),
                t("report.col.actual", lang),
                t("report.col.status", lang),
                t("report.col.completed_on", lang),
            ],
            [_item_cells(i, lang) for i in data.items],
            ITEM_WIDTHS,
        )
    doc.heading(t("report.section_problems", lang))
    doc.numbered([problem_text(p, lang) for p in data.problems], t("report.no_problems", lang))
    doc.heading(t("report.section_next", lang, month=month_label(data.next_month, lang)))
    doc.numbered([_plan_line(i, lang) for i in data.next_items] + data.extra_plan_lines, t("report.no_next", lang))
    if data.report.review_comment:
        doc.para(
            t(
                "report.review_line",
                lang,
                comment=data.report.review_comment,
                by=data.report.reviewed_by or "",
                at=_when(data.report.reviewed_at),
            )
        )
    doc.right(data.unit_name(lang))
    signed = data.report.submitted_at
    doc.right(local_time(signed, "%Y-%m-%d") if signed else data.today.isoformat())
    return doc.bytes()


def year_summary_docx(
    session: Session, actor: Actor, unit_id: int, year: int | str, lang: str = "zh-CN", today: dt.date | None = None
) -> bytes:
    """The year-end summary (年度工作总结): 一、主要成绩, 二、存在问题, 三、今后努力方向."""
    data = year_data(session, actor, unit_id, year, today)
    doc = _Word(lang, t("report.year_title", lang, unit=data.unit_name(lang), year=data.year))
    doc.para(t("report.year_header", lang, unit=data.unit_name(lang), year=data.year), center=True)
    doc.heading(t("report.section_achievements", lang))
    doc.para(_year_sentence(data, lang))
    doc.para(_area_sentence(data.areas, lang))
    for area in data.areas:
        quantities = _quantities(area, lang)
        if quantities:
            doc.para(t("report.area_quantities", lang, area=_area(area.area, lang), quantities=quantities))
    doc.table(
        [
            t("report.col.month", lang),
            t("report.col.planned", lang),
            t("report.col.done", lang),
            t("report.col.rate", lang),
            t("report.col.report_status", lang),
            t("report.col.submitted_at", lang),
            t("report.col.on_time", lang),
        ],
        [_month_cells(m, lang) for m in data.months if m.status != "none"],
        (2.8, 1.5, 1.5, 1.6, 2.2, 3.8, 1.8),
    )
    doc.heading(t("report.section_problems", lang))
    doc.numbered(
        [
            t("report.year_problem", lang, month=month_label(p.month, lang), text=problem_text(p, lang))
            for p in data.problems
        ],
        t("report.no_problems_year", lang),
    )
    doc.heading(t("report.section_directions", lang))
    doc.numbered(_directions(data, lang), "")
    doc.right(data.unit_name(lang))
    doc.right(data.today.isoformat())
    return doc.bytes()


def _year_sentence(data: YearData, lang: str) -> str:
    if not data.total:
        return t("report.no_items_year", lang)
    text = t(
        "report.year_sentence",
        lang,
        total=data.total,
        done=data.done_count,
        rate=data.rate_text,
        expected=data.expected,
        reported=len(data.reported),
        on_time=data.on_time_count,
        late=data.late_count,
        missing=data.missing_count,
        on_time_rate=pct(data.on_time_rate),
    )
    if data.partial and data.last_month:
        text = t("report.year_until", lang, month=month_label(data.last_month, lang)) + text
    return text


def _month_cells(row: MonthRow, lang: str) -> list[str]:
    return [
        month_label(row.month, lang),
        str(row.total),
        str(row.done),
        pct(row.rate),
        report_status(row.status, lang),
        _when(row.submitted_at),
        _on_time(row.on_time, lang),
    ]


# --------------------------------------------------------------------------- Excel


class _Book:
    def __init__(self) -> None:
        from openpyxl import Workbook

        self.wb = Workbook()
        self.first = True

    def sheet(
        self,
        title: str,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        widths: Sequence[float],
        percent_columns: Sequence[int] = (),
    ) -> Any:
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        from portal.records.io import neutralise

        ws = self.wb.worksheets[0] if self.first else self.wb.create_sheet()  # a new book has one sheet
        self.first = False
        ws.title = printable(title, lines=False)
        ws.append([printable(h) for h in headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center")
        for values in rows:
            ws.append([neutralise(printable(v)) if isinstance(v, str) else v for v in values])
        for index, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        for column in percent_columns:
            for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
                if isinstance(cell.value, (int, float)):
                    cell.number_format = "0.0%"
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
        ws.freeze_panes = "A2"
        return ws

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.wb.save(out)
        return out.getvalue()


def _fraction(rate: float | None) -> float | None:
    return None if rate is None else round(rate / 100, 4)


def monthly_report_xlsx(
    session: Session, actor: Actor, unit_id: int, month: str, lang: str = "zh-CN", today: dt.date | None = None
) -> bytes:
    """The month's report as a workbook: 概况, 完成情况, 存在问题, 下月计划."""
    data = month_data(session, actor, unit_id, month, today)
    info, book = data.report, _Book()
    figures: list[tuple[str, Any]] = [
        (t("report.col.unit", lang), data.unit_name(lang)),
        (t("report.col.month", lang), month_label(data.month, lang)),
        (t("report.col.report_status", lang), report_status(info.display_status(data.today), lang)),
        (t("report.col.due", lang), _date(info.due_date)),
        (t("report.col.submitted_at", lang), _when(info.submitted_at)),
        (t("report.col.on_time", lang), _on_time(info.on_time, lang)),
        (t("report.col.planned", lang), data.total),
        (t("report.col.done", lang), data.done_count),
        (t("report.col.unfinished", lang), len(data.unfinished)),
        (t("report.col.rate", lang), _fraction(data.rate)),
        (t("report.col.done_text", lang), data.done_text),
        (t("report.col.updates", lang), data.updates),
    ]
    figures.extend(
        (
            t("report.area_key", lang, area=_area(area.area, lang)),
            t(
                "report.area_value",
                lang,
                planned=area.planned,
                done=area.done,
                quantities=_quantities(area, lang) or "—",
            ),
        )
        for area in data.areas
    )
    if info.summary:
        figures.append((t("report.col.summary", lang), info.summary))
    if info.review_comment:
        figures.append((t("report.col.review", lang), info.review_comment))
    ws = book.sheet(
        t("report.sheet.overview", lang), [t("report.col.figure", lang), t("report.col.value", lang)], figures, (22, 60)
    )
    rate_row = next(i for i, (k, _) in enumerate(figures, 2) if k == t("report.col.rate", lang))
    ws.cell(rate_row, 2).number_format = "0.0%"
    book.sheet(
        t("report.sheet.items", lang),
        _item_headers(lang),
        [_item_values(n, i, lang) for n, i in enumerate(data.items, 1)],
        (6, 34, 12, 10, 10, 10, 10, 8, 9, 10, 12, 36, 8),
    )
    book.sheet(
        t("report.sheet.problems", lang),
        [t("report.col.no", lang), t("report.col.item", lang), t("report.col.reason", lang)],
        [
            [
                n,
                p.item or "",
                problem_text(p, lang)
                if p.item is None
                else (p.reason or t("report.no_reason", lang, status=_item_status(p.status or "", lang))),
            ]
            for n, p in enumerate(data.problems, 1)
        ],
        (6, 34, 60),
    )
    next_rows = [
        [
            n,
            i.title,
            _area(i.area, lang),
            i.owner,
            i.target_qty,
            i.unit,
            _date(i.due_date),
            t("io.true", lang) if i.carried_over else "",
        ]
        for n, i in enumerate(data.next_items, 1)
    ]
    next_rows += [
        [len(next_rows) + n, line, "", "", None, "", "", ""] for n, line in enumerate(data.extra_plan_lines, 1)
    ]
    book.sheet(
        t("report.sheet.next", lang),
        [
            t("report.col.no", lang),
            t("report.col.item", lang),
            t("report.col.area", lang),
            t("report.col.owner", lang),
            t("report.col.target", lang),
            t("report.col.unit_of", lang),
            t("report.col.due_date", lang),
            t("report.col.carried", lang),
        ],
        next_rows,
        (6, 34, 12, 10, 10, 10, 12, 10),
    )
    return book.bytes()


def _item_headers(lang: str) -> list[str]:
    return [
        t("report.col.no", lang),
        t("report.col.item", lang),
        t("report.col.area", lang),
        t("report.col.owner", lang),
        t("report.col.target", lang),
        t("report.col.actual", lang),
        t("report.col.unit_of", lang),
        t("report.col.status", lang),
        t("report.col.progress", lang),
        t("report.col.due_date", lang),
        t("report.col.completed_on", lang),
        t("report.col.notes", lang),
        t("report.col.carried", lang),
    ]


def _item_values(n: int, item: ItemRow, lang: str) -> list[Any]:
    return [
        n,
        item.title,
        _area(item.area, lang),
        item.owner,
        item.target_qty,
        item.actual_qty,
        item.unit,
        _item_status(item.status, lang),
        item.progress_pct,
        _date(item.due_date),
        _date(item.completed_on),
        item.notes,
        t("io.true", lang) if item.carried_over else "",
    ]


def year_summary_xlsx(
    session: Session, actor: Actor, unit_id: int, year: int | str, lang: str = "zh-CN", today: dt.date | None = None
) -> bytes:
    """The year-end summary as a workbook: 概况, 逐月情况, 成绩, 存在问题, 今后努力方向."""
    data, book = year_data(session, actor, unit_id, year, today), _Book()
    figures: list[tuple[str, Any]] = [
        (t("report.col.unit", lang), data.unit_name(lang)),
        (t("report.col.year", lang), data.year),
        (t("report.col.planned", lang), data.total),
        (t("report.col.done", lang), data.done_count),
        (t("report.col.rate", lang), _fraction(data.rate)),
        (t("report.col.expected", lang), data.expected),
        (t("report.col.reported", lang), len(data.reported)),
        (t("report.col.on_time_count", lang), data.on_time_count),
        (t("report.col.late_count", lang), data.late_count),
        (t("report.col.missing", lang), data.missing_count),
        (t("report.col.on_time_rate", lang), _fraction(data.on_time_rate)),
        (t("report.col.updates", lang), data.updates),
    ]
    ws = book.sheet(
        t("report.sheet.overview", lang), [t("report.col.figure", lang), t("report.col.value", lang)], figures, (22, 40)
    )
    for row, (key, _) in enumerate(figures, 2):
        if key in (t("report.col.rate", lang), t("report.col.on_time_rate", lang)):
            ws.cell(row, 2).number_format = "0.0%"
    book.sheet(
        t("report.sheet.months", lang),
        [
            t("report.col.month", lang),
            t("report.col.planned", lang),
            t("report.col.done", lang),
            t("report.col.rate", lang),
            t("report.col.report_status", lang),
            t("report.col.due", lang),
            t("report.col.submitted_at", lang),
            t("report.col.on_time", lang),
        ],
        [
            [
                month_label(m.month, lang),
                m.total,
                m.done,
                _fraction(m.rate),
                report_status(m.status, lang),
                _date(m.due_date),
                _when(m.submitted_at),
                _on_time(m.on_time, lang),
            ]
            for m in data.months
        ],
        (12, 10, 10, 10, 12, 12, 18, 10),
        percent_columns=(4,),
    )
    book.sheet(
        t("report.sheet.achievements", lang),
        [
            t("report.col.area", lang),
            t("report.col.planned", lang),
            t("report.col.done", lang),
            t("report.col.rate", lang),
            t("report.col.quantities", lang),
        ],
        [[_area(a.area, lang), a.planned, a.done, _fraction(a.rate), _quantities(a, lang)] for a in data.areas],
        (14, 10, 10, 10, 50),
        percent_columns=(4,),
    )
    book.sheet(
        t("report.sheet.problems", lang),
        [
            t("report.col.no", lang),
            t("report.col.month", lang),
            t("report.col.item", lang),
            t("report.col.reason", lang),
        ],
        [
            [
                n,
                month_label(p.month, lang),
                p.item or "",
                problem_text(p, lang)
                if p.item is None
                else (p.reason or t("report.no_reason", lang, status=_item_status(p.status or "", lang))),
            ]
            for n, p in enumerate(data.problems, 1)
        ],
        (6, 12, 34, 60),
    )
    book.sheet(
        t("report.sheet.directions", lang),
        [t("report.col.no", lang), t("report.col.direction", lang)],
        [[n, line] for n, line in enumerate(_directions(data, lang), 1)],
        (6, 90),
    )
    return book.bytes()


# --------------------------------------------------------------------------- one entry point


def build(
    session: Session,
    actor: Actor,
    unit_id: int,
    period: str,
    fmt: str,
    lang: str = "zh-CN",
    today: dt.date | None = None,
) -> bytes:
    """A month ('2026-10') or a year ('2026') as docx or xlsx (what the CLI and the pages call)."""
    if fmt not in FORMATS:
        raise ReportError("report.error.format", value=fmt)
    if periods.is_key(period, "month"):
        month = monthly_report_docx if fmt == "docx" else monthly_report_xlsx
        return month(session, actor, unit_id, period, lang, today)
    if periods.is_key(period, "year"):
        year = year_summary_docx if fmt == "docx" else year_summary_xlsx
        return year(session, actor, unit_id, period, lang, today)
    raise ReportError("report.error.period", value=period)
