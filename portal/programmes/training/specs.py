"""Training (培训) as record types on the engine: programmes with a quota per unit (child
rows), sessions over half-days with a workflow, the roster, sign-in marks per roster entry
and half-day (a grid), and test results whose grade is computed from the programme's
bands. Seeds: 002 篇五 (the 协管员 training and its test: 合格率100%，优秀29%、良好46%),
000 篇五 (quotas per unit, 2-day sessions, summary due), 001 篇五 / 004 篇1 / 004 篇8 (hours
per person a year: 20 / 40 / 30 学时).

Scoping. Programmes and sessions are the county's published training calendar: everyone
sees them, and only users whose subtree holds the organiser unit change them. Roster
entries, marks and results belong to the trainee's unit, so a unit sees its own people
(and indicators add up per unit); the trainer of a session reaches its roster through
``portal.programmes.training.service.session_actor``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    OrgUnit,
    TrainingAssessment,
    TrainingAttendance,
    TrainingEnrolment,
    TrainingExternalHours,
    TrainingPerson,
    TrainingProgramme,
    TrainingQuota,
    TrainingSession,
)
from portal.errors import FieldError, ValidationError
from portal.org.scope import Actor, in_scope
from portal.records import service as records
from portal.records.children import Inline
from portal.records.fields import Choice, Field
from portal.records.spec import ALL, HEADS, Permissions, RecordSpec
from portal.records.stats import Measure, Stats
from portal.records.workflow import Lock, State, Transition, Workflow, status_field

TRAINERS = frozenset({"admin", "head", "trainer"})
NOMINATORS = TRAINERS | {"staff"}
# Records the nominating units keep (roster entries, external hours): everyone sees and
# exports them, nominators write and import them, heads revert them.
NOMINATORS_KEEP: Permissions = {
    "view": ALL,
    "create": NOMINATORS,
    "edit": NOMINATORS,
    "delete": NOMINATORS,
    "export": ALL,
    "import": NOMINATORS,
    "revert": HEADS,
}

CATEGORIES = (
    Choice("management", "管理培训", "Management"),
    Choice("phs_norms", "基本公卫规范培训", "Basic public-health norms"),
    Choice("quality", "医疗护理质量与院感", "Care quality and infection control"),
    Choice("assistant", "协管员培训", "Supervision assistants"),
    Choice("informant", "信息员培训", "Village informants"),
    Choice("supervisor", "监督员培训", "Health supervisors"),
    Choice("infectious", "传染病防治培训", "Infectious-disease control"),
    Choice("first_aid", "急救普及", "First aid"),
    Choice("eye_exercise", "眼保健操培训", "Eye exercises"),
    Choice("emergency", "应急演练", "Emergency drill"),
    Choice("study", "三基/业务学习", "In-service study"),
    Choice("other", "其他", "Other"),
)
FORMATS = (
    Choice("lecture", "集中授课", "Lectures"),
    Choice("field", "现场教学", "Field teaching"),
    Choice("shadowing", "跟班学习", "Shadowing"),
    Choice("online", "线上", "Online"),
    Choice("case", "案例教学", "Case teaching"),
    Choice("simulation", "情景模拟", "Simulation"),
    Choice("contest", "竞赛", "Contest"),
)
PERSON_CATEGORIES = (
    Choice("assistant", "协管员", "Supervision assistant"),
    Choice("informant", "信息员", "Informant"),
    Choice("supervisor", "卫生监督员", "Health supervisor"),
    Choice("doctor", "医生", "Doctor"),
    Choice("nurse", "护士", "Nurse"),
    Choice("public_health", "公卫人员", "Public-health staff"),
    Choice("village_doctor", "村医", "Village doctor"),
    Choice("teacher", "教师", "Teacher"),
    Choice("other", "其他", "Other"),
)
# Yearly 学时 each category owes (declared here, read by the ledger and the charts):
# 协管员 and 信息员 20 (001 篇五 “每人每年培训不少于20学时”), 卫生监督员 40 (004 篇1 “不低于
# 40学时/人”), everyone else 30 (004 篇8 “全年学习培训时间不少于30个学时”).
MIN_HOURS: dict[str, float] = {"assistant": 20, "informant": 20, "supervisor": 40}
DEFAULT_MIN_HOURS = 30.0
SEXES = (Choice("m", "男", "Male"), Choice("f", "女", "Female"))
ENROLMENT_STATUSES = (
    Choice("enrolled", "已报名", "Nominated"),
    Choice("confirmed", "已确认", "Confirmed"),
    Choice("withdrawn", "退出", "Withdrawn"),
    Choice("replaced", "替换", "Replaced"),
)
HOLDING = ("enrolled", "confirmed")  # statuses that hold a quota place
MARKS = (
    Choice("present", "出勤", "Present"),
    Choice("late", "迟到", "Late"),
    Choice("early", "早退", "Left early"),
    Choice("leave", "请假", "On leave"),
    Choice("absent", "缺勤", "Absent"),
)
PRESENT = ("present", "late", "early")
METHODS = (
    Choice("grid", "考勤表", "Grid"),
    Choice("self", "扫码签到", "Self sign-in"),
    Choice("import", "导入", "Import"),
)
GRADES = (
    Choice("excellent", "优秀", "Excellent"),
    Choice("good", "良好", "Good"),
    Choice("pass", "合格", "Pass"),
    Choice("fail", "不合格", "Fail"),
)
UNIT_TYPES = (
    Choice("township_hc", "乡镇卫生院", "Township health centre"),
    Choice("village_clinic", "村卫生室", "Village clinic"),
    Choice("school", "学校", "School"),
    Choice("supervision", "卫生监督所", "Supervision office"),
    Choice("cdc", "疾控中心", "CDC"),
    Choice("bureau", "卫生健康局", "Health bureau"),
    Choice("other", "其他", "Other"),
)
SESSION_STATES = (
    State("planned", "计划中", "Planned"),
    State("open", "进行中", "Open"),
    State("finished", "已结束", "Finished"),
    State("summarised", "已总结", "Summarised", readonly=True),
)
EXTERNAL_KINDS = (
    Choice("external", "外出培训", "Training elsewhere"),
    Choice("online", "线上学习", "Online learning"),
)
HALF_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}/(am|pm)$")


def _get(session: Session, model: Any, key: Any) -> Any:
    return session.get(model, key) if key is not None else None


# -- pure rules: the half-days of a session, a grade from bands, hours from a mark --------------


def half_days(start: dt.date, count: int) -> list[str]:
    """The session's half-day keys, morning then afternoon of consecutive days:
    ``2026-11-30/am``, ``2026-11-30/pm``, ``2026-12-01/am``..."""
    return [f"{(start + dt.timedelta(days=i // 2)).isoformat()}/{'am' if i % 2 == 0 else 'pm'}" for i in range(count)]


def end_date(values: dict[str, Any]) -> dt.date | None:
    start, count = values.get("start_date"), values.get("half_days")
    if start is None or not count:
        return None
    return start + dt.timedelta(days=(int(count) - 1) // 2)


def grade(score: float | None, excellent: float = 90, good: float = 80, pass_mark: float = 60) -> str | None:
    """优秀 ≥ excellent, 良好 ≥ good, 合格 ≥ pass mark, else 不合格 (defaults 90 / 80 / 60)."""
    if score is None:
        return None
    if score >= excellent:
        return "excellent"
    if score >= good:
        return "good"
    if score >= pass_mark:
        return "pass"
    return "fail"


def _grade(values: dict[str, Any]) -> str | None:
    return grade(
        values.get("score"),
        values.get("excellent_mark") or 90,
        values.get("good_mark") or 80,
        values.get("pass_mark") or 60,
    )


def _passed(values: dict[str, Any]) -> bool:
    return values.get("grade") in ("excellent", "good", "pass")


def _present(values: dict[str, Any]) -> bool:
    return values.get("status") in PRESENT


def _hours(values: dict[str, Any]) -> float:
    """出勤 and 迟到 earn the half-day's hours, 早退 half of them, 请假 and 缺勤 none."""
    per = float(values.get("half_day_hours") or 0)
    status = values.get("status")
    if status in ("present", "late"):
        return per
    if status == "early":
        return per / 2
    return 0.0


def _day(values: dict[str, Any]) -> dt.date | None:
    key = values.get("half_day")
    return dt.date.fromisoformat(key[:10]) if isinstance(key, str) and HALF_DAY_RE.match(key) else None


def _half_day_error(key: str, value: Any) -> FieldError | None:
    if isinstance(value, str) and HALF_DAY_RE.match(value):
        try:
            dt.date.fromisoformat(value[:10])
            return None
        except ValueError:
            pass
    return FieldError(key, "training.half_day_format", {"value": str(value)[:20]})


def _organiser_error(session: Session, actor: Actor, unit_id: int | None) -> list[FieldError]:
    """Only users whose subtree holds the organiser unit change its programmes and sessions."""
    unit = session.get(OrgUnit, unit_id) if unit_id is not None else None
    if unit is None or in_scope(actor, unit):
        return []
    return [
        FieldError("organiser_unit_id", "training.not_organiser", {"unit": unit.name_zh, "unit_en": unit.name("en")})
    ]


def _runs_guard(session: Session, actor: Any, record: Any) -> FieldError | None:
    """A session is run (its steps taken, its text changed) by its trainer or by users
    whose subtree holds its organiser unit."""
    if getattr(actor, "id", None) is not None and record.trainer_user_id == actor.id:
        return None
    errors = _organiser_error(session, actor, record.organiser_unit_id)
    return errors[0] if errors else None


# -- programmes and their quotas ------------------------------------------------------------------


class TrainingProgrammeSpec(RecordSpec):
    """A year's training programme (培训项目) with its quota per unit as child rows."""

    slug = "training_programmes"
    model = TrainingProgramme
    title_zh, title_en = "培训项目", "Training programmes"
    org_field = None  # the published calendar: everyone sees it; the organiser's users change it
    fields = (
        Field("organiser_unit_id", "org_unit", "主办单位", "Organiser", required=True, aliases=("主办",)),
        Field("year", "int", "年度", "Year", required=True, min=2000, max=2100),
        Field("title", "text", "项目名称", "Title", required=True, max_length=200, aliases=("名称",)),
        Field("category", "choice", "培训类别", "Category", required=True, choices=CATEGORIES),
        Field("audience", "text", "培训对象", "Audience", max_length=200),
        Field("hours", "float", "计划学时", "Planned hours", min=0, max=1000),
        Field("credit_type", "text", "学分类型", "Credit type", max_length=60, help_zh="如 继续医学教育学分"),
        Field("assessment", "text", "考核方式", "Assessment", max_length=60, help_zh="如 闭卷笔试"),
        Field("pass_mark", "float", "合格分", "Pass mark", min=0, max=100, default=60.0),
        Field("good_mark", "float", "良好分", "Good from", min=0, max=100, default=80.0),
        Field("excellent_mark", "float", "优秀分", "Excellent from", min=0, max=100, default=90.0),
        Field("summary_due", "date", "总结报送时限", "Summary due"),
        Field("notes", "longtext", "备注", "Notes", max_length=4000),
    )
    list_display = ("year", "title", "category", "organiser_unit_id", "hours", "summary_due")
    list_filter = ("category", "organiser_unit_id")
    search_fields = ("title", "audience")
    ordering = ("-year", "title")
    label_fields = ("title",)
    inlines = (
        Inline(
            "training_quotas",
            link=(("programme_id", "id"),),
            title_zh="各单位名额",
            title_en="Quota per unit",
        ),
    )
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": TRAINERS,
        "edit": TRAINERS,
        "delete": HEADS,
        "export": ALL,
        "import": TRAINERS,
        "revert": HEADS,
    }

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        bands = (values.get("pass_mark") or 60, values.get("good_mark") or 80, values.get("excellent_mark") or 90)
        if not bands[0] <= bands[1] <= bands[2]:
            return [FieldError("good_mark", "training.bands_order")]
        return []

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        return _organiser_error(session, actor, existing.organiser_unit_id) if existing is not None else []


class TrainingQuotaSpec(RecordSpec):
    """A programme's quota: for one unit, or for every unit of a type (卫生院 6, 卫生室 1);
    a unit's own line wins over its type's."""

    slug = "training_quotas"
    model = TrainingQuota
    title_zh, title_en = "培训名额", "Training quotas"
    org_field = None
    fields = (
        Field(
            "programme_id", "ref", "培训项目", "Programme", ref="training_programmes", required=True, create_only=True
        ),
        Field("unit_id", "org_unit", "单位", "Unit", help_zh="只对该单位", help_en="This unit only"),
        Field("unit_type", "choice", "单位类型", "Unit type", choices=UNIT_TYPES, help_zh="该类型的每个单位"),
        Field("quota", "int", "名额", "Quota", required=True, min=0, max=10000),
    )
    list_display = ("programme_id", "unit_id", "unit_type", "quota")
    permissions = TrainingProgrammeSpec.permissions

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        if (values.get("unit_id") is None) == (values.get("unit_type") is None):
            return [FieldError("unit_id", "training.quota_target")]
        return []


# -- sessions -------------------------------------------------------------------------------------


class TrainingSessionSpec(RecordSpec):
    """One session (期/班) of a programme: consecutive half-days from its start date, each
    worth ``hours_per_half_day`` 学时; planned → open → finished → summarised."""

    slug = "training_sessions"
    model = TrainingSession
    title_zh, title_en = "培训场次", "Training sessions"
    org_field = None
    fields = (
        Field("programme_id", "ref", "培训项目", "Programme", ref="training_programmes", required=True),
        Field("organiser_unit_id", "org_unit", "主办单位", "Organiser", readonly=True),
        Field("session_no", "int", "期次", "Session no.", required=True, min=1, max=99, default=1),
        Field("title", "text", "名称", "Title", required=True, max_length=200),
        Field("start_date", "date", "开始日期", "Starts", required=True),
        Field(
            "half_days",
            "int",
            "半天数",
            "Half-days",
            required=True,
            min=1,
            max=20,
            default=2,
            help_zh="上午、下午各算一个半天",
            help_en="Mornings and afternoons each count as one",
        ),
        Field("end_date", "date", "结束日期", "Ends", computed=end_date),
        Field("hours_per_half_day", "float", "每半天学时", "Hours per half-day", min=0, max=12, default=3.0),
        Field("format", "choice", "形式", "Format", required=True, choices=FORMATS, default="lecture"),
        Field("venue", "text", "地点", "Venue", max_length=120),
        Field("trainer_user_id", "ref", "培训负责人（账号）", "Trainer (account)", ref="users", on_delete="allow"),
        Field("lecturers", "text", "授课人", "Lecturers", max_length=200),
        Field("capacity", "int", "容量", "Capacity", min=1, max=10000),
        status_field(SESSION_STATES),
        Field("summary", "longtext", "培训总结", "Summary", max_length=8000),
    )
    list_display = ("start_date", "title", "session_no", "half_days", "venue", "trainer_user_id", "status")
    list_filter = ("programme_id", "status", "format", "start_date")
    search_fields = ("title", "venue", "lecturers")
    ordering = ("-start_date", "id")
    label_fields = ("title", "start_date")
    date_field = "start_date"
    stats = Stats(by=("format",), measures=(Measure("count"), Measure("sum", "half_days")))
    workflow = Workflow(
        states=SESSION_STATES,
        transitions=(
            Transition("open", "开始签到", "Open", ("planned",), "open", TRAINERS, guard=_runs_guard, primary=True),
            Transition(
                "finish", "结束培训", "Finish", ("open",), "finished", TRAINERS, guard=_runs_guard, primary=True
            ),
            Transition("reopen", "重新开放", "Reopen", ("finished",), "open", TRAINERS, guard=_runs_guard),
            Transition(
                "summarise",
                "完成总结",
                "Summarise",
                ("finished",),
                "summarised",
                TRAINERS,
                guard=_runs_guard,
                primary=True,
            ),
            Transition(
                "unlock", "解除锁定", "Unlock", ("summarised",), "finished", HEADS, guard=_runs_guard, comment=True
            ),
        ),
        # A summarised session freezes its roster (a declared lock). Its marks and results
        # are frozen by their own specs' checks (``_frozen_errors``), which read the session
        # from the unit of work once per save instead of querying once per row of a grid.
        locks=(Lock("training_enrolments", (("session_id", "id"),), ("summarised",)),),
    )
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": TRAINERS,
        "edit": TRAINERS,
        "delete": HEADS,
        "export": ALL,
        "import": TRAINERS,
        "revert": HEADS,
    }

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        """A new session belongs under a programme the actor's subtree organises; an
        existing one is changed by its trainer or by users above its organiser."""
        if existing is not None:
            refusal = _runs_guard(session, actor, existing)
            return [refusal] if refusal is not None else []
        programme = _get(session, TrainingProgramme, values.get("programme_id"))
        errors = _organiser_error(session, actor, programme.organiser_unit_id if programme else None)
        return [FieldError("programme_id", e.key, e.params) for e in errors[:1]]

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        programme = session.get(TrainingProgramme, obj.programme_id)
        if programme is not None:
            obj.organiser_unit_id = programme.organiser_unit_id


# -- the roster -----------------------------------------------------------------------------------


def quota_for(session: Session, programme_id: int, unit: OrgUnit) -> int | None:
    """The unit's own quota line, else its type's, else None (no limit)."""
    rows = session.execute(
        select(TrainingQuota.unit_id, TrainingQuota.unit_type, TrainingQuota.quota).where(
            TrainingQuota.programme_id == programme_id, TrainingQuota.deleted_at.is_(None)
        )
    ).all()
    own = [q for u, _, q in rows if u == unit.id]
    if own:
        return own[0]
    typed = [q for u, kind, q in rows if u is None and kind == unit.type]
    return typed[0] if typed else None


def _holders(session: Session, *where: Any, exclude: int | None) -> list[str]:
    stmt = (
        select(TrainingEnrolment.person_name)
        .join(TrainingSession, TrainingSession.id == TrainingEnrolment.session_id)
        .where(TrainingEnrolment.deleted_at.is_(None), TrainingEnrolment.status.in_(HOLDING), *where)
        .order_by(TrainingEnrolment.id)
    )
    if exclude is not None:
        stmt = stmt.where(TrainingEnrolment.id != exclude)
    return list(session.scalars(stmt))


# -- the trainee register ---------------------------------------------------------------------


PHONE_RE = re.compile(r"^\+?\d{5,15}$")


def _phone_error(key: str, value: Any) -> FieldError | None:
    """A phone as people type it (spaces and dashes allowed): 5 to 15 digits."""
    if value in (None, ""):
        return None
    if PHONE_RE.match(re.sub(r"[\s-]", "", str(value))):
        return None
    return FieldError(key, "training.phone_format", {"value": str(value)[:20]})


def _clean_phone(value: Any) -> Any:
    return re.sub(r"[\s-]", "", value) if isinstance(value, str) else value


def same_person(name: str, phone: str | None, unit_id: int | None, other: Any) -> bool:
    """The rule a roster and the register share: the same name and phone, or (when either
    has no phone) the same name and unit."""
    if (other.name if isinstance(other, TrainingPerson) else other.person_name).strip() != name.strip():
        return False
    mine, theirs = _clean_phone(phone or "").strip(), _clean_phone(other.phone or "").strip()
    if mine and theirs:
        return mine == theirs
    return other.org_unit_id == unit_id


def find_person(
    session: Session, actor: Actor, name: str, phone: str | None, unit_id: int | None, tail: str | None = None
) -> TrainingPerson | None:
    """The register's person for a roster entry, among the people the actor may see: the
    same name and phone (anywhere in reach), else the same name and unit (when either has
    no phone); with only a phone's last four digits (a walk-in), the same name and unit and
    a phone ending so, or none. Ties go to the person of the entry's unit, then the oldest."""
    name = (name or "").strip()
    if not name:
        return None
    stmt = records.scoped(TrainingPersonSpec, actor, session=session).where(TrainingPerson.name == name)
    with session.no_autoflush:
        found = list(session.scalars(stmt.order_by(TrainingPerson.id).limit(200)))
    if tail:
        found = [p for p in found if p.org_unit_id == unit_id and _clean_phone(p.phone or "").endswith(tail)] or [
            p for p in found if p.org_unit_id == unit_id and not p.phone
        ]
    else:
        phone = _clean_phone(phone or "").strip()
        by_phone = [p for p in found if phone and _clean_phone(p.phone or "").strip() == phone]
        found = by_phone or [p for p in found if same_person(name, phone, unit_id, p)]
    found.sort(key=lambda p: (p.org_unit_id != unit_id, p.id))
    return found[0] if found else None


def find_or_add_person(
    session: Session,
    actor: Actor,
    values: dict[str, Any],
    tail: str | None = None,
) -> TrainingPerson:
    """The person a roster entry names (``values``: org_unit_id, person_name, sex, category,
    phone), found in the register or added to it through the engine (validated, audited)."""
    person = find_person(session, actor, values["person_name"], values.get("phone"), values["org_unit_id"], tail)
    if person is not None:
        return person
    added: TrainingPerson = records.create(
        session,
        actor,
        TrainingPersonSpec,
        {
            "org_unit_id": values["org_unit_id"],
            "name": values["person_name"],
            "sex": values.get("sex"),
            "category": values["category"],
            "phone": values.get("phone"),
        },
        system={"person_key": person_key_of(values["org_unit_id"], values["person_name"], values.get("phone") or tail)},
    )
    return added


class TrainingPersonSpec(RecordSpec):
    """The trainee register (学员名册): a person once, however many trainings they attend.
    Roster entries, walk-ins, roster imports and nominations find their person here (the
    same name and phone, else the same name and unit) or add them, so the rosters double
    nobody; the register's own form and import follow the same rule (``identity``): a second
    row for a person is refused, and an import with "update existing" updates them (two
    namesakes of one unit are two people once their phones are given). Scoped by the person's unit; the
    phone is shown in full inside that unit's subtree and masked (138****5678) elsewhere
    (``service.mask_phone``: a session's trainer sees its roster county-wide)."""

    slug = "training_people"
    model = TrainingPerson
    title_zh, title_en = "学员名册", "Trainee register"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Unit", required=True, aliases=("工作单位", "推荐单位")),
        Field("name", "text", "姓名", "Name", required=True, max_length=60, aliases=("学员姓名",)),
        Field("sex", "choice", "性别", "Sex", choices=SEXES),
        Field(
            "category",
            "choice",
            "人员类别",
            "Category",
            required=True,
            choices=PERSON_CATEGORIES,
            aliases=("岗位", "类别"),
        ),
        Field(
            "phone",
            "text",
            "手机",
            "Phone",
            max_length=20,
            aliases=("电话", "手机号", "手机号码", "联系电话"),
            validator=_phone_error,
        ),
    )
    list_display = ("name", "org_unit_id", "category", "sex", "phone")
    list_filter = ("org_unit_id", "category", "sex")
    search_fields = ("name", "phone")
    ordering = ("org_unit_id", "name", "id")
    label_fields = ("name",)
    identity = ("org_unit_id", "name", "phone")
    permissions: ClassVar[Permissions] = NOMINATORS_KEEP

    @classmethod
    def prepare(cls, raw: dict[str, Any]) -> dict[str, Any]:
        if "phone" in raw:
            raw["phone"] = _clean_phone(raw["phone"])
        return raw

    @classmethod
    def find_same(cls, session: Any, actor: Any, values: dict[str, Any], existing: Any | None = None) -> Any | None:
        """The register's rule, as rosters use it: the same name and phone, else (when
        either has no phone) the same name and unit - unless both phones' endings are known
        and differ (a walk-in gives only the last four digits). Among the people the actor
        may see, so a refusal tells nothing about other townships' registers."""
        name = (values.get("name") or "").strip()
        unit_id = values.get("org_unit_id")
        if not name:
            return None
        phone = _clean_phone(values.get("phone") or "").strip()
        tail = phone[-4:] if phone else _key_tail(values.get("person_key"))
        stmt = records.scoped(TrainingPersonSpec, actor, session=session).where(TrainingPerson.name == name)
        if existing is not None and existing.id is not None:
            stmt = stmt.where(TrainingPerson.id != existing.id)
        found = sorted(session.scalars(stmt.limit(200)), key=lambda p: (p.org_unit_id != unit_id, p.id))
        for other in found:
            if not same_person(name, phone, unit_id, other):  # the rule rosters use
                continue
            theirs = _clean_phone(other.phone or "").strip()
            their_tail = theirs[-4:] if theirs else _key_tail(other.person_key)
            if (phone and theirs) or not (tail and their_tail and tail != their_tail):
                return other
        return None

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        """A second row for a person already in the register is refused, naming them (a
        namesake in the same unit is told to give their phone number)."""
        twin = cls.find_same(session, actor, values, existing)
        if twin is None:
            return []
        unit = session.get(OrgUnit, twin.org_unit_id)
        shown = unit.name_zh if unit is not None else ""
        return [FieldError("name", "training.person.registered", {"name": twin.name, "unit": shown})]

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        obj.name = obj.name.strip()
        if creating and not obj.person_key:
            obj.person_key = person_key_of(obj.org_unit_id, obj.name, obj.phone)


def _same_person(session: Session, values: dict[str, Any], existing: Any | None) -> str | None:
    """The person already on this session's roster: the same name and phone, or (when
    either has no phone) the same name and unit. A second import of a roster then names
    its rows instead of doubling anyone."""
    name = (values.get("person_name") or "").strip()
    if not name or values.get("session_id") is None:
        return None
    stmt = select(TrainingEnrolment).where(
        TrainingEnrolment.session_id == values["session_id"],
        TrainingEnrolment.person_name == name,
        TrainingEnrolment.deleted_at.is_(None),
    )
    if existing is not None:
        stmt = stmt.where(TrainingEnrolment.id != existing.id)
    phone = (values.get("phone") or "").strip()
    for other in session.scalars(stmt.limit(20)):
        if phone and other.phone:
            if other.phone.strip() == phone:
                return name
        elif other.org_unit_id == values.get("org_unit_id"):
            return name
    return None


class TrainingEnrolmentSpec(RecordSpec):
    """A roster entry (报名): a person of a unit on a session, nominated within the unit's
    quota for the programme and the session's capacity."""

    slug = "training_enrolments"
    model = TrainingEnrolment
    title_zh, title_en = "参训人员", "Roster"
    fields = (
        Field("session_id", "ref", "培训场次", "Session", ref="training_sessions", required=True, aliases=("场次",)),
        Field("org_unit_id", "org_unit", "单位", "Unit", required=True, aliases=("工作单位", "推荐单位")),
        Field("person_name", "text", "姓名", "Name", required=True, max_length=60),
        Field("sex", "choice", "性别", "Sex", choices=SEXES),
        Field(
            "category",
            "choice",
            "人员类别",
            "Category",
            required=True,
            choices=PERSON_CATEGORIES,
            aliases=("岗位", "类别"),
        ),
        Field("phone", "text", "手机", "Phone", max_length=20, aliases=("电话", "手机号"), validator=_phone_error),
        Field("status", "choice", "报名状态", "Status", required=True, choices=ENROLMENT_STATUSES, default="confirmed"),
        Field(
            "trainee_id",
            "ref",
            "学员名册",
            "Register entry",
            ref="training_people",
            readonly=True,
            help_zh="保存时按姓名与手机（或姓名与单位）在学员名册中找到或新增",
            help_en="Found in the register by name and phone (or name and unit), or added to it, on saving",
        ),
    )
    list_display = ("session_id", "person_name", "org_unit_id", "category", "sex", "status")
    list_filter = ("session_id", "org_unit_id", "category", "status")
    search_fields = ("person_name",)
    ordering = ("session_id", "org_unit_id", "id")
    label_fields = ("person_name",)
    permissions: ClassVar[Permissions] = NOMINATORS_KEEP

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        """A place past the unit's quota for the programme, or past the session's capacity,
        is refused naming the unit, the quota and who holds the places."""
        twin = _same_person(session, values, existing)
        if twin:
            return [FieldError("person_name", "training.already_on_roster", {"name": twin})]
        if values.get("status") not in HOLDING:
            return []
        run = _get(session, TrainingSession, values.get("session_id"))
        unit = _get(session, OrgUnit, values.get("org_unit_id"))
        if run is None or unit is None:
            return []
        mine = existing.id if existing is not None else None
        quota = quota_for(session, run.programme_id, unit)
        if quota is not None:
            holders = _holders(
                session,
                TrainingSession.programme_id == run.programme_id,
                TrainingEnrolment.org_unit_id == unit.id,
                exclude=mine,
            )
            if len(holders) >= quota:
                return [
                    FieldError(
                        "org_unit_id",
                        "training.quota_full",
                        {
                            "unit": unit.name_zh,
                            "unit_en": unit.name("en"),
                            "quota": quota,
                            "holders": "、".join(holders),
                        },
                    )
                ]
        if run.capacity is not None:
            taken = _holders(session, TrainingEnrolment.session_id == run.id, exclude=mine)
            if len(taken) >= run.capacity:
                return [FieldError("session_id", "training.capacity_full", {"capacity": run.capacity})]
        return []

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        """A new entry finds its person in the register, or adds them (audited, in the same
        transaction); a caller that picked the person (a nomination from the register, a
        walk-in) has set ``trainee_id`` already."""
        if creating and obj.trainee_id is None:
            person = find_or_add_person(
                session,
                actor,
                {
                    "org_unit_id": obj.org_unit_id,
                    "person_name": obj.person_name,
                    "sex": obj.sex,
                    "category": obj.category,
                    "phone": obj.phone,
                },
            )
            obj.trainee_id = person.id


# -- sign-in marks and test results: the grids ---------------------------------------------------


def person_key(session: Session, enrolment: TrainingEnrolment) -> str:
    """A person across rosters: their register row's key (fixed when they were added: unit,
    name and phone ending), else the entry's own name, unit and phone ending."""
    person = _get(session, TrainingPerson, enrolment.trainee_id)
    if person is not None and person.person_key:
        return str(person.person_key)
    return person_key_of(enrolment.org_unit_id, enrolment.person_name, enrolment.phone)


def _key_tail(key: str | None) -> str:
    """The phone ending a person key was made with ("" when none)."""
    return (key or "").rsplit(":", 1)[-1] if key and key.count(":") >= 2 else ""


def person_key_of(unit_id: int, name: str, phone: str | None) -> str:
    return f"{unit_id}:{name.strip()}:{(phone or '')[-4:]}"


def _from_enrolment(session: Session, obj: Any) -> TrainingEnrolment | None:
    enrolment = session.get(TrainingEnrolment, obj.enrolment_id)
    if enrolment is not None:
        obj.org_unit_id = enrolment.org_unit_id
        obj.session_id = enrolment.session_id
    return enrolment


def _frozen_errors(session: Session, session_id: int | None) -> list[FieldError]:
    run = _get(session, TrainingSession, session_id)
    if run is not None and run.status == "summarised":
        return [FieldError("session_id", "training.session_summarised", {"title": run.title})]
    return []


def _refuse_if_frozen(session: Session, obj: Any) -> None:
    errors = _frozen_errors(session, obj.session_id)
    if errors:
        raise ValidationError(errors)


def _roster_errors(session: Session, values: dict[str, Any]) -> list[FieldError]:
    enrolment = _get(session, TrainingEnrolment, values.get("enrolment_id"))
    if enrolment is None or enrolment.deleted_at is not None:
        return [FieldError("enrolment_id", "training.not_on_roster")]
    if values.get("session_id") is not None and enrolment.session_id != values["session_id"]:
        return [FieldError("enrolment_id", "training.not_on_roster")]
    return []


class TrainingAttendanceSpec(RecordSpec):
    """A sign-in mark (签到): a roster entry at one half-day. Whether it counts as present
    and the 学时 it earns are computed from the status and the session's hours."""

    slug = "training_attendance"
    model = TrainingAttendance
    title_zh, title_en = "签到考勤", "Attendance"
    fields = (
        Field("session_id", "ref", "培训场次", "Session", ref="training_sessions", readonly=True),
        Field("enrolment_id", "ref", "参训人员", "Trainee", ref="training_enrolments", required=True, create_only=True),
        Field("org_unit_id", "org_unit", "单位", "Unit", readonly=True),
        Field(
            "half_day",
            "text",
            "半天",
            "Half-day",
            required=True,
            create_only=True,
            max_length=13,
            validator=_half_day_error,
            help_zh="如 2026-11-30/am",
        ),
        Field("day", "date", "日期", "Date", computed=_day),
        Field("status", "choice", "考勤", "Attendance", required=True, choices=MARKS),
        Field("method", "choice", "方式", "Recorded by", readonly=True, choices=METHODS),
        Field("category", "choice", "人员类别", "Category", readonly=True, choices=PERSON_CATEGORIES),
        Field("half_day_hours", "float", "每半天学时", "Hours per half-day", readonly=True),
        Field("present", "bool", "计为出勤", "Counts as present", computed=_present),
        Field("hours", "float", "学时", "Hours", computed=_hours),
    )
    list_display = ("day", "half_day", "enrolment_id", "org_unit_id", "status", "hours")
    list_filter = ("session_id", "org_unit_id", "status", "day")
    ordering = ("-day", "half_day", "enrolment_id")
    date_field = "day"
    stats = Stats(by=("status", "org_unit_id"), measures=(Measure("count"), Measure("sum", "hours")))
    can_import = False  # marks come from the grid (or sign-in), where the session's hours are known
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": TRAINERS,
        "edit": TRAINERS,
        "delete": TRAINERS,
        "export": ALL,
        "revert": HEADS,
    }

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        frozen = _frozen_errors(session, values.get("session_id"))
        if frozen or existing is not None:
            return frozen
        errors = _roster_errors(session, values)
        run = _get(session, TrainingSession, values.get("session_id"))
        if not errors and run is not None and values.get("half_day") not in half_days(run.start_date, run.half_days):
            errors.append(FieldError("half_day", "training.half_day_outside", {"value": values.get("half_day")}))
        return errors

    @classmethod
    def before_delete(cls, session: Any, obj: Any, actor: Any) -> None:
        _refuse_if_frozen(session, obj)

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if creating:
            enrolment = _from_enrolment(session, obj)
            if enrolment is not None:
                obj.person_id = person_key(session, enrolment)
                obj.category = enrolment.category


class TrainingAssessmentSpec(RecordSpec):
    """A test result (考核): the score; grade and pass are computed from the bands the
    programme sets (copied onto the result when it is saved)."""

    slug = "training_assessments"
    model = TrainingAssessment
    title_zh, title_en = "考核成绩", "Test results"
    fields = (
        Field("session_id", "ref", "培训场次", "Session", ref="training_sessions", readonly=True),
        Field("enrolment_id", "ref", "参训人员", "Trainee", ref="training_enrolments", required=True, create_only=True),
        Field("org_unit_id", "org_unit", "单位", "Unit", readonly=True),
        Field(
            "attempt",
            "int",
            "考核次数",
            "Attempt",
            required=True,
            create_only=True,
            min=1,
            max=3,
            default=1,
            help_zh="1 = 结业考核，2 = 补考",
        ),
        Field("assessed_on", "date", "考核日期", "Assessed on", readonly=True),
        Field("score", "float", "成绩", "Score", required=True, min=0, max=100),
        Field("pass_mark", "float", "合格分", "Pass mark", readonly=True),
        Field("good_mark", "float", "良好分", "Good from", readonly=True),
        Field("excellent_mark", "float", "优秀分", "Excellent from", readonly=True),
        Field("grade", "choice", "等级", "Grade", choices=GRADES, computed=_grade),
        Field("passed", "bool", "合格", "Passed", computed=_passed),
        Field("certificate_no", "text", "证书编号", "Certificate no.", max_length=40),
    )
    list_display = ("assessed_on", "enrolment_id", "org_unit_id", "score", "grade", "passed")
    list_filter = ("session_id", "org_unit_id", "grade", "assessed_on")
    ordering = ("-assessed_on", "enrolment_id")
    date_field = "assessed_on"
    stats = Stats(by=("grade", "org_unit_id"), measures=(Measure("count"),))
    can_import = False
    permissions = TrainingAttendanceSpec.permissions

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        frozen = _frozen_errors(session, values.get("session_id"))
        if frozen or existing is not None:
            return frozen
        return _roster_errors(session, values)

    @classmethod
    def before_delete(cls, session: Any, obj: Any, actor: Any) -> None:
        _refuse_if_frozen(session, obj)

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        if creating:
            _from_enrolment(session, obj)
            if obj.assessed_on is None:
                run = session.get(TrainingSession, obj.session_id)
                obj.assessed_on = (run.end_date or run.start_date) if run is not None else None


def live_count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None), *where)) or 0


# -- hours earned outside the portal's sessions --------------------------------------------------


class TrainingExternalHoursSpec(RecordSpec):
    """学时 recorded outside the portal's sessions (外出培训 at a provincial course, 线上学习 on
    a continuing-education platform): the hours ledger adds them to the hours from
    attendance, for the same person (name, unit and phone ending, as the marks carry it)."""

    slug = "training_external_hours"
    model = TrainingExternalHours
    title_zh, title_en = "外出及线上学时", "External and online hours"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Unit", required=True, aliases=("工作单位",)),
        Field("person_name", "text", "姓名", "Name", required=True, max_length=60),
        Field("phone", "text", "手机", "Phone", max_length=20, aliases=("电话", "手机号")),
        Field(
            "category",
            "choice",
            "人员类别",
            "Category",
            required=True,
            choices=PERSON_CATEGORIES,
            aliases=("岗位", "类别"),
        ),
        Field("day", "date", "日期", "Date", required=True, aliases=("培训日期", "学习日期")),
        Field("kind", "choice", "类型", "Kind", required=True, choices=EXTERNAL_KINDS, default="external"),
        Field("hours", "float", "学时", "Hours", required=True, min=0.5, max=200),
        Field(
            "note", "longtext", "说明", "Note", max_length=500, help_zh="如 省级协管员培训班、国家继续医学教育平台课程"
        ),
    )
    list_display = ("day", "person_name", "org_unit_id", "category", "kind", "hours", "note")
    list_filter = ("kind", "org_unit_id", "category", "day")
    search_fields = ("person_name", "note")
    ordering = ("-day", "-id")
    label_fields = ("person_name",)
    date_field = "day"
    stats = Stats(by=("kind", "org_unit_id"), measures=(Measure("count"), Measure("sum", "hours")))
    permissions: ClassVar[Permissions] = NOMINATORS_KEEP

    @classmethod
    def before_save(cls, session: Any, obj: Any, values: dict[str, Any], creating: bool, actor: Any) -> None:
        """The person's key as the marks carry it: their register row's when the register
        knows them (the same name and phone, else name and unit), else from these values."""
        person = find_person(session, actor, obj.person_name, obj.phone, obj.org_unit_id)
        if person is not None and person.person_key:
            obj.person_id = person.person_key
        else:
            obj.person_id = person_key_of(obj.org_unit_id, obj.person_name, obj.phone)
