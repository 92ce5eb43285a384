"""Health-education activities (健康教育活动): lectures, consultation days, board updates,
materials handed out. Counted against yearly targets such as 讲座全年不少于4次 and
受教育人数覆盖辖区人口的50%以上. The whole record type is this spec plus its model."""

from __future__ import annotations

from typing import Any, ClassVar

from db.models import HeActivity
from portal.errors import FieldError
from portal.records.fields import Choice, Field
from portal.records.spec import ALL, Permissions, RecordSpec
from portal.records.stats import Measure, Stats

ACTIVITY_TYPES = (
    Choice("lecture", "健康讲座", "Lecture"),
    Choice("consultation", "公众健康咨询", "Consultation day"),
    Choice("board", "宣传栏更换", "Bulletin-board update"),
    Choice("materials", "资料发放", "Materials handed out"),
    Choice("av", "音像资料播放", "Audio-visual screening"),
    Choice("individual", "个体化健康教育", "Individual counselling"),
    Choice("class", "健康教育课", "Health-education class"),
    Choice("other", "其他", "Other"),
)
EDITORS = frozenset({"admin", "head", "staff"})


class HeActivitySpec(RecordSpec):
    """Health-education activities: the README's worked example of a record type."""

    slug = "he_activities"
    model = HeActivity
    title_zh, title_en = "健康教育活动", "Health-education activities"
    fields = (
        Field(
            "org_unit_id",
            "org_unit",
            "开展单位",
            "Org unit",
            required=True,
            aliases=("单位", "机构", "机构编码", "unit"),
        ),
        Field("activity_date", "date", "活动日期", "Date", required=True, aliases=("日期", "date")),
        Field(
            "activity_type",
            "choice",
            "活动形式",
            "Activity type",
            required=True,
            choices=ACTIVITY_TYPES,
            aliases=("形式", "类型", "type"),
        ),
        Field("title", "text", "活动主题", "Title", required=True, max_length=200, aliases=("主题", "题目")),
        Field(
            "theme_day",
            "text",
            "卫生主题日",
            "Health theme day",
            max_length=60,
            help_zh="如 3.24 世界防治结核病日",
            help_en="e.g. World TB Day (24 March)",
            aliases=("主题日",),
        ),
        Field("venue", "text", "地点", "Venue", max_length=120, aliases=("活动地点",)),
        Field("speaker", "text", "主讲人", "Speaker", max_length=60, aliases=("讲师", "主讲")),
        Field(
            "participants",
            "int",
            "受教育人数",
            "People reached",
            min=0,
            max=100000,
            help_zh="到场或受益人数，用于计算覆盖率",
            help_en="Used for the coverage rate",
            aliases=("人数", "参加人数", "受众人数"),
        ),
        Field("consultations", "int", "咨询人次", "Consultations", min=0, max=100000, aliases=("咨询人数",)),
        Field(
            "materials_given",
            "int",
            "发放资料（份）",
            "Materials given",
            min=0,
            max=1000000,
            aliases=("发放资料", "资料份数"),
        ),
        Field("notes", "longtext", "备注", "Notes", max_length=2000, aliases=("说明",)),
    )
    list_display = ("activity_date", "activity_type", "title", "org_unit_id", "participants", "materials_given")
    list_filter = ("activity_type", "activity_date", "org_unit_id")
    search_fields = ("title", "venue", "speaker", "theme_day")
    ordering = ("-activity_date", "-id")
    date_field = "activity_date"
    stats = Stats(
        by=("activity_type", "org_unit_id"),
        measures=(Measure("count"), Measure("sum", "participants"), Measure("sum", "materials_given")),
    )
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": EDITORS,
        "edit": EDITORS,
        "delete": EDITORS,
        "export": frozenset({"admin", "head", "staff", "viewer"}),
        "import": EDITORS,
        "revert": frozenset({"admin", "head"}),
    }

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        # A consultation day without anyone consulted is almost always a typing slip.
        if values.get("activity_type") == "lecture" and values.get("participants") in (None, 0):
            return [FieldError("participants", "validation.lecture_participants")]
        return []
