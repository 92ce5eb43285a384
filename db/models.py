"""The schema. Models are singular CamelCase, tables snake_case plural."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, RecordModel, UTCDateTime, code_str, intpk, name_str, utcnow

# Non-native enums: plain strings checked in the service layer, so SQLite and PostgreSQL
# share one migration path and adding a value needs no ALTER TYPE.
ORG_UNIT_TYPES = (
    "bureau",  # 卫生健康局
    "supervision",  # 卫生监督所
    "cdc",  # 疾控中心
    "township_hc",  # 乡镇卫生院
    "village_clinic",  # 村卫生室
    "school",  # 学校
    "class",  # 班级
    "other",
)
ROLES = ("admin", "head", "trainer", "inspector", "staff", "viewer")
LANGUAGES = ("zh-CN", "en")
POPULATION_KINDS = ("resident", "registered", "students", "elderly_65", "children_0_6")


class OrgUnit(RecordModel):
    """One node of the single org tree: county -> township -> village; school -> class."""

    __tablename__ = "org_units"

    id: Mapped[intpk]
    code: Mapped[code_str] = mapped_column(unique=True)
    name_zh: Mapped[name_str]
    name_en: Mapped[name_str] = mapped_column(default="")
    type: Mapped[str] = mapped_column(String(20))
    # When the unit's monthly report is due (portal.org.calendars rules); default: the 5th
    # working day of the next month (002 篇二 "次月初5个工作日内").
    report_due_rule: Mapped[str] = mapped_column(String(20), default="workday:5", server_default="workday:5")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    # Materialised path such as "/1/4/17/": a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id")
    populations: Mapped[list[OrgUnitPopulation]] = relationship(back_populates="org_unit", cascade="all, delete-orphan")

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


class OrgUnitPopulation(Base):
    """Yearly denominators per unit (resident population, students...)."""

    __tablename__ = "org_unit_populations"
    __table_args__ = (UniqueConstraint("org_unit_id", "year", "kind"),)

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(Integer)

    org_unit: Mapped[OrgUnit] = relationship(back_populates="populations")


class User(RecordModel):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("failed_attempts >= 0", name="failed_attempts_nonneg"),)

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # One field: Chinese names are not split into given and family names.
    display_name: Mapped[name_str]
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Login cookies issued before this instant are refused (logout, password change).
    tokens_valid_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    org_unit: Mapped[OrgUnit] = relationship()


class LoginThrottle(Base):
    """Failed sign-ins under a name that is no account, counted like a real account's, so
    an unknown name is throttled too and the lockout message tells nobody which names
    exist. In the database, so every server process agrees. Keyed by a SHA-256 of the
    name: people type their password into the username box by mistake."""

    __tablename__ = "login_throttles"
    __audit__ = False  # bookkeeping: failed sign-ins under unknown names are audited as events

    id: Mapped[intpk]
    name_hash: Mapped[str] = mapped_column(String(64), unique=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class LoginTicket(Base):
    """Sign-in tickets already exchanged for a login cookie (serve.py's /_portal/login):
    each works once. A ticket lives a minute, so older rows are deleted as new ones come."""

    __tablename__ = "login_tickets"
    __audit__ = False  # bookkeeping: which one-minute tickets were used

    id: Mapped[intpk]
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class AuditEntry(Base):
    """Who changed what, when, with the values before and after; written in the same
    transaction as the change itself."""

    __tablename__ = "audit_entries"
    __audit__ = False  # the trail itself
    __table_args__ = (Index("ix_audit_entries_record", "record_type", "record_id"),)

    id: Mapped[intpk]
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int | None] = mapped_column(Integer)
    # The org unit the record belongs to, so the feed can be scoped like the records.
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HeActivity(RecordModel):
    """A health-education activity: a lecture, a consultation day, a bulletin-board
    update, materials handed out... counted against the yearly targets."""

    __tablename__ = "he_activities"
    # Live rows are what every list, count and indicator reads: both indexes lead with the
    # soft-delete flag's equality and carry date, type and unit, so a scoped count or a
    # GROUP BY by unit stays inside the index (1M rows: see README benchmarks).
    __table_args__ = (
        # participants last (migration 0015): the people-reached sum reads the index alone
        Index(
            "ix_he_activities_unit_live", "org_unit_id", "deleted_at", "activity_date", "activity_type", "participants"
        ),
        Index(
            "ix_he_activities_live_date", "deleted_at", "activity_date", "activity_type", "org_unit_id", "participants"
        ),
    )

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    activity_date: Mapped[dt.date] = mapped_column(Date)
    activity_type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    theme_day: Mapped[str | None] = mapped_column(String(60))
    venue: Mapped[str | None] = mapped_column(String(120))
    speaker: Mapped[str | None] = mapped_column(String(60))
    participants: Mapped[int | None] = mapped_column(Integer)
    consultations: Mapped[int | None] = mapped_column(Integer)
    materials_given: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("he_campaigns.id"), index=True)  # migration 0013


class ThemeDay(RecordModel):
    """A health theme day or campaign period, stored as a rule so it recurs every year:
    a fixed date, the n-th weekday of a month, or a whole month; duration_days makes a
    week-long campaign."""

    __tablename__ = "theme_days"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[name_str]
    name_en: Mapped[name_str]
    rule: Mapped[str] = mapped_column(String(20))  # fixed | nth_weekday | month
    month: Mapped[int] = mapped_column(Integer)
    day: Mapped[int | None] = mapped_column(Integer)
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday
    nth: Mapped[int | None] = mapped_column(Integer)  # 1..5, or -1 for the last
    duration_days: Mapped[int] = mapped_column(Integer, default=1)
    topics_zh: Mapped[str | None] = mapped_column(String(200))
    topics_en: Mapped[str | None] = mapped_column(String(200))
    activity_types: Mapped[str | None] = mapped_column(String(120))
    in_seed: Mapped[bool] = mapped_column(Boolean, default=False)
    seed_ref: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CalendarDay(RecordModel):
    """A holiday or make-up working day recorded by an admin; it overrides the built-in
    calendar (needed for years the library does not cover yet)."""

    __tablename__ = "calendar_days"

    id: Mapped[intpk]
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name_zh: Mapped[name_str]
    name_en: Mapped[name_str] = mapped_column(default="")


class Indicator(RecordModel):
    """A measure as data: what to count in which records, its unit, direction and period.
    Heads and admins edit it; nobody types the resulting numbers."""

    __tablename__ = "indicators"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[name_str]
    name_en: Mapped[name_str]
    area: Mapped[str] = mapped_column(String(10))  # he | tr | san | mp
    unit_zh: Mapped[str] = mapped_column(String(20), default="")
    unit_en: Mapped[str] = mapped_column(String(20), default="")
    comparator: Mapped[str] = mapped_column(String(2), default=">=")
    period_type: Mapped[str] = mapped_column(String(10), default="year")
    definition: Mapped[str] = mapped_column(Text)  # JSON, see portal/indicators.py
    default_target: Mapped[float | None] = mapped_column()
    profile: Mapped[str] = mapped_column(String(60), default="pro_rata")
    source: Mapped[str | None] = mapped_column(String(300))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Target(RecordModel):
    """A target for one indicator, org unit and period (下达 from the unit above)."""

    __tablename__ = "targets"
    __table_args__ = (Index("ix_targets_lookup", "indicator_code", "period", "org_unit_id"),)

    id: Mapped[intpk]
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    period: Mapped[str] = mapped_column(String(10))
    value: Mapped[float] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(200))


class WorkPlan(RecordModel):
    """An annual, term or monthly work plan of one unit (工作计划): the skeleton of the
    seed plans — guiding idea, goals — with its items listed separately."""

    __tablename__ = "work_plans"

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    plan_type: Mapped[str] = mapped_column(String(10))  # annual | term | monthly
    period: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    guiding_idea: Mapped[str | None] = mapped_column(Text)
    goals: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="draft")


class PlanItem(RecordModel):
    """One line of a month's plan: what, who, how much, by when, and how far it got."""

    __tablename__ = "plan_items"
    __table_args__ = (
        Index("ix_plan_items_unit_month", "org_unit_id", "deleted_at", "month", "status"),
        Index("ix_plan_items_live_due", "deleted_at", "due_date", "status", "org_unit_id"),
    )

    id: Mapped[intpk]
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("work_plans.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    month: Mapped[str] = mapped_column(String(7))
    area: Mapped[str] = mapped_column(String(10), default="other")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_name: Mapped[str | None] = mapped_column(String(60))
    target_qty: Mapped[float | None] = mapped_column()
    target_unit: Mapped[str | None] = mapped_column(String(20))
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="not_started")
    progress_pct: Mapped[int] = mapped_column(Integer, default=0)
    actual_qty: Mapped[float | None] = mapped_column()
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    carried_over: Mapped[bool] = mapped_column(Boolean, default=False)
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id"))
    source: Mapped[str] = mapped_column(String(10), default="own")  # assigned | own


class ProgressUpdate(RecordModel):
    """A dated note on a plan item: what was done, how much, by whom."""

    __tablename__ = "progress_updates"

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(ForeignKey("plan_items.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    update_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    quantity: Mapped[float | None] = mapped_column()
    progress_pct: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str] = mapped_column(String(64))


class MonthlyReport(RecordModel):
    """A unit's month as reported up the chain: summary, problems, next month's plan, and
    the cycle draft -> submitted -> approved (locked) or returned."""

    __tablename__ = "monthly_reports"
    __table_args__ = (UniqueConstraint("org_unit_id", "month"),)

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    summary: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)
    next_plan: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    review_comment: Mapped[str | None] = mapped_column(Text)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)


class Attachment(RecordModel):
    """A photo or scan attached to a record (an inspection's photos, an activity's
    sign-in sheet): re-encoded on upload, kept in the database so every server process
    and every backup has it, with a small thumbnail for lists."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_record", "record_type", "record_id", "deleted_at"),)

    id: Mapped[intpk]
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(120))
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str | None] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    thumb: Mapped[bytes] = mapped_column(LargeBinary)


# -- reminders -----------------------------------------------------------------------------


class ReminderChannel(RecordModel):
    """Where a unit's daily digest goes: a WeCom (企业微信) or DingTalk (钉钉) group robot's
    webhook. The URL is a secret of the office's: kept in the database, never in git, never
    shown back, exported or written to the audit trail."""

    __tablename__ = "reminder_channels"
    __secret__ = ("url",)  # never copied into the audit trail (portal.records.audit)

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    url: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(String(200))


class ReminderDelivery(Base):
    """One attempt to send a unit's digest: sent, failed (with the reason) or skipped
    (demo mode, nothing due). Bookkeeping, shown to admins."""

    __tablename__ = "reminder_deliveries"
    __audit__ = False  # bookkeeping: the log of attempts is itself the record

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    detail: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text, default="")


# -- Sanitation (爱国卫生): campaigns, zones, checklists, inspections, rectifications ------------


class SanitationCampaign(RecordModel):
    """A sanitation campaign of one unit (爱国卫生月, a 除四害 season, 开学大扫除...): its
    period, the checklist its inspections use and how many inspections it plans. The zones
    of the unit's subtree are ranked within it."""

    __tablename__ = "sanitation_campaigns"

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    campaign_type: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    checklist_id: Mapped[int | None] = mapped_column(ForeignKey("sanitation_checklists.id"))
    planned_inspections: Mapped[int | None] = mapped_column(Integer)
    target_score: Mapped[float | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    # How a scheduled inspection that was missed counts in the ranking: "ignore" (the mean
    # of what was done), "zero", or "score" (missed_score points each).
    missed_rule: Mapped[str] = mapped_column(String(8), default="ignore", server_default="ignore")
    missed_score: Mapped[float | None] = mapped_column()
    type_weights: Mapped[str | None] = mapped_column(String(200))  # 每周大检查=2；突击 / 暗访=3 (specs.parse_weights)


class SanitationSchedule(RecordModel):
    """How often a campaign's zones are inspected (daily on working days, weekly, monthly)
    and by whom: a rota of usernames taking turns per occurrence (值周), or a named duty
    team whose members are all on duty (检查评比小组). One zone, or every zone of the
    campaign (of one zone type, when given)."""

    __tablename__ = "sanitation_schedules"

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("sanitation_campaigns.id"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("sanitation_zones.id"))
    zone_type: Mapped[str | None] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(8))
    inspection_type: Mapped[str] = mapped_column(String(12))
    duty: Mapped[str] = mapped_column(String(8))
    inspectors: Mapped[str] = mapped_column(String(400))
    team_name: Mapped[str | None] = mapped_column(String(60))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SanitationZone(RecordModel):
    """A zone inspected and ranked (卫生包干区 / 责任区): a classroom, a corridor, a road
    section, a market, a village; owned by a unit (the class, the village) and assigned to
    a person."""

    __tablename__ = "sanitation_zones"

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    zone_type: Mapped[str] = mapped_column(String(20))
    responsible: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SanitationChecklist(RecordModel):
    """A scoring sheet (卫生细则 / 评分标准), county-wide reference data; its items are child rows."""

    __tablename__ = "sanitation_checklists"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120))
    target_type: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    # Versions: editing a checklist that inspections used makes a copy (version_no + 1) in the
    # same lineage (the first version's id); the old one is kept, read-only, for its inspections.
    version_no: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    lineage_id: Mapped[int | None] = mapped_column(Integer, index=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("sanitation_checklists.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("sanitation_checklists.id"))


class SanitationChecklistItem(RecordModel):
    """One criterion of a checklist with its maximum points and deduction step."""

    __tablename__ = "sanitation_checklist_items"

    id: Mapped[intpk]
    checklist_id: Mapped[int] = mapped_column(ForeignKey("sanitation_checklists.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=1)
    criterion: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(40))
    max_points: Mapped[float] = mapped_column()
    step: Mapped[float] = mapped_column(default=1.0)


class SanitationInspection(RecordModel):
    """One scored inspection of a zone against a checklist; the total is the sum of its
    item scores (child rows), kept with the checklist's maximum."""

    __tablename__ = "sanitation_inspections"
    __table_args__ = (Index("ix_sanitation_inspections_campaign", "campaign_id", "deleted_at", "inspection_date"),)

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("sanitation_campaigns.id"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("sanitation_zones.id"), index=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("sanitation_checklists.id"))
    inspection_date: Mapped[dt.date] = mapped_column(Date)
    inspection_type: Mapped[str] = mapped_column(String(12))
    inspector: Mapped[str | None] = mapped_column(String(60))
    score: Mapped[float | None] = mapped_column()
    max_score: Mapped[float | None] = mapped_column()
    score_pct: Mapped[float | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)


class SanitationItemScore(RecordModel):
    """The points one checklist item earned in one inspection; the criterion and maximum
    are copied when it is scored, so an edited checklist never changes an old score."""

    __tablename__ = "sanitation_item_scores"
    __table_args__ = (Index("ix_sanitation_item_scores_inspection", "inspection_id", "deleted_at"),)

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    inspection_id: Mapped[int] = mapped_column(ForeignKey("sanitation_inspections.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("sanitation_checklist_items.id"))
    criterion: Mapped[str | None] = mapped_column(String(200))
    max_points: Mapped[float | None] = mapped_column()
    score: Mapped[float] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(200))


class SanitationRectification(RecordModel):
    """A problem to put right (问题整改): raised from an inspection or on its own, with a
    responsible unit and a deadline in working days; open → rectified → verified, or
    returned to be done again."""

    __tablename__ = "sanitation_rectifications"

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("sanitation_inspections.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("sanitation_zones.id"))
    raised_on: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")
    rectified_on: Mapped[dt.date | None] = mapped_column(Date)
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    verified_by: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)


class SanitationAppeal(RecordModel):
    """An objection (异议) to an inspection by the unit inspected, lodged within a few
    working days; a unit above upholds the score or adjusts it, with its reason."""

    __tablename__ = "sanitation_appeals"

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("sanitation_inspections.id"), index=True)
    lodged_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="lodged")
    original_score: Mapped[float | None] = mapped_column()
    adjusted_score: Mapped[float | None] = mapped_column()
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(Text)


class SanitationPublication(RecordModel):
    """One period's ranking of a campaign made public (公示): anyone with its link sees the
    zones, scores, ranks and red flags, nothing else; deleting it unpublishes at once."""

    __tablename__ = "sanitation_publications"

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("sanitation_campaigns.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    grouped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # ranked by groups
    token: Mapped[str] = mapped_column(String(64), unique=True)
    published_by: Mapped[str | None] = mapped_column(String(64))


# -- Training (培训): programmes, sessions, rosters, attendance and scores ----------------------


class TrainingProgramme(RecordModel):
    """A training programme of one year (培训项目): who organises it, for whom, how many
    学时 it is worth, the score bands of its test, and each unit's quota (its child rows)."""

    __tablename__ = "training_programmes"

    id: Mapped[intpk]
    organiser_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    audience: Mapped[str | None] = mapped_column(String(200))
    hours: Mapped[float | None] = mapped_column()
    credit_type: Mapped[str | None] = mapped_column(String(60))
    assessment: Mapped[str | None] = mapped_column(String(60))
    pass_mark: Mapped[float] = mapped_column(default=60)
    good_mark: Mapped[float] = mapped_column(default=80)
    excellent_mark: Mapped[float] = mapped_column(default=90)
    summary_due: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


class TrainingQuota(RecordModel):
    """How many people a unit (or every unit of a type) may nominate to a programme."""

    __tablename__ = "training_quotas"

    id: Mapped[intpk]
    programme_id: Mapped[int] = mapped_column(ForeignKey("training_programmes.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    unit_type: Mapped[str | None] = mapped_column(String(20))
    quota: Mapped[int] = mapped_column(Integer)


class TrainingSession(RecordModel):
    """One session (期/班) of a programme over consecutive half-days, with its trainer,
    venue and state (planned → open → finished → summarised)."""

    __tablename__ = "training_sessions"

    id: Mapped[intpk]
    programme_id: Mapped[int] = mapped_column(ForeignKey("training_programmes.id"), index=True)
    organiser_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    session_no: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    half_days: Mapped[int] = mapped_column(Integer, default=2)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    hours_per_half_day: Mapped[float] = mapped_column(default=3)
    format: Mapped[str] = mapped_column(String(20), default="lecture")
    venue: Mapped[str | None] = mapped_column(String(120))
    trainer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lecturers: Mapped[str | None] = mapped_column(String(200))
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    summary: Mapped[str | None] = mapped_column(Text)


class TrainingPerson(RecordModel):
    """A trainee in the register (学员名册): one row per person however many trainings they
    attend. ``person_key`` (unit, name and phone ending, fixed when the person is added) is
    the key their sign-in marks and recorded external hours carry, so the hours ledger
    names each line from this row."""

    __tablename__ = "training_people"
    __table_args__ = (
        Index("ix_training_people_live_unit", "deleted_at", "org_unit_id"),
        Index("ix_training_people_name", "name", "org_unit_id"),
        Index("ix_training_people_key", "person_key", "deleted_at", "name"),
    )

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    name: Mapped[str] = mapped_column(String(60))
    sex: Mapped[str | None] = mapped_column(String(6))
    category: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    person_key: Mapped[str] = mapped_column(String(120), default="")


class TrainingEnrolment(RecordModel):
    """One person on a session's roster (报名), nominated by their unit within its quota.
    The roster keeps the person as nominated (name, unit, category, phone) and points to
    their row in the register (``trainee_id``), found or added when the entry is made."""

    __tablename__ = "training_enrolments"
    __table_args__ = (Index("ix_training_enrolments_session", "session_id", "deleted_at", "org_unit_id"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("training_people.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(60))
    sex: Mapped[str | None] = mapped_column(String(6))
    category: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="confirmed")


class TrainingAttendance(RecordModel):
    """One sign-in mark: a roster entry at one half-day of its session, and the 学时 it
    earns. Unit, person and category are copied from the roster entry, so the hours add up
    per unit and per category in SQL."""

    __tablename__ = "training_attendance"
    __table_args__ = (
        Index("ix_training_attendance_session", "session_id", "deleted_at"),
        Index("ix_training_attendance_live_day", "deleted_at", "day", "org_unit_id"),
        # the hours ledger's: live marks in the order it groups them, covering what it reads
        Index(
            "ix_training_attendance_ledger",
            "deleted_at",
            "person_id",
            "org_unit_id",
            "category",
            "day",
            "hours",
            "enrolment_id",
        ),
    )

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("training_enrolments.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    # The person as name, unit and phone (not an account): what the hours ledger and the
    # indicators' distinct counts group by. Named person_id as the TR templates expect.
    person_id: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[str] = mapped_column(String(20), default="")
    half_day: Mapped[str] = mapped_column(String(13))  # 2026-11-30/am
    day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10), default="grid")
    half_day_hours: Mapped[float] = mapped_column(default=0)
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    hours: Mapped[float] = mapped_column(default=0)


class TrainingAssessment(RecordModel):
    """A roster entry's test result: the score, and the grade and pass computed from the
    programme's bands (copied onto the row when it is saved)."""

    __tablename__ = "training_assessments"
    __table_args__ = (Index("ix_training_assessments_session", "session_id", "deleted_at"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("training_enrolments.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[float] = mapped_column()
    pass_mark: Mapped[float] = mapped_column(default=60)
    good_mark: Mapped[float] = mapped_column(default=80)
    excellent_mark: Mapped[float] = mapped_column(default=90)
    grade: Mapped[str] = mapped_column(String(10), default="")
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate_no: Mapped[str | None] = mapped_column(String(40))


class TrainingExternalHours(RecordModel):
    """学时 a person earned outside the portal's sessions (外出培训, 线上学习): the hours
    ledger adds them to the hours from attendance. The person is named as on a roster (name,
    unit, category, phone); ``person_id`` is the same key the marks carry."""

    __tablename__ = "training_external_hours"
    __table_args__ = (Index("ix_training_external_hours_live_day", "deleted_at", "day", "org_unit_id"),)

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[str] = mapped_column(String(120), default="")
    day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    hours: Mapped[float] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)


class TrainingHoursYear(Base):
    """The hours ledger's running totals: each person's live marks of a year, per unit and
    category, summed, and their recorded external hours. Kept by database triggers on
    ``training_attendance`` and ``training_external_hours`` (migration 0019), so every path
    that writes one - the grid, self sign-in, an import, a bulk insert, a soft or hard
    delete - keeps it exact, and the county's ledger reads a line per person instead of
    grouping a year's marks (a quarter of a million people, a million marks). A line whose
    counts are both 0 has nothing left to show."""

    __tablename__ = "training_hours_years"
    __audit__ = False  # derived: the marks it sums are audited

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    hours: Mapped[float] = mapped_column(default=0, server_default="0")  # from the sign-in marks
    marks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # live marks counted
    external: Mapped[float] = mapped_column(default=0, server_default="0")  # recorded 外出培训 / 线上学习 hours
    entries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # live external records counted
    last_enrolment: Mapped[int | None] = mapped_column(Integer)  # the newest roster entry, to name the person


class TrainingSigninWindow(Base):
    """A self sign-in window (扫码签到) a trainer opened for one half-day of a session: the
    secret its rotating codes derive from. Opening and closing are audited on the session."""

    __tablename__ = "training_signin_windows"
    __audit__ = False  # bookkeeping: the open and close steps are audit entries of the session

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    half_day: Mapped[str] = mapped_column(String(13))
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    secret: Mapped[str] = mapped_column(String(64))
    opened_by: Mapped[str] = mapped_column(String(64))


class TrainingSigninAttempt(Base):
    """One self sign-in attempt, for the rate limits per session and per client."""

    __tablename__ = "training_signin_attempts"
    __audit__ = False  # bookkeeping: the marks an attempt writes are audited
    __table_args__ = (Index("ix_training_signin_attempts_window", "window_id", "at"),)

    id: Mapped[intpk]
    window_id: Mapped[int] = mapped_column(ForeignKey("training_signin_windows.id"))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    matched: Mapped[bool] = mapped_column(Boolean, default=False)


class TrainingWalkin(Base):
    """Someone who signed in but matched nobody on the roster, waiting for the trainer to
    accept (added to the roster and marked present, both audited) or reject."""

    __tablename__ = "training_walkins"
    __audit__ = False  # bookkeeping: accepting one writes an audited roster entry and mark

    id: Mapped[intpk]
    window_id: Mapped[int] = mapped_column(ForeignKey("training_signin_windows.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(60))
    phone_tail: Mapped[str] = mapped_column(String(4))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | accepted | rejected


# --------------------------------------------------------------------------- operations (issue 15)


class OpsEvent(Base):
    """What the operations view shows across all server processes: a page run slower than
    the threshold (page, user, milliseconds, which process) and each backup made by
    `python -m portal backup`. Old slow-run rows are deleted as new ones come."""

    __tablename__ = "ops_events"
    __audit__ = False  # bookkeeping: measurements, not records anyone edits
    __table_args__ = (Index("ix_ops_events_kind_at", "kind", "at"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))  # slow_run | backup
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    page: Mapped[str | None] = mapped_column(String(100))
    username: Mapped[str | None] = mapped_column(String(64))
    ms: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(300))  # the backup file, or the process


# -- Health-education campaigns (健康教育专题活动): a theme day's campaign and its goals per unit ------


class HeCampaign(RecordModel):
    """A health-education campaign around a theme day (世界艾滋病日, 全国爱牙日...): launched by
    a unit for the units below it, planned → running → summarised; activities point to it."""

    __tablename__ = "he_campaigns"

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    theme_day_id: Mapped[int | None] = mapped_column(ForeignKey("theme_days.id"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    topics: Mapped[str | None] = mapped_column(String(200))
    activity_types: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12), default="planned")
    summary: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # the photos chosen for the summary .docx: JSON [{"id": attachment id, "caption": "..."}],
    # set by portal.programmes.education.summary.choose (migration 0014); NULL: chosen automatically
    summary_photos: Mapped[str | None] = mapped_column(Text)


class HeCampaignGoal(RecordModel):
    """One unit's goals in a campaign (activities, people reached, materials handed out);
    child rows of the campaign, owned by the unit so each unit sees only its own."""

    __tablename__ = "he_campaign_goals"
    __table_args__ = (Index("ix_he_campaign_goals_campaign", "campaign_id", "deleted_at"),)

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("he_campaigns.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    activities_goal: Mapped[int | None] = mapped_column(Integer)
    people_goal: Mapped[int | None] = mapped_column(Integer)
    materials_goal: Mapped[int | None] = mapped_column(Integer)


class HeMaterial(RecordModel):
    """Health-education materials (宣传资料) in or out of a unit's stock: copies received or
    handed out of one kind (a leaflet, a poster), optionally for a campaign; a unit's stock
    of a kind is what it received less what it handed out, and never goes below zero."""

    __tablename__ = "he_materials"
    __table_args__ = (Index("ix_he_materials_unit_kind", "org_unit_id", "kind", "deleted_at"),)

    id: Mapped[intpk]
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("he_campaigns.id"), index=True)
    movement_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(80))
    received: Mapped[int] = mapped_column(Integer, default=0)
    handed_out: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(String(200))


class HeCampaignPlan(RecordModel):
    """An activity a unit plans for a campaign (type, date, place, expected reach): child rows
    of the campaign, owned by the unit that will carry it out."""

    __tablename__ = "he_campaign_plans"
    __table_args__ = (Index("ix_he_campaign_plans_campaign", "campaign_id", "deleted_at"),)

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("he_campaigns.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    activity_type: Mapped[str] = mapped_column(String(20))
    planned_date: Mapped[dt.date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(120))
    expected_reach: Mapped[int | None] = mapped_column(Integer)
