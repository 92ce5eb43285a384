"""Monthly and year-end reports (月报、年度总结) as Word and Excel files that read like the
offices' own reports: "一月份工作总结 … 存在问题 … 二月份工作计划" (004 篇7). The figures
come from portal.programmes.plans.figures, the one place they are computed.

The numbers come from the data, never typed twice: the completion rate is the items done
over the items planned (cancelled ones left out), the problems are the reasons given on
the items left unfinished plus the report's own problems text, and next month's plan is
next month's items. Everything is read through the actor's scope (plans.items_of and
get_unit_in_scope), so a township cannot build another township's report.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from portal import clock, formatting, periods
from portal.apps import ReportRequest
from portal.documents.excel import Book
from portal.documents.word import WordDoc
from portal.i18n import t
from portal.org.scope import Actor
from portal.programmes.plans import specs as plans
from portal.programmes.plans.figures import (
    AreaRow,
    ItemRow,
    MonthData,
    MonthRow,
    Problem,
    ReportError,
    ReportInfo,
    YearData,
    month_data,
    text_lines,
    year_data,
)

FORMATS = ("docx", "xlsx")
_AREAS = {c.value: c for c in plans.AREAS}
_ITEM_STATUSES = {c.value: c for c in plans.ITEM_STATUSES}
_REPORT_STATUSES = {c.value: c for c in plans.REPORT_STATUSES}


# --------------------------------------------------------------------------- wording


def month_label(month: str, lang: str) -> str:
    year, m = int(month[:4]), int(month[5:7])
    return f"{calendar.month_name[m]} {year}" if lang == "en" else f"{year}年{m}月"


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


def problem_text(problem: Problem, lang: str) -> str:
    if problem.item is None:
        return problem.reason or ""
    reason = problem.reason or t("report.no_reason", lang, status=_item_status(problem.status or "", lang))
    return t("report.problem_line", lang, item=problem.item, reason=reason)


def _plan_line(item: ItemRow, lang: str) -> str:
    details = []
    if item.target_qty is not None:
        details.append(t("report.plan_target", lang, target=formatting.qty(item.target_qty, item.unit)))
    if item.owner:
        details.append(t("report.plan_owner", lang, owner=item.owner))
    details.append(t("report.plan_due", lang, due=formatting.date(item.due_date)))
    if item.carried_over:
        details.append(t("report.carried", lang))
    return t("report.plan_line", lang, item=item.title, details=t("report.sep", lang).join(details))


def _area_sentence(areas: Sequence[AreaRow], lang: str) -> str:
    parts = [t("report.area_part", lang, area=_area(a.area, lang), planned=a.planned, done=a.done) for a in areas]
    return t("report.by_area", lang, parts=t("report.sep", lang).join(parts)) if parts else ""


def _quantities(area: AreaRow, lang: str) -> str:
    return t("report.sep", lang).join(
        t("report.qty_part", lang, actual=formatting.qty(actual, unit), target=formatting.qty(target, unit))
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
            at=formatting.when(info.submitted_at),
            on_time=_on_time(info.on_time, lang),
            due=formatting.date(info.due_date),
        )
    return t("report.status_line", lang, status=status, due=formatting.date(info.due_date))


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
        formatting.qty(item.target_qty, item.unit),
        formatting.qty(item.actual_qty, item.unit),
        _item_status(item.status, lang),
        formatting.date(item.completed_on),
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
            rate=formatting.pct(area.rate),
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
    lines += text_lines(data.closing_plan)
    return lines or [t("report.direction_keep", lang)]


# --------------------------------------------------------------------------- Word


ITEM_WIDTHS = (5.0, 1.7, 1.6, 1.6, 2.0, 2.9)


def monthly_report_docx(
    session: Session, actor: Actor, unit_id: int, month: str, lang: str = "zh-CN", today: dt.date | None = None
) -> bytes:
    """The month's report as a Word document: 一、本月工作完成情况 (with the figures and the
    items), 二、存在问题, 三、下月工作计划."""
    data = month_data(session, actor, unit_id, month, today)
    return _month_docx(data, lang)


def _month_docx(data: MonthData, lang: str) -> bytes:
    doc = WordDoc(lang, _month_title(data, lang))
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
                at=formatting.when(data.report.reviewed_at),
            )
        )
    doc.right(data.unit_name(lang))
    signed = data.report.submitted_at
    doc.right(clock.local_time(signed, "%Y-%m-%d") if signed else data.today.isoformat())
    return doc.bytes()


def year_summary_docx(
    session: Session, actor: Actor, unit_id: int, year: int | str, lang: str = "zh-CN", today: dt.date | None = None
) -> bytes:
    """The year-end summary (年度工作总结): 一、主要成绩, 二、存在问题, 三、今后努力方向."""
    data = year_data(session, actor, unit_id, year, today)
    doc = WordDoc(lang, t("report.year_title", lang, unit=data.unit_name(lang), year=data.year))
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
        on_time_rate=formatting.pct(data.on_time_rate),
    )
    if data.partial and data.last_month:
        text = t("report.year_until", lang, month=month_label(data.last_month, lang)) + text
    return text


def _month_cells(row: MonthRow, lang: str) -> list[str]:
    return [
        month_label(row.month, lang),
        str(row.total),
        str(row.done),
        formatting.pct(row.rate),
        report_status(row.status, lang),
        formatting.when(row.submitted_at),
        _on_time(row.on_time, lang),
    ]


# --------------------------------------------------------------------------- Excel


def monthly_report_xlsx(
    session: Session, actor: Actor, unit_id: int, month: str, lang: str = "zh-CN", today: dt.date | None = None
) -> bytes:
    """The month's report as a workbook: 概况, 完成情况, 存在问题, 下月计划."""
    data = month_data(session, actor, unit_id, month, today)
    info, book = data.report, Book()
    figures: list[tuple[str, Any]] = [
        (t("report.col.unit", lang), data.unit_name(lang)),
        (t("report.col.month", lang), month_label(data.month, lang)),
        (t("report.col.report_status", lang), report_status(info.display_status(data.today), lang)),
        (t("report.col.due", lang), formatting.date(info.due_date)),
        (t("report.col.submitted_at", lang), formatting.when(info.submitted_at)),
        (t("report.col.on_time", lang), _on_time(info.on_time, lang)),
        (t("report.col.planned", lang), data.total),
        (t("report.col.done", lang), data.done_count),
        (t("report.col.unfinished", lang), len(data.unfinished)),
        (t("report.col.rate", lang), formatting.fraction(data.rate)),
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
    ws.cell(rate_row, 2).number_format = formatting.PERCENT_FORMAT
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
            formatting.date(i.due_date),
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
        formatting.date(item.due_date),
        formatting.date(item.completed_on),
        item.notes,
        t("io.true", lang) if item.carried_over else "",
    ]


def year_summary_xlsx(
    session: Session, actor: Actor, unit_id: int, year: int | str, lang: str = "zh-CN", today: dt.date | None = None
) -> bytes:
    """The year-end summary as a workbook: 概况, 逐月情况, 成绩, 存在问题, 今后努力方向."""
    data, book = year_data(session, actor, unit_id, year, today), Book()
    figures: list[tuple[str, Any]] = [
        (t("report.col.unit", lang), data.unit_name(lang)),
        (t("report.col.year", lang), data.year),
        (t("report.col.planned", lang), data.total),
        (t("report.col.done", lang), data.done_count),
        (t("report.col.rate", lang), formatting.fraction(data.rate)),
        (t("report.col.expected", lang), data.expected),
        (t("report.col.reported", lang), len(data.reported)),
        (t("report.col.on_time_count", lang), data.on_time_count),
        (t("report.col.late_count", lang), data.late_count),
        (t("report.col.missing", lang), data.missing_count),
        (t("report.col.on_time_rate", lang), formatting.fraction(data.on_time_rate)),
        (t("report.col.updates", lang), data.updates),
    ]
    ws = book.sheet(
        t("report.sheet.overview", lang), [t("report.col.figure", lang), t("report.col.value", lang)], figures, (22, 40)
    )
    for row, (key, _) in enumerate(figures, 2):
        if key in (t("report.col.rate", lang), t("report.col.on_time_rate", lang)):
            ws.cell(row, 2).number_format = formatting.PERCENT_FORMAT
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
                formatting.fraction(m.rate),
                report_status(m.status, lang),
                formatting.date(m.due_date),
                formatting.when(m.submitted_at),
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
        [
            [_area(a.area, lang), a.planned, a.done, formatting.fraction(a.rate), _quantities(a, lang)]
            for a in data.areas
        ],
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


def build_report(session: Session, actor: Actor, request: ReportRequest) -> bytes:
    """The manifest's entry point for ``python -m portal report month|year``."""
    if request.unit_id is None or request.period is None:
        raise ReportError("report.error.period", value=request.period or "")
    return build(session, actor, request.unit_id, request.period, request.fmt, request.lang)
