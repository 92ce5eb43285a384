"""What the sanitation page shows and does, outside Streamlit: the scoring sheet of an
inspection and its all-or-nothing save, raising a rectification, the ranking of a
campaign's zones over a period, the rotating red flag (流动红旗) with its history, and the
rectification list with its overdue flags. Every read goes through the actor's scope and
every write through the record engine.

The ranking rule, declared once (``RULE``) and shown on the page:
- a zone's score for a period is the mean of its inspection totals in that period, in the
  campaign (inspections not yet scored are left out);
- zones of the campaign's unit subtree that were not inspected in the period are listed
  last, unranked, and never hold the flag;
- equal means (to 0.01 point) share a rank (1, 1, 3: competition ranking);
- the red flag of a period goes to the zone ranked first; when several share first place
  they share the flag, and the page says so;
- ranked by groups (the units directly below the campaign's unit: villages within their
  township, classes within their grade), each group has its own ranks and its own flag;
- a scheduled inspection that was missed (its day, week or month ended without an
  inspection of that zone, of the schedule's type, in the campaign) counts as the campaign
  declares (``missed_rule``): ignored (the mean of what was done: the default, and the rule
  before schedules existed), as zero, or as a set score (``missed_score``), each missed one
  as one more inspection in the mean. It is counted in the period its own day, week or
  month ends in.

Schedules (检查安排) say when each zone is due: each working day of the office's calendar
(the one rectification deadlines count on), each ISO week or each calendar month (a week or
month with no working day in the schedule has no occurrence), clipped to the schedule and
its campaign. A rota's members take turns, one per occurrence, counted from the schedule's
first; a team's members are all on duty. An occurrence is done when the zone has an
inspection of the schedule's type in the campaign within its period (whoever did it), so a
daily 值周 check and the weekly big inspection of the same classroom are told apart.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from db.models import (
    OrgUnit,
    SanitationCampaign,
    SanitationChecklist,
    SanitationChecklistItem,
    SanitationInspection,
    SanitationItemScore,
    SanitationPublication,
    SanitationRectification,
    SanitationSchedule,
    SanitationZone,
)
from portal import clock, i18n, periods
from portal.errors import FieldError, NotFound, ValidationError
from portal.org import calendars
from portal.org.scope import SYSTEM, Actor
from portal.programmes.sanitation import specs as sp
from portal.records import service as records
from portal.records.grid import Cell, Pivot, RowChange, Saved

SHEET = Pivot(row="item_id", column="column", value="score", blank_deletes=False)
SCORE_COLUMN = "score"
PRECISION = 2  # means equal to 0.01 point are a tie


# -- the scoring sheet -------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetItem:
    id: int
    seq: int
    criterion: str
    category: str
    max_points: float
    step: float


@dataclass(frozen=True)
class Sheet:
    inspection: SanitationInspection
    zone: str
    items: list[SheetItem]
    cells: dict[tuple[int, str], Cell]
    checklist: str = ""
    version_no: int = 1  # the checklist version the inspection is scored with

    @property
    def max_total(self) -> float:
        return sum(i.max_points for i in self.items)


def sheet(session: Session, actor: Actor, inspection_id: int) -> Sheet:
    """An inspection's checklist items and the scores given so far (in the actor's scope)."""
    inspection: SanitationInspection = records.get(session, actor, sp.InspectionSpec, inspection_id)
    items = sheet_items(session, inspection.checklist_id)
    scores = session.scalars(
        select(SanitationItemScore).where(
            SanitationItemScore.inspection_id == inspection.id, SanitationItemScore.deleted_at.is_(None)
        )
    )
    cells = {(s.item_id, SCORE_COLUMN): Cell(s.id, s.version, s.score) for s in scores}
    zone = session.get_one(SanitationZone, inspection.zone_id)
    checklist = session.get_one(SanitationChecklist, inspection.checklist_id)
    return Sheet(inspection, zone.name, items, cells, checklist.name, checklist.version_no)


def sheet_items(session: Session, checklist_id: int) -> list[SheetItem]:
    """A checklist's live items in order (checklists are shared by every unit)."""
    return [
        SheetItem(i.id, i.seq, i.criterion, i.category or "", float(i.max_points), float(i.step or 1))
        for i in session.scalars(
            select(SanitationChecklistItem)
            .where(SanitationChecklistItem.checklist_id == checklist_id, SanitationChecklistItem.deleted_at.is_(None))
            .order_by(SanitationChecklistItem.seq, SanitationChecklistItem.id)
        )
    ]


def score_sheet(
    session: Session,
    actor: Actor,
    inspection_id: int,
    edits: Mapping[Any, Any],
    notes: Mapping[int, str | None] | None = None,
) -> Saved:
    """Save a scoring sheet: ``edits`` maps (item id, "score") — or an item id — to its
    points. Every row goes through the engine as the inspection's child rows, in one
    transaction: a score above its item's maximum refuses the whole sheet, naming the item,
    and nothing is saved. The inspection's total follows (audited)."""
    current = sheet(session, actor, inspection_id)
    labels = {i.id: i.criterion for i in current.items}
    wanted: dict[int, Any] = {}
    for key, value in edits.items():
        item_id = key[0] if isinstance(key, tuple) else key
        wanted[int(item_id)] = value
    changes: list[RowChange] = []
    for item_id in sorted(set(wanted) | set(notes or {}), key=lambda i: list(labels).index(i) if i in labels else i):
        if item_id not in labels:
            raise ValidationError([FieldError("item_id", "sanitation.error.item_not_on_checklist", {"item": item_id})])
        cell = current.cells.get((item_id, SCORE_COLUMN))
        values: dict[str, Any] = {}
        if item_id in wanted:
            values["score"] = wanted[item_id]
        if notes and item_id in notes:
            values["note"] = notes[item_id]
        if cell is None:
            if values.get("score") is None:
                continue
            changes.append(RowChange(values={"item_id": item_id, **values}, label=labels[item_id]))
        else:
            changes.append(RowChange(cell.id, cell.version, values, label=labels[item_id]))
    if not changes:
        return Saved()
    saved = Saved()
    batch: set[int] = session.info.setdefault(sp.BATCH, set())
    batch.add(inspection_id)
    try:
        records.save(session, actor, sp.InspectionSpec, inspection_id, {}, children={sp.ItemScoreSpec.slug: changes})
    finally:
        batch.discard(inspection_id)
    for change in changes:
        if change.id is None:
            saved.created += 1
        else:
            saved.updated += 1
    sp.rescore(session, actor, inspection_id)
    return saved


def full_marks(current: Sheet) -> dict[tuple[int, str], float]:
    """Every item at its maximum: where an inspector starts, then deducts."""
    return {(i.id, SCORE_COLUMN): i.max_points for i in current.items}


def live_total(current: Sheet, values: Mapping[tuple[Any, Any], Any]) -> float:
    return round(sum(float(values.get((i.id, SCORE_COLUMN)) or 0) for i in current.items), PRECISION)


# -- checklist versions ----------------------------------------------------------------------------

CHECKLIST_CONTENT = ("name", "target_type", "notes")  # what an inspection was scored against ("active" is not)
ITEM_FIELDS = ("seq", "criterion", "category", "max_points", "step")


@dataclass(frozen=True)
class ChecklistEdit:
    checklist_id: int  # the version now current (the same one when edited in place)
    version_no: int
    new_version: bool


@dataclass(frozen=True)
class ChecklistVersion:
    id: int
    name: str
    version_no: int
    active: bool
    used: bool
    items: list[SheetItem]
    lock: int  # the row's version, for the stale-edit check


def checklists(session: Session, actor: Actor) -> list[ChecklistVersion]:
    """The current version of every checklist (superseded ones stay with their inspections)."""
    found = session.scalars(
        records.scoped(sp.ChecklistSpec, actor, session=session)
        .where(SanitationChecklist.superseded_by_id.is_(None))
        .order_by(SanitationChecklist.name, SanitationChecklist.id)
    )
    return [
        ChecklistVersion(
            c.id,
            c.name,
            c.version_no,
            c.active,
            sp.checklist_used(session, c.id),
            sheet_items(session, c.id),
            c.version,
        )
        for c in found
    ]


def edit_checklist(
    session: Session,
    actor: Actor,
    checklist_id: int,
    raw: Mapping[str, Any],
    items: list[RowChange] | None = None,
    expected_version: int | None = None,
) -> ChecklistEdit:
    """Edit a checklist and its items (``items``: the inline's row changes) in one transaction.
    A checklist no inspection used is edited in place. One that inspections used keeps its
    content for them: it is copied into a new version (version_no + 1, same lineage), the
    edit is applied to the copy, and the old one is marked superseded (read-only, no longer
    offered to new inspections). Every write goes through the engine, so it is validated and
    audited; any refusal leaves nothing behind."""
    spec = sp.ChecklistSpec
    records.require(spec, actor, "edit")
    old: SanitationChecklist = records.get(session, actor, spec, checklist_id)
    records.check_version(session, spec, old, expected_version)
    if old.superseded_by_id is not None:
        raise ValidationError([FieldError("name", "sanitation.error.checklist_superseded", {"n": old.version_no})])
    rows = list(items or [])
    if not sp.checklist_used(session, old.id) or (not rows and not _content_edit(old, raw)):
        children = {sp.ChecklistItemSpec.slug: rows} if rows else None
        obj = records.save(session, actor, spec, old.id, raw, expected_version=expected_version, children=children)
        return ChecklistEdit(obj.id, obj.version_no, False)
    copy = _new_version(session, actor, old)
    mapping = _copy_items(session, actor, old.id, copy.id)
    remapped = [_onto_copy(session, change, mapping) for change in rows]
    children = {sp.ChecklistItemSpec.slug: remapped} if remapped else None
    records.save(session, actor, spec, copy.id, raw, children=children)
    return ChecklistEdit(copy.id, copy.version_no, True)


def _content_edit(old: SanitationChecklist, raw: Mapping[str, Any]) -> bool:
    for key in CHECKLIST_CONTENT:
        if key in raw:
            value, err = sp.ChecklistSpec.field(key).parse(raw[key])
            if err is not None or not records.unchanged(sp.ChecklistSpec, old, {key: value}):
                return True
    return False


def _new_version(session: Session, actor: Actor, old: SanitationChecklist) -> SanitationChecklist:
    """The copy (created, audited) and the old version marked superseded (updated, audited)."""
    lineage = old.lineage_id or old.id
    copy: SanitationChecklist = records.create(
        session,
        actor,
        sp.ChecklistSpec,
        {"name": old.name, "target_type": old.target_type, "active": old.active, "notes": old.notes},
        system={"version_no": old.version_no + 1, "lineage_id": lineage, "supersedes_id": old.id},
    )
    records.update(
        session, actor, sp.ChecklistSpec, old.id, {}, None, system={"superseded_by_id": copy.id, "lineage_id": lineage}
    )
    return copy


def _copy_items(session: Session, actor: Actor, old_id: int, new_id: int) -> dict[int, SanitationChecklistItem]:
    """The old version's live items copied onto the new one: old item id -> its copy."""
    olds = list(
        session.scalars(
            select(SanitationChecklistItem)
            .where(SanitationChecklistItem.checklist_id == old_id, SanitationChecklistItem.deleted_at.is_(None))
            .order_by(SanitationChecklistItem.seq, SanitationChecklistItem.id)
        )
    )
    copies = [
        RowChange(values={"checklist_id": new_id, **{k: getattr(i, k) for k in ITEM_FIELDS}}, label=i.criterion)
        for i in olds
    ]
    saved = records.save_rows(session, actor, sp.ChecklistItemSpec, copies) if copies else Saved()
    made = {
        i.id: i
        for i in session.scalars(select(SanitationChecklistItem).where(SanitationChecklistItem.id.in_(saved.ids)))
    }
    return {old.id: made[new] for old, new in zip(olds, saved.ids, strict=True)}


def _onto_copy(session: Session, change: RowChange, mapping: dict[int, SanitationChecklistItem]) -> RowChange:
    """An item edit aimed at the old version, checked against the version the user saw,
    then applied to the item's copy."""
    if change.id is None:
        return change
    if change.id not in mapping:
        raise NotFound("error.not_found")
    if change.version is not None:
        original = session.get_one(SanitationChecklistItem, change.id)
        records.check_version(session, sp.ChecklistItemSpec, original, change.version)
    copy = mapping[change.id]
    return RowChange(copy.id, copy.version, dict(change.values), change.delete, dict(change.system), change.label)


def start_inspection(session: Session, actor: Actor, values: Mapping[str, Any]) -> SanitationInspection:
    inspection: SanitationInspection = records.create(session, actor, sp.InspectionSpec, dict(values))
    return inspection


def raise_rectification(
    session: Session, actor: Actor, inspection_id: int, description: str, due: dt.date | None = None
) -> SanitationRectification:
    """A problem found by an inspection, for the inspected zone's unit to put right; the
    deadline defaults to 5 working days on the office's calendar."""
    inspection: SanitationInspection = records.get(session, actor, sp.InspectionSpec, inspection_id)
    rect: SanitationRectification = records.create(
        session,
        actor,
        sp.RectificationSpec,
        {
            "org_unit_id": inspection.org_unit_id,
            "inspection_id": inspection.id,
            "zone_id": inspection.zone_id,
            "raised_on": inspection.inspection_date,
            "description": description,
            "due_date": due,
        },
    )
    return rect


# -- campaigns, rankings and the red flag ------------------------------------------------------


def campaigns(session: Session, actor: Actor) -> list[SanitationCampaign]:
    return list(
        session.scalars(
            records.scoped(sp.CampaignSpec, actor, session=session).order_by(
                SanitationCampaign.start_date.desc(), SanitationCampaign.id
            )
        )
    )


def zones_of(session: Session, actor: Actor, campaign: SanitationCampaign) -> list[SanitationZone]:
    """The zones a campaign ranks: the active zones of its unit's subtree the actor may see."""
    top = session.get_one(OrgUnit, campaign.org_unit_id)
    stmt = (
        records.scoped(sp.ZoneSpec, actor, session=session)
        .join(OrgUnit, OrgUnit.id == SanitationZone.org_unit_id)
        .where(OrgUnit.path.startswith(top.path, autoescape=True), SanitationZone.active.is_(True))
        .order_by(OrgUnit.path, SanitationZone.name, SanitationZone.id)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class RankRow:
    zone_id: int
    zone: str
    unit_id: int
    inspections: int
    mean: float | None
    rank: int | None
    tied: bool
    flag: bool
    group_id: int | None = None  # the unit whose zones are ranked together (None: one group)
    missed: int = 0  # scheduled inspections missed in the period (counted as the campaign's rule says)


@dataclass(frozen=True)
class Ranking:
    campaign_id: int
    start: dt.date
    end: dt.date
    rows: list[RankRow]

    @property
    def holders(self) -> list[RankRow]:
        return [r for r in self.rows if r.flag]

    @property
    def shared_flag(self) -> bool:
        """Two zones hold the flag of one group (with groups, each group has its own)."""
        groups = [r.group_id for r in self.holders]
        return len(groups) != len(set(groups))


def _groups(session: Session, campaign: SanitationCampaign, zones: list[SanitationZone]) -> dict[int, int]:
    """Each zone's group: the unit directly below the campaign's unit whose subtree owns it
    (villages ranked within their township, classes within their grade); a zone the
    campaign's unit owns itself is in the group of that unit."""
    top = session.get_one(OrgUnit, campaign.org_unit_id)
    depth = len(top.path.strip("/").split("/"))
    owners = {z.org_unit_id for z in zones}
    paths = dict(session.execute(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_(owners))).all())
    out = {}
    for z in zones:
        parts = paths[z.org_unit_id].strip("/").split("/")
        out[z.id] = int(parts[depth]) if len(parts) > depth else top.id
    return out


def _ranked(
    zones: list[SanitationZone],
    stats: dict[int, tuple[int, float | None]],
    group: int | None,
    missed: Mapping[int, int] | None = None,
) -> list[RankRow]:
    """Competition ranking of one group's zones by mean; the top mean holds the flag."""
    missed = missed or {}
    means = sorted((m for z in zones if (m := stats.get(z.id, (0, None))[1]) is not None), reverse=True)
    counts: dict[float, int] = {}
    for m in means:
        counts[m] = counts.get(m, 0) + 1
    top = means[0] if means else None
    out = []
    for z in zones:
        n, mean = stats.get(z.id, (0, None))
        rank = None if mean is None else 1 + sum(1 for m in means if m > mean)
        out.append(
            RankRow(
                z.id,
                z.name,
                z.org_unit_id,
                n,
                mean,
                rank,
                mean is not None and counts[mean] > 1,
                mean is not None and mean == top,
                group,
                missed.get(z.id, 0),
            )
        )
    out.sort(key=lambda r: (r.rank is None, r.rank or 0, r.zone))
    return out


def ranking(
    session: Session,
    actor: Actor,
    campaign_id: int,
    start: dt.date,
    end: dt.date,
    grouped: bool = False,
    today: dt.date | None = None,
) -> Ranking:
    """The campaign's zones ranked over [start, end] by the declared rule (module docstring);
    ``grouped``: within each unit directly below the campaign's unit, each group with its
    own ranks and its own red flag (groups in unit order). Missed scheduled inspections are
    those whose period ended before ``today`` (the office's, by default)."""
    campaign: SanitationCampaign = records.get(session, actor, sp.CampaignSpec, campaign_id)
    zones = zones_of(session, actor, campaign)
    ids = [z.id for z in zones]
    weights, _ = sp.parse_weights(campaign.type_weights)
    weight = case(weights, value=SanitationInspection.inspection_type, else_=1.0) if weights else literal(1.0)
    stats: dict[int, tuple[int, float | None]] = {}
    sums: dict[int, tuple[float, float]] = {}  # weight and weighted total, for missed ones to join the mean
    if ids:
        rows = session.execute(
            select(
                SanitationInspection.zone_id,
                func.count(),
                func.sum(SanitationInspection.score * weight) / func.nullif(func.sum(weight), 0),
                func.sum(SanitationInspection.score * weight),
                func.sum(weight),
            )
            .where(
                SanitationInspection.campaign_id == campaign.id,
                SanitationInspection.zone_id.in_(ids),
                SanitationInspection.deleted_at.is_(None),
                SanitationInspection.score.is_not(None),
                SanitationInspection.inspection_date >= start,
                SanitationInspection.inspection_date <= end,
            )
            .group_by(SanitationInspection.zone_id)
        )
        for zid, n, mean, total, weighed in rows:
            # every inspection weighing 0 (only kinds set to 0): the zone was inspected, unranked
            stats[zid] = (int(n), None if mean is None else round(float(mean), PRECISION))
            sums[zid] = (float(weighed or 0), float(total or 0))
    missed: dict[int, int] = {}
    missed_weight: dict[int, float] = {}
    for o in _occurrences(session, actor, campaign, zones, start, end, today or clock.today()):
        if o.missed and start <= o.end <= end:
            missed[o.zone_id] = missed.get(o.zone_id, 0) + 1
            missed_weight[o.zone_id] = missed_weight.get(o.zone_id, 0.0) + sp.type_weight(weights, o.inspection_type)
    stats = with_missed(stats, sums, missed_weight, campaign.missed_rule, campaign.missed_score)
    if not grouped:
        return Ranking(campaign.id, start, end, _ranked(zones, stats, None, missed))
    of = _groups(session, campaign, zones)
    members: dict[int, list[SanitationZone]] = {}
    for z in zones:
        members.setdefault(of[z.id], []).append(z)
    order = dict(session.execute(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_(list(members)))).all())
    out = [row for g in sorted(members, key=lambda g: order[g]) for row in _ranked(members[g], stats, g, missed)]
    return Ranking(campaign.id, start, end, out)


HONOUR_SIZE = 3  # 红榜: the first three places of each group (ties included)


def honour_lists(result: Ranking, target: float | None) -> tuple[list[RankRow], list[RankRow]]:
    """红榜 and 黑榜 of a ranking, group by group: the red list holds the first three places
    (ties included); the black list the zones below the campaign's pass score, worst
    first, or - with no pass score - the last three places not already on the red list.
    Zones not inspected are on neither."""
    red: list[RankRow] = []
    black: list[RankRow] = []
    groups: dict[int | None, list[RankRow]] = {}
    for row in result.rows:
        if row.rank is not None and row.mean is not None:
            groups.setdefault(row.group_id, []).append(row)
    for rows in groups.values():
        top = [r for r in rows if (r.rank or 0) <= HONOUR_SIZE]
        red += top
        if target is not None:
            low = [r for r in rows if (r.mean or 0) < target]
        else:
            last = max(r.rank or 0 for r in rows)
            low = [r for r in rows if (r.rank or 0) > last - HONOUR_SIZE and r not in top]
        black += sorted(low, key=lambda r: (r.mean or 0, r.zone))
    return red, black


@dataclass(frozen=True)
class RankPeriod:
    """A period a ranking can be asked for: the campaign (a school's term), a month, a week
    or a day."""

    key: str
    kind: str  # term | month | week | day
    start: dt.date
    end: dt.date


RECENT_DAYS = 7  # the days offered: the campaign's last seven up to today


def ranking_periods(campaign: SanitationCampaign, today: dt.date) -> list[RankPeriod]:
    """The periods the ranking tab offers, newest first within each kind: the whole campaign,
    its months, its weeks (Monday to Sunday), and its last days up to today - each clipped
    to the campaign."""
    first, last = campaign.start_date, campaign.end_date
    out = [RankPeriod("whole", "term", first, last)]
    for month in reversed(months(campaign, today)):
        start, end = periods.bounds(month)
        out.append(RankPeriod(month, "month", max(start, first), min(end, last)))
    for start, end in reversed(weeks(campaign, today)):
        out.append(RankPeriod(start.isoformat(), "week", start, end))
    day = min(today, last)
    for _ in range(RECENT_DAYS):
        if day < first:
            break
        out.append(RankPeriod(f"day:{day.isoformat()}", "day", day, day))
        day -= dt.timedelta(days=1)
    return out


def with_missed(
    stats: Mapping[int, tuple[int, float | None]],
    sums: Mapping[int, tuple[float, float]],
    missed: Mapping[int, float],
    rule: str,
    score: float | None,
) -> dict[int, tuple[int, float | None]]:
    """Each zone's (inspections, mean) once its missed inspections count by the rule:
    "ignore" leaves the mean of what was done; "zero" and "score" add each missed one to
    the mean as 0 or as ``score`` points (a zone with only missed ones then has a mean).
    ``sums`` are each zone's (weight, weighted total) of what was done and ``missed`` the
    weight of what was missed (each missed one weighs what its inspection type weighs; with
    no weights declared, a weight is a count)."""
    out = dict(stats)
    if rule not in ("zero", "score"):
        return out
    each = 0.0 if rule == "zero" else float(score or 0)
    for zone_id, m in missed.items():
        weighed, total = sums.get(zone_id, (0.0, 0.0))
        if weighed + m > 0:
            out[zone_id] = (out.get(zone_id, (0, None))[0], round((total + each * m) / (weighed + m), PRECISION))
    return out


@dataclass(frozen=True)
class HeatCell:
    zone_id: int
    zone: str
    criterion: str
    lost: float  # points lost on this criterion, added up over the period's inspections
    inspections: int


def heatmap(
    session: Session, actor: Actor, campaign_id: int, start: dt.date, end: dt.date, lang: str = "zh-CN"
) -> list[HeatCell]:
    """Points lost per checklist item × zone over [start, end]: which criteria fail most,
    and where. Items are told apart by their criterion as it was scored (a checklist edited
    later keeps the old wording on old scores) and, when the period spans several versions
    of the checklist, by version ("…（版本 2）"); only zones the actor may see, and only
    items that lost points."""
    campaign: SanitationCampaign = records.get(session, actor, sp.CampaignSpec, campaign_id)
    zones = {z.id: z.name for z in zones_of(session, actor, campaign)}
    if not zones:
        return []
    score = SanitationItemScore.score
    lost = func.sum(func.coalesce(SanitationItemScore.max_points, score) - score)
    rows = session.execute(
        select(
            SanitationInspection.zone_id,
            SanitationItemScore.criterion,
            SanitationChecklist.version_no,
            lost,
            func.count(),
        )
        .join(SanitationItemScore, SanitationItemScore.inspection_id == SanitationInspection.id)
        .join(SanitationChecklist, SanitationChecklist.id == SanitationInspection.checklist_id)
        .where(
            SanitationInspection.campaign_id == campaign.id,
            SanitationInspection.deleted_at.is_(None),
            SanitationInspection.inspection_date >= start,
            SanitationInspection.inspection_date <= end,
            SanitationInspection.zone_id.in_(list(zones)),
            SanitationItemScore.deleted_at.is_(None),
        )
        .group_by(SanitationInspection.zone_id, SanitationItemScore.criterion, SanitationChecklist.version_no)
    ).all()
    several = len({version for _, _, version, _, _ in rows}) > 1

    def label(criterion: str | None, version: int) -> str:
        text = criterion or "—"
        return i18n.t("sanitation.checklist.item_version", lang, criterion=text, n=version) if several else text

    cells = [
        HeatCell(zone_id, zones[zone_id], label(criterion, version), round(float(points or 0), PRECISION), int(n))
        for zone_id, criterion, version, points, n in rows
        if (points or 0) > 0
    ]
    cells.sort(key=lambda c: (-c.lost, c.zone, c.criterion))
    return cells


def weeks(campaign: SanitationCampaign, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The campaign's weeks (Monday to Sunday, clipped to the campaign) up to today."""
    last = min(campaign.end_date, today)
    out: list[tuple[dt.date, dt.date]] = []
    monday = campaign.start_date - dt.timedelta(days=campaign.start_date.weekday())
    while monday <= last:
        out.append((max(monday, campaign.start_date), min(monday + dt.timedelta(days=6), campaign.end_date)))
        monday += dt.timedelta(days=7)
    return out


def months(campaign: SanitationCampaign, today: dt.date) -> list[str]:
    out: list[str] = []
    day = campaign.start_date.replace(day=1)
    while day <= min(campaign.end_date, today):
        out.append(periods.containing(day, "month"))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


@dataclass(frozen=True)
class FlagWeek:
    start: dt.date
    end: dt.date
    holders: list[str]
    mean: float | None
    shared: bool


def flag_history(session: Session, actor: Actor, campaign_id: int, today: dt.date) -> list[FlagWeek]:
    """Who held the red flag each week of the campaign (latest first)."""
    campaign: SanitationCampaign = records.get(session, actor, sp.CampaignSpec, campaign_id)
    out = []
    for start, end in weeks(campaign, today):
        result = ranking(session, actor, campaign.id, start, end)
        holders = result.holders
        out.append(
            FlagWeek(start, end, [h.zone for h in holders], holders[0].mean if holders else None, len(holders) > 1)
        )
    return list(reversed(out))


def unit_names(session: Session, ids: set[int], lang: str) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(OrgUnit.id, OrgUnit.name_zh, OrgUnit.name_en).where(OrgUnit.id.in_(ids)))
    return {uid: i18n.label(lang, zh, en) for uid, zh, en in rows}


# -- rectifications ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RectRow:
    record: SanitationRectification
    zone: str
    unit: str
    overdue: bool
    days_left: int


def rectifications(
    session: Session, actor: Actor, today: dt.date, lang: str, states: tuple[str, ...] | None = None
) -> list[RectRow]:
    """The rectifications the actor may see, the open and overdue ones first."""
    stmt = records.scoped(sp.RectificationSpec, actor, session=session)
    if states:
        stmt = stmt.where(SanitationRectification.status.in_(states))
    rows = list(session.scalars(stmt.order_by(SanitationRectification.due_date, SanitationRectification.id)))
    zone_ids = {r.zone_id for r in rows if r.zone_id}
    zones = (
        dict(
            session.execute(select(SanitationZone.id, SanitationZone.name).where(SanitationZone.id.in_(zone_ids))).all()
        )
        if zone_ids
        else {}
    )
    names = unit_names(session, {r.org_unit_id for r in rows}, lang)
    out = [
        RectRow(
            r,
            zones.get(r.zone_id, ""),
            names.get(r.org_unit_id, ""),
            sp.is_overdue(r, today),
            (r.due_date - today).days,
        )
        for r in rows
    ]
    out.sort(key=lambda x: (x.record.status not in sp.OPEN_STATES, not x.overdue, x.record.due_date))
    return out


@dataclass(frozen=True)
class Summary:
    inspections: int
    planned: int | None
    mean: float | None
    rect_total: int
    rect_verified: int
    rect_open: int
    rect_overdue: int

    @property
    def closure_rate(self) -> float | None:
        return self.rect_verified * 100 / self.rect_total if self.rect_total else None


def summary(session: Session, actor: Actor, campaign_id: int, today: dt.date) -> Summary:
    """A campaign's figures: inspections done against planned, the mean score, and its
    rectifications (closed = verified; overdue = open past the deadline)."""
    campaign: SanitationCampaign = records.get(session, actor, sp.CampaignSpec, campaign_id)
    base = records.scoped(sp.InspectionSpec, actor, session=session).where(
        SanitationInspection.campaign_id == campaign.id
    )
    n, mean = session.execute(
        base.with_only_columns(func.count(), func.avg(SanitationInspection.score)).order_by(None)
    ).one()
    rects = session.scalars(
        records.scoped(sp.RectificationSpec, actor, session=session).where(
            SanitationRectification.inspection_id.in_(base.with_only_columns(SanitationInspection.id).order_by(None))
        )
    ).all()
    return Summary(
        int(n or 0),
        campaign.planned_inspections,
        None if mean is None else round(float(mean), 1),
        len(rects),
        sum(r.status == "verified" for r in rects),
        sum(r.status in sp.OPEN_STATES for r in rects),
        sum(sp.is_overdue(r, today) for r in rects),
    )


@dataclass(frozen=True)
class WeekFigure:
    start: dt.date
    label: str
    inspections: int
    mean: float | None


def week_figures(session: Session, actor: Actor, campaign_id: int, today: dt.date) -> list[WeekFigure]:
    """Inspections done and their mean score per week of the campaign, up to today."""
    campaign: SanitationCampaign = records.get(session, actor, sp.CampaignSpec, campaign_id)
    base = records.scoped(sp.InspectionSpec, actor, session=session).where(
        SanitationInspection.campaign_id == campaign.id, SanitationInspection.score.is_not(None)
    )
    rows = session.execute(
        base.with_only_columns(SanitationInspection.inspection_date, func.count(), func.avg(SanitationInspection.score))
        .group_by(SanitationInspection.inspection_date)
        .order_by(None)
    ).all()
    out = []
    for start, end in weeks(campaign, today):
        days = [(n, mean) for day, n, mean in rows if start <= _day(day) <= end]
        count = sum(int(n) for n, _ in days)
        total = sum(float(mean) * int(n) for n, mean in days)
        out.append(WeekFigure(start, start.strftime("%m-%d"), count, round(total / count, 1) if count else None))
    return out


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class InspectionRow:
    id: int
    label: str


def inspections_of(session: Session, actor: Actor, campaign_id: int, limit: int = 100) -> list[InspectionRow]:
    """A campaign's latest inspections the actor may see, labelled date · zone · score."""
    stmt = (
        records.scoped(sp.InspectionSpec, actor, session=session)
        .where(SanitationInspection.campaign_id == campaign_id)
        .order_by(SanitationInspection.inspection_date.desc(), SanitationInspection.id.desc())
        .limit(limit)
    )
    found = list(session.scalars(stmt))
    zones = dict(
        session.execute(
            select(SanitationZone.id, SanitationZone.name).where(SanitationZone.id.in_({i.zone_id for i in found}))
        ).all()
    )
    out = []
    for i in found:
        score = "—" if i.score is None else f"{i.score:g}"
        out.append(InspectionRow(i.id, f"{i.inspection_date.isoformat()} · {zones.get(i.zone_id, '')} · {score}"))
    return out


# -- the public results page (公示) ----------------------------------------------------------------


def publish(
    session: Session,
    actor: Actor,
    campaign_id: int,
    start: dt.date,
    end: dt.date,
    title: str,
    grouped: bool = False,
) -> SanitationPublication:
    """A head makes one period's ranking public (by groups, as the ranking tab showed it,
    when ``grouped``); the link carries a random token."""
    found: SanitationPublication = records.create(
        session,
        actor,
        sp.PublicationSpec,
        {"campaign_id": campaign_id, "period_start": start, "period_end": end, "title": title, "grouped": grouped},
    )
    return found


def unpublish(session: Session, actor: Actor, publication_id: int) -> None:
    records.delete(session, actor, sp.PublicationSpec, publication_id)


def publications(session: Session, actor: Actor, campaign_id: int) -> list[SanitationPublication]:
    return list(
        session.scalars(
            records.scoped(sp.PublicationSpec, actor, session=session)
            .where(SanitationPublication.campaign_id == campaign_id)
            .order_by(SanitationPublication.period_end.desc(), SanitationPublication.id.desc())
        )
    )


@dataclass(frozen=True)
class PublicRow:
    rank: int | None
    tied: bool
    zone: str
    unit: str
    mean: float | None
    flag: bool
    group: str = ""  # the group's unit name, when ranked by groups


@dataclass(frozen=True)
class PublicRanking:
    title: str
    start: dt.date
    end: dt.date
    rows: list[PublicRow]
    grouped: bool = False

    @property
    def holders(self) -> list[str]:
        """The flag holders; by groups, each named with its group ("东关镇 · 东关主街")."""
        return [f"{r.group} · {r.zone}" if self.grouped else r.zone for r in self.rows if r.flag]


def public_ranking(session: Session, token: str | None, lang: str) -> PublicRanking | None:
    """What the public page shows for a link: the published period's zones, units, scores,
    ranks and flags, and nothing else (no inspector, note, photo, id or other period).
    None for a token that is unknown, malformed or unpublished: all read alike."""
    text = (token or "").strip()
    if not 16 <= len(text) <= 64:
        return None
    found = session.scalar(
        select(SanitationPublication).where(
            SanitationPublication.token == text, SanitationPublication.deleted_at.is_(None)
        )
    )
    if found is None:
        return None
    campaign = session.get(SanitationCampaign, found.campaign_id)
    if campaign is None or campaign.deleted_at is not None:
        return None
    result = ranking(session, SYSTEM, campaign.id, found.period_start, found.period_end, grouped=found.grouped)
    groups = {r.group_id for r in result.rows if r.group_id is not None}
    units = unit_names(session, {r.unit_id for r in result.rows} | groups, lang)
    rows = [
        PublicRow(r.rank, r.tied, r.zone, units.get(r.unit_id, ""), r.mean, r.flag, units.get(r.group_id or 0, ""))
        for r in result.rows
    ]
    return PublicRanking(found.title, found.period_start, found.period_end, rows, found.grouped)


# -- schedules: what is due, what was done, what was missed (检查安排) ----------------------------


Period = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class Occurrence:
    """One time a schedule wants a zone inspected: that day, that week or that month."""

    schedule_id: int
    zone_id: int
    zone: str
    start: dt.date
    end: dt.date
    frequency: str
    inspection_type: str
    on_duty: tuple[str, ...]  # the rota member whose turn it is, or every member of the team
    team: str | None
    done: bool
    missed: bool  # its period ended before today without an inspection


def periods_of(frequency: str, start: dt.date, end: dt.date, calendar: calendars.WorkCalendar) -> list[Period]:
    """A schedule's periods over [start, end]: each working day, or each ISO week or month
    (clipped) that holds a working day."""
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    work = [d for d in days if calendar.is_workday(d)]
    if frequency == "daily":
        return [(d, d) for d in work]
    out: dict[tuple[int, int], Period] = {}
    for d in work:
        if frequency == "weekly":
            key = d.isocalendar()[:2]
            first = max(start, d - dt.timedelta(days=d.weekday()))
            last = min(end, d + dt.timedelta(days=6 - d.weekday()))
        else:
            key = (d.year, d.month)
            first = max(start, d.replace(day=1))
            last = min(end, (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1))
        out.setdefault((key[0], key[1]), (first, last))
    return list(out.values())


def _schedule_zones(schedule: SanitationSchedule, zones: list[SanitationZone]) -> list[SanitationZone]:
    if schedule.zone_id is not None:
        return [z for z in zones if z.id == schedule.zone_id]
    return [z for z in zones if schedule.zone_type in (None, z.zone_type)]


def _occurrences(
    session: Session,
    actor: Actor,
    campaign: SanitationCampaign,
    zones: list[SanitationZone],
    start: dt.date,
    end: dt.date,
    today: dt.date,
) -> list[Occurrence]:
    """The campaign's scheduled occurrences whose period overlaps [start, end], for the
    zones given, each marked done or missed from one query over the inspections."""
    schedules = list(
        session.scalars(
            records.scoped(sp.ScheduleSpec, actor, session=session)
            .where(SanitationSchedule.campaign_id == campaign.id, SanitationSchedule.active.is_(True))
            .order_by(SanitationSchedule.id)
        )
    )
    if not schedules or not zones:
        return []
    calendar = calendars.load_calendar(session)
    wanted: list[tuple[SanitationSchedule, int, Period, list[SanitationZone]]] = []
    for schedule in schedules:
        first = max(campaign.start_date, schedule.start_date or campaign.start_date)
        last = min(campaign.end_date, schedule.end_date or campaign.end_date)
        targets = _schedule_zones(schedule, zones)
        if first > last or not targets:
            continue
        for n, period in enumerate(periods_of(schedule.frequency, first, last, calendar)):
            if period[1] >= start and period[0] <= end:
                wanted.append((schedule, n, period, targets))
    if not wanted:
        return []
    done = _inspected(
        session, campaign.id, [z.id for z in zones], min(w[2][0] for w in wanted), max(w[2][1] for w in wanted)
    )
    out = []
    for schedule, n, (first, last), targets in wanted:
        names = sp.usernames(schedule.inspectors)
        duty = tuple(names) if schedule.duty == "team" else (names[n % len(names)],) if names else ()
        for z in targets:
            dates = done.get((z.id, schedule.inspection_type), [])
            i = bisect.bisect_left(dates, first)
            found = i < len(dates) and dates[i] <= last
            out.append(
                Occurrence(
                    schedule.id,
                    z.id,
                    z.name,
                    first,
                    last,
                    schedule.frequency,
                    schedule.inspection_type,
                    duty,
                    schedule.team_name if schedule.duty == "team" else None,
                    found,
                    not found and last < today,
                )
            )
    return out


def _inspected(
    session: Session, campaign_id: int, zone_ids: list[int], start: dt.date, end: dt.date
) -> dict[tuple[int, str], list[dt.date]]:
    """The days each (zone, inspection type) was inspected in the campaign in [start, end],
    sorted: one query for every occurrence."""
    rows = session.execute(
        select(SanitationInspection.zone_id, SanitationInspection.inspection_type, SanitationInspection.inspection_date)
        .where(
            SanitationInspection.campaign_id == campaign_id,
            SanitationInspection.zone_id.in_(zone_ids),
            SanitationInspection.deleted_at.is_(None),
            SanitationInspection.inspection_date >= start,
            SanitationInspection.inspection_date <= end,
        )
        .distinct()
    )
    out: dict[tuple[int, str], list[dt.date]] = {}
    for zone_id, kind, day in rows:
        out.setdefault((zone_id, kind), []).append(_day(day))
    for dates in out.values():
        dates.sort()
    return out


def occurrences(
    session: Session, actor: Actor, campaign_id: int, start: dt.date, end: dt.date, today: dt.date
) -> list[Occurrence]:
    """Every scheduled occurrence of the campaign overlapping [start, end], for the zones
    the actor may see, each done or not (and missed when its period ended before today)."""
    campaign: SanitationCampaign = records.get(session, actor, sp.CampaignSpec, campaign_id)
    return _occurrences(session, actor, campaign, zones_of(session, actor, campaign), start, end, today)


def due_today(
    session: Session, actor: Actor, campaign_id: int, today: dt.date, username: str | None = None
) -> list[Occurrence]:
    """What the inspector (the actor by default) has to inspect today: occurrences whose
    day, week or month holds today, not done yet, where they are the rota member on duty
    or on the team. Daily ones first, then weekly, then monthly; zones in unit order."""
    who = username or actor.username
    found = [
        o for o in occurrences(session, actor, campaign_id, today, today, today) if not o.done and who in o.on_duty
    ]
    order = {f.value: n for n, f in enumerate(sp.FREQUENCIES)}
    return sorted(found, key=lambda o: order.get(o.frequency, 9))  # stable: schedule by schedule, zones in order


def missed(
    session: Session, actor: Actor, campaign_id: int, start: dt.date, end: dt.date, today: dt.date
) -> list[Occurrence]:
    """Occurrences whose period ended in [start, end] and before today with no inspection,
    latest first."""
    found = [
        o for o in occurrences(session, actor, campaign_id, start, end, today) if o.missed and start <= o.end <= end
    ]
    return sorted(found, key=lambda o: (-o.end.toordinal(), o.zone, o.schedule_id))
