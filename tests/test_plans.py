"""Monthly work plans through the services: the submit-approve-lock cycle, who may do
what, on-time flags around holidays, carry-over, progress updates and templates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.engine import transaction
from db.models import AuditEntry, MonthlyReport, PlanItem, ProgressUpdate
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.org import units as orgunits
from portal.org.calendars import CalendarDaySpec
from portal.org.scope import SYSTEM
from portal.programmes.plans import specs as plans
from portal.records import service as rs
from tests.conftest import make_user

UTC = dt.UTC


def item(engine, actor, unit_id, month="2026-10", **extra):
    with transaction(engine) as s:
        return rs.create(
            s,
            actor,
            plans.PlanItemSpec,
            {"org_unit_id": unit_id, "month": month, "title": extra.pop("title", "健康讲座"), **extra},
        ).id


@pytest.fixture
def people(engine, tree):
    return {
        "county_head": make_user(engine, "county_head", "head", tree["county"]),
        "t1head": make_user(engine, "t1head", "head", tree["t1"]),
        "t1staff": make_user(engine, "t1staff", "staff", tree["t1"]),
        "t2staff": make_user(engine, "t2staff", "staff", tree["t2"]),
        "viewer": make_user(engine, "viewer1", "viewer", tree["t1"]),
    }


def test_staff_plan_their_own_unit_only(engine, tree, people):
    rid = item(engine, people["t1staff"], tree["t1"], target_qty="2", target_unit="次")
    with transaction(engine) as s:
        obj = s.get(PlanItem, rid)
        assert obj.due_date == dt.date(2026, 10, 31) and obj.status == "not_started"
    with pytest.raises(ValidationError) as info:
        item(engine, people["t2staff"], tree["t1"])
    assert info.value.errors[0].key == "validation.org_unit"
    with pytest.raises(NotFound), transaction(engine) as s:
        rs.update(s, people["t2staff"], plans.PlanItemSpec, rid, {"title": "改"}, None)
    with pytest.raises(PermissionDenied):
        item(engine, people["viewer"], tree["t1"])


def test_cycle_submit_approve_lock_unlock(engine, tree, people):
    rid = item(engine, people["t1staff"], tree["t1"])
    with transaction(engine) as s:
        report = plans.submit(
            s,
            people["t1staff"],
            tree["t1"],
            "2026-10",
            now=dt.datetime(2026, 11, 5, 2, 0, tzinfo=UTC),
            problems="讲师改期",
        )
        assert (report.status, report.due_date, report.on_time) == ("submitted", dt.date(2026, 11, 6), True)
    with pytest.raises(plans.CycleError), transaction(engine) as s:
        plans.submit(s, people["t1staff"], tree["t1"], "2026-10")
    # the township's own head is not above it; another township's staff cannot see it
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        plans.approve(s, people["t1head"], tree["t1"], "2026-10")
    with pytest.raises(NotFound), transaction(engine) as s:
        plans.approve(s, people["t2staff"], tree["t1"], "2026-10")
    with transaction(engine) as s:
        plans.approve(s, people["county_head"], tree["t1"], "2026-10", "同意")
    with transaction(engine) as s:
        assert plans.is_locked(s, tree["t1"], "2026-10")
    # locked: edits, deletes, new items and progress updates of that month are refused
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        rs.update(s, people["t1staff"], plans.PlanItemSpec, rid, {"status": "done"}, None)
    assert info.value.errors[0].key == "validation.month_locked"
    with pytest.raises(ValidationError), transaction(engine) as s:
        rs.delete(s, people["t1staff"], plans.PlanItemSpec, rid)
    with pytest.raises(ValidationError):
        item(engine, people["t1staff"], tree["t1"])
    with pytest.raises(ValidationError), transaction(engine) as s:
        rs.create(s, people["t1staff"], plans.ProgressUpdateSpec, {"item_id": rid, "note": "补录"})
    item(engine, people["t1staff"], tree["t1"], month="2026-11")  # next month is open
    with transaction(engine) as s:
        plans.unlock(s, people["county_head"], tree["t1"], "2026-10", "补充材料")
    with transaction(engine) as s:
        rs.update(s, people["t1staff"], plans.PlanItemSpec, rid, {"status": "done"}, None)
        assert s.get(MonthlyReport, s.scalar(select(MonthlyReport.id))).status == "returned"
        actions = list(
            s.scalars(
                select(AuditEntry.action).where(AuditEntry.record_type == "monthly_reports").order_by(AuditEntry.id)
            )
        )
    assert actions == ["create", "update", "submit", "approve", "unlock"]


def test_return_needs_a_comment_and_allows_resubmission(engine, tree, people):
    with transaction(engine) as s:
        plans.submit(s, people["t1staff"], tree["t1"], "2026-10")
    with pytest.raises(ValidationError), transaction(engine) as s:
        plans.return_report(s, people["county_head"], tree["t1"], "2026-10", "  ")
    with transaction(engine) as s:
        plans.return_report(s, people["county_head"], tree["t1"], "2026-10", "缺少讲座照片")
    with transaction(engine) as s:
        rs.update(
            s,
            people["t1staff"],
            plans.MonthlyReportSpec,
            s.scalar(select(MonthlyReport.id)),
            {"summary": "已补充照片"},
            None,
        )
        report = plans.submit(s, people["t1staff"], tree["t1"], "2026-10")
        assert report.status == "submitted" and report.summary == "已补充照片"


def test_approval_needs_a_submitted_report(engine, tree, people):
    with pytest.raises(plans.CycleError), transaction(engine) as s:
        plans.approve(s, people["county_head"], tree["t1"], "2026-10")


@pytest.mark.parametrize(
    "month, local_submit, on_time, due",
    [
        # October 2026: National Day runs 1-7 October, 10 October (Sat) is a make-up day
        ("2026-09", dt.datetime(2026, 10, 13, 17, 0), True, dt.date(2026, 10, 13)),
        ("2026-09", dt.datetime(2026, 10, 14, 9, 0), False, dt.date(2026, 10, 13)),
        # 2027 is beyond the holiday library: Monday-Friday less New Year's Day
        ("2026-12", dt.datetime(2027, 1, 8, 23, 30), True, dt.date(2027, 1, 8)),
        ("2026-12", dt.datetime(2027, 1, 9, 0, 30), False, dt.date(2027, 1, 8)),
    ],
)
def test_on_time_flag_against_the_working_day_due_date(engine, tree, people, month, local_submit, on_time, due):
    # local_submit is China Standard Time: the flag follows the office's calendar day
    instant = (local_submit - dt.timedelta(hours=8)).replace(tzinfo=UTC)
    with transaction(engine) as s:
        report = plans.submit(s, people["t1staff"], tree["t1"], month, now=instant)
        assert (report.due_date, report.on_time) == (due, on_time)


def test_recorded_holiday_and_unit_rule_move_the_due_date(engine, tree, people):
    with transaction(engine) as s:
        rs.create(s, SYSTEM, CalendarDaySpec, {"day": "2027-01-04", "workday": False, "name_zh": "元旦调休"})
        orgunits.update(s, SYSTEM, tree["t2"], {"report_due_rule": "day:2"})
    with transaction(engine) as s:
        assert plans.submit(s, people["t1staff"], tree["t1"], "2026-12").due_date == dt.date(2027, 1, 11)
        assert plans.submit(s, people["t2staff"], tree["t2"], "2026-12").due_date == dt.date(2027, 1, 2)


def test_progress_updates_move_the_item(engine, tree, people):
    rid = item(engine, people["t1staff"], tree["t1"], target_qty=4, target_unit="次")
    with transaction(engine) as s:
        rs.create(
            s,
            people["t1staff"],
            plans.ProgressUpdateSpec,
            {"item_id": rid, "note": "完成两场", "quantity": 2, "progress_pct": 50, "update_date": "2026-10-10"},
        )
    with transaction(engine) as s:
        obj = s.get(PlanItem, rid)
        assert (obj.actual_qty, obj.progress_pct, obj.status) == (2, 50, "in_progress")
        rs.create(
            s,
            people["t1staff"],
            plans.ProgressUpdateSpec,
            {"item_id": rid, "note": "全部完成", "quantity": 2, "progress_pct": 100, "update_date": "2026-10-20"},
        )
    with transaction(engine) as s:
        obj = s.get(PlanItem, rid)
        assert (obj.actual_qty, obj.status, obj.completed_on) == (4, "done", dt.date(2026, 10, 20))
        by = s.scalar(
            select(AuditEntry.actor_name)
            .where(AuditEntry.record_type == "plan_items", AuditEntry.action == "update")
            .limit(1)
        )
        assert by == "t1staff"
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        rs.create(s, people["t2staff"], plans.ProgressUpdateSpec, {"item_id": rid, "note": "越权"})
    assert info.value.errors[0].field == "item_id"


def test_a_double_click_does_not_add_progress_twice(engine, tree, people):
    rid = item(engine, people["t1staff"], tree["t1"], target_qty=4, target_unit="次")
    update = {"item_id": rid, "note": "开展讲座一场", "quantity": 1}
    with transaction(engine) as s:
        rs.create(s, people["t1staff"], plans.ProgressUpdateSpec, dict(update))
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        rs.create(s, people["t1staff"], plans.ProgressUpdateSpec, dict(update))  # the second click
    assert info.value.errors[0].field == "note"
    with transaction(engine) as s:
        obj = s.get(PlanItem, rid)
        assert (obj.actual_qty, obj.progress_pct, obj.status) == (1, 25, "in_progress")  # % follows 1 of 4
        assert s.scalar(select(func.count()).select_from(ProgressUpdate).where(ProgressUpdate.item_id == rid)) == 1
        rs.create(s, people["t1staff"], plans.ProgressUpdateSpec, {**update, "note": "又开展一场"})  # a new one is fine
    with transaction(engine) as s:
        assert (s.get(PlanItem, rid).actual_qty, s.get(PlanItem, rid).progress_pct) == (2, 50)
        rs.create(s, people["t1staff"], plans.ProgressUpdateSpec, {**update, "note": "再两场", "quantity": 3})
    with transaction(engine) as s:
        obj = s.get(PlanItem, rid)
        assert (obj.actual_qty, obj.progress_pct, obj.status) == (5, 100, "done")  # 5 of 4: done, never above 100


def test_carry_over_links_and_does_not_repeat(engine, tree, people):
    done = item(engine, people["t1staff"], tree["t1"], title="已完成", status="done")
    open_ = item(
        engine, people["t1staff"], tree["t1"], title="未完成", progress_pct=30, status="in_progress", notes="资料未到位"
    )
    item(engine, people["t1staff"], tree["t1"], title="取消", status="cancelled")
    with transaction(engine) as s:
        assert plans.carry_over(s, people["t1staff"], tree["t1"], "2026-10") == 1
    with transaction(engine) as s:
        assert plans.carry_over(s, people["t1staff"], tree["t1"], "2026-10") == 0
        nov = plans.items_of(s, people["t1staff"], tree["t1"], "2026-11")
        assert [(i.title, i.carried_over, i.carried_from_id, i.progress_pct) for i in nov] == [
            ("未完成", True, open_, 30)
        ]
        assert s.get(PlanItem, open_).status == "postponed" and s.get(PlanItem, done).status == "done"


def test_copy_and_template(engine, tree, people):
    item(engine, people["t1staff"], tree["t1"], title="例会")
    with transaction(engine) as s:
        assert plans.copy_month(s, people["t1staff"], tree["t1"], "2026-10", "2026-12") == 1
        created = plans.from_template(s, people["t1staff"], tree["t1"], "2027-03", "township_phs")
        assert created == 5
        titles = [i.title for i in plans.items_of(s, people["t1staff"], tree["t1"], "2027-03")]
        assert "结核病防治知识讲座" in titles


def test_status_grid(engine, tree, people):
    with transaction(engine) as s:
        plans.submit(s, people["t1staff"], tree["t1"], "2026-09", now=dt.datetime(2026, 10, 9, tzinfo=UTC))
        plans.approve(s, people["county_head"], tree["t1"], "2026-09")
        plans.submit(s, people["t2staff"], tree["t2"], "2026-10", now=dt.datetime(2026, 11, 20, tzinfo=UTC))
    with transaction(engine) as s:
        cells = plans.grid(
            s, people["county_head"], [tree["t1"], tree["t2"]], ["2026-09", "2026-10", "2026-11"], dt.date(2026, 11, 23)
        )
    assert (cells[(tree["t1"], "2026-09")].status, cells[(tree["t1"], "2026-09")].locked) == ("approved", True)
    assert cells[(tree["t1"], "2026-10")].status == "overdue"  # due 6 Nov, nothing sent
    assert (cells[(tree["t2"], "2026-10")].status, cells[(tree["t2"], "2026-10")].on_time) == ("submitted", False)
    assert cells[(tree["t1"], "2026-11")].status == "not_due"


def test_rights_are_checked_before_the_reports_state(engine, tree, people):
    # nothing submitted yet: a head who may not review learns nothing about the report
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        plans.approve(s, people["t1head"], tree["t1"], "2026-10")
    with pytest.raises(plans.CycleError), transaction(engine) as s:
        plans.approve(s, people["county_head"], tree["t1"], "2026-10")
    with pytest.raises(ValidationError), transaction(engine) as s:
        plans.from_template(s, people["t1staff"], tree["t1"], "2026-12", "no_such_template")


def test_owner_is_a_user_when_the_name_matches_an_account(engine, tree, people):
    named = item(engine, people["t1staff"], tree["t1"], owner_name="t1staff")
    person = item(engine, people["t1staff"], tree["t1"], owner_name="王大夫")
    with transaction(engine) as s:
        assert s.get(PlanItem, named).owner_user_id == people["t1staff"].id
        assert s.get(PlanItem, person).owner_user_id is None
        rs.update(s, people["t1staff"], plans.PlanItemSpec, named, {"owner_name": "李四"}, None)
    with transaction(engine) as s:
        assert s.get(PlanItem, named).owner_user_id is None
