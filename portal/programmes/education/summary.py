"""The campaign summary (活动总结): a Word document with the campaign's dates and units,
activity counts by type, people reached, materials, a short narrative drafted from the
figures (the head edits it in Word) and a few photos with captions; an Excel book with the
table per unit and the activities. Seen through the actor's scope, like the board; also
``python -m portal report campaign --id ID --format docx|xlsx -o FILE``."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Attachment, HeActivity, OrgUnit
from portal import clock
from portal.apps import ReportRequest
from portal.documents.excel import Book
from portal.documents.word import WordDoc
from portal.errors import NotFound
from portal.i18n import t
from portal.org.scope import Actor
from portal.programmes.education import campaigns as ec
from portal.programmes.education import specs as es

PHOTOS = 4  # the handful of photos the summary carries


def narrative(board: ec.Board, lang: str) -> str:
    rows = board.rows
    behind = [r.unit for r in rows if r.behind]
    text = t(
        "education.summary.narrative",
        lang,
        units=len(rows),
        covered=board.covered,
        activities=len(board.activities),
        people=board.total("people"),
        people_goal=board.total("people_goal"),
        materials=board.total("materials"),
        photos=len(board.activities) - len(board.missing),
    )
    if behind:
        text += t("education.summary.behind", lang, units="、".join(behind))
    return text


def _by_type(session: Session, board: ec.Board, lang: str) -> list[tuple[str, int]]:
    ids = [a.id for a in board.activities]
    kinds = Counter(session.scalars(select(HeActivity.activity_type).where(HeActivity.id.in_(ids))) if ids else [])
    labels = {c.value: c.label(lang) for c in es.HeActivitySpec.field("activity_type").choices}
    return [(labels.get(kind, kind), n) for kind, n in kinds.most_common()]


def docx(session: Session, actor: Actor, campaign_id: int, lang: str) -> bytes:
    board = ec.board(session, actor, campaign_id, clock.today(), lang)
    c = board.campaign
    organiser = session.get(OrgUnit, c.org_unit_id)
    doc = WordDoc(lang, t("education.summary.title", lang, name=c.name))
    doc.para(
        t(
            "education.summary.when",
            lang,
            start=c.start_date.isoformat(),
            end=c.end_date.isoformat(),
            organiser=organiser.name_zh if organiser else "",
            topics=c.topics or "—",
        )
    )
    doc.heading(t("education.summary.h.overview", lang))
    doc.para(c.summary or narrative(board, lang))
    doc.heading(t("education.summary.h.units", lang))
    doc.table(
        [
            t("education.campaign.col.unit", lang),
            t("education.campaign.col.activities_goal", lang),
            t("education.campaign.col.activities", lang),
            t("education.campaign.col.people_goal", lang),
            t("education.campaign.col.people", lang),
            t("education.campaign.col.materials", lang),
            t("education.campaign.col.missing", lang),
        ],
        [
            [r.unit, r.activities_goal, r.activities, r.people_goal, r.people, r.materials, r.missing_photos]
            for r in board.rows
        ],
        [3.6, 1.9, 1.9, 2.0, 2.0, 2.0, 1.9],
    )
    doc.heading(t("education.summary.h.types", lang))
    doc.table(
        [t("education.summary.type", lang), t("education.summary.count", lang)],
        _by_type(session, board, lang),
        [6.0, 3.0],
    )
    doc.heading(t("education.summary.h.photos", lang))
    shown = _photos(session, board)
    if not shown:
        doc.para(t("education.summary.no_photos", lang))
    for data, caption in shown:
        from docx.shared import Cm

        doc.doc.add_picture(io.BytesIO(data), width=Cm(9))
        doc.para(caption, center=True)
    return doc.bytes()


def _photos(session: Session, board: ec.Board) -> list[tuple[bytes, str]]:
    by_id = {a.id: a for a in board.activities}
    if not by_id:
        return []
    rows = session.execute(
        select(Attachment.record_id, Attachment.data, Attachment.caption)
        .where(
            Attachment.record_type == es.HeActivitySpec.slug,
            Attachment.record_id.in_(list(by_id)),
            Attachment.deleted_at.is_(None),
        )
        .order_by(Attachment.id)
    ).all()
    out: list[tuple[bytes, str]] = []
    seen: set[int] = set()
    for record_id, data, caption in rows:  # one photo per activity, the first few activities
        if record_id in seen:
            continue
        seen.add(record_id)
        a = by_id[record_id]
        out.append((data, f"{a.date.isoformat()} {a.unit} {a.title}" + (f"：{caption}" if caption else "")))
        if len(out) == PHOTOS:
            break
    return out


def xlsx(session: Session, actor: Actor, campaign_id: int, lang: str) -> bytes:
    board = ec.board(session, actor, campaign_id, clock.today(), lang)
    book = Book()
    book.sheet(
        t("education.summary.h.units", lang),
        [
            t("education.campaign.col.unit", lang),
            t("education.campaign.col.activities_goal", lang),
            t("education.campaign.col.activities", lang),
            t("education.campaign.col.people_goal", lang),
            t("education.campaign.col.people", lang),
            t("education.campaign.col.materials_goal", lang),
            t("education.campaign.col.materials", lang),
            t("education.campaign.col.missing", lang),
        ],
        [
            [
                r.unit,
                r.activities_goal,
                r.activities,
                r.people_goal,
                r.people,
                r.materials_goal,
                r.materials,
                r.missing_photos,
            ]
            for r in board.rows
        ],
        [22, 12, 12, 14, 12, 14, 12, 12],
    )
    book.sheet(
        t("education.summary.h.activities", lang),
        [
            t("education.campaign.col.date", lang),
            t("education.campaign.col.unit", lang),
            t("education.campaign.col.title", lang),
            t("education.campaign.col.people", lang),
            t("education.campaign.col.photos", lang),
        ],
        [[a.date.isoformat(), a.unit, a.title, a.participants, a.photos] for a in board.activities],
        [12, 22, 30, 12, 10],
    )
    return book.bytes()


def build(session: Session, actor: Actor, request: ReportRequest) -> bytes:
    if request.record_id is None:
        raise NotFound("error.not_found")
    make: Any = docx if request.fmt == "docx" else xlsx
    data: bytes = make(session, actor, int(request.record_id), request.lang)
    return data
