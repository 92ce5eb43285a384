"""The trainee register (学员名册, issue 11 item 1): a person is one row however many trainings
they attend. Roster entries, roster imports, nominations and walk-ins find their person
(the same name and phone, else the same name and unit) or add them, audited; the register
is a record type on the engine (scoped by unit, imported and exported); a phone is masked
outside the person's own unit subtree; the hours ledger names each person from the
register; and migration 0017 builds the register from the rosters already stored, one
person per person key, and its downgrade keeps every roster row."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, func, inspect, select, text

from db import migrate
from db.engine import make_engine, transaction
from db.models import AuditEntry, TrainingEnrolment, TrainingPerson, TrainingWalkin
from portal.errors import NotFound, ValidationError
from portal.org.scope import SYSTEM
from portal.programmes.training import service as training
from portal.programmes.training import signin
from portal.programmes.training import specs as tr
from portal.records import io as records_io
from portal.records import service as records
from portal.records.service import RowsRefused
from tests.conftest import BACKENDS, PG_URL, make_user
from tests.test_training import AM1, START, World, enrol, make_world, mark


@pytest.fixture
def world(engine: Engine, tree: dict[str, int]) -> World:
    return make_world(engine, tree)


def people(engine: Engine) -> list[TrainingPerson]:
    with transaction(engine) as s:
        return list(s.scalars(select(TrainingPerson).where(TrainingPerson.deleted_at.is_(None))))


def second_session(world: World, title: str = "协管员培训第二期", trainer: Any = None) -> int:
    with transaction(world.engine) as s:
        run = records.create(
            s,
            world.head,
            tr.TrainingSessionSpec,
            {
                "programme_id": world.programme,
                "title": title,
                "start_date": START + dt.timedelta(days=30),
                "trainer_user_id": (trainer or world.trainer).id,
            },
        )
        return int(run.id)


def trainee(engine: Engine, enrolment_id: int) -> int | None:
    with transaction(engine) as s:
        return s.get_one(TrainingEnrolment, enrolment_id).trainee_id


# -- finding or adding the person --------------------------------------------------------------------


def test_a_person_is_one_row_however_many_trainings(world: World) -> None:
    t = world.tree
    made = {p.name: p for p in people(world.engine)}
    assert sorted(made) == ["丙", "乙", "甲"]  # the world's three roster entries each added their person
    assert made["甲"].phone == "13800001111" and made["甲"].org_unit_id == t["t1"]
    assert made["甲"].person_key == tr.person_key_of(t["t1"], "甲", "13800001111")
    other = second_session(world)
    again = {
        "甲": enrol(world.engine, world.t1_staff, other, t["t1"], "甲", phone="138 0000 1111"),  # same name and phone
        "乙": enrol(world.engine, world.t1_staff, other, t["t1v1"], "乙"),  # no phone: same name and unit
        "丙": enrol(world.engine, world.head, other, t["t2"], "丙", phone="13900009999"),  # a phone now: name + unit
    }
    assert len(people(world.engine)) == 3
    for name, entry in again.items():
        assert trainee(world.engine, entry) == made[name].id == trainee(world.engine, world.people[name])
    # a namesake with another phone, and one in another unit, are other people
    enrol(
        world.engine, world.t1_staff, other, t["t1"], "甲", phone="13800002222", status="withdrawn"
    )  # 东关's 2 places
    enrol(world.engine, world.head, other, t["t2v1"], "乙")
    assert len(people(world.engine)) == 5
    with transaction(world.engine) as s:  # each addition to the register is audited with the entry
        added = s.scalars(select(AuditEntry).where(AuditEntry.record_type == "training_people")).all()
        assert len(added) == 5 and {e.action for e in added} == {"create"}


def test_marks_carry_the_registers_key_so_the_ledger_adds_a_persons_trainings_up(world: World) -> None:
    t = world.tree
    other = second_session(world)
    # 丙 comes again with a phone: her register row (no phone) is hers, and so are her hours
    again = enrol(world.engine, world.head, other, t["t2"], "丙", phone="13900009999", category="supervisor")
    mark(world, world.trainer, {(world.people["丙"], AM1): "present"})
    with transaction(world.engine) as s:
        run = training.get_session(s, world.trainer, other)
        first = tr.half_days(run.start_date, run.half_days)[0]
        training.save_attendance(s, world.trainer, other, {}, {(again, first): "present"})
    with transaction(world.engine) as s:
        lines = [line for line in training.hours_ledger(s, world.head, 2026) if line.name == "丙"]
    assert len(lines) == 1 and lines[0].hours == 6
    assert lines[0].person == tr.person_key_of(t["t2"], "丙", None)
    # renamed in the register, the ledger names her so
    with transaction(world.engine) as s:
        person = s.scalar(select(TrainingPerson).where(TrainingPerson.name == "丙"))
        records.update(s, world.head, tr.TrainingPersonSpec, person.id, {"name": "丙（更名）"}, person.version)
    with transaction(world.engine) as s:
        names = {line.name for line in training.hours_ledger(s, world.head, 2026)}
    assert "丙（更名）" in names and "丙" not in names


def test_a_roster_imported_twice_into_two_sessions_adds_nobody_twice(world: World) -> None:
    other = second_session(world)
    roster = "姓名,性别,单位,岗位,手机\n丁,女,东关村卫生室,村医,13700001234\n乙,女,东关村卫生室,协管员,\n"
    for run_id in (world.run, other):
        with transaction(world.engine) as s:
            run = training.get_session(s, world.trainer, run_id)
            wide = training.session_actor(s, world.trainer, run)
            data = training.roster_file(s, run, roster.encode("gbk"), "roster.csv")
            preview = records_io.check_import(s, wide, tr.TrainingEnrolmentSpec, data, "roster.csv")
            if run_id == world.run:  # 乙 is on the first session already: that row is named, nothing saved
                assert not preview.ok and [e.row for e in preview.errors] == [3]
                continue
            assert preview.ok, [e.message for e in preview.errors]
            assert records_io.apply_import(s, wide, tr.TrainingEnrolmentSpec, preview) == (2, 0)
    with transaction(world.engine) as s:
        run = training.get_session(s, world.trainer, world.run)
        wide = training.session_actor(s, world.trainer, run)
        data = training.roster_file(
            s, run, "姓名,单位,岗位,手机\n丁,东关村卫生室,村医,137-0000-1234\n".encode(), "r.csv"
        )
        preview = records_io.check_import(s, wide, tr.TrainingEnrolmentSpec, data, "roster.csv")
        assert records_io.apply_import(s, wide, tr.TrainingEnrolmentSpec, preview) == (1, 0)
    found = [p for p in people(world.engine) if p.name in ("丁", "乙")]
    assert sorted(p.name for p in found) == ["丁", "乙"]
    with transaction(world.engine) as s:
        linked = s.scalars(select(TrainingEnrolment.trainee_id).where(TrainingEnrolment.person_name == "丁")).all()
    assert len(linked) == 2 and len(set(linked)) == 1


def test_a_walk_in_finds_their_person_by_name_unit_and_phone_ending(world: World) -> None:
    t = world.tree
    other = second_session(world)
    with transaction(world.engine) as s:
        run = training.get_session(s, world.trainer, other)
        half = tr.half_days(run.start_date, run.half_days)[0]
        window = signin.open_window(s, world.trainer, other, half, now=dt.datetime(2026, 5, 13, 1, tzinfo=dt.UTC))
        for name, tail in (("甲", "1111"), ("庚", "5555")):
            s.add(TrainingWalkin(window_id=window.id, person_name=name, phone_tail=tail, at=window.opens_at))
        s.flush()
        waiting = {w.person_name: w.id for w in s.scalars(select(TrainingWalkin))}
    with transaction(world.engine) as s:
        known = signin.accept_walkin(s, world.trainer, waiting["甲"], t["t1"], "assistant")
        new = signin.accept_walkin(s, world.trainer, waiting["庚"], t["t2"], "doctor")
        ids = (known.trainee_id, new.trainee_id)
    found = {p.name: p for p in people(world.engine)}
    assert ids == (found["甲"].id, found["庚"].id)
    assert found["庚"].phone is None and found["庚"].person_key == tr.person_key_of(t["t2"], "庚", "5555")
    assert len(found) == 4


def test_a_refused_walk_in_adds_nobody_to_the_register(world: World) -> None:
    with transaction(world.engine) as s:
        window = signin.open_window(s, world.trainer, world.run, AM1, now=dt.datetime(2026, 4, 13, 1, tzinfo=dt.UTC))
        s.add(TrainingWalkin(window_id=window.id, person_name="辛", phone_tail="7777", at=window.opens_at))
        s.flush()
        walkin = s.scalar(select(TrainingWalkin.id))
    # 东关 holds its two places (甲, and 乙 of its village is counted to the village): fill it first
    enrol(world.engine, world.t1_staff, world.run, world.tree["t1"], "壬")
    with pytest.raises(ValidationError) as refused, transaction(world.engine) as s:
        signin.accept_walkin(s, world.trainer, walkin, world.tree["t1"], "assistant")
    assert "东关镇卫生院" in refused.value.message("zh-CN")
    assert "辛" not in {p.name for p in people(world.engine)}


# -- the register as a record type ------------------------------------------------------------------


def test_the_register_refuses_a_bad_phone_in_both_languages(world: World) -> None:
    t = world.tree
    with pytest.raises(ValidationError) as bad, transaction(world.engine) as s:
        records.create(
            s,
            world.t1_staff,
            tr.TrainingPersonSpec,
            {"org_unit_id": t["t1"], "name": "癸", "category": "nurse", "phone": "138abc"},
        )
    assert bad.value.errors[0].field == "phone"
    assert "138abc" in bad.value.message("zh-CN") and "phone number" in bad.value.message("en")
    with transaction(world.engine) as s:  # spaces and dashes are how people write phones
        made = records.create(
            s,
            world.t1_staff,
            tr.TrainingPersonSpec,
            {"org_unit_id": t["t1"], "name": "癸", "category": "nurse", "phone": "138-0000 4444"},
        )
        assert made.phone == "13800004444" and made.person_key == tr.person_key_of(t["t1"], "癸", "4444")


def test_the_register_is_scoped_imported_and_exported_by_unit(world: World) -> None:
    t = world.tree
    t2_staff = make_user(world.engine, "reg_t2", "staff", t["t2"])
    sheet = "姓名,性别,单位,类别,手机\n子,男,西河镇卫生院,村医,13600001111\n丑,女,西河村卫生室,护士,\n"
    with transaction(world.engine) as s:
        preview = records_io.check_import(s, t2_staff, tr.TrainingPersonSpec, sheet.encode("gbk"), "people.csv")
        assert preview.ok, [e.message for e in preview.errors]
        assert records_io.apply_import(s, t2_staff, tr.TrainingPersonSpec, preview) == (2, 0)
    with transaction(world.engine) as s:  # a bad row is named, and nothing is saved
        bad = "姓名,性别,单位,类别,手机\n卯,男,西河镇卫生院,村医,13600002222\n寅,男,东关镇卫生院,村医,138x\n"
        preview = records_io.check_import(s, t2_staff, tr.TrainingPersonSpec, bad.encode("gbk"), "people.csv")
        assert [(e.row, e.column) for e in preview.errors] == [(3, "单位"), (3, "手机")]
    with transaction(world.engine) as s:
        mine = records.list_page(s, world.t1_staff, tr.TrainingPersonSpec).rows
        theirs = records.list_page(s, t2_staff, tr.TrainingPersonSpec).rows
        assert {p.name for p in mine} == {"甲", "乙"}
        assert {p.name for p in theirs} == {"丙", "子", "丑"}
        exported = records_io.export(s, t2_staff, tr.TrainingPersonSpec, None, "csv")
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0] == ["单位", "姓名", "性别", "人员类别", "手机"]
    assert {r[1]: r[4] for r in rows[1:]} == {"丙": "", "子": "13600001111", "丑": ""}  # their own: in full


def test_a_person_on_a_roster_cannot_be_deleted(world: World) -> None:
    with transaction(world.engine) as s:
        person = s.scalar(select(TrainingPerson).where(TrainingPerson.name == "甲"))
    with pytest.raises(ValidationError) as refused, transaction(world.engine) as s:
        records.delete(s, world.t1_staff, tr.TrainingPersonSpec, person.id)
    assert "参训人员" in refused.value.message("zh-CN")


# -- nominating from the register, and the masked phone ----------------------------------------------


def test_nominating_from_the_register_masks_phones_outside_the_users_unit(world: World) -> None:
    with transaction(world.engine) as s:  # 丙 has a phone in the register now
        person = s.scalar(select(TrainingPerson).where(TrainingPerson.name == "丙"))
        records.update(s, world.head, tr.TrainingPersonSpec, person.id, {"phone": "13900003333"}, person.version)
    other = second_session(world, trainer=world.t2_trainer)  # 西河's trainer runs it, for the county
    with transaction(world.engine) as s:
        run = training.get_session(s, world.t2_trainer, other)
        seen = {c.name: c for c in training.candidates(s, world.t2_trainer, run)}
        assert set(seen) == {"甲", "乙", "丙"}  # the county's register, as the session's roster
        assert seen["甲"].phone == "138****1111"  # 甲 is of 东关, outside the trainer's own unit
        assert seen["丙"].phone == "13900003333"  # 丙 is of 西河: in full
        assert not seen["甲"].on_roster
        by_head = {c.name: c for c in training.candidates(s, world.head, run)}
        assert by_head["甲"].phone == "13800001111"  # the county head's subtree holds 东关
        own = {c.name: c for c in training.candidates(s, world.t1_staff, run, search="甲")}
        assert list(own) == ["甲"] and own["甲"].phone == "13800001111"
        assert [c.name for c in training.candidates(s, world.t2_trainer, run, category="supervisor")] == ["丙"]
        # a masked phone cannot be searched for; an own unit's can
        assert training.candidates(s, world.t2_trainer, run, search="1111") == []
        assert [c.name for c in training.candidates(s, world.t1_staff, run, search="1111")] == ["甲"]
    with transaction(world.engine) as s:
        saved = training.nominate(s, world.t2_trainer, other, [seen["甲"].id, seen["丙"].id])
    assert saved.created == 2
    with transaction(world.engine) as s:
        entries = s.scalars(select(TrainingEnrolment).where(TrainingEnrolment.session_id == other)).all()
        assert {(e.person_name, e.phone, e.trainee_id) for e in entries} == {
            ("甲", "13800001111", seen["甲"].id),
            ("丙", "13900003333", seen["丙"].id),
        }
        run = training.get_session(s, world.t2_trainer, other)
        assert all(c.on_roster for c in training.candidates(s, world.t2_trainer, run) if c.name in ("甲", "丙"))


def test_a_nomination_past_the_quota_saves_nobody(world: World) -> None:
    t = world.tree
    with transaction(world.engine) as s:
        extra = [
            records.create(
                s, world.t1_staff, tr.TrainingPersonSpec, {"org_unit_id": t["t1"], "name": n, "category": "assistant"}
            )
            for n in ("卯", "辰")
        ]
        ids = [p.id for p in extra]
    before = len(people(world.engine))
    with pytest.raises(RowsRefused) as refused, transaction(world.engine) as s:
        training.nominate(s, world.trainer, world.run, ids)  # 东关 has 2 places; 甲 holds one
    assert [e.row for e in refused.value.errors] == [2]
    assert "甲" in refused.value.errors[0].message("zh-CN")
    with transaction(world.engine) as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(TrainingEnrolment)
                .where(TrainingEnrolment.person_name.in_(("卯", "辰")))
            )
            == 0
        )
    assert len(people(world.engine)) == before
    with pytest.raises(NotFound), transaction(world.engine) as s:  # out of reach reads as not there
        training.nominate(s, world.t2_trainer, world.run, ids[:1])


def test_mask_phone() -> None:
    from portal.org.scope import Actor

    township = Actor(1, "u", "u", "staff", 2, "/1/2/")
    assert training.mask_phone("13812345678", township, "/1/3/") == "138****5678"
    assert training.mask_phone("13812345678", township, "/1/2/9/") == "13812345678"
    assert training.mask_phone("1234", township, "/1/3/") == "****"
    assert training.mask_phone(None, township, "/1/3/") == ""


# -- migration 0017 ----------------------------------------------------------------------------------


def _at(backend: str, tmp_path: Path, revision: str) -> Engine:
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'register.sqlite3'}", create=True)
    else:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine, revision)
    return engine


def _insert(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    meta = MetaData()
    meta.reflect(engine, only=[table])
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    keys = {k for r in rows for k in r}
    rows = [{k: r.get(k) for k in keys} for r in rows]  # one shape for an insert of many
    with engine.begin() as conn:
        conn.execute(
            meta.tables[table].insert(), [{"version": 1, "created_at": now, "updated_at": now, **r} for r in rows]
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_migration_0017_builds_the_register_from_the_rosters_and_its_downgrade_keeps_them(
    backend: str, tmp_path: Path
) -> None:
    engine = _at(backend, tmp_path, "0016")
    try:
        gone = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
        _insert(
            engine,
            "org_units",
            [{"id": 1, "code": "c", "name_zh": "县", "name_en": "", "type": "bureau", "path": "/1/", "active": True}],
        )
        _insert(
            engine,
            "training_programmes",
            [
                {
                    "id": 1,
                    "organiser_unit_id": 1,
                    "year": 2026,
                    "title": "p",
                    "category": "other",
                    "pass_mark": 60,
                    "good_mark": 80,
                    "excellent_mark": 90,
                }
            ],
        )
        _insert(
            engine,
            "training_sessions",
            [
                {
                    "id": i,
                    "programme_id": 1,
                    "organiser_unit_id": 1,
                    "session_no": i,
                    "title": f"s{i}",
                    "start_date": dt.date(2026, 3, i),
                    "half_days": 2,
                    "hours_per_half_day": 3,
                    "format": "lecture",
                    "status": "open",
                }
                for i in (1, 2)
            ],
        )
        entry = {"org_unit_id": 1, "category": "assistant", "status": "confirmed"}
        _insert(
            engine,
            "training_enrolments",
            [
                {"id": 1, "session_id": 1, "person_name": "甲", "phone": "13800001111", "sex": "f", **entry},
                {
                    "id": 2,
                    "session_id": 2,
                    "person_name": "甲",
                    "phone": "13900001111",
                    "sex": None,
                    **entry,
                },  # same key
                {"id": 3, "session_id": 1, "person_name": "乙", "phone": None, **entry},
                {"id": 4, "session_id": 2, "person_name": "乙", "phone": None, **entry, "deleted_at": gone},
                {"id": 5, "session_id": 2, "person_name": "丙", "phone": "13700002222", **entry, "deleted_at": gone},
            ],
        )
        migrate.upgrade(engine, "0017")
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT person_key, name, phone, sex, deleted_at FROM training_people ORDER BY person_key")
            ).all()
            links = dict(conn.execute(text("SELECT id, trainee_id FROM training_enrolments")).all())
            ids = dict(conn.execute(text("SELECT person_key, id FROM training_people")).all())
        assert [tuple(r[:4]) for r in found] == [
            ("1:丙:2222", "丙", "13700002222", None),
            ("1:乙:", "乙", None, None),
            ("1:甲:1111", "甲", "13900001111", None),  # named as the newest entry names them
        ]
        assert all(r[4] is None for r in found)
        assert links == {
            1: ids["1:甲:1111"],
            2: ids["1:甲:1111"],
            3: ids["1:乙:"],
            4: ids["1:乙:"],
            5: ids["1:丙:2222"],
        }
        with transaction(engine) as s:  # usable through the engine at once
            assert records.list_page(s, SYSTEM, tr.TrainingPersonSpec).total == 3
        migrate.downgrade(engine, "0016")
        with engine.connect() as conn:
            kept = conn.execute(
                text("SELECT id, person_name, phone, deleted_at IS NULL FROM training_enrolments ORDER BY id")
            ).all()
            assert "training_people" not in inspect(conn).get_table_names()
        assert [tuple(r) for r in kept] == [
            (1, "甲", "13800001111", True),
            (2, "甲", "13900001111", True),
            (3, "乙", None, True),
            (4, "乙", None, False),
            (5, "丙", "13700002222", False),
        ]
        migrate.upgrade(engine)
        assert migrate.is_current(engine)
    finally:
        engine.dispose()


# -- the register itself doubles nobody (its form, its import) ------------------------------------


def add_person(world: World, actor: Any, **values: Any) -> TrainingPerson:
    with transaction(world.engine) as s:
        made: TrainingPerson = records.create(s, actor, tr.TrainingPersonSpec, {"category": "nurse", **values})
        return made


def test_the_registers_form_refuses_a_person_it_holds_and_keeps_namesakes_apart(world: World) -> None:
    t = world.tree
    before = len(people(world.engine))
    for values in (
        {"org_unit_id": t["t1"], "name": "甲", "phone": "138 0000 1111"},  # the same name and phone
        {"org_unit_id": t["t1"], "name": "甲"},  # the same name and unit, no phone given
        {"org_unit_id": t["t1v1"], "name": "乙", "phone": "13700002222"},  # 乙 has no phone: name + unit
    ):
        with pytest.raises(ValidationError) as refused, transaction(world.engine) as s:
            records.create(s, world.t1_staff, tr.TrainingPersonSpec, {"category": "nurse", **values})
        assert [e.field for e in refused.value.errors] == ["name"]
        assert "已在学员名册中" in refused.value.message("zh-CN")
        assert "already in the trainee register" in refused.value.message("en")
    assert len(people(world.engine)) == before
    # a namesake of the same unit with another phone is another person; so is one elsewhere
    add_person(world, world.t1_staff, org_unit_id=t["t1"], name="甲", phone="13800009999")
    add_person(world, world.t1_staff, org_unit_id=t["t1v1"], name="甲", phone="13600001234")
    assert [p.name for p in people(world.engine)].count("甲") == 3
    # renaming someone into a person already held is refused too
    other = add_person(world, world.t1_staff, org_unit_id=t["t1v1"], name="丁")
    with pytest.raises(ValidationError) as renamed, transaction(world.engine) as s:
        records.update(s, world.t1_staff, tr.TrainingPersonSpec, other.id, {"name": "乙"}, other.version)
    assert renamed.value.errors[0].field == "name"


def test_the_rule_reads_only_the_people_the_user_may_see(world: World) -> None:
    t = world.tree
    t2_staff = make_user(world.engine, "reg_t2b", "staff", t["t2"])
    # 甲 (东关, 13800001111) is outside 西河's reach: the same name and phone there is allowed,
    # so a refusal can never tell 西河 who is in 东关's register
    made = add_person(world, t2_staff, org_unit_id=t["t2"], name="甲", phone="13800001111")
    assert made.org_unit_id == t["t2"]
    with transaction(world.engine) as s:
        assert tr.TrainingPersonSpec.find_same(s, world.head, {"name": "甲", "org_unit_id": t["t2"], "phone": None})


def test_a_register_imported_twice_adds_nobody_twice(world: World) -> None:
    t = world.tree
    t2_staff = make_user(world.engine, "reg_t2c", "staff", t["t2"])
    sheet = "姓名,性别,单位,类别,手机\n子,男,西河镇卫生院,村医,13600001111\n丑,女,西河村卫生室,护士,\n"
    with transaction(world.engine) as s:
        preview = records_io.check_import(s, t2_staff, tr.TrainingPersonSpec, sheet.encode("gbk"), "people.csv")
        assert records_io.apply_import(s, t2_staff, tr.TrainingPersonSpec, preview) == (2, 0)
    count = len(people(world.engine))
    with transaction(world.engine) as s:  # again, as new rows: each is named, nothing saved
        preview = records_io.check_import(s, t2_staff, tr.TrainingPersonSpec, sheet.encode("gbk"), "people.csv")
        assert [(e.row, e.column) for e in preview.errors] == [(2, "姓名"), (3, "姓名")]
        assert "子（西河镇卫生院）已在学员名册中" in preview.errors[0].message
    again = sheet.replace("丑,女,西河村卫生室,护士,", "丑,女,西河村卫生室,村医,")  # 丑 is a 村医 now
    with transaction(world.engine) as s:  # with "update existing": one unchanged, one updated
        preview = records_io.check_import(
            s, t2_staff, tr.TrainingPersonSpec, again.encode("gbk"), "people.csv", upsert=True
        )
        assert preview.ok and (preview.to_create, preview.to_update, preview.unchanged) == (0, 1, 1)
        assert records_io.apply_import(s, t2_staff, tr.TrainingPersonSpec, preview) == (0, 1)
    assert len(people(world.engine)) == count
    assert {p.name: p.category for p in people(world.engine)}["丑"] == "village_doctor"
    with transaction(world.engine) as s:
        updates = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.record_type == "training_people", AuditEntry.action == "update")
        )
        assert updates == 1


def test_one_file_naming_a_person_twice_saves_nobody(world: World) -> None:
    t2_staff = make_user(world.engine, "reg_t2d", "staff", world.tree["t2"])
    sheet = "姓名,性别,单位,类别,手机\n子,男,西河镇卫生院,村医,13600001111\n子,男,西河镇卫生院,村医,136 0000 1111\n"
    count = len(people(world.engine))
    with transaction(world.engine) as s:
        preview = records_io.check_import(s, t2_staff, tr.TrainingPersonSpec, sheet.encode("gbk"), "people.csv")
        assert [(e.row, e.column) for e in preview.errors] == [(3, "姓名")]  # the check names it
        assert "子（西河镇卫生院）已在学员名册中" in preview.errors[0].message
    assert len(people(world.engine)) == count
    with transaction(world.engine) as s:  # "update existing": the second row is the first's person
        preview = records_io.check_import(
            s, t2_staff, tr.TrainingPersonSpec, sheet.encode("gbk"), "people.csv", upsert=True
        )
        assert preview.ok
        records_io.apply_import(s, t2_staff, tr.TrainingPersonSpec, preview)
    assert [p.name for p in people(world.engine)].count("子") == 1
