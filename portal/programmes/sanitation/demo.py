"""Demo sanitation data, relative to the demo's day: the middle school's 爱国卫生月 with its
six classrooms scored at each week's big inspection against the classroom checklist (000
篇一-e's standards), so the rankings and the red flag's history have something to show; 城关镇's 爱国卫生月 over
its villages, market and main street, with rectifications verified, awaiting review, sent
back, open and overdue; and a short campaign in 东关镇 to show scoping. The school's campaign
has its schedules: a daily 值周 rota of two inspectors over the classrooms for the last few
working days (a few checks missed, so the 漏检 list has rows; the demo inspector's turn
falls on the demo's day) and the 检查评比小组's weekly check; a missed check counts as 60
points in its ranking. Written through the record engine, so every row is validated and
audited; deterministic up to the day.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import User
from portal.org import calendars
from portal.org.scope import SYSTEM
from portal.programmes.sanitation import specs as sp
from portal.programmes.sanitation import view as sv
from portal.records import service as records
from portal.records.grid import RowChange

if TYPE_CHECKING:
    from portal.demo import DemoCounty

# 000 篇一-e: "地面无纸屑…桌椅摆放整齐" — a classroom's standards, on 100 points.
CLASSROOM = (
    ("地面", "地面无纸屑、无痰迹、无积水", 25.0, 2.0),
    ("门窗", "墙壁无脚印，门窗玻璃洁净、窗台无灰尘", 20.0, 2.0),
    ("桌椅", "桌椅摆放整齐，讲台黑板整洁", 20.0, 2.0),
    ("工具", "卫生工具摆放整齐，垃圾及时倒掉", 15.0, 1.0),
    ("包干区", "包干区无垃圾杂物、无积水", 20.0, 2.0),
)
# 000 篇三 / 003 武功镇: village roads, garbage, markets, toilets.
VILLAGE = (
    ("道路", "主次干道路面干净，无垃圾、无积存污水", 25.0, 5.0),
    ("垃圾", "垃圾定点投放、日产日清", 25.0, 5.0),
    ("秩序", "无乱堆乱放、乱搭乱建、乱贴乱画", 20.0, 5.0),
    ("公厕", "公厕清洁、无蚊蝇孳生", 15.0, 5.0),
    ("病媒", "鼠、蚊、蝇、蟑螂防制设施完好", 15.0, 5.0),
)
# What becomes of the recent ones, in turn: every stage shows (the older ones are verified).
FATES = ("open", "rectified", "returned", "open", "verified", "rectified")
PROBLEMS = {
    "道路": "村内道路有垃圾堆积，边沟积存污水",
    "垃圾": "垃圾收集点满溢，未及时清运",
    "秩序": "房前屋后柴草杂物乱堆乱放",
    "公厕": "公厕保洁不到位，有蝇类孳生",
    "病媒": "毒饵站缺失，灭鼠设施需补充",
    "地面": "教室地面有纸屑，后排有积水",
    "工具": "卫生工具摆放凌乱，垃圾未倒",
    "包干区": "包干区有落叶和塑料袋未清扫",
}


# The school's 值周 rota (the demo inspector and the school's staff account) and its team.
ROTA = ("inspector", "zx1_staff")
TEAM = "政教处检查评比小组"
ROTA_DAYS = 3  # working days of daily checks before the demo's day
# (working day, classroom) pairs of the rota's daily checks left undone: the 漏检 list
SKIPPED = ((0, 2), (1, 5), (2, 0), (2, 3))
MISSED_SCORE = 60.0


def load(county: DemoCounty) -> dict[str, int]:
    rng = random.Random(20261130)  # noqa: S311 - reproducible demo data, not a secret
    return _Loader(county, rng).run()


class _Loader:
    def __init__(self, county: DemoCounty, rng: random.Random) -> None:
        self.s: Session = county.session
        self.ids = county.ids
        self.county = county
        self.today = county.today
        self.rng = rng
        self.counts = {"sanitation_inspections": 0, "sanitation_rectifications": 0, "sanitation_schedules": 0}

    def run(self) -> dict[str, int]:
        classroom = self._checklist("教室卫生评分细则", "classroom", CLASSROOM)
        village = self._checklist("村庄环境卫生评分细则", "village", VILLAGE)
        monday = self.today - dt.timedelta(days=self.today.weekday())
        start = monday - dt.timedelta(weeks=4)
        school = self._school(classroom, start)
        self._township("cg", "城关镇爱国卫生月", village, start, ("城关农贸市场", "market"), ("城关镇主街", "road"))
        self._township(
            "dg", "东关镇环境卫生整治月", village, monday - dt.timedelta(weeks=2), ("东关镇集贸市场", "market")
        )
        self._school_schedules(*school, classroom)  # last: the townships' draws stay as they were before schedules
        return self.counts

    def _checklist(self, name: str, target: str, rows: tuple[tuple[str, str, float, float], ...]) -> dict[str, Any]:
        checklist = records.create(self.s, SYSTEM, sp.ChecklistSpec, {"name": name, "target_type": target})
        records.save(
            self.s,
            SYSTEM,
            sp.ChecklistSpec,
            checklist.id,
            {},
            children={
                sp.ChecklistItemSpec.slug: [
                    RowChange(values={"seq": n, "category": cat, "criterion": text, "max_points": top, "step": step})
                    for n, (cat, text, top, step) in enumerate(rows, 1)
                ]
            },
        )
        items = sv.sheet_items(self.s, checklist.id)
        return {"id": checklist.id, "items": items}

    def _campaign(
        self, unit: str, name: str, kind: str, checklist: int, start: dt.date, weeks: int, planned: int
    ) -> int:
        campaign = records.create(
            self.s,
            SYSTEM,
            sp.CampaignSpec,
            {
                "org_unit_id": self.ids[unit],
                "name": name,
                "campaign_type": kind,
                "start_date": start,
                "end_date": start + dt.timedelta(weeks=weeks, days=-1),
                "checklist_id": checklist,
                "planned_inspections": planned,
                "target_score": 85,
            },
        )
        campaign_id: int = campaign.id
        return campaign_id

    def _zone(self, unit: str, name: str, kind: str, person: str | None = None) -> int:
        zone = records.create(
            self.s,
            SYSTEM,
            sp.ZoneSpec,
            {"org_unit_id": self.ids[unit], "name": name, "zone_type": kind, "responsible": person},
        )
        zone_id: int = zone.id
        return zone_id

    def _inspect(
        self,
        campaign: int,
        zone: int,
        day: dt.date,
        checklist: dict[str, Any],
        kind: str,
        inspector: str,
        care: float,
    ) -> tuple[int, list[tuple[str, float, float]]]:
        """One inspection scored item by item: a careful zone (care near 1) loses little."""
        inspection = sv.start_inspection(
            self.s,
            SYSTEM,
            {
                "campaign_id": campaign,
                "zone_id": zone,
                "inspection_date": day,
                "inspection_type": kind,
                "inspector": inspector,
            },
        )
        scores, lost = {}, []
        for item in checklist["items"]:
            steps = 0 if self.rng.random() < care else self.rng.choice((1, 1, 2))
            score = max(0.0, item.max_points - steps * item.step)
            scores[item.id] = score
            if steps:
                lost.append((item.category, item.max_points - score, item.step))
        sv.score_sheet(self.s, SYSTEM, inspection.id, scores)
        self.counts["sanitation_inspections"] += 1
        return inspection.id, lost

    def _school(self, checklist: dict[str, Any], start: dt.date) -> tuple[int, list[tuple[int, float]]]:
        school = self.county.school
        campaign = self._campaign(
            school, "第一中学爱国卫生月卫生评比", "school_rating", checklist["id"], start, 6, 6 * 6
        )
        care = (0.8, 0.55, 0.7, 0.45, 0.75, 0.6)
        zones = [
            (self._zone(c.code, f"{c.name_zh}教室", "classroom", "卫生委员"), care[n % len(care)])
            for n, c in enumerate(self.county.classes)
        ]
        week = start
        while week < self.today:
            day = week + dt.timedelta(days=4)  # the weekly big inspection on Friday
            if day >= self.today:
                day = self.today - dt.timedelta(days=1)
            if day < week:
                break
            for zone, zone_care in zones:
                rid, lost = self._inspect(campaign, zone, day, checklist, "weekly", "政教处检查评比小组", zone_care)
                if day == self.today - dt.timedelta(days=1) or (self.today - day).days <= 7:
                    self._rectify(rid, day, lost, verified=False)
            week += dt.timedelta(weeks=1)
        return campaign, zones

    def _school_schedules(self, campaign: int, zones: list[tuple[int, float]], checklist: dict[str, Any]) -> None:
        """The 值周 rota's daily checks of every classroom and the team's weekly check
        (done by the weekly inspections above); the rota starts ROTA_DAYS working days back,
        ordered so that the demo's day is the demo inspector's turn."""
        calendar = calendars.load_calendar(self.s)
        days: list[dt.date] = []
        day = self.today
        while len(days) < ROTA_DAYS:
            day -= dt.timedelta(days=1)
            if calendar.is_workday(day):
                days.insert(0, day)
        turn = len(days) % len(ROTA)  # the demo's day is the turn after the last past day
        rota = ROTA[-turn:] + ROTA[:-turn] if turn else ROTA
        self._schedule(campaign, "daily", "daily", "rota", ", ".join(rota), start=days[0])
        self._schedule(campaign, "weekly", "weekly", "team", "inspector", team=TEAM)
        records.update(
            self.s, SYSTEM, sp.CampaignSpec, campaign, {"missed_rule": "score", "missed_score": MISSED_SCORE}, None
        )
        names = dict(self.s.execute(select(User.username, User.display_name).where(User.username.in_(ROTA))).all())
        for n, day in enumerate(days):
            for z, (zone, care) in enumerate(zones):
                if (n, z) not in SKIPPED:
                    self._inspect(campaign, zone, day, checklist, "daily", names[rota[n % len(rota)]], care)

    def _schedule(self, campaign: int, frequency: str, kind: str, duty: str, inspectors: str, **extra: Any) -> None:
        records.create(
            self.s,
            SYSTEM,
            sp.ScheduleSpec,
            {
                "campaign_id": campaign,
                "zone_type": "classroom",
                "frequency": frequency,
                "inspection_type": kind,
                "duty": duty,
                "inspectors": inspectors,
                "team_name": extra.get("team"),
                "start_date": extra.get("start"),
            },
        )
        self.counts["sanitation_schedules"] += 1

    def _township(
        self,
        township: str,
        name: str,
        checklist: dict[str, Any],
        start: dt.date,
        *own: tuple[str, str],
    ) -> None:
        found = next(t for t in self.county.townships if t.code == township)
        zones = [(self._zone(v.code, v.name_zh.removesuffix("卫生室"), "village"), 0.55) for v in found.villages]
        zones += [(self._zone(township, zone_name, kind), 0.7) for zone_name, kind in own]
        campaign = self._campaign(township, name, "patriotic_month", checklist["id"], start, 5, len(zones) * 5)
        week = start
        while week < self.today:
            day = week + dt.timedelta(days=2)  # Wednesday rounds by the township's 爱卫办
            if day >= self.today:
                break
            for zone, care in zones:
                rid, lost = self._inspect(campaign, zone, day, checklist, "weekly", "乡镇爱卫办检查组", care)
                self._rectify(rid, day, lost, verified=(self.today - day).days > 14)
            week += dt.timedelta(weeks=1)

    def _rectify(self, inspection: int, day: dt.date, lost: list[tuple[str, float, float]], verified: bool) -> None:
        """A rectification for the worst item when it lost two steps or more (or the sheet lost 10
        points or more): older ones verified, recent ones at every stage (some open past their
        deadline)."""
        worst = max(lost, key=lambda x: x[1] / x[2], default=None)
        if worst is None or worst[0] not in PROBLEMS:
            return
        if worst[1] < 2 * worst[2] and sum(points for _, points, _ in lost) < 10:
            return  # a point here and there: noted on the sheet, no rectification
        rect = sv.raise_rectification(self.s, SYSTEM, inspection, PROBLEMS[worst[0]])
        self.counts["sanitation_rectifications"] += 1
        fate = "verified" if verified else FATES[self.counts["sanitation_rectifications"] % len(FATES)]
        if fate == "open":
            return  # still to do (overdue once its deadline has passed)
        done = min(self.today, rect.due_date - dt.timedelta(days=self.rng.choice((0, 1, 2))))
        at = dt.datetime.combine(max(done, day), dt.time(8, 0), tzinfo=dt.UTC)
        records.transition(self.s, SYSTEM, sp.RectificationSpec, rect.id, "rectify", "已按要求整改，附整改照片", now=at)
        if fate == "verified":
            records.transition(self.s, SYSTEM, sp.RectificationSpec, rect.id, "verify", now=at)
        elif fate == "returned":
            records.transition(
                self.s, SYSTEM, sp.RectificationSpec, rect.id, "send_back", "整改不彻底，请重新整改", now=at
            )
