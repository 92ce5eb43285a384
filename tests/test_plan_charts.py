"""The Monthly plans charts, checked through their Vega-Lite specs (to_dict): marks,
colours, data rows and the catalogue texts they carry."""

from __future__ import annotations

import pytest

from portal.charts import progress as charts
from portal.i18n import t
from portal.programmes.plans import charts as pc


def values(spec: dict, layer: dict | None = None) -> list[dict]:
    data = (layer or {}).get("data") or spec.get("data")
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def marks(spec: dict) -> list[str]:
    return [layer["mark"]["type"] for layer in spec["layer"]]


def colour_scale(spec: dict, index: int = 0) -> dict:
    return spec["layer"][index]["encoding"]["color"]["scale"]


def is_placeholder(spec: dict, lang: str = "zh-CN") -> bool:
    return values(spec, spec["layer"][0]) == [{"text": t("chart.no_data", lang)}]


# --- completion by month -------------------------------------------------------------------

MONTHS = [
    {"month": "2026年8月", "pct": None, "target": 100.0, "done": 0, "total": 0, "over": True},
    {"month": "2026年9月", "pct": 100.0, "target": 100.0, "done": 5, "total": 5, "over": True},
    {"month": "2026年10月", "pct": 60.0, "target": 100.0, "done": 3, "total": 5, "over": True},
    {"month": "2026年11月", "pct": 40.0, "target": 90.0, "done": 2, "total": 5, "over": False},
]


@pytest.mark.parametrize(
    "pct, target, over, status",
    [
        (None, 100, True, "no_target"),
        (80, None, False, "no_target"),
        (100, 100, True, "met"),
        (95, 90, False, "met"),
        (60, 100, True, "missed"),
        (60, 100, False, "behind"),
    ],
)
def test_completion_status(pct, target, over, status):
    assert pc.completion_status(pct, target, over) == status


def test_completion_chart_bars_target_ticks_and_labels():
    spec = pc.completion_chart(MONTHS, "zh-CN", "城关镇卫生院 计划事项完成率").to_dict()
    assert marks(spec) == ["bar", "tick", "text"]
    rows = values(spec)
    assert [r["status"] for r in rows] == ["no_target", "met", "missed", "behind"]
    assert [r["text"] for r in rows] == ["无事项", "5/5 · 100%", "3/5 · 60%", "2/5 · 40%"]
    assert [r["target"] for r in rows] == [100.0, 100.0, 100.0, 90.0]
    scale = colour_scale(spec)
    assert scale["domain"] == ["已达标", "进度落后", "未达标", "无事项"]
    assert scale["range"] == [charts.STATUS_COLOURS[s] for s in ("met", "behind", "missed", "no_target")]
    assert spec["layer"][0]["encoding"]["x"]["sort"] == [r["month"] for r in MONTHS]
    assert spec["title"]["text"] == "城关镇卫生院 计划事项完成率"
    assert spec["title"]["subtitle"] == t("plans.chart.completion_key")
    assert spec["layer"][1]["transform"] == [{"filter": "isValid(datum.target)"}]


def test_completion_chart_in_english_and_empty():
    spec = pc.completion_chart(MONTHS[1:2], "en").to_dict()
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Completion (%)"
    assert values(spec)[0]["status_text"] == "Met"
    assert is_placeholder(pc.completion_chart([], "zh-CN").to_dict())


# --- items by status and per owner ---------------------------------------------------------


def test_status_chart_orders_statuses_and_colours_them():
    rows = [
        {"status": "overdue", "count": 2},
        {"status": "done", "count": 5},
        {"status": "not_started", "count": 1},
        {"status": "cancelled", "count": 0},
    ]
    spec = pc.status_chart(rows, "zh-CN", "2026年10月 事项状态").to_dict()
    assert marks(spec) == ["bar", "text"]
    data = values(spec)
    assert [(r["label"], r["count"]) for r in data] == [("未开始", 1), ("已完成", 5), ("逾期", 2)]
    scale = colour_scale(spec)
    assert scale["domain"] == ["未开始", "已完成", "逾期"]
    assert scale["range"] == [pc.ITEM_STATUS_COLOURS[s] for s in ("not_started", "done", "overdue")]
    assert pc.ITEM_STATUS_COLOURS["done"] == charts.STATUS_COLOURS["met"]
    assert pc.ITEM_STATUS_COLOURS["overdue"] == charts.STATUS_COLOURS["missed"]
    assert is_placeholder(pc.status_chart([{"status": "done", "count": 0}], "zh-CN").to_dict())
    with pytest.raises(ValueError):
        pc.status_chart([{"status": "lost", "count": 1}], "zh-CN")


def test_owner_chart_stacks_statuses_per_owner():
    rows = [
        {"owner": "陈静", "status": "done", "count": 2},
        {"owner": "陈静", "status": "overdue", "count": 1},
        {"owner": "王磊", "status": "in_progress", "count": 1},
    ]
    spec = pc.owner_chart(rows, "zh-CN").to_dict()
    assert marks(spec) == ["bar", "text"]
    bars, totals = spec["layer"]
    assert bars["encoding"]["y"]["sort"] == ["陈静", "王磊"]
    assert bars["encoding"]["x"]["stack"] == "zero"
    assert bars["encoding"]["color"]["scale"]["domain"] == ["进行中", "已完成", "逾期"]
    assert values(spec, totals) == [{"owner": "陈静", "total": 3}, {"owner": "王磊", "total": 1}]
    assert spec["height"] == pc.ROW_PX * 2
    english = pc.owner_chart(rows, "en").to_dict()
    assert english["layer"][0]["encoding"]["color"]["legend"]["title"] == "Status"
    assert is_placeholder(pc.owner_chart([], "zh-CN").to_dict())


# --- on time per unit ----------------------------------------------------------------------


@pytest.mark.parametrize("on_time, due, level", [(3, 3, "all"), (2, 3, "some"), (0, 3, "none"), (0, 0, "nothing_due")])
def test_ontime_level(on_time, due, level):
    assert pc.ontime_level(on_time, due) == level


def test_ontime_chart_against_one_hundred_percent():
    rows = [
        {"unit": "城关镇卫生院", "on_time": 5, "due": 5},
        {"unit": "东关镇卫生院", "on_time": 3, "due": 5},
        {"unit": "南山乡卫生院", "on_time": 0, "due": 5},
        {"unit": "示范县第一中学", "on_time": 0, "due": 0},
    ]
    spec = pc.ontime_chart(rows, "zh-CN", "按时上报率").to_dict()
    assert marks(spec) == ["bar", "bar", "tick", "tick", "text"]
    data = values(spec)
    assert [r["text"] for r in data] == ["5/5 · 100%", "3/5 · 60%", "0/5 · 0%", "暂无应报"]
    assert [r["level"] for r in data] == ["all", "some", "none", "nothing_due"]
    assert {r["target"] for r in data} == {100.0}
    scale = colour_scale(spec, 1)
    assert scale["domain"] == ["全部按时", "部分逾期", "均未按时", "暂无应报"]
    assert scale["range"] == [pc.ONTIME_COLOURS[s] for s in pc.ONTIME_LEVELS]
    assert spec["layer"][2]["transform"] == [{"filter": "datum.pct <= 0"}]  # a stub where nothing came in time
    assert spec["title"]["subtitle"] == t("plans.chart.ontime_key")
    assert is_placeholder(pc.ontime_chart([], "en").to_dict(), "en")


# --- the review grid -----------------------------------------------------------------------


def test_report_grid_colours_each_status_and_prints_two_lines():
    cells = [
        {
            "unit": "东关镇卫生院",
            "month": "2026年10月",
            "status": "approved",
            "flag": "✓",
            "detail": "11-04 10:00",
            "tip": "提交于 2026-11-04 10:00（按时）",
        },
        {"unit": "东关镇卫生院", "month": "2026年11月", "status": "not_due", "flag": "", "detail": "时限 12-07"},
        {"unit": "西河镇卫生院", "month": "2026年10月", "status": "overdue", "flag": "", "detail": "时限 11-06"},
        {"unit": "西河镇卫生院", "month": "2026年11月", "status": "submitted", "flag": "✗", "detail": "12-09 08:00"},
    ]
    spec = pc.report_grid_chart(cells, "zh-CN", "月报上报情况").to_dict()
    assert marks(spec) == ["rect", "text", "text"]
    data = values(spec)
    assert [r["head"] for r in data] == ["已审批 ✓", "未到期", "逾期未报", "已提交 ✗"]
    assert [r["detail"] for r in data] == ["11-04 10:00", "时限 12-07", "时限 11-06", "12-09 08:00"]
    assert data[1]["tip"] == "未到期"  # no tip given: the status
    scale = colour_scale(spec)
    assert scale["domain"] == ["已审批", "已提交", "逾期未报", "未到期"]
    assert scale["range"] == [pc.REPORT_STATUS_COLOURS[s] for s in ("approved", "submitted", "overdue", "not_due")]
    assert pc.REPORT_STATUS_COLOURS["approved"] == charts.STATUS_COLOURS["met"]
    assert pc.REPORT_STATUS_COLOURS["returned"] == charts.STATUS_COLOURS["behind"]
    assert pc.REPORT_STATUS_COLOURS["overdue"] == charts.STATUS_COLOURS["missed"]
    assert spec["layer"][0]["encoding"]["x"]["sort"] == ["2026年10月", "2026年11月"]
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["东关镇卫生院", "西河镇卫生院"]
    assert (spec["width"], spec["height"]) == (2 * pc.GRID_COL_PX, 2 * pc.GRID_ROW_PX)
    assert [r["text_colour"] for r in data] == ["#ffffff", "#455a64", "#ffffff", "#ffffff"]
    with pytest.raises(ValueError):
        pc.report_grid_chart([{"unit": "x", "month": "y", "status": "lost"}], "zh-CN")
    assert is_placeholder(pc.report_grid_chart([], "zh-CN").to_dict())


def test_every_report_status_has_both_labels():
    for status in pc.REPORT_STATUSES:
        assert pc.report_status_label(status, "zh-CN") != pc.report_status_label(status, "en")
