"""Demo health-education data for the demo county: a plausible year and a bit of
activities (quarterly village lectures, theme-day consultations, board updates, market-day
consultations, school columns) and this year's targets handed down by the county head.
Written through the record engine, so every row is validated and audited like real input;
deterministic (a seeded random generator) up to the demo's day.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import HeActivity, User
from portal.metrics import targets
from portal.org import themedays
from portal.org.scope import SYSTEM, Actor, actor_for
from portal.programmes.education import specs as es
from portal.programmes.education.specs import HeActivitySpec
from portal.records import service as records

if TYPE_CHECKING:
    from portal.demo import DemoCounty

TOPICS = (
    "高血压防治",
    "糖尿病防治",
    "结核病防治",
    "艾滋病防治",
    "合理膳食与限盐",
    "控烟限酒",
    "慢阻肺防治",
    "老年人健康管理",
    "儿童预防接种",
    "孕产妇保健",
    "手足口病预防",
    "食品安全",
    "心理健康",
    "中医药养生",
    "狂犬病预防",
    "碘缺乏病防治",
)
SPEAKERS = ("王医生", "李梅", "张建华", "刘芳", "陈志强", "杨丽", "赵文斌", "黄晓燕")
VILLAGE_VENUES = ("村委会会议室", "村卫生室", "村文化广场")
TOWN_VENUES = ("卫生院门诊大厅", "镇集市广场", "镇政府礼堂", "卫生院会议室")


def load(county: DemoCounty) -> dict[str, int]:
    session, ids, townships = county.session, county.ids, county.townships
    rng = random.Random(20260324)  # noqa: S311 - reproducible demo data, not a secret
    writer = _Writer(session, rng, county.today, county.diligence)
    years = (county.today.year - 1, county.today.year)  # last year and this one, up to the demo's day
    for year in years:
        for township in townships:
            writer.township(year, township, ids)
        writer.school(year, ids[county.school])
    counts = {"he_activities": writer.count, "targets": _targets(session, ids, townships, county.today.year)}
    past, lifestyle = _past_campaigns(county)
    counts["he_campaigns"] = 1 + past
    campaign_activities = _campaign(county, rng)
    counts["he_activities"] += campaign_activities + lifestyle
    return counts


class _Writer:
    def __init__(self, session: Session, rng: random.Random, today: dt.date, diligence: dict[str, float]) -> None:
        self.session, self.rng, self.today, self.count = session, rng, today, 0
        self.diligence = diligence

    def add(self, unit_id: int, day: dt.date, kind: str, title: str, **extra: Any) -> None:
        if day > self.today:
            return
        records.create(
            self.session,
            SYSTEM,
            HeActivitySpec,
            {"org_unit_id": unit_id, "activity_date": day, "activity_type": kind, "title": title, **extra},
        )
        self.count += 1

    def day_in(self, year: int, month: int) -> dt.date:
        return dt.date(year, month, self.rng.randint(3, 26))

    def township(self, year: int, township: Any, ids: dict[str, int]) -> None:
        unit, keen = ids[township.code], self.diligence.get(township.code, 0.8)
        rng = self.rng

        def crowd() -> int:  # consultation days reach about 1-3 % of the township each
            return int(township.resident_base * rng.uniform(0.012, 0.03))

        for month in range(1, 13):
            if rng.random() < keen + 0.1:
                self.add(
                    unit, self.day_in(year, month), "board", f"{rng.choice(TOPICS)}宣传栏更换", venue="卫生院宣传栏"
                )
            if rng.random() < keen:
                self.add(
                    unit,
                    self.day_in(year, month),
                    "consultation",
                    "集市健康咨询",
                    venue="镇集市广场",
                    participants=crowd(),
                    consultations=rng.randint(20, 90),
                    materials_given=rng.randint(80, 300),
                )
        for rule in themedays.BUILTIN:
            if rule.in_seed and rule.rule != "month" and "consultation" in rule.activity_types and rng.random() < keen:
                start, _ = themedays.occurrence(rule, year)
                self.add(
                    unit,
                    start,
                    "consultation",
                    f"{rule.name_zh}主题宣传咨询",
                    theme_day=rule.name_zh,
                    venue=rng.choice(TOWN_VENUES),
                    participants=crowd(),
                    consultations=rng.randint(30, 120),
                    materials_given=rng.randint(150, 500),
                )
        for quarter in range(4):
            if rng.random() < keen:
                self.add(
                    unit,
                    self.day_in(year, quarter * 3 + 2),
                    "lecture",
                    f"{rng.choice(TOPICS)}健康讲座",
                    venue=rng.choice(TOWN_VENUES),
                    speaker=rng.choice(SPEAKERS),
                    participants=rng.randint(40, 120),
                )
        for village in township.villages:
            self.village(year, ids[village.code], keen)

    def village(self, year: int, unit: int, keen: float) -> None:
        rng = self.rng
        for quarter in range(4):  # 讲座全年不少于4次: quarterly
            if rng.random() < keen:
                self.add(
                    unit,
                    self.day_in(year, quarter * 3 + rng.randint(1, 3)),
                    "lecture",
                    f"{rng.choice(TOPICS)}知识讲座",
                    venue=rng.choice(VILLAGE_VENUES),
                    speaker=rng.choice(SPEAKERS),
                    participants=rng.randint(18, 65),
                    materials_given=rng.randint(20, 80),
                )
        for month in range(2, 13, 2):  # boards every two months in the villages
            if rng.random() < keen:
                self.add(
                    unit, self.day_in(year, month), "board", f"{rng.choice(TOPICS)}宣传栏更换", venue="村卫生室宣传栏"
                )

    def school(self, year: int, unit: int) -> None:
        for month, title in (
            (3, "春季传染病预防专栏"),
            (5, "营养与健康广播"),
            (6, "爱眼护眼专栏"),
            (9, "防近宣传周专栏"),
            (10, "营养知识专题板报"),
            (12, "冬季卫生广播"),
        ):
            self.add(
                unit,
                self.day_in(year, month),
                "board" if "栏" in title or "板报" in title else "av",
                title,
                venue="教学楼宣传栏",
            )
        self.add(
            unit,
            dt.date(year, 9, 20),
            "class",
            "爱牙日：正确刷牙方法",
            theme_day="全国爱牙日",
            participants=298,
            venue="各班教室",
        )


def _targets(session: Session, ids: dict[str, int], townships: Any, year_number: int) -> int:
    """The county head hands this year's targets down to the townships (下达). A township's
    figure covers its centre and its village clinics: 4 lectures each (001 篇一), boards
    monthly at the centre and every two months in the villages (001 篇四), 50 % reached."""
    head = session.scalar(select(User).where(User.username == "head"))
    actor: Actor = actor_for(session, head) if head is not None else SYSTEM
    year = str(year_number)
    plans = {
        "HE-01": lambda t: 4.0 * (len(t.villages) + 1),
        "HE-02": lambda t: 12.0 + 6.0 * len(t.villages),
        "HE-05": lambda t: 50.0,
    }
    written = 0
    for code, rule in plans.items():
        counts = targets.assign(session, actor, code, year, {ids[t.code]: rule(t) for t in townships})
        written += counts["created"]
    return written


def _photo(rng: random.Random) -> bytes:
    """A small stand-in photo (a coloured scene), as a phone would upload one."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (480, 360), (rng.randint(150, 230), rng.randint(170, 230), rng.randint(150, 220)))
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 220, 440, 330), fill=(200, 40, 40))  # the banner of the consultation stand
    draw.ellipse((200, 60, 280, 140), fill=(250, 250, 250))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


GOALS = {"activities_goal": 4, "people_goal": 300, "materials_goal": 800}
CAMPAIGN_ACTIVITIES = (
    ("consultation", "世界艾滋病日主题宣传咨询"),
    ("lecture", "艾滋病防治知识讲座"),
    ("materials", "艾滋病防治宣传资料发放"),
    ("board", "艾滋病防治宣传栏更换"),
)


def _done(keen: float) -> int:
    """Activities a township has done a week into the campaign: the diligent three, the least none."""
    return 3 if keen >= 0.85 else 2 if keen >= 0.7 else 1 if keen >= 0.55 else 0


def _campaign(county: DemoCounty, rng: random.Random) -> int:
    """世界艾滋病日 (1 December) launched by the county head and running on the demo's day:
    its period is the theme day's week either side when that holds the demo's day, else the
    fortnight around it. The keen townships have done their activities, the others are
    behind, and some activities have no photo yet."""
    from portal.programmes.education import campaigns as ec
    from portal.records import attachments

    session, ids, today = county.session, county.ids, county.today
    head = session.scalar(select(User).where(User.username == "head"))
    actor: Actor = actor_for(session, head) if head is not None else SYSTEM
    year = today.year if today <= dt.date(today.year, 12, 1) + dt.timedelta(days=ec.LEAD_DAYS) else today.year + 1
    campaign = ec.launch(session, actor, "aids_day", year, unit_id=ids["county"], goals=GOALS)
    if not campaign.start_date <= today <= campaign.end_date:
        start = today - dt.timedelta(days=6)
        records.update(
            session,
            actor,
            es.CampaignSpec,
            campaign.id,
            {"start_date": start, "end_date": today + dt.timedelta(days=8)},
            campaign.version,
        )
    records.transition(session, actor, es.CampaignSpec, campaign.id, "start")
    start = campaign.start_date
    days = max(1, (today - start).days + 1)
    made = 0
    plan = [(ids[t.code], _done(county.diligence.get(t.code, 0.8)), t.resident_base) for t in county.townships]
    plan.append((ids[county.school], 2, 1500))
    for n, (unit, done, base) in enumerate(plan):
        given = 0
        for k in range(done):
            day = start + dt.timedelta(days=rng.randint(0, days - 1))
            kind, title = CAMPAIGN_ACTIVITIES[k % len(CAMPAIGN_ACTIVITIES)]
            row = records.create(
                session,
                SYSTEM,
                HeActivitySpec,
                {
                    "org_unit_id": unit,
                    "activity_date": day,
                    "activity_type": kind,
                    "title": title,
                    "venue": rng.choice(TOWN_VENUES),
                    "speaker": rng.choice(SPEAKERS),
                    "participants": int(base * rng.uniform(0.002, 0.006)) + 40,
                    "consultations": rng.randint(20, 80) if kind == "consultation" else None,
                    "materials_given": rng.randint(100, 400),
                    "campaign_id": campaign.id,
                },
            )
            made += 1
            given += row.materials_given or 0
            if (n + k) % 3 != 2:  # every third activity still waits for its photo
                attachments.add(session, SYSTEM, "he_activities", row.id, "photos", "现场.jpg", _photo(rng), "宣传现场")
        _materials(session, unit, campaign.id, start, given)
    _plans(county, campaign)
    return made


def _plans(county: DemoCounty, campaign: Any) -> None:
    """Each goal unit's planned activities (计划活动) across the campaign: the diligent
    townships and the school plan as many as their goal, the others only half of them.
    Its own generator, so the rest of the demo stays as it was."""
    rng = random.Random(20261201)  # noqa: S311 - reproducible demo data, not a secret
    ids, span = county.ids, (campaign.end_date - campaign.start_date).days
    units = [(ids[t.code], county.diligence.get(t.code, 0.8)) for t in county.townships]
    units.append((ids[county.school], 0.9))
    goal = GOALS["activities_goal"]
    for unit, keen in units:
        count = goal if keen >= 0.7 else goal // 2
        for k in range(count):
            kind, _title = CAMPAIGN_ACTIVITIES[k % len(CAMPAIGN_ACTIVITIES)]
            records.create(
                county.session,
                SYSTEM,
                es.CampaignPlanSpec,
                {
                    "campaign_id": campaign.id,
                    "org_unit_id": unit,
                    "activity_type": kind,
                    "planned_date": campaign.start_date + dt.timedelta(days=span * k // max(1, count - 1)),
                    "place": rng.choice(TOWN_VENUES),
                    "expected_reach": rng.randrange(60, 200, 10),
                },
            )


def _materials(session: Session, unit: int, campaign_id: int, start: dt.date, given: int) -> None:
    """The leaflets the county handed each unit at the launch, and what it has given out."""
    kind = "艾滋病防治宣传折页"
    base = {"org_unit_id": unit, "kind": kind, "campaign_id": campaign_id}
    records.create(session, SYSTEM, es.MaterialSpec, {**base, "movement_date": start, "received": 1500})
    if given:
        records.create(session, SYSTEM, es.MaterialSpec, {**base, "movement_date": start, "handed_out": given})


LIFESTYLE = (
    ("lecture", "三减三健健康讲座"),
    ("consultation", "全民健康生活方式宣传咨询"),
    ("lecture", "合理膳食与适量运动讲座"),
)


def _lifestyle_activities(county: DemoCounty) -> int:
    """The townships' and the school's 全民健康生活方式月 activities in September (the keen
    ones more), half with a photo; recorded with the month as their theme day, so the
    month's campaign takes them in. Its own generator, so the rest of the demo stays as it was."""
    from portal.records import attachments

    rng = random.Random(20260901)  # noqa: S311 - reproducible demo data, not a secret
    session, ids, year = county.session, county.ids, county.today.year
    units = [(ids[t.code], county.diligence.get(t.code, 0.8), t.resident_base) for t in county.townships]
    units.append((ids[county.school], 0.9, 1500))
    made = 0
    for n, (unit, keen, base) in enumerate(units):
        for k in range(3 if keen >= 0.85 else 2 if keen >= 0.6 else 1):
            kind, title = LIFESTYLE[k]
            row = records.create(
                session,
                SYSTEM,
                HeActivitySpec,
                {
                    "org_unit_id": unit,
                    "activity_date": dt.date(year, 9, rng.randint(2, 28)),
                    "activity_type": kind,
                    "title": title,
                    "theme_day": "全民健康生活方式月",
                    "venue": rng.choice(TOWN_VENUES),
                    "speaker": rng.choice(SPEAKERS),
                    "participants": int(base * rng.uniform(0.002, 0.005)) + 30,
                    "materials_given": rng.randint(50, 200),
                },
            )
            made += 1
            if (n + k) % 2 == 0:
                attachments.add(session, SYSTEM, "he_activities", row.id, "photos", "现场.jpg", _photo(rng), "讲座现场")
    return made


def _past_campaigns(county: DemoCounty) -> tuple[int, int]:
    """This year's 世界无烟日, 全国爱牙日 and 全民健康生活方式月 (September) campaigns, over by
    the demo's day: launched by the county head, the theme-day activities already recorded
    attached to them, and summarised with the narrative drafted from their figures. Returns
    the campaigns and the activities written for them."""
    from portal.programmes.education import campaigns as ec
    from portal.programmes.education.summary import narrative

    session, ids, today = county.session, county.ids, county.today
    head = session.scalar(select(User).where(User.username == "head"))
    actor: Actor = actor_for(session, head) if head is not None else SYSTEM
    made = written = 0
    for code in ("no_tobacco_day", "teeth_day", "healthy_lifestyle_month"):
        day = ec.theme_day(session, code)
        start, end = ec.campaign_dates(day, today.year)
        if end >= today:
            continue
        if code == "healthy_lifestyle_month":
            written += _lifestyle_activities(county)
        campaign = ec.launch(session, actor, code, today.year, unit_id=ids["county"])
        records.transition(session, actor, es.CampaignSpec, campaign.id, "start")
        attached = session.scalars(
            select(HeActivity).where(
                HeActivity.deleted_at.is_(None),
                HeActivity.theme_day == day.name_zh,
                HeActivity.activity_date >= start,
                HeActivity.activity_date <= end,
            )
        ).all()
        for activity in attached:
            records.update(session, SYSTEM, HeActivitySpec, activity.id, {"campaign_id": campaign.id}, activity.version)
        text = narrative(ec.board(session, actor, campaign.id, end), "zh-CN")
        records.transition(session, actor, es.CampaignSpec, campaign.id, "summarise", text)
        made += 1
    return made, written
