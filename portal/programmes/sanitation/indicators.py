"""Sanitation indicator templates (SAN-*), from the seed plans' quantified targets. They
compute from the sanitation record types (inspections, rectifications, campaigns)."""

from __future__ import annotations

from typing import Any

from portal.metrics.library import PCT, TIMES, agg, ratio, template

RECT = "sanitation_rectifications"

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
    template(
        "SAN-PLAN",
        "san",
        "检查计划完成率",
        "Inspections done of planned",
        PCT,
        "month",
        {"kind": "figure", "name": "sanitation.inspections_planned", "factor": 100},
        100,
        "000 篇一-a：“天天检查、打分”；活动计划检查次数为分母",
    ),
    template(
        "SAN-CLOSE",
        "san",
        "整改结案率",
        "Rectifications closed",
        PCT,
        "year",
        ratio(agg(RECT, status="verified"), agg(RECT)),
        100,
        "004 篇7：“受理案件1314宗，已结案1038宗，结案率79%”（已复查即结案）",
    ),
    template(
        "SAN-OVERDUE",
        "san",
        "逾期未整改问题数",
        "Rectifications overdue",
        ("个", "items"),
        "month",
        {"kind": "figure", "name": "sanitation.rectifications_overdue", "factor": 1},
        0,
        "003：限期整改（《卫生监督意见书》）；逾期未整改的越少越好",
        comparator="<=",
    ),
)
