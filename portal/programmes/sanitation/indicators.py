"""Sanitation indicator templates (SAN-*), from the seed plans' quantified targets. They
compute once the sanitation record types exist; until then they show as pending."""

from __future__ import annotations

from typing import Any

from portal.metrics.library import TIMES, agg, ratio, template

TEMPLATES: tuple[dict[str, Any], ...] = (
    template(
        "SAN-INSPECT",
        "san",
        "每区域检查次数",
        "Inspections per zone",
        TIMES,
        "month",
        ratio(agg("sanitation_inspections"), agg("sanitation_inspections", "distinct", "zone_id"), factor=1),
        20,
        "000 篇一-a：“天天检查、打分，一周小汇总，一月大汇总”（按每月约20个上课日）",
    ),
    template(
        "SAN-SCORE",
        "san",
        "卫生检查平均分",
        "Average inspection score",
        ("分", "points"),
        "month",
        ratio(agg("sanitation_inspections", "sum", "score"), agg("sanitation_inspections"), factor=1),
        90,
        "000 篇一-e：每周卫生大检查、评比（90 分为自定参考值）",
    ),
)
