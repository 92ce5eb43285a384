"""Inspection schedules (检查安排): occurrences on the office's working days, weeks and
months; a rota taking turns and a duty team; what an inspector has due today; what was
missed; how the campaign's rule counts missed inspections in the ranking (ties still
ties); scoping; validation naming the field; and the page's due-today list, from which an
inspection starts."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from sqlalchemy import select

from db.engine import transaction
from db.models import SanitationCampaign, SanitationInspection, SanitationSchedule, SanitationZone, User
from portal import clock
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.org import calendars
from portal.org.scope import SYSTEM, Actor, actor_for
from portal.programmes.sanitation import home, reports
from portal.programmes.sanitation import specs as sp
from portal.programmes.sanitation import view as sv
from portal.records import service as rs
from portal.sqlcount import count_queries
from tests.conftest import demo_engine, make_user, open_signed_in, open_tab, served_app
from tests.test_sanitation import D, world  # noqa: F401 - the shared world fixture


@pytest.fixture
def w(world: dict[str, Any]) -> dict[str, Any]:  # noqa: F811 - pytest's fixture by name
    return world


SCORES = {90: [30, 20, 25, 15], 93: [30, 18, 25, 20], 96: [30, 20, 25, 21]}


def check(engine, actor: Actor, w, zone: str, day: dt.date, kind: str = "daily", score: int | None = None) -> int:
    """An inspection of the zone in the campaign, of the given type, scored when asked."""
    with transaction(engine) as s:
        obj = sv.start_inspection(
            s,
            actor,
            {
                "campaign_id": w["campaign"],
                "zone_id": w["zones"][zone],
                "inspection_date": day,
                "inspection_type": kind,
            },
        )
        if score is not None:
            sv.score_sheet(s, actor, obj.id, dict(zip(w["items"], SCORES[score])))
        return obj.id


def schedule(engine, actor: Actor, w, **values: Any) -> int:
    raw = {"campaign_id": w["campaign"], "frequency": "daily", "inspection_type": "daily", "duty": "rota"}
    raw.update(values)
    with transaction(engine) as s:
        return rs.create(s, actor, sp.ScheduleSpec, raw).id


def test_occurrences_follow_the_working_day_calendar_per_frequency(engine):
    with transaction(engine) as s:
        calendar = calendars.load_calendar(s)
    # 清明: 4-6 April 2026 are holidays (a Saturday, Sunday and Monday)
    daily = sv.periods_of("daily", D(2026, 4, 1), D(2026, 4, 10), calendar)
    assert [d for d, _ in daily] == [D(2026, 4, n) for n in (1, 2, 3, 7, 8, 9, 10)]
    assert all(a == b for a, b in daily)
    weekly = sv.periods_of("weekly", D(2026, 4, 1), D(2026, 4, 30), calendar)
    assert weekly == [
        (D(2026, 4, 1), D(2026, 4, 5)),  # clipped to the start
        (D(2026, 4, 6), D(2026, 4, 12)),
        (D(2026, 4, 13), D(2026, 4, 19)),
        (D(2026, 4, 20), D(2026, 4, 26)),
        (D(2026, 4, 27), D(2026, 4, 30)),  # clipped to the end
    ]
    # Spring Festival 2026: 15-23 February off, Saturday 14 February a make-up working day;
    # the week of 16-22 February has no working day, so no weekly occurrence
    assert D(2026, 2, 14) in [d for d, _ in sv.periods_of("daily", D(2026, 2, 9), D(2026, 2, 24), calendar)]
    spring = sv.periods_of("weekly", D(2026, 2, 9), D(2026, 3, 1), calendar)
    assert [a for a, _ in spring] == [D(2026, 2, 9), D(2026, 2, 23)]
    monthly = sv.periods_of("monthly", D(2026, 3, 20), D(2026, 5, 10), calendar)
    assert monthly == [
        (D(2026, 3, 20), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 4, 30)),
        (D(2026, 5, 1), D(2026, 5, 10)),
    ]


def test_a_rota_takes_turns_per_occurrence_and_a_team_is_all_on_duty(engine, w):
    rota = schedule(engine, SYSTEM, w, zone_id=w["zones"]["market"], inspectors="t1staff，t1head")
    team = schedule(
        engine,
        SYSTEM,
        w,
        zone_id=w["zones"]["street"],
        frequency="weekly",
        inspection_type="weekly",
        duty="team",
        team_name="检查评比小组",
        inspectors="t1head t1staff",
    )
    with transaction(engine) as s:
        stored = s.get_one(SanitationSchedule, rota)
        assert stored.inspectors == "t1staff, t1head" and stored.org_unit_id == w["tree"]["t1"]
        found = sv.occurrences(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 12), D(2026, 4, 1))
    daily = [(o.start, o.on_duty) for o in found if o.schedule_id == rota]
    assert daily == [
        (D(2026, 4, 1), ("t1staff",)),
        (D(2026, 4, 2), ("t1head",)),
        (D(2026, 4, 3), ("t1staff",)),
        (D(2026, 4, 7), ("t1head",)),  # the holidays are no turns
        (D(2026, 4, 8), ("t1staff",)),
        (D(2026, 4, 9), ("t1head",)),
        (D(2026, 4, 10), ("t1staff",)),
    ]
    weekly = [(o.start, o.end, o.on_duty, o.team) for o in found if o.schedule_id == team]
    assert weekly == [
        (D(2026, 4, 1), D(2026, 4, 5), ("t1head", "t1staff"), "检查评比小组"),
        (D(2026, 4, 6), D(2026, 4, 12), ("t1head", "t1staff"), "检查评比小组"),
    ]


def test_due_today_lists_the_inspectors_turn_until_it_is_done(engine, w):
    schedule(engine, SYSTEM, w, inspectors="t1head, t1staff")  # every zone of the campaign, daily
    schedule(
        engine,
        SYSTEM,
        w,
        zone_id=w["zones"]["market"],
        frequency="weekly",
        inspection_type="weekly",
        duty="team",
        team_name="检查评比小组",
        inspectors="t1head, t1staff",
    )
    today = D(2026, 4, 8)  # the 5th working day: t1head's turn (1st, 3rd, 5th...)
    with transaction(engine) as s:
        head = sv.due_today(s, w["t1head"], w["campaign"], today)
        staff = sv.due_today(s, w["t1staff"], w["campaign"], today)
    assert [(o.frequency, o.zone) for o in head] == [
        ("daily", "东关主街"),
        ("daily", "东关农贸市场"),
        ("daily", "东关村"),
        ("weekly", "东关农贸市场"),
    ]
    assert [(o.frequency, o.zone, o.start, o.end) for o in staff] == [
        ("weekly", "东关农贸市场", D(2026, 4, 6), D(2026, 4, 12))  # the team's week, not the rota's day
    ]
    check(engine, w["t1staff"], w, "market", D(2026, 4, 7), kind="weekly")  # the team's check, done on Tuesday
    check(engine, w["t1head"], w, "street", today)  # a daily one done
    check(engine, w["t1head"], w, "village", today, kind="special")  # another type does not count
    with transaction(engine) as s:
        head = sv.due_today(s, w["t1head"], w["campaign"], today)
        staff = sv.due_today(s, w["t1staff"], w["campaign"], today)
        tomorrow = sv.due_today(s, w["t1staff"], w["campaign"], D(2026, 4, 9))
    assert [(o.frequency, o.zone) for o in head] == [("daily", "东关农贸市场"), ("daily", "东关村")]
    assert staff == []
    assert [o.zone for o in tomorrow] == ["东关主街", "东关农贸市场", "东关村"]  # the next turn is the staff's


def test_missed_occurrences_are_those_whose_period_ended_without_an_inspection(engine, w):
    daily = schedule(engine, SYSTEM, w, zone_id=w["zones"]["market"], inspectors="t1staff", end_date=D(2026, 4, 10))
    weekly = schedule(
        engine,
        SYSTEM,
        w,
        zone_id=w["zones"]["street"],
        frequency="weekly",
        inspection_type="weekly",
        inspectors="t1staff",
        start_date=D(2026, 4, 6),
    )
    for day in (D(2026, 4, 1), D(2026, 4, 2), D(2026, 4, 7)):
        check(engine, w["t1staff"], w, "market", day)
    check(engine, w["t1staff"], w, "market", D(2026, 4, 3), kind="weekly")  # not the schedule's type
    check(engine, w["t1staff"], w, "street", D(2026, 4, 17), kind="weekly")
    with transaction(engine) as s:
        found = sv.missed(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 21))
        early = sv.missed(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 9))
    assert [(o.schedule_id, o.zone, o.start, o.end) for o in found] == [
        (weekly, "东关主街", D(2026, 4, 6), D(2026, 4, 12)),  # the week of the 13th was done, that of the 20th is open
        (daily, "东关农贸市场", D(2026, 4, 10), D(2026, 4, 10)),
        (daily, "东关农贸市场", D(2026, 4, 9), D(2026, 4, 9)),
        (daily, "东关农贸市场", D(2026, 4, 8), D(2026, 4, 8)),
        (daily, "东关农贸市场", D(2026, 4, 3), D(2026, 4, 3)),
    ]
    # on the 9th, the 9th and the week are still open: only what had ended is missed
    assert [(o.zone, o.start) for o in early] == [("东关农贸市场", D(2026, 4, 8)), ("东关农贸市场", D(2026, 4, 3))]


ST, MK, VI = "东关主街", "东关农贸市场", "东关村"
RULES = [
    # rule, score, street (93 four times), market (90, 96 and two missed), village (four missed)
    ("ignore", None, [(ST, 1, 93.0, True, 0), (MK, 1, 93.0, True, 2), (VI, None, None, False, 4)]),
    ("zero", None, [(ST, 1, 93.0, False, 0), (MK, 2, 46.5, False, 2), (VI, 3, 0.0, False, 4)]),
    ("score", 93, [(ST, 1, 93.0, True, 0), (MK, 1, 93.0, True, 2), (VI, 1, 93.0, True, 4)]),
    ("score", 60, [(ST, 1, 93.0, False, 0), (MK, 2, 76.5, False, 2), (VI, 3, 60.0, False, 4)]),
]


@pytest.mark.parametrize(("rule", "score", "expected"), RULES, ids=["ignore", "zero", "score-tie", "score-60"])
def test_the_campaign_declares_how_a_missed_inspection_counts(engine, w, rule, score, expected):
    schedule(engine, SYSTEM, w, inspectors="t1staff", start_date=D(2026, 4, 7), end_date=D(2026, 4, 10))
    check(engine, w["t1staff"], w, "market", D(2026, 4, 7), score=90)
    check(engine, w["t1staff"], w, "market", D(2026, 4, 8), score=96)
    for day in (7, 8, 9, 10):
        check(engine, w["t1staff"], w, "street", D(2026, 4, day), score=93)
    with transaction(engine) as s:
        campaign = s.get_one(SanitationCampaign, w["campaign"])
        rs.update(s, w["t1head"], sp.CampaignSpec, campaign.id, {"missed_rule": rule, "missed_score": score}, None)
    with transaction(engine) as s:
        week = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 6), D(2026, 4, 12), today=D(2026, 4, 20))
        before = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 5), today=D(2026, 4, 20))
    assert [(r.zone, r.rank, r.mean, r.tied, r.missed) for r in week.rows] == expected
    assert [r.zone for r in week.holders] == [z for z, rank, *_ in expected if rank == 1]
    assert all(r.rank is None and r.missed == 0 for r in before.rows)  # nothing was scheduled that week
    with transaction(engine) as s:  # the Word ranking ranks alike and states the rule
        word = reports.ranking_document(s, w["t1head"], w["campaign"], D(2026, 4, 6), D(2026, 4, 12), "docx")
    doc = Document(io.BytesIO(word))
    assert [row.cells[1].text for row in doc.tables[0].rows[1:]] == [zone for zone, *_ in expected]
    said = {"ignore": "不计入平均分", "zero": "按 0 分计入平均分", "score": f"按 {score} 分计入平均分"}[rule]
    assert any(p.text.startswith("漏检规则：") and said in p.text for p in doc.paragraphs)


def test_missed_ones_count_only_once_their_period_has_ended(engine, w):
    schedule(engine, SYSTEM, w, zone_id=w["zones"]["market"], inspectors="t1staff")
    check(engine, w["t1staff"], w, "market", D(2026, 4, 7), score=90)
    with transaction(engine) as s:
        rs.update(s, SYSTEM, sp.CampaignSpec, w["campaign"], {"missed_rule": "zero"}, None)
    with transaction(engine) as s:
        on_the_8th = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 6), D(2026, 4, 12), today=D(2026, 4, 8))
    [market] = [r for r in on_the_8th.rows if r.zone == "东关农贸市场"]
    assert (market.mean, market.missed) == (90.0, 0)  # the 8th is still open


def test_a_unit_outside_the_campaigns_subtree_cannot_see_or_make_its_schedules(engine, w):
    sid = schedule(engine, w["t1head"], w, inspectors="t1staff")
    t2head = make_user(engine, "t2head", "head", w["tree"]["t2"])
    with transaction(engine) as s:
        assert rs.count(s, w["t1staff"], sp.ScheduleSpec) == 1
        for outsider in (t2head, w["t2staff"], w["t1v1staff"]):
            assert rs.count(s, outsider, sp.ScheduleSpec) == 0
            with pytest.raises(NotFound):
                rs.get(s, outsider, sp.ScheduleSpec, sid)
            with pytest.raises(NotFound):
                sv.due_today(s, outsider, w["campaign"], D(2026, 4, 8))
    with transaction(engine) as s, pytest.raises(ValidationError) as refused:
        rs.create(
            s,
            t2head,
            sp.ScheduleSpec,
            {"campaign_id": w["campaign"], "frequency": "daily", "duty": "rota", "inspectors": "t2head"},
        )
    assert [e.field for e in refused.value.errors] == ["campaign_id"]
    with transaction(engine) as s, pytest.raises(PermissionDenied):
        rs.create(s, w["t1staff"], sp.ScheduleSpec, {"campaign_id": w["campaign"], "inspectors": "t1staff"})
    with transaction(engine) as s, pytest.raises(NotFound):
        rs.update(s, t2head, sp.ScheduleSpec, sid, {"inspectors": "t2head"}, None)
    with transaction(engine) as s:
        assert s.get_one(SanitationSchedule, sid).inspectors == "t1staff"


def _refused(engine, actor: Actor, spec: Any, values: dict[str, Any], record_id: int | None = None) -> str:
    with transaction(engine) as s, pytest.raises(ValidationError) as refused:
        if record_id is None:
            rs.create(s, actor, spec, values)
        else:
            rs.update(s, actor, spec, record_id, values, None)
    return refused.value.message("zh-CN") + " | " + refused.value.message("en")


def test_validation_refuses_and_names_the_field(engine, w):
    make_user(engine, "nobody_viewer", "viewer", w["tree"]["t1"])
    base = {"campaign_id": w["campaign"], "frequency": "weekly", "duty": "rota", "inspectors": "t1staff"}
    cases = [
        ({"duty": "team"}, "小组名称: 检查方式为检查小组时，须填写小组名称 | Team name: Name the team"),
        ({"inspectors": "t1staff, ghost"}, "检查人（用户名）: 没有名为“ghost”的在用账号"),
        ({"inspectors": "nobody_viewer"}, "检查人（用户名）: “nobody_viewer”不能检查这个活动的区域"),
        ({"inspectors": "t2staff"}, "Inspectors (usernames): “t2staff” cannot inspect this campaign's zones"),
        ({"inspectors": " ，、"}, "检查人（用户名）: "),
        ({"start_date": D(2026, 3, 30)}, "开始日期: 日期须在活动期间内（2026-04-01 至 2026-04-30）"),
        ({"frequency": "hourly"}, "检查频次: "),
        ({"zone_id": w["zones"]["west"]}, "检查区域: 区域“西河主街”不属于该活动的组织单位"),
        (
            {"zone_id": w["zones"]["market"], "zone_type": "classroom"},
            "区域类型: 区域“东关农贸市场”不是所选的区域类型",
        ),
    ]
    for change, expected in cases:
        assert expected in _refused(engine, SYSTEM, sp.ScheduleSpec, {**base, **change}), change
    message = _refused(engine, w["t1head"], sp.CampaignSpec, {"missed_rule": "score"}, w["campaign"])
    assert "漏检按分数: 漏检计分为“按规定分数计”时，须填写漏检按分数" in message
    assert "Score for a missed inspection: Set the score" in message
    with transaction(engine) as s:
        assert s.scalar(select(SanitationSchedule.id)) is None
        assert s.get_one(SanitationCampaign, w["campaign"]).missed_rule == "ignore"


def test_occurrences_read_the_inspections_in_one_query(engine, w):
    """However many occurrences, done-or-not comes from one query over the inspections."""
    schedule(engine, SYSTEM, w, inspectors="t1staff, t1head")
    for day in range(7, 11):
        check(engine, w["t1staff"], w, "market", D(2026, 4, day))
    with transaction(engine) as s:
        days = len(sv.periods_of("daily", D(2026, 4, 1), D(2026, 4, 30), calendars.load_calendar(s)))
        sv.occurrences(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30), D(2026, 5, 1))  # warm caches
        with count_queries(engine) as counted:
            found = sv.occurrences(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30), D(2026, 5, 1))
    assert len(found) == 3 * days and sum(o.done for o in found) == 4
    assert sum(o.missed for o in found) == 3 * days - 4
    assert sum("sanitation_inspections" in q for q in counted.statements) == 1, counted
    assert counted.n <= 6, counted


# -- the demo and the page -----------------------------------------------------------------------

PAGE = str(Path(__file__).resolve().parents[1] / "pages/sanitation.py")
SCHOOL_CAMPAIGN = "第一中学爱国卫生月卫生评比"


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    engine = demo_engine("sqlite", tmp_path_factory.mktemp("schedules"))
    with served_app(tmp_path_factory, engine) as entry:
        yield engine, entry
    engine.dispose()


def plain(markdown: str) -> str:
    """Markdown as read, its escapes undone."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def _account(s: Any, username: str) -> Actor:
    return actor_for(s, s.scalar(select(User).where(User.username == username)))


def test_the_demo_school_has_its_rota_its_team_and_a_few_missed_checks(demo_app):
    engine, _ = demo_app
    today = clock.today()
    with transaction(engine) as s:
        inspector, head = _account(s, "inspector"), _account(s, "head")
        campaign = s.scalar(select(SanitationCampaign).where(SanitationCampaign.name == SCHOOL_CAMPAIGN))
        found = s.scalars(select(SanitationSchedule).where(SanitationSchedule.campaign_id == campaign.id)).all()
        assert sorted((x.frequency, x.duty, x.zone_type) for x in found) == [
            ("daily", "rota", "classroom"),
            ("weekly", "team", "classroom"),
        ]
        [rota] = [x for x in found if x.duty == "rota"]
        assert sorted(sp.usernames(rota.inspectors)) == ["inspector", "zx1_staff"]
        assert (campaign.missed_rule, campaign.missed_score) == ("score", 60.0)
        missed = sv.missed(s, head, campaign.id, campaign.start_date, campaign.end_date, today)
        assert len(missed) == 4 and {o.frequency for o in missed} == {"daily"}
        whole = sv.ranking(s, head, campaign.id, campaign.start_date, campaign.end_date)
        assert sum(r.missed for r in whole.rows) == 4
        due = sv.due_today(s, inspector, campaign.id, today)
        if calendars.load_calendar(s).is_workday(today):  # the demo inspector's turn today
            assert len([o for o in due if o.frequency == "daily"]) == 6
            assert all(o.on_duty == ("inspector",) for o in due if o.frequency == "daily")


def test_the_home_page_says_how_many_inspections_are_due_today(demo_app):
    engine, _ = demo_app
    today = clock.today()
    with transaction(engine) as s:
        inspector, viewer = _account(s, "inspector"), _account(s, "viewer")
        campaign_id = s.scalar(select(SanitationCampaign.id).where(SanitationCampaign.name == SCHOOL_CAMPAIGN))
        due = sv.due_today(s, inspector, campaign_id, today)
        lines = {line.kind: line for line in home.todo(s, inspector, today, "zh-CN")}
        assert "inspection_due" not in {line.kind for line in home.todo(s, viewer, today, "zh-CN")}
    if not due:  # a day off with this week's check done: nothing is due
        assert "inspection_due" not in lines
        return
    line = lines["inspection_due"]
    assert (line.count, line.page, line.title) == (len(due), "sanitation", f"今日待检 {len(due)} 处")
    assert due[0].zone in line.detail


def test_the_inspector_starts_an_inspection_from_the_due_today_list(demo_app):
    engine, entry = demo_app
    today = clock.today()
    with transaction(engine) as s:
        campaign = s.scalar(select(SanitationCampaign).where(SanitationCampaign.name == SCHOOL_CAMPAIGN))
        zone = s.scalar(select(SanitationZone).where(SanitationZone.name == "初一(1)班教室"))
        sid = rs.create(
            s,
            SYSTEM,
            sp.ScheduleSpec,
            {
                "campaign_id": campaign.id,
                "zone_id": zone.id,
                "frequency": "monthly",  # due every day of the month, whatever day the test runs
                "inspection_type": "special",
                "duty": "rota",
                "inspectors": "inspector",
            },
        ).id
        zone_id, campaign_id = zone.id, campaign.id
    at = open_signed_in(entry, "inspector", PAGE)
    key = f"sanitation.due.start.{sid}.{zone_id}"
    shown = plain("\n".join(str(m.value) for m in at.markdown))
    assert "今日待检（" in shown and "初一(1)班教室" in shown and "每月 · 专项检查" in shown
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    with transaction(engine) as s:
        [made] = s.scalars(
            select(SanitationInspection).where(
                SanitationInspection.zone_id == zone_id, SanitationInspection.inspection_type == "special"
            )
        ).all()
        assert (made.campaign_id, made.inspection_date, made.inspector) == (campaign_id, today, "刘洋")
    assert at.selectbox(key="sanitation.pick.inspection").value == made.id  # its sheet is open
    assert f"初一(1)班教室 · {today.isoformat()} 评分表" in plain(" ".join(str(h.value) for h in at.subheader))
    assert key not in [b.key for b in at.button]  # done: off today's list


def test_a_head_sees_the_missed_list_and_the_rule_on_the_ranking(demo_app):
    engine, entry = demo_app
    with transaction(engine) as s:
        campaign = s.scalar(select(SanitationCampaign).where(SanitationCampaign.name == SCHOOL_CAMPAIGN))
        campaign_id = campaign.id
        expected = sv.missed(s, _account(s, "head"), campaign_id, campaign.start_date, campaign.end_date, clock.today())
    n = len(expected)  # the demo's four, and November's of the monthly schedule when the test above ran first
    assert n >= 4
    at = open_signed_in(entry, "head", PAGE)
    at.selectbox(key="sanitation.pick.campaign").set_value(campaign_id).run()
    at = open_tab(at, "sanitation.tabs.view", "sanitation.tab.ranking")
    assert f"漏检（{n}）" in [str(h.value) for h in at.subheader]
    assert any("每漏检一次，按 60 分计入平均分" in str(c.value) for c in at.caption)
    [missed] = [df.value for df in at.dataframe if list(df.value.columns) == ["应检时间", "区域", "应检人"]]
    assert list(missed["区域"]) == [o.zone for o in expected]
    assert set(missed["应检人"]) <= {"inspector", "zx1_staff"}
    [ranking] = [df.value for df in at.dataframe if list(df.value.columns)[:1] == ["名次"]]
    assert ranking["漏检"].sum() == n
    staff = open_signed_in(entry, "zx1_staff", PAGE)
    staff = open_tab(staff, "sanitation.tabs.view", "sanitation.tab.ranking")
    assert not any(str(h.value).startswith("漏检") for h in staff.subheader)  # the list is for heads
