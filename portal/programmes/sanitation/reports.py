"""Sanitation's documents, for the notice board and the unit inspected (no Streamlit here):

* rectification_notice  整改通知书 (.docx) of one inspection: the zone and its unit, when and
  how it was inspected, the score, every deduction with its note, the photos' captions, and
  each problem raised with its deadline;
* ranking_document      a period's ranking (.docx for the notice board, .xlsx): rank (ties
  shown as ties), zone, unit, inspections, mean score, and the red flag; by groups on
  request (a group column; a section per group in Word).

Both are read through the actor's scope, like the page; the CLI offers them through the
manifest (``python -m portal report rectification-notice --inspection ID`` and
``sanitation-ranking --campaign ID [--grouped]``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OrgUnit, SanitationCampaign, SanitationItemScore, SanitationRectification
from portal import formatting, i18n
from portal.apps import ReportRequest
from portal.documents.excel import Book
from portal.documents.word import WordDoc
from portal.errors import PortalError
from portal.i18n import t
from portal.org.scope import Actor
from portal.programmes.sanitation import specs as sp
from portal.programmes.sanitation import view as sv
from portal.records import attachments
from portal.records import service as records

FORMATS = ("docx", "xlsx")


class SanitationReportError(PortalError):
    """A document asked for in a format it does not come in."""


def _unit_name(session: Session, unit_id: int | None, lang: str) -> str:
    unit = session.get(OrgUnit, unit_id) if unit_id is not None else None
    return i18n.label(lang, unit.name_zh, unit.name_en) if unit is not None else "—"


def _points(value: float | None) -> str:
    return "—" if value is None else formatting.number(value)


def rectification_notice(
    session: Session, actor: Actor, inspection_id: int, fmt: str = "docx", lang: str = "zh-CN"
) -> bytes:
    """整改通知书 for one inspection (out of scope reads as not found)."""
    if fmt != "docx":
        raise SanitationReportError("sanitation.doc.bad_format_docx", value=fmt)
    current = sv.sheet(session, actor, inspection_id)
    inspection = current.inspection
    unit = _unit_name(session, inspection.org_unit_id, lang)
    kinds = sp.InspectionSpec.field("inspection_type")
    scored = {
        s.item_id: s
        for s in session.scalars(
            select(SanitationItemScore).where(
                SanitationItemScore.inspection_id == inspection.id, SanitationItemScore.deleted_at.is_(None)
            )
        )
    }
    lost = []
    for item in current.items:
        row = scored.get(item.id)
        if row is None or row.score >= (row.max_points if row.max_points is not None else item.max_points):
            continue
        top = row.max_points if row.max_points is not None else item.max_points
        criterion = row.criterion or item.criterion
        lost.append([criterion, _points(top), _points(row.score), _points(top - row.score), row.note or ""])
    problems = list(
        session.scalars(
            records.scoped(sp.RectificationSpec, actor, session=session)
            .where(SanitationRectification.inspection_id == inspection.id)
            .order_by(SanitationRectification.due_date, SanitationRectification.id)
        )
    )
    shot = attachments.photos(session, actor, sp.InspectionSpec.slug, inspection.id)
    captions = [p.caption for p in shot if p.caption]
    doc = WordDoc(lang, t("sanitation.doc.notice_title", lang))
    doc.para(t("sanitation.doc.notice_to", lang, unit=unit), indent=False, bold=True)
    doc.para(
        t(
            "sanitation.doc.notice_intro",
            lang,
            date=formatting.date(inspection.inspection_date),
            kind=kinds.choice_label(inspection.inspection_type, lang),
            zone=current.zone,
            score=_points(inspection.score),
            max=_points(inspection.max_score if inspection.max_score is not None else current.max_total),
        )
    )
    doc.para(t("sanitation.doc.checklist", lang, name=current.checklist, n=current.version_no), indent=False)
    doc.heading(t("sanitation.doc.deductions", lang))
    if lost:
        doc.table(
            [
                t("sanitation.doc.col.criterion", lang),
                t("sanitation.doc.col.max", lang),
                t("sanitation.doc.col.score", lang),
                t("sanitation.doc.col.lost", lang),
                t("sanitation.doc.col.note", lang),
            ],
            lost,
            [6.0, 1.6, 1.6, 1.6, 4.2],
        )
    else:
        doc.para(t("sanitation.doc.no_deductions", lang))
    doc.heading(t("sanitation.doc.problems", lang))
    doc.numbered(
        [t("sanitation.doc.problem", lang, text=p.description, due=formatting.date(p.due_date)) for p in problems],
        t("sanitation.doc.no_problems", lang),
    )
    if captions:
        doc.heading(t("sanitation.doc.photos", lang))
        doc.numbered(captions, "")
    doc.para(t("sanitation.doc.notice_ask", lang))
    if inspection.inspector:
        doc.right(t("sanitation.doc.inspector", lang, name=inspection.inspector))
    doc.right(formatting.date(inspection.inspection_date))
    return doc.bytes()


def ranking_document(
    session: Session,
    actor: Actor,
    campaign_id: int,
    start: dt.date | None = None,
    end: dt.date | None = None,
    fmt: str = "docx",
    lang: str = "zh-CN",
    grouped: bool = False,
) -> bytes:
    """A period's ranking (the whole campaign when no period is given). ``grouped``: ranked
    within each unit below the campaign's unit, as the ranking tab's toggle shows it: the
    workbook gets a group column, the Word file a section per group with its own flag."""
    if fmt not in FORMATS:
        raise SanitationReportError("sanitation.doc.bad_format", value=fmt)
    campaign: SanitationCampaign = records.get(session, actor, sp.CampaignSpec, campaign_id)
    start, end = start or campaign.start_date, end or campaign.end_date
    result = sv.ranking(session, actor, campaign.id, start, end, grouped=grouped)
    ids = {r.unit_id for r in result.rows} | {r.group_id for r in result.rows if r.group_id is not None}
    units = sv.unit_names(session, ids, lang)
    headers = [
        t("sanitation.rank.col.rank", lang),
        t("sanitation.rank.col.zone", lang),
        t("sanitation.rank.col.unit", lang),
        t("sanitation.rank.col.count", lang),
        t("sanitation.rank.col.mean", lang),
        t("sanitation.rank.col.flag", lang),
    ]
    rows = [_ranking_row(r, units, lang) for r in result.rows]
    title = t("sanitation.doc.ranking_title", lang, campaign=campaign.name)
    period = t("sanitation.doc.period", lang, start=formatting.date(start), end=formatting.date(end))
    holders = result.holders
    if holders and grouped:
        names = (f"{units.get(h.group_id or 0, '')} · {h.zone}" for h in holders)
        flag = t("sanitation.rank.flag_groups", lang, zones=i18n.join(names, lang))
    elif holders:
        flag = t("sanitation.doc.flag", lang, zones=i18n.join((h.zone for h in holders), lang))
    else:
        flag = t("sanitation.rank.no_flag", lang)
    if fmt == "xlsx":
        book = Book()
        columns = [10, 24, 24, 10, 10, 8]
        if grouped:
            headers = [t("sanitation.rank.col.group", lang), *headers]
            rows = [[units.get(r.group_id or 0, ""), *row] for r, row in zip(result.rows, rows, strict=True)]
            columns = [20, *columns]
        ws = book.sheet(t("sanitation.doc.ranking_sheet", lang), headers, rows, columns)
        ws.insert_rows(1, 3)
        ws["A1"], ws["A2"], ws["A3"] = title, period, flag
        ws.freeze_panes = "A5"
        return book.bytes()
    doc = WordDoc(lang, title)
    doc.para(period, center=True)
    doc.para(flag, bold=True, indent=False)
    widths = [1.8, 4.2, 4.2, 1.8, 1.8, 1.2]
    if grouped:  # a section per group, each with its own ranks and flag
        sections: dict[int | None, list[list[object]]] = {}
        for r, row in zip(result.rows, rows, strict=True):
            sections.setdefault(r.group_id, []).append(row)
        for group, members in sections.items():
            doc.heading(t("sanitation.doc.group", lang, group=units.get(group or 0, "")))
            doc.table(headers, members, widths)
    else:
        doc.table(headers, rows, widths)
    doc.right(t("sanitation.rank.rule", lang))
    if campaign.missed_rule != "ignore" or any(r.missed for r in result.rows):  # the schedules' rule, as on the page
        doc.right(
            t(f"sanitation.rank.missed.{campaign.missed_rule}", lang, score=formatting.number(campaign.missed_score))
        )
    weights = weights_text(campaign.type_weights, lang)
    if weights:
        doc.right(t("sanitation.rank.weights", lang, weights=weights))
    return doc.bytes()


def weights_text(declared: str | None, lang: str) -> str:
    """The campaign's weights by inspection type as a sentence's part ("每周大检查 × 2、…"), or ""."""
    weights, _ = sp.parse_weights(declared)
    kinds = sp.InspectionSpec.field("inspection_type")
    return i18n.join((f"{kinds.choice_label(c, lang)} × {formatting.number(w)}" for c, w in weights.items()), lang)


def _ranking_row(r: sv.RankRow, units: dict[int, str], lang: str) -> list[object]:
    return [
        t("sanitation.rank.unranked", lang)
        if r.rank is None
        else f"{r.rank}{t('sanitation.rank.tied', lang) if r.tied else ''}",
        r.zone,
        units.get(r.unit_id, ""),
        r.inspections,
        "—" if r.mean is None else formatting.number(r.mean),
        "★" if r.flag else "",
    ]


def build_notice(session: Session, actor: Actor, request: ReportRequest) -> bytes:
    """The manifest's entry for ``python -m portal report rectification-notice --inspection ID``."""
    return rectification_notice(session, actor, int(request.record_id or 0), request.fmt, request.lang)


def build_ranking(session: Session, actor: Actor, request: ReportRequest) -> bytes:
    """The manifest's entry for ``python -m portal report sanitation-ranking --campaign ID``
    (``--grouped``: ranked by groups)."""
    return ranking_document(
        session,
        actor,
        int(request.record_id or 0),
        fmt=request.fmt,
        lang=request.lang,
        grouped="grouped" in request.switches,
    )
