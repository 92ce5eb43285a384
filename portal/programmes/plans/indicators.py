"""Monthly-plan indicator templates (MP-*), from the seed plans' quantified targets."""

from __future__ import annotations

from typing import Any

from portal.metrics.library import PCT, agg, ratio, template

TEMPLATES: tuple[dict[str, Any], ...] = (
    template(
        "MP-DONE",
        "mp",
        "计划事项完成率",
        "Plan items completed",
        PCT,
        "month",
        ratio(agg("plan_items", status="done"), agg("plan_items", status={"not": ["cancelled"]})),
        100,
        "004 篇7：月度工作总结与下月计划；未完成事项列入“存在问题”",
    ),
    template(
        "MP-YEAR",
        "mp",
        "年度任务完成进度",
        "Year's plan completed",
        PCT,
        "year",
        ratio(agg("plan_items", status="done"), agg("plan_items", status={"not": ["cancelled"]})),
        100,
        "001 篇七：“6月份完成总体30%的任务量…9月份完成总体80%…12月上旬完成全部”",
        profile="6:30,9:80,12:100",
    ),
    template(
        "MP-ONTIME",
        "mp",
        "月报按时上报率",
        "Monthly reports on time",
        PCT,
        "year",
        {"kind": "figure", "name": "plans.reports_on_time", "factor": 100},
        100,
        "002 篇二：“于次月初5个工作日内上报县卫生监督所”（未上报的按逾期计）",
    ),
)
