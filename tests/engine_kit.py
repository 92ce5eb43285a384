"""Record types that exist only in the engine's tests (like Django's test models): a kit
of parts, lent out. Together they use every engine option once: a reference (a kit's
keeper is a user; a loan points to a kit and protects it), child rows (a kit's parts), a
computed field (a part's points), a two-state workflow with a lock (a closed kit freezes
its parts), a grid (parts edited in bulk) and a statistics view.

The tables live on their own MetaData, so the migrations' drift check never sees them;
``install`` creates them in a test database and adds the specs to the registry for the
test's duration.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Column, Date, Engine, Float, ForeignKey, Integer, MetaData, String, Table

from db.base import RecordModel, UTCDateTime, utcnow
from portal.apps import ALL_ROLES
from portal.records import registry
from portal.records.children import Inline
from portal.records.fields import Choice, Field
from portal.records.spec import Permissions, RecordSpec
from portal.records.stats import Measure, Stats
from portal.records.workflow import Lock, State, Transition, Workflow

KIT_META = MetaData()
EVERYONE: Permissions = dict.fromkeys(("view", "create", "edit", "delete", "export", "import", "revert"), ALL_ROLES)


def _record_columns() -> list[Column[Any]]:
    return [
        Column("version", Integer, nullable=False, default=1),
        Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
        Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
        Column("deleted_at", UTCDateTime(), nullable=True),
    ]


kits = Table(
    "test_kits",
    KIT_META,
    Column("id", Integer, primary_key=True),
    Column("org_unit_id", Integer, nullable=False),
    Column("name", String(60), nullable=False),
    Column("keeper_id", Integer, nullable=True),
    Column("status", String(12), nullable=False, default="open"),
    Column("closed_note", String(200), nullable=True),
    Column("bought_on", Date, nullable=True),
    Column("kind", String(12), nullable=True),
    *_record_columns(),
)
kit_parts = Table(
    "test_kit_parts",
    KIT_META,
    Column("id", Integer, primary_key=True),
    Column("org_unit_id", Integer, nullable=False),
    Column("kit_id", Integer, ForeignKey("test_kits.id"), nullable=False),
    Column("name", String(60), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("points", Float, nullable=True),
    *_record_columns(),
)
kit_loans = Table(
    "test_kit_loans",
    KIT_META,
    Column("id", Integer, primary_key=True),
    Column("org_unit_id", Integer, nullable=False),
    Column("kit_id", Integer, nullable=False),
    Column("borrower", String(60), nullable=False),
    Column("lent_on", Date, nullable=False),
    *_record_columns(),
)


class Kit(RecordModel):
    __table__ = kits


class KitPart(RecordModel):
    __table__ = kit_parts


class KitLoan(RecordModel):
    __table__ = kit_loans


STATES = (State("open", "使用中", "Open"), State("closed", "已封存", "Closed", readonly=True))


def _closed_note(session: Any, actor: Any, kit: Any, comment: str, now: dt.datetime) -> dict[str, Any]:
    return {"closed_note": comment or None}


class KitSpec(RecordSpec):
    slug = "test_kits"
    model = Kit
    title_zh, title_en = "器材箱", "Kits"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Unit", required=True),
        Field("name", "text", "名称", "Name", required=True, max_length=60),
        Field("keeper_id", "ref", "保管人", "Keeper", ref="users", on_delete="allow"),
        Field(
            "kind",
            "choice",
            "类别",
            "Kind",
            choices=(Choice("aid", "急救", "First aid"), Choice("clean", "保洁", "Cleaning")),
        ),
        Field("bought_on", "date", "购置日期", "Bought on"),
        Field(
            "status",
            "choice",
            "状态",
            "Status",
            readonly=True,
            choices=tuple(Choice(s.value, s.zh, s.en) for s in STATES),
        ),
        Field("closed_note", "text", "封存说明", "Closing note", readonly=True),
        Field("photos", "images", "照片", "Photos", max=2),
    )
    list_display = ("name", "keeper_id", "kind", "status", "photos")
    list_filter = ("keeper_id", "kind")
    label_fields = ("name",)  # not unique: two kits may share a name
    date_field = "bought_on"
    permissions = EVERYONE
    inlines = (Inline("test_kit_parts", link=(("kit_id", "id"), ("org_unit_id", "org_unit_id")), max_rows=20),)
    workflow = Workflow(
        states=STATES,
        transitions=(
            Transition(
                "close",
                "封存",
                "Close",
                ("open",),
                "closed",
                frozenset({"admin", "head"}),
                comment=True,
                effects=_closed_note,
            ),
            Transition("reopen", "启用", "Reopen", ("closed",), "open", frozenset({"admin", "head"})),
        ),
        locks=(Lock("test_kit_parts", (("kit_id", "id"),), ("closed",)),),
    )
    stats = Stats(by=("kind",), measures=(Measure("count"),))


def _points(values: dict[str, Any]) -> float | None:
    qty = values.get("qty")
    return None if qty is None else float(qty) * 2.5


class KitPartSpec(RecordSpec):
    slug = "test_kit_parts"
    model = KitPart
    title_zh, title_en = "器材", "Parts"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Unit", readonly=True),
        Field("kit_id", "ref", "器材箱", "Kit", ref="test_kits", readonly=True),
        Field("name", "text", "名称", "Name", required=True, max_length=60),
        Field("qty", "int", "数量", "Quantity", required=True, min=0, max=1000),
        Field("points", "float", "分值", "Points", computed=_points),
    )
    list_display = ("name", "qty", "points")
    list_editable = ("qty",)
    permissions = EVERYONE


class KitLoanSpec(RecordSpec):
    slug = "test_kit_loans"
    model = KitLoan
    title_zh, title_en = "借用", "Loans"
    fields = (
        Field("org_unit_id", "org_unit", "单位", "Unit", required=True),
        Field("kit_id", "ref", "器材箱", "Kit", ref="test_kits", required=True),
        Field("borrower", "text", "借用人", "Borrower", required=True, max_length=60),
        Field("lent_on", "date", "借出日期", "Lent on", required=True),
    )
    list_display = ("kit_id", "borrower", "lent_on")
    permissions = EVERYONE


KIT_SPECS = {s.slug: s for s in (KitSpec, KitPartSpec, KitLoanSpec)}


def install(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kit tables in this database, and the kit specs in the registry."""
    KIT_META.create_all(engine)
    real = dict(registry.specs())
    merged = {**real, **KIT_SPECS}
    registry.check_references(merged)
    monkeypatch.setattr(registry, "specs", lambda: merged)
    registry.locks_on.cache_clear()
    monkeypatch.setattr(registry, "locks_on", registry.locks_on.__wrapped__)
