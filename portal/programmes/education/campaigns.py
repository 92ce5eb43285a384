"""Health-education campaigns (健康教育专题活动): launching one from a theme day, and its board.

- ``launch``: a head turns a theme day's occurrence into a campaign, pre-filled with the
  day's name, topics and activity types; the campaign runs from a week before a one-day
  theme day to a week after it (longer days and months keep their own dates); every unit
  directly below the head's unit gets a goal row with the default goals. One save through
  the engine: the campaign and its goals audited together.
- ``board``: per goal unit, activities done against the goal, people reached and materials
  handed out, the activities without a photo (evidence missing) and whether the unit is
  behind (fewer activities than the goal × the share of the period gone). The actor's scope
  applies: a township sees its own goal row and its own activities only.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import HeActivity, HeCampaign, HeCampaignGoal, HeCampaignPlan, OrgUnit, ThemeDay
from portal.errors import NotFound, PermissionDenied
from portal.org import themedays
from portal.org.scope import Actor
from portal.programmes.education import specs as es
from portal.records import attachments
from portal.records import service as records
from portal.records.grid import RowChange

LEAD_DAYS = 7  # a one-day theme day's campaign starts a week before it and ends a week after
DEFAULT_GOALS = {"activities_goal": 2, "people_goal": 200, "materials_goal": 300}
# Units that take part (get goals): the health centres, clinics and schools, not the bureau's offices
PARTICIPANTS = ("township_hc", "village_clinic", "school", "class", "other")


def campaign_dates(rule: Any, year: int) -> tuple[dt.date, dt.date]:
    start, end = themedays.occurrence(rule, year)
    if (end - start).days + 1 < LEAD_DAYS:
        return start - dt.timedelta(days=LEAD_DAYS), end + dt.timedelta(days=LEAD_DAYS)
    return start, end


def theme_day(session: Session, code: str) -> ThemeDay:
    found = session.scalar(select(ThemeDay).where(ThemeDay.code == code, ThemeDay.deleted_at.is_(None)))
    if found is None:
        themedays.ensure_builtin(session)
        found = session.scalar(select(ThemeDay).where(ThemeDay.code == code, ThemeDay.deleted_at.is_(None)))
    if found is None:
        raise NotFound("error.not_found")
    return found


def units_below(session: Session, unit_id: int) -> list[OrgUnit]:
    return list(
        session.scalars(
            select(OrgUnit)
            .where(OrgUnit.parent_id == unit_id, OrgUnit.deleted_at.is_(None), OrgUnit.type.in_(PARTICIPANTS))
            .order_by(OrgUnit.path, OrgUnit.id)
        )
    )


@dataclass(frozen=True)
class Draft:
    """What a launch would make: the organiser, the name, the period and the units below
    that get goal rows (the launch form shows it before the head presses the button)."""

    organiser: int
    day: ThemeDay
    name: str
    start: dt.date
    end: dt.date
    units: list[OrgUnit]


def draft(
    session: Session, actor: Actor, theme_day_code: str, year: int, unit_id: int | None = None, lang: str = "zh-CN"
) -> Draft:
    """What launching would make. The name is written in the launcher's language, as
    anything they would have typed themselves."""
    if actor.role not in es.HEADS:
        raise PermissionDenied("error.permission")
    organiser = unit_id if unit_id is not None else actor.org_unit_id
    if organiser is None:  # an admin without a unit: the top of the tree
        organiser = session.scalar(
            select(OrgUnit.id).where(OrgUnit.parent_id.is_(None), OrgUnit.deleted_at.is_(None)).order_by(OrgUnit.id)
        )
    if organiser is None:
        raise NotFound("error.not_found")
    day = theme_day(session, theme_day_code)
    start, end = campaign_dates(day, year)
    name = (
        f"{year} {day.name_en} health-education campaign" if lang == "en" else f"{year}年{day.name_zh}健康教育专题活动"
    )
    return Draft(organiser, day, name, start, end, units_below(session, organiser))


def launch(
    session: Session,
    actor: Actor,
    theme_day_code: str,
    year: int,
    unit_id: int | None = None,
    goals: dict[str, int] | None = None,
    lang: str = "zh-CN",
) -> HeCampaign:
    """A campaign for a theme day's occurrence in a year, organised by the actor's unit (or
    ``unit_id``, in the actor's scope), with a goal row for each unit directly below."""
    plan = draft(session, actor, theme_day_code, year, unit_id, lang)
    defaults = {**DEFAULT_GOALS, **(goals or {})}
    rows = [RowChange(values={"org_unit_id": u.id, **defaults}, label=u.name_zh) for u in plan.units]
    campaign: HeCampaign = records.save(
        session,
        actor,
        es.CampaignSpec,
        None,
        {
            "org_unit_id": plan.organiser,
            "name": plan.name,
            "theme_day_id": plan.day.id,
            "start_date": plan.start,
            "end_date": plan.end,
            "topics": plan.day.topics_zh or None,
            "activity_types": plan.day.activity_types or None,
        },
        children={es.CampaignGoalSpec.slug: rows} if rows else None,
    )
    return campaign


def launched(session: Session, unit_id: int, code: str, day: dt.date) -> bool:
    """Whether the unit already organises a campaign for this occurrence of the theme day
    (one whose period holds the day)."""
    found = session.scalar(
        select(HeCampaign.id)
        .join(ThemeDay, ThemeDay.id == HeCampaign.theme_day_id)
        .where(
            HeCampaign.deleted_at.is_(None),
            HeCampaign.org_unit_id == unit_id,
            ThemeDay.code == code,
            HeCampaign.start_date <= day,
            HeCampaign.end_date >= day,
        )
        .limit(1)
    )
    return found is not None


def visible(session: Session, actor: Actor, states: tuple[str, ...] | None = None) -> list[HeCampaign]:
    """Campaigns on the actor's line of the tree (organised at, above or below the actor's
    unit), newest first."""
    stmt = select(HeCampaign).where(HeCampaign.deleted_at.is_(None))
    if not actor.sees_everything:
        stmt = stmt.where(HeCampaign.org_unit_id.in_(select(OrgUnit.id).where(es.on_line(actor.org_path))))
    if states:
        stmt = stmt.where(HeCampaign.status.in_(states))
    return list(session.scalars(stmt.order_by(HeCampaign.start_date.desc(), HeCampaign.id.desc())))


def steers(session: Session, actor: Actor, campaign: HeCampaign) -> bool:
    """The organising unit or a unit above it (or an admin) runs the campaign's steps."""
    if actor.role not in es.HEADS:
        return False
    try:
        es.organiser_guard(session, actor, campaign)
    except PermissionDenied:
        return False
    return True


def get(session: Session, actor: Actor, campaign_id: int) -> HeCampaign:
    campaign = session.get(HeCampaign, campaign_id)
    if campaign is None or campaign.deleted_at is not None or campaign not in visible(session, actor):
        raise NotFound("error.not_found")
    return campaign


@dataclass
class Evidence:
    """A campaign activity and whether it carries a photo."""

    id: int
    date: dt.date
    unit: str
    title: str
    participants: int
    photos: int


@dataclass
class BoardRow:
    unit_id: int
    unit: str
    activities_goal: int
    activities: int
    people_goal: int
    people: int
    materials_goal: int
    materials: int
    missing_photos: int
    expected: int  # activities expected by today (the goal × the share of the period gone, rounded)
    planned: int = 0  # activities the unit (and the units below it) planned

    @property
    def behind(self) -> bool:
        return self.activities < self.expected

    @property
    def reach_pct(self) -> float | None:
        return round(self.people * 100 / self.people_goal, 1) if self.people_goal else None


@dataclass
class Board:
    campaign: HeCampaign
    rows: list[BoardRow] = field(default_factory=list)
    activities: list[Evidence] = field(default_factory=list)

    @property
    def missing(self) -> list[Evidence]:
        return [a for a in self.activities if not a.photos]

    @property
    def covered(self) -> int:
        return sum(1 for r in self.rows if r.activities)

    def total(self, key: str) -> int:
        return sum(int(getattr(r, key)) for r in self.rows)


def board(session: Session, actor: Actor, campaign_id: int, today: dt.date, lang: str = "zh-CN") -> Board:
    campaign = get(session, actor, campaign_id)
    goals = list(
        session.scalars(
            records.scoped(es.CampaignGoalSpec, actor, session=session).where(HeCampaignGoal.campaign_id == campaign.id)
        )
    )
    acts = list(
        session.scalars(
            records.scoped(es.HeActivitySpec, actor, session=session)
            .where(HeActivity.campaign_id == campaign.id)
            .order_by(HeActivity.activity_date, HeActivity.id)
        )
    )
    unit_ids = {g.org_unit_id for g in goals} | {a.org_unit_id for a in acts}
    units = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))} if unit_ids else {}
    photos = attachments.count(session, es.HeActivitySpec.slug, [a.id for a in acts], "photos")
    share = es.elapsed(campaign, today)

    def name(unit_id: int) -> str:
        unit = units.get(unit_id)
        if unit is None:
            return ""
        return (unit.name_en or unit.name_zh) if lang == "en" else unit.name_zh

    rows: dict[int, BoardRow] = {}
    goal_paths: list[tuple[str, int]] = []
    for g in sorted(goals, key=lambda g: units[g.org_unit_id].path):
        rows[g.org_unit_id] = BoardRow(
            g.org_unit_id,
            name(g.org_unit_id),
            g.activities_goal or 0,
            0,
            g.people_goal or 0,
            0,
            g.materials_goal or 0,
            0,
            0,
            math.floor((g.activities_goal or 0) * share + 0.5),
        )
        goal_paths.append((units[g.org_unit_id].path, g.org_unit_id))
    goal_paths.sort(key=lambda p: -len(p[0]))  # the nearest goal unit above an activity's unit
    plans = session.execute(
        records.scoped(es.CampaignPlanSpec, actor, session=session)
        .where(HeCampaignPlan.campaign_id == campaign.id)
        .join(OrgUnit, OrgUnit.id == HeCampaignPlan.org_unit_id)
        .with_only_columns(OrgUnit.path)
    ).scalars()
    for plan_path in plans:
        planner = next((uid for p, uid in goal_paths if plan_path.startswith(p)), None)
        if planner is not None:
            rows[planner].planned += 1
    evidence = []
    for a in acts:
        n = photos.get(a.id, 0)
        evidence.append(Evidence(a.id, a.activity_date, name(a.org_unit_id), a.title, a.participants or 0, n))
        path = units[a.org_unit_id].path
        owner = next((uid for p, uid in goal_paths if path.startswith(p)), None)
        if owner is None:
            continue
        row = rows[owner]
        row.activities += 1
        row.people += a.participants or 0
        row.materials += a.materials_given or 0
        row.missing_photos += 0 if n else 1
    return Board(campaign, list(rows.values()), evidence)


@dataclass(frozen=True)
class UnitActivity:
    """One activity of a unit (or a unit below it) in a campaign, for the board's drill-down."""

    id: int
    date: dt.date
    unit: str
    kind: str  # the activity type, in words
    title: str
    participants: int
    photos: int

    @property
    def has_photo(self) -> bool:
        return self.photos > 0


def unit_activities(
    session: Session, actor: Actor, campaign_id: int, unit_id: int, lang: str = "zh-CN"
) -> list[UnitActivity]:
    """A goal unit's activities in the campaign (its own and those of the units below it),
    oldest first: date, type, title, people reached and whether a photo is there. Seen
    through the actor's scope, like the board: a township asking about another gets nothing."""
    campaign = get(session, actor, campaign_id)
    unit = session.get(OrgUnit, unit_id)
    if unit is None or unit.deleted_at is not None:
        raise NotFound("error.not_found")
    acts = list(
        session.scalars(
            records.scoped(es.HeActivitySpec, actor, session=session)
            .where(
                HeActivity.campaign_id == campaign.id,
                HeActivity.org_unit_id.in_(
                    select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))
                ),
            )
            .order_by(HeActivity.activity_date, HeActivity.id)
        )
    )
    if not acts:
        return []
    names = {
        uid: ((en or zh) if lang == "en" else zh)
        for uid, zh, en in session.execute(
            select(OrgUnit.id, OrgUnit.name_zh, OrgUnit.name_en).where(OrgUnit.id.in_({a.org_unit_id for a in acts}))
        )
    }
    kinds = es.HeActivitySpec.field("activity_type")
    photos = attachments.count(session, es.HeActivitySpec.slug, [a.id for a in acts], "photos")
    return [
        UnitActivity(
            a.id,
            a.activity_date,
            names.get(a.org_unit_id, ""),
            kinds.choice_label(a.activity_type, lang),
            a.title,
            a.participants or 0,
            photos.get(a.id, 0),
        )
        for a in acts
    ]


def running_for_unit(session: Session, actor: Actor) -> list[tuple[HeCampaign, HeCampaignGoal]]:
    """The running campaigns with a goal for the actor's unit or a unit above it."""
    if actor.org_unit_id is None:
        return []
    lines = select(OrgUnit.id).where(OrgUnit.path.in_(es.ancestors(actor.org_path)))
    rows = session.execute(
        select(HeCampaign, HeCampaignGoal)
        .join(HeCampaignGoal, HeCampaignGoal.campaign_id == HeCampaign.id)
        .where(
            HeCampaign.deleted_at.is_(None),
            HeCampaign.status == "running",
            HeCampaignGoal.deleted_at.is_(None),
            HeCampaignGoal.org_unit_id.in_(lines),
        )
        .order_by(HeCampaign.end_date, HeCampaign.id)
    )
    return [(c, g) for c, g in rows]


@dataclass(frozen=True)
class Stock:
    unit: str
    kind: str
    received: int
    handed_out: int

    @property
    def left(self) -> int:
        return self.received - self.handed_out


def stock(session: Session, actor: Actor, lang: str = "zh-CN") -> list[Stock]:
    """The materials stock per unit and kind, in the actor's scope."""
    rows = records.scoped(es.MaterialSpec, actor, session=session).subquery()
    stmt = (
        select(OrgUnit.name_zh, OrgUnit.name_en, rows.c.kind, func.sum(rows.c.received), func.sum(rows.c.handed_out))
        .join(OrgUnit, OrgUnit.id == rows.c.org_unit_id)
        .group_by(OrgUnit.path, OrgUnit.name_zh, OrgUnit.name_en, rows.c.kind)
        .order_by(OrgUnit.path, rows.c.kind)
    )
    return [
        Stock((en or zh) if lang == "en" else zh, kind, int(got or 0), int(out or 0))
        for zh, en, kind, got, out in session.execute(stmt)
    ]
