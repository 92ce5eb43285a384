"""Every write the portal offers leaves an audit entry with the values before and after.

Two layers hold this:
- the guard in portal.records.audit refuses to commit a transaction that changed a
  record row without an entry for it (or changed it after its entry was written), so any
  write path that forgets the trail fails in whatever test commits it;
- this module commits every service-level write there is: each record type's create,
  update, delete, restore, revert and import, and each named operation (the report
  cycle, carry-over, copy, templates, targets, populations, accounts, sign-in), checking
  the entries. A new record type must add a sample here (a test fails until it does).

Every write runs in its own committed transaction, so the guard checks each one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import transaction
from db.models import AuditEntry, PlanItem
from portal.metrics import library, targets
from portal.org import auth, users
from portal.org import units as orgunits
from portal.org.scope import SYSTEM, Actor
from portal.programmes.education import specs as he
from portal.programmes.plans import specs as plans
from portal.programmes.sanitation import specs as san
from portal.programmes.sanitation import view as san_view
from portal.records import audit, registry
from portal.records import io as records_io
from portal.records import service as records
from portal.records.grid import RowChange
from tests.conftest import make_user, tamper


@dataclass
class Ctx:
    engine: Engine
    tree: dict[str, int]
    head: Actor
    staff: Actor
    item_id: int
    san: dict[str, int] = field(default_factory=dict)  # the sanitation samples' records, made on first use
    he: dict[str, int] = field(default_factory=dict)  # the campaign samples' campaign, made on first use


def _appeal_adjusted(s: Session, c: Ctx) -> Any:
    appeal = records.create(
        s,
        c.staff,
        san.AppealSpec,
        {"inspection_id": _san(c)["inspection"], "lodged_on": dt.date(2031, 4, 3), "reason": "检查时正在清扫"},
    )
    records.update(s, SYSTEM, san.AppealSpec, appeal.id, {"adjusted_score": 0}, appeal.version)
    return records.transition(s, SYSTEM, san.AppealSpec, appeal.id, "adjust", "属实")


def _san(c: Ctx) -> dict[str, int]:
    """A checklist with one item, a zone, a campaign and an inspection in t1, made once per
    test database (its own committed transaction), for the sanitation samples."""
    if not c.san:
        with transaction(c.engine) as s:
            checklist = records.create(s, SYSTEM, san.ChecklistSpec, {"name": "教室细则", "target_type": "classroom"})
            # no inspection uses this one, so its items change in place (a used one makes a new version)
            blank = records.create(s, SYSTEM, san.ChecklistSpec, {"name": "空白细则", "target_type": "classroom"})
            item = records.create(
                s,
                SYSTEM,
                san.ChecklistItemSpec,
                {"checklist_id": checklist.id, "criterion": "地面干净", "max_points": 10},
            )
            zone = records.create(
                s, SYSTEM, san.ZoneSpec, {"org_unit_id": c.tree["t1"], "name": "主街", "zone_type": "road"}
            )
            campaign = records.create(
                s,
                SYSTEM,
                san.CampaignSpec,
                {
                    "org_unit_id": c.tree["t1"],
                    "name": "爱国卫生月",
                    "start_date": dt.date(2031, 4, 1),
                    "end_date": dt.date(2031, 4, 30),
                    "checklist_id": checklist.id,
                },
            )
            inspection = records.create(
                s,
                SYSTEM,
                san.InspectionSpec,
                {"campaign_id": campaign.id, "zone_id": zone.id, "inspection_date": dt.date(2031, 4, 2)},
            )
        c.san.update(
            {
                "checklist": checklist.id,
                "blank_checklist": blank.id,
                "item": item.id,
                "zone": zone.id,
                "campaign": campaign.id,
                "inspection": inspection.id,
            }
        )
    return c.san


def _he(c: Ctx) -> dict[str, int]:
    """A county health-education campaign, made once per test database, for the goal sample."""
    if not c.he:
        with transaction(c.engine) as s:
            campaign = records.create(
                s,
                SYSTEM,
                he.CampaignSpec,
                {
                    "org_unit_id": c.tree["county"],
                    "name": "世界艾滋病日宣传",
                    "start_date": dt.date(2031, 11, 24),
                    "end_date": dt.date(2031, 12, 8),
                },
            )
        c.he["campaign"] = campaign.id
    return c.he


# Per record type: a valid record to create, a change to make, and an import row (with
# codes where a file carries codes). Functions of the context, so they can use its ids.
Sample = Callable[[Ctx], tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]]
SAMPLES: dict[str, Sample] = {
    "org_units": lambda c: (
        {"code": "new1", "name_zh": "新村卫生室", "type": "village_clinic", "parent_id": c.tree["t1"]},
        {"name_zh": "新村卫生室（改）"},
        {"code": "new2", "name_zh": "二村卫生室", "type": "village_clinic", "parent_id": "t1"},
    ),
    "users": lambda c: (
        {
            "username": "newbie",
            "display_name": "新人",
            "role": "staff",
            "org_unit_id": c.tree["t1"],
            "password": "secret-123",
            "bcrypt_rounds": 4,
        },
        {"display_name": "新人甲"},
        None,  # passwords are never imported
    ),
    "theme_days": lambda c: (
        {"code": "local-day", "name_zh": "本地卫生日", "name_en": "Local day", "rule": "fixed", "month": 4, "day": 2},
        {"name_zh": "本地健康日"},
        {"code": "local-2", "name_zh": "本地二日", "name_en": "Local 2", "rule": "fixed", "month": 5, "day": 3},
    ),
    "reminder_channels": lambda c: (
        {"org_unit_id": c.tree["t1"], "kind": "wecom", "url": "https://qyapi.example.invalid/send?key=1"},
        {"kind": "dingtalk"},
        {"org_unit_id": "t2", "kind": "钉钉群机器人", "url": "https://oapi.example.invalid/robot/send?t=2"},
    ),
    "calendar_days": lambda c: (
        {"day": dt.date(2031, 1, 2), "workday": False, "name_zh": "调休"},
        {"name_zh": "元旦调休"},
        {"day": "2031-01-03", "workday": "否", "name_zh": "调休二"},
    ),
    "indicators": lambda c: (
        {
            "code": "LOC-1",
            "name_zh": "本地指标",
            "name_en": "Local",
            "area": "he",
            "comparator": ">=",
            "period_type": "year",
            "definition": '{"record": "he_activities"}',
        },
        {"name_zh": "本地指标（改）"},
        {
            "code": "LOC-2",
            "name_zh": "本地二",
            "name_en": "Local 2",
            "area": "he",
            "comparator": ">=",
            "period_type": "year",
            "definition": '{"record": "he_activities"}',
        },
    ),
    "targets": lambda c: (
        {"indicator_code": "HE-01", "org_unit_id": c.tree["t1"], "period": "2031", "value": 4},
        {"value": 6},
        {"indicator_code": "HE-01", "org_unit_id": "t2", "period": "2031", "value": 5},
    ),
    "he_activities": lambda c: (
        {
            "org_unit_id": c.tree["t1"],
            "activity_date": dt.date(2026, 3, 24),
            "activity_type": "lecture",
            "title": "结核病防治讲座",
            "participants": 40,
        },
        {"participants": 45},
        {"org_unit_id": "t1", "activity_date": "2026-03-25", "activity_type": "宣传栏更换", "title": "宣传栏"},
    ),
    "work_plans": lambda c: (
        {"org_unit_id": c.tree["t1"], "plan_type": "annual", "period": "2031", "title": "年度计划"},
        {"title": "年度工作计划"},
        {"org_unit_id": "t1", "plan_type": "monthly", "period": "2031-01", "title": "一月计划"},
    ),
    "plan_items": lambda c: (
        {"org_unit_id": c.tree["t1"], "month": "2031-01", "title": "健康讲座", "target_qty": 1},
        {"status": "in_progress"},
        {"org_unit_id": "t1", "month": "2031-02", "title": "宣传栏更换"},
    ),
    "progress_updates": lambda c: (
        {"item_id": c.item_id, "note": "已开展一次", "quantity": 1},
        {"note": "已开展一次讲座"},
        None,  # not importable
    ),
    "monthly_reports": lambda c: (
        {"org_unit_id": c.tree["t2"], "month": "2031-03"},
        {"summary": "本月完成情况"},
        None,  # not importable
    ),
    "sanitation_checklists": lambda c: (
        {"name": "宿舍细则", "target_type": "dorm"},
        {"name": "宿舍卫生细则"},
        {"name": "食堂细则", "target_type": "食堂"},
    ),
    "sanitation_checklist_items": lambda c: (
        {"checklist_id": _san(c)["blank_checklist"], "criterion": "桌椅整齐", "max_points": 20},
        {"max_points": 15},
        {"checklist_id": "空白细则", "criterion": "门窗洁净", "max_points": 10},
    ),
    "sanitation_zones": lambda c: (
        {"org_unit_id": c.tree["t1"], "name": "农贸市场", "zone_type": "market"},
        {"responsible": "王主任"},
        {"org_unit_id": "t1", "name": "东街", "zone_type": "道路 / 路段"},
    ),
    "sanitation_campaigns": lambda c: (
        {
            "org_unit_id": c.tree["t1"],
            "name": "春季除四害",
            "start_date": dt.date(2031, 3, 1),
            "end_date": dt.date(2031, 3, 31),
        },
        {"planned_inspections": 20},
        {"org_unit_id": "t1", "name": "开学大扫除", "start_date": "2031-09-01", "end_date": "2031-09-05"},
    ),
    "sanitation_inspections": lambda c: (
        {"zone_id": _san(c)["zone"], "checklist_id": _san(c)["checklist"], "inspection_date": dt.date(2031, 4, 3)},
        {"note": "地面有纸屑"},
        {"zone_id": "主街", "checklist_id": "教室细则", "inspection_date": "2031-04-04", "inspection_type": "日常检查"},
    ),
    "sanitation_schedules": lambda c: (
        {"campaign_id": _san(c)["campaign"], "frequency": "daily", "duty": "rota", "inspectors": "t1staff"},
        {"inspectors": "t1staff, county_head"},
        {
            "campaign_id": "爱国卫生月",
            "frequency": "每周",
            "duty": "检查小组",
            "inspectors": "t1staff",
            "team_name": "检查组",
        },
    ),
    "sanitation_item_scores": lambda c: (
        {"inspection_id": _san(c)["inspection"], "item_id": _san(c)["item"], "score": 8},
        {"score": 9},
        None,  # scored on the inspection's sheet, never imported
    ),
    "sanitation_publications": lambda c: (
        {
            "campaign_id": _san(c)["campaign"],
            "period_start": dt.date(2031, 4, 1),
            "period_end": dt.date(2031, 4, 7),
            "title": "第一周卫生评比结果",
        },
        {"title": "第一周卫生评比结果公示"},
        None,  # published from the page, never imported
    ),
    "he_campaigns": lambda c: (
        {
            "org_unit_id": c.tree["county"],
            "name": "全国爱牙日宣传",
            "start_date": dt.date(2031, 9, 13),
            "end_date": dt.date(2031, 9, 27),
        },
        {"topics": "口腔健康"},
        {"org_unit_id": "t1", "name": "世界无烟日宣传", "start_date": "2031-05-24", "end_date": "2031-06-07"},
    ),
    "he_campaign_goals": lambda c: (
        {"campaign_id": _he(c)["campaign"], "org_unit_id": c.tree["t1"], "activities_goal": 2, "people_goal": 200},
        {"people_goal": 300},
        {"campaign_id": "世界艾滋病日宣传", "org_unit_id": "t2", "activities_goal": 3},
    ),
    "he_campaign_plans": lambda c: (
        {
            "campaign_id": _he(c)["campaign"],
            "org_unit_id": c.tree["t1"],
            "activity_type": "consultation",
            "planned_date": dt.date(2031, 12, 1),
            "expected_reach": 150,
        },
        {"place": "镇集市广场"},
        {
            "campaign_id": "世界艾滋病日宣传",
            "org_unit_id": "t2",
            "activity_type": "健康讲座",
            "planned_date": "2031-11-28",
        },
    ),
    "he_materials": lambda c: (
        {
            "org_unit_id": c.tree["t1"],
            "movement_date": dt.date(2031, 11, 20),
            "kind": "艾滋病防治折页",
            "received": 500,
        },
        {"received": 600},
        {"org_unit_id": "t1", "movement_date": "2031-11-21", "kind": "控烟海报", "received": "100"},
    ),
    "sanitation_appeals": lambda c: (
        {"inspection_id": _san(c)["inspection"], "lodged_on": dt.date(2031, 4, 3), "reason": "检查时正在清扫"},
        {"reason": "检查时正在清扫，非日常状态"},
        None,  # lodged one by one, never imported
    ),
    "sanitation_rectifications": lambda c: (
        {"org_unit_id": c.tree["t1"], "inspection_id": _san(c)["inspection"], "description": "垃圾未清运"},
        {"description": "垃圾未及时清运"},
        {"org_unit_id": "t1", "raised_on": "2031-04-02", "description": "污水外溢"},
    ),
    "training_programmes": lambda c: (
        {"organiser_unit_id": c.tree["county"], "year": 2031, "title": "急救普及培训", "category": "first_aid"},
        {"hours": 8},
        {"organiser_unit_id": "county", "year": 2031, "title": "传染病防治培训", "category": "传染病防治培训"},
    ),
    "training_quotas": lambda c: (
        {"programme_id": _training(c)["programme"], "unit_type": "township_hc", "quota": 6},
        {"quota": 5},
        {"programme_id": "样本培训项目", "unit_id": "t2", "quota": 3},
    ),
    "training_sessions": lambda c: (
        {"programme_id": _training(c)["programme"], "title": "第二期", "start_date": dt.date(2031, 4, 1)},
        {"venue": "县疾控中心会议室"},
        {"programme_id": "样本培训项目", "title": "第三期", "start_date": "2031-05-06", "half_days": 4},
    ),
    "training_enrolments": lambda c: (
        {
            "session_id": _training(c)["session"],
            "org_unit_id": c.tree["t1"],
            "person_name": "王五",
            "category": "assistant",
        },
        {"phone": "13900001234"},
        {"session_id": "第一期 · 2031-03-03", "org_unit_id": "t1", "person_name": "赵六", "category": "协管员"},
    ),
    "training_people": lambda c: (
        {"org_unit_id": c.tree["t1"], "name": "孙七", "category": "village_doctor", "phone": "13700007777"},
        {"phone": "13700007778"},
        {"单位": "t1", "姓名": "周八", "类别": "村医", "手机": "137-0000-8888"},
    ),
    "training_attendance": lambda c: (
        {"enrolment_id": _training(c)["enrolment"], "half_day": "2031-03-03/am", "status": "present"},
        {"status": "late"},
        None,  # marks come from the grid
    ),
    "training_assessments": lambda c: (
        {"enrolment_id": _training(c)["enrolment"], "score": 88},
        {"score": 92},
        None,  # results come from the grid
    ),
    "training_external_hours": lambda c: (
        {
            "org_unit_id": c.tree["t1"],
            "person_name": "王五",
            "category": "assistant",
            "day": dt.date(2031, 5, 8),
            "kind": "online",
            "hours": 6,
        },
        {"hours": 8},
        {"单位": "t1", "姓名": "赵六", "类别": "协管员", "日期": "2031-06-01", "类型": "外出培训", "学时": "12"},
    ),
}


def _training(c: Ctx) -> dict[str, int]:
    """A programme, a session and one roster entry for the training samples (made once)."""
    made: dict[str, int] | None = getattr(c, "training", None)
    if made is None:
        from portal.programmes.training import specs as tr

        with transaction(c.engine) as s:
            programme = records.create(
                s,
                SYSTEM,
                tr.TrainingProgrammeSpec,
                {"organiser_unit_id": c.tree["county"], "year": 2031, "title": "样本培训项目", "category": "assistant"},
            )
            run = records.create(
                s,
                SYSTEM,
                tr.TrainingSessionSpec,
                {"programme_id": programme.id, "title": "第一期", "start_date": dt.date(2031, 3, 3)},
            )
            person = records.create(
                s,
                SYSTEM,
                tr.TrainingEnrolmentSpec,
                {"session_id": run.id, "org_unit_id": c.tree["t1"], "person_name": "样本", "category": "assistant"},
            )
            made = {"programme": programme.id, "session": run.id, "enrolment": person.id}
        c.training = made  # type: ignore[attr-defined]  # a cache on the test's context
    return made


def _training_scores(s: Session, c: Ctx) -> Any:
    from portal.programmes.training import scores

    sheet = "姓名,单位,成绩\n样本,东关镇卫生院,86\n".encode()
    saved = scores.import_scores(s, SYSTEM, _training(c)["session"], sheet, "scores.csv")
    assert saved.created == 1
    return saved


def _training_enrolled(s: Session, c: Ctx) -> Any:
    from db.models import TrainingPerson
    from portal.programmes.training import specs as tr

    entry = records.create(
        s,
        c.staff,
        tr.TrainingEnrolmentSpec,
        {
            "session_id": _training(c)["session"],
            "org_unit_id": c.tree["t1"],
            "person_name": "吴九",
            "category": "nurse",
        },
    )
    person = s.get_one(TrainingPerson, entry.trainee_id)
    assert person.name == "吴九" and person.org_unit_id == c.tree["t1"]
    return entry


def _training_nominated(s: Session, c: Ctx) -> Any:
    from portal.programmes.training import service as training
    from portal.programmes.training import specs as tr

    run = _training(c)["session"]  # made in its own transaction, before this one writes
    person = records.create(
        s, c.staff, tr.TrainingPersonSpec, {"org_unit_id": c.tree["t1"], "name": "郑十", "category": "informant"}
    )
    saved = training.nominate(s, SYSTEM, run, [person.id])
    assert saved.created == 1
    return saved


def _training_walkin_waiting(s: Session, c: Ctx) -> None:
    """A self sign-in window (its opening is audited on its own) and one walk-in waiting."""
    from db.models import TrainingWalkin
    from portal.programmes.training import signin

    window = signin.open_window(s, SYSTEM, _training(c)["session"], "2031-03-03/pm")
    walkin = TrainingWalkin(
        window_id=window.id, person_name="冯十一", phone_tail="4321", at=window.opens_at, status="pending"
    )
    s.add(walkin)
    s.flush()
    c.walkin = walkin.id  # type: ignore[attr-defined]  # handed to the operation


def _training_walkin(s: Session, c: Ctx) -> Any:
    from db.models import TrainingPerson
    from portal.programmes.training import signin

    walkin = c.walkin  # type: ignore[attr-defined]  # set by the operation's setup
    entry = signin.accept_walkin(s, SYSTEM, walkin, c.tree["t1"], "assistant")
    assert s.get_one(TrainingPerson, entry.trainee_id).name == "冯十一"
    return entry


@pytest.fixture
def ctx(engine: Engine, tree: dict[str, int]) -> Ctx:
    with transaction(engine) as s:
        library.ensure_builtin(s)
    head = make_user(engine, "county_head", "head", tree["county"])
    staff = make_user(engine, "t1staff", "staff", tree["t1"])
    with transaction(engine) as s:
        item = records.create(
            s,
            SYSTEM,
            plans.PlanItemSpec,
            {"org_unit_id": tree["t1"], "month": "2030-12", "title": "随访", "target_qty": 4},
        )
    return Ctx(engine, tree, head, staff, item.id)


def entries_since(s: Session, after_id: int) -> list[AuditEntry]:
    return list(s.scalars(select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id)))


def last_id(engine: Engine) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.max(AuditEntry.id))) or 0


def written(engine: Engine, do: Callable[[Session], Any]) -> tuple[Any, list[AuditEntry]]:
    """Run one write in its own committed transaction; the entries it left."""
    mark = last_id(engine)
    with transaction(engine) as s:
        result = do(s)
    with transaction(engine) as s:
        return result, entries_since(s, mark)


def test_every_record_type_has_a_sample() -> None:
    assert sorted(set(registry.specs()) - set(SAMPLES)) == []


@pytest.mark.parametrize("slug", sorted(SAMPLES))
def test_each_record_write_is_audited(ctx: Ctx, slug: str) -> None:
    spec = registry.get(slug)
    create, change, row = SAMPLES[slug](ctx)
    obj, made = written(ctx.engine, lambda s: records.create(s, SYSTEM, spec, create))
    assert [(e.action, e.record_type, e.record_id) for e in made][-1] == ("create", slug, obj.id)
    assert made[-1].before is None and made[-1].after["version"] == obj.version
    _, changed = written(ctx.engine, lambda s: records.update(s, SYSTEM, spec, obj.id, change, obj.version))
    mine = [e for e in changed if e.record_type == slug and e.record_id == obj.id]
    assert mine[-1].action == "update" and mine[-1].before and mine[-1].after
    key = next(iter(change))
    assert mine[-1].before[key] != mine[-1].after[key]
    if spec.allows("admin", "revert"):
        _, reverted = written(ctx.engine, lambda s: records.revert(s, SYSTEM, spec, obj.id, obj.version))
        assert [e.action for e in reverted if e.record_id == obj.id][-1] == "revert"
        assert reverted[-1].before and reverted[-1].after
    if spec.allows("admin", "delete"):
        _, deleted = written(ctx.engine, lambda s: records.delete(s, SYSTEM, spec, obj.id))
        assert deleted[-1].action == "delete" and deleted[-1].after["deleted_at"] is not None
        _, restored = written(ctx.engine, lambda s: records.restore(s, SYSTEM, spec, obj.id))
        assert restored[-1].action == "restore" and restored[-1].before["deleted_at"] is not None
    if row is not None and spec.allows("admin", "import"):
        data = _csv(row)

        def run_import(s: Session) -> tuple[int, int]:
            preview = records_io.check_import(s, SYSTEM, spec, data, "one.csv")
            assert preview.ok, [e.message for e in preview.errors]
            return records_io.apply_import(s, SYSTEM, spec, preview)

        counts, imported = written(ctx.engine, run_import)
        assert counts == (1, 0) and [e.record_type for e in imported if e.action == "create"][-1:] == [slug]
        assert imported[-1].after is not None


def _csv(row: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(row))
    writer.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in row.values()])
    return out.getvalue().encode("utf-8")


# -- named operations: everything that writes without being a plain record save ----------

Operation = Callable[[Session, Ctx], Any]


def _submit(s: Session, c: Ctx, month: str = "2030-12") -> Any:
    return plans.submit(s, c.staff, c.tree["t1"], month, summary="本月总结")


OPERATIONS: dict[str, tuple[Operation | None, Operation]] = {
    # name: (set-up run before, the write itself)
    "progress update moves its item": (
        None,
        lambda s, c: records.create(
            s, c.staff, plans.ProgressUpdateSpec, {"item_id": c.item_id, "note": "完成一次", "quantity": 1}
        ),
    ),
    "report submit": (None, _submit),
    "report approve": (_submit, lambda s, c: plans.approve(s, c.head, c.tree["t1"], "2030-12", "同意")),
    "report return": (_submit, lambda s, c: plans.return_report(s, c.head, c.tree["t1"], "2030-12", "请补充")),
    "report unlock": (
        lambda s, c: (_submit(s, c), plans.approve(s, c.head, c.tree["t1"], "2030-12")),
        lambda s, c: plans.unlock(s, c.head, c.tree["t1"], "2030-12", "更正"),
    ),
    "carry over": (None, lambda s, c: plans.carry_over(s, c.staff, c.tree["t1"], "2030-12")),
    "copy a month": (None, lambda s, c: plans.copy_month(s, c.staff, c.tree["t1"], "2030-12", "2031-05")),
    "month from a template": (
        None,
        lambda s, c: plans.from_template(s, c.staff, c.tree["t1"], "2031-01", "township_phs"),
    ),
    "targets handed down": (
        None,
        lambda s, c: targets.assign(s, c.head, "HE-01", "2031", {c.tree["t1"]: 4.0, c.tree["t2"]: 5.0}),
    ),
    "targets changed and cleared": (
        lambda s, c: targets.assign(s, c.head, "HE-01", "2031", {c.tree["t1"]: 4.0, c.tree["t2"]: 5.0}),
        lambda s, c: targets.assign(s, c.head, "HE-01", "2031", {c.tree["t1"]: 6.0, c.tree["t2"]: None}),
    ),
    "a month's items saved as the report's child rows": (
        None,
        lambda s, c: records.save(
            s,
            c.staff,
            plans.MonthlyReportSpec,
            plans.report_for(s, c.staff, c.tree["t1"], "2030-12", create=True).id,
            {},
            children={
                "plan_items": [
                    RowChange(values={"title": "新增事项"}),
                    RowChange(c.item_id, None, {"title": "随访（改）"}),
                ]
            },
        ),
    ),
    "a grid save": (
        None,
        lambda s, c: records.save_rows(s, c.staff, plans.PlanItemSpec, [RowChange(c.item_id, None, {"target_qty": 6})]),
    ),
    "a scoring sheet saved, with the inspection's total": (
        None,
        lambda s, c: san_view.score_sheet(s, c.staff, _san(c)["inspection"], {_san(c)["item"]: 7}),
    ),
    "a used checklist edited: a new version with its items, the old one superseded": (
        None,
        lambda s, c: san_view.edit_checklist(
            s, SYSTEM, _san(c)["checklist"], {"notes": "第二版"}, [RowChange(_san(c)["item"], None, {"max_points": 12})]
        ),
    ),
    "a rectification raised and reported rectified": (
        None,
        lambda s, c: records.transition(
            s,
            c.staff,
            san.RectificationSpec,
            san_view.raise_rectification(s, c.staff, _san(c)["inspection"], "垃圾未清").id,
            "rectify",
            "已清运",
        ),
    ),
    "an appeal decided: the score adjusted, the inspection rescored": (
        None,
        lambda s, c: _appeal_adjusted(s, c),
    ),
    "a training score sheet imported": (
        None,
        lambda s, c: _training_scores(s, c),
    ),
    "a roster entry adds its person to the register": (
        None,
        lambda s, c: _training_enrolled(s, c),
    ),
    "people nominated from the register": (
        None,
        lambda s, c: _training_nominated(s, c),
    ),
    "a walk-in accepted, added to the register": (
        _training_walkin_waiting,
        lambda s, c: _training_walkin(s, c),
    ),
    "population set": (None, lambda s, c: orgunits.set_population(s, SYSTEM, c.tree["t1"], 2031, "resident", 900)),
    "population changed": (
        lambda s, c: orgunits.set_population(s, SYSTEM, c.tree["t1"], 2031, "resident", 900),
        lambda s, c: orgunits.set_population(s, SYSTEM, c.tree["t1"], 2031, "resident", 950),
    ),
    "account disabled": (None, lambda s, c: users.set_active(s, SYSTEM, c.staff.id, False)),
    "password reset": (None, lambda s, c: users.reset_password(s, SYSTEM, c.staff.id, "another-9")),
    "own password changed": (
        None,
        lambda s, c: users.change_own_password(s, c.staff, "secret123", "newpass-99", "newpass-99"),
    ),
    "language saved": (None, lambda s, c: users.set_language(s, c.staff, "en")),
    "sign out everywhere": (None, lambda s, c: users.logout(s, c.staff)),
    "sign-in": (None, lambda s, c: auth.authenticate(s, "t1staff", "secret123")),
    "wrong password": (None, lambda s, c: auth.authenticate(s, "t1staff", "wrong-one")),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_operation_is_audited(ctx: Ctx, name: str) -> None:
    setup, operation = OPERATIONS[name]
    if setup is not None:
        with transaction(ctx.engine) as s:
            setup(s, ctx)
    _, made = written(ctx.engine, lambda s: operation(s, ctx))
    assert made, f"{name} wrote no audit entry"
    for entry in made:
        assert entry.after is not None, (name, entry.action)
        if entry.action not in ("create", "import"):
            assert entry.before is not None, (name, entry.action)


def test_the_guard_refuses_a_write_without_its_entry(ctx: Ctx) -> None:
    """What the guard catches: a row changed and never audited, and a field set after the
    entry was written (the two gaps this issue closed: carried_over and a report's due date)."""
    with pytest.raises(audit.UnauditedWrite, match="plan_items"), transaction(ctx.engine) as s:
        s.get_one(PlanItem, ctx.item_id).title = "悄悄改"
    with (
        pytest.raises(audit.UnauditedWrite, match=r"carried_over.*changed after its audit entry"),
        transaction(ctx.engine) as s,
    ):
        copy = records.create(
            s, SYSTEM, plans.PlanItemSpec, {"org_unit_id": ctx.tree["t1"], "month": "2031-01", "title": "结转"}
        )
        copy.carried_over = True
    with transaction(ctx.engine) as s:  # nothing of either reached the database
        assert s.get_one(PlanItem, ctx.item_id).title == "随访"
        assert s.scalar(select(func.count()).select_from(PlanItem).where(PlanItem.title == "结转")) == 0
    with tamper(ctx.engine) as s:  # a test's own set-up may write directly
        s.get_one(PlanItem, ctx.item_id).notes = "测试数据"


def test_carried_over_and_due_dates_are_in_the_trail(ctx: Ctx) -> None:
    with transaction(ctx.engine) as s:
        plans.carry_over(s, ctx.staff, ctx.tree["t1"], "2030-12")
        report = plans.report_for(s, ctx.staff, ctx.tree["t1"], "2030-12", create=True)
        report_id = report.id
    with transaction(ctx.engine) as s:
        copy = s.scalar(select(PlanItem).where(PlanItem.month == "2031-01", PlanItem.carried_over.is_(True)))
        entry = s.scalar(
            select(AuditEntry).where(
                AuditEntry.record_type == "plan_items", AuditEntry.record_id == copy.id, AuditEntry.action == "create"
            )
        )
        assert entry.after["carried_over"] is True and entry.after["carried_from_id"] == ctx.item_id
        created = s.scalar(
            select(AuditEntry).where(AuditEntry.record_type == "monthly_reports", AuditEntry.record_id == report_id)
        )
        assert created.after["due_date"] == "2031-01-08"
