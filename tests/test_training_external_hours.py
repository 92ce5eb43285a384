"""External and online hours (外出培训, 线上学习): 学时 recorded outside the portal's sessions,
a record type on the engine, that the hours ledger (学时台账) adds to the hours from
attendance, for the same person (name, unit, phone ending), within the year and the
actor's scope."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from db.engine import transaction
from db.models import AuditEntry, TrainingExternalHours
from portal.errors import PermissionDenied, ValidationError
from portal.programmes.training import reports
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr
from portal.records import io as records_io
from portal.records import service as records
from tests.test_training import AM1, AM2, PM1, World, make_world, mark


@pytest.fixture
def world(engine: Engine, tree: dict[str, int]) -> World:
    w = make_world(engine, tree)
    p = w.people  # 3 hours a half-day: 丙 (supervisor, 40 a year) 6 h, 甲 (phone …1111) 3 h
    mark(w, w.trainer, {(p["丙"], AM1): "present", (p["丙"], PM1): "late", (p["甲"], AM2): "present"})
    return w


def add(engine: Engine, actor: Any, **values: Any) -> int:
    row = {"category": "assistant", "day": dt.date(2026, 6, 1), "kind": "external", "hours": 4, **values}
    with transaction(engine) as s:
        return int(records.create(s, actor, tr.TrainingExternalHoursSpec, row).id)


def ledger(world: World, actor: Any, year: int = 2026) -> dict[str, training.LedgerLine]:
    with transaction(world.engine) as s:
        return {line.name: line for line in training.hours_ledger(s, actor, year)}


def test_the_ledger_adds_external_and_online_hours_to_attendance(world: World) -> None:
    t = world.tree
    before = ledger(world, world.head)
    assert {n: (line.hours, line.external) for n, line in before.items()} == {"丙": (6, 0), "甲": (3, 0)}
    add(world.engine, world.head, org_unit_id=t["t2"], person_name="丙", category="supervisor", hours=16)
    add(
        world.engine, world.head, org_unit_id=t["t2"], person_name="丙", category="supervisor", kind="online", hours=2.5
    )
    # 甲 is known by the phone's last four digits, as the marks carry her
    add(
        world.engine, world.t1_staff, org_unit_id=t["t1"], person_name="甲", phone="13800001111", kind="online", hours=8
    )
    add(world.engine, world.t1_staff, org_unit_id=t["t1"], person_name="戊", hours=21)  # no marks at all
    add(
        world.engine,
        world.t1_staff,
        org_unit_id=t["t1"],
        person_name="甲",
        phone="13800001111",
        day=dt.date(2025, 12, 31),
    )
    gone = add(world.engine, world.t1_staff, org_unit_id=t["t1"], person_name="甲", phone="13800001111", hours=50)
    with transaction(world.engine) as s:
        records.delete(s, world.t1_staff, tr.TrainingExternalHoursSpec, gone)
    after = ledger(world, world.head)
    assert {n: (line.hours, line.external, line.minimum, line.below) for n, line in after.items()} == {
        "丙": (24.5, 18.5, 40, True),  # 6 from attendance + 16 外出培训 + 2.5 线上学习
        "甲": (11, 8, 20, True),  # last year's 4 hours and the deleted 50 do not count
        "戊": (21, 21, 20, False),  # a line from recorded hours alone
    }
    assert after["丙"].person == before["丙"].person  # the same person, not a second line
    assert ledger(world, world.head, 2025)["甲"].hours == 4
    # lowest against the minimum first; the workbook carries the external hours too
    with transaction(world.engine) as s:
        assert [line.name for line in training.hours_ledger(s, world.head, 2026)] == ["丙", "甲", "戊"]
        book = load_workbook(io.BytesIO(reports.ledger_xlsx(s, world.head, 2026)))
    rows = {r[0]: r[3:] for r in ([c.value for c in row] for row in book.worksheets[1].iter_rows(min_row=2))}
    assert rows["丙"] == [24.5, 40, 15.5, 18.5] and rows["戊"] == [21, 20, 0, 21]


def test_scoping_and_who_records_hours(world: World) -> None:
    t = world.tree
    add(world.engine, world.t1_staff, org_unit_id=t["t1"], person_name="戊", hours=5)
    add(world.engine, world.head, org_unit_id=t["t2"], person_name="己", hours=7)
    # a township sees its own people's hours only
    assert set(ledger(world, world.t1_staff)) == {"甲", "戊"}
    assert set(ledger(world, world.t2_trainer)) == {"丙", "己"}
    # staff record hours for their own unit's people, not another township's
    with pytest.raises((PermissionDenied, ValidationError)):
        add(world.engine, world.t1_staff, org_unit_id=t["t2"], person_name="庚")
    with pytest.raises(ValidationError) as bad:
        add(world.engine, world.t1_staff, org_unit_id=t["t1"], person_name="庚", hours=0)
    assert [e.field for e in bad.value.errors] == ["hours"]
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(TrainingExternalHours)) == 2
        entries = s.scalar(select(func.count()).where(AuditEntry.record_type == "training_external_hours"))
        assert entries == 2


def test_a_gbk_file_of_hours_imports_through_the_engine(world: World) -> None:
    sheet = (
        "单位,姓名,手机,类别,日期,类型,学时,说明\n"
        "东关镇卫生院,甲,13800001111,协管员,2026-09-10,线上学习,6,国家继续医学教育平台\n"
        "东关镇卫生院,戊,,公卫人员,2026-09-11,外出培训,12,省级培训班\n"
    ).encode("gbk")
    with transaction(world.engine) as s:
        preview = records_io.check_import(s, world.t1_staff, tr.TrainingExternalHoursSpec, sheet, "学时.csv")
        assert preview.ok, [(e.row, e.column, e.message) for e in preview.errors]
        assert records_io.apply_import(s, world.t1_staff, tr.TrainingExternalHoursSpec, preview) == (2, 0)
    lines = ledger(world, world.t1_staff)
    assert (lines["甲"].hours, lines["甲"].external) == (9, 6)
    assert (lines["戊"].hours, lines["戊"].category, lines["戊"].minimum) == (12, "public_health", 30)
    bad = "单位,姓名,类别,日期,类型,学时\n东关镇卫生院,甲,协管员,2026-09-10,自学,6\n".encode("gbk")
    with transaction(world.engine) as s:
        refused = records_io.check_import(s, world.t1_staff, tr.TrainingExternalHoursSpec, bad, "bad.csv")
    assert [(e.row, e.column) for e in refused.errors] == [(2, "类型")]
