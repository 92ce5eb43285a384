"""Charts of the training page: pure functions from figures to Altair bullet charts (the
shared look of portal.charts.progress), no Streamlit here.

* targets_chart   the year's pass rate, 优秀 and 良好 shares, attendance rate and hours per
                  person by category, each against its target or minimum
* units_chart     one figure per unit (attendance or pass rate) against its target
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from portal.charts import progress as charts
from portal.i18n import t
from portal.programmes.training import specs as tr

# The seeds' figures: 合格率 100 % (002 篇五), attendance 95 % (the TR-ATTEND template's
# own reference), and the 优秀 29 % / 良好 46 % the county reached, shown as references.
TARGETS = {"pass": 100.0, "attendance": 95.0, "excellent": 29.0, "good": 46.0}


def _row(label: str, actual: float | None, target: float | None, unit: str) -> charts.ProgressRow:
    value = actual or 0.0
    if target is None:
        status = "no_target"
    elif actual is None:
        status = "not_started"
    else:
        status = "met" if value >= target else "behind"
    return {
        "label": label,
        "actual": round(value, 1),
        "target": target,
        "expected": None,
        "pct": value / target * 100 if target else None,
        "status": status,
        "unit": unit,
    }


def targets_chart(figures: Any, ledger: Sequence[Any], lang: str, title: str | None = None) -> charts.LayeredChart:
    """figures: a service.Figures for the year; ledger: its LedgerLines (hours per person)."""
    rows = [
        _row(t("training.chart.pass", lang), figures.pass_rate, TARGETS["pass"], "%"),
        _row(t("training.chart.excellent", lang), figures.grade_share("excellent"), TARGETS["excellent"], "%"),
        _row(t("training.chart.good", lang), figures.grade_share("good"), TARGETS["good"], "%"),
        _row(t("training.chart.attendance", lang), figures.attendance_rate, TARGETS["attendance"], "%"),
    ]
    hours: dict[str, list[float]] = defaultdict(list)
    for line in ledger:
        hours[line.category].append(line.hours)
    field = tr.TrainingEnrolmentSpec.field("category")
    unit = t("training.unit.hours", lang)
    for category, values in sorted(hours.items(), key=lambda kv: tr.MIN_HOURS.get(kv[0], tr.DEFAULT_MIN_HOURS)):
        label = t("training.chart.hours_of", lang, category=field.choice_label(category, lang))
        target = tr.MIN_HOURS.get(category, tr.DEFAULT_MIN_HOURS)
        rows.append(_row(label, sum(values) / len(values), target, unit))
    return charts.bullet_chart(rows, lang, title)


def units_chart(
    units: Sequence[tuple[str, Any]], measure: str, lang: str, title: str | None = None
) -> charts.LayeredChart:
    """measure: "attendance" or "pass"; units: (name, Figures) pairs."""
    rows = []
    for name, figures in units:
        actual = figures.attendance_rate if measure == "attendance" else figures.pass_rate
        if actual is None:
            continue
        rows.append(_row(name, actual, TARGETS[measure], "%"))
    return charts.bullet_chart(rows, lang, title)
