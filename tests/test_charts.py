"""Progress charts, checked through their Vega-Lite specs: marks, encodings, colours,
data values and the catalogue texts they carry."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from portal import formatting, i18n
from portal.charts import progress as charts
from portal.charts.progress import STATUS_COLOURS, STATUSES

ROOT = Path(__file__).resolve().parents[1]


# --- helpers ---------------------------------------------------------------------------


def values(spec: dict, part: dict | None = None) -> list[dict]:
    """The data rows a layer (or the whole chart) draws, wherever Altair put them."""
    data = (part or spec).get("data") or spec.get("data")
    if "values" in data:
        return data["values"]
    return spec["datasets"][data["name"]]


def marks(spec: dict) -> list[str]:
    return [layer["mark"]["type"] for layer in spec["layer"]]


def mark(layer: dict) -> dict:
    return layer["mark"]


def tooltip_titles(layer: dict) -> list[str]:
    return [tip["title"] for tip in layer["encoding"]["tooltip"]]


def row(label, actual, target=4, expected=3.6, status="behind", unit="次", comparator=">=", pct=None):
    if pct is None and target:
        pct = actual / target * 100
    return {
        "label": label,
        "actual": actual,
        "target": target,
        "expected": expected,
        "pct": pct,
        "status": status,
        "unit": unit,
        "comparator": comparator,
    }


# The HE-01 example: lectures, at least 4 a year, 3.6 expected by late November.
TOWNS = ["城关镇", "东关镇", "西河镇", "南山镇", "北坡镇", "清水镇", "示范县第一中学"]
ACTUALS = [5, 4, 3, 2, 1, 0, 6]
STATUS_OF = {5: "met", 4: "met", 3: "behind", 2: "behind", 1: "behind", 0: "not_started", 6: "met"}
HE01 = [row(name, a, status=STATUS_OF[a]) for name, a in zip(TOWNS, ACTUALS)]


# --- numbers and statuses --------------------------------------------------------------


@pytest.mark.parametrize(
    "value, text",
    [
        (16, "16"),
        (16.0, "16"),
        (3.6, "3.6"),
        (0.1, "0.1"),
        (1234, "1,234"),
        (1234567.0, "1,234,567"),
        (2.5, "2.5"),
        (1 / 3, "0.33"),
        (0, "0"),
        (-0.0, "0"),
        (-2.0, "-2"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_format_number(value, text):
    assert formatting.number(value) == text


@pytest.mark.parametrize(
    "pct, text",
    [
        (80.0, "80%"),
        (0, "0%"),
        (100, "100%"),
        (125, "125%"),
        (150.0, "150%"),
        (100 / 6, "17%"),
        (12.5, "13%"),
        (99.7, "99%"),
        (99.99, "99%"),
        (None, "—"),
    ],
)
def test_format_pct_never_reads_100_below_target(pct, text):
    assert formatting.pct(pct) == text


def test_status_colours_are_the_traffic_lights():
    assert STATUS_COLOURS == {
        "met": "#2e7d32",
        "on_track": "#66bb6a",
        "behind": "#ef6c00",
        "missed": "#c62828",
        "not_started": "#9e9e9e",
        "no_target": "#cfd8dc",
        "no_data": "#eceff1",
    }
    assert list(STATUSES) == list(STATUS_COLOURS)


def test_status_legend_labels_come_from_the_catalogues():
    zh = charts.status_legend_labels("zh-CN")
    en = charts.status_legend_labels("en")
    assert list(zh) == list(STATUSES) == list(en)
    assert zh == {
        "met": "已达标",
        "on_track": "进度正常",
        "behind": "进度落后",
        "missed": "未达标",
        "not_started": "未开展",
        "no_target": "未设目标",
        "no_data": "无数据",
    }
    assert en == {
        "met": "Met",
        "on_track": "On track",
        "behind": "Behind",
        "missed": "Missed",
        "not_started": "Not started",
        "no_target": "No target",
        "no_data": "No data",
    }
    for lang in i18n.LANGUAGES:
        for status in STATUSES:
            assert f"chart.status.{status}" in i18n.catalogue(lang)


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="late"):
        charts.bullet_chart([row("城关镇", 1, status="late")], "zh-CN")
    with pytest.raises(ValueError, match="late"):
        charts.scorecard_chart(
            [{"unit": "城关镇", "indicator": "HE-01", "status": "late", "pct": 10, "text": "1/4"}], "zh-CN"
        )


def test_charts_module_does_not_use_streamlit():
    tree = ast.parse((ROOT / "portal" / "charts" / "progress.py").read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "streamlit" not in imported
    assert "altair" in imported


# --- bullet chart ----------------------------------------------------------------------


def test_bullet_layers_and_marks():
    spec = charts.bullet_chart(HE01, "zh-CN", "讲座 ≥4次/年").to_dict()
    assert marks(spec) == ["bar", "bar", "tick", "tick", "tick", "text"]
    track, actual, stub, target, expected, label = spec["layer"]
    assert mark(track)["color"] == charts.TRACK_COLOUR
    assert mark(track)["size"] > mark(actual)["size"]  # the actual bar sits inside the track
    assert mark(target)["color"] == "#000000" and mark(target)["thickness"] == 3
    assert mark(expected)["color"] == charts.EXPECTED_COLOUR
    assert mark(expected)["thickness"] < mark(target)["thickness"]
    assert mark(label)["align"] == "left" and mark(label)["dx"] > 0
    assert track["encoding"]["x"]["field"] == "x_track"
    assert actual["encoding"]["x"]["field"] == "x_actual"
    assert target["encoding"]["x"]["field"] == "x_target"
    assert expected["encoding"]["x"]["field"] == "x_expected"
    assert label["encoding"]["x"]["field"] == "x_text"
    assert label["encoding"]["text"]["field"] == "text"
    # rows without a target or an expected value draw no tick; zero draws a stub
    assert target["transform"] == [{"filter": "isValid(datum.x_target)"}]
    assert expected["transform"] == [{"filter": "isValid(datum.x_expected)"}]
    assert stub["transform"] == [{"filter": "datum.x_actual <= 0"}]
    # all layers share one x scale, so bars and ticks line up
    domains = {tuple(layer["encoding"]["x"]["scale"]["domain"]) for layer in spec["layer"]}
    assert len(domains) == 1


def test_bullet_keeps_the_given_order_and_grows_with_rows():
    spec = charts.bullet_chart(HE01, "zh-CN").to_dict()
    for layer in spec["layer"]:
        assert layer["encoding"]["y"]["field"] == "label"
        assert layer["encoding"]["y"]["sort"] == TOWNS
    assert [r["label"] for r in values(spec)] == TOWNS
    assert spec["height"] == charts.ROW_PX * 7
    thirty = [row(f"第{i}村卫生室", i % 5) for i in range(30)]
    assert charts.bullet_chart(thirty, "zh-CN").to_dict()["height"] == charts.ROW_PX * 30
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_bullet_data_and_label_texts():
    rows = [*HE01, row("李家村卫生室", 2, target=None, expected=None, status="no_target")]
    spec = charts.bullet_chart(rows, "zh-CN").to_dict()
    data = {r["label"]: r for r in values(spec)}
    assert data["城关镇"]["text"] == "5 / 4 · 125%"
    assert data["西河镇"]["text"] == "3 / 4 · 75%"
    assert data["清水镇"]["text"] == "0 / 4 · 0%"
    assert data["示范县第一中学"]["text"] == "6 / 4 · 150%"
    assert data["李家村卫生室"]["text"] == "2"
    assert data["西河镇"]["x_actual"] == 3 and data["西河镇"]["x_target"] == 4
    assert data["西河镇"]["x_expected"] == 3.6
    assert data["西河镇"]["x_track"] == 4  # the track runs to the target...
    assert data["城关镇"]["x_track"] == 5  # ...or past it, to the actual
    assert data["李家村卫生室"]["x_target"] is None
    assert data["李家村卫生室"]["x_expected"] is None
    assert data["西河镇"]["status_text"] == "进度落后"
    assert data["西河镇"]["actual_text"] == "3 次"
    assert data["西河镇"]["target_text"] == "≥4 次"
    assert data["西河镇"]["expected_text"] == "3.6 次"
    assert data["李家村卫生室"]["target_text"] == "—"
    assert data["西河镇"]["pct_text"] == "75%"
    # the x scale leaves room right of the longest bar for its label
    domain_max = spec["layer"][0]["encoding"]["x"]["scale"]["domain"][1]
    assert domain_max > 6 * 1.1


def test_bullet_colours_follow_status():
    spec = charts.bullet_chart(HE01, "zh-CN").to_dict()
    colour = spec["layer"][1]["encoding"]["color"]
    assert colour["field"] == "status_text"
    # only the statuses present, in legend order, each with its traffic-light colour
    assert colour["scale"]["domain"] == ["已达标", "进度落后", "未开展"]
    assert colour["scale"]["range"] == ["#2e7d32", "#ef6c00", "#9e9e9e"]
    assert colour["legend"]["title"] == "状态"
    assert spec["layer"][2]["encoding"]["color"] == colour  # the zero stub too


def test_bullet_titles_tooltips_and_axis_in_both_languages():
    zh = charts.bullet_chart(HE01, "zh-CN", "讲座 ≥4次/年").to_dict()
    en = charts.bullet_chart(HE01, "en", "Lectures").to_dict()
    assert zh["title"]["text"] == "讲座 ≥4次/年"
    assert zh["title"]["subtitle"] == i18n.t("chart.bullet_key", "zh-CN")
    assert en["title"]["subtitle"] == "Black tick: target; thin grey line: expected by today"
    assert zh["layer"][0]["encoding"]["x"]["title"] == "实际（次）"
    assert en["layer"][0]["encoding"]["x"]["title"] == "Actual (次)"
    assert tooltip_titles(zh["layer"][1]) == ["名称", "实际", "目标", "按进度应完成", "完成率", "状态"]
    assert tooltip_titles(en["layer"][1]) == ["Name", "Actual", "Target", "Expected by today", "Completion", "Status"]
    en_colour = en["layer"][1]["encoding"]["color"]
    assert en_colour["scale"]["domain"] == ["Met", "Behind", "Not started"]


def test_bullet_with_mixed_units_plots_share_of_target():
    rows = [
        row("讲座 ≥4次/年", 16, target=20, expected=18, unit="次"),
        row("健康素养水平 ≥25%", 22.5, target=25, expected=None, unit="%", status="missed"),
        row("吸烟率 ≤20%", 18.4, target=20, expected=None, unit="%", comparator="<=", status="met", pct=92),
    ]
    spec = charts.bullet_chart(rows, "zh-CN").to_dict()
    data = values(spec)
    assert [r["x_actual"] for r in data] == pytest.approx([80, 90, 92])
    assert [r["x_target"] for r in data] == [100, 100, 100]
    assert data[0]["x_expected"] == pytest.approx(90)
    assert [r["text"] for r in data] == ["16 / 20 · 80%", "22.5 / 25 · 90%", "18.4 / ≤20 · 92%"]
    assert data[2]["target_text"] == "≤20 %"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "完成率（%）"


def test_bullet_names_never_share_a_row():
    spec = charts.bullet_chart([row("城关镇", 1), row("城关镇", 2)], "zh-CN").to_dict()
    assert [r["label"] for r in values(spec)] == ["城关镇", "城关镇 (2)"]


def test_bullet_fills_in_a_missing_pct():
    spec = charts.bullet_chart(
        [{"label": "城关镇", "actual": 3, "target": 4, "expected": None, "pct": None, "status": "behind"}], "en"
    ).to_dict()
    assert values(spec)[0]["text"] == "3 / 4 · 75%"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Actual"


def test_empty_charts_say_no_data():
    for chart in (
        charts.bullet_chart([], "zh-CN", "讲座"),
        charts.scorecard_chart([], "zh-CN"),
        charts.cumulative_chart([], [], [], None, "zh-CN"),
    ):
        spec = chart.to_dict()
        assert marks(spec) == ["text"]
        assert [r["text"] for r in values(spec, spec["layer"][0])] == ["暂无数据"]
    en = charts.bullet_chart([], "en").to_dict()
    assert values(en, en["layer"][0])[0]["text"] == "No data yet"


# --- cumulative chart ------------------------------------------------------------------


D = dt.date
POINTS = [
    {"date": D(2026, 1, 28), "value": 0},
    {"date": D(2026, 3, 28), "value": 2},
    {"date": D(2026, 11, 20), "value": 3},
]
EXPECTED = [
    {"date": D(2026, 1, 1), "value": 0},
    {"date": D(2026, 6, 30), "value": 1.2},
    {"date": D(2026, 12, 31), "value": 4},
]
MILESTONES = [
    {"date": D(2026, 6, 30), "value": 1.2, "label": "6月 30%"},
    {"date": D(2026, 9, 30), "value": 3.2, "label": "9月 80%"},
    {"date": D(2026, 12, 31), "value": 4, "label": "12月 100%"},
]


def test_cumulative_layers():
    spec = charts.cumulative_chart(POINTS, EXPECTED, MILESTONES, 4, "zh-CN", "城关镇", unit="次").to_dict()
    assert marks(spec) == ["line", "point", "rule", "text", "point", "text"]
    line, dots, rule, rule_text, diamonds, captions = spec["layer"]
    # actual solid, expected dashed: one line layer split by series
    assert line["encoding"]["color"]["scale"] == {
        "domain": ["累计完成", "按进度应完成"],
        "range": [charts.ACTUAL_LINE_COLOUR, charts.EXPECTED_COLOUR],
    }
    assert line["encoding"]["strokeDash"]["scale"]["range"] == [[1, 0], [6, 4]]
    assert line["encoding"]["strokeDash"]["scale"]["domain"] == ["累计完成", "按进度应完成"]
    assert dots["transform"][0]["filter"] == {"field": "series", "equal": "累计完成"}
    assert mark(rule)["color"] == "#000000"
    assert mark(diamonds)["shape"] == "diamond"
    assert captions["encoding"]["text"]["field"] == "label"
    assert rule_text["encoding"]["text"]["field"] == "text"
    assert spec["title"]["text"] == "城关镇"


def test_cumulative_axes_dates_and_values():
    spec = charts.cumulative_chart(POINTS, EXPECTED, MILESTONES, 4, "zh-CN", unit="次").to_dict()
    line = spec["layer"][0]
    x, y = line["encoding"]["x"], line["encoding"]["y"]
    assert x["type"] == "temporal" and x["timeUnit"] == "utcyearmonthdate"
    assert x["axis"]["format"] == "%m-%d"
    assert y["title"] == "累计完成（次）"
    assert y["scale"]["domain"][0] == 0 and y["scale"]["domain"][1] >= 4 * 1.1
    series = values(spec, line)
    assert [(r["date"], r["value"], r["series"]) for r in series] == [
        ("2026-01-28", 0, "累计完成"),
        ("2026-03-28", 2, "累计完成"),
        ("2026-11-20", 3, "累计完成"),
        ("2026-01-01", 0, "按进度应完成"),
        ("2026-06-30", 1.2, "按进度应完成"),
        ("2026-12-31", 4, "按进度应完成"),
    ]
    assert values(spec, spec["layer"][2])[0]["value"] == 4
    assert values(spec, spec["layer"][3])[0]["text"] == "目标 4 次"
    assert values(spec, spec["layer"][3])[0]["date"] == "2026-01-01"  # label at the left end
    assert [(m["date"], m["label"]) for m in values(spec, spec["layer"][5])] == [
        ("2026-06-30", "6月 30%"),
        ("2026-09-30", "9月 80%"),
        ("2026-12-31", "12月 100%"),
    ]
    assert tooltip_titles(line) == ["图例", "日期", "数值"]


def test_cumulative_in_english_and_without_target():
    spec = charts.cumulative_chart(POINTS, EXPECTED, [], None, "en").to_dict()
    assert marks(spec) == ["line", "point"]
    y = spec["layer"][0]["encoding"]["y"]
    assert y["title"] == "Cumulative total"
    assert y["scale"]["domain"][1] >= 4
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["Cumulative total", "Expected by date"]
    en = charts.cumulative_chart([], [], [], 20, "en", unit="sessions").to_dict()
    assert marks(en) == ["rule"]  # a target alone still shows where the bar is


# --- scorecard -------------------------------------------------------------------------


INDICATORS = ["讲座 ≥4次/年", "咨询活动 ≥9次/年", "健康素养水平 ≥25%", "宣传栏更换 ≥6期"]


def score_cells():
    cells = []
    for i, unit in enumerate(TOWNS):
        for j, indicator in enumerate(INDICATORS):
            status = STATUSES[(i + j) % 6]
            pct = None if status == "no_target" else [100, 90, 60, 70, 0][(i + j) % 6]
            cells.append(
                {
                    "unit": unit,
                    "indicator": indicator,
                    "status": status,
                    "pct": pct,
                    "text": "3" if pct is None else f"{pct // 5}/20",
                }
            )
    return cells


def test_scorecard_layers_order_and_size():
    spec = charts.scorecard_chart(score_cells(), "zh-CN", "2026 年度考核").to_dict()
    assert marks(spec) == ["rect", "text", "text"]
    for layer in spec["layer"]:
        assert layer["encoding"]["x"]["field"] == "indicator"
        assert layer["encoding"]["x"]["sort"] == INDICATORS
        assert layer["encoding"]["y"]["field"] == "unit"
        assert layer["encoding"]["y"]["sort"] == TOWNS
    assert spec["layer"][0]["encoding"]["x"]["axis"]["orient"] == "top"
    assert spec["width"] == charts.SCORE_COL_PX * 4
    assert spec["height"] == charts.SCORE_ROW_PX * 7
    figures, share = spec["layer"][1], spec["layer"][2]
    assert figures["encoding"]["text"]["field"] == "text"
    assert share["encoding"]["text"]["field"] == "pct_text"
    assert mark(figures)["dy"] < 0 < mark(share)["dy"]  # figures above, percentage below
    assert spec["title"]["text"] == "2026 年度考核"


def test_scorecard_colours_and_cell_texts():
    spec = charts.scorecard_chart(score_cells(), "zh-CN").to_dict()
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["scale"]["domain"] == ["已达标", "进度正常", "进度落后", "未达标", "未开展", "未设目标"]
    assert colour["scale"]["range"] == ["#2e7d32", "#66bb6a", "#ef6c00", "#c62828", "#9e9e9e", "#cfd8dc"]
    text_colour = spec["layer"][1]["encoding"]["color"]
    assert text_colour == {"field": "text_colour", "scale": None, "type": "nominal", "legend": None}
    data = {(r["unit"], r["indicator"]): r for r in values(spec)}
    first = data[("城关镇", "讲座 ≥4次/年")]
    assert (first["status"], first["text"], first["pct_text"]) == ("met", "20/20", "100%")
    assert first["text_colour"] == "#ffffff"  # white on dark green
    second = data[("城关镇", "咨询活动 ≥9次/年")]
    assert (second["text"], second["pct_text"]) == ("18/20", "90%")
    assert second["text_colour"] == "#1b1b1b"  # dark on light green
    no_target = data[("西河镇", "宣传栏更换 ≥6期")]
    assert no_target["status_text"] == "未设目标"
    assert (no_target["text"], no_target["pct_text"]) == ("3", "—")
    assert tooltip_titles(spec["layer"][0]) == ["单位", "指标", "完成情况", "完成率", "状态"]


def test_scorecard_keeps_first_seen_order_and_english_labels():
    cells = [
        {"unit": "Zhen B", "indicator": "HE-02", "status": "behind", "pct": 50.0, "text": "2/4"},
        {"unit": "Zhen A", "indicator": "HE-01", "status": "missed", "pct": 25.0, "text": "1/4"},
    ]
    spec = charts.scorecard_chart(cells, "en").to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["Zhen B", "Zhen A"]
    assert spec["layer"][0]["encoding"]["x"]["sort"] == ["HE-02", "HE-01"]
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["scale"]["domain"] == ["Behind", "Missed"]
    assert colour["scale"]["range"] == ["#ef6c00", "#c62828"]
    assert colour["legend"]["title"] == "Status"
    assert [r["pct_text"] for r in values(spec)] == ["50%", "25%"]
