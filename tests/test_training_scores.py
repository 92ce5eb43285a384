"""Score import (成绩导入): an office's score sheet (CSV in GBK or UTF-8, or Excel) into one
session, each row matched to the roster by name + phone ending or name + unit; every problem
named by row and column, nothing saved while any row is wrong; a clean file saved as one
audited grid save, grades from the programme's bands."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from db.engine import transaction
from db.models import AuditEntry, TrainingAssessment
from portal.errors import PermissionDenied
from portal.programmes.training import scores
from tests.test_training import World, enrol, make_world


@pytest.fixture
def world(engine: Engine, tree: dict[str, int]) -> World:
    w = make_world(engine, tree)
    # two people called 丁 at 西河 (its quota is 3): the unit alone cannot tell them apart
    w.people["丁2"] = enrol(engine, w.head, w.run, tree["t2"], "丁", phone="13900002222")
    w.people["丁3"] = enrol(engine, w.head, w.run, tree["t2"], "丁", phone="139-0000-3333")
    return w


def results(engine: Engine) -> dict[tuple[int, int], tuple[float, str, bool, str | None]]:
    with transaction(engine) as s:
        return {
            (a.enrolment_id, a.attempt): (a.score, a.grade, a.passed, a.certificate_no)
            for a in s.scalars(select(TrainingAssessment).where(TrainingAssessment.deleted_at.is_(None)))
        }


def audit_count(engine: Engine) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.count()).where(AuditEntry.record_type == "training_assessments")) or 0


def run_import(world: World, data: bytes, filename: str, actor: Any = None) -> Any:
    with transaction(world.engine) as s:
        return scores.import_scores(s, actor or world.trainer, world.run, data, filename)


def check(world: World, data: bytes, filename: str, lang: str = "zh-CN") -> scores.ScorePreview:
    with transaction(world.engine) as s:
        return scores.check_scores(s, world.trainer, world.run, data, filename, lang)


def test_a_gbk_score_sheet_imports_by_phone_ending_or_unit(world: World) -> None:
    p = world.people
    sheet = (
        "序号,姓名,工作单位,手机号,成绩,备注\n"
        "1,甲,,1111,95,\n"  # the phone's last four digits
        "2,乙,东关村卫生室,,58,\n"  # no phone on the roster: name + unit
        "\n"  # a blank line: row numbers still as the spreadsheet shows them
        "4,丙,西河镇卫生院,,81.5,\n"
        "5,丁,西河镇卫生院,13900003333,66,\n"  # two 丁 at 西河: the phone tells them apart
    ).encode("gbk")
    preview = check(world, sheet, "成绩.csv")
    assert preview.ok, preview.errors
    assert (preview.to_create, preview.to_update, preview.unchanged) == (4, 0, 0)
    assert [line.row for line in preview.lines] == [2, 3, 5, 6]
    saved = run_import(world, sheet, "成绩.csv")
    assert (saved.created, saved.updated) == (4, 0)
    assert results(world.engine) == {
        (p["甲"], 1): (95, "excellent", True, None),
        (p["乙"], 1): (58, "fail", False, None),
        (p["丙"], 1): (81.5, "good", True, None),
        (p["丁3"], 1): (66, "pass", True, None),
    }
    assert audit_count(world.engine) == 4  # one audit entry per result
    # the same file again changes nothing and writes no audit entry
    again = check(world, sheet, "成绩.csv")
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 4)
    assert run_import(world, sheet, "成绩.csv").changed == 0
    assert audit_count(world.engine) == 4


def test_an_excel_sheet_with_a_retest_and_certificate_numbers_updates_in_place(world: World) -> None:
    p = world.people
    first = "姓名,单位,成绩\n乙,东关村卫生室,58\n".encode()
    run_import(world, first, "first.csv")
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["姓名", "手机", "单位", "成绩", "考核次数", "证书编号"])
    ws.append(["甲", 13800001111, None, 88, 1, "XG-001"])  # a phone typed as a number
    ws.append(["乙", None, "东关村卫生室", 62, 1, None])  # the final test corrected
    ws.append(["乙", None, "东关村卫生室", 75, 2, "XG-002"])  # and a retest
    out = io.BytesIO()
    book.save(out)
    saved = run_import(world, out.getvalue(), "scores.xlsx")
    assert (saved.created, saved.updated) == (2, 1)
    assert results(world.engine) == {
        (p["甲"], 1): (88, "good", True, "XG-001"),
        (p["乙"], 1): (62, "pass", True, None),
        (p["乙"], 2): (75, "pass", True, "XG-002"),
    }
    with transaction(world.engine) as s:
        corrected = s.scalar(
            select(AuditEntry)
            .where(AuditEntry.record_type == "training_assessments", AuditEntry.action == "update")
            .order_by(AuditEntry.id.desc())
        )
        assert corrected is not None and corrected.actor_name == "tr_trainer"
        assert corrected.before["score"] == 58 and corrected.after["score"] == 62


def test_every_bad_row_is_named_and_nothing_is_saved(world: World) -> None:
    sheet = (
        "姓名,手机,单位,成绩,考核次数\n"
        "甲,1111,,95,\n"  # good
        "戊,,东关镇卫生院,80,\n"  # not on the roster
        "丁,,西河镇卫生院,70,\n"  # two 丁 at 西河
        "甲,,东关镇卫生院,96,\n"  # 甲's final test twice
        "丙,,西河镇卫生院,150,\n"  # out of range
        "乙,,东关村卫生室,良好,\n"  # not a number
        "丁,12,,70,\n"  # too few digits
        ",1111,,70,\n"  # no name
        "丙,,,70,\n"  # neither phone nor unit
        "丙,,西河镇卫生院,70,9\n"  # no such attempt
    ).encode()
    preview = check(world, sheet, "bad.csv")
    got = [(e.row, e.column) for e in preview.errors]
    assert got == [
        (3, "姓名"),
        (4, "姓名"),
        (5, "姓名"),
        (6, "成绩"),
        (7, "成绩"),
        (8, "手机"),
        (9, "姓名"),
        (10, "姓名"),
        (11, "考核次数"),
    ]
    messages = {e.row: e.message for e in preview.errors}
    assert messages[3] == "本期名单中没有 戊（单位 东关镇卫生院）"
    assert messages[4] == "本期名单中有 2 个 丁（单位 西河镇卫生院），请改用手机尾号区分"
    assert messages[5] == "甲 的这次考核成绩已在第 2 行出现"
    assert "100" in messages[6] and "12" in messages[8]
    english = check(world, sheet, "bad.csv", "en")
    assert english.errors[0].column == "Name" and "not on this session's roster" in english.errors[0].message
    with pytest.raises(scores.ScoresRefused) as refused:
        run_import(world, sheet, "bad.csv")
    assert len(refused.value.errors) == 9 and "9" in refused.value.message("en")
    assert results(world.engine) == {} and audit_count(world.engine) == 0  # not even 甲's good row


def test_a_refusal_when_saving_names_the_file_row(world: World) -> None:
    from portal.programmes.training import specs as tr
    from portal.records import service as records

    with transaction(world.engine) as s:  # the session is summarised: its results are frozen
        for step in ("open", "finish", "summarise"):
            records.transition(s, world.trainer, tr.TrainingSessionSpec, world.run, step)
    sheet = "姓名,手机,成绩\n甲,1111,95\n丙,,\n".encode()
    assert [(e.row, e.column) for e in check(world, sheet, "a.csv").errors] == [(3, "成绩"), (3, "姓名")]
    sheet = "姓名,手机,单位,成绩\n甲,1111,,95\n丙,,西河镇卫生院,70\n".encode()
    with pytest.raises(scores.ScoresRefused) as refused:
        run_import(world, sheet, "a.csv")
    rows = {(e.row, e.message) for e in refused.value.errors}
    assert {row for row, _ in rows} == {2, 3} and all("已总结" in m for _, m in rows)
    assert results(world.engine) == {}


def test_who_may_import_and_what_a_file_must_have(world: World) -> None:
    sheet = "姓名,手机,成绩\n甲,1111,95\n".encode()
    with pytest.raises(PermissionDenied):
        run_import(world, sheet, "a.csv", actor=world.t1_staff)
    for data, key in (
        ("姓名,手机\n甲,1111\n", "training.scores.missing_column"),
        ("手机,成绩\n1111,95\n", "training.scores.missing_column"),
        ("姓名,成绩\n甲,95\n", "training.scores.missing_who"),
    ):
        with pytest.raises(scores.ScoreImportError) as bad:
            check(world, data.encode(), "a.csv")
        assert bad.value.key == key
    with pytest.raises(scores.ScoreImportError) as bad:
        check(world, "姓名,手机\n甲,1111\n".encode(), "a.csv")
    assert "成绩" in bad.value.message("zh-CN") and "Score" in bad.value.message("en")
    assert results(world.engine) == {}
