"""Training indicator templates (TR-*), from the seed plans' quantified targets, computed
over the training record types (portal.programmes.training.specs): results of the first
test (attempt 1), sign-in marks, and the 学时 the marks earn per person (``person_id`` is
the person's name, unit and phone), by category where the seed's minimum is for one."""

from __future__ import annotations

from typing import Any

from portal.metrics.library import HOURS, PCT, agg, ratio, template

TEMPLATES: tuple[dict[str, Any], ...] = (
    template(
        "TR-PASS",
        "tr",
        "培训考核合格率",
        "Training pass rate",
        PCT,
        "year",
        ratio(agg("training_assessments", passed=True, attempt=1), agg("training_assessments", attempt=1)),
        100,
        "002 篇五：“合格率达100%，其中优秀29%、良好46%”",
    ),
    template(
        "TR-EXCELLENT",
        "tr",
        "考核优秀率",
        "Share graded excellent (优秀)",
        PCT,
        "year",
        ratio(agg("training_assessments", grade="excellent", attempt=1), agg("training_assessments", attempt=1)),
        None,
        "002 篇五：“优秀29%”（实际值，作参照）",
    ),
    template(
        "TR-GOOD",
        "tr",
        "考核良好率",
        "Share graded good (良好)",
        PCT,
        "year",
        ratio(agg("training_assessments", grade="good", attempt=1), agg("training_assessments", attempt=1)),
        None,
        "002 篇五：“良好46%”（实际值，作参照）",
    ),
    template(
        "TR-ATTEND",
        "tr",
        "培训出勤率",
        "Attendance rate",
        PCT,
        "year",
        ratio(agg("training_attendance", present=True), agg("training_attendance")),
        95,
        "培训签到考勤（W6）；95% 为自定参考值，可修改",
    ),
    template(
        "TR-HOURS-40",
        "tr",
        "人均培训学时（卫生监督员）",
        "Training hours per person (supervisors)",
        HOURS,
        "year",
        ratio(
            agg("training_attendance", "sum", "hours", present=True, category="supervisor"),
            agg("training_attendance", "distinct", "person_id", present=True, category="supervisor"),
            factor=1,
        ),
        40,
        "004 篇1：“确保全年业务培训量不低于40学时/人”",
    ),
    template(
        "TR-HOURS-30",
        "tr",
        "人均学习培训学时",
        "Study and training hours per person",
        HOURS,
        "year",
        ratio(
            agg("training_attendance", "sum", "hours", present=True),
            agg("training_attendance", "distinct", "person_id", present=True),
            factor=1,
        ),
        30,
        "004 篇8：“全年学习培训时间不少于30个学时”",
    ),
    template(
        "TR-HOURS-20",
        "tr",
        "人均培训学时（协管员）",
        "Training hours per person (assistants)",
        HOURS,
        "year",
        ratio(
            agg("training_attendance", "sum", "hours", present=True, category=["assistant", "informant"]),
            agg("training_attendance", "distinct", "person_id", present=True, category=["assistant", "informant"]),
            factor=1,
        ),
        20,
        "001 篇五：“每人每年培训不少于20学时”",
    ),
)
