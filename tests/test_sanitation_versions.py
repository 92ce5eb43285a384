"""Checklist versions: a checklist inspections used is copied into a new version on edit
(items and all, audited, all or nothing); old inspections keep the version they were scored
with, new ones take the new version; an unused checklist is edited in place; the engine's
own edit paths refuse to change a used or superseded checklist in place."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from db.engine import transaction
from db.models import AuditEntry, SanitationChecklist, SanitationChecklistItem, SanitationInspection
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.org.scope import SYSTEM
from portal.programmes.sanitation import reports
from portal.programmes.sanitation import specs as sp
from portal.programmes.sanitation import view as sv
from portal.records import refs
from portal.records import service as rs
from portal.records.grid import RowChange
from tests.conftest import make_user
from tests.test_sanitation import D, inspect, world  # noqa: F401 - the shared world fixture
from tests.test_sanitation_documents import _texts


@pytest.fixture
def used(engine, world) -> dict[str, Any]:  # noqa: F811 - pytest's fixture by name
    w = world
    rid = inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])  # 91 / 100
    reviewer = make_user(engine, "t1insp", "inspector", w["tree"]["t1"])
    return {**w, "old_inspection": rid, "reviewer": reviewer}


def _items(s, checklist_id: int) -> list[SanitationChecklistItem]:
    return list(
        s.scalars(
            select(SanitationChecklistItem)
            .where(SanitationChecklistItem.checklist_id == checklist_id, SanitationChecklistItem.deleted_at.is_(None))
            .order_by(SanitationChecklistItem.seq)
        )
    )


def test_editing_a_used_checklist_makes_version_2_and_old_inspections_keep_version_1(engine, used):
    w = used
    first, second = w["items"][0], w["items"][1]
    with transaction(engine) as s:
        done = sv.edit_checklist(
            s,
            w["reviewer"],
            w["checklist"],
            {"name": "教室卫生细则（修订）"},
            [
                RowChange(first, None, {"criterion": "地面干净", "max_points": 20}),
                RowChange(second, None, delete=True),
                RowChange(values={"seq": 5, "criterion": "垃圾桶加盖", "max_points": 10, "step": 2}),
            ],
        )
    assert done.new_version and done.version_no == 2 and done.checklist_id != w["checklist"]
    with transaction(engine) as s:
        old = s.get_one(SanitationChecklist, w["checklist"])
        new = s.get_one(SanitationChecklist, done.checklist_id)
        assert (old.name, old.version_no, old.superseded_by_id) == ("教室卫生细则", 1, new.id)
        assert (new.name, new.version_no, new.supersedes_id, new.lineage_id) == (
            "教室卫生细则（修订）",
            2,
            old.id,
            old.id,
        )
        assert [(i.criterion, i.max_points) for i in _items(s, old.id)][:2] == [
            ("地面无纸屑、无痰迹", 30.0),
            ("桌椅摆放整齐", 20.0),
        ]
        assert [(i.criterion, i.max_points, i.step) for i in _items(s, new.id)] == [
            ("地面干净", 20.0, 1.0),
            ("门窗玻璃洁净", 25.0, 1.0),
            ("卫生工具摆放整齐", 25.0, 1.0),
            ("垃圾桶加盖", 10.0, 2.0),
        ]
        # the old inspection: version 1's items and total, and still scored against them
        sheet = sv.sheet(s, w["t1staff"], w["old_inspection"])
        assert (sheet.version_no, len(sheet.items), sheet.max_total) == (1, 4, 100.0)
        assert sheet.items[0].criterion == "地面无纸屑、无痰迹"
        assert s.get_one(SanitationInspection, w["old_inspection"]).score == 91.0
        sv.score_sheet(s, w["t1staff"], w["old_inspection"], {first: 29})
    with transaction(engine) as s:
        assert s.get_one(SanitationInspection, w["old_inspection"]).score == 92.0
        # a new inspection of the campaign takes version 2
        fresh = sv.start_inspection(
            s,
            w["t1staff"],
            {"campaign_id": w["campaign"], "zone_id": w["zones"]["street"], "inspection_date": D(2026, 4, 8)},
        )
        assert fresh.checklist_id == new.id
        assert sv.sheet(s, w["t1staff"], fresh.id).version_no == 2
        # the pickers offer the current version only (an old inspection still shows its own)
        picked = refs.choices(s, w["t1staff"], sp.InspectionSpec, sp.InspectionSpec.field("checklist_id"))
        assert [cid for cid, _ in picked] == [new.id]
        held = refs.choices(
            s, w["t1staff"], sp.InspectionSpec, sp.InspectionSpec.field("checklist_id"), {"checklist_id": old.id}
        )
        assert {cid for cid, _ in held} == {old.id, new.id}
        assert [c.id for c in sv.checklists(s, w["t1staff"])] == [new.id]
        # every step is in the trail: the copy, the old one superseded, the items copied and edited
        trail = {
            (e.record_type, e.record_id, e.action)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.actor_name == "t1insp"))
        }
        assert ("sanitation_checklists", new.id, "create") in trail
        assert ("sanitation_checklists", old.id, "update") in trail
        assert ("sanitation_checklists", new.id, "update") in trail
        kinds = [a for t, _, a in trail if t == "sanitation_checklist_items"]
        assert kinds.count("create") == 5 and "delete" in kinds and "update" in kinds


def test_the_old_version_is_read_only_and_cannot_be_picked_for_new_inspections(engine, used):
    w = used
    with transaction(engine) as s:
        done = sv.edit_checklist(s, w["reviewer"], w["checklist"], {"notes": "第二版"})
    assert done.new_version
    with transaction(engine) as s, pytest.raises(ValidationError) as exc:
        sv.edit_checklist(s, w["reviewer"], w["checklist"], {"notes": "再改旧版"})
    assert exc.value.errors[0].key == "sanitation.error.checklist_superseded"
    with transaction(engine) as s, pytest.raises(ValidationError) as exc:
        rs.update(s, SYSTEM, sp.ChecklistItemSpec, w["items"][0], {"criterion": "旧版改字"}, None)
    assert exc.value.errors[0].key == "sanitation.error.checklist_superseded"
    with transaction(engine) as s, pytest.raises(ValidationError) as exc:
        sv.start_inspection(
            s,
            w["t1staff"],
            {
                "campaign_id": w["campaign"],
                "zone_id": w["zones"]["street"],
                "inspection_date": D(2026, 4, 8),
                "checklist_id": w["checklist"],
            },
        )
    assert exc.value.errors[0].field == "checklist_id"


def test_the_engine_refuses_to_change_a_used_checklist_in_place(engine, used):
    w = used
    with transaction(engine) as s, pytest.raises(ValidationError) as exc:
        rs.update(s, SYSTEM, sp.ChecklistSpec, w["checklist"], {"name": "直接改名"}, None)
    assert exc.value.errors[0].key == "sanitation.error.checklist_used"
    with transaction(engine) as s, pytest.raises(ValidationError) as exc:
        rs.create(
            s, SYSTEM, sp.ChecklistItemSpec, {"checklist_id": w["checklist"], "criterion": "新增", "max_points": 5}
        )
    assert exc.value.errors[0].key == "sanitation.error.checklist_used"
    with transaction(engine) as s:  # switching it off is not an edit of its content
        rs.update(s, SYSTEM, sp.ChecklistSpec, w["checklist"], {"active": False}, None)
        assert s.get_one(SanitationChecklist, w["checklist"]).version_no == 1


def test_an_unused_checklist_is_edited_in_place(engine, world):  # noqa: F811 - pytest's fixture by name
    w = world
    reviewer = make_user(engine, "t1insp", "inspector", w["tree"]["t1"])
    with transaction(engine) as s:
        done = sv.edit_checklist(
            s, reviewer, w["checklist"], {"name": "新细则"}, [RowChange(w["items"][0], None, {"max_points": 40})]
        )
    assert (done.checklist_id, done.version_no, done.new_version) == (w["checklist"], 1, False)
    with transaction(engine) as s:
        assert s.get_one(SanitationChecklist, w["checklist"]).name == "新细则"
        assert _items(s, w["checklist"])[0].max_points == 40.0
        assert s.scalar(select(SanitationChecklist.id).where(SanitationChecklist.id != w["checklist"])) is None


def test_a_refused_item_leaves_no_new_version_behind(engine, used):
    w = used
    with transaction(engine) as s:
        count = len(s.scalars(select(SanitationChecklist.id)).all())
    with pytest.raises(ValidationError), transaction(engine) as s:
        sv.edit_checklist(
            s, w["reviewer"], w["checklist"], {}, [RowChange(w["items"][0], None, {"max_points": 10, "step": 20})]
        )
    with transaction(engine) as s:
        assert len(s.scalars(select(SanitationChecklist.id)).all()) == count
        assert s.get_one(SanitationChecklist, w["checklist"]).superseded_by_id is None


def test_only_reviewers_edit_and_a_stale_edit_is_refused(engine, used):
    w = used
    with transaction(engine) as s, pytest.raises(PermissionDenied):
        sv.edit_checklist(s, w["t1staff"], w["checklist"], {"name": "职员改"})
    with transaction(engine) as s, pytest.raises(rs.StaleRecord):
        sv.edit_checklist(s, w["reviewer"], w["checklist"], {"name": "旧页面"}, expected_version=0)
    with transaction(engine) as s, pytest.raises(NotFound):  # an item of another checklist
        sv.edit_checklist(s, w["reviewer"], w["checklist"], {}, [RowChange(999999, None, {"max_points": 5})])


def test_the_notice_and_the_heat_map_name_the_version(engine, used):
    w = used
    with transaction(engine) as s:
        done = sv.edit_checklist(
            s, w["reviewer"], w["checklist"], {}, [RowChange(w["items"][0], None, {"max_points": 20})]
        )
        v2 = {**w, "items": [i.id for i in _items(s, done.checklist_id)]}
    inspect(engine, w["t1staff"], v2, "street", D(2026, 4, 8), [18, 18, 25, 20])
    with transaction(engine) as s:
        paragraphs, _ = _texts(reports.rectification_notice(s, w["t1head"], w["old_inspection"], "docx", "zh-CN"))
        assert "评分细则：教室卫生细则（版本 1）" in paragraphs
        cells = sv.heatmap(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30), "zh-CN")
        labels = {(c.zone, c.criterion) for c in cells}
        assert ("东关农贸市场", "地面无纸屑、无痰迹（版本 1）") in labels
        assert ("东关主街", "地面无纸屑、无痰迹（版本 2）") in labels
    assert done.version_no == 2
