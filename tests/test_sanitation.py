"""Sanitation through the services: scores checked against their item's maximum (the row
named), totals, the scoring sheet saved all or nothing, rankings with ties and the red
flag, the rectification workflow audited, scoping between townships, and the indicators."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from db.engine import transaction
from db.models import AuditEntry, Indicator, SanitationInspection, SanitationItemScore, SanitationRectification
from portal.errors import NotFound, PermissionDenied, PortalError, ValidationError
from portal.metrics import indicators as ind
from portal.metrics import library
from portal.org.scope import SYSTEM, Actor
from portal.programmes.sanitation import specs as sp
from portal.programmes.sanitation import view as sv
from portal.records import service as rs
from portal.records.grid import RowChange
from portal.records.service import RowsRefused
from tests.conftest import fresh_engine, make_user, tamper

D = dt.date
CRITERIA = (("地面无纸屑、无痰迹", 30.0), ("桌椅摆放整齐", 20.0), ("门窗玻璃洁净", 25.0), ("卫生工具摆放整齐", 25.0))


@pytest.fixture
def world(engine, tree) -> dict[str, Any]:
    """A checklist of four items (100 points); a township campaign in t1 and t2's own;
    three zones in t1 (two under the village), one in t2."""
    people = {
        "county_head": make_user(engine, "county_head", "head", tree["county"]),
        "t1head": make_user(engine, "t1head", "head", tree["t1"]),
        "t1staff": make_user(engine, "t1staff", "staff", tree["t1"]),
        "t2staff": make_user(engine, "t2staff", "staff", tree["t2"]),
        "t1v1staff": make_user(engine, "t1v1staff", "staff", tree["t1v1"]),
        "viewer": make_user(engine, "viewer1", "viewer", tree["t1"]),
    }
    with transaction(engine) as s:
        checklist = rs.create(s, SYSTEM, sp.ChecklistSpec, {"name": "教室卫生细则", "target_type": "classroom"})
        rs.save(
            s,
            SYSTEM,
            sp.ChecklistSpec,
            checklist.id,
            {},
            children={
                sp.ChecklistItemSpec.slug: [
                    RowChange(values={"seq": n, "criterion": c, "max_points": m})
                    for n, (c, m) in enumerate(CRITERIA, 1)
                ]
            },
        )
        campaign = rs.create(
            s,
            SYSTEM,
            sp.CampaignSpec,
            {
                "org_unit_id": tree["t1"],
                "name": "东关镇爱国卫生月",
                "campaign_type": "patriotic_month",
                "start_date": D(2026, 4, 1),
                "end_date": D(2026, 4, 30),
                "checklist_id": checklist.id,
                "planned_inspections": 12,
            },
        )
        c2 = rs.create(
            s,
            SYSTEM,
            sp.CampaignSpec,
            {
                "org_unit_id": tree["t2"],
                "name": "西河镇爱国卫生月",
                "campaign_type": "patriotic_month",
                "start_date": D(2026, 4, 1),
                "end_date": D(2026, 4, 30),
                "checklist_id": checklist.id,
            },
        )
        zones = {}
        for key, unit, name in (
            ("market", "t1", "东关农贸市场"),
            ("street", "t1", "东关主街"),
            ("village", "t1v1", "东关村"),
            ("west", "t2", "西河主街"),
        ):
            zones[key] = rs.create(
                s, SYSTEM, sp.ZoneSpec, {"org_unit_id": tree[unit], "name": name, "zone_type": "road"}
            ).id
        items = [
            i.id
            for i in s.scalars(
                select(sp.SanitationChecklistItem)
                .where(sp.SanitationChecklistItem.checklist_id == checklist.id)
                .order_by(sp.SanitationChecklistItem.seq)
            )
        ]
    return {
        **people,
        "checklist": checklist.id,
        "campaign": campaign.id,
        "campaign2": c2.id,
        "zones": zones,
        "items": items,
        "tree": tree,
    }


def inspect(engine, actor: Actor, w, zone: str, day: dt.date, scores: list[float], campaign: str = "campaign") -> int:
    with transaction(engine) as s:
        obj = sv.start_inspection(
            s, actor, {"campaign_id": w[campaign], "zone_id": w["zones"][zone], "inspection_date": day}
        )
        sv.score_sheet(s, actor, obj.id, dict(zip(w["items"], scores)))
        return obj.id


def test_scores_add_up_to_the_total_and_follow_edits(engine, world):
    w = world
    rid = inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])
    with transaction(engine) as s:
        obj = s.get_one(SanitationInspection, rid)
        assert (obj.score, obj.max_score, obj.score_pct) == (91.0, 100.0, 91.0)
        assert obj.org_unit_id == w["tree"]["t1"] and obj.checklist_id == w["checklist"]  # from the zone and campaign
        assert obj.inspector == "t1staff"
        sv.score_sheet(s, w["t1staff"], rid, {w["items"][1]: 20})
    with transaction(engine) as s:
        assert s.get_one(SanitationInspection, rid).score == 93.0
        rows = s.scalars(select(SanitationItemScore).where(SanitationItemScore.inspection_id == rid)).all()
        assert min((r.criterion, r.max_points, r.score) for r in rows) == ("卫生工具摆放整齐", 25.0, 20.0)
        # the total's changes are in the trail, as updates of the inspection
        trail = s.scalars(
            select(AuditEntry).where(AuditEntry.record_type == "sanitation_inspections", AuditEntry.record_id == rid)
        ).all()
        assert [e.action for e in trail] == ["create", "update", "update"]
        assert (trail[-1].before["score"], trail[-1].after["score"]) == (91.0, 93.0)


def test_a_score_over_the_items_maximum_refuses_the_whole_sheet_and_names_the_item(engine, world):
    w = world
    rid = inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])
    before = _count(engine, AuditEntry)
    with pytest.raises(RowsRefused) as info, transaction(engine) as s:
        sv.score_sheet(s, w["t1staff"], rid, {w["items"][0]: 10, w["items"][1]: 25, w["items"][2]: 26})
    errors = info.value.errors
    assert [(e.row, e.field, e.record) for e in errors] == [(2, "score", "sanitation_item_scores")] * 1 + [
        (3, "score", "sanitation_item_scores")
    ]
    assert errors[0].message("zh-CN") == "“桌椅摆放整齐”得分 25 超过该项满分 20 分"
    assert errors[1].message("en") == '"门窗玻璃洁净": 26 points is more than the item\'s maximum of 25'
    with transaction(engine) as s:  # nothing of the sheet was kept: the first row's 10 neither
        assert s.get_one(SanitationInspection, rid).score == 91.0
        first = s.scalar(select(SanitationItemScore).where(SanitationItemScore.item_id == w["items"][0]))
        assert first.score == 28.0
    assert _count(engine, AuditEntry) == before
    with pytest.raises(RowsRefused) as neg, transaction(engine) as s:
        sv.score_sheet(s, w["t1staff"], rid, {w["items"][3]: -1})
    assert neg.value.errors[0].key == "validation.min"


def test_the_same_check_holds_for_a_grid_save_and_an_item_of_another_checklist(engine, world):
    w = world
    rid = inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])
    with transaction(engine) as s:
        other = rs.create(s, SYSTEM, sp.ChecklistSpec, {"name": "宿舍细则", "target_type": "dorm"})
        foreign = rs.create(
            s, SYSTEM, sp.ChecklistItemSpec, {"checklist_id": other.id, "criterion": "床铺整齐", "max_points": 10}
        )
        score_id = s.scalar(select(SanitationItemScore.id).where(SanitationItemScore.item_id == w["items"][0]))
    with pytest.raises(RowsRefused) as info, transaction(engine) as s:
        rs.save_rows(s, w["t1staff"], sp.ItemScoreSpec, [RowChange(score_id, None, {"score": 31})])
    assert info.value.errors[0].params["max"] == "30"
    with pytest.raises(RowsRefused) as stray, transaction(engine) as s:
        rs.save(
            s,
            w["t1staff"],
            sp.InspectionSpec,
            rid,
            {},
            children={sp.ItemScoreSpec.slug: [RowChange(values={"item_id": foreign.id, "score": 5})]},
        )
    assert stray.value.errors[0].key == "validation.ref_missing"  # not even offered: another checklist's item


def test_an_edited_checklist_leaves_old_scores_as_scored(engine, world):
    w = world
    rid = inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])
    with transaction(engine) as s:  # a used checklist is not changed in place: see test_sanitation_versions
        with pytest.raises(ValidationError):
            rs.update(s, SYSTEM, sp.ChecklistItemSpec, w["items"][0], {"max_points": 20}, None)
        s.execute(  # as an edit made before versions existed would have left it
            sp.SanitationChecklistItem.__table__.update()
            .where(sp.SanitationChecklistItem.id == w["items"][0])
            .values(criterion="地面干净", max_points=20)
        )
    with transaction(engine) as s:
        row = s.scalar(select(SanitationItemScore).where(SanitationItemScore.item_id == w["items"][0]))
        assert (row.criterion, row.max_points, row.score) == ("地面无纸屑、无痰迹", 30.0, 28.0)
        sv.score_sheet(s, w["t1staff"], rid, {w["items"][0]: 29})  # still checked against 30, as scored
    with transaction(engine) as s:
        assert s.get_one(SanitationInspection, rid).score == 92.0


def test_ranking_ties_share_a_rank_and_the_red_flag(engine, world):
    w = world
    inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])  # 91
    inspect(engine, w["t1staff"], w, "market", D(2026, 4, 8), [30, 20, 25, 20])  # 95 -> mean 93
    inspect(engine, w["t1staff"], w, "street", D(2026, 4, 7), [30, 18, 25, 20])  # 93
    inspect(engine, w["t1staff"], w, "village", D(2026, 4, 9), [20, 15, 20, 20])  # 75
    inspect(engine, w["t1staff"], w, "village", D(2026, 4, 14), [30, 20, 25, 25])  # 100, next week
    with transaction(engine) as s:
        week = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 6), D(2026, 4, 12))
        rows = {r.zone: (r.rank, r.mean, r.inspections, r.tied, r.flag) for r in week.rows}
        assert rows == {
            "东关农贸市场": (1, 93.0, 2, True, True),
            "东关主街": (1, 93.0, 1, True, True),
            "东关村": (3, 75.0, 1, False, False),
        }
        assert week.shared_flag and [r.zone for r in week.rows][-1] == "东关村"
        whole = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30))
        assert [(r.zone, r.rank, r.mean) for r in whole.rows] == [
            ("东关主街", 1, 93.0),  # tied: by name
            ("东关农贸市场", 1, 93.0),
            ("东关村", 3, 87.5),
        ]
        history = sv.flag_history(s, w["t1head"], w["campaign"], D(2026, 4, 20))
        assert [(h.start, h.holders, h.shared) for h in history] == [
            (D(2026, 4, 20), [], False),
            (D(2026, 4, 13), ["东关村"], False),
            (D(2026, 4, 6), ["东关主街", "东关农贸市场"], True),
            (D(2026, 4, 1), [], False),
        ]
        # a zone never inspected in the period is listed unranked
        empty = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 5))
        assert all(r.rank is None and not r.flag for r in empty.rows) and not empty.holders


def test_ranked_by_groups_each_unit_below_has_its_own_ranks_and_flag(engine, world):
    w = world
    inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])  # 91
    inspect(engine, w["t1staff"], w, "street", D(2026, 4, 7), [30, 18, 25, 20])  # 93
    inspect(engine, w["t1staff"], w, "village", D(2026, 4, 14), [20, 15, 20, 20])  # 75
    with transaction(engine) as s:
        one = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30))
        grouped = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30), grouped=True)
    assert [(r.zone, r.rank, r.flag) for r in one.rows] == [
        ("东关主街", 1, True),
        ("东关农贸市场", 2, False),
        ("东关村", 3, False),
    ]
    tree = w["tree"]
    # the township's own zones are one group, the village's zone another: each has a flag
    assert [(r.group_id, r.zone, r.rank, r.flag) for r in grouped.rows] == [
        (tree["t1"], "东关主街", 1, True),
        (tree["t1"], "东关农贸市场", 2, False),
        (tree["t1v1"], "东关村", 1, True),
    ]
    assert [h.zone for h in grouped.holders] == ["东关主街", "东关村"] and not grouped.shared_flag


def test_an_appeal_is_lodged_in_time_and_a_unit_above_upholds_or_adjusts_the_score(engine, world):
    w = world
    market = inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])  # 91, a Monday
    street = inspect(engine, w["t1staff"], w, "street", D(2026, 4, 7), [30, 18, 25, 20])  # 93
    lodge = {"inspection_id": market, "lodged_on": D(2026, 4, 9), "reason": "桌椅当天刚搬运，非日常状态"}
    with transaction(engine) as s:
        appeal = rs.create(s, w["t1staff"], sp.AppealSpec, lodge)
        assert (appeal.status, appeal.original_score, appeal.org_unit_id) == ("lodged", 91.0, w["tree"]["t1"])
    refusals = (
        ({**lodge, "lodged_on": D(2026, 4, 10)}, "inspection_id"),  # one open appeal per inspection
        ({**lodge, "inspection_id": street, "lodged_on": D(2026, 4, 13)}, "lodged_on"),  # past 3 working days
        ({**lodge, "inspection_id": street, "lodged_on": D(2026, 4, 6)}, "lodged_on"),  # before the inspection
        ({**lodge, "inspection_id": street, "adjusted_score": 99}, "adjusted_score"),  # not the lodger's to set
    )
    for values, field in refusals:
        with pytest.raises(ValidationError) as caught, transaction(engine) as s:
            rs.create(s, w["t1staff"], sp.AppealSpec, values)
        assert field in {e.field for e in caught.value.errors}, (values, caught.value.errors)
    with pytest.raises(PortalError), transaction(engine) as s:  # the unit itself never decides
        rs.transition(s, w["t1staff"], sp.AppealSpec, appeal.id, "uphold", "维持")
    with pytest.raises(ValidationError) as caught, transaction(engine) as s:  # adjusting needs the new score
        rs.transition(s, w["county_head"], sp.AppealSpec, appeal.id, "adjust", "情况属实")
    assert "adjusted_score" in {e.field for e in caught.value.errors}
    with transaction(engine) as s:
        current = s.get_one(sp.SanitationAppeal, appeal.id)
        rs.update(s, w["county_head"], sp.AppealSpec, appeal.id, {"adjusted_score": 95}, current.version)
        rs.transition(s, w["county_head"], sp.AppealSpec, appeal.id, "adjust", "情况属实，桌椅项不扣分")
    with transaction(engine) as s:
        decided = s.get_one(sp.SanitationAppeal, appeal.id)
        assert (decided.status, decided.decided_by, decided.decision) == (
            "adjusted",
            "county_head",
            "情况属实，桌椅项不扣分",
        )
        assert s.get_one(SanitationInspection, market).score == 95.0  # the ranking counts the adjusted score
        trail = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.record_type == "sanitation_inspections", AuditEntry.record_id == market)
            .order_by(AuditEntry.id)
        ).all()
        assert trail[-1].before["score"] == 91.0 and trail[-1].after["score"] == 95.0
        ranked = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30))
        assert [(r.zone, r.mean) for r in ranked.rows[:2]] == [("东关农贸市场", 95.0), ("东关主街", 93.0)]
    with transaction(engine) as s:  # a second appeal after the decision, and upheld
        again = rs.create(s, w["t1staff"], sp.AppealSpec, {**lodge, "lodged_on": D(2026, 4, 8)})
        rs.transition(s, w["county_head"], sp.AppealSpec, again.id, "uphold", "评分无误")
        assert s.get_one(sp.SanitationAppeal, again.id).status == "upheld"


def test_a_rectification_moves_through_its_workflow_audited(engine, world):
    w = world
    rid = inspect(engine, w["t1staff"], w, "village", D(2026, 4, 9), [20, 15, 20, 20])
    with transaction(engine) as s:
        rect = sv.raise_rectification(s, w["t1staff"], rid, "村口垃圾堆放未清理")
        rect_id = rect.id
        assert rect.org_unit_id == w["tree"]["t1v1"] and rect.zone_id == w["zones"]["village"]
        assert rect.status == "open" and rect.due_date == D(2026, 4, 16)  # 5 working days after Thursday 9 April
    village = w["t1v1staff"]
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        rs.transition(s, village, sp.RectificationSpec, rect_id, "rectify")
    assert info.value.errors[0].key == "validation.comment_required"
    with transaction(engine) as s:
        rs.transition(s, village, sp.RectificationSpec, rect_id, "rectify", "已清运，设置垃圾桶2个")
    with pytest.raises(PermissionDenied), transaction(engine) as s:  # a staff member cannot verify
        rs.transition(s, village, sp.RectificationSpec, rect_id, "verify")
    with transaction(engine) as s:
        rs.transition(s, w["t1head"], sp.RectificationSpec, rect_id, "send_back", "垃圾桶未加盖")
        assert s.get_one(SanitationRectification, rect_id).status == "returned"
        rs.transition(s, village, sp.RectificationSpec, rect_id, "rectify", "已更换带盖垃圾桶")
        rs.transition(s, w["t1head"], sp.RectificationSpec, rect_id, "verify", now=_at(2026, 4, 15))
    with transaction(engine) as s:
        done = s.get_one(SanitationRectification, rect_id)
        assert (done.status, done.verified_by, done.verified_on) == ("verified", "t1head", D(2026, 4, 15))
        trail = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.record_type == "sanitation_rectifications", AuditEntry.record_id == rect_id)
            .order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in trail] == ["create", "rectify", "send_back", "rectify", "verify"]
        assert [(e.before["status"], e.after["status"]) for e in trail[1:]] == [
            ("open", "rectified"),
            ("rectified", "returned"),
            ("returned", "rectified"),
            ("rectified", "verified"),
        ]
    with pytest.raises(ValidationError), transaction(engine) as s:  # verified is read-only
        rs.update(s, w["t1head"], sp.RectificationSpec, rect_id, {"description": "改"}, None)
    with pytest.raises(PortalError) as again, transaction(engine) as s:
        rs.transition(s, w["t1head"], sp.RectificationSpec, rect_id, "verify")
    assert again.value.key == "workflow.not_from"


def test_a_unit_never_verifies_its_own_rectification(engine, world):
    w = world
    rid = inspect(engine, w["t1staff"], w, "market", D(2026, 4, 9), [20, 15, 20, 20])
    with transaction(engine) as s:
        rect_id = sv.raise_rectification(s, w["t1staff"], rid, "摊位外溢").id
        rs.transition(s, w["t1staff"], sp.RectificationSpec, rect_id, "rectify", "已整改")
    with pytest.raises(PermissionDenied) as info, transaction(engine) as s:
        rs.transition(s, w["t1head"], sp.RectificationSpec, rect_id, "verify")  # t1's own head: not above t1
    assert info.value.key == "sanitation.error.not_above"
    with transaction(engine) as s:
        rs.transition(s, w["county_head"], sp.RectificationSpec, rect_id, "verify")


def test_a_township_cannot_see_or_change_anothers_inspections(engine, world):
    w = world
    rid = inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])
    t2 = w["t2staff"]
    with transaction(engine) as s:
        assert rs.count(s, t2, sp.InspectionSpec) == 0
        assert rs.count(s, w["county_head"], sp.InspectionSpec) == 1
        with pytest.raises(NotFound):
            sv.sheet(s, t2, rid)
        with pytest.raises(NotFound):
            rs.get(s, t2, sp.InspectionSpec, rid)
        with pytest.raises(NotFound):
            sv.ranking(s, t2, w["campaign"], D(2026, 4, 1), D(2026, 4, 30))
    with pytest.raises(NotFound), transaction(engine) as s:
        sv.score_sheet(s, t2, rid, {w["items"][0]: 1})
    with pytest.raises(NotFound), transaction(engine) as s:
        rs.update(s, t2, sp.InspectionSpec, rid, {"note": "改"}, None)
    with pytest.raises(NotFound), transaction(engine) as s:
        sv.raise_rectification(s, t2, rid, "越权")
    with pytest.raises(ValidationError) as info, transaction(engine) as s:  # t1's zone cannot be picked by t2
        sv.start_inspection(
            s, t2, {"campaign_id": w["campaign2"], "zone_id": w["zones"]["market"], "inspection_date": D(2026, 4, 6)}
        )
    assert info.value.errors[0].key == "validation.ref_missing"
    with pytest.raises(ValidationError) as outside, transaction(engine) as s:  # t2's zone is not in t1's campaign
        sv.start_inspection(
            s,
            SYSTEM,
            {"campaign_id": w["campaign"], "zone_id": w["zones"]["west"], "inspection_date": D(2026, 4, 6)},
        )
    assert outside.value.errors[0].key == "sanitation.error.zone_outside_campaign"
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        sv.start_inspection(
            s,
            w["viewer"],
            {"campaign_id": w["campaign"], "zone_id": w["zones"]["market"], "inspection_date": D(2026, 4, 6)},
        )
    with transaction(engine) as s:  # the village sees its own zone's results only
        assert rs.count(s, w["t1v1staff"], sp.InspectionSpec) == 0


def test_the_inspection_date_must_fall_in_the_campaign(engine, world):
    w = world
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        sv.start_inspection(
            s,
            w["t1staff"],
            {"campaign_id": w["campaign"], "zone_id": w["zones"]["market"], "inspection_date": D(2026, 5, 6)},
        )
    assert info.value.errors[0].message("zh-CN") == "检查日期不在活动期间（2026-04-01 至 2026-04-30）"


def test_deleting_an_inspection_takes_its_scores_along_audited(engine, world):
    w = world
    rid = inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])
    with transaction(engine) as s:
        rs.delete(s, w["t1head"], sp.InspectionSpec, rid)
    with transaction(engine) as s:
        live = s.scalar(
            select(func.count())
            .select_from(SanitationItemScore)
            .where(SanitationItemScore.inspection_id == rid, SanitationItemScore.deleted_at.is_(None))
        )
        assert live == 0
        deletes = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.record_type == "sanitation_item_scores", AuditEntry.action == "delete")
        )
        assert deletes == 4


def test_indicators_compute_from_the_records(engine, world, monkeypatch):
    w = world
    monkeypatch.setattr("portal.clock.today", lambda: D(2026, 4, 30))
    inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])  # 91
    inspect(engine, w["t1staff"], w, "market", D(2026, 4, 8), [30, 20, 25, 20])  # 95
    rid = inspect(engine, w["t1staff"], w, "village", D(2026, 4, 9), [20, 15, 20, 20])  # 75
    with transaction(engine) as s:
        a = sv.raise_rectification(s, w["t1staff"], rid, "垃圾未清").id
        sv.raise_rectification(s, w["t1staff"], rid, "杂物乱堆")  # left open: overdue after 16 April
        rs.transition(s, w["t1v1staff"], sp.RectificationSpec, a, "rectify", "已清")
        rs.transition(s, w["county_head"], sp.RectificationSpec, a, "verify")
        library.ensure_builtin(s)
    with transaction(engine) as s:
        units = [ind.UnitRef(w["tree"]["t1"], _path(s, w["tree"]["t1"]))]

        def value(code: str) -> float | None:
            indicator = s.scalar(select(Indicator).where(Indicator.code == code))
            return ind.compute(s, ind.definition_of(indicator), units, D(2026, 4, 1), D(2026, 4, 30))[
                units[0].id
            ].actual

        assert value("SAN-INSPECT") == 1.5  # 3 inspections over 2 zones
        assert value("SAN-SCORE") == pytest.approx((91 + 95 + 75) / 3)
        assert value("SAN-PLAN") == pytest.approx(3 / 12 * 100)
        assert value("SAN-CLOSE") == 50.0
        assert value("SAN-OVERDUE") == 1.0
        summary = sv.summary(s, w["t1head"], w["campaign"], D(2026, 4, 30))
        assert (summary.inspections, summary.planned, summary.rect_total, summary.rect_verified) == (3, 12, 2, 1)
        assert (summary.closure_rate, summary.rect_overdue, summary.mean) == (50.0, 1, 87.0)


def test_the_closure_rate_reproduces_the_seeds_worked_example(engine, tree):
    """004 篇7: "受理案件1314宗，已结案1038宗，结案率79%": 1314 rectifications, 1038 verified."""
    rows = [
        {
            "org_unit_id": tree["t1v1"],
            "raised_on": D(2026, 3, 2),
            "description": f"案件{n}",
            "due_date": D(2026, 3, 9),
            "status": "verified" if n < 1038 else "open",
            "version": 1,
        }
        for n in range(1314)
    ]
    with tamper(engine) as s:  # set-up only: the indicator reads what is stored
        s.execute(insert(SanitationRectification), rows)
    with transaction(engine) as s:
        library.ensure_builtin(s)
        indicator = s.scalar(select(Indicator).where(Indicator.code == "SAN-CLOSE"))
        unit = ind.UnitRef(tree["t1"], _path(s, tree["t1"]))
        value = ind.compute(s, ind.definition_of(indicator), [unit], D(2026, 1, 1), D(2026, 12, 31))[unit.id]
    assert (value.numerator, value.denominator) == (1038, 1314)
    assert round(value.actual) == 79


def _count(engine, model) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _path(s, unit_id: int) -> str:
    from db.models import OrgUnit

    return s.get_one(OrgUnit, unit_id).path


def _at(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 10, 0, tzinfo=dt.UTC)


def test_the_charts_carry_the_ranking_the_flag_and_the_weeks(engine, world):
    from portal.programmes.sanitation import charts as sc

    w = world
    inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])  # 91
    inspect(engine, w["t1staff"], w, "street", D(2026, 4, 7), [30, 18, 25, 20])  # 93
    inspect(engine, w["t1staff"], w, "village", D(2026, 4, 14), [20, 15, 20, 20])  # 75
    with transaction(engine) as s:
        result = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30))
        weeks = sv.week_figures(s, w["t1head"], w["campaign"], D(2026, 4, 20))
    spec = sc.ranking_chart(result.rows, "zh-CN", target=85).to_dict()
    data = next(iter(spec["datasets"].values()))
    assert [(d["zone"], d["mean"], d["rank"]) for d in data] == [
        ("★ 东关主街", 93.0, 1),
        ("东关农贸市场", 91.0, 2),
        ("东关村", 75.0, 3),
    ]
    assert spec["layer"][0]["encoding"]["color"]["value"] == sc.BAR_COLOUR
    assert spec["layer"][0]["encoding"]["color"]["condition"]["value"] == sc.FLAG_COLOUR
    assert [(x.start, x.inspections, x.mean) for x in weeks] == [
        (D(2026, 4, 1), 0, None),
        (D(2026, 4, 6), 2, 92.0),
        (D(2026, 4, 13), 1, 75.0),
        (D(2026, 4, 20), 0, None),
    ]
    progress = sc.progress_chart(weeks, "en").to_dict()
    assert progress["title"] == "Inspections and mean score per week"
    assert [d["count"] for d in next(iter(progress["datasets"].values()))] == [0, 2, 1, 0]


def test_the_heat_map_adds_up_points_lost_per_criterion_and_zone_in_scope(engine, world):
    from portal.programmes.sanitation import charts as sc

    w = world
    inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])  # lost 2, 2, 0, 5
    inspect(engine, w["t1staff"], w, "market", D(2026, 4, 20), [30, 10, 25, 25])  # lost 0, 10, 0, 0
    inspect(engine, w["t1staff"], w, "village", D(2026, 4, 14), [22, 20, 25, 25])  # lost 8, 0, 0, 0
    inspect(engine, w["t1staff"], w, "street", D(2026, 5, 1) - dt.timedelta(days=1), [30, 20, 25, 25])  # nothing
    with transaction(engine) as s:
        cells = sv.heatmap(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30))
        april_first_half = sv.heatmap(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 15))
        with pytest.raises(NotFound):  # another township's campaign reads as not found
            sv.heatmap(s, w["t2staff"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30))
    seen = {(c.zone, c.criterion): (c.lost, c.inspections) for c in cells}
    assert seen == {
        ("东关农贸市场", "桌椅摆放整齐"): (12.0, 2),
        ("东关村", "地面无纸屑、无痰迹"): (8.0, 1),
        ("东关农贸市场", "卫生工具摆放整齐"): (5.0, 2),
        ("东关农贸市场", "地面无纸屑、无痰迹"): (2.0, 2),
    }  # items that lost nothing, and the street that lost nothing, have no cell
    assert [c.lost for c in cells] == sorted((c.lost for c in cells), reverse=True)
    assert {(c.zone, c.criterion): c.lost for c in april_first_half}[("东关农贸市场", "桌椅摆放整齐")] == 2.0
    spec = sc.heatmap_chart(cells, "zh-CN").to_dict()
    data = next(iter(spec["datasets"].values()))
    assert sorted((d["zone"], d["criterion"], d["lost"]) for d in data) == sorted(
        (z, c, lost) for (z, c), (lost, _) in seen.items()
    )
    assert spec["layer"][0]["encoding"]["x"]["sort"][0] == "桌椅摆放整齐"  # the costliest criterion first
    assert spec["layer"][0]["encoding"]["color"]["scale"]["scheme"] == "oranges"  # never red
    empty = sc.heatmap_chart([], "en").to_dict()
    assert "No data" in str(empty) or "no data" in str(empty).lower()


def test_a_published_ranking_shows_only_its_period_and_goes_when_withdrawn(engine, world):
    w = world
    inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])  # 91, week of 6 April
    inspect(engine, w["t1staff"], w, "street", D(2026, 4, 14), [30, 20, 25, 25])  # 100, the next week
    with pytest.raises(PermissionDenied), transaction(engine) as s:  # staff never publish
        sv.publish(s, w["t1staff"], w["campaign"], D(2026, 4, 6), D(2026, 4, 12), "第一周")
    with pytest.raises(ValidationError) as other, transaction(engine) as s:  # nor a head of another township
        t2head = make_user(engine, "t2head", "head", w["tree"]["t2"])
        sv.publish(s, t2head, w["campaign"], D(2026, 4, 6), D(2026, 4, 12), "第一周")
    assert other.value.errors[0].key == "validation.ref_missing"
    with transaction(engine) as s:
        pub = sv.publish(s, w["t1head"], w["campaign"], D(2026, 4, 6), D(2026, 4, 12), "东关镇第一周卫生评比结果")
        token, pub_id = pub.token, pub.id
    assert len(token) >= 24  # random, 18 bytes: the link never carries the id
    with transaction(engine) as s:
        shown = sv.public_ranking(s, token, "zh-CN")
        assert shown is not None and shown.title == "东关镇第一周卫生评比结果"
        assert [(r.rank, r.zone, r.unit, r.mean, r.flag) for r in shown.rows] == [
            (1, "东关农贸市场", "东关镇卫生院", 91.0, True),
            (None, "东关主街", "东关镇卫生院", None, False),  # its 100 is in another week: not shown
            (None, "东关村", "东关村卫生室", None, False),
        ]
        assert shown.holders == ["东关农贸市场"]
        fields = {f for r in shown.rows for f in vars(r)}
        # no ids, inspectors, notes or photos; the group is a unit's name (blank unless grouped)
        assert fields == {"rank", "tied", "zone", "unit", "mean", "flag", "group"}
        assert not shown.grouped and {r.group for r in shown.rows} == {""}
        for guess in (None, "", str(pub_id), token[:-1], token + "x", token.upper(), "' OR 1=1 --" + "x" * 10):
            assert guess == token or sv.public_ranking(s, guess, "zh-CN") is None
        sv.unpublish(s, w["t1head"], pub_id)
    with transaction(engine) as s:
        assert sv.public_ranking(s, token, "zh-CN") is None  # withdrawn: gone at once
        actions = s.scalars(
            select(AuditEntry.action).where(
                AuditEntry.record_type == "sanitation_publications", AuditEntry.record_id == pub_id
            )
        ).all()
        assert actions == ["create", "delete"]


def test_a_ranking_published_by_groups_shows_each_groups_ranks_and_flag(engine, world):
    w = world
    inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])  # 91
    inspect(engine, w["t1staff"], w, "street", D(2026, 4, 7), [30, 18, 25, 20])  # 93
    inspect(engine, w["t1staff"], w, "village", D(2026, 4, 8), [20, 15, 20, 20])  # 75
    with transaction(engine) as s:
        pub = sv.publish(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30), "分组评比", grouped=True)
        token = pub.token
    with transaction(engine) as s:
        shown = sv.public_ranking(s, token, "zh-CN")
        assert shown is not None and shown.grouped
        assert [(r.group, r.rank, r.zone, r.unit, r.mean, r.flag) for r in shown.rows] == [
            ("东关镇卫生院", 1, "东关主街", "东关镇卫生院", 93.0, True),
            ("东关镇卫生院", 2, "东关农贸市场", "东关镇卫生院", 91.0, False),
            ("东关村卫生室", 1, "东关村", "东关村卫生室", 75.0, True),  # first of its own group
        ]
        assert shown.holders == ["东关镇卫生院 · 东关主街", "东关村卫生室 · 东关村"]
        trail = s.scalar(
            select(AuditEntry).where(
                AuditEntry.record_type == "sanitation_publications", AuditEntry.record_id == pub.id
            )
        )
        assert trail is not None and trail.after["grouped"] is True
        # the choice is made when publishing: a later edit cannot turn it into another ranking
        with pytest.raises(ValidationError):
            rs.update(s, w["t1head"], sp.PublicationSpec, pub.id, {"grouped": False}, None)


def test_the_home_page_lists_rectifications_overdue_open_and_to_verify(engine, world):
    from portal.programmes.sanitation import home

    w = world
    rid = inspect(engine, w["t1staff"], w, "village", D(2026, 4, 9), [20, 15, 20, 20])
    with transaction(engine) as s:
        late = sv.raise_rectification(s, w["t1staff"], rid, "垃圾未清").id  # due 16 April
        sv.raise_rectification(s, w["t1staff"], rid, "杂物乱堆", due=D(2026, 4, 30))
        done = sv.raise_rectification(s, w["t1staff"], rid, "边沟积水").id
        rs.transition(s, w["t1v1staff"], sp.RectificationSpec, done, "rectify", "已疏通")
    with transaction(engine) as s:
        village = {x.kind: x for x in home.todo(s, w["t1v1staff"], D(2026, 4, 20), "zh-CN")}
        assert (village["rectification_overdue"].count, village["rectification_open"].count) == (1, 1)
        assert village["rectification_overdue"].title == "1 个卫生问题逾期未整改"
        assert (
            village["rectification_overdue"].severity == "error" and "东关村" in village["rectification_overdue"].detail
        )
        assert "rectification_to_verify" not in village  # staff never verify
        head = {x.kind: x for x in home.todo(s, w["t1head"], D(2026, 4, 20), "en")}
        assert head["rectification_to_verify"].title == "1 rectification to verify"
        assert head["rectification_to_verify"].page == "sanitation"
        assert home.todo(s, w["t2staff"], D(2026, 4, 20), "zh-CN") == []  # another township: nothing
        assert home.todo(s, w["viewer"], D(2026, 4, 20), "zh-CN") == []
        assert late


def test_the_benchmark_builds_its_campaign_and_times_the_ranking_and_the_heat_map(tmp_path):
    """`python -m portal.bench` runs this at 10k and 1M item scores; here at 2,000."""
    from portal import bench
    from portal.programmes.sanitation import bench as sanitation_bench

    engine = fresh_engine("sqlite", tmp_path)
    try:
        ids = bench.build_tree(engine)
        campaign = sanitation_bench.generate(engine, ids, 2000)
        assert _count(engine, SanitationItemScore) == 2000 and _count(engine, SanitationInspection) == 200
        figures = sanitation_bench.times(engine, bench.actor(engine, "bench_head"), campaign)
        assert set(figures) == {"ranking_ms", "heatmap_ms"} and all(v > 0 for v in figures.values())
    finally:
        engine.dispose()
