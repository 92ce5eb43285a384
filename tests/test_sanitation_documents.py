"""Sanitation's documents: the rectification notice (整改通知书) of an inspection and a
period's ranking for the notice board, read back from the files; the same from the CLI;
out-of-scope readers get nothing."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from db.engine import transaction
from portal.errors import NotFound
from portal.programmes.sanitation import reports
from portal.programmes.sanitation import specs as sp
from portal.programmes.sanitation import view as sv
from portal.records import attachments
from tests.test_sanitation import D, inspect, world  # noqa: F401 - the shared world fixture

DUE = dt.date(2026, 4, 13)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def _texts(data: bytes) -> tuple[list[str], list[list[str]]]:
    doc = Document(io.BytesIO(data))
    paragraphs = [p.text for p in doc.paragraphs]
    rows = [[c.text for c in r.cells] for t in doc.tables for r in t.rows]
    return paragraphs, rows


@pytest.fixture
def scored(engine, world) -> dict[str, Any]:  # noqa: F811 - pytest's fixture by name
    w = world
    market = inspect(engine, w["t1staff"], w, "market", D(2026, 4, 6), [28, 18, 25, 20])  # 91: lost 2, 2, 0, 5
    inspect(engine, w["t1staff"], w, "street", D(2026, 4, 7), [30, 18, 25, 20])  # 93
    inspect(engine, w["t1staff"], w, "village", D(2026, 4, 14), [28, 18, 25, 20])  # 91: ties the market
    with transaction(engine) as s:
        sv.raise_rectification(s, w["t1staff"], market, "摊位周边垃圾清理", DUE)
        attachments.add(
            s, w["t1staff"], sp.InspectionSpec.slug, market, "photos", "摊位.jpg", _jpeg(), "摊位周边有垃圾"
        )
    return {**w, "market_inspection": market}


def test_the_notice_lists_deductions_problems_and_photo_captions(engine, scored) -> None:
    w = scored
    with transaction(engine) as s:
        data = reports.rectification_notice(s, w["t1head"], w["market_inspection"], "docx", "zh-CN")
    paragraphs, rows = _texts(data)
    text = "\n".join(paragraphs)
    assert "整改通知书" in text and "东关镇卫生院：" in text
    assert "2026-04-06对东关农贸市场进行了检查（每周大检查），得分 91 分（满分 100 分）" in text
    assert rows[0] == ["检查细则", "满分", "得分", "扣分", "说明"]
    assert [r[:4] for r in rows[1:]] == [
        ["地面无纸屑、无痰迹", "30", "28", "2"],
        ["桌椅摆放整齐", "20", "18", "2"],
        ["卫生工具摆放整齐", "25", "20", "5"],
    ]  # the item that lost nothing is not listed
    assert "摊位周边垃圾清理（整改期限：2026-04-13）" in text
    assert "摊位周边有垃圾" in text
    with transaction(engine) as s:
        english, _ = _texts(reports.rectification_notice(s, w["t1head"], w["market_inspection"], "docx", "en"))
    assert "Rectification notice" in "\n".join(english)
    with transaction(engine) as s, pytest.raises(NotFound):  # another township's inspection reads as not found
        reports.rectification_notice(s, w["t2staff"], w["market_inspection"], "docx", "zh-CN")
    with transaction(engine) as s, pytest.raises(reports.SanitationReportError):
        reports.rectification_notice(s, w["t1head"], w["market_inspection"], "xlsx", "zh-CN")


def test_the_ranking_document_shows_ties_and_the_flag_in_word_and_excel(engine, scored) -> None:
    w = scored
    with transaction(engine) as s:
        word = reports.ranking_document(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30), "docx")
        excel = reports.ranking_document(s, w["t1head"], w["campaign"], fmt="xlsx", lang="en")
    paragraphs, rows = _texts(word)
    assert "东关镇爱国卫生月 卫生检查评比结果" in paragraphs[0] or "东关镇爱国卫生月 卫生检查评比结果" in "\n".join(
        paragraphs
    )
    assert "流动红旗：东关主街" in "\n".join(paragraphs)
    assert [(r[0], r[1], r[4], r[5]) for r in rows[1:]] == [
        ("1", "东关主街", "93", "★"),
        ("2（并列）", "东关农贸市场", "91", ""),
        ("2（并列）", "东关村", "91", ""),
    ]
    sheet = load_workbook(io.BytesIO(excel)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[2][0] == "Red flag: 东关主街"
    assert [v[1] for v in values[4:7]] == ["东关主街", "东关农贸市场", "东关村"]


def test_the_ranking_document_by_groups_has_a_group_column_and_a_section_per_group(engine, scored) -> None:
    w = scored
    with transaction(engine) as s:
        word = reports.ranking_document(s, w["t1head"], w["campaign"], fmt="docx", grouped=True)
        excel = reports.ranking_document(s, w["t1head"], w["campaign"], fmt="xlsx", grouped=True)
    paragraphs, _ = _texts(word)
    text = "\n".join(paragraphs)
    assert "流动红旗（各组第一）：东关镇卫生院 · 东关主街、东关村卫生室 · 东关村" in text
    assert "组：东关镇卫生院" in paragraphs and "组：东关村卫生室" in paragraphs
    assert paragraphs.index("组：东关镇卫生院") < paragraphs.index("组：东关村卫生室")
    doc = Document(io.BytesIO(word))
    tables = [[[c.text for c in r.cells] for r in table.rows] for table in doc.tables]
    assert [[(r[0], r[1], r[5]) for r in table[1:]] for table in tables] == [
        [("1", "东关主街", "★"), ("2", "东关农贸市场", "")],
        [("1", "东关村", "★")],  # a group of its own: its own rank and flag
    ]
    sheet = load_workbook(io.BytesIO(excel)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[3][:3] == ["组", "名次", "区域"]
    assert [(v[0], v[1], v[2], v[6]) for v in values[4:7]] == [
        ("东关镇卫生院", "1", "东关主街", "★"),
        ("东关镇卫生院", "2", "东关农贸市场", None),
        ("东关村卫生室", "1", "东关村", "★"),
    ]


def test_the_cli_writes_both_documents(engine, scored, tmp_path, monkeypatch) -> None:
    from portal.cli import main

    w = scored
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    notice = tmp_path / "notice.docx"
    assert main(["report", "rectification-notice", "--inspection", str(w["market_inspection"]), "-o", str(notice)]) == 0
    assert "摊位周边垃圾清理（整改期限：2026-04-13）" in "\n".join(_texts(notice.read_bytes())[0])
    ranking = tmp_path / "ranking.xlsx"
    assert main(["report", "sanitation-ranking", "--campaign", str(w["campaign"]), "-o", str(ranking)]) == 0
    assert load_workbook(ranking).worksheets[0]["B5"].value == "东关主街"
    grouped = tmp_path / "grouped.xlsx"
    args = ["report", "sanitation-ranking", "--campaign", str(w["campaign"]), "--grouped", "-o", str(grouped)]
    assert main(args) == 0
    sheet = load_workbook(grouped).worksheets[0]
    assert (sheet["A4"].value, sheet["A5"].value, sheet["C7"].value) == ("组", "东关镇卫生院", "东关村")
    assert (
        main(
            [
                "report",
                "rectification-notice",
                "--inspection",
                str(w["market_inspection"]),
                "-o",
                str(tmp_path / "n.xlsx"),
            ]
        )
        == 2
    )
