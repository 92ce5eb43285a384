"""Monthly work plans: plan items with owners, targets and progress, and the month's
cycle — a unit submits its month, the head of a unit above approves it (which locks the
month's items) or returns it with a comment, and only a head can unlock it again.

Due dates follow the unit's rule on the working-day calendar (default: the 5th working
day of the next month, 002 篇二). Every step is audited like any other write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import MonthlyReport, OrgUnit, PlanItem, ProgressUpdate, WorkPlan
from portal import periods
from portal.errors import FieldError, NotFound, PermissionDenied, PortalError, ValidationError
from portal.i18n import DISPLAY_TZ
from portal.org import calendars
from portal.org.scope import Actor, get_unit_in_scope
from portal.records import audit
from portal.records import service as records
from portal.records.fields import Choice, Field
from portal.records.spec import ALL, Permissions, RecordSpec

AREAS = (
    Choice("he", "健康教育", "Health education"),
    Choice("tr", "培训", "Training"),
    Choice("san", "爱国卫生", "Sanitation"),
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
HEADS = frozenset({"admin", "head"})


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
    from db.models import User

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
            help_zh="如 2026-10",
            help_en="e.g. 2026-10",
        ),
        Field("area", "choice", "业务领域", "Area", required=True, choices=AREAS, default="other"),
        Field("title", "text", "工作事项", "Item", required=True, max_length=200, aliases=("事项", "工作内容")),
        Field("description", "longtext", "具体内容", "Description", max_length=4000),
        Field("owner_name", "text", "责任人", "Owner", max_length=60, aliases=("负责人",)),
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
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        errors = _lock_error(session, values.get("org_unit_id"), values.get("month"))
        if existing is not None and not errors:
            errors = _lock_error(session, existing.org_unit_id, existing.month)
        return errors

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if obj.status == "done":
            obj.progress_pct = 100
            obj.completed_on = obj.completed_on or _local_date(utcnow())  # the office's day
        if "owner_name" in values or creating:
            obj.owner_user_id = _owner_account(session, obj.org_unit_id, obj.owner_name)

    @classmethod
    def before_delete(cls, session: Any, obj: Any, actor: Any) -> None:
        errors = _lock_error(session, obj.org_unit_id, obj.month)
        if errors:
            raise ValidationError(errors)


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
        raw.setdefault("update_date", dt.date.today())
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
        return _lock_error(session, item.org_unit_id, item.month)

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
        if obj.quantity:
            changes["actual_qty"] = (item.actual_qty or 0) + obj.quantity
        if obj.progress_pct is not None:
            changes["progress_pct"] = obj.progress_pct
        if item.status in ("not_started", "overdue", "postponed") and (obj.quantity or obj.progress_pct):
            changes["status"] = "in_progress"
        if obj.progress_pct == 100:
            changes.update(status="done", completed_on=obj.update_date)
        if changes:  # through the service: validated, version-checked and audited
            records.update(session, actor, PlanItemSpec, item.id, changes, None)


class MonthlyReportSpec(RecordSpec):
    """Monthly reports (月报): a unit's summary, problems and next month's plan; the
    status moves only through submit, approve, return and unlock."""

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

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        if existing is not None and existing.status in ("submitted", "approved"):
            return [FieldError("summary", "validation.report_not_editable")]
        return []

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if creating:  # in the same INSERT: set afterwards, it would be a second version
            obj.due_date = due_for(session, session.get_one(OrgUnit, obj.org_unit_id), obj.month)


# -- the cycle ---------------------------------------------------------------------------------


class CycleError(PortalError):
    key = "plans.error.state"


def _local_date(instant: dt.datetime) -> dt.date:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(DISPLAY_TZ)).date()


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


def _step(session: Session, actor: Actor, report: MonthlyReport, action: str, **changes: Any) -> MonthlyReport:
    """One audited transition of a report's cycle."""
    before = audit.snapshot(report)
    for key, value in changes.items():
        setattr(report, key, value)
    session.flush()
    audit.record(
        session, actor, action, MonthlyReportSpec.slug, report.id, report.org_unit_id, before, audit.snapshot(report)
    )
    return report


def submit(
    session: Session, actor: Actor, unit_id: int, month: str, now: dt.datetime | None = None, **texts: str | None
) -> MonthlyReport:
    """A unit reports its month up the chain; on time if by the due date (local time)."""
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
    now = now or utcnow()
    unit = session.get_one(OrgUnit, report.org_unit_id)
    due = due_for(session, unit, month)
    return _step(
        session,
        actor,
        report,
        "submit",
        status="submitted",
        submitted_at=now,
        submitted_by=actor.username,
        due_date=due,
        on_time=_local_date(now) <= due,
    )


def _review_rights(session: Session, actor: Actor, unit: OrgUnit) -> None:
    """Only a head of a unit above the reporting unit (or an admin) reviews it."""
    if actor.role not in HEADS:
        raise PermissionDenied("error.permission")
    if not actor.sees_everything and (unit.id == actor.org_unit_id or not unit.path.startswith(actor.org_path)):
        raise PermissionDenied("plans.error.not_above")


def _under_review(session: Session, actor: Actor, unit_id: int, month: str) -> MonthlyReport:
    """The submitted report of a unit the actor may review (rights are checked first, so
    an outsider learns nothing about the report's state)."""
    unit = get_unit_in_scope(session, actor, unit_id)
    _review_rights(session, actor, unit)
    report = report_for(session, actor, unit_id, month)
    if report is None or report.status != "submitted":
        raise CycleError("plans.error.not_submitted", month=month)
    return report


def approve(
    session: Session, actor: Actor, unit_id: int, month: str, comment: str = "", now: dt.datetime | None = None
) -> MonthlyReport:
    report = _under_review(session, actor, unit_id, month)
    return _step(
        session,
        actor,
        report,
        "approve",
        status="approved",
        locked=True,
        reviewed_at=now or utcnow(),
        reviewed_by=actor.username,
        review_comment=comment or None,
    )


def return_report(
    session: Session, actor: Actor, unit_id: int, month: str, comment: str, now: dt.datetime | None = None
) -> MonthlyReport:
    report = _under_review(session, actor, unit_id, month)
    if not (comment or "").strip():
        raise ValidationError([FieldError("review_comment", "validation.required")])
    return _step(
        session,
        actor,
        report,
        "return",
        status="returned",
        reviewed_at=now or utcnow(),
        reviewed_by=actor.username,
        review_comment=comment.strip(),
    )


def unlock(session: Session, actor: Actor, unit_id: int, month: str, comment: str = "") -> MonthlyReport:
    """Reopen an approved month for corrections; it must be submitted again."""
    _review_rights(session, actor, get_unit_in_scope(session, actor, unit_id))
    report = report_for(session, actor, unit_id, month)
    if report is None or not report.locked:
        raise CycleError("plans.error.not_locked", month=month)
    return _step(
        session,
        actor,
        report,
        "unlock",
        status="returned",
        locked=False,
        review_comment=comment or report.review_comment,
    )


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
            preset={"carried_over": True, "carried_from_id": item.id},
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
