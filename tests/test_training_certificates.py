"""The certificate list (结业证书名单) of a session: who passed (a retest's pass counts), with
score, grade, certificate number and the 学时 earned, read back from the workbook; seen as
the actor sees the roster; from the page's builder and from `python -m portal report
certificate-list`."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from db.engine import transaction
from db.models import TrainingAssessment
from portal.programmes.training import reports
from portal.programmes.training import specs as tr
from portal.records import service as records
from tests.test_training import AM1, PM1, World, make_world, mark, score


@pytest.fixture
def world(engine: Engine, tree: dict[str, int]) -> World:
    w = make_world(engine, tree)
    p = w.people
    mark(w, w.trainer, {(p["甲"], AM1): "present", (p["甲"], PM1): "early", (p["乙"], AM1): "late"})
    # 甲 excellent; 乙 fails the final test and passes the retest; 丙 fails and has no retest
    score(w, w.trainer, {(p["甲"], 1): 95, (p["乙"], 1): 50, (p["丙"], 1): 40})
    score(w, w.trainer, {(p["乙"], 2): 72})
    with transaction(engine) as s:
        result = s.scalar(
            select(TrainingAssessment).where(
                TrainingAssessment.enrolment_id == p["甲"], TrainingAssessment.attempt == 1
            )
        )
        assert result is not None
        records.update(s, w.trainer, tr.TrainingAssessmentSpec, result.id, {"certificate_no": "XG-2026-001"}, 1)
        records.update(s, w.head, tr.TrainingProgrammeSpec, w.programme, {"credit_type": "Ⅱ类学分"}, 1)
    return w


def rows_of(data: bytes) -> tuple[Any, list[list[Any]]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return sheet, [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]


def test_the_certificate_list_names_who_passed(world: World) -> None:
    with transaction(world.engine) as s:
        data = reports.certificate_list(s, world.trainer, world.run, "xlsx")
    sheet, (header, *rows) = rows_of(data)
    assert sheet.title == "证书名单"
    assert sheet["A1"].value == "协管员培训第一期 结业证书名单"
    assert "考核合格 2 人" in sheet["A2"].value
    assert header == [
        "序号",
        "姓名",
        "性别",
        "单位",
        "人员类别",
        "成绩",
        "等级",
        "考核次数",
        "证书编号",
        "获得学时",
        "学分类型",
    ]
    assert rows == [
        [1, "甲", None, "东关镇卫生院", "协管员", 95, "优秀", 1, "XG-2026-001", 4.5, "Ⅱ类学分"],
        [2, "乙", None, "东关村卫生室", "协管员", 72, "合格", 2, None, 3, "Ⅱ类学分"],
    ]  # 丙 (40, no retest) is not listed; 甲's 早退 earned half a half-day


def test_the_list_follows_the_actors_roster_and_language(world: World) -> None:
    with transaction(world.engine) as s:
        township = reports.certificate_list(s, world.t2_trainer, world.run, "xlsx")  # 西河: only 丙, who failed
        english = reports.certificate_list(s, world.trainer, world.run, "xlsx", "en")
        with pytest.raises(reports.TrainingReportError) as refused:
            reports.certificate_list(s, world.trainer, world.run, "docx")
    assert rows_of(township)[1][1:] == []
    sheet, (header, *rows) = rows_of(english)
    assert sheet["A1"].value == "协管员培训第一期: certificate list"
    assert header[1] == "Name" and header[-2:] == ["Hours earned", "Credit type"]
    assert [r[6] for r in rows] == ["Excellent", "Pass"]
    assert "xlsx" in refused.value.message("en") and "docx" in refused.value.message("zh-CN")


def test_the_cli_writes_the_certificate_list(world: World, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.cli import main

    monkeypatch.setenv("PORTAL_DATABASE_URL", world.engine.url.render_as_string(hide_password=False))
    out = tmp_path / "certificates.xlsx"
    assert main(["report", "certificate-list", "--session", str(world.run), "-o", str(out)]) == 0
    assert [r[1] for r in rows_of(out.read_bytes())[1][1:]] == ["甲", "乙"]
    mine = tmp_path / "t1.xlsx"
    assert main(["report", "certificate-list", "--session", str(world.run), "--as", "tr_t1", "-o", str(mine)]) == 0
    assert [r[1] for r in rows_of(mine.read_bytes())[1][1:]] == ["甲", "乙"]  # 东关 and its village clinic
    assert main(["report", "certificate-list", "--session", str(world.run), "-o", str(tmp_path / "c.docx")]) == 2
    assert not (tmp_path / "c.docx").exists()
