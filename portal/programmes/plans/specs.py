"""Monthly work plans: plan items with owners, targets and progress, and the month's
cycle — a unit submits its month, the head of a unit above approves it (which locks the
month's items) or returns it with a comment, and only a head can unlock it again.

Due dates follow the unit's rule on the working-day calendar (default: the 5th working
day of the next month, 002 篇二). Every step is audited like any other write.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, overload

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from db.base import utcnow
from db.models import MonthlyReport, OrgUnit, PlanItem, ProgressUpdate, User, WorkPlan
from portal import apps, clock, periods
from portal.errors import FieldError, NotFound, PermissionDenied, PortalError, ValidationError
from portal.org import calendars
from portal.org.scope import Actor, get_unit_in_scope
from portal.records import service as records
from portal.records.children import Inline
from portal.records.fields import Choice, Field
from portal.records.spec import ALL, HEADS, Permissions, RecordSpec
from portal.records.stats import Measure, Stats
from portal.records.workflow import Effects, Lock, State, Transition, Workflow

# What a plan item is about: the other areas (from their manifests), this office's own
# management work, or anything else.
AREAS = (
    *(Choice(m.area, m.title_zh, m.title_en) for m in apps.programmes() if m.code != "plans" and m.area),
    Choice("mp", "综合管理", "Management"),
    Choice("other", "其他", "Other"),
)
ITEM_STATUSES = (
    Choice("not_started", "未开始", "Not started"),
    Choice("in_progress", "进行中", "In progress"),
    Choice("done", "已完成", "Done"),
    Choice("overdue", "逾期", "Overdue"),
    Choice("postponed", "延期", "Postponed"),
    Choice("cancelled", "取消", "Cancelled"),
)
SOURCES = (Choice("assigned", "上级交办", "Assigned from above"), Choice("own", "自定", "Own plan"))
PLAN_TYPES = (
    Choice("annual", "年度计划", "Annual"),
    Choice("term", "学期计划", "Term"),
    Choice("monthly", "月度计划", "Monthly"),
)
PLAN_STATUSES = (
    Choice("draft", "草稿", "Draft"),
    Choice("submitted", "已提交", "Submitted"),
    Choice("approved", "已审批", "Approved"),
    Choice("executing", "执行中", "In progress"),
    Choice("closed", "已关闭", "Closed"),
)
REPORT_STATUSES = (
    Choice("draft", "未提交", "Not submitted"),
    Choice("submitted", "已提交", "Submitted"),
    Choice("approved", "已审批", "Approved"),
    Choice("returned", "已退回", "Returned"),
)
UNFINISHED = ("not_started", "in_progress", "overdue", "postponed")
WRITERS = frozenset({"admin", "head", "staff", "trainer", "inspector"})


def _month_error(key: str, value: Any) -> FieldError | None:
    return periods.key_error(key, value, "month")


def _period_error(key: str, value: Any) -> FieldError | None:
    return periods.key_error(key, value)


def is_locked(session: Session, unit_id: int, month: str) -> bool:
    return bool(
        session.scalar(
            select(MonthlyReport.locked).where(
                MonthlyReport.org_unit_id == unit_id, MonthlyReport.month == month, MonthlyReport.deleted_at.is_(None)
            )
        )
    )


def _lock_error(session: Session, unit_id: int | None, month: str | None) -> list[FieldError]:
    if unit_id is not None and month and is_locked(session, unit_id, month):
        return [FieldError("month", "validation.month_locked", {"month": month})]
    return []


def _owner_account(session: Any, unit_id: int, name: str | None) -> int | None:
    """The owner is a user when the name is one of the unit area's accounts (username or
    display name); otherwise a named person without an account (乡村医生, 妇女主任...)."""
    if not name:
        return None
    unit = session.get(OrgUnit, unit_id)

    matches = list(
        session.scalars(
            select(User.id)
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(
                User.deleted_at.is_(None),
                OrgUnit.path.startswith(unit.path.rsplit("/", 2)[0] + "/", autoescape=True),
                (User.username == name.strip().lower()) | (User.display_name == name.strip()),
            )
            .limit(2)
        )
    )
    return matches[0] if len(matches) == 1 else None  # ambiguous names stay names


class WorkPlanSpec(RecordSpec):
    """Work plans (工作计划): annual, term or monthly, with the guiding idea and goals."""

    slug = "work_plans"
    model = WorkPlan
    title_zh, title_en = "工作计划", "Work plans"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Org unit", required=True, aliases=("机构",)),
        Field("plan_type", "choice", "计划类型", "Plan type", required=True, choices=PLAN_TYPES, default="monthly"),
        Field("period", "text", "期间", "Period", required=True, max_length=10, validator=_period_error),
        Field("title", "text", "标题", "Title", required=True, max_length=200),
        Field("guiding_idea", "longtext", "指导思想", "Guiding idea", max_length=4000),
        Field("goals", "longtext", "目标任务", "Goals", max_length=4000),
        Field("status", "choice", "状态", "Status", required=True, choices=PLAN_STATUSES, default="draft"),
    )
    list_display = ("period", "plan_type", "title", "org_unit_id", "status")
    list_filter = ("plan_type", "status", "org_unit_id")
    search_fields = ("title", "period")
    ordering = ("-period", "id")
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": WRITERS,
        "edit": WRITERS,
        "delete": HEADS | {"staff"},
        "export": ALL,
        "import": HEADS | {"staff"},
        "revert": HEADS,
    }


class PlanItemSpec(RecordSpec):
    """Plan items (计划事项): the lines of a month's plan. Locked with the month."""

    slug = "plan_items"
    model = PlanItem
    title_zh, title_en = "计划事项", "Plan items"
    fields = (
        Field("org_unit_id", "org_unit", "责任单位", "Responsible unit", required=True, aliases=("单位", "机构")),
        Field(
            "month",
            "text",
            "月份",
            "Month",
            required=True,
            max_length=7,
            validator=_month_error,
            period="month",
            help_zh="导入时写作 2026-10",
            help_en="In imports: 2026-10",
        ),
        Field("area", "choice", "业务领域", "Area", required=True, choices=AREAS, default="other"),
        Field("title", "text", "工作事项", "Item", required=True, max_length=200, aliases=("事项", "工作内容")),
        Field("description", "longtext", "具体内容", "Description", max_length=4000),
        Field(
            "owner_user_id",
            "ref",
            "责任人（账号）",
            "Owner (account)",
            ref="users",
            on_delete="allow",
            aliases=("责任人账号",),
            help_zh="本单位及上级单位的账号；没有账号的人填在“责任人”里",
            help_en="An account of this unit's area; people without one go under Owner",
        ),
        Field(
            "owner_name",
            "text",
            "责任人",
            "Owner",
            max_length=60,
            aliases=("负责人",),
            help_zh="选了账号时自动填写",
            help_en="Filled in from the account when one is chosen",
        ),
        Field("target_qty", "float", "目标数量", "Target quantity", min=0, aliases=("目标",)),
        Field(
            "target_unit",
            "text",
            "计量单位",
            "Unit",
            max_length=20,
            aliases=("单位名称",),
            help_zh="如 次、场、人",
            help_en="e.g. times, sessions, people",
        ),
        Field(
            "due_date",
            "date",
            "完成时限",
            "Due",
            help_zh="不填则为当月最后一天",
            help_en="Blank: the last day of the month",
            aliases=("截止日期",),
        ),
        Field("status", "choice", "状态", "Status", required=True, choices=ITEM_STATUSES, default="not_started"),
        Field("progress_pct", "int", "进度（%）", "Progress (%)", min=0, max=100, default=0),
        Field("actual_qty", "float", "完成数量", "Actual quantity", min=0),
        Field("completed_on", "date", "完成日期", "Completed on"),
        Field(
            "notes",
            "longtext",
            "情况说明",
            "Notes",
            max_length=4000,
            help_zh="未完成的请说明原因，将列入月报“存在问题”",
            help_en="For unfinished items: why (goes to the report's problems)",
        ),
        Field(
            "evidence",
            "longtext",
            "佐证材料",
            "Evidence",
            max_length=2000,
            help_zh="照片、签到表等的链接或说明",
            help_en="Links to photos, sign-in sheets...",
        ),
        Field("source", "choice", "来源", "Source", required=True, choices=SOURCES, default="own"),
        Field("carried_over", "bool", "上月结转", "Carried over", readonly=True),
    )
    list_display = ("month", "title", "owner_name", "status", "progress_pct", "due_date", "org_unit_id")
    stats = Stats(by=("status", "area", "org_unit_id"), measures=(Measure("count"),))
    list_filter = ("status", "area", "org_unit_id", "due_date")
    search_fields = ("title", "owner_name", "description")
    ordering = ("due_date", "id")
    date_field = "due_date"
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": WRITERS,
        "edit": WRITERS,
        "delete": HEADS | {"staff"},
        "export": ALL,
        "import": HEADS | {"staff"},
        "revert": HEADS,
    }

    @classmethod
    def prepare(cls, raw: dict[str, Any]) -> dict[str, Any]:
        if raw.get("month") and not raw.get("due_date") and periods.is_key(str(raw["month"]), "month"):
            raw["due_date"] = periods.bounds(str(raw["month"]))[1]  # blank: the month's last day
        return raw

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        month, due = values.get("month"), values.get("due_date")
        if month and due and periods.is_key(month, "month") and periods.containing(due, "month") < month:
            return [FieldError("due_date", "validation.due_before_month", {"month": month})]
        return []

    @classmethod
    def ref_query(cls, key: str, stmt: Select[Any], values: dict[str, Any], actor: Any) -> Select[Any]:
        """An owner is an account of the item's unit area: the unit's parent and everything
        below it (a township's centre, its clinics, and the county office above)."""
        unit_id = values.get("org_unit_id")
        if key != "owner_user_id" or not isinstance(unit_id, int):
            return stmt
        unit, parent = aliased(OrgUnit), aliased(OrgUnit)
        area = (
            select(func.coalesce(parent.path, unit.path))
            .select_from(unit)
            .outerjoin(parent, parent.id == unit.parent_id)
            .where(unit.id == unit_id)
            .scalar_subquery()
        )
        return stmt.where(User.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(area))))

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if obj.target_qty and obj.actual_qty is not None and obj.status != "cancelled":
            # with a quantity target, progress follows the quantities (never typed twice)
            obj.progress_pct = min(100, int(obj.actual_qty * 100 // obj.target_qty))
            if obj.progress_pct >= 100 and obj.status != "done":
                obj.status = "done"
        if obj.status == "done":
            obj.progress_pct = 100
            obj.completed_on = obj.completed_on or clock.today()  # the office's day
        if values.get("owner_user_id") is not None:  # an account chosen: its name is the owner's
            user = session.get(User, obj.owner_user_id)
            obj.owner_name = user.display_name if user is not None else obj.owner_name
        elif "owner_name" in values or creating:
            # a name typed (or imported) links to the one account it matches, if any
            obj.owner_user_id = _owner_account(session, obj.org_unit_id, obj.owner_name)


class ProgressUpdateSpec(RecordSpec):
    """Progress updates (进展记录) on a plan item; each one moves the item along."""

    slug = "progress_updates"
    model = ProgressUpdate
    title_zh, title_en = "进展记录", "Progress updates"
    fields = (
        Field("item_id", "int", "计划事项编号", "Plan item no.", required=True, min=1, create_only=True),
        Field("org_unit_id", "org_unit", "单位", "Org unit", readonly=True),
        Field("update_date", "date", "日期", "Date", required=True),
        Field("note", "longtext", "进展情况", "What was done", required=True, max_length=2000),
        Field("quantity", "float", "本次完成数量", "Quantity this time", min=0),
        Field("progress_pct", "int", "累计进度（%）", "Progress so far (%)", min=0, max=100),
        Field("by_name", "text", "填报人", "By", readonly=True),
    )
    list_display = ("update_date", "item_id", "note", "quantity", "progress_pct", "by_name")
    list_filter = ("update_date",)
    search_fields = ("note",)
    ordering = ("-update_date", "-id")
    date_field = "update_date"
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": WRITERS,
        "edit": HEADS,
        "delete": HEADS,
        "export": ALL,
        "revert": HEADS,
    }
    can_import = False

    @classmethod
    def prepare(cls, raw: dict[str, Any]) -> dict[str, Any]:
        raw.setdefault("update_date", clock.today())
        return raw

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        item = session.get(PlanItem, values.get("item_id"))
        if item is None or item.deleted_at is not None:
            return [FieldError("item_id", "validation.not_found", {"value": values.get("item_id")})]
        try:
            get_unit_in_scope(session, actor, item.org_unit_id)
        except NotFound:
            return [FieldError("item_id", "validation.not_found", {"value": values.get("item_id")})]
        locked = _lock_error(session, item.org_unit_id, item.month)
        if locked or existing is not None:
            return locked
        return _repeat_error(session, values, actor)

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if creating:
            obj.org_unit_id = session.get(PlanItem, obj.item_id).org_unit_id
            obj.by_name = actor.display_name or actor.username

    @classmethod
    def after_save(cls, session: Any, obj: Any, creating: bool, actor: Any) -> None:
        if not creating:
            return
        item = session.get(PlanItem, obj.item_id)
        changes: dict[str, Any] = {}
        pct = obj.progress_pct
        if obj.quantity:
            changes["actual_qty"] = (item.actual_qty or 0) + obj.quantity
            if pct is None and item.target_qty:  # the percentage follows the quantities
                pct = min(100, math.floor(changes["actual_qty"] * 100 / item.target_qty))
        if pct is not None:
            changes["progress_pct"] = pct
        if item.status in ("not_started", "overdue", "postponed") and (obj.quantity or obj.progress_pct):
            changes["status"] = "in_progress"
        if pct == 100:
            changes.update(status="done", completed_on=obj.update_date)
        if changes:  # through the service: validated, version-checked and audited
            records.update(session, actor, PlanItemSpec, item.id, changes, None)


REPEAT_WINDOW = dt.timedelta(minutes=2)


def _repeat_error(session: Session, values: dict[str, Any], actor: Any) -> list[FieldError]:
    """A double click must not add the same progress twice: the same person's identical
    update of the same item (note, quantity and percentage) within two minutes is refused."""
    since = utcnow() - REPEAT_WINDOW  # the same clock as created_at
    same = session.scalar(
        select(ProgressUpdate.id)
        .where(
            ProgressUpdate.item_id == values.get("item_id"),
            ProgressUpdate.deleted_at.is_(None),
            ProgressUpdate.by_name == (actor.display_name or actor.username),
            ProgressUpdate.note == values.get("note"),
            ProgressUpdate.quantity.is_(None)
            if values.get("quantity") is None
            else ProgressUpdate.quantity == values.get("quantity"),
            ProgressUpdate.progress_pct.is_(None)
            if values.get("progress_pct") is None
            else ProgressUpdate.progress_pct == values.get("progress_pct"),
            ProgressUpdate.created_at >= since,
        )
        .limit(1)
    )
    return [FieldError("note", "plans.progress.repeated")] if same is not None else []


def _review_guard(session: Session, actor: Any, report: Any) -> FieldError | None:
    """Only a head of a unit above the reporting unit (or an admin) reviews it; checked
    before the report's state, so an outsider learns nothing about it."""
    unit = session.get_one(OrgUnit, report.org_unit_id)
    if not actor.sees_everything and (unit.id == actor.org_unit_id or not unit.path.startswith(actor.org_path)):
        raise PermissionDenied("plans.error.not_above")
    return None


def _submitted(session: Session, actor: Any, report: Any, comment: str, now: dt.datetime) -> dict[str, Any]:
    """When a unit reports: the time, who, the due date by the unit's rule, and whether it
    was on time on the office's calendar."""
    due = due_for(session, session.get_one(OrgUnit, report.org_unit_id), report.month)
    return {
        "submitted_at": now,
        "submitted_by": actor.username,
        "due_date": due,
        "on_time": clock.local_date(now) <= due,
    }


def _reviewed(locked: bool | None) -> Effects:
    def effects(session: Session, actor: Any, report: Any, comment: str, now: dt.datetime) -> dict[str, Any]:
        changes: dict[str, Any] = {"reviewed_at": now, "reviewed_by": actor.username}
        if locked is not None:
            changes["locked"] = locked
        return changes

    return effects


def _unlocked(session: Session, actor: Any, report: Any, comment: str, now: dt.datetime) -> dict[str, Any]:
    return {"locked": False, "review_comment": comment or report.review_comment}


REPORT_WORKFLOW = Workflow(
    states=(
        State("draft", "未提交", "Not submitted"),
        State("submitted", "已提交", "Submitted", readonly=True),
        State("approved", "已审批", "Approved", readonly=True),
        State("returned", "已退回", "Returned"),
    ),
    transitions=(
        Transition(
            "submit",
            "提交",
            "Submit",
            ("draft", "returned"),
            "submitted",
            WRITERS,
            effects=_submitted,
            icon=":material/send:",
            primary=True,
        ),
        Transition(
            "approve",
            "审批通过",
            "Approve",
            ("submitted",),
            "approved",
            HEADS,
            guard=_review_guard,
            effects=_reviewed(True),
            icon=":material/verified:",
            primary=True,
        ),
        Transition(
            "return",
            "退回",
            "Return",
            ("submitted",),
            "returned",
            HEADS,
            guard=_review_guard,
            comment=True,
            effects=_reviewed(None),
            icon=":material/undo:",
        ),
        Transition(
            "unlock",
            "解锁",
            "Unlock",
            ("approved",),
            "returned",
            HEADS,
            guard=_review_guard,
            effects=_unlocked,
            icon=":material/lock_open:",
        ),
    ),
    comment_field="review_comment",
    # An approved month freezes its plan items (progress updates check their item's month).
    locks=(
        Lock(
            "plan_items",
            (("org_unit_id", "org_unit_id"), ("month", "month")),
            ("approved",),
            "validation.month_locked",
        ),
    ),
)


class MonthlyReportSpec(RecordSpec):
    """Monthly reports (月报): a unit's summary, problems and next month's plan, with the
    month's items as its child rows; the status moves only through the workflow: submit,
    approve (which locks the month), return (with a comment) and unlock."""

    slug = "monthly_reports"
    model = MonthlyReport
    title_zh, title_en = "月度报告", "Monthly reports"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Org unit", required=True, create_only=True),
        Field("month", "text", "月份", "Month", required=True, max_length=7, create_only=True, validator=_month_error),
        Field("status", "choice", "状态", "Status", readonly=True, choices=REPORT_STATUSES),
        Field("summary", "longtext", "本月工作总结", "This month's summary", max_length=8000),
        Field("problems", "longtext", "存在问题", "Problems", max_length=8000),
        Field("next_plan", "longtext", "下月工作计划", "Next month's plan", max_length=8000),
        Field("due_date", "date", "上报时限", "Due", readonly=True),
        Field("on_time", "bool", "按时上报", "On time", readonly=True),
        Field("review_comment", "longtext", "审批意见", "Review comment", readonly=True),
    )
    list_display = ("month", "org_unit_id", "status", "due_date", "on_time")
    list_filter = ("status", "org_unit_id")
    search_fields = ("month",)
    ordering = ("-month", "org_unit_id")
    date_field = "due_date"  # a month's report belongs to the period it falls due in
    natural_key = ("org_unit_id", "month")
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": WRITERS,
        "edit": WRITERS,
        "delete": frozenset({"admin"}),
        "export": ALL,
        "revert": HEADS,
    }
    can_import = False
    workflow = REPORT_WORKFLOW
    inlines = (
        Inline(
            "plan_items",
            link=(("org_unit_id", "org_unit_id"), ("month", "month")),
            fields=("title", "area", "owner_user_id", "owner_name", "target_qty", "target_unit", "due_date", "status"),
            title_zh="本月计划事项",
            title_en="This month's items",
        ),
    )

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if creating:  # in the same INSERT: set afterwards, it would be a second version
            obj.due_date = due_for(session, session.get_one(OrgUnit, obj.org_unit_id), obj.month)


# -- the cycle ---------------------------------------------------------------------------------


class CycleError(PortalError):
    key = "plans.error.state"


def due_for(session: Session, unit: OrgUnit, month: str) -> dt.date:
    return calendars.due_date(
        calendars.load_calendar(session), month, unit.report_due_rule or calendars.DEFAULT_DUE_RULE
    )


@overload
def report_for(session: Session, actor: Actor, unit_id: int, month: str, create: Literal[True]) -> MonthlyReport: ...
@overload
def report_for(
    session: Session, actor: Actor, unit_id: int, month: str, create: bool = False
) -> MonthlyReport | None: ...
def report_for(session: Session, actor: Actor, unit_id: int, month: str, create: bool = False) -> MonthlyReport | None:
    """The unit's report for a month, None when there is none yet (created with create=True)."""
    unit = get_unit_in_scope(session, actor, unit_id)
    report = session.scalar(
        select(MonthlyReport).where(
            MonthlyReport.org_unit_id == unit.id, MonthlyReport.month == month, MonthlyReport.deleted_at.is_(None)
        )
    )
    if report is None and create:
        report = records.create(session, actor, MonthlyReportSpec, {"org_unit_id": unit.id, "month": month})
    return report


def submit(
    session: Session, actor: Actor, unit_id: int, month: str, now: dt.datetime | None = None, **texts: str | None
) -> MonthlyReport:
    """A unit reports its month up the chain (the workflow's submit step), with the
    report's texts saved first; on time if by the due date on the office's calendar."""
    if actor.role not in WRITERS:
        raise PermissionDenied("error.permission")
    if not periods.is_key(month, "month"):
        raise ValidationError([FieldError("month", "validation.month", {"value": month})])
    report = report_for(session, actor, unit_id, month, create=True)
    if report.status in ("submitted", "approved"):
        raise CycleError("plans.error.already_submitted", month=month)
    if any(v is not None for v in texts.values()):
        records.update(
            session, actor, MonthlyReportSpec, report.id, {k: v for k, v in texts.items() if v is not None}, None
        )
    result: MonthlyReport = records.transition(session, actor, MonthlyReportSpec, report.id, "submit", now=now)
    return result


def _review(
    session: Session, actor: Actor, unit_id: int, month: str, step: str, comment: str, now: dt.datetime | None
) -> MonthlyReport:
    """A review step on a unit's month: rights first (a head above the unit), then the
    report's state, then the step itself through the workflow."""
    unit = get_unit_in_scope(session, actor, unit_id)  # out of scope reads as not found
    if actor.role not in HEADS:
        raise PermissionDenied("error.permission")
    report = report_for(session, actor, unit.id, month)
    if report is None:
        _review_guard(session, actor, MonthlyReport(org_unit_id=unit.id, month=month))
        raise CycleError("plans.error.not_submitted" if step != "unlock" else "plans.error.not_locked", month=month)
    try:
        result: MonthlyReport = records.transition(session, actor, MonthlyReportSpec, report.id, step, comment, now=now)
    except PortalError as exc:
        if exc.key == "workflow.not_from":
            raise CycleError(
                "plans.error.not_submitted" if step != "unlock" else "plans.error.not_locked", month=month
            ) from None
        raise
    return result


def approve(
    session: Session, actor: Actor, unit_id: int, month: str, comment: str = "", now: dt.datetime | None = None
) -> MonthlyReport:
    return _review(session, actor, unit_id, month, "approve", comment, now)


def return_report(
    session: Session, actor: Actor, unit_id: int, month: str, comment: str, now: dt.datetime | None = None
) -> MonthlyReport:
    return _review(session, actor, unit_id, month, "return", comment, now)


def unlock(session: Session, actor: Actor, unit_id: int, month: str, comment: str = "") -> MonthlyReport:
    """Reopen an approved month for corrections; it must be submitted again."""
    return _review(session, actor, unit_id, month, "unlock", comment, None)


# -- the status grid -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    status: str  # draft | submitted | approved | returned | overdue | not_due
    due: dt.date
    submitted_at: dt.datetime | None
    on_time: bool | None
    locked: bool


def grid(
    session: Session, actor: Actor, unit_ids: list[int], months: list[str], today: dt.date
) -> dict[tuple[int, str], Cell]:
    """Units x months: where each unit's report stands, against its due date."""
    units = {
        u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(unit_ids), OrgUnit.deleted_at.is_(None)))
    }
    for unit in units.values():
        get_unit_in_scope(session, actor, unit.id)
    unit_ids = [uid for uid in unit_ids if uid in units]  # a unit deleted meanwhile drops out
    reports = {
        (r.org_unit_id, r.month): r
        for r in session.scalars(
            select(MonthlyReport).where(
                MonthlyReport.org_unit_id.in_(unit_ids),
                MonthlyReport.month.in_(months),
                MonthlyReport.deleted_at.is_(None),
            )
        )
    }
    calendar = calendars.load_calendar(session)
    cells = {}
    for uid in unit_ids:
        for month in months:
            due = calendars.due_date(calendar, month, units[uid].report_due_rule or calendars.DEFAULT_DUE_RULE)
            report = reports.get((uid, month))
            status = report.status if report else "draft"
            if status in ("draft", "returned") and today > due:
                status = "overdue" if status == "draft" else status
            if status == "draft" and today < periods.bounds(month)[1]:
                status = "not_due"
            cells[(uid, month)] = Cell(
                status,
                due,
                report.submitted_at if report else None,
                report.on_time if report else None,
                bool(report and report.locked),
            )
    return cells


# -- month close ------------------------------------------------------------------------------


def next_month(month: str) -> str:
    year, m = int(month[:4]), int(month[5:7])
    return f"{year + (m == 12)}-{m % 12 + 1:02d}"


def items_of(session: Session, actor: Actor, unit_id: int, month: str) -> list[PlanItem]:
    unit = get_unit_in_scope(session, actor, unit_id)
    return list(
        session.scalars(
            select(PlanItem)
            .where(PlanItem.org_unit_id == unit.id, PlanItem.month == month, PlanItem.deleted_at.is_(None))
            .order_by(PlanItem.due_date, PlanItem.id)
        )
    )


_COPIED = ("area", "title", "description", "owner_name", "target_qty", "target_unit", "source")


def carry_over(session: Session, actor: Actor, unit_id: int, month: str) -> int:
    """Unfinished items continue next month, linked to the original (结转)."""
    target = next_month(month)
    done = {i.carried_from_id for i in items_of(session, actor, unit_id, target) if i.carried_from_id}
    count = 0
    for item in items_of(session, actor, unit_id, month):
        if item.status not in UNFINISHED or item.id in done:
            continue
        records.create(
            session,
            actor,
            PlanItemSpec,
            {
                "org_unit_id": item.org_unit_id,
                "month": target,
                **{k: getattr(item, k) for k in _COPIED},
                "status": "in_progress" if item.progress_pct else "not_started",
                "progress_pct": item.progress_pct,
                "actual_qty": item.actual_qty,
                "notes": item.notes,
            },
            system={"carried_over": True, "carried_from_id": item.id},
        )
        if not is_locked(session, item.org_unit_id, month) and item.status != "postponed":
            records.update(session, actor, PlanItemSpec, item.id, {"status": "postponed"}, None)
        count += 1
    session.flush()
    return count


def copy_month(session: Session, actor: Actor, unit_id: int, source: str, target: str) -> int:
    """Start a month from another month's plan (every item, progress reset)."""
    count = 0
    for item in items_of(session, actor, unit_id, source):
        if item.status == "cancelled":
            continue
        records.create(
            session,
            actor,
            PlanItemSpec,
            {"org_unit_id": item.org_unit_id, "month": target, **{k: getattr(item, k) for k in _COPIED}},
        )
        count += 1
    return count


def from_template(session: Session, actor: Actor, unit_id: int, month: str, template: str) -> int:
    """Start a month from a built-in schedule drawn from the seed plans."""
    from portal.programmes.plans.templates import TEMPLATES

    if template not in TEMPLATES:
        raise ValidationError([FieldError("template", "validation.choice", {"value": template})])
    rows = TEMPLATES[template]["months"].get(int(month[5:7]), [])
    for area, title, qty, unit in rows:
        records.create(
            session,
            actor,
            PlanItemSpec,
            {
                "org_unit_id": unit_id,
                "month": month,
                "area": area,
                "title": title,
                "target_qty": qty,
                "target_unit": unit,
            },
        )
    return len(rows)
