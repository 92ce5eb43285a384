"""Health theme days (卫生主题日) as yearly rules, with the built-in list.

Dates follow the official rule, not a seed's slip: World Asthma Day is the first Tuesday
of May (001 篇四 wrote "5.3"). ``in_seed`` marks the days the source work plans name, so
the calendar can suggest the activities those plans ask for (e.g. 3.24: one consultation
and one lecture on tuberculosis).
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ThemeDay
from portal.errors import FieldError
from portal.org.scope import SYSTEM
from portal.records import audit
from portal.records.fields import Choice, Field
from portal.records.spec import ALL, Permissions, RecordSpec

RULES = (
    Choice("fixed", "固定日期", "Fixed date"),
    Choice("nth_weekday", "某月第几个星期几", "N-th weekday of a month"),
    Choice("month", "整月", "Whole month"),
)
ADMINS = frozenset({"admin"})


@dataclass(frozen=True)
class Rule:
    code: str
    name_zh: str
    name_en: str
    rule: str
    month: int
    day: int | None = None
    weekday: int | None = None
    nth: int | None = None
    duration_days: int = 1
    topics_zh: str = ""
    topics_en: str = ""
    activity_types: str = ""
    in_seed: bool = False
    seed_ref: str = ""


def occurrence(rule: Any, year: int) -> tuple[dt.date, dt.date]:
    """First and last day of the rule's occurrence in a year."""
    if rule.rule == "month":
        last = _cal.monthrange(year, rule.month)[1]
        return dt.date(year, rule.month, 1), dt.date(year, rule.month, last)
    if rule.rule == "fixed":
        start = dt.date(year, rule.month, rule.day)
    else:
        start = nth_weekday(year, rule.month, rule.weekday, rule.nth)
    return start, start + dt.timedelta(days=max(1, rule.duration_days or 1) - 1)


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date:
    """The nth (1..5, or -1 for the last) given weekday (0 = Monday) of a month."""
    days = [d for d in _cal.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if nth == -1:
        return days[-1]
    if not 1 <= nth <= len(days):
        raise ValueError(f"{year}-{month:02d} has no weekday #{nth}")
    return days[nth - 1]


def upcoming(rules: list[Any], today: dt.date, days: int = 60) -> list[tuple[dt.date, dt.date, Any]]:
    """Occurrences that are on, or start within, the next `days` days, soonest first."""
    horizon = today + dt.timedelta(days=days)
    found = []
    for rule in rules:
        for year in (today.year, today.year + 1):
            start, end = occurrence(rule, year)
            if end >= today and start <= horizon:
                found.append((start, end, rule))
    return sorted(found, key=lambda item: (item[0], item[2].code))


def F(
    code: str,
    zh: str,
    en: str,
    month: int,
    day: int,
    topics: tuple[str, str] = ("", ""),
    types: str = "consultation",
    seed: str = "",
    days: int = 1,
) -> Rule:
    return Rule(
        code,
        zh,
        en,
        "fixed",
        month,
        day=day,
        duration_days=days,
        topics_zh=topics[0],
        topics_en=topics[1],
        activity_types=types,
        in_seed=bool(seed),
        seed_ref=seed,
    )


def N(
    code: str,
    zh: str,
    en: str,
    month: int,
    weekday: int,
    nth: int,
    topics: tuple[str, str] = ("", ""),
    types: str = "consultation",
    seed: str = "",
    days: int = 1,
) -> Rule:
    return Rule(
        code,
        zh,
        en,
        "nth_weekday",
        month,
        weekday=weekday,
        nth=nth,
        duration_days=days,
        topics_zh=topics[0],
        topics_en=topics[1],
        activity_types=types,
        in_seed=bool(seed),
        seed_ref=seed,
    )


BUILTIN: tuple[Rule, ...] = (
    N("leprosy_day", "世界防治麻风病日", "World Leprosy Day", 1, 6, -1, ("麻风病", "leprosy")),
    F("ear_day", "全国爱耳日", "National Ear Care Day", 3, 3, ("听力保护", "hearing")),
    F(
        "womens_day",
        "国际妇女节",
        "International Women's Day",
        3,
        8,
        ("妇女保健、生殖健康", "women's health"),
        "lecture",
        "003 “3·8妇女讲座”",
    ),
    N("kidney_day", "世界肾脏日", "World Kidney Day", 3, 3, 2, ("肾脏健康", "kidney health")),
    F("water_day", "世界水日", "World Water Day", 3, 22, ("饮水卫生", "drinking water")),
    N(
        "school_safety_day",
        "全国中小学生安全教育日",
        "School Safety Education Day",
        3,
        0,
        -1,
        ("安全教育", "safety"),
        "class",
    ),
    F(
        "tb_day",
        "世界防治结核病日",
        "World Tuberculosis Day",
        3,
        24,
        ("结核病防治", "tuberculosis"),
        "consultation,lecture",
        "001 篇四 “结合3.24结核病防治宣传日，开展健康教育咨询活动一次”",
    ),
    Rule(
        "patriotic_health_month",
        "爱国卫生月",
        "Patriotic Health Month",
        "month",
        4,
        topics_zh="环境卫生、除四害",
        topics_en="sanitation, pest control",
        activity_types="other",
        in_seed=True,
        seed_ref="003 武功镇 “爱国卫生月”集中行动",
    ),
    F(
        "world_health_day",
        "世界卫生日",
        "World Health Day",
        4,
        7,
        ("", ""),
        "consultation",
        "001 篇一 “利用世界防治结核病日、世界卫生日…开展健康咨询活动”",
    ),
    F("cancer_week", "全国肿瘤防治宣传周", "Cancer Prevention Week", 4, 15, ("肿瘤防治", "cancer"), days=7),
    F(
        "immunization_day",
        "全国儿童预防接种日",
        "Children's Immunization Day",
        4,
        25,
        ("预防接种", "immunisation"),
        "lecture,consultation",
        "001 篇四 “4.25全国儿童预防接种宣传日”",
    ),
    N(
        "asthma_day",
        "世界哮喘日",
        "World Asthma Day",
        5,
        1,
        1,
        ("哮喘", "asthma"),
        "lecture",
        "001 篇四 写作“5.3”，官方规则为五月第一个星期二",
    ),
    F("hand_hygiene_day", "世界手卫生日", "World Hand Hygiene Day", 5, 5, ("手卫生", "hand hygiene")),
    N(
        "mothers_day",
        "母亲节",
        "Mother's Day",
        5,
        6,
        2,
        ("妇幼保健", "maternal health"),
        "consultation",
        "003 母亲节宣传",
    ),
    F("nurses_day", "国际护士节", "International Nurses Day", 5, 12, ("", ""), "other", "003 国际护士节"),
    F(
        "iodine_day",
        "全国防治碘缺乏病日",
        "Iodine Deficiency Day",
        5,
        15,
        ("碘缺乏病", "iodine deficiency"),
        "consultation,lecture",
        "001 篇一 “防治碘缺乏病日”",
    ),
    F("hypertension_world_day", "世界高血压日", "World Hypertension Day", 5, 17, ("高血压", "hypertension")),
    F("student_nutrition_day", "中国学生营养日", "Student Nutrition Day", 5, 20, ("营养", "nutrition"), "class"),
    F(
        "fp_member_day",
        "中国计划生育协会会员活动日",
        "Family Planning Association Day",
        5,
        29,
        ("计划生育", "family planning"),
        "consultation",
        "003 “5.29”",
    ),
    F(
        "no_tobacco_day",
        "世界无烟日",
        "World No Tobacco Day",
        5,
        31,
        ("控烟", "tobacco control"),
        "consultation",
        "001 篇四 “5.31世界无烟日”",
    ),
    F(
        "children_day",
        "国际儿童节",
        "International Children's Day",
        6,
        1,
        ("儿童体检", "child check-ups"),
        "other",
        "003 “全园幼儿六一体检”",
    ),
    Rule(
        "anti_drug_month",
        "禁毒宣传月",
        "Anti-drug Publicity Month",
        "month",
        6,
        topics_zh="禁毒",
        topics_en="drugs",
        activity_types="lecture,materials",
        in_seed=True,
        seed_ref="003 “六月禁毒宣传月”",
    ),
    F("environment_day", "世界环境日", "World Environment Day", 6, 5, ("环境卫生", "environment")),
    F(
        "eye_day",
        "全国爱眼日",
        "National Eye Care Day",
        6,
        6,
        ("爱眼护眼", "eye care"),
        "lecture",
        "001 篇四 “6月6日爱眼日”",
    ),
    F("blood_donor_day", "世界献血者日", "World Blood Donor Day", 6, 14, ("无偿献血", "blood donation")),
    F("drug_day", "国际禁毒日", "International Day against Drug Abuse", 6, 26, ("禁毒", "drugs")),
    F(
        "population_day",
        "世界人口日",
        "World Population Day",
        7,
        11,
        ("人口与计生", "population"),
        "consultation",
        "003 “7月11日，举办‘世界人口日’大型宣传咨询服务活动”",
    ),
    F("hepatitis_day", "世界肝炎日", "World Hepatitis Day", 7, 28, ("肝炎", "hepatitis")),
    F("breastfeeding_week", "世界母乳喂养周", "World Breastfeeding Week", 8, 1, ("母乳喂养", "breastfeeding"), days=7),
    F("fitness_day", "全民健身日", "National Fitness Day", 8, 8, ("全民健身", "physical activity")),
    F("doctors_day", "中国医师节", "Chinese Doctors' Day", 8, 19, ("", ""), "other", "003 中国医师节"),
    F(
        "fp_law_day",
        "《人口与计划生育法》实施纪念日",
        "Population and Family Planning Law Day",
        9,
        1,
        ("计生法规", "family-planning law"),
        "consultation",
        "003 “9.1”",
    ),
    F(
        "teachers_day",
        "教师节",
        "Teachers' Day",
        9,
        10,
        ("校园环境卫生", "school clean-up"),
        "other",
        "000 篇一-e 教师节前夕大扫除",
    ),
    N(
        "myopia_week",
        "防近宣传周",
        "Myopia Prevention Week",
        9,
        0,
        3,
        ("近视防控", "myopia"),
        "lecture,class",
        "000 篇一-a “第3周为‘防近宣传周’”（按九月第三周近似）",
        days=7,
    ),
    F(
        "teeth_day",
        "全国爱牙日",
        "National Teeth Care Day",
        9,
        20,
        ("口腔卫生、正确刷牙", "dental care"),
        "consultation,lecture",
        "000 篇一-a “结合‘9.20爱牙日’”",
    ),
    F(
        "open_letter_day",
        "《公开信》发表纪念日",
        "Open Letter Anniversary",
        9,
        25,
        ("计划生育", "family planning"),
        "other",
        "003 “9.25”座谈会",
    ),
    F("rabies_day", "世界狂犬病日", "World Rabies Day", 9, 28, ("狂犬病", "rabies")),
    F("heart_day", "世界心脏日", "World Heart Day", 9, 29, ("心脏健康", "heart health")),
    F(
        "hypertension_day",
        "全国高血压日",
        "National Hypertension Day",
        10,
        8,
        ("高血压防治", "hypertension"),
        "consultation",
        "001 篇一 “全国高血压日”",
    ),
    F(
        "mental_health_day",
        "世界精神卫生日",
        "World Mental Health Day",
        10,
        10,
        ("心理健康", "mental health"),
        "consultation",
        "001 篇一 “世界精神卫生日”",
    ),
    N("sight_day", "世界视觉日", "World Sight Day", 10, 3, 2, ("视力保护", "eyesight")),
    F("handwashing_day", "全球洗手日", "Global Handwashing Day", 10, 15, ("洗手", "handwashing")),
    F("osteoporosis_day", "世界骨质疏松日", "World Osteoporosis Day", 10, 20, ("骨质疏松", "osteoporosis")),
    F(
        "mens_health_day",
        "男性健康日",
        "Men's Health Day",
        10,
        28,
        ("男性健康", "men's health"),
        "consultation",
        "003 “10.28”",
    ),
    F("stroke_day", "世界卒中日", "World Stroke Day", 10, 29, ("卒中", "stroke")),
    F(
        "diabetes_day",
        "世界糖尿病日",
        "World Diabetes Day",
        11,
        14,
        ("糖尿病防治", "diabetes"),
        "consultation",
        "001 篇一 “世界糖尿病日”",
    ),
    N("copd_day", "世界慢阻肺日", "World COPD Day", 11, 2, 3, ("慢阻肺", "COPD")),
    F("toilet_day", "世界厕所日", "World Toilet Day", 11, 19, ("厕所卫生", "sanitation")),
    F(
        "aids_day",
        "世界艾滋病日",
        "World AIDS Day",
        12,
        1,
        ("艾滋病防治", "HIV/AIDS"),
        "consultation",
        "001 篇一 “世界艾滋病日”",
    ),
    F(
        "disability_day",
        "国际残疾人日",
        "International Day of Persons with Disabilities",
        12,
        3,
        ("残疾人健康", "disability"),
    ),
    F(
        "law_day",
        "国家宪法日（全国法制宣传日）",
        "National Constitution Day",
        12,
        4,
        ("卫生法律法规", "health law"),
        "materials",
        "003 “12月4日…法制宣传教育活动”",
    ),
    Rule(  # last, so the ids of the days loaded before it stay as they were
        "healthy_lifestyle_month",
        "全民健康生活方式月",
        "National Healthy Lifestyle Month",
        "month",
        9,
        topics_zh="三减三健、合理膳食、适量运动",
        topics_en="healthy lifestyle: less salt, oil and sugar; diet and exercise",
        activity_types="lecture,consultation",
    ),
)


def ensure_builtin(session: Session) -> int:
    """Add any built-in theme day missing from the table (by code); edits made by
    admins to existing rows are left alone. Returns how many were added."""
    have = set(session.scalars(select(ThemeDay.code)))
    added = 0
    for rule in BUILTIN:
        if rule.code not in have:
            audit.created(session, SYSTEM, "theme_days", ThemeDay(**vars(rule), active=True))
            added += 1
    return added


def active_rules(session: Session) -> list[ThemeDay]:
    return list(session.scalars(select(ThemeDay).where(ThemeDay.active.is_(True), ThemeDay.deleted_at.is_(None))))


class ThemeDaySpec(RecordSpec):
    """Health theme days: edited by admins, shown to everyone on the calendar."""

    slug = "theme_days"
    model = ThemeDay
    title_zh, title_en = "卫生主题日", "Health theme days"
    org_field = None
    fields = (
        Field("code", "text", "编码", "Code", required=True, max_length=40, create_only=True),
        Field("name_zh", "text", "中文名称", "Chinese name", required=True, max_length=120),
        Field("name_en", "text", "英文名称", "English name", required=True, max_length=120),
        Field("rule", "choice", "规则", "Rule", required=True, choices=RULES),
        Field("month", "int", "月", "Month", required=True, min=1, max=12),
        Field("day", "int", "日", "Day", min=1, max=31, help_zh="固定日期时填写", help_en="For fixed dates"),
        Field("weekday", "int", "星期（0=周一）", "Weekday (0=Mon)", min=0, max=6),
        Field("nth", "int", "第几个（-1=最后）", "Which one (-1=last)", min=-1, max=5),
        Field("duration_days", "int", "持续天数", "Days", min=1, max=31, default=1),
        Field("topics_zh", "text", "建议主题", "Suggested topics (zh)", max_length=200),
        Field("topics_en", "text", "建议主题（英文）", "Suggested topics (en)", max_length=200),
        Field("activity_types", "text", "建议活动形式", "Suggested activity types", max_length=120),
        Field("in_seed", "bool", "工作计划提及", "Named in the plans", default=False),
        Field("seed_ref", "text", "出处", "Source", max_length=200),
        Field("active", "bool", "启用", "Active", default=True),
    )
    list_display = ("month", "code", "name_zh", "name_en", "rule", "in_seed", "active")
    list_filter = ("rule", "in_seed", "active")
    search_fields = ("code", "name_zh", "name_en", "topics_zh")
    ordering = ("month", "day", "code")
    natural_key = ("code",)
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": ADMINS,
        "edit": ADMINS,
        "delete": ADMINS,
        "export": ALL,
        "import": ADMINS,
        "revert": ADMINS,
    }

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        rule, month = values.get("rule"), values.get("month")
        if rule == "fixed":
            day = values.get("day")
            if day is None:
                return [FieldError("day", "validation.required")]
            if month and day > _cal.monthrange(2024, month)[1]:  # 2024: allow 29 February
                return [FieldError("day", "validation.max", {"max": _cal.monthrange(2024, month)[1]})]
        if rule == "nth_weekday":
            missing = [k for k in ("weekday", "nth") if values.get(k) is None]
            if missing:
                return [FieldError(k, "validation.required") for k in missing]
            if values["nth"] == 0:
                return [FieldError("nth", "validation.min", {"min": 1})]
        return []
