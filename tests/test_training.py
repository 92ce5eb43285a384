"""Training (issue 11): quotas and capacity on the roster, grades and hours computed, the
attendance and score grids saved all-or-nothing and audited, scoping by unit, the
session's and the units' figures, the hours ledger and the TR indicators."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from db.engine import transaction
from db.models import AuditEntry, TrainingAssessment, TrainingAttendance, TrainingEnrolment
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.metrics import indicators
from portal.org.scope import SYSTEM, Actor
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr
from portal.records import service as records
from portal.records.service import RowsRefused, StaleRows
from tests.conftest import make_user

START = dt.date(2026, 4, 13)  # a Monday; two days = four half-days
AM1, PM1, AM2, PM2 = tr.half_days(START, 4)


@dataclass
class World:
    engine: Engine
    tree: dict[str, int]
    head: Actor
    trainer: Actor  # the county's trainer, the session's account
    t1_trainer: Actor
    t2_trainer: Actor
    t1_staff: Actor
    programme: int
    run: int
    people: dict[str, int]  # name -> enrolment id


def enrol(engine: Engine, actor: Actor, run: int, unit: int, name: str, **extra: Any) -> int:
    with transaction(engine) as s:
        row = records.create(
            s,
            actor,
            tr.TrainingEnrolmentSpec,
            {"session_id": run, "org_unit_id": unit, "person_name": name, "category": "assistant", **extra},
        )
        return int(row.id)


@pytest.fixture
def world(engine: Engine, tree: dict[str, int]) -> World:
    return make_world(engine, tree)


def make_world(engine: Engine, tree: dict[str, int]) -> World:
    """Users at the county and two townships, the county's 协管员 programme (township
    centres 2 places each, 西河 3) and its first session with 甲, 乙 (东关) and 丙 (西河)."""
    head = make_user(engine, "tr_head", "head", tree["county"])
    trainer = make_user(engine, "tr_trainer", "trainer", tree["county"])
    t1_trainer = make_user(engine, "tr_t1", "trainer", tree["t1"])
    t2_trainer = make_user(engine, "tr_t2", "trainer", tree["t2"])
    t1_staff = make_user(engine, "tr_t1_staff", "staff", tree["t1"])
    with transaction(engine) as s:
        programme = records.save(
            s,
            head,
            tr.TrainingProgrammeSpec,
            None,
            {
                "organiser_unit_id": tree["county"],
                "year": 2026,
                "title": "卫生监督协管员培训",
                "category": "assistant",
                "hours": 12,
            },
            children={
                "training_quotas": [
                    records_row(unit_type="township_hc", quota=2),
                    records_row(unit_id=tree["t2"], quota=3),
                ]
            },
        )
        run = records.create(
            s,
            head,
            tr.TrainingSessionSpec,
            {
                "programme_id": programme.id,
                "title": "协管员培训第一期",
                "start_date": START,
                "half_days": 4,
                "hours_per_half_day": 3,
                "trainer_user_id": trainer.id,
            },
        )
        programme_id, run_id = int(programme.id), int(run.id)
    people = {
        "甲": enrol(engine, t1_staff, run_id, tree["t1"], "甲", phone="13800001111"),
        "乙": enrol(engine, t1_staff, run_id, tree["t1v1"], "乙"),
        "丙": enrol(engine, head, run_id, tree["t2"], "丙", category="supervisor"),
    }
    return World(engine, tree, head, trainer, t1_trainer, t2_trainer, t1_staff, programme_id, run_id, people)


def records_row(**values: Any) -> Any:
    from portal.records.grid import RowChange

    return RowChange(values=values)


def mark(world: World, actor: Actor, edits: dict[tuple[int, str], Any]) -> Any:
    with transaction(world.engine) as s:
        run = training.get_session(s, actor, world.run)
        loaded = training.attendance_cells(s, actor, run)
    with transaction(world.engine) as s:
        return training.save_attendance(s, actor, world.run, loaded, edits)


def score(world: World, actor: Actor, edits: dict[tuple[int, int], Any]) -> Any:
    with transaction(world.engine) as s:
        run = training.get_session(s, actor, world.run)
        loaded = training.score_cells(s, actor, run)
    with transaction(world.engine) as s:
        return training.save_scores(s, actor, world.run, loaded, edits)


# -- the declarations ----------------------------------------------------------------------------


def test_half_days_and_end_date_are_computed(world: World) -> None:
    assert (AM1, PM1, AM2, PM2) == ("2026-04-13/am", "2026-04-13/pm", "2026-04-14/am", "2026-04-14/pm")
    with transaction(world.engine) as s:
        run = training.get_session(s, world.head, world.run)
        assert run.end_date == dt.date(2026, 4, 14)
        assert run.organiser_unit_id == world.tree["county"]
        assert run.status == "planned"


@pytest.mark.parametrize(
    ("score_", "grade"),
    [(100, "excellent"), (90, "excellent"), (89.5, "good"), (80, "good"), (79, "pass"), (60, "pass"), (59.9, "fail")],
)
def test_grade_from_the_default_bands(score_: float, grade: str) -> None:
    assert tr.grade(score_) == grade


def test_quota_refusal_names_the_unit_the_quota_and_the_holders(world: World) -> None:
    # 东关镇卫生院 (a township centre: 2 places by type) holds 甲 and 乙 already (乙's clinic
    # is its own unit with no quota line, so only 甲 counts): one more place, then full.
    enrol(world.engine, world.t1_staff, world.run, world.tree["t1"], "丁")
    with pytest.raises(ValidationError) as refused, transaction(world.engine) as s:
        records.create(
            s,
            world.t1_staff,
            tr.TrainingEnrolmentSpec,
            {"session_id": world.run, "org_unit_id": world.tree["t1"], "person_name": "戊", "category": "assistant"},
        )
    message = refused.value.message("zh-CN")
    assert "东关镇卫生院的名额为 2 人，已由 甲、丁 占满" in message
    assert "quota is 2, already held by 甲、丁" in refused.value.message("en")
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count()).where(TrainingEnrolment.person_name == "戊")) == 0
    # A withdrawal frees the place.
    with transaction(world.engine) as s:
        row = s.scalar(select(TrainingEnrolment).where(TrainingEnrolment.person_name == "丁"))
        assert row is not None
        records.update(s, world.t1_staff, tr.TrainingEnrolmentSpec, row.id, {"status": "withdrawn"}, row.version)
    enrol(world.engine, world.t1_staff, world.run, world.tree["t1"], "戊")


def test_a_units_own_quota_wins_over_its_type_and_capacity_is_checked(world: World) -> None:
    for name in ("丙2", "丙3"):  # 西河 has its own line: 3
        enrol(world.engine, world.head, world.run, world.tree["t2"], name)
    with pytest.raises(ValidationError) as refused, transaction(world.engine) as s:
        records.create(
            s,
            world.head,
            tr.TrainingEnrolmentSpec,
            {"session_id": world.run, "org_unit_id": world.tree["t2"], "person_name": "丙4", "category": "doctor"},
        )
    assert "西河镇卫生院的名额为 3 人，已由 丙、丙2、丙3 占满" in refused.value.message("zh-CN")
    with transaction(world.engine) as s:
        run = training.get_session(s, world.head, world.run)
        records.update(s, world.head, tr.TrainingSessionSpec, run.id, {"capacity": 5}, run.version)
    with pytest.raises(ValidationError) as full, transaction(world.engine) as s:
        records.create(
            s,
            world.head,
            tr.TrainingEnrolmentSpec,
            {"session_id": world.run, "org_unit_id": world.tree["school"], "person_name": "校医", "category": "doctor"},
        )
    assert "容量 5 人已满" in full.value.message("zh-CN")


def test_a_township_cannot_change_the_countys_programme(world: World) -> None:
    with pytest.raises(ValidationError) as refused, transaction(world.engine) as s:
        programme = records.get(s, world.t1_trainer, tr.TrainingProgrammeSpec, world.programme)
        records.update(s, world.t1_trainer, tr.TrainingProgrammeSpec, programme.id, {"hours": 1}, programme.version)
    assert "示范县卫生健康局" in refused.value.message("zh-CN")


# -- scoping ----------------------------------------------------------------------------------------


def test_a_township_trainer_sees_only_their_townships_roster(world: World) -> None:
    with transaction(world.engine) as s:
        run = training.get_session(s, world.t1_trainer, world.run)  # the calendar is public
        assert {e.name for e in training.roster(s, world.t1_trainer, run)} == {"甲", "乙"}
        assert {e.name for e in training.roster(s, world.t2_trainer, run)} == {"丙"}
        assert {e.name for e in training.roster(s, world.trainer, run)} == {"甲", "乙", "丙"}  # the session's trainer
        listed = records.list_page(s, world.t2_trainer, tr.TrainingEnrolmentSpec).rows
        assert [r.person_name for r in listed] == ["丙"]
        with pytest.raises(NotFound):
            records.get(s, world.t2_trainer, tr.TrainingEnrolmentSpec, world.people["甲"])


def test_only_who_runs_the_session_marks_it(world: World) -> None:
    with pytest.raises(PermissionDenied):
        mark(world, world.t1_trainer, {(world.people["甲"], AM1): "present"})
    with pytest.raises(PermissionDenied):
        mark(world, world.t1_staff, {(world.people["甲"], AM1): "present"})
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(TrainingAttendance)) == 0


# -- the attendance grid ----------------------------------------------------------------------------


def test_attendance_grid_saves_audited_marks_with_hours(world: World) -> None:
    p = world.people
    saved = mark(
        world,
        world.trainer,
        {
            (p["甲"], AM1): "present",
            (p["甲"], PM1): "late",
            (p["乙"], AM1): "early",
            (p["乙"], PM1): "absent",
            (p["丙"], AM1): "leave",
        },
    )
    assert (saved.created, saved.updated) == (5, 0)
    with transaction(world.engine) as s:
        rows = {(m.enrolment_id, m.half_day): m for m in s.scalars(select(TrainingAttendance))}
        assert rows[(p["甲"], AM1)].hours == 3 and rows[(p["甲"], AM1)].present
        assert rows[(p["甲"], PM1)].hours == 3 and rows[(p["甲"], PM1)].present
        assert rows[(p["乙"], AM1)].hours == 1.5
        assert rows[(p["乙"], PM1)].hours == 0 and not rows[(p["乙"], PM1)].present
        assert rows[(p["丙"], AM1)].org_unit_id == world.tree["t2"]
        assert rows[(p["丙"], AM1)].category == "supervisor"
        assert rows[(p["甲"], AM1)].day == START
        assert rows[(p["甲"], AM1)].person_id.endswith(":甲:1111")
        audited = s.scalars(
            select(AuditEntry).where(AuditEntry.record_type == "training_attendance", AuditEntry.action == "create")
        ).all()
        assert len(audited) == 5 and {e.actor_name for e in audited} == {"tr_trainer"}
    # A change of status is one update (hours follow); unchanged cells write nothing.
    saved = mark(world, world.trainer, {(p["乙"], PM1): "present", (p["甲"], AM1): "present"})
    assert (saved.created, saved.updated) == (0, 1)
    with transaction(world.engine) as s:
        row = s.scalar(
            select(TrainingAttendance).where(
                TrainingAttendance.enrolment_id == p["乙"], TrainingAttendance.half_day == PM1
            )
        )
        assert row is not None and row.hours == 3 and row.version == 2


def test_attendance_grid_is_all_or_nothing(world: World) -> None:
    p = world.people
    with pytest.raises(RowsRefused) as refused:
        mark(world, world.trainer, {(p["甲"], AM1): "present", (p["乙"], "2026-05-01/am"): "present"})
    assert [e.row for e in refused.value.errors] == [2]
    assert "不在本场次的日程内" in refused.value.errors[0].message("zh-CN")
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(TrainingAttendance)) == 0
        assert s.scalar(select(func.count()).where(AuditEntry.record_type == "training_attendance")) == 0


def test_two_trainers_saving_one_grid_the_second_is_refused(world: World) -> None:
    p = world.people
    mark(world, world.trainer, {(p["甲"], AM1): "present"})
    with transaction(world.engine) as s:
        run = training.get_session(s, world.head, world.run)
        seen_by_head = training.attendance_cells(s, world.head, run)
    mark(world, world.trainer, {(p["甲"], AM1): "late"})
    with pytest.raises(StaleRows) as stale, transaction(world.engine) as s:
        training.save_attendance(s, world.head, world.run, seen_by_head, {(p["甲"], AM1): "absent"})
    assert stale.value.rows[0][1] == "甲" and stale.value.rows[0][2] == "tr_trainer"
    with transaction(world.engine) as s:
        assert s.scalar(select(TrainingAttendance.status)) == "late"


def test_a_summarised_session_freezes_its_marks(world: World) -> None:
    p = world.people
    mark(world, world.trainer, {(p["甲"], AM1): "present"})
    with transaction(world.engine) as s:
        for step in ("open", "finish", "summarise"):
            run = training.get_session(s, world.trainer, world.run)
            records.transition(s, world.trainer, tr.TrainingSessionSpec, run.id, step)
    with pytest.raises(RowsRefused) as refused:
        mark(world, world.trainer, {(p["甲"], AM1): "absent", (p["乙"], AM1): "present"})
    assert {e.row for e in refused.value.errors} == {1, 2}
    assert "“协管员培训第一期”已总结锁定" in refused.value.errors[0].message("zh-CN")
    with pytest.raises(ValidationError):  # clearing a mark is a delete: refused too
        mark(world, world.trainer, {(p["甲"], AM1): None})
    with pytest.raises(RowsRefused):
        score(world, world.trainer, {(p["甲"], 1): 90})
    with transaction(world.engine) as s:
        assert list(s.scalars(select(TrainingAttendance.status))) == ["present"]


# -- scores, figures, ledger, indicators ------------------------------------------------------------


def test_scores_grade_and_figures(world: World) -> None:
    p = world.people
    saved = score(world, world.trainer, {(p["甲"], 1): 95, (p["乙"], 1): 82, (p["丙"], 1): 55})
    assert saved.created == 3
    with transaction(world.engine) as s:
        grades = {a.enrolment_id: (a.grade, a.passed, a.assessed_on) for a in s.scalars(select(TrainingAssessment))}
    assert grades[p["甲"]] == ("excellent", True, dt.date(2026, 4, 14))
    assert grades[p["乙"]][:2] == ("good", True)
    assert grades[p["丙"]][:2] == ("fail", False)
    mark(
        world,
        world.trainer,
        {(p["甲"], AM1): "present", (p["乙"], AM1): "absent", (p["丙"], AM1): "late", (p["甲"], PM1): "present"},
    )
    with transaction(world.engine) as s:
        run = training.get_session(s, world.head, world.run)
        figures = training.session_figures(s, world.head, run)
        assert (figures.marks, figures.present) == (4, 3)
        assert figures.attendance_rate == pytest.approx(75.0)
        assert figures.pass_rate == pytest.approx(200 / 3)
        assert figures.grade_share("excellent") == pytest.approx(100 / 3)
        per_unit = dict(training.unit_figures(s, world.head, 2026))
        assert per_unit["东关镇卫生院"].attendance_rate == pytest.approx(200 / 3)  # 甲 ×2 present, 乙 absent
        assert per_unit["西河镇卫生院"].pass_rate == 0
        # a township trainer's figures are their township's
        t1 = training.session_figures(s, world.t1_trainer, run)
        assert (t1.marks, t1.results) == (3, 2)


def test_hours_ledger_and_tr_indicators(world: World) -> None:
    p = world.people
    mark(world, world.trainer, {(p["甲"], h): "present" for h in (AM1, PM1, AM2, PM2)} | {(p["丙"], AM1): "early"})
    score(world, world.trainer, {(p["甲"], 1): 91, (p["乙"], 1): 70})
    with transaction(world.engine) as s:
        ledger = training.hours_ledger(s, world.head, 2026)
        assert [(line.name, line.hours, line.minimum, line.below) for line in ledger] == [
            ("丙", 1.5, 40.0, True),
            ("甲", 12.0, 20.0, True),
        ]
        assert [line.name for line in training.hours_ledger(s, world.t1_staff, 2026)] == ["甲"]
        library_values = _indicator_values(s, world.tree["county"])
    assert library_values["TR-PASS"] == pytest.approx(100.0)
    assert library_values["TR-EXCELLENT"] == pytest.approx(50.0)
    assert library_values["TR-ATTEND"] == pytest.approx(100.0)
    assert library_values["TR-HOURS-20"] == pytest.approx(12.0)
    assert library_values["TR-HOURS-40"] == pytest.approx(1.5)


def _indicator_values(s: Any, unit_id: int) -> dict[str, float | None]:
    from db.models import OrgUnit
    from portal.metrics import library

    library.ensure_builtin(s)
    unit = s.get(OrgUnit, unit_id)
    ref = indicators.UnitRef(unit_id, unit.path)
    out = {}
    for indicator in indicators.active_indicators(s):
        if indicator.area == "tr":
            definition = indicators.definition_of(indicator)
            found = indicators.compute(s, definition, [ref], dt.date(2026, 1, 1), dt.date(2026, 12, 31))
            out[indicator.code] = found[unit_id].actual
    return out


def test_system_actor_sees_every_roster(world: World) -> None:
    with transaction(world.engine) as s:
        run = training.get_session(s, SYSTEM, world.run)
        assert len(training.roster(s, SYSTEM, run)) == 3


# -- paper: the sign-in register and the training summary ---------------------------------------


def _docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    import io

    from docx import Document

    doc = Document(io.BytesIO(data))
    tables = [[[c.text for c in row.cells] for row in table.rows] for table in doc.tables]
    return "\n".join(p.text for p in doc.paragraphs), tables


def test_signin_register_lists_the_roster_with_a_signature_column_per_half_day(world: World) -> None:
    import io

    from openpyxl import load_workbook

    from portal.programmes.training import reports

    with transaction(world.engine) as s:
        docx = reports.signin_sheet(s, world.trainer, world.run, "docx")
        xlsx = reports.signin_sheet(s, world.trainer, world.run, "xlsx")
        township = reports.signin_sheet(s, world.t1_trainer, world.run, "docx")
    text, tables = _docx_text(docx)
    assert "协管员培训第一期 签到表" in text and "共 3 人" in text
    header, *rows = tables[0]
    assert header[-4:] == ["04-13 上午 签名", "04-13 下午 签名", "04-14 上午 签名", "04-14 下午 签名"]
    assert [r[1] for r in rows] == ["甲", "乙", "丙"]
    assert all(cell == "" for r in rows for cell in r[-4:])
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet["A1"].value == "协管员培训第一期 签到表"
    assert [sheet.cell(row=r, column=2).value for r in (4, 5, 6)] == ["甲", "乙", "丙"]
    # a township trainer's register holds only their township's people
    assert [r[1] for r in _docx_text(township)[1][0][1:]] == ["甲", "乙"]
    with pytest.raises(reports.TrainingReportError) as bad, transaction(world.engine) as s:
        reports.signin_sheet(s, world.trainer, world.run, "pdf")
    assert "pdf" in bad.value.message("zh-CN")


def test_training_summary_has_the_figures_and_the_narrative(world: World) -> None:
    import io

    from openpyxl import load_workbook

    from portal.programmes.training import reports

    p = world.people
    mark(world, world.trainer, {(p["甲"], AM1): "present", (p["乙"], AM1): "absent", (p["丙"], AM1): "late"})
    score(world, world.trainer, {(p["甲"], 1): 95, (p["乙"], 1): 85, (p["丙"], 1): 70})
    with transaction(world.engine) as s:
        run = training.get_session(s, world.trainer, world.run)
        records.update(s, world.trainer, tr.TrainingSessionSpec, run.id, {"summary": "培训效果良好。"}, run.version)
    with transaction(world.engine) as s:
        docx = reports.summary(s, world.trainer, world.run, "docx")
        xlsx = reports.summary(s, world.trainer, world.run, "xlsx")
    text, tables = _docx_text(docx)
    assert "协管员培训第一期 培训总结" in text and "培训效果良好。" in text
    assert "共登记考勤 3 人次：出勤 1，迟到 1，早退 0，请假 0，缺勤 1。" in text
    assert "参加结业考核 3 人：优秀 1，良好 1，合格 1，不合格 0。" in text
    overview = {row[0]: row[1] for row in tables[0]}
    assert overview["参训人数"] == "3" and overview["合格率"] == "100%" and overview["出勤率"] == "67%"
    by_unit = {row[0]: row[1:] for row in tables[1][1:]}
    assert by_unit["东关镇卫生院"] == ["1", "100%", "1", "100%"]
    assert by_unit["东关村卫生室"] == ["1", "0%", "1", "100%"]
    book = load_workbook(io.BytesIO(xlsx))
    roster = book.worksheets[2]
    assert [c.value for c in roster[2]][:6] == ["甲", "东关镇卫生院", "协管员", 3, 95, "优秀"]


def test_report_commands_write_the_files(world: World, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.cli import main

    monkeypatch.setenv("PORTAL_DATABASE_URL", world.engine.url.render_as_string(hide_password=False))
    out = tmp_path / "summary.docx"
    assert main(["report", "training-summary", "--session", str(world.run), "-o", str(out)]) == 0
    assert "培训总结" in _docx_text(out.read_bytes())[0]
    sheet = tmp_path / "signin.xlsx"
    assert main(["report", "signin-sheet", "--session", str(world.run), "--as", "tr_t2", "-o", str(sheet)]) == 0
    from openpyxl import load_workbook

    names = [c.value for c in load_workbook(sheet).active["B"]][3:]
    assert names == ["丙"]  # seen as 西河's trainer: only 西河's people


def test_a_grid_save_cannot_reach_another_sessions_marks(world: World) -> None:
    from portal.records.grid import Cell

    p = world.people
    mark(world, world.trainer, {(p["甲"], AM1): "present"})
    with transaction(world.engine) as s:
        other = records.create(
            s,
            world.head,
            tr.TrainingSessionSpec,
            {"programme_id": world.programme, "title": "第二期", "start_date": dt.date(2026, 5, 11)},
        )
        other_id = int(other.id)
        first_mark = s.scalar(select(TrainingAttendance))
        assert first_mark is not None
        forged = {(0, "2026-05-11/am"): Cell(first_mark.id, first_mark.version, "present")}
    newcomer = enrol(world.engine, world.head, other_id, world.tree["t2"], "庚")
    forged = {(newcomer, key[1]): cell for key, cell in forged.items()}
    with pytest.raises(NotFound), transaction(world.engine) as s:  # the first session's mark, passed as the second's
        training.save_attendance(s, world.head, other_id, forged, {(newcomer, "2026-05-11/am"): "absent"})
    with transaction(world.engine) as s:
        assert list(s.scalars(select(TrainingAttendance.status))) == ["present"]


def test_home_lists_the_session_the_trainer_runs_today(world: World) -> None:
    from portal import clock
    from portal.programmes.training import home

    p = world.people
    with clock.frozen(START):  # 10:00: the morning
        mark(world, world.trainer, {(p["甲"], AM1): "present"})
        with transaction(world.engine) as s:
            lines = home.todo(s, world.trainer, START, "zh-CN")
            assert [(x.kind, x.title, x.detail, x.query, x.count) for x in lines] == [
                (
                    "session_today",
                    "今天的培训：协管员培训第一期",
                    "— · 本半天已签到 1/3 人",
                    {"session": str(world.run)},
                    2,
                )
            ]
            assert home.todo(s, world.t1_trainer, START, "zh-CN") == []  # not theirs to run
            assert home.todo(s, world.t1_staff, START, "zh-CN") == []
            assert home.todo(s, world.trainer, START + dt.timedelta(days=2), "zh-CN") == []


def test_a_gbk_roster_imports_with_office_headings_and_a_second_import_doubles_nobody(world: World) -> None:
    from portal.records import io as records_io

    label = "协管员培训第一期 · 2026-04-13"
    csv_text = (
        "场次,姓名,性别,单位,岗位,手机\n"
        f"{label},钱七,女,西河村卫生室,信息员,13900007777\n"
        f"{label},孙八,男,西河镇卫生院,协管员,\n"
    )
    data = csv_text.encode("gbk")
    with transaction(world.engine) as s:
        preview = records_io.check_import(s, world.head, tr.TrainingEnrolmentSpec, data, "名单.csv")
        assert preview.ok, [e.message for e in preview.errors]
        assert records_io.apply_import(s, world.head, tr.TrainingEnrolmentSpec, preview) == (2, 0)
    with transaction(world.engine) as s:
        added = {
            r.person_name: (r.sex, r.category, r.phone)
            for r in s.scalars(select(TrainingEnrolment).where(TrainingEnrolment.person_name.in_(["钱七", "孙八"])))
        }
    assert added == {"钱七": ("f", "informant", "13900007777"), "孙八": ("m", "assistant", None)}
    with transaction(world.engine) as s:
        again = records_io.check_import(s, world.head, tr.TrainingEnrolmentSpec, data, "名单.csv")
    assert not again.ok
    assert sorted(e.row for e in again.errors) == [2, 3]
    assert "钱七 已在本场次的名单中" in " ".join(str(e.message) for e in again.errors)


def test_the_ledger_by_unit_and_its_workbook(world: World) -> None:
    import io

    from openpyxl import load_workbook

    from portal.programmes.training import reports

    p = world.people
    mark(world, world.trainer, {(p["甲"], AM1): "present", (p["乙"], AM1): "present", (p["丙"], AM1): "present"})
    with transaction(world.engine) as s:
        lines = training.hours_ledger(s, world.head, 2026)
        assert training.ledger_by_unit(lines) == [
            ("东关村卫生室", 1, 1),
            ("东关镇卫生院", 1, 1),
            ("西河镇卫生院", 1, 1),
        ]
        data = reports.ledger_xlsx(s, world.head, 2026)
        mine = reports.ledger_xlsx(s, world.t2_trainer, 2026)
    book = load_workbook(io.BytesIO(data))
    people = [[c.value for c in row] for row in book.worksheets[1].iter_rows(min_row=2)]
    assert sorted(r[0] for r in people) == ["丙", "乙", "甲"]
    assert next(r for r in people if r[0] == "丙")[3:] == [3, 40, 37, 0]
    assert [r[0].value for r in load_workbook(io.BytesIO(mine)).worksheets[1].iter_rows(min_row=2)] == ["丙"]


def test_an_office_roster_without_a_session_column_imports_into_the_session(world: World) -> None:
    import io

    from openpyxl import Workbook

    from portal.records import io as records_io

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "性别", "单位", "岗位", "手机"])
    sheet.append(["周九", "男", "西河镇卫生院", "协管员", 13900009999])
    sheet.append(["吴十", "女", "西河村卫生室", "村医", None])
    data = io.BytesIO()
    book.save(data)
    with transaction(world.engine) as s:
        run = training.get_session(s, world.head, world.run)
        ready = training.roster_file(s, run, data.getvalue(), "名单.xlsx")
        preview = records_io.check_import(s, world.head, tr.TrainingEnrolmentSpec, ready, "名单.csv")
        assert preview.ok, [e.message for e in preview.errors]
        assert records_io.apply_import(s, world.head, tr.TrainingEnrolmentSpec, preview) == (2, 0)
    with transaction(world.engine) as s:
        added = {
            r.person_name: (r.session_id, r.category, r.phone)
            for r in s.scalars(select(TrainingEnrolment).where(TrainingEnrolment.person_name.in_(["周九", "吴十"])))
        }
    assert added == {"周九": (world.run, "assistant", "13900009999"), "吴十": (world.run, "village_doctor", None)}
