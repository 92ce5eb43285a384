"""Demo training for the demo county, relative to the demo's day: the supervision office's
协管员 training (quotas 卫生院 4, 卫生室 1; a first session some weeks ago, finished and
summarised with its test — all passed, about 29 % 优秀 and 46 % 良好 as in 002 篇五 — and a
second session starting today for the demo ``trainer``), the CDC's 基本公卫规范 training
for the township centres, and a first-aid class for the school's teachers. Absences, late
sign-ins and a few 协管员 below their 20 学时 are deliberate. Written through the engine
(rosters within quota, grids through ``save_rows``), so every row is checked and audited.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import TrainingPerson, User
from portal.org.scope import SYSTEM
from portal.programmes.training import service as training
from portal.programmes.training import specs as tr
from portal.records import service as records
from portal.records.grid import RowChange

if TYPE_CHECKING:
    from portal.demo import DemoCounty

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢"
    "蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志红梅海燕文斌晓东春"


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


class _Demo:
    def __init__(self, county: DemoCounty) -> None:
        self.session: Session = county.session
        self.county = county
        self.rng = random.Random(20260412)  # noqa: S311 - reproducible demo data, not a secret
        self.counts = {
            "training_programmes": 0,
            "training_sessions": 0,
            "training_enrolments": 0,
            "training_attendance": 0,
            "training_assessments": 0,
        }
        self.used: set[str] = set()

    def name(self) -> str:
        while True:
            made = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
            if made not in self.used:
                self.used.add(made)
                return made

    def phone(self) -> str:
        return "1" + self.rng.choice("3578") + "".join(self.rng.choice("0123456789") for _ in range(9))

    def programme(self, organiser: str, title: str, category: str, quotas: list[dict[str, Any]], **extra: Any) -> int:
        year = self.county.today.year
        obj = records.save(
            self.session,
            SYSTEM,
            tr.TrainingProgrammeSpec,
            None,
            {
                "organiser_unit_id": self.county.ids[organiser],
                "year": year,
                "title": title,
                "category": category,
                **extra,
            },
            children={"training_quotas": [RowChange(values=q) for q in quotas]},
        )
        self.counts["training_programmes"] += 1
        return int(obj.id)

    def run(self, programme: int, title: str, start: dt.date, half_days: int, **extra: Any) -> Any:
        obj = records.create(
            self.session,
            SYSTEM,
            tr.TrainingSessionSpec,
            {"programme_id": programme, "title": title, "start_date": start, "half_days": half_days, **extra},
        )
        self.counts["training_sessions"] += 1
        return obj

    def enrol(self, run: Any, unit_code: str, category: str, n: int) -> list[int]:
        ids = []
        for _ in range(n):
            obj = records.create(
                self.session,
                SYSTEM,
                tr.TrainingEnrolmentSpec,
                {
                    "session_id": run.id,
                    "org_unit_id": self.county.ids[unit_code],
                    "person_name": self.name(),
                    "sex": self.rng.choice(("m", "f", "f")),
                    "category": category,
                    "phone": self.phone(),
                },
            )
            ids.append(int(obj.id))
        self.counts["training_enrolments"] += n
        return ids

    def attend(self, run: Any, people: list[int], until: int | None = None, absent: float = 0.05) -> None:
        """Marks for every half-day (or the first ``until``): mostly present, some late,
        a few on leave or absent."""
        keys = tr.half_days(run.start_date, run.half_days)[:until]
        edits: dict[tuple[int, str], Any] = {}
        for person in people:
            for key in keys:
                roll = self.rng.random()
                edits[(person, key)] = (
                    "absent"
                    if roll < absent
                    else "leave"
                    if roll < absent * 1.6
                    else "late"
                    if roll < absent * 1.6 + 0.06
                    else "early"
                    if roll < absent * 1.6 + 0.08
                    else "present"
                )
        saved = training.save_attendance(self.session, SYSTEM, run.id, {}, edits)
        self.counts["training_attendance"] += saved.created

    def scores(self, run: Any, people: list[int], shares: tuple[float, float]) -> None:
        """First-attempt scores: ``shares`` of 优秀 and 良好, the rest 合格 (all pass)."""
        order = list(people)
        self.rng.shuffle(order)
        excellent = round(len(order) * shares[0])
        good = round(len(order) * shares[1])
        edits: dict[tuple[int, int], Any] = {}
        for n, person in enumerate(order):
            low, high = (90, 99) if n < excellent else (80, 89) if n < excellent + good else (62, 79)
            edits[(person, 1)] = float(self.rng.randint(low, high))
        saved = training.save_scores(self.session, SYSTEM, run.id, {}, edits)
        self.counts["training_assessments"] += saved.created

    def steps(self, run: Any, *names: str, comment: str | None = None) -> None:
        for step in names:
            records.transition(self.session, SYSTEM, tr.TrainingSessionSpec, run.id, step, comment)

    def summarise(self, run: Any, text: str) -> None:
        fresh = records.get(self.session, SYSTEM, tr.TrainingSessionSpec, run.id)
        records.update(self.session, SYSTEM, tr.TrainingSessionSpec, run.id, {"summary": text}, fresh.version)
        self.steps(run, "summarise")


def load(county: DemoCounty) -> dict[str, int]:
    demo = _Demo(county)
    today = county.today
    trainer = county.session.scalar(select(User.id).where(User.username == "trainer"))
    townships = county.townships

    # 协管员 training by the supervision office: 卫生院 4 places, 卫生室 1 (002 篇五, 000 篇五).
    assistants = demo.programme(
        "jds",
        "卫生监督协管员业务培训",
        "assistant",
        [{"unit_type": "township_hc", "quota": 4}, {"unit_type": "village_clinic", "quota": 1}],
        audience="各乡镇卫生院协管员、村卫生室信息员",
        hours=21,
        credit_type="继续医学教育Ⅱ类学分",
        assessment="闭卷笔试",
        summary_due=dt.date(today.year, 11, 30),
    )
    first = demo.run(
        assistants,
        "协管员业务培训第一期",
        _weekday_on_or_before(today - dt.timedelta(days=60)),
        6,
        hours_per_half_day=3.5,
        venue="县卫生监督所三楼会议室",
        lecturers="卫生监督所 刘洋、疾控中心 张伟",
        trainer_user_id=trainer,
        capacity=60,
    )
    first_people: list[int] = []
    for township in townships[:3]:
        first_people += demo.enrol(first, township.code, "assistant", 4)
        for village in township.villages:
            first_people += demo.enrol(first, village.code, "informant", 1)
    demo.steps(first, "open")
    demo.attend(first, first_people, absent=0.06)
    demo.scores(first, first_people, (0.29, 0.46))
    demo.steps(first, "finish")
    demo.summarise(
        first,
        "本期培训为期三天，围绕卫生监督协管工作规范、公共场所与生活饮用水卫生、学校卫生和传染病防治等内容，"
        "采取集中授课与案例讨论相结合的方式。培训结束进行了闭卷测试，全部合格。",
    )

    second = demo.run(
        assistants,
        "协管员业务培训第二期",
        today,
        4,
        hours_per_half_day=3.5,
        venue="县疾控中心培训室",
        lecturers="疾控中心 张伟",
        trainer_user_id=trainer,
        capacity=60,
    )
    second_people: list[int] = []
    for township in townships[3:]:
        second_people += demo.enrol(second, township.code, "assistant", 4)
        for village in township.villages:
            second_people += demo.enrol(second, village.code, "informant", 1)
    demo.steps(second, "open")

    # 基本公卫规范 training by the CDC for the township centres: 3 places each, two days.
    norms = demo.programme(
        "cdc",
        "基本公共卫生服务规范培训",
        "phs_norms",
        [{"unit_type": "township_hc", "quota": 3}],
        audience="乡镇卫生院公卫人员",
        hours=14,
        assessment="闭卷笔试",
    )
    run = demo.run(
        norms,
        "基本公卫规范培训",
        _weekday_on_or_before(today - dt.timedelta(days=120)),
        4,
        hours_per_half_day=3.5,
        venue="县疾控中心培训室",
        lecturers="疾控中心 张伟",
        trainer_user_id=trainer,
    )
    people: list[int] = []
    for township in townships:
        people += demo.enrol(run, township.code, "public_health", 3)
    demo.steps(run, "open")
    demo.attend(run, people, absent=0.04)
    demo.scores(run, people, (0.22, 0.5))
    demo.steps(run, "finish")

    # 急救普及 for the school's teachers: one afternoon, no test.
    aid = demo.programme("cdc", "校园急救知识普及", "first_aid", [], audience="学校教师", hours=3.5)
    run = demo.run(
        aid,
        "心肺复苏与外伤急救",
        _weekday_on_or_before(today - dt.timedelta(days=25)),
        1,
        hours_per_half_day=3.5,
        format="simulation",
        venue="示范县第一中学报告厅",
        lecturers="疾控中心 张伟",
    )
    teachers = demo.enrol(run, county.school, "teacher", 12)
    demo.steps(run, "open")
    demo.attend(run, teachers, absent=0.05)
    demo.steps(run, "finish")
    # every roster entry found or added its person in the register (学员名册)
    demo.counts["training_people"] = tr.live_count(demo.session, TrainingPerson)
    return demo.counts
