"""Health-education activities (健康教育活动): lectures, consultation days, board updates,
materials handed out. Counted against yearly targets such as 讲座全年不少于4次 and
受教育人数覆盖辖区人口的50%以上. The whole record type is this spec plus its model."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from db.models import HeActivity, HeCampaign, HeCampaignGoal, HeCampaignPlan, HeMaterial, OrgUnit, ThemeDay
from portal.errors import FieldError, PermissionDenied, ValidationError
from portal.records.children import Inline
from portal.records.fields import Choice, Field
from portal.records.spec import ALL, HEADS, Permissions, RecordSpec
from portal.records.stats import Measure, Stats
from portal.records.workflow import Lock, State, Transition, Workflow, status_field

ACTIVITY_TYPES = (
    Choice("lecture", "健康讲座", "Lecture"),
    Choice("consultation", "公众健康咨询", "Consultation day"),
    Choice("board", "宣传栏更换", "Bulletin-board update"),
    Choice("materials", "资料发放", "Materials handed out"),
    Choice("av", "音像资料播放", "Audio-visual screening"),
    Choice("individual", "个体化健康教育", "Individual counselling"),
    Choice("class", "健康教育课", "Health-education class"),
    Choice("other", "其他", "Other"),
)
EDITORS = frozenset({"admin", "head", "staff"})
# what a unit's own staff keep (planned activities, materials): everyone reads, heads revert
STAFF_KEEP: Permissions = {
    "view": ALL,
    "create": EDITORS,
    "edit": EDITORS,
    "delete": EDITORS,
    "export": ALL,
    "import": EDITORS,
    "revert": HEADS,
}


class HeActivitySpec(RecordSpec):
    """Health-education activities: the README's worked example of a record type."""

    slug = "he_activities"
    model = HeActivity
    title_zh, title_en = "健康教育活动", "Health-education activities"
    fields = (
        Field(
            "org_unit_id",
            "org_unit",
            "开展单位",
            "Org unit",
            required=True,
            aliases=("单位", "机构", "机构编码", "unit"),
        ),
        Field("activity_date", "date", "活动日期", "Date", required=True, aliases=("日期", "date")),
        Field(
            "activity_type",
            "choice",
            "活动形式",
            "Activity type",
            required=True,
            choices=ACTIVITY_TYPES,
            aliases=("形式", "类型", "type"),
        ),
        Field("title", "text", "活动主题", "Title", required=True, max_length=200, aliases=("主题", "题目")),
        Field(
            "theme_day",
            "text",
            "卫生主题日",
            "Health theme day",
            max_length=60,
            help_zh="如 3.24 世界防治结核病日",
            help_en="e.g. World TB Day (24 March)",
            aliases=("主题日",),
        ),
        Field("venue", "text", "地点", "Venue", max_length=120, aliases=("活动地点",)),
        Field("speaker", "text", "主讲人", "Speaker", max_length=60, aliases=("讲师", "主讲")),
        Field(
            "participants",
            "int",
            "受教育人数",
            "People reached",
            min=0,
            max=100000,
            help_zh="到场或受益人数，用于计算覆盖率",
            help_en="Used for the coverage rate",
            aliases=("人数", "参加人数", "受众人数"),
        ),
        Field("consultations", "int", "咨询人次", "Consultations", min=0, max=100000, aliases=("咨询人数",)),
        Field(
            "materials_given",
            "int",
            "发放资料（份）",
            "Materials given",
            min=0,
            max=1000000,
            aliases=("发放资料", "资料份数"),
        ),
        Field("notes", "longtext", "备注", "Notes", max_length=2000, aliases=("说明",)),
        Field(
            "campaign_id",
            "ref",
            "所属专题活动",
            "Campaign",
            ref="he_campaigns",
            help_zh="可选：本单位参与的进行中的专题活动",
            help_en="Optional: a running campaign your unit takes part in",
            aliases=("专题活动",),
        ),
        Field("photos", "images", "活动照片", "Photos", max=6, help_zh="照片、签到表", help_en="Photos, sign-in sheet"),
    )
    list_display = ("activity_date", "activity_type", "title", "org_unit_id", "participants", "materials_given")
    list_filter = ("activity_type", "activity_date", "org_unit_id")
    search_fields = ("title", "venue", "speaker", "theme_day")
    ordering = ("-activity_date", "-id")
    date_field = "activity_date"
    stats = Stats(
        by=("activity_type", "org_unit_id"),
        measures=(Measure("count"), Measure("sum", "participants"), Measure("sum", "materials_given")),
    )
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": EDITORS,
        "edit": EDITORS,
        "delete": EDITORS,
        "export": frozenset({"admin", "head", "staff", "viewer"}),
        "import": EDITORS,
        "revert": frozenset({"admin", "head"}),
    }

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        # A consultation day without anyone consulted is almost always a typing slip.
        if values.get("activity_type") == "lecture" and values.get("participants") in (None, 0):
            return [FieldError("participants", "validation.lecture_participants")]
        return []

    @classmethod
    def ref_query(cls, key: str, stmt: Select[Any], values: dict[str, Any], actor: Any) -> Select[Any]:
        """The campaign picker offers the running campaigns on the actor's line of the tree
        (launched by the actor's unit, a unit above it or a unit below it); the campaign an
        activity already points to stays valid."""
        if key != "campaign_id":
            return stmt
        current = values.get("campaign_id")
        status = HeCampaign.status == "running"
        if isinstance(current, int):
            status = or_(status, HeCampaign.id == current)
        stmt = stmt.where(status)
        if actor.sees_everything:
            return stmt
        return stmt.where(HeCampaign.org_unit_id.in_(select(OrgUnit.id).where(on_line(actor.org_path))))

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        campaign_id = values.get("campaign_id")
        if campaign_id is None:
            return []
        campaign = session.get(HeCampaign, campaign_id)
        if campaign is None:
            return []
        moved = existing is None or existing.campaign_id != campaign_id
        if moved and campaign.status != "running":
            return [FieldError("campaign_id", "education.error.campaign_not_running", {"name": campaign.name})]
        when = values.get("activity_date")
        if (
            (moved or (existing is not None and existing.activity_date != when))
            and when
            and not campaign.start_date <= when <= campaign.end_date
        ):
            return [
                FieldError(
                    "activity_date",
                    "education.error.outside_campaign",
                    {"start": campaign.start_date.isoformat(), "end": campaign.end_date.isoformat()},
                )
            ]
        unit = values.get("org_unit_id")
        if moved and unit is not None and not in_subtree(session, unit, campaign.org_unit_id):
            return [FieldError("campaign_id", "education.error.unit_not_in_campaign", {"name": campaign.name})]
        return []

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if obj.campaign_id is not None and not obj.theme_day:
            campaign = session.get(HeCampaign, obj.campaign_id)
            day = session.get(ThemeDay, campaign.theme_day_id) if campaign.theme_day_id else None
            if day is not None:
                obj.theme_day = day.name_zh[:60]


def ancestors(path: str) -> list[str]:
    """The materialised paths of a unit and every unit above it ("/1/4/17/" → "/1/", "/1/4/", ...)."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def on_line(path: str) -> Any:
    """OrgUnit rows at, above or below a unit (its line of the tree)."""
    return or_(OrgUnit.path.in_(ancestors(path)), OrgUnit.path.startswith(path, autoescape=True))


def in_subtree(session: Session, unit_id: int | None, top_id: int | None) -> bool:
    if unit_id is None or top_id is None:
        return True
    unit, top = session.get(OrgUnit, unit_id), session.get(OrgUnit, top_id)
    return bool(unit and top and unit.path.startswith(top.path))


# -- campaigns (健康教育专题活动) -------------------------------------------------------------------

CAMPAIGN_STATES = (
    State("planned", "筹备中", "Planned"),
    State("running", "进行中", "Running"),
    State("summarised", "已总结", "Summarised", readonly=True),
)


def organiser_guard(session: Session, actor: Any, campaign: Any) -> FieldError | None:
    """Only the organising unit or a unit above it (or an admin) runs a campaign's steps;
    the units taking part see it, they do not steer it."""
    unit = session.get(OrgUnit, campaign.org_unit_id)
    if not actor.sees_everything and (unit is None or not unit.path.startswith(actor.org_path)):
        raise PermissionDenied("error.permission")
    return None


CAMPAIGN_WORKFLOW = Workflow(
    states=CAMPAIGN_STATES,
    transitions=(
        Transition(
            "start",
            "开始活动",
            "Start",
            ("planned",),
            "running",
            HEADS,
            guard=organiser_guard,
            icon=":material/play_arrow:",
            primary=True,
        ),
        Transition(
            "summarise",
            "完成总结",
            "Summarise",
            ("running",),
            "summarised",
            HEADS,
            guard=organiser_guard,
            comment=True,
            icon=":material/summarize:",
            primary=True,
        ),
        Transition(
            "reopen",
            "重新开放",
            "Reopen",
            ("summarised",),
            "running",
            HEADS,
            guard=organiser_guard,
            icon=":material/undo:",
        ),
    ),
    comment_field="summary",
    locks=(
        Lock("he_campaign_goals", (("campaign_id", "id"),), ("summarised",)),
        Lock("he_campaign_plans", (("campaign_id", "id"),), ("summarised",)),
    ),
)


class CampaignSpec(RecordSpec):
    """Campaigns (健康教育专题活动): a theme day's campaign, launched by a unit for the units
    below it with a goal row per unit. The campaign itself is a notice to every unit (like
    the theme days): its goals and its activities are scoped to their units."""

    slug = "he_campaigns"
    model = HeCampaign
    title_zh, title_en = "健康教育专题活动", "Health-education campaigns"
    fields = (
        Field("org_unit_id", "org_unit", "组织单位", "Organising unit", required=True, aliases=("单位",)),
        Field("name", "text", "活动名称", "Name", required=True, max_length=120),
        Field("theme_day_id", "ref", "卫生主题日", "Theme day", ref="theme_days", on_delete="allow"),
        Field("start_date", "date", "开始日期", "Starts", required=True),
        Field("end_date", "date", "结束日期", "Ends", required=True),
        Field("topics", "text", "宣传主题", "Topics", max_length=200),
        Field("activity_types", "text", "建议活动形式", "Suggested activity types", max_length=120),
        status_field(CAMPAIGN_STATES),
        Field("summary", "longtext", "活动总结", "Summary", readonly=True),
        Field("notes", "longtext", "说明", "Notes", max_length=4000),
    )
    list_display = ("name", "theme_day_id", "start_date", "end_date", "org_unit_id", "status")
    list_filter = ("status", "start_date", "org_unit_id")
    search_fields = ("name", "topics")
    ordering = ("-start_date", "-id")
    label_fields = ("name",)
    date_field = "start_date"
    org_field = None  # a notice to every unit taking part; goals and activities carry the scope
    workflow = CAMPAIGN_WORKFLOW
    # an export reads back as an update of the same campaigns, not as new twins
    natural_key = ("org_unit_id", "name", "start_date")
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": HEADS,
        "edit": HEADS,
        "delete": HEADS,
        "export": ALL,
        "import": HEADS,
        "revert": HEADS,
    }
    inlines = (
        Inline(
            "he_campaign_goals",
            link=(("campaign_id", "id"),),
            fields=("org_unit_id", "activities_goal", "people_goal", "materials_goal"),
            max_rows=200,
            title_zh="各单位目标",
            title_en="Goals per unit",
        ),
        Inline(
            "he_campaign_plans",
            link=(("campaign_id", "id"),),
            fields=("org_unit_id", "activity_type", "planned_date", "place", "expected_reach"),
            max_rows=500,
            title_zh="计划活动",
            title_en="Planned activities",
        ),
    )

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        start, end = values.get("start_date"), values.get("end_date")
        if start and end and end < start:
            return [FieldError("end_date", "education.error.end_before_start")]
        return []

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        if existing is not None:
            organiser_guard(session, actor, existing)  # another unit's campaign is not this head's to edit
        twin = select(HeCampaign.id).where(
            HeCampaign.deleted_at.is_(None),
            HeCampaign.org_unit_id == values.get("org_unit_id"),
            HeCampaign.theme_day_id == values.get("theme_day_id"),
            HeCampaign.start_date == values.get("start_date"),
        )
        if existing is not None:
            twin = twin.where(HeCampaign.id != existing.id)
        if values.get("theme_day_id") is not None and session.scalar(twin.limit(1)) is not None:
            return [FieldError("theme_day_id", "education.error.campaign_twice")]
        return []

    @classmethod
    def before_delete(cls, session: Any, obj: Any, actor: Any) -> None:
        organiser_guard(session, actor, obj)


class CampaignGoalSpec(RecordSpec):
    """A unit's goals in a campaign (各单位目标): activities, people reached and materials;
    child rows of the campaign, owned by the unit."""

    slug = "he_campaign_goals"
    model = HeCampaignGoal
    title_zh, title_en = "专题活动目标", "Campaign goals"
    fields = (
        Field("campaign_id", "ref", "专题活动", "Campaign", ref="he_campaigns", required=True, create_only=True),
        Field("org_unit_id", "org_unit", "参与单位", "Unit", required=True, aliases=("单位",)),
        Field("activities_goal", "int", "活动次数目标", "Activities goal", min=0, max=10000),
        Field("people_goal", "int", "受教育人数目标", "People goal", min=0, max=1000000),
        Field("materials_goal", "int", "发放资料目标（份）", "Materials goal", min=0, max=10000000),
    )
    list_display = ("campaign_id", "org_unit_id", "activities_goal", "people_goal", "materials_goal")
    list_filter = ("campaign_id", "org_unit_id")
    ordering = ("campaign_id", "org_unit_id", "id")
    list_editable = ("activities_goal", "people_goal", "materials_goal")
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": HEADS,
        "edit": HEADS,
        "delete": HEADS,
        "export": ALL,
        "import": HEADS,
        "revert": HEADS,
    }

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        campaign = session.get(HeCampaign, values.get("campaign_id"))
        unit_id = values.get("org_unit_id")
        if campaign is None or unit_id is None:
            return []
        organiser_guard(session, actor, campaign)
        if not in_subtree(session, unit_id, campaign.org_unit_id):
            return [FieldError("org_unit_id", "education.error.goal_outside")]
        twin = select(HeCampaignGoal.id).where(
            HeCampaignGoal.deleted_at.is_(None),
            HeCampaignGoal.campaign_id == campaign.id,
            HeCampaignGoal.org_unit_id == unit_id,
        )
        if existing is not None:
            twin = twin.where(HeCampaignGoal.id != existing.id)
        if session.scalar(twin.limit(1)) is not None:
            unit = session.get(OrgUnit, unit_id)
            return [FieldError("org_unit_id", "education.error.goal_twice", {"unit": unit.name_zh if unit else ""})]
        return []


class CampaignPlanSpec(RecordSpec):
    """Planned activities (计划活动): what a unit plans for a campaign (type, date, place,
    expected reach), within the campaign's dates; planned by the unit itself or a unit above."""

    slug = "he_campaign_plans"
    model = HeCampaignPlan
    title_zh, title_en = "专题活动计划", "Planned campaign activities"
    fields = (
        Field("campaign_id", "ref", "专题活动", "Campaign", ref="he_campaigns", required=True, create_only=True),
        Field("org_unit_id", "org_unit", "开展单位", "Unit", required=True, aliases=("单位",)),
        Field("activity_type", "choice", "活动形式", "Activity type", required=True, choices=ACTIVITY_TYPES),
        Field("planned_date", "date", "计划日期", "Planned for", required=True),
        Field("place", "text", "地点", "Place", max_length=120),
        Field("expected_reach", "int", "预计受教育人数", "Expected reach", min=0, max=100000),
    )
    list_display = ("campaign_id", "org_unit_id", "planned_date", "activity_type", "place", "expected_reach")
    list_filter = ("campaign_id", "org_unit_id", "activity_type", "planned_date")
    search_fields = ("place",)
    ordering = ("planned_date", "org_unit_id", "id")
    date_field = "planned_date"
    permissions: ClassVar[Permissions] = STAFF_KEEP

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        campaign = session.get(HeCampaign, values.get("campaign_id"))
        if campaign is None:
            return []
        if not in_subtree(session, values.get("org_unit_id"), campaign.org_unit_id):
            return [FieldError("org_unit_id", "education.error.goal_outside")]
        when = values.get("planned_date")
        if when is not None and not campaign.start_date <= when <= campaign.end_date:
            return [
                FieldError(
                    "planned_date",
                    "education.error.outside_campaign",
                    {"start": campaign.start_date.isoformat(), "end": campaign.end_date.isoformat()},
                )
            ]
        return []


# -- materials (宣传资料) ------------------------------------------------------------------------


def stock_of(session: Session, unit_id: int, kind: str, without: int | None = None) -> int:
    """A unit's stock of one kind of material: received less handed out, over its live rows
    (``without`` one of them, the row being changed)."""
    stmt = select(func.coalesce(func.sum(HeMaterial.received - HeMaterial.handed_out), 0)).where(
        HeMaterial.deleted_at.is_(None), HeMaterial.org_unit_id == unit_id, HeMaterial.kind == kind
    )
    if without is not None:
        stmt = stmt.where(HeMaterial.id != without)
    return int(session.scalar(stmt) or 0)


class MaterialSpec(RecordSpec):
    """Materials (宣传资料): copies of a kind received into or handed out of a unit's stock,
    optionally for a campaign. The stock of a kind never goes below zero: a row handing out
    more than is there, or a change or delete that would leave less than nothing, is refused
    with the stock named."""

    slug = "he_materials"
    model = HeMaterial
    title_zh, title_en = "宣传资料", "Materials"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Unit", required=True, aliases=("机构",)),
        Field("movement_date", "date", "日期", "Date", required=True),
        Field("kind", "text", "资料名称", "Material", required=True, max_length=80, aliases=("资料", "名称")),
        Field("received", "int", "领取 / 入库（份）", "Received", min=0, max=10000000, default=0, aliases=("领取",)),
        Field("handed_out", "int", "发放（份）", "Handed out", min=0, max=10000000, default=0, aliases=("发放",)),
        Field("campaign_id", "ref", "专题活动", "Campaign", ref="he_campaigns"),
        Field("notes", "text", "备注", "Notes", max_length=200),
    )
    list_display = ("movement_date", "org_unit_id", "kind", "received", "handed_out", "campaign_id")
    list_filter = ("org_unit_id", "movement_date", "campaign_id")
    search_fields = ("kind", "notes")
    ordering = ("-movement_date", "-id")
    label_fields = ("kind",)
    date_field = "movement_date"
    stats = Stats(by=("org_unit_id",), measures=(Measure("sum", "received"), Measure("sum", "handed_out")))
    permissions: ClassVar[Permissions] = STAFF_KEEP

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        if not (values.get("received") or values.get("handed_out")):
            return [FieldError("handed_out", "education.error.material_empty")]
        return []

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        unit, kind = values.get("org_unit_id"), values.get("kind")
        if unit is None or not kind:
            return []
        others = stock_of(session, unit, kind, without=existing.id if existing is not None else None)
        after = others + (values.get("received") or 0) - (values.get("handed_out") or 0)
        errors = []
        if after < 0:
            errors.append(
                FieldError("handed_out", "education.error.stock_negative", {"kind": kind, "stock": max(0, others)})
            )
        if existing is not None and (existing.org_unit_id, existing.kind) != (unit, kind):
            left = stock_of(session, existing.org_unit_id, existing.kind, without=existing.id)
            if left < 0:  # moving a receipt away must not leave its old stock below zero
                errors.append(FieldError("kind", "education.error.stock_negative", {"kind": existing.kind, "stock": 0}))
        return errors

    @classmethod
    def before_delete(cls, session: Any, obj: Any, actor: Any) -> None:
        if stock_of(session, obj.org_unit_id, obj.kind, without=obj.id) < 0:
            raise ValidationError(
                [FieldError("received", "education.error.stock_negative", {"kind": obj.kind, "stock": 0})]
            )


def elapsed(campaign: Any, today: dt.date) -> float:
    """How much of the campaign's period has passed by the end of today (0 to 1)."""
    days = (campaign.end_date - campaign.start_date).days + 1
    done = (today - campaign.start_date).days + 1
    return max(0.0, min(1.0, done / days)) if days > 0 else 1.0
