"""Built-in indicator templates, from the quantified targets in the seed work plans.

Each carries its source (seed file and quote), shown as help text. They are loaded once
(``ensure_builtin``) and then belong to the office: heads edit targets, names and even
definitions. Templates over record types that do not exist yet (training, sanitation,
work plans) compute as soon as those record types land.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Indicator


def _agg(record: str, agg: str = "count", field: str | None = None, **filters: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"record": record, "agg": agg}
    if field:
        out["field"] = field
    if filters:
        out["filters"] = filters
    return out


def _count(record: str, **filters: Any) -> dict[str, Any]:
    return {"kind": "aggregate", **_agg(record, **filters)}


def _ratio(num: dict[str, Any], den: dict[str, Any], factor: float = 100) -> dict[str, Any]:
    return {"kind": "ratio", "numerator": num, "denominator": den, "factor": factor}


def T(
    code: str,
    area: str,
    zh: str,
    en: str,
    unit: tuple[str, str],
    period: str,
    definition: dict[str, Any],
    target: float | None,
    source: str,
    comparator: str = ">=",
    profile: str = "pro_rata",
) -> dict[str, Any]:
    return dict(
        code=code,
        area=area,
        name_zh=zh,
        name_en=en,
        unit_zh=unit[0],
        unit_en=unit[1],
        period_type=period,
        definition=json.dumps(definition, ensure_ascii=False),
        default_target=target,
        source=source,
        comparator=comparator,
        profile=profile,
    )


TIMES, PCT, HOURS = ("次", "times"), ("%", "%"), ("学时", "hours")
BUILTIN: tuple[dict[str, Any], ...] = (
    T(
        "HE-01",
        "he",
        "健康教育讲座",
        "Health-education lectures",
        TIMES,
        "year",
        _count("he_activities", activity_type="lecture"),
        4,
        "001 篇一：“每度定期开季展健康教育讲座，全年不少于4次”",
    ),
    T(
        "HE-02",
        "he",
        "宣传栏更换",
        "Bulletin-board updates",
        TIMES,
        "year",
        _count("he_activities", activity_type="board"),
        12,
        "001 篇一：“定期对健康教育宣传栏更换内容。每年度不少于12次”",
    ),
    T(
        "HE-05",
        "he",
        "受教育人数覆盖率",
        "Population reached",
        PCT,
        "year",
        {
            "kind": "per_population",
            "numerator": _agg("he_activities", "sum", "participants"),
            "population": "resident",
            "factor": 100,
        },
        50,
        "001 篇一：“受教育人数覆盖辖区人口的50%以上”",
    ),
    T(
        "HE-12",
        "he",
        "集市健康咨询",
        "Market-day consultations",
        TIMES,
        "month",
        _count("he_activities", activity_type="consultation"),
        1,
        "001 篇四：“每个月利用集市开展一次健康咨询活动”",
    ),
    T(
        "HE-22",
        "he",
        "学校卫生专栏与广播",
        "School health columns and broadcasts",
        TIMES,
        "term",
        _count("he_activities", activity_type=["board", "av"]),
        3,
        "000 篇一-a：“每学期刊出卫生专栏与广播宣传(3次)”",
    ),
    T(
        "TR-PASS",
        "tr",
        "培训考核合格率",
        "Training pass rate",
        PCT,
        "year",
        _ratio(_agg("training_assessments", passed=True), _agg("training_assessments")),
        100,
        "002 篇五：“合格率达100%，其中优秀29%、良好46%”",
    ),
    T(
        "TR-EXCELLENT",
        "tr",
        "考核优秀率",
        "Share graded excellent (优秀)",
        PCT,
        "year",
        _ratio(_agg("training_assessments", grade="excellent"), _agg("training_assessments")),
        None,
        "002 篇五：“优秀29%”（实际值，作参照）",
    ),
    T(
        "TR-GOOD",
        "tr",
        "考核良好率",
        "Share graded good (良好)",
        PCT,
        "year",
        _ratio(_agg("training_assessments", grade="good"), _agg("training_assessments")),
        None,
        "002 篇五：“良好46%”（实际值，作参照）",
    ),
    T(
        "TR-ATTEND",
        "tr",
        "培训出勤率",
        "Attendance rate",
        PCT,
        "year",
        _ratio(_agg("training_attendance", present=True), _agg("training_attendance")),
        95,
        "培训签到考勤（W6）；95% 为自定参考值，可修改",
    ),
    T(
        "TR-HOURS-40",
        "tr",
        "人均培训学时（卫生监督员）",
        "Training hours per person (supervisors)",
        HOURS,
        "year",
        _ratio(
            _agg("training_attendance", "sum", "hours", present=True),
            _agg("training_attendance", "distinct", "person_id", present=True),
            factor=1,
        ),
        40,
        "004 篇1：“确保全年业务培训量不低于40学时/人”",
    ),
    T(
        "TR-HOURS-30",
        "tr",
        "人均学习培训学时",
        "Study and training hours per person",
        HOURS,
        "year",
        _ratio(
            _agg("training_attendance", "sum", "hours", present=True),
            _agg("training_attendance", "distinct", "person_id", present=True),
            factor=1,
        ),
        30,
        "004 篇8：“全年学习培训时间不少于30个学时”",
    ),
    T(
        "TR-HOURS-20",
        "tr",
        "人均培训学时（协管员）",
        "Training hours per person (assistants)",
        HOURS,
        "year",
        _ratio(
            _agg("training_attendance", "sum", "hours", present=True),
            _agg("training_attendance", "distinct", "person_id", present=True),
            factor=1,
        ),
        20,
        "001 篇五：“每人每年培训不少于20学时”",
    ),
    T(
        "SAN-INSPECT",
        "san",
        "每区域检查次数",
        "Inspections per zone",
        TIMES,
        "month",
        _ratio(_agg("sanitation_inspections"), _agg("sanitation_inspections", "distinct", "zone_id"), factor=1),
        20,
        "000 篇一-a：“天天检查、打分，一周小汇总，一月大汇总”（按每月约20个上课日）",
    ),
    T(
        "SAN-SCORE",
        "san",
        "卫生检查平均分",
        "Average inspection score",
        ("分", "points"),
        "month",
        _ratio(_agg("sanitation_inspections", "sum", "score"), _agg("sanitation_inspections"), factor=1),
        90,
        "000 篇一-e：每周卫生大检查、评比（90 分为自定参考值）",
    ),
    T(
        "MP-DONE",
        "mp",
        "计划事项完成率",
        "Plan items completed",
        PCT,
        "month",
        _ratio(_agg("plan_items", status="done"), _agg("plan_items", status={"not": ["cancelled"]})),
        100,
        "004 篇7：月度工作总结与下月计划；未完成事项列入“存在问题”",
    ),
    T(
        "MP-YEAR",
        "mp",
        "年度任务完成进度",
        "Year's plan completed",
        PCT,
        "year",
        _ratio(_agg("plan_items", status="done"), _agg("plan_items", status={"not": ["cancelled"]})),
        100,
        "001 篇七：“6月份完成总体30%的任务量…9月份完成总体80%…12月上旬完成全部”",
        profile="6:30,9:80,12:100",
    ),
    T(
        "MP-ONTIME",
        "mp",
        "月报按时上报率",
        "Monthly reports on time",
        PCT,
        "year",
        _ratio(_agg("monthly_reports", on_time=True), _agg("monthly_reports", on_time=[True, False])),
        100,
        "002 篇二：“于次月初5个工作日内上报县卫生监督所”",
    ),
)


def ensure_builtin(session: Session) -> int:
    """Add the built-in templates missing from the table (by code); existing rows, which
    the office may have edited, are left alone."""
    have = set(session.scalars(select(Indicator.code)))
    added = 0
    for template in BUILTIN:
        if template["code"] not in have:
            session.add(Indicator(**template, builtin=True, active=True))
            added += 1
    session.flush()
    return added
