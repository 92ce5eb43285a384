"""Sanitation (爱国卫生) record types, declared on the record engine.

- campaigns (爱国卫生月, 除四害, 开学大扫除...): a unit's campaign over a period, with its
  checklist and the inspections it plans; the zones of the unit's subtree are ranked in it;
- zones (卫生包干区 / 责任区): what is inspected, owned by a unit (a class, a village);
- checklists (卫生细则) with their items as child rows (criterion, maximum, deduction step);
- inspections: a zone scored against a checklist on a day; the item scores are child rows,
  each checked against its item's maximum, and the total is kept on the inspection;
- rectifications (问题整改): open → rectified (with evidence) → verified, or returned, through
  the engine's workflow; the deadline defaults to 5 working days on the office's calendar;
- schedules (检查安排): how often a campaign's zones are inspected (each working day, each
  week, each month) and by whom (a rota taking turns, 值周, or a duty team, 检查评比小组);
  the campaign declares how a missed one counts in its ranking (``missed_rule``).

Everything is written through portal.records.service, so it is validated, scoped and
audited like any other record; the page only lays it out.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any, ClassVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from db.models import (
    OrgUnit,
    SanitationAppeal,
    SanitationCampaign,
    SanitationChecklist,
    SanitationChecklistItem,
    SanitationInspection,
    SanitationItemScore,
    SanitationPublication,
    SanitationRectification,
    SanitationSchedule,
    SanitationZone,
    User,
)
from portal import clock
from portal.errors import FieldError, PermissionDenied, ValidationError
from portal.org import calendars
from portal.records import service as records
from portal.records.children import Inline
from portal.records.fields import Choice, Field
from portal.records.grid import RowChange
from portal.records.spec import ALL, HEADS, Permissions, RecordSpec
from portal.records.stats import Measure, Stats
from portal.records.workflow import State, Transition, Workflow, status_field

WRITERS = frozenset({"admin", "head", "inspector", "staff"})  # who records inspections and evidence
REVIEWERS = frozenset({"admin", "head", "inspector"})  # who keeps checklists and verifies rectifications
RECTIFY_WORKDAYS = 5  # a rectification's default deadline: 5 working days after it is raised
APPEAL_WORKDAYS = 3  # a unit objects to an inspection within 3 working days of it
BATCH = "sanitation.scoring"  # session.info: the inspections whose sheet is being saved (rescored once, at the end)

CAMPAIGN_TYPES = (
    Choice("patriotic_month", "爱国卫生月", "Patriotic Health Month"),
    Choice("vector", "除四害 / 病媒生物防制", "Pest and vector control"),
    Choice("opening_clean", "开学大扫除", "Term-start clean-up"),
    Choice("school_rating", "校园卫生评比", "School hygiene rating"),
    Choice("sanitary_village", "卫生村创建", "Sanitary village creation"),
    Choice("market", "农贸市场整治", "Market clean-up"),
    Choice("other", "其他", "Other"),
)
ZONE_TYPES = (
    Choice("classroom", "教室", "Classroom"),
    Choice("corridor", "走廊", "Corridor"),
    Choice("area", "卫生包干区", "Cleaning zone"),
    Choice("dorm", "宿舍", "Dormitory"),
    Choice("office", "办公室", "Office"),
    Choice("toilet", "厕所", "Toilet"),
    Choice("canteen", "食堂", "Canteen"),
    Choice("road", "道路 / 路段", "Road section"),
    Choice("market", "农贸市场", "Market"),
    Choice("village", "村庄 / 小区", "Village or estate"),
    Choice("public", "公共场所", "Public place"),
    Choice("other", "其他", "Other"),
)
TARGET_TYPES = (
    Choice("classroom", "教室", "Classroom"),
    Choice("dorm", "宿舍", "Dormitory"),
    Choice("area", "卫生区", "Cleaning zone"),
    Choice("canteen", "食堂", "Canteen"),
    Choice("village", "村庄", "Village"),
    Choice("market", "农贸市场", "Market"),
    Choice("unit", "单位", "Unit"),
    Choice("other", "其他", "Other"),
)
INSPECTION_TYPES = (
    Choice("daily", "日常检查", "Daily"),
    Choice("weekly", "每周大检查", "Weekly"),
    Choice("surprise", "突击 / 暗访", "Unannounced"),
    Choice("special", "专项检查", "Special"),
    Choice("supervision", "督导检查", "Supervision"),
)
RECT_STATES = (
    State("open", "待整改", "To rectify"),
    State("rectified", "已整改", "Rectified"),
    State("verified", "已复查", "Verified", readonly=True),
    State("returned", "已退回", "Returned"),
)
OPEN_STATES = ("open", "returned")  # still to be put right: these can be overdue
FREQUENCIES = (
    Choice("daily", "每个工作日", "Every working day"),
    Choice("weekly", "每周", "Weekly"),
    Choice("monthly", "每月", "Monthly"),
)
DUTIES = (
    Choice("rota", "轮值（值周）", "Rota (taking turns)"),
    Choice("team", "检查小组", "Duty team"),
)
# How a scheduled inspection that was missed counts in the campaign's ranking.
MISSED_RULES = (
    Choice("ignore", "不计入（按已检查的平均）", "Ignored (mean of those done)"),
    Choice("zero", "按0分计", "Counted as zero"),
    Choice("score", "按规定分数计", "Counted as a set score"),
)
USERNAME_SPLIT = re.compile(r"[\s,，、;；]+")
WEIGHT_SPLIT = re.compile(r"[,，、;；\n]+")
WEIGHT_PAIR = re.compile(r"^\s*(.+?)\s*[=\uff1d:：]\s*([0-9]+(?:\.[0-9]+)?)\s*$")  # =, full-width = (U+FF1D), : or ：
WEIGHT_MAX = 10.0


def parse_weights(text: str | None) -> tuple[dict[str, float], str | None]:
    """A campaign's weights by inspection type as people write them ("每周大检查=2；突击 /
    暗访=3": a type by its Chinese or English name or its code, then = or ：, then a weight
    from 0 to 10); a type not named weighs 1. Returns the weights by type code, and the first
    piece that could not be read (None when all were)."""
    weights: dict[str, float] = {}
    names = {}
    for c in INSPECTION_TYPES:
        for name in (c.value, c.zh, c.en):
            names[re.sub(r"\s+", "", name).lower()] = c.value
    for piece in WEIGHT_SPLIT.split(text or ""):
        if not piece.strip():
            continue
        found = WEIGHT_PAIR.match(piece)
        code = names.get(re.sub(r"\s+", "", found.group(1)).lower()) if found else None
        if found is None or code is None or code in weights or float(found.group(2)) > WEIGHT_MAX:
            return weights, piece.strip()
        weights[code] = float(found.group(2))
    return weights, None


def _weights_error(key: str, value: Any) -> FieldError | None:
    _, bad = parse_weights(value)
    if bad is None:
        return None
    return FieldError(key, "sanitation.error.weights", {"value": bad[:40]})


def type_weight(weights: dict[str, float], inspection_type: str | None) -> float:
    return weights.get(inspection_type or "", 1.0)


def _perms(create: frozenset[str], edit: frozenset[str], delete: frozenset[str]) -> Permissions:
    return {
        "view": ALL,
        "create": create,
        "edit": edit,
        "delete": delete,
        "export": ALL,
        "import": create,
        "revert": HEADS,
    }


def _in_subtree(session: Session, unit_id: int | None, top_id: int | None) -> bool:
    if unit_id is None or top_id is None:
        return True
    unit, top = session.get(OrgUnit, unit_id), session.get(OrgUnit, top_id)
    return bool(unit and top and unit.path.startswith(top.path))


class CampaignSpec(RecordSpec):
    """Campaigns (卫生活动): what is run, by whom, when, with which checklist."""

    slug = "sanitation_campaigns"
    model = SanitationCampaign
    title_zh, title_en = "卫生活动", "Sanitation campaigns"
    fields = (
        Field("org_unit_id", "org_unit", "组织单位", "Organising unit", required=True, aliases=("单位",)),
        Field("name", "text", "活动名称", "Name", required=True, max_length=120),
        Field("campaign_type", "choice", "活动类型", "Type", required=True, choices=CAMPAIGN_TYPES, default="other"),
        Field("start_date", "date", "开始日期", "Starts", required=True),
        Field("end_date", "date", "结束日期", "Ends", required=True),
        Field("checklist_id", "ref", "评分细则", "Checklist", ref="sanitation_checklists"),
        Field(
            "planned_inspections",
            "int",
            "计划检查次数",
            "Inspections planned",
            min=0,
            max=100000,
            help_zh="整个活动期间计划检查的总次数（各区域合计）",
            help_en="All inspections planned over the campaign, every zone together",
        ),
        Field("target_score", "float", "达标分数", "Pass score", min=0, max=1000),
        Field(
            "missed_rule",
            "choice",
            "漏检计分",
            "Missed inspections count",
            required=True,
            choices=MISSED_RULES,
            default="ignore",
            help_zh="检查安排中应检未检的一次，在排名中如何计分",
            help_en="How a scheduled inspection that was not done counts in the ranking",
        ),
        Field(
            "missed_score",
            "float",
            "漏检按分数",
            "Score for a missed inspection",
            min=0,
            max=1000,
            help_zh="漏检计分选“按规定分数计”时填写",
            help_en="Set when missed inspections count as a set score",
        ),
        Field(
            "type_weights",
            "text",
            "检查类型权重",
            "Weights by inspection type",
            max_length=200,
            validator=_weights_error,
            help_zh="排名时各类检查的权重，如：每周大检查=2；突击 / 暗访=3。未写的类型权重为 1，留空则各次检查同等计入",
            help_en="How much each kind of inspection weighs in the ranking, e.g. Weekly=2; Unannounced=3. "
            "A kind not named weighs 1; blank: every inspection counts the same",
        ),
        Field("notes", "longtext", "说明", "Notes", max_length=4000),
    )
    list_display = ("name", "campaign_type", "start_date", "end_date", "org_unit_id", "checklist_id")
    list_filter = ("campaign_type", "start_date", "org_unit_id")
    search_fields = ("name",)
    ordering = ("-start_date", "id")
    label_fields = ("name",)
    date_field = "start_date"
    permissions: ClassVar[Permissions] = _perms(REVIEWERS, REVIEWERS, REVIEWERS)

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        start, end = values.get("start_date"), values.get("end_date")
        errors = []
        if start and end and end < start:
            errors.append(FieldError("end_date", "sanitation.error.end_before_start"))
        if values.get("missed_rule") == "score" and values.get("missed_score") is None:
            errors.append(FieldError("missed_score", "sanitation.error.missed_score_needed"))
        return errors

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        return _superseded_pick(session, values, existing)

    @classmethod
    def ref_query(cls, key: str, stmt: Select[Any], values: dict[str, Any], actor: Any) -> Select[Any]:
        return _current_checklists(stmt, values, key) if key == "checklist_id" else stmt


class ZoneSpec(RecordSpec):
    """Zones (卫生区域): a classroom, a road section, a village, owned by a unit."""

    slug = "sanitation_zones"
    model = SanitationZone
    title_zh, title_en = "卫生区域", "Zones"
    fields = (
        Field("org_unit_id", "org_unit", "责任单位", "Responsible unit", required=True, aliases=("单位", "班级")),
        Field("name", "text", "区域名称", "Name", required=True, max_length=120),
        Field("zone_type", "choice", "区域类型", "Type", required=True, choices=ZONE_TYPES, default="area"),
        Field("responsible", "text", "责任人", "Person in charge", max_length=60),
        Field("active", "bool", "启用", "Active", default=True),
    )
    list_display = ("name", "zone_type", "org_unit_id", "responsible", "active")
    list_filter = ("zone_type", "org_unit_id", "active")
    search_fields = ("name", "responsible")
    ordering = ("org_unit_id", "name", "id")
    label_fields = ("name",)
    permissions: ClassVar[Permissions] = _perms(REVIEWERS, REVIEWERS, REVIEWERS)


class ChecklistSpec(RecordSpec):
    """Checklists (卫生细则 / 评分标准): county-wide, with their items as child rows."""

    slug = "sanitation_checklists"
    model = SanitationChecklist
    title_zh, title_en = "评分细则", "Checklists"
    fields = (
        Field("name", "text", "细则名称", "Name", required=True, max_length=120),
        Field("target_type", "choice", "适用对象", "For", required=True, choices=TARGET_TYPES, default="classroom"),
        Field("active", "bool", "启用", "Active", default=True),
        Field("notes", "longtext", "说明", "Notes", max_length=4000),
        Field("version_no", "int", "版本", "Version", readonly=True),
        Field("supersedes_id", "ref", "取代的版本", "Replaces", ref="sanitation_checklists", readonly=True),
        Field("superseded_by_id", "ref", "已被新版本取代", "Replaced by", ref="sanitation_checklists", readonly=True),
    )
    list_display = ("name", "version_no", "target_type", "active", "superseded_by_id")
    list_filter = ("target_type", "active")
    search_fields = ("name",)
    ordering = ("name", "id")
    label_fields = ("name",)
    org_field = None  # shared by every unit, like the calendar
    permissions: ClassVar[Permissions] = _perms(REVIEWERS, REVIEWERS, REVIEWERS)
    inlines = (
        Inline(
            "sanitation_checklist_items",
            link=(("checklist_id", "id"),),
            fields=("seq", "criterion", "category", "max_points", "step"),
            max_rows=60,
            title_zh="评分项目",
            title_en="Items",
        ),
    )

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        if existing is None:
            return []
        if existing.superseded_by_id is not None:
            return [FieldError("name", "sanitation.error.checklist_superseded", {"n": existing.version_no})]
        content = any(values.get(k) != getattr(existing, k) for k in ("name", "target_type", "notes"))
        if content and checklist_used(session, existing.id):
            return [FieldError("name", "sanitation.error.checklist_used")]
        return []


def checklist_used(session: Session, checklist_id: int | None) -> bool:
    """Inspections were made against this checklist, so its content is theirs: an edit goes
    to a new version (portal.programmes.sanitation.view.edit_checklist)."""
    if checklist_id is None:
        return False
    return bool(
        session.scalar(
            select(SanitationInspection.id)
            .where(SanitationInspection.checklist_id == checklist_id, SanitationInspection.deleted_at.is_(None))
            .limit(1)
        )
    )


def latest_version(session: Session, checklist_id: int | None) -> int | None:
    """The version that replaced this checklist, and so on: what new inspections use."""
    seen: set[int] = set()
    while checklist_id is not None and checklist_id not in seen:
        seen.add(checklist_id)
        found = session.get(SanitationChecklist, checklist_id)
        if found is None or found.superseded_by_id is None:
            return checklist_id
        checklist_id = found.superseded_by_id
    return checklist_id


def _current_checklists(stmt: Select[Any], values: dict[str, Any], key: str) -> Select[Any]:
    """The picker offers current versions only, plus the one a record already holds."""
    held = values.get(key)
    if isinstance(held, int) and not isinstance(held, bool):
        return stmt.where(or_(SanitationChecklist.superseded_by_id.is_(None), SanitationChecklist.id == held))
    return stmt.where(SanitationChecklist.superseded_by_id.is_(None))


def _superseded_pick(session: Any, values: dict[str, Any], existing: Any | None) -> list[FieldError]:
    """A new or changed checklist choice must be a current version."""
    chosen = values.get("checklist_id")
    if chosen is None or (existing is not None and existing.checklist_id == chosen):
        return []
    found = session.get(SanitationChecklist, chosen)
    if found is not None and found.superseded_by_id is not None:
        return [FieldError("checklist_id", "sanitation.error.checklist_superseded", {"n": found.version_no})]
    return []


class ChecklistItemSpec(RecordSpec):
    """One criterion of a checklist: its maximum points and the step one deduction takes."""

    slug = "sanitation_checklist_items"
    model = SanitationChecklistItem
    title_zh, title_en = "评分项目", "Checklist items"
    fields = (
        Field("checklist_id", "ref", "评分细则", "Checklist", ref="sanitation_checklists", required=True),
        Field("seq", "int", "序号", "No.", min=1, max=999, default=1),
        Field("criterion", "text", "检查内容", "Criterion", required=True, max_length=200, aliases=("项目",)),
        Field("category", "text", "类别", "Category", max_length=40),
        Field("max_points", "float", "满分", "Max points", required=True, min=0.5, max=100),
        Field("step", "float", "每次扣分", "Deduction step", min=0.5, max=100, default=1.0),
    )
    list_display = ("checklist_id", "seq", "criterion", "category", "max_points", "step")
    list_filter = ("checklist_id",)
    search_fields = ("criterion", "category")
    ordering = ("checklist_id", "seq", "id")
    label_fields = ("criterion",)
    org_field = None
    permissions: ClassVar[Permissions] = _perms(REVIEWERS, REVIEWERS, REVIEWERS)

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        top, step = values.get("max_points"), values.get("step")
        if top is not None and step is not None and step > top:
            return [FieldError("step", "sanitation.error.step_over_max", {"max": _points(top)})]
        return []

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        return _item_frozen(session, values.get("checklist_id"), "criterion") + (
            _item_frozen(session, existing.checklist_id, "criterion")
            if existing is not None and existing.checklist_id != values.get("checklist_id")
            else []
        )

    @classmethod
    def before_delete(cls, session: Any, obj: Any, actor: Any) -> None:
        errors = _item_frozen(session, obj.checklist_id, "id")
        if errors:
            raise ValidationError(errors)


def _item_frozen(session: Any, checklist_id: int | None, field: str) -> list[FieldError]:
    """An item of a superseded or used checklist is not changed in place (see ChecklistSpec)."""
    checklist = session.get(SanitationChecklist, checklist_id) if checklist_id is not None else None
    if checklist is None:
        return []
    if checklist.superseded_by_id is not None:
        return [FieldError(field, "sanitation.error.checklist_superseded", {"n": checklist.version_no})]
    if checklist_used(session, checklist.id):
        return [FieldError(field, "sanitation.error.checklist_used")]
    return []


def _pct(values: dict[str, Any]) -> float | None:
    score, top = values.get("score"), values.get("max_score")
    if score is None or not top:
        return None
    return round(float(score) * 100 / float(top), 1)


class InspectionSpec(RecordSpec):
    """Inspections (卫生检查): a zone scored against a checklist; the item scores are child
    rows and the total is theirs (never typed)."""

    slug = "sanitation_inspections"
    model = SanitationInspection
    title_zh, title_en = "卫生检查", "Inspections"
    fields = (
        Field("org_unit_id", "org_unit", "被检单位", "Unit inspected", readonly=True),
        Field("campaign_id", "ref", "所属活动", "Campaign", ref="sanitation_campaigns"),
        Field("zone_id", "ref", "检查区域", "Zone", ref="sanitation_zones", required=True),
        Field(
            "checklist_id",
            "ref",
            "评分细则",
            "Checklist",
            ref="sanitation_checklists",
            help_zh="不填则用活动的细则",
            help_en="Blank: the campaign's checklist",
        ),
        Field("inspection_date", "date", "检查日期", "Date", required=True),
        Field(
            "inspection_type", "choice", "检查类型", "Type", required=True, choices=INSPECTION_TYPES, default="weekly"
        ),
        Field("inspector", "text", "检查人", "Inspector", max_length=60, help_zh="不填则为本人", help_en="Blank: you"),
        Field("score", "float", "得分", "Score", readonly=True),
        Field("max_score", "float", "满分", "Out of", readonly=True),
        Field("score_pct", "float", "得分率（%）", "Score (%)", computed=_pct),
        Field("note", "longtext", "检查情况", "Notes", max_length=4000),
        Field("photos", "images", "照片", "Photos", max=4),
    )
    list_display = (
        "inspection_date",
        "zone_id",
        "campaign_id",
        "inspection_type",
        "score",
        "score_pct",
        "inspector",
        "org_unit_id",
        "photos",
    )
    list_filter = ("campaign_id", "zone_id", "inspection_type", "inspection_date", "org_unit_id")
    search_fields = ("inspector", "note")
    ordering = ("-inspection_date", "-id")
    date_field = "inspection_date"
    permissions: ClassVar[Permissions] = _perms(WRITERS, WRITERS, REVIEWERS)
    stats = Stats(by=("inspection_type", "org_unit_id"), measures=(Measure("count"),))
    inlines = (
        Inline(
            "sanitation_item_scores",
            link=(("inspection_id", "id"), ("org_unit_id", "org_unit_id")),
            fields=("item_id", "score", "note"),
            max_rows=60,
            title_zh="逐项得分",
            title_en="Item scores",
        ),
    )

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        errors: list[FieldError] = []
        campaign = session.get(SanitationCampaign, values["campaign_id"]) if values.get("campaign_id") else None
        zone = session.get(SanitationZone, values["zone_id"]) if values.get("zone_id") else None
        if values.get("checklist_id") is None and (campaign is None or campaign.checklist_id is None):
            errors.append(FieldError("checklist_id", "validation.required"))
        when = values.get("inspection_date")
        if campaign is not None and when is not None and not campaign.start_date <= when <= campaign.end_date:
            errors.append(
                FieldError(
                    "inspection_date",
                    "sanitation.error.outside_campaign",
                    {"start": campaign.start_date.isoformat(), "end": campaign.end_date.isoformat()},
                )
            )
        if (
            campaign is not None
            and zone is not None
            and not _in_subtree(session, zone.org_unit_id, campaign.org_unit_id)
        ):
            errors.append(FieldError("zone_id", "sanitation.error.zone_outside_campaign", {"zone": zone.name}))
        if existing is not None and values.get("checklist_id") != existing.checklist_id and _scored(session, existing):
            errors.append(FieldError("checklist_id", "sanitation.error.checklist_scored"))
        return errors + _superseded_pick(session, values, existing)

    @classmethod
    def ref_query(cls, key: str, stmt: Select[Any], values: dict[str, Any], actor: Any) -> Select[Any]:
        return _current_checklists(stmt, values, key) if key == "checklist_id" else stmt

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        zone = session.get(SanitationZone, obj.zone_id)
        obj.org_unit_id = zone.org_unit_id  # the inspected zone's unit: whose result it is
        if obj.checklist_id is None and obj.campaign_id is not None:  # the campaign's checklist, as it is now
            obj.checklist_id = latest_version(session, session.get(SanitationCampaign, obj.campaign_id).checklist_id)
        if not obj.inspector:
            obj.inspector = actor.display_name or actor.username

    @classmethod
    def before_delete(cls, session: Any, obj: Any, actor: Any) -> None:
        """An inspection goes to the trash with its item scores (each delete audited)."""
        ids = session.scalars(
            select(SanitationItemScore.id).where(
                SanitationItemScore.inspection_id == obj.id, SanitationItemScore.deleted_at.is_(None)
            )
        ).all()
        if ids:
            records.save_rows(session, actor, ItemScoreSpec, [RowChange(i, None, delete=True) for i in ids])


def _scored(session: Session, inspection: Any) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(SanitationItemScore)
            .where(SanitationItemScore.inspection_id == inspection.id, SanitationItemScore.deleted_at.is_(None))
        )
    )


def _points(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class ItemScoreSpec(RecordSpec):
    """Item scores (逐项得分): one checklist item's points in one inspection, never more than
    the item's maximum. The criterion and maximum are copied when the row is first scored,
    so editing a checklist later leaves old inspections as they were scored."""

    slug = "sanitation_item_scores"
    model = SanitationItemScore
    title_zh, title_en = "逐项得分", "Item scores"
    fields = (
        Field("org_unit_id", "org_unit", "被检单位", "Unit inspected", readonly=True),
        Field(
            "inspection_id",
            "ref",
            "检查",
            "Inspection",
            ref="sanitation_inspections",
            required=True,
            on_delete="allow",  # the inspection's before_delete takes its scores along
        ),
        Field("item_id", "ref", "评分项目", "Item", ref="sanitation_checklist_items", required=True, create_only=True),
        Field("criterion", "text", "检查内容", "Criterion", readonly=True),
        Field("max_points", "float", "满分", "Max points", readonly=True),
        Field("score", "float", "得分", "Score", required=True, min=0, max=100),
        Field("note", "text", "扣分说明", "Why points were lost", max_length=200),
    )
    list_display = ("inspection_id", "criterion", "max_points", "score", "note")
    list_filter = ("inspection_id",)
    search_fields = ("criterion", "note")
    ordering = ("inspection_id", "item_id", "id")
    label_fields = ("criterion",)
    list_editable = ("score", "note")
    can_import = False
    permissions: ClassVar[Permissions] = _perms(WRITERS, WRITERS, WRITERS)

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        inspection = session.get(SanitationInspection, values.get("inspection_id"))
        item = session.get(SanitationChecklistItem, values.get("item_id"))
        if inspection is None or item is None:
            return []  # the references were resolved in scope already
        if existing is not None and existing.inspection_id != inspection.id:
            return [FieldError("inspection_id", "sanitation.error.score_moved")]
        if item.checklist_id != inspection.checklist_id:
            return [FieldError("item_id", "sanitation.error.item_not_on_checklist", {"item": item.criterion})]
        criterion, top = item.criterion, item.max_points
        if existing is not None and existing.item_id == item.id:  # as it was scored, whatever the checklist says now
            criterion = existing.criterion or criterion
            top = existing.max_points if existing.max_points is not None else top
        score = values.get("score")
        if score is not None and score > top:
            return [
                FieldError(
                    "score",
                    "sanitation.error.over_max",
                    {"item": criterion, "score": _points(score), "max": _points(top)},
                )
            ]
        twin = select(SanitationItemScore.id).where(
            SanitationItemScore.inspection_id == inspection.id,
            SanitationItemScore.item_id == item.id,
            SanitationItemScore.deleted_at.is_(None),
        )
        if existing is not None:
            twin = twin.where(SanitationItemScore.id != existing.id)
        if session.scalar(twin.limit(1)) is not None:
            return [FieldError("item_id", "sanitation.error.item_twice", {"item": criterion})]
        return []

    @classmethod
    def ref_query(cls, key: str, stmt: Select[Any], values: dict[str, Any], actor: Any) -> Select[Any]:
        """An item of the inspection's own checklist (the picker lists no other)."""
        inspection_id = values.get("inspection_id")
        if key != "item_id" or not isinstance(inspection_id, int):
            return stmt
        checklist = select(SanitationInspection.checklist_id).where(SanitationInspection.id == inspection_id)
        return stmt.where(SanitationChecklistItem.checklist_id.in_(checklist))

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        obj.org_unit_id = session.get(SanitationInspection, obj.inspection_id).org_unit_id
        if creating:
            item = session.get(SanitationChecklistItem, obj.item_id)
            obj.criterion, obj.max_points = item.criterion, item.max_points

    @classmethod
    def after_save(cls, session: Any, obj: Any, creating: bool, actor: Any) -> None:
        if obj.inspection_id not in session.info.get(BATCH, ()):  # a whole sheet rescores once, at its end
            rescore(session, actor, obj.inspection_id)


def rescore(session: Session, actor: Any, inspection_id: int) -> SanitationInspection:
    """The inspection's total and maximum from its live item scores, saved (and audited)
    only when they changed."""
    total, top = session.execute(
        select(func.sum(SanitationItemScore.score), func.sum(SanitationItemScore.max_points)).where(
            SanitationItemScore.inspection_id == inspection_id, SanitationItemScore.deleted_at.is_(None)
        )
    ).one()
    system = {
        "score": None if total is None else round(float(total), 2),
        "max_score": None if top is None else round(float(top), 2),
    }
    result: SanitationInspection = records.update(
        session, actor, InspectionSpec, inspection_id, {}, None, system=system
    )
    return result


# -- rectifications ------------------------------------------------------------------------------


def _verify_guard(session: Session, actor: Any, rect: Any) -> FieldError | None:
    """Only someone above the responsible unit (or an admin) verifies its work: a unit never
    signs off its own rectification. Checked before the state, so nothing leaks."""
    unit = session.get_one(OrgUnit, rect.org_unit_id)
    if not actor.sees_everything and (unit.id == actor.org_unit_id or not unit.path.startswith(actor.org_path)):
        raise PermissionDenied("sanitation.error.not_above")
    return None


def _rectified(session: Session, actor: Any, rect: Any, comment: str, now: dt.datetime) -> dict[str, Any]:
    return {"rectified_on": clock.local_date(now)}


def _verified(session: Session, actor: Any, rect: Any, comment: str, now: dt.datetime) -> dict[str, Any]:
    return {"verified_on": clock.local_date(now), "verified_by": actor.display_name or actor.username}


RECT_WORKFLOW = Workflow(
    states=RECT_STATES,
    transitions=(
        Transition(
            "rectify",
            "提交整改",
            "Report rectified",
            OPEN_STATES,
            "rectified",
            WRITERS,
            comment=True,
            effects=_rectified,
            icon=":material/build:",
            primary=True,
        ),
        Transition(
            "verify",
            "复查通过",
            "Verify",
            ("rectified",),
            "verified",
            REVIEWERS,
            guard=_verify_guard,
            effects=_verified,
            icon=":material/verified:",
            primary=True,
        ),
        Transition(
            "send_back",
            "退回重改",
            "Send back",
            ("rectified",),
            "returned",
            REVIEWERS,
            guard=_verify_guard,
            comment=True,
            icon=":material/undo:",
        ),
    ),
    comment_field="comment",
)


class RectificationSpec(RecordSpec):
    """Rectifications (问题整改): a problem, the unit that puts it right, and by when."""

    slug = "sanitation_rectifications"
    model = SanitationRectification
    title_zh, title_en = "问题整改", "Rectifications"
    fields = (
        Field("org_unit_id", "org_unit", "责任单位", "Responsible unit", required=True, aliases=("单位",)),
        Field("inspection_id", "ref", "来源检查", "From inspection", ref="sanitation_inspections"),
        Field("zone_id", "ref", "区域", "Zone", ref="sanitation_zones"),
        Field("raised_on", "date", "发现日期", "Found on", required=True),
        Field("description", "longtext", "问题描述", "Problem", required=True, max_length=2000),
        Field(
            "due_date",
            "date",
            "整改时限",
            "Due",
            help_zh=f"不填则为发现后第 {RECTIFY_WORKDAYS} 个工作日",
            help_en=f"Blank: the {RECTIFY_WORKDAYS}th working day after it was found",
        ),
        status_field(RECT_STATES),
        Field("rectified_on", "date", "整改日期", "Rectified on", readonly=True),
        Field("verified_on", "date", "复查日期", "Verified on", readonly=True),
        Field("verified_by", "text", "复查人", "Verified by", readonly=True),
        Field("comment", "longtext", "整改 / 复查说明", "Rectification or review note", readonly=True),
        Field("photos", "images", "整改照片", "Photos", max=4),
    )
    list_display = ("raised_on", "description", "org_unit_id", "zone_id", "due_date", "status", "photos")
    list_filter = ("status", "org_unit_id", "due_date", "raised_on")
    search_fields = ("description",)
    ordering = ("due_date", "id")
    date_field = "raised_on"
    permissions: ClassVar[Permissions] = _perms(WRITERS, REVIEWERS, REVIEWERS)
    workflow = RECT_WORKFLOW
    stats = Stats(by=("status", "org_unit_id"), measures=(Measure("count"),))

    @classmethod
    def prepare(cls, raw: dict[str, Any]) -> dict[str, Any]:
        if not raw.get("raised_on") and "raised_on" not in raw:
            raw["raised_on"] = clock.today()
        return raw

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        raised, due = values.get("raised_on"), values.get("due_date")
        if raised and due and due < raised:
            return [FieldError("due_date", "sanitation.error.due_before_found")]
        return []

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        inspection = session.get(SanitationInspection, values["inspection_id"]) if values.get("inspection_id") else None
        if inspection is not None and not _in_subtree(session, inspection.org_unit_id, values.get("org_unit_id")):
            return [FieldError("org_unit_id", "sanitation.error.unit_not_inspected")]
        return []

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if obj.zone_id is None and obj.inspection_id is not None:
            obj.zone_id = session.get(SanitationInspection, obj.inspection_id).zone_id
        if obj.due_date is None:
            obj.due_date = calendars.load_calendar(session).add_workdays(obj.raised_on, RECTIFY_WORKDAYS)


def is_overdue(rect: Any, today: dt.date) -> bool:
    """Still open (or sent back) and past its deadline."""
    return rect.status in OPEN_STATES and rect.due_date is not None and rect.due_date < today


# -- appeals (异议) ----------------------------------------------------------------------------------

APPEAL_STATES = (
    State("lodged", "待处理", "Lodged"),
    State("upheld", "维持原分", "Score upheld", readonly=True),
    State("adjusted", "已调整分数", "Score adjusted", readonly=True),
)


def _decided(session: Session, actor: Any, appeal: Any, comment: str, now: dt.datetime) -> dict[str, Any]:
    return {"decided_on": clock.local_date(now), "decided_by": actor.display_name or actor.username}


def _adjust_guard(session: Session, actor: Any, appeal: Any) -> FieldError | None:
    """Above the unit, as for rectifications; and the new score set first (an edit of the
    appeal), within the inspection's maximum."""
    _verify_guard(session, actor, appeal)
    if appeal.adjusted_score is None:
        return FieldError("adjusted_score", "sanitation.error.adjust_needs_score")
    inspection = session.get_one(SanitationInspection, appeal.inspection_id)
    if inspection.max_score is not None and appeal.adjusted_score > inspection.max_score:
        return FieldError("adjusted_score", "sanitation.error.adjust_over_max", {"max": inspection.max_score})
    return None


def _adjusted(session: Session, actor: Any, appeal: Any, comment: str, now: dt.datetime) -> dict[str, Any]:
    """The inspection takes the adjusted score (an audited update of the inspection); a
    later change to its sheet totals the items again."""
    inspection = session.get_one(SanitationInspection, appeal.inspection_id)
    top = inspection.max_score
    records.update(
        session,
        actor,
        InspectionSpec,
        inspection.id,
        {},
        None,
        system={
            "score": appeal.adjusted_score,
            "score_pct": round(appeal.adjusted_score / top * 100, 2) if top else inspection.score_pct,
        },
    )
    return _decided(session, actor, appeal, comment, now)


APPEAL_WORKFLOW = Workflow(
    states=APPEAL_STATES,
    transitions=(
        Transition(
            "uphold",
            "维持原分",
            "Uphold the score",
            ("lodged",),
            "upheld",
            REVIEWERS,
            guard=_verify_guard,
            comment=True,
            effects=_decided,
            icon=":material/gavel:",
        ),
        Transition(
            "adjust",
            "调整分数",
            "Adjust the score",
            ("lodged",),
            "adjusted",
            REVIEWERS,
            guard=_adjust_guard,
            comment=True,
            effects=_adjusted,
            icon=":material/edit_note:",
            primary=True,
        ),
    ),
    comment_field="decision",
)


class AppealSpec(RecordSpec):
    """Appeals (异议): the unit inspected objects to an inspection within APPEAL_WORKDAYS
    working days; someone above it upholds the score or adjusts it, each with a reason."""

    slug = "sanitation_appeals"
    model = SanitationAppeal
    title_zh, title_en = "检查异议", "Appeals"
    fields = (
        Field("org_unit_id", "org_unit", "提出单位", "Unit", readonly=True),
        Field(
            "inspection_id",
            "ref",
            "异议的检查",
            "Inspection",
            ref="sanitation_inspections",
            required=True,
            create_only=True,
        ),
        Field("lodged_on", "date", "提出日期", "Lodged on", required=True),
        Field("reason", "longtext", "异议理由", "Reason", required=True, max_length=2000),
        status_field(APPEAL_STATES),
        Field("original_score", "float", "原得分", "Score as inspected", readonly=True),
        Field(
            "adjusted_score",
            "float",
            "调整后得分",
            "Adjusted score",
            min=0,
            help_zh="处理异议时填写，再点“调整分数”",
            help_en="Set when deciding, then choose “Adjust the score”",
        ),
        Field("decided_on", "date", "处理日期", "Decided on", readonly=True),
        Field("decided_by", "text", "处理人", "Decided by", readonly=True),
        Field("decision", "longtext", "处理意见", "Decision", readonly=True),
    )
    list_display = ("lodged_on", "inspection_id", "org_unit_id", "status", "original_score", "adjusted_score")
    list_filter = ("status", "org_unit_id", "lodged_on")
    search_fields = ("reason",)
    ordering = ("-lodged_on", "-id")
    date_field = "lodged_on"
    can_import = False  # lodged one by one, against one inspection
    permissions: ClassVar[Permissions] = _perms(WRITERS, REVIEWERS, REVIEWERS)
    workflow = APPEAL_WORKFLOW

    @classmethod
    def prepare(cls, raw: dict[str, Any]) -> dict[str, Any]:
        if not raw.get("lodged_on") and "lodged_on" not in raw:
            raw["lodged_on"] = clock.today()
        return raw

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        if existing is None and values.get("adjusted_score") is not None:
            return [FieldError("adjusted_score", "sanitation.error.adjust_on_lodge")]
        return []

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        if existing is not None:
            return []
        inspection = session.get(SanitationInspection, values.get("inspection_id"))
        lodged = values.get("lodged_on")
        if inspection is None or lodged is None:
            return []
        errors = []
        last = calendars.load_calendar(session).add_workdays(inspection.inspection_date, APPEAL_WORKDAYS)
        if lodged < inspection.inspection_date:
            errors.append(FieldError("lodged_on", "sanitation.error.appeal_before"))
        elif lodged > last:
            errors.append(
                FieldError("lodged_on", "sanitation.error.appeal_late", {"days": APPEAL_WORKDAYS, "last": last})
            )
        open_one = session.scalar(
            select(func.count())
            .select_from(SanitationAppeal)
            .where(
                SanitationAppeal.inspection_id == inspection.id,
                SanitationAppeal.status == "lodged",
                SanitationAppeal.deleted_at.is_(None),
            )
        )
        if open_one:
            errors.append(FieldError("inspection_id", "sanitation.error.appeal_open"))
        return errors

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        inspection = session.get_one(SanitationInspection, obj.inspection_id)
        obj.org_unit_id = inspection.org_unit_id  # the unit inspected is the one objecting
        if creating:
            obj.original_score = inspection.score


# -- published rankings (公示) ----------------------------------------------------------------------


class PublicationSpec(RecordSpec):
    """Published rankings (排名公示): one period of a campaign, readable by anyone with its
    link (a random token, never an id). A head publishes; deleting unpublishes at once."""

    slug = "sanitation_publications"
    model = SanitationPublication
    title_zh, title_en = "排名公示", "Published rankings"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Unit", readonly=True),
        Field(
            "campaign_id", "ref", "卫生活动", "Campaign", ref="sanitation_campaigns", required=True, create_only=True
        ),
        Field("period_start", "date", "期间开始", "From", required=True, create_only=True),
        Field("period_end", "date", "期间结束", "To", required=True, create_only=True),
        Field("title", "text", "公示标题", "Title", required=True, max_length=200),
        Field(
            "grouped",
            "bool",
            "按组排名",
            "Ranked by groups",
            default=False,
            create_only=True,
            help_zh="各下级单位的区域分组排名，每组一面流动红旗",
            help_en="The zones of each unit below ranked on their own, a red flag per group",
        ),
        Field("token", "text", "公示链接码", "Link code", readonly=True),
        Field("published_by", "text", "发布人", "Published by", readonly=True),
    )
    list_display = ("title", "campaign_id", "period_start", "period_end", "grouped", "published_by")
    list_filter = ("campaign_id",)
    search_fields = ("title",)
    ordering = ("-period_end", "-id")
    label_fields = ("title",)
    date_field = "period_end"
    can_import = False
    can_export = False  # the links are handed out one by one, not in files
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": HEADS,
        "edit": HEADS,
        "delete": HEADS,
        "revert": HEADS,
    }

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        start, end = values.get("period_start"), values.get("period_end")
        if start and end and end < start:
            return [FieldError("period_end", "sanitation.error.end_before_start")]
        return []

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if creating:
            obj.org_unit_id = session.get(SanitationCampaign, obj.campaign_id).org_unit_id
            obj.token = secrets.token_urlsafe(18)
            obj.published_by = actor.display_name or actor.username


# -- schedules (检查安排) -------------------------------------------------------------------------


def usernames(text: str | None) -> list[str]:
    """The usernames of a schedule's inspectors field, in rota order."""
    return [u for u in USERNAME_SPLIT.split(text or "") if u]


class ScheduleSpec(RecordSpec):
    """Schedules (检查安排): a campaign's zone (or all its zones, or all of one zone type)
    inspected each working day, each week or each month, by a rota whose members take
    turns, one per occurrence (值周), or by a duty team whose members are all on duty.
    The schedule belongs to the campaign's unit, so it is seen where the campaign is."""

    slug = "sanitation_schedules"
    model = SanitationSchedule
    title_zh, title_en = "检查安排", "Inspection schedules"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Unit", readonly=True),
        Field("campaign_id", "ref", "卫生活动", "Campaign", ref="sanitation_campaigns", required=True),
        Field(
            "zone_id",
            "ref",
            "检查区域",
            "Zone",
            ref="sanitation_zones",
            help_zh="不填则为活动的全部区域（可按区域类型限定）",
            help_en="Blank: every zone of the campaign (of the zone type, if set)",
        ),
        Field("zone_type", "choice", "区域类型", "Zone type", choices=ZONE_TYPES),
        Field("frequency", "choice", "检查频次", "How often", required=True, choices=FREQUENCIES, default="daily"),
        Field(
            "inspection_type",
            "choice",
            "检查类型",
            "Inspection type",
            required=True,
            choices=INSPECTION_TYPES,
            default="daily",
        ),
        Field("duty", "choice", "检查方式", "Who inspects", required=True, choices=DUTIES, default="rota"),
        Field(
            "inspectors",
            "text",
            "检查人（用户名）",
            "Inspectors (usernames)",
            required=True,
            max_length=400,
            help_zh="用逗号分隔；轮值时按顺序每次轮换一人，检查小组时每人都可检查",
            help_en="Comma-separated; a rota takes turns in this order, one per occurrence; a team are all on duty",
            aliases=("检查人",),
        ),
        Field(
            "team_name",
            "text",
            "小组名称",
            "Team name",
            max_length=60,
            help_zh="检查小组时填写，如：检查评比小组",
            help_en="For a duty team, e.g. the inspection and rating team",
        ),
        Field(
            "start_date", "date", "开始日期", "Starts", help_zh="不填则为活动开始日期", help_en="Blank: the campaign's"
        ),
        Field("end_date", "date", "结束日期", "Ends", help_zh="不填则为活动结束日期", help_en="Blank: the campaign's"),
        Field("active", "bool", "启用", "Active", default=True),
    )
    list_display = ("campaign_id", "zone_id", "frequency", "inspectors")
    list_filter = ("campaign_id", "frequency", "duty", "active")
    search_fields = ("inspectors", "team_name")
    ordering = ("campaign_id", "id")
    permissions: ClassVar[Permissions] = _perms(REVIEWERS, REVIEWERS, REVIEWERS)

    @classmethod
    def prepare(cls, raw: dict[str, Any]) -> dict[str, Any]:
        if isinstance(raw.get("inspectors"), str):
            raw["inspectors"] = ", ".join(usernames(raw["inspectors"]))
        return raw

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        errors = []
        start, end = values.get("start_date"), values.get("end_date")
        if start and end and end < start:
            errors.append(FieldError("end_date", "sanitation.error.end_before_start"))
        if values.get("duty") == "team" and not values.get("team_name"):
            errors.append(FieldError("team_name", "sanitation.error.team_name_needed"))
        return errors

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        campaign = session.get(SanitationCampaign, values.get("campaign_id"))
        if campaign is None:
            return []  # the reference was checked in scope already
        errors: list[FieldError] = []
        zone = session.get(SanitationZone, values["zone_id"]) if values.get("zone_id") else None
        if zone is not None and not _in_subtree(session, zone.org_unit_id, campaign.org_unit_id):
            errors.append(FieldError("zone_id", "sanitation.error.zone_outside_campaign", {"zone": zone.name}))
        elif zone is not None and values.get("zone_type") not in (None, zone.zone_type):
            errors.append(FieldError("zone_type", "sanitation.error.zone_type_mismatch", {"zone": zone.name}))
        bounds = {"start": campaign.start_date.isoformat(), "end": campaign.end_date.isoformat()}
        for key in ("start_date", "end_date"):
            day = values.get(key)
            if day is not None and not campaign.start_date <= day <= campaign.end_date:
                errors.append(FieldError(key, "sanitation.error.schedule_outside_campaign", bounds))
        errors += _inspector_errors(session, usernames(values.get("inspectors")), campaign)
        return errors

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        obj.org_unit_id = session.get(SanitationCampaign, obj.campaign_id).org_unit_id  # seen where the campaign is


def _inspector_errors(session: Session, names: list[str], campaign: SanitationCampaign) -> list[FieldError]:
    """Each inspector an active account that may record inspections and sees the campaign
    (its unit is the campaign's unit or above it, or an admin)."""
    if not names:
        return [FieldError("inspectors", "validation.required")]
    found = {
        u.username: u for u in session.scalars(select(User).where(User.username.in_(names), User.deleted_at.is_(None)))
    }
    top = session.get_one(OrgUnit, campaign.org_unit_id)
    errors = []
    for name in names:
        user = found.get(name)
        if user is None or not user.active:
            errors.append(FieldError("inspectors", "sanitation.error.unknown_inspector", {"name": name}))
            continue
        unit = session.get(OrgUnit, user.org_unit_id)
        sees = user.role == "admin" or (unit is not None and top.path.startswith(unit.path))
        if user.role not in WRITERS or not sees:
            errors.append(FieldError("inspectors", "sanitation.error.inspector_cannot", {"name": name}))
    return errors
