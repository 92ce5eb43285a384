"""Health-education indicator templates (HE-*), from the seed plans' quantified targets."""

from __future__ import annotations

from typing import Any

from portal.metrics.library import PCT, TIMES, agg, count, template

TEMPLATES: tuple[dict[str, Any], ...] = (
    template(
        "HE-01",
        "he",
        "健康教育讲座",
        "Health-education lectures",
        TIMES,
        "year",
        count("he_activities", activity_type="lecture"),
        4,
        "001 篇一：“每度定期开季展健康教育讲座，全年不少于4次”",
    ),
    template(
        "HE-02",
        "he",
        "宣传栏更换",
        "Bulletin-board updates",
        TIMES,
        "year",
        count("he_activities", activity_type="board"),
        12,
        "001 篇一：“定期对健康教育宣传栏更换内容。每年度不少于12次”",
    ),
    template(
        "HE-05",
        "he",
        "受教育人数覆盖率",
        "Population reached",
        PCT,
        "year",
        {
            "kind": "per_population",
            "numerator": agg("he_activities", "sum", "participants"),
            "population": "resident",
            "factor": 100,
        },
        50,
        "001 篇一：“受教育人数覆盖辖区人口的50%以上”",
    ),
    template(
        "HE-12",
        "he",
        "集市健康咨询",
        "Market-day consultations",
        TIMES,
        "month",
        count("he_activities", activity_type="consultation"),
        1,
        "001 篇四：“每个月利用集市开展一次健康咨询活动”",
    ),
    template(
        "HE-22",
        "he",
        "学校卫生专栏与广播",
        "School health columns and broadcasts",
        TIMES,
        "term",
        count("he_activities", activity_type=["board", "av"]),
        3,
        "000 篇一-a：“每学期刊出卫生专栏与广播宣传(3次)”",
    ),
)
