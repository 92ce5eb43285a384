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
        Index("ix_he_activities_unit_live", "org_unit_id", "deleted_at", "activity_date", "activity_type"),
        Index("ix_he_activities_live_date", "deleted_at", "activity_date", "activity_type", "org_unit_id"),
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
