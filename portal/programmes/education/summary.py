"""The campaign summary (活动总结): a Word document with the campaign's dates and units,
activity counts by type, people reached, materials, a short narrative drafted from the
figures (the head edits it in Word) and a few photos with captions; an Excel book with the
table per unit and the activities. Seen through the actor's scope, like the board; also
``python -m portal report campaign --id ID --format docx|xlsx -o FILE``.

The photos are the ones the head chose (``choose``: up to six of the campaign's activity
photos, each with a caption, kept on the campaign as ``summary_photos``), else the first
photo of each of the first few activities."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Attachment, HeActivity, HeCampaign, OrgUnit
from portal import clock
from portal.apps import ReportRequest
from portal.documents.excel import Book
from portal.documents.word import WordDoc
from portal.errors import FieldError, NotFound, PermissionDenied, ValidationError
from portal.i18n import t
from portal.org.scope import Actor
from portal.programmes.education import campaigns as ec
from portal.programmes.education import specs as es
from portal.records import service as records
from portal.records.fields import CONTROL_RE

PHOTOS = 4  # the handful of photos the summary carries when the head chose none
CHOSEN_MAX = 6  # how many the head may choose
CAPTION_MAX = 200


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


@dataclass(frozen=True)
class Candidate:
    """A photo of one of the campaign's activities, which the head may choose for the summary."""

    id: int  # the attachment
    activity_id: int
    date: dt.date
    unit: str
    title: str
    caption: str  # the caption it was uploaded with

    @property
    def label(self) -> str:
        """The default caption in the summary document (which is written in Chinese)."""
        return self.label_in("zh-CN")

    def label_in(self, lang: str) -> str:
        colon = ": " if lang == "en" else "："
        return f"{self.date.isoformat()} {self.unit} {self.title}" + (f"{colon}{self.caption}" if self.caption else "")


def candidates(session: Session, actor: Actor, campaign_id: int, lang: str = "zh-CN") -> list[Candidate]:
    """Every live photo of the campaign's activities the actor sees, by activity date."""
    board = ec.board(session, actor, campaign_id, clock.today(), lang)
    return _candidates(session, board)


def _candidates(session: Session, board: ec.Board) -> list[Candidate]:
    by_id = {a.id: a for a in board.activities}
    if not by_id:
        return []
    rows = session.execute(
        select(Attachment.id, Attachment.record_id, Attachment.caption)
        .where(
            Attachment.record_type == es.HeActivitySpec.slug,
            Attachment.record_id.in_(list(by_id)),
            Attachment.field == "photos",
            Attachment.deleted_at.is_(None),
        )
        .order_by(Attachment.id)
    ).all()
    found = [
        Candidate(aid, rid, by_id[rid].date, by_id[rid].unit, by_id[rid].title, cap or "") for aid, rid, cap in rows
    ]
    order = {a.id: n for n, a in enumerate(board.activities)}
    return sorted(found, key=lambda c: (order[c.activity_id], c.id))


def chosen(campaign: HeCampaign) -> list[tuple[int, str]]:
    """The head's choice of photos, in order: (attachment id, caption); [] when none."""
    try:
        picks = json.loads(campaign.summary_photos or "[]")
    except ValueError:
        return []
    if not isinstance(picks, list):
        return []
    return [
        (int(p["id"]), str(p.get("caption") or ""))
        for p in picks
        if isinstance(p, dict) and isinstance(p.get("id"), int)
    ]


def choose(
    session: Session,
    actor: Actor,
    campaign_id: int,
    picks: list[tuple[int, str]],
    expected_version: int | None = None,
) -> HeCampaign:
    """Keep the photos (attachment id, caption) the summary carries, in order: at most
    CHOSEN_MAX, each a photo of one of the campaign's activities the actor sees. Only the
    organising unit or a unit above it chooses; an empty choice goes back to the automatic
    one. One audited update of the campaign (refused once it is summarised, like any edit)."""
    campaign = ec.get(session, actor, campaign_id)
    if not ec.steers(session, actor, campaign):
        raise PermissionDenied("error.permission")
    unique: dict[int, str] = {}
    for attachment_id, caption in picks:
        unique.setdefault(int(attachment_id), CONTROL_RE.sub(" ", caption or "").strip())
    errors: list[FieldError] = []
    if len(unique) > CHOSEN_MAX:
        errors.append(FieldError("summary_photos", "education.error.too_many_photos", {"max": CHOSEN_MAX}))
    allowed = {c.id for c in candidates(session, actor, campaign_id)}
    if set(unique) - allowed:
        errors.append(FieldError("summary_photos", "education.error.photo_not_in_campaign"))
    if any(len(c) > CAPTION_MAX for c in unique.values()):
        errors.append(FieldError("summary_photos", "education.error.caption_long", {"max": CAPTION_MAX}))
    if errors:
        raise ValidationError(errors)
    value = json.dumps([{"id": i, "caption": c} for i, c in unique.items()], ensure_ascii=False) if unique else None
    updated: HeCampaign = records.update(
        session, actor, es.CampaignSpec, campaign.id, {}, expected_version, system={"summary_photos": value}
    )
    return updated


def _photos(session: Session, board: ec.Board) -> list[tuple[bytes, str]]:
    """The head's chosen photos with their captions (those the actor sees), else the first
    photo of each of the first few activities."""
    found = {c.id: c for c in _candidates(session, board)}
    picks = [(found[i], caption) for i, caption in chosen(board.campaign) if i in found]
    if not picks:
        seen: set[int] = set()
        for c in found.values():  # one photo per activity, the first few activities
            if c.activity_id not in seen and len(picks) < PHOTOS:
                seen.add(c.activity_id)
                picks.append((c, ""))
    data = dict(
        session.execute(select(Attachment.id, Attachment.data).where(Attachment.id.in_([c.id for c, _ in picks]))).all()
    )
    return [(data[c.id], caption or c.label) for c, caption in picks]


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
