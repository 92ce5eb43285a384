"""Demo monthly work plans for the demo county: a year of plans drawn from the seed
schedules, with their progress and monthly reports in every state (approved, returned,
late, never sent). Written through the record engine and the plan cycle, so every row is
validated and audited like real input; deterministic up to the demo's day.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OrgUnit, PlanItem, User
from portal import clock, periods
from portal.org import calendars
from portal.org.scope import SYSTEM, Actor, actor_for
from portal.programmes.plans import specs as plans
from portal.programmes.plans.templates import TEMPLATES
from portal.records import service as records

if TYPE_CHECKING:
    from portal.demo import DemoCounty


def load(county: DemoCounty) -> dict[str, int]:
    rng = random.Random(20261005)  # noqa: S311 - reproducible demo data, not a secret
    return _plans(county.session, county.ids, county.townships, county.school, rng, county.today, county.diligence)


# -- monthly plans and reports ----------------------------------------------------------------

# Units with their own demo account plan and report as that account; the others as the loader.
UNIT_USERS = {"cg": "staff", "dg": "dg_head", "zx1": "zx1_staff", "jds": "jds_staff"}
OWNERS = {
    "cg": ("陈静", "李明", "王秀兰", "赵刚"),
    "dg": ("孙志强", "周红", "马林"),
    "xh": ("杨帆", "郭丽", "何伟"),
    "ns": ("黄晓燕", "罗军"),
    "bp": ("高峰", "林娟"),
    "qs": ("徐磊", "宋佳", "韩梅"),
    "zx1": ("吴丽华", "郑芳", "冯强"),
    "jds": ("刘洋", "何建军", "郑丽"),
}
# Why an item was left unfinished, by what the item is (the first keyword that matches).
REASONS = (
    ("随访", ("随访对象外出务工，未能全部联系上", "人员不足，随访进度滞后")),
    ("督导", ("村医外出参加培训，督导推迟到下月", "抽调人员参加县里迎检，督导推迟")),
    ("宣传栏", ("宣传资料未按时到位", "经费未拨付，宣传栏未能更换")),
    ("集市", ("集市当天降雨，咨询活动取消", "宣传资料未按时到位")),
    ("会议", ("院领导外出学习，会议推迟", "抽调人员参加县里迎检，会议推迟")),
    ("培训", ("讲师临时有事改期", "培训场地未落实，培训班推迟", "参训人员抽调参加专项检查")),
    ("评查", ("案卷未收齐，评查推迟",)),
    ("讲座", ("讲师临时有事改期", "会议室维修，讲座延后", "农忙时节群众难以集中，讲座改至下月")),
    ("咨询", ("宣传资料未按时到位", "集市当天降雨，咨询活动取消")),
    ("", ("期中考试周，活动顺延", "学校举办运动会，检查推迟", "人员不足，工作推迟")),
)
RETURN_COMMENTS = (
    "缺少讲座照片及签到表，请补充后重新上报。",
    "未完成事项未说明原因，请补充。",
    "下月计划未落实到责任人，请修改后重新上报。",
)
APPROVE_COMMENTS = ("", "", "同意。", "同意，继续做好慢病随访工作。", "同意，未完成事项下月抓紧落实。")
# Forced outcomes, so the demo always shows each case, by how many months before this one:
# (unit, months ago) -> outcome. Last month (1) stays open for the units not named here.
FORCED = {
    ("dg", 6): "returned_then_approved",
    ("xh", 4): "returned",
    ("xh", 1): "returned",  # returned last month: the township must correct and resend it
    ("bp", 5): "returned",
    ("bp", 7): "missing",
    ("ns", 3): "missing",
    ("qs", 1): "missing",  # never sent, and now past its due date
}
# 一月份工作总结 … 存在问题 … 二月份工作计划 (written like 004 篇7) for 城关镇卫生院.
CG_JANUARY = {
    "summary": (
        "一月份，我院在县卫生健康局的指导下，围绕基本公共卫生服务项目年度目标，扎实开展各项工作：\n"
        "1. 召开公共卫生项目工作会议1次，传达全县公共卫生工作会议精神，部署全年任务；\n"
        "2. 开展低盐膳食健康教育讲座1次，受众86人；减盐健康咨询活动1次，咨询120人次，发放宣传资料350份；\n"
        "3. 对4个村卫生室进行第一次检查督导，查阅健康档案120份、随访记录86份，现场反馈问题12条；\n"
        "4. 利用集市开展健康咨询活动1次，测量血压65人次。"
    ),
    "problems": (
        "1. 村卫生室人员业务水平参差不齐，部分村医慢性病随访表填写不规范；\n"
        "2. 群众对低盐膳食认识不足，减盐知识知晓率有待提高；\n"
        "3. 健康档案动态更新不及时，部分档案信息不完整。"
    ),
    "next_plan": (
        "1. 召开公共卫生项目工作会议，总结一月份工作，安排二月份任务；\n"
        "2. 开展中医药养生保健讲座1次；\n"
        "3. 组织全院职工及村卫生室人员公共卫生知识培训1期；\n"
        "4. 更换健康教育宣传栏1次；\n"
        "5. 利用集市开展健康咨询活动1次。"
    ),
}


def _plans(
    session: Session,
    ids: dict[str, int],
    townships: Any,
    school_code: str,
    rng: random.Random,
    today: dt.date,
    diligence: dict[str, float],
) -> dict[str, int]:
    """The past twelve months of monthly plans, this month under way and next month
    planned, drawn from the seed schedules (the townships' public-health schedule, the
    school's hygiene schedule without the summer holidays, the supervision office's
    training calendar), all relative to the demo's day. Past months are mostly done (as
    diligent as each unit is), the rest carry a reason and, at the keener units, carry
    over; reports go up on or just before their due date or a few days after it (late), the
    county head approves most and returns a few; some are never sent; each unit's latest
    past month is still open (draft, or sent and awaiting review at the keener units)."""
    planner = _Planner(session, rng, today, diligence)
    months = [*periods.last_12_months(today), plans.next_month(periods.month_key(today))]
    for township in townships:
        planner.unit(township.code, ids[township.code], "township_phs", months)
    if school_code in ids:
        term = TEMPLATES["school_hygiene"]["months"]
        planner.unit(school_code, ids[school_code], "school_hygiene", [m for m in months if int(m[5:7]) in term])
    if "jds" in ids:
        planner.unit("jds", ids["jds"], "supervisor_training", months)
    return {"plan_items": planner.items, "progress_updates": planner.updates, "monthly_reports": planner.reports}


def _schedule_rows(schedule: dict[int, list[Any]], month: str, cycle: bool) -> list[Any]:
    """A template's rows for a calendar month; a template that covers only some months
    (the townships' January-July schedule) repeats through the year when ``cycle``."""
    number = int(month[5:7])
    if number in schedule or not cycle:
        return schedule.get(number, [])
    keys = sorted(schedule)
    return schedule[keys[(number - 1) % len(keys)]]


def _months_ago(month: str, today: dt.date) -> int:
    return (today.year - int(month[:4])) * 12 + today.month - int(month[5:7])


class _Planner:
    def __init__(self, session: Session, rng: random.Random, today: dt.date, diligence: dict[str, float]) -> None:
        self.session, self.rng, self.today = session, rng, today
        self.diligence = diligence
        self.calendar = calendars.load_calendar(session)
        self.head = self._actor("head")
        self.items = self.updates = self.reports = 0
        # plans run up to next month: this month under way, next month planned, nothing later
        self.horizon = periods.bounds(plans.next_month(periods.month_key(today)))[0]

    def _actor(self, username: str | None) -> Actor:
        user = self.session.scalar(select(User).where(User.username == username)) if username else None
        return actor_for(self.session, user) if user is not None else SYSTEM

    def unit(self, code: str, unit_id: int, template: str, months: list[str]) -> None:
        actor = self._actor(UNIT_USERS.get(code))
        keen = self.diligence.get(code, 0.8)
        schedule = TEMPLATES[template]["months"]
        unit = self.session.get_one(OrgUnit, unit_id)
        owners = OWNERS.get(code, ("张伟",))
        ended = [m for m in months if periods.bounds(m)[1] < self.today]
        latest = ended[-1] if ended else None
        for index, month in enumerate(months):
            start, end = periods.bounds(month)
            if start > self.horizon:
                break
            for area, title, qty, unit_name in _schedule_rows(schedule, month, cycle=template == "township_phs"):
                records.create(
                    self.session,
                    actor,
                    plans.PlanItemSpec,
                    {
                        "org_unit_id": unit_id,
                        "month": month,
                        "area": area,
                        "title": title,
                        "target_qty": qty,
                        "target_unit": unit_name,
                        "owner_name": self.rng.choice(owners),
                        "source": "assigned" if area in ("mp", "tr") else "own",
                    },
                )
                self.items += 1
            if start > self.today:
                continue  # next month: planned, not started
            forced = FORCED.get((code, _months_ago(month, self.today)))
            if code == "cg" and month.endswith("-01") and _months_ago(month, self.today) > 1:
                forced = "approved"  # 城关镇's January, written up like 004 篇7 (CG_JANUARY)
            # the month written up in CG_JANUARY had everything done
            self._progress(actor, unit_id, month, keen if forced != "approved" else 1.0)
            if end >= self.today:
                continue  # this month is under way: its report is not written yet
            following = months[index + 1] if index + 1 < len(months) else None
            if keen >= 0.75 and following == plans.next_month(month) and periods.bounds(following)[0] <= self.horizon:
                self.items += plans.carry_over(self.session, actor, unit_id, month)
            self._report(actor, unit, month, keen, forced, latest=month == latest)

    # -- progress ---------------------------------------------------------------------------

    def _progress(self, actor: Actor, unit_id: int, month: str, keen: float) -> None:
        start, end = periods.bounds(month)
        running = end >= self.today  # the month under way: only what happened so far
        rng = self.rng
        for item in plans.items_of(self.session, actor, unit_id, month):
            last = min(end, self.today)
            day = start + dt.timedelta(days=rng.randint(2, max(2, (last - start).days)))
            day = min(day, last)
            chance = keen * 0.95 + 0.05
            if running:
                chance *= periods.elapsed_fraction(month, self.today)
            if rng.random() < chance:
                self._done(actor, item, day)
            elif rng.random() < 0.5:
                self._partial(actor, item, start + (day - start) // 2)
                if not running:
                    self._edit(actor, item, notes=self._reason(item.title))
            elif not running:
                self._edit(actor, item, status="overdue", notes=self._reason(item.title))

    def _reason(self, title: str) -> str:
        choices = next(reasons for keyword, reasons in REASONS if keyword in title)
        return self.rng.choice(choices)

    def _done(self, actor: Actor, item: PlanItem, day: dt.date) -> None:
        target = item.target_qty or 1
        if target > 1:  # in two steps: half by mid-month, the rest when done
            half = float(int(target // 2))
            self._update(
                actor,
                item,
                day - dt.timedelta(days=(day.day - 1) // 2),
                half,
                50,
                f"已完成{half:g}{item.target_unit or ''}",
            )
            self._update(actor, item, day, target - half, 100, "全部完成")
            return
        note = "已开展"
        if "讲座" in item.title or "咨询" in item.title:
            note = f"已开展，参加群众{self.rng.randint(35, 140)}人"
        elif "培训" in item.title:
            note = f"已举办，参训{self.rng.randint(20, 80)}人"
        self._update(actor, item, day, target, 100, note)

    def _partial(self, actor: Actor, item: PlanItem, day: dt.date) -> None:
        target = item.target_qty or 1
        quantity = float(int(target // 2)) if target > 1 else None
        self._update(actor, item, day, quantity, self.rng.choice((20, 30, 50)), "已启动，正在推进")

    def _update(self, actor: Actor, item: PlanItem, day: dt.date, quantity: float | None, pct: int, note: str) -> None:
        records.create(
            self.session,
            actor,
            plans.ProgressUpdateSpec,
            {"item_id": item.id, "update_date": day, "note": note, "quantity": quantity, "progress_pct": pct},
        )
        self.updates += 1

    def _edit(self, actor: Actor, item: PlanItem, **changes: Any) -> None:
        records.update(self.session, actor, plans.PlanItemSpec, item.id, changes, None)

    # -- the report cycle -------------------------------------------------------------------

    def _report(self, actor: Actor, unit: OrgUnit, month: str, keen: float, forced: str | None, latest: bool) -> None:
        rng = self.rng
        texts = CG_JANUARY if unit.code == "cg" and month.endswith("-01") else {}
        if latest and forced is None:  # still open: the keen ones have sent it and wait for the head
            if keen < 0.8 or not self._submit(actor, unit, month, late=False, **texts):
                self._draft(actor, unit, month)
            return
        outcome = forced or (
            "missing"
            if rng.random() > keen + 0.3
            else "returned"
            if rng.random() < 0.06 + (1 - keen) * 0.15
            else "approved"
        )
        if outcome == "missing":
            self._draft(actor, unit, month)
            return
        late = rng.random() > keen - 0.05 if forced is None else forced != "approved" and rng.random() < 0.5
        report = self._submit(actor, unit, month, late=late, **texts)
        if report is None:
            self._draft(actor, unit, month)
            return
        reviewed = min(report.submitted_at + dt.timedelta(days=rng.randint(1, 2), hours=rng.randint(1, 6)), self._now())
        if outcome.startswith("returned"):
            plans.return_report(self.session, self.head, unit.id, month, rng.choice(RETURN_COMMENTS), now=reviewed)
            if outcome == "returned":
                return
            again = report.submitted_at + dt.timedelta(days=rng.randint(1, 3), hours=rng.randint(1, 5))
            resent = min(again, self._now())  # becomes the report's submitted_at
            plans.submit(self.session, actor, unit.id, month, now=resent)
            reviewed = min(resent + dt.timedelta(days=1, hours=rng.randint(1, 6)), self._now())
        plans.approve(self.session, self.head, unit.id, month, rng.choice(APPROVE_COMMENTS), now=reviewed)

    def _draft(self, actor: Actor, unit: OrgUnit, month: str) -> None:
        plans.report_for(self.session, actor, unit.id, month, create=True)
        self.reports += 1

    def _submit(self, actor: Actor, unit: OrgUnit, month: str, late: bool, **texts: str) -> Any:
        """Sent on or just before the due date, or (late) a few days after it, in office hours."""
        due = plans.due_for(self.session, unit, month)
        if late:
            day = due + dt.timedelta(days=self.rng.randint(1, 6))
            while not self.calendar.is_workday(day):
                day += dt.timedelta(days=1)
        else:
            day = due - dt.timedelta(days=self.rng.choice((0, 0, 1, 2)))
            while not self.calendar.is_workday(day) and day > periods.bounds(month)[1]:
                day -= dt.timedelta(days=1)
        local = dt.datetime.combine(
            day, dt.time(self.rng.randint(8, 17), self.rng.choice((5, 20, 35, 50))), tzinfo=clock.office_zone()
        )
        if local > self._now():
            return None  # not sent yet
        self.reports += 1
        return plans.submit(self.session, actor, unit.id, month, now=local.astimezone(dt.UTC), **texts)

    def _now(self) -> dt.datetime:
        end_of_today = dt.datetime.combine(self.today, dt.time(18, 0), tzinfo=clock.office_zone())
        return min(end_of_today, clock.now())
