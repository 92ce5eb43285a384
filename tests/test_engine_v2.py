"""Engine options beyond flat records, on the test-only kit record types (tests/engine_kit.py):
references, child rows, computed fields, workflows with locks, grids and statistics."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from db.engine import transaction
from db.models import AuditEntry
from portal.errors import NotFound, PermissionDenied, PortalError, ValidationError
from portal.org.scope import SYSTEM, Actor
from portal.records import attachments, display, refs, registry, stats
from portal.records import io as records_io
from portal.records import service as records
from portal.records.fields import Field
from portal.records.grid import Cell, Pivot, RowChange, pivot_changes
from portal.records.service import RowsRefused, StaleRows
from portal.records.spec import RecordSpec, SpecError
from portal.records.stats import Measure, Stats
from portal.records.workflow import State, Transition, Workflow
from tests import engine_kit as kit
from tests.conftest import make_user


class People:
    def __init__(self, engine: Engine, tree: dict[str, int]) -> None:
        self.head: Actor = make_user(engine, "kit_head", "head", tree["county"])
        self.t1: Actor = make_user(engine, "kit_t1", "staff", tree["t1"])
        self.t2: Actor = make_user(engine, "kit_t2", "staff", tree["t2"])


@pytest.fixture
def people(engine: Engine, tree: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> People:
    kit.install(engine, monkeypatch)
    return People(engine, tree)


def new_kit(engine: Engine, actor: Actor, unit: int, name: str = "急救箱", **extra: Any) -> Any:
    with transaction(engine) as s:
        return records.create(s, actor, kit.KitSpec, {"org_unit_id": unit, "name": name, **extra})


def entries(engine: Engine, record_type: str, record_id: int) -> list[tuple[str, Any, Any]]:
    with transaction(engine) as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.record_type == record_type, AuditEntry.record_id == record_id)
            .order_by(AuditEntry.id)
        )
        return [(e.action, e.before, e.after) for e in rows]


# -- references -----------------------------------------------------------------------------


def test_a_reference_takes_an_id_in_scope_and_shows_a_label(engine, tree, people) -> None:
    box = new_kit(engine, people.t1, tree["t1"], keeper_id=people.t1.id)
    assert box.keeper_id == people.t1.id
    # a user outside the actor's scope reads exactly like one that does not exist
    for missing in (people.t2.id, 99999):
        with pytest.raises(ValidationError) as info, transaction(engine) as s:
            records.create(s, people.t1, kit.KitSpec, {"org_unit_id": tree["t1"], "name": "x", "keeper_id": missing})
        assert [(e.field, e.key) for e in info.value.errors] == [("keeper_id", "validation.ref_missing")]
    with transaction(engine) as s:
        names = display.names(s, kit.KitSpec, [box], "zh-CN")
        columns = display.table_columns(kit.KitSpec, [box], "zh-CN", names)
    assert columns["保管人"] == ["kit_t1"]  # the user's label (username), not the id
    with transaction(engine) as s:
        offered = refs.choices(s, people.t1, kit.KitSpec, kit.KitSpec.field("keeper_id"))
    assert [rid for rid, _ in offered] == [people.t1.id]  # only users the actor may see


def test_labels_resolve_and_an_ambiguous_label_names_both(engine, tree, people) -> None:
    first = new_kit(engine, people.head, tree["t1"], name="保洁箱")
    with transaction(engine) as s:
        loan = records.create(
            s,
            people.head,
            kit.KitLoanSpec,
            {"org_unit_id": tree["t1"], "kit_id": "保洁箱", "borrower": "李梅", "lent_on": "2026-03-01"},
        )
        assert loan.kit_id == first.id
    second = new_kit(engine, people.head, tree["t2"], name="保洁箱")
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        records.create(
            s,
            people.head,
            kit.KitLoanSpec,
            {"org_unit_id": tree["t1"], "kit_id": "保洁箱", "borrower": "王强", "lent_on": "2026-03-02"},
        )
    error = info.value.errors[0]
    assert error.key == "validation.ref_ambiguous"
    assert f"#{first.id}" in error.params["matches"] and f"#{second.id}" in error.params["matches"]


def test_a_referenced_record_cannot_be_deleted_until_the_reference_goes(engine, tree, people) -> None:
    box = new_kit(engine, people.t1, tree["t1"])
    with transaction(engine) as s:
        loan = records.create(
            s,
            people.t1,
            kit.KitLoanSpec,
            {"org_unit_id": tree["t1"], "kit_id": box.id, "borrower": "李梅", "lent_on": "2026-03-01"},
        )
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        records.delete(s, people.t1, kit.KitSpec, box.id)
    error = info.value.errors[0]
    assert error.key == "validation.referenced" and "1 条借用（器材箱）" in error.message("zh-CN")
    assert "1 Loans (Kit)" in error.message("en")
    with transaction(engine) as s:
        records.delete(s, people.t1, kit.KitLoanSpec, loan.id)
        records.delete(s, people.t1, kit.KitSpec, box.id)  # now nothing points to it


def test_references_export_as_labels_and_import_back(engine, tree, people) -> None:
    box = new_kit(engine, people.t1, tree["t1"], name="急救箱甲")
    with transaction(engine) as s:
        records.create(
            s,
            people.t1,
            kit.KitLoanSpec,
            {"org_unit_id": tree["t1"], "kit_id": box.id, "borrower": "李梅", "lent_on": "2026-03-01"},
        )
        data = records_io.export(s, people.t1, kit.KitLoanSpec, None, "csv")
    text = data.decode("utf-8-sig")
    assert "急救箱甲" in text and f",{box.id}," not in text
    with transaction(engine) as s:
        preview = records_io.check_import(s, people.t1, kit.KitLoanSpec, data, "loans.csv")
        assert preview.ok, [e.message for e in preview.errors]
        assert records_io.apply_import(s, people.t1, kit.KitLoanSpec, preview) == (1, 0)
    new_kit(engine, people.t1, tree["t1"], name="急救箱甲")  # now the label is ambiguous
    with transaction(engine) as s:
        preview = records_io.check_import(s, people.t1, kit.KitLoanSpec, data, "loans.csv")
    assert not preview.ok and preview.errors[0].row == 2 and "急救箱甲" in preview.errors[0].message


# -- child rows ------------------------------------------------------------------------------


def parts(*rows: tuple[str, Any]) -> list[RowChange]:
    return [RowChange(values={"name": name, "qty": qty}) for name, qty in rows]


def test_a_parent_and_its_children_save_together(engine, tree, people) -> None:
    with transaction(engine) as s:
        box = records.save(
            s,
            people.t1,
            kit.KitSpec,
            None,
            {"org_unit_id": tree["t1"], "name": "急救箱"},
            children={"test_kit_parts": parts(("纱布", 10), ("碘伏", 2))},
        )
    with transaction(engine) as s:
        stored = list(s.scalars(select(kit.KitPart).where(kit.KitPart.kit_id == box.id).order_by(kit.KitPart.id)))
        assert [(p.name, p.qty, p.points, p.org_unit_id) for p in stored] == [
            ("纱布", 10, 25.0, tree["t1"]),
            ("碘伏", 2, 5.0, tree["t1"]),
        ]
    assert [a for a, _, _ in entries(engine, "test_kit_parts", stored[0].id)] == ["create"]
    # change one, delete one, add one: one entry each
    with transaction(engine) as s:
        records.save(
            s,
            people.t1,
            kit.KitSpec,
            box.id,
            {},
            expected_version=box.version,
            children={
                "test_kit_parts": [
                    RowChange(stored[0].id, stored[0].version, {"qty": 12}),
                    RowChange(stored[1].id, stored[1].version, delete=True),
                    RowChange(values={"name": "绷带", "qty": 5}),
                ]
            },
        )
    assert [a for a, _, _ in entries(engine, "test_kit_parts", stored[0].id)] == ["create", "update"]
    assert [a for a, _, _ in entries(engine, "test_kit_parts", stored[1].id)] == ["create", "delete"]


def test_a_bad_child_row_saves_nothing_and_names_the_row(engine, tree, people) -> None:
    with pytest.raises(RowsRefused) as info, transaction(engine) as s:
        records.save(
            s,
            people.t1,
            kit.KitSpec,
            None,
            {"org_unit_id": tree["t1"], "name": "新箱"},
            children={"test_kit_parts": parts(("纱布", 10), ("碘伏", -1), ("", 3))},
        )
    assert sorted((e.row, e.field, e.key) for e in info.value.errors) == [
        (2, "qty", "validation.min"),
        (3, "name", "validation.required"),
    ]
    assert all(e.record == "test_kit_parts" for e in info.value.errors)
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(kit.Kit)) == 0
        assert s.scalar(select(func.count()).select_from(kit.KitPart)) == 0


def test_a_child_of_another_parent_cannot_be_edited_through_this_one(engine, tree, people) -> None:
    with transaction(engine) as s:
        one = records.save(
            s,
            people.t1,
            kit.KitSpec,
            None,
            {"org_unit_id": tree["t1"], "name": "一号箱"},
            children={"test_kit_parts": parts(("纱布", 1))},
        )
        two = records.save(s, people.t1, kit.KitSpec, None, {"org_unit_id": tree["t1"], "name": "二号箱"})
    with transaction(engine) as s:
        part = s.scalar(select(kit.KitPart).where(kit.KitPart.kit_id == one.id))
    with pytest.raises(RowsRefused), transaction(engine) as s:
        records.save(
            s,
            people.t1,
            kit.KitSpec,
            two.id,
            {},
            children={"test_kit_parts": [RowChange(part.id, part.version, {"qty": 99})]},
        )
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        records.save(
            s,
            people.t1,
            kit.KitSpec,
            two.id,
            {},
            children={"test_kit_parts": parts(*[(f"件{n}", 1) for n in range(21)])},
        )
    assert info.value.errors[0].key == "validation.child_count"


# -- computed fields -------------------------------------------------------------------------


def test_a_computed_field_follows_its_inputs_and_refuses_other_values_on_import(engine, tree, people) -> None:
    with transaction(engine) as s:
        box = records.save(
            s,
            people.t1,
            kit.KitSpec,
            None,
            {"org_unit_id": tree["t1"], "name": "箱"},
            children={"test_kit_parts": parts(("纱布", 4))},
        )
        part = s.scalar(select(kit.KitPart).where(kit.KitPart.kit_id == box.id))
        assert part.points == 10.0
        with pytest.raises(ValidationError) as info:
            records.update(s, people.t1, kit.KitPartSpec, part.id, {"points": 99}, None)
        assert info.value.errors[0].key == "validation.readonly"
        records.update(s, people.t1, kit.KitPartSpec, part.id, {"qty": 6}, None)
        assert part.points == 15.0
    row = {"name": "纱布", "qty": 6, "points": 15}
    good = "名称,数量,分值\r\n纱布,6,15\r\n".encode()
    bad = "名称,数量,分值\r\n纱布,6,99\r\n".encode()
    with transaction(engine) as s:
        assert records_io.check_import(s, people.t1, kit.KitPartSpec, good, "p.csv").errors == [] or row
        preview = records_io.check_import(s, people.t1, kit.KitPartSpec, bad, "p.csv")
    messages = [e.message for e in preview.errors]
    assert any("15" in m and "分值" in e.column for m, e in zip(messages, preview.errors)), messages


# -- workflows -------------------------------------------------------------------------------


def test_a_workflow_moves_only_by_its_transitions(engine, tree, people) -> None:
    box = new_kit(engine, people.t1, tree["t1"])
    assert box.status == "open"  # the first state
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        records.transition(s, people.t1, kit.KitSpec, box.id, "close", "到期")  # staff may not
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        records.transition(s, people.head, kit.KitSpec, box.id, "close", "  ")  # a comment is required
    assert info.value.errors[0].key == "validation.comment_required"
    with transaction(engine) as s:
        closed = records.transition(s, people.head, kit.KitSpec, box.id, "close", "年度盘点封存")
        assert (closed.status, closed.closed_note) == ("closed", "年度盘点封存")
    action, before, after = entries(engine, "test_kits", box.id)[-1]
    assert (action, before["status"], after["status"], after["closed_note"]) == (
        "close",
        "open",
        "closed",
        "年度盘点封存",
    )
    with pytest.raises(PortalError) as state, transaction(engine) as s:
        records.transition(s, people.head, kit.KitSpec, box.id, "close", "again")
    assert state.value.key == "workflow.not_from"


def test_a_readonly_state_freezes_the_record_and_its_lock_freezes_the_children(engine, tree, people) -> None:
    with transaction(engine) as s:
        box = records.save(
            s,
            people.head,
            kit.KitSpec,
            None,
            {"org_unit_id": tree["t1"], "name": "箱"},
            children={"test_kit_parts": parts(("纱布", 4))},
        )
        part = s.scalar(select(kit.KitPart).where(kit.KitPart.kit_id == box.id))
        records.transition(s, people.head, kit.KitSpec, box.id, "close", "封存")
    for attempt in (
        lambda s: records.update(s, people.head, kit.KitSpec, box.id, {"name": "改名"}, None),
        lambda s: records.delete(s, people.head, kit.KitSpec, box.id),
        lambda s: records.update(s, people.head, kit.KitPartSpec, part.id, {"qty": 1}, None),
        lambda s: records.delete(s, people.head, kit.KitPartSpec, part.id),
        lambda s: records.save(
            s, people.head, kit.KitSpec, box.id, {}, children={"test_kit_parts": parts(("新件", 1))}
        ),
    ):
        with pytest.raises(ValidationError) as info, transaction(engine) as s:
            attempt(s)
        keys = {e.key for e in info.value.errors}
        assert keys & {"validation.state_readonly", "validation.locked_by"}, keys
    with transaction(engine) as s:
        records.transition(s, people.head, kit.KitSpec, box.id, "reopen")
        records.update(s, people.head, kit.KitPartSpec, part.id, {"qty": 1}, None)


# -- grids -----------------------------------------------------------------------------------


def test_a_grid_saves_every_changed_row_or_none(engine, tree, people) -> None:
    with transaction(engine) as s:
        box = records.save(
            s,
            people.t1,
            kit.KitSpec,
            None,
            {"org_unit_id": tree["t1"], "name": "箱"},
            children={"test_kit_parts": parts(*[(f"件{n}", n) for n in range(5)])},
        )
        rows = list(s.scalars(select(kit.KitPart).where(kit.KitPart.kit_id == box.id).order_by(kit.KitPart.id)))
    changes = [RowChange(r.id, r.version, {"qty": r.qty + 10}, label=r.name) for r in rows[:3]]
    changes.append(RowChange(rows[3].id, rows[3].version, {"qty": rows[3].qty}))  # unchanged
    with transaction(engine) as s:
        saved = records.save_rows(s, people.t1, kit.KitPartSpec, changes)
    assert (saved.updated, saved.unchanged, saved.created) == (3, 1, 0)
    assert [a for a, _, _ in entries(engine, "test_kit_parts", rows[3].id)] == ["create"]
    # one bad row: nothing of the batch is saved, the row is named
    with pytest.raises(RowsRefused) as info, transaction(engine) as s:
        records.save_rows(
            s,
            people.t1,
            kit.KitPartSpec,
            [RowChange(rows[4].id, rows[4].version, {"qty": 50}), RowChange(rows[0].id, None, {"qty": 5000})],
        )
    assert [(e.row, e.field) for e in info.value.errors] == [(2, "qty")]
    with transaction(engine) as s:
        assert s.get_one(kit.KitPart, rows[4].id).qty == 4
    # a row someone saved meanwhile: the whole save is refused, naming it
    with pytest.raises(StaleRows) as stale, transaction(engine) as s:
        records.save_rows(
            s, people.t1, kit.KitPartSpec, [RowChange(rows[0].id, rows[0].version, {"qty": 1}, label="件0")]
        )
    assert stale.value.rows[0][:2] == (1, "件0")


def test_pivot_cells_become_row_changes() -> None:
    pivot = Pivot(row="person_id", column="slot", value="status", shared=("session_id",))
    existing = {(1, "am"): Cell(11, 3, "present"), (1, "pm"): Cell(12, 1, "late"), (2, "am"): Cell(13, 2, "absent")}
    edited = {(1, "am"): "present", (1, "pm"): "present", (2, "am"): "", (2, "pm"): "leave", (3, "am"): None}
    changes = pivot_changes(pivot, {"session_id": 7}, existing, edited, {2: "王强"})
    assert [(c.id, c.version, c.values, c.delete, c.system) for c in changes] == [
        (12, 1, {"status": "present"}, False, {}),
        (13, 2, {}, True, {}),
        (None, None, {"person_id": 2, "slot": "pm", "status": "leave"}, False, {"session_id": 7}),
    ]
    assert changes[1].label == "王强"


# -- statistics ------------------------------------------------------------------------------


def test_statistics_count_by_period_and_choice_in_scope(engine, tree, people) -> None:
    for unit, kind, day in (
        (tree["t1"], "aid", "2026-03-02"),
        (tree["t1"], "aid", "2026-03-20"),
        (tree["t1"], "clean", "2026-04-01"),
        (tree["t2"], "aid", "2026-03-05"),
    ):
        new_kit(engine, people.head, unit, name=f"{kind}{day}", kind=kind, bought_on=day)
    with transaction(engine) as s:
        points = stats.query(s, people.t1, kit.KitSpec, None, "kind", Measure("count"))
        county = stats.query(s, people.head, kit.KitSpec, None, None, Measure("count"), bucket="year")
    assert [(p.period, p.group, p.value) for p in points] == [("2026-03", "aid", 2.0), ("2026-04", "clean", 1.0)]
    assert [(p.period, p.value) for p in county] == [("2026", 4.0)]


# -- definition-time checks ------------------------------------------------------------------


def _spec(**attrs: Any) -> type[RecordSpec]:
    base: dict[str, Any] = {
        "slug": "probe_kits",
        "model": kit.Kit,
        "title_zh": "探针",
        "title_en": "Probe",
        "fields": (
            Field("org_unit_id", "org_unit", "单位", "Unit", required=True),
            Field("name", "text", "名称", "Name", required=True),
            Field("status", "choice", "状态", "Status", readonly=True, choices=kit.KitSpec.field("status").choices),
            Field("bought_on", "date", "日期", "Date"),
        ),
        "list_display": ("name",),
    }
    extra = attrs.pop("extra", ())
    base.update(attrs)
    base["fields"] = (*base["fields"], *extra)
    return type("ProbeSpec", (RecordSpec,), base)


@pytest.mark.parametrize(
    ("attrs", "where"),
    [
        ({"extra": (Field("keeper_id", "ref", "人", "Who"),)}, "fields['keeper_id']: a ref field needs ref="),
        ({"extra": (Field("kind", "text", "名", "N", ref="users"),)}, "ref= is only for ref fields"),
        ({"extra": (Field("keeper_id", "ref", "人", "Who", ref="users", on_delete="cascade"),)}, "on_delete"),
        ({"label_fields": ("nope",)}, "label_fields: 'nope' is not a field"),
        ({"list_editable": ("status",)}, "list_editable: 'status' is not editable"),
        ({"workflow": Workflow(states=(State("a", "甲", "A"),), transitions=())}, "workflow: the states"),
        (
            {
                "workflow": Workflow(
                    states=kit.STATES, transitions=(Transition("x", "x", "x", ("open",), "gone", frozenset({"admin"})),)
                )
            },
            "unknown state 'gone'",
        ),
        ({"stats": Stats(by=("name",))}, "stats: 'name' must be"),
        ({"stats": Stats(measures=(Measure("sum", "name"),)), "date_field": "bought_on"}, "sum needs a number"),
        ({"stats": Stats()}, "needs a date field"),
    ],
)
def test_each_engine_option_is_checked_when_declared(attrs: dict[str, Any], where: str) -> None:
    with pytest.raises(SpecError) as info:
        _spec(**attrs)
    assert "ProbeSpec." in str(info.value) and where in str(info.value)


def test_references_to_unknown_record_types_are_caught_at_registration() -> None:
    probe = _spec(
        fields=(
            Field("org_unit_id", "org_unit", "单位", "Unit", required=True),
            Field("name", "text", "名称", "Name", required=True),
            Field("keeper_id", "ref", "人", "Who", ref="no_such_type"),
        )
    )
    with pytest.raises(SpecError, match="no_such_type"):
        registry.check_references({**registry.specs(), probe.slug: probe})


def test_datetime_fields_read_office_time() -> None:
    f = Field("at", "datetime", "时间", "At")
    value, error = f.parse("2026-03-24 09:30")
    assert error is None and value == dt.datetime(2026, 3, 24, 1, 30, tzinfo=dt.UTC)
    assert display.format_value(f, value, "zh-CN") == "2026-03-24 09:30"
    assert SYSTEM.role == "admin"


# -- photos ----------------------------------------------------------------------------------


def _image(fmt: str = "JPEG", size: tuple[int, int] = (2400, 1800), exif: bool = True) -> bytes:
    from PIL import Image

    img = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    extra: dict[str, Any] = {}
    if exif and fmt == "JPEG":
        meta = Image.Exif()
        meta[0x0112] = 6  # orientation: rotate 90° to be upright
        meta[0x010F] = "PhoneMaker"
        extra["exif"] = meta.tobytes()
    img.save(out, fmt, **extra)
    return out.getvalue()


def test_photos_are_reencoded_upright_without_metadata_and_counted(engine, tree, people) -> None:
    from PIL import Image

    box = new_kit(engine, people.t1, tree["t1"])
    with transaction(engine) as s:
        row = attachments.add(s, people.t1, "test_kits", box.id, "photos", "现场.jpg", _image(), "箱内")
        stored_id = row.id
    with transaction(engine) as s:
        data = attachments.content(s, people.t1, stored_id)
        thumb = attachments.content(s, people.t1, stored_id, thumb=True)
        listed = attachments.photos(s, people.t1, "test_kits", box.id)
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and (img.width, img.height) == (1200, 1600)  # upright, within 1600
        assert not img.getexif()  # the phone's metadata stayed on the phone
    with Image.open(io.BytesIO(thumb)) as img:
        assert max(img.size) == 320
    assert [(p.filename, p.caption, p.uploaded_by) for p in listed] == [("现场.jpg", "箱内", "kit_t1")]
    assert entries(engine, "attachments", stored_id)[0][0] == "create"
    with transaction(engine) as s:
        names = display.names(s, kit.KitSpec, [box], "zh-CN")
        assert display.table_columns(kit.KitSpec, [box], "zh-CN", names)["照片"] == ["📷 1"]
    # another township sees nothing, not even that it exists
    with pytest.raises(NotFound), transaction(engine) as s:
        attachments.content(s, people.t2, stored_id)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"%PDF-1.4 not an image", "validation.photo_type"),
        (b"GIF89a" + b"\x00" * 20, "validation.photo_type"),
        ("big", "validation.photo_too_big"),
        ("pixels", "validation.photo_pixels"),
    ],
)
def test_photo_limits(engine, tree, people, monkeypatch, data: Any, key: str) -> None:
    box = new_kit(engine, people.t1, tree["t1"])
    if data == "big":
        monkeypatch.setenv("PORTAL_MAX_PHOTO_MB", "0.001")
        data = _image(size=(800, 600), exif=False)
    elif data == "pixels":
        monkeypatch.setenv("PORTAL_MAX_PHOTO_MEGAPIXELS", "0.5")
        data = _image("PNG", size=(1000, 1000), exif=False)
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        attachments.add(s, people.t1, "test_kits", box.id, "photos", "x", data)
    assert info.value.errors[0].key == key
    with transaction(engine) as s:
        assert attachments.count(s, "test_kits", [box.id]) == {}


def test_a_record_holds_at_most_its_photos_and_a_closed_one_takes_none(engine, tree, people) -> None:
    box = new_kit(engine, people.head, tree["t1"])
    small = _image(size=(200, 150), exif=False)
    with transaction(engine) as s:
        for _ in range(2):
            attachments.add(s, people.head, "test_kits", box.id, "photos", "a.jpg", small)
    with pytest.raises(ValidationError) as info, transaction(engine) as s:
        attachments.add(s, people.head, "test_kits", box.id, "photos", "c.jpg", small)
    assert info.value.errors[0].key == "validation.photo_count"
    with transaction(engine) as s:
        first = attachments.photos(s, people.head, "test_kits", box.id)[0]
        attachments.remove(s, people.head, first.id)
        records.transition(s, people.head, kit.KitSpec, box.id, "close", "封存")
    with pytest.raises(ValidationError) as frozen, transaction(engine) as s:
        attachments.add(s, people.head, "test_kits", box.id, "photos", "d.jpg", small)
    assert frozen.value.errors[0].key == "validation.state_readonly"
