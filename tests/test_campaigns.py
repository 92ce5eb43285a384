"""Health-education campaigns: launched from a theme day with goals for the units below,
activities attached to a running campaign, the board's figures and evidence flags against
known data, the workflow's steps audited, and scoping between townships."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select

from db.engine import transaction
from db.models import AuditEntry, HeActivity, HeCampaign, HeCampaignGoal, Indicator, OrgUnit
from portal.errors import NotFound, PermissionDenied, PortalError, ValidationError
from portal.metrics import indicators as ind
from portal.metrics import library
from portal.programmes.education import campaigns as ec
from portal.programmes.education import home
from portal.programmes.education import specs as es
from portal.records import attachments, refs
from portal.records import service as rs
from tests.conftest import make_user

D = dt.date


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def people(engine, tree) -> dict[str, Any]:
    return {
        "head": make_user(engine, "county_head", "head", tree["county"]),
        "t1head": make_user(engine, "t1head", "head", tree["t1"]),
        "t1staff": make_user(engine, "t1staff", "staff", tree["t1"]),
        "t2staff": make_user(engine, "t2staff", "staff", tree["t2"]),
        "v1staff": make_user(engine, "v1staff", "staff", tree["t1v1"]),
    }


def _launch(engine, people) -> int:
    with transaction(engine) as s:
        campaign = ec.launch(s, people["head"], "aids_day", 2026)
        return int(campaign.id)


def _activity(s, actor, unit: int, campaign: int | None, day: dt.date, people_: int, materials: int = 0) -> int:
    row = rs.create(
        s,
        actor,
        es.HeActivitySpec,
        {
            "org_unit_id": unit,
            "activity_date": day,
            "activity_type": "consultation",
            "title": "艾滋病防治咨询",
            "participants": people_,
            "materials_given": materials,
            "campaign_id": campaign,
        },
    )
    return int(row.id)


def test_launch_prefills_and_assigns_the_units_below(engine, tree, people) -> None:
    cid = _launch(engine, people)
    with transaction(engine) as s:
        c = s.get_one(HeCampaign, cid)
        assert c.name == "2026年世界艾滋病日健康教育专题活动"
        assert (c.start_date, c.end_date) == (D(2026, 11, 24), D(2026, 12, 8))  # a week either side of 1 December
        assert c.status == "planned" and c.org_unit_id == tree["county"]
        assert c.topics == "艾滋病防治" and c.activity_types == "consultation"
        goals = s.scalars(select(HeCampaignGoal).where(HeCampaignGoal.campaign_id == cid)).all()
        assert sorted(g.org_unit_id for g in goals) == sorted([tree["t1"], tree["t2"], tree["school"]])
        assert {(g.activities_goal, g.people_goal, g.materials_goal) for g in goals} == {(2, 200, 300)}
        made = s.scalars(select(AuditEntry).where(AuditEntry.record_type.in_(["he_campaigns", "he_campaign_goals"])))
        assert sorted(e.record_type for e in made) == ["he_campaign_goals"] * 3 + ["he_campaigns"]
    # launching the same theme day twice is refused; staff cannot launch
    with pytest.raises(ValidationError), transaction(engine) as s:
        ec.launch(s, people["head"], "aids_day", 2026)
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        ec.launch(s, people["t1staff"], "aids_day", 2026)


def test_the_name_is_written_in_the_launcher_s_language(engine, tree, people) -> None:
    english = "2026 World AIDS Day health-education campaign"
    with transaction(engine) as s:
        assert ec.draft(s, people["head"], "aids_day", 2026, lang="en").name == english
        assert ec.launch(s, people["head"], "aids_day", 2026, lang="en").name == english


def test_workflow_steps_are_audited_and_only_the_organiser_steers(engine, tree, people) -> None:
    cid = _launch(engine, people)
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        rs.transition(s, people["t1head"], es.CampaignSpec, cid, "start")  # a township does not steer the county's
    with transaction(engine) as s:
        rs.transition(s, people["head"], es.CampaignSpec, cid, "start")
    with pytest.raises(ValidationError), transaction(engine) as s:
        rs.transition(s, people["head"], es.CampaignSpec, cid, "summarise")  # a summary is required
    with transaction(engine) as s:
        rs.transition(s, people["head"], es.CampaignSpec, cid, "summarise", comment="各镇均已开展宣传")
    with transaction(engine) as s:
        c = s.get_one(HeCampaign, cid)
        assert c.status == "summarised" and c.summary == "各镇均已开展宣传"
        steps = s.scalars(
            select(AuditEntry.action).where(AuditEntry.record_type == "he_campaigns", AuditEntry.record_id == cid)
        ).all()
        assert list(steps) == ["create", "start", "summarise"]
        goal = s.scalar(select(HeCampaignGoal.id).where(HeCampaignGoal.campaign_id == cid))
    with pytest.raises(ValidationError), transaction(engine) as s:  # a summarised campaign freezes its goals
        rs.update(s, people["head"], es.CampaignGoalSpec, goal, {"people_goal": 5}, None)
    with pytest.raises(PortalError), transaction(engine) as s:
        rs.transition(s, people["head"], es.CampaignSpec, cid, "start")


def test_activities_attach_only_to_a_running_campaign_of_their_line(engine, tree, people) -> None:
    cid = _launch(engine, people)
    with pytest.raises(ValidationError) as refused, transaction(engine) as s:
        _activity(s, people["t1staff"], tree["t1"], cid, D(2026, 11, 28), 50)
    assert refused.value.errors[0].field == "campaign_id"  # still planned: not offered, not accepted
    with transaction(engine) as s:
        rs.transition(s, people["head"], es.CampaignSpec, cid, "start")
        offered = refs.choices(s, people["t1staff"], es.HeActivitySpec, es.HeActivitySpec.field("campaign_id"))
        assert [i for i, _ in offered] == [cid]
    with pytest.raises(ValidationError) as outside, transaction(engine) as s:
        _activity(s, people["t1staff"], tree["t1"], cid, D(2026, 10, 1), 50)
    assert outside.value.errors[0].field == "activity_date"
    with transaction(engine) as s:
        aid = _activity(s, people["t1staff"], tree["t1"], cid, D(2026, 11, 28), 50)
        assert s.get_one(HeActivity, aid).theme_day == "世界艾滋病日"
    # a township-organised campaign is not on the other township's line
    with transaction(engine) as s:
        own = ec.launch(s, people["t1head"], "aids_day", 2026)
        rs.transition(s, people["t1head"], es.CampaignSpec, own.id, "start")
        own_id = own.id
        assert [
            g.org_unit_id for g in s.scalars(select(HeCampaignGoal).where(HeCampaignGoal.campaign_id == own_id))
        ] == [tree["t1v1"]]
    with transaction(engine) as s:
        offered = refs.choices(s, people["t2staff"], es.HeActivitySpec, es.HeActivitySpec.field("campaign_id"))
        assert [i for i, _ in offered] == [cid]
    with pytest.raises(ValidationError), transaction(engine) as s:
        _activity(s, people["t2staff"], tree["t2"], own_id, D(2026, 11, 28), 5)


def _world(engine, tree, people) -> int:
    """The county's AIDS-day campaign running: t1 has 2 activities (one with a photo, one in
    its village without), t2 has one with a photo, the school none."""
    cid = _launch(engine, people)
    with transaction(engine) as s:
        rs.transition(s, people["head"], es.CampaignSpec, cid, "start")
        a1 = _activity(s, people["t1staff"], tree["t1"], cid, D(2026, 11, 25), 120, 300)
        _activity(s, people["v1staff"], tree["t1v1"], cid, D(2026, 11, 26), 40, 60)
        a3 = _activity(s, people["t2staff"], tree["t2"], cid, D(2026, 11, 27), 90, 100)
        _activity(s, people["t2staff"], tree["t2"], None, D(2026, 11, 27), 999)  # not in the campaign
        attachments.add(s, people["t1staff"], "he_activities", a1, "photos", "现场.jpg", _jpeg())
        attachments.add(s, people["t2staff"], "he_activities", a3, "photos", "签到表.jpg", _jpeg())
    return cid


def test_board_figures_and_evidence_flags(engine, tree, people) -> None:
    cid = _world(engine, tree, people)
    with transaction(engine) as s:
        b = ec.board(s, people["head"], cid, D(2026, 12, 1))  # 8 of 15 days gone: 2 × 8/15 → 1 expected
        rows = {r.unit_id: r for r in b.rows}
        t1, t2, school = rows[tree["t1"]], rows[tree["t2"]], rows[tree["school"]]
        assert (t1.activities, t1.people, t1.materials, t1.missing_photos) == (2, 160, 360, 1)
        assert (t2.activities, t2.people, t2.materials, t2.missing_photos) == (1, 90, 100, 0)
        assert (school.activities, school.people) == (0, 0)
        assert [r.expected for r in (t1, t2, school)] == [1, 1, 1]
        assert [r.behind for r in (t1, t2, school)] == [False, False, True]
        assert t1.reach_pct == 80.0 and t2.reach_pct == 45.0
        assert b.covered == 2 and b.total("people") == 250
        assert [(e.unit, e.participants) for e in b.missing] == [("东关村卫生室", 40)]
        assert len(b.activities) == 3


def test_a_unit_s_activities_in_the_campaign_with_the_photo_there_or_missing(engine, tree, people) -> None:
    cid = _world(engine, tree, people)
    with transaction(engine) as s:
        t1 = ec.unit_activities(s, people["head"], cid, tree["t1"])  # the township and its village
        assert [(a.date, a.unit, a.kind, a.title, a.participants, a.photos, a.has_photo) for a in t1] == [
            (D(2026, 11, 25), "东关镇卫生院", "公众健康咨询", "艾滋病防治咨询", 120, 1, True),
            (D(2026, 11, 26), "东关村卫生室", "公众健康咨询", "艾滋病防治咨询", 40, 0, False),
        ]
        assert [a.participants for a in ec.unit_activities(s, people["head"], cid, tree["t1v1"])] == [40]
        t2 = ec.unit_activities(s, people["head"], cid, tree["t2"])  # the activity outside the campaign is not there
        assert [(a.participants, a.has_photo) for a in t2] == [(90, True)]
        assert ec.unit_activities(s, people["head"], cid, tree["school"]) == []
        assert [a.kind for a in ec.unit_activities(s, people["head"], cid, tree["t2"], "en")] == ["Consultation day"]
        # scoped to the actor: a township sees its own, never another's
        assert [a.participants for a in ec.unit_activities(s, people["t2staff"], cid, tree["t2"])] == [90]
        assert ec.unit_activities(s, people["t2staff"], cid, tree["t1"]) == []
        assert [a.participants for a in ec.unit_activities(s, people["t2staff"], cid, tree["county"])] == [90]
    with pytest.raises(NotFound), transaction(engine) as s:
        ec.unit_activities(s, people["head"], cid + 999, tree["t1"])


def test_a_township_sees_only_its_own_goals_and_activities(engine, tree, people) -> None:
    cid = _world(engine, tree, people)
    with transaction(engine) as s:
        b = ec.board(s, people["t2staff"], cid, D(2026, 12, 1))
        assert [r.unit_id for r in b.rows] == [tree["t2"]]
        assert [(e.unit, e.participants) for e in b.activities] == [("西河镇卫生院", 90)]
        goals = rs.list_page(s, people["t2staff"], es.CampaignGoalSpec).rows
        assert {g.org_unit_id for g in goals} == {tree["t2"]}
        t1_goal = s.scalar(
            select(HeCampaignGoal.id).where(HeCampaignGoal.campaign_id == cid, HeCampaignGoal.org_unit_id == tree["t1"])
        )
    with pytest.raises(NotFound), transaction(engine) as s:
        rs.get(s, people["t2staff"], es.CampaignGoalSpec, t1_goal)
    with pytest.raises(PermissionDenied), transaction(engine) as s:  # staff cannot change goals
        rs.update(s, people["t1staff"], es.CampaignGoalSpec, t1_goal, {"people_goal": 1}, None)
    with pytest.raises(PermissionDenied), transaction(engine) as s:  # nor a township head the county's campaign
        rs.update(s, people["t1head"], es.CampaignSpec, cid, {"name": "改名"}, None)


def test_indicators_coverage_evidence_and_reach(engine, tree, people) -> None:
    cid = _world(engine, tree, people)
    with transaction(engine) as s:
        library.ensure_builtin(s)
    with transaction(engine) as s:
        paths = {row.id: row.path for row in s.execute(select(OrgUnit.id, OrgUnit.path))}

        def value(code: str, unit: str) -> tuple[float, float]:
            indicator = s.scalar(select(Indicator).where(Indicator.code == code))
            ref = ind.UnitRef(tree[unit], paths[tree[unit]])
            got = ind.compute(s, ind.definition_of(indicator), [ref], D(2026, 11, 1), D(2026, 11, 30))[ref.id]
            return got.numerator, got.denominator

        assert value("HE-CAMP-COVER", "county") == (2, 3)  # t1 and t2 of t1, t2 and the school
        assert value("HE-CAMP-EVIDENCE", "county") == (2, 3)  # the village's activity has no photo
        assert value("HE-CAMP-EVIDENCE", "t1") == (1, 2)
        assert value("HE-CAMP-REACH", "county") == (250, 600)
        assert value("HE-CAMP-COVER", "t2") == (1, 1)
    assert cid


def test_home_line_for_the_staff_of_a_unit_in_a_running_campaign(engine, tree, people) -> None:
    _world(engine, tree, people)
    school = make_user(engine, "school_staff", "staff", tree["school"])
    with transaction(engine) as s:
        lines = [x for x in home.todo(s, people["t1staff"], D(2026, 12, 1), "zh-CN") if x.kind == "campaign_running"]
        assert len(lines) == 1
        assert "本单位已开展 2/2 次活动" in lines[0].title and lines[0].page == "education"
        assert lines[0].detail == "受教育 160/200 人；1 次活动缺少照片"
        behind = [x for x in home.todo(s, school, D(2026, 12, 1), "zh-CN") if x.kind == "campaign_running"]
        assert len(behind) == 1 and behind[0].severity == "warning" and "0/2" in behind[0].title
        head_lines = {x.kind: x for x in home.todo(s, people["head"], D(2026, 12, 1), "zh-CN")}
        assert "campaign_running" not in head_lines
        # a head goes to launch one: the first theme day the county has not launched yet (世界艾滋病日 runs)
        assert head_lines["theme_days"].query == {"view": "campaigns", "theme": "disability_day"}
        assert lines[0].query == {"view": "campaigns"}


def _material(s, actor, unit: int, got: int = 0, out: int = 0, kind: str = "艾滋病防治折页") -> int:
    row = rs.create(
        s,
        actor,
        es.MaterialSpec,
        {"org_unit_id": unit, "movement_date": D(2026, 11, 25), "kind": kind, "received": got, "handed_out": out},
    )
    return int(row.id)


def test_the_materials_stock_never_goes_negative(engine, tree, people) -> None:
    with transaction(engine) as s:
        receipt = _material(s, people["t1staff"], tree["t1"], got=500)
        _material(s, people["t1staff"], tree["t1"], out=300)
    with pytest.raises(ValidationError) as short, transaction(engine) as s:
        _material(s, people["t1staff"], tree["t1"], out=201)  # 200 left
    assert short.value.errors[0].field == "handed_out" and "现有 200 份" in short.value.errors[0].message("zh-CN")
    with pytest.raises(ValidationError), transaction(engine) as s:
        _material(s, people["t1staff"], tree["t1"], out=1, kind="控烟海报")  # none of that kind
    with pytest.raises(ValidationError), transaction(engine) as s:  # lowering the receipt below what was handed out
        rs.update(s, people["t1staff"], es.MaterialSpec, receipt, {"received": 299}, None)
    with pytest.raises(ValidationError), transaction(engine) as s:  # nor deleting it
        rs.delete(s, people["t1staff"], es.MaterialSpec, receipt)
    with transaction(engine) as s:
        _material(s, people["t1staff"], tree["t1"], out=200)
        _material(s, people["t2staff"], tree["t2"], got=50)
        assert [(r.unit, r.received, r.handed_out, r.left) for r in ec.stock(s, people["t1staff"])] == [
            ("东关镇卫生院", 500, 500, 0)
        ]
        assert [(r.unit, r.left) for r in ec.stock(s, people["head"])] == [("东关镇卫生院", 0), ("西河镇卫生院", 50)]


def test_the_summary_docx_and_xlsx_carry_the_figures(engine, tree, people) -> None:
    import docx
    import openpyxl

    from portal.apps import ReportRequest
    from portal.programmes.education import summary

    cid = _world(engine, tree, people)
    with transaction(engine) as s:
        word = summary.build(s, people["head"], ReportRequest("docx", "zh-CN", record_id=cid))
        book = summary.build(s, people["head"], ReportRequest("xlsx", "zh-CN", record_id=cid))
        own = summary.build(s, people["t2staff"], ReportRequest("xlsx", "zh-CN", record_id=cid))
    document = docx.Document(io.BytesIO(word))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2026年世界艾滋病日健康教育专题活动活动总结" in text
    assert "活动时间：2026-11-24 至 2026-12-08" in text
    assert "共开展宣传活动 3 次，受教育 250 人（目标 600 人），发放宣传资料 460 份；2 次活动留有照片" in text
    units = [[c.text for c in r.cells] for r in document.tables[0].rows]
    assert units[1][:6] == ["东关镇卫生院", "2", "2", "200", "160", "360"]
    assert [[c.text for c in r.cells] for r in document.tables[1].rows][1] == ["公众健康咨询", "3"]
    assert len(document.inline_shapes) == 2  # the two activities with a photo
    sheet = openpyxl.load_workbook(io.BytesIO(book)).worksheets[0]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[1] == ["东关镇卫生院", 2, 2, 200, 160, 300, 360, 1] and len(rows) == 4
    mine = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(own)).worksheets[0].iter_rows()]
    assert [r[0] for r in mine[1:]] == ["西河镇卫生院"]  # a township's summary holds its own row only


def test_charts_of_reach_per_unit_and_over_the_days(engine, tree, people, monkeypatch) -> None:
    from portal import clock
    from portal.programmes.education import charts

    cid = _world(engine, tree, people)
    monkeypatch.setattr(clock, "today", lambda: D(2026, 11, 28))
    with transaction(engine) as s:
        b = ec.board(s, people["head"], cid, D(2026, 11, 28))
        days = charts.reach_over_days(b, "zh-CN").to_dict()
        units = charts.reach_chart(b.rows, "zh-CN").to_dict()
    line = next(iter(days["datasets"].values()))
    assert [(r["day"], r["people"]) for r in line] == [
        ("2026-11-24", 0),
        ("2026-11-25", 120),
        ("2026-11-26", 160),
        ("2026-11-27", 250),
        ("2026-11-28", 250),
    ]
    goal = [v for v in days["datasets"].values() if v and "goal" in v[0]]
    assert goal == [[{"goal": 600}]]
    bars = next(v for v in units["datasets"].values() if v and "unit" in v[0])
    assert [(r["unit"], r["people"], r["goal"]) for r in bars][:2] == [
        ("东关镇卫生院", 160, 200),
        ("西河镇卫生院", 90, 200),
    ]


def test_units_plan_their_activities_within_the_campaign(engine, tree, people) -> None:
    cid = _world(engine, tree, people)

    def plan(actor: Any, unit: str, day: dt.date) -> Any:
        return rs.create(
            s,
            actor,
            es.CampaignPlanSpec,
            {"campaign_id": cid, "org_unit_id": tree[unit], "activity_type": "lecture", "planned_date": day},
        )

    with transaction(engine) as s:
        plan(people["t1staff"], "t1", D(2026, 12, 2))
        plan(people["v1staff"], "t1v1", D(2026, 12, 3))
        plan(people["t2staff"], "t2", D(2026, 12, 4))
    with pytest.raises(ValidationError) as late, transaction(engine) as s:
        plan(people["t1staff"], "t1", D(2026, 12, 20))
    assert late.value.errors[0].field == "planned_date"
    with pytest.raises(ValidationError), transaction(engine) as s:  # not another township's
        plan(people["t1staff"], "t2", D(2026, 12, 2))
    with transaction(engine) as s:
        head = {r.unit_id: r.planned for r in ec.board(s, people["head"], cid, D(2026, 12, 1)).rows}
        assert (head[tree["t1"]], head[tree["t2"]], head[tree["school"]]) == (2, 1, 0)
        assert [r.planned for r in ec.board(s, people["t2staff"], cid, D(2026, 12, 1)).rows] == [1]


def _docx_photos(word: bytes) -> tuple[list[bytes], list[str]]:
    """The pictures of a summary .docx (their bytes, in order) and the caption under each."""
    import docx

    document = docx.Document(io.BytesIO(word))
    blobs, captions = [], []
    paragraphs = document.paragraphs
    for n, p in enumerate(paragraphs):
        embeds = p._p.xpath(".//a:blip/@r:embed")
        for rid in embeds:
            blobs.append(document.part.related_parts[rid].blob)
            captions.append(paragraphs[n + 1].text)
    return blobs, captions


def test_the_summary_carries_exactly_the_photos_the_head_chose(engine, tree, people) -> None:
    from db.models import Attachment
    from portal.apps import ReportRequest
    from portal.programmes.education import summary

    cid = _world(engine, tree, people)
    with transaction(engine) as s:
        a1 = s.scalar(select(HeActivity.id).where(HeActivity.participants == 120))
        attachments.add(s, people["t1staff"], "he_activities", a1, "photos", "讲解.jpg", _jpeg(), "讲解")
        outside = s.scalar(select(HeActivity.id).where(HeActivity.participants == 999))
        stray = attachments.add(s, people["t2staff"], "he_activities", outside, "photos", "别处.jpg", _jpeg())
        found = summary.candidates(s, people["head"], cid)
        assert len(found) == 3 and {c.unit for c in found} == {"东关镇卫生院", "西河镇卫生院"}
        second, xh = found[1], next(c for c in found if c.unit == "西河镇卫生院")
        assert second.caption == "讲解" and second.label == "2026-11-25 东关镇卫生院 艾滋病防治咨询：讲解"
        stray_id = stray.id
    picks = [(xh.id, "西河镇卫生院咨询现场"), (second.id, " 东关镇\x07讲解防治知识 ")]
    with transaction(engine) as s:
        summary.choose(s, people["head"], cid, picks)
    with transaction(engine) as s:
        campaign = s.get_one(HeCampaign, cid)
        assert summary.chosen(campaign) == [(xh.id, "西河镇卫生院咨询现场"), (second.id, "东关镇 讲解防治知识")]
        entry = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.record_type == "he_campaigns", AuditEntry.record_id == cid)
            .order_by(AuditEntry.id)
        ).all()[-1]
        assert entry.action == "update" and entry.actor_name == "county_head"
        assert "西河镇卫生院咨询现场" in str(entry.after)
        word = summary.build(s, people["head"], ReportRequest("docx", "zh-CN", record_id=cid))
        data = dict(s.execute(select(Attachment.id, Attachment.data)).all())
        own = summary.build(s, people["t2staff"], ReportRequest("docx", "zh-CN", record_id=cid))
    blobs, captions = _docx_photos(word)
    assert blobs == [data[xh.id], data[second.id]]  # exactly the chosen ones, in the chosen order
    assert captions == ["西河镇卫生院咨询现场", "东关镇 讲解防治知识"]
    assert _docx_photos(own) == ([data[xh.id]], ["西河镇卫生院咨询现场"])  # a township sees its own only
    # refused: more than six, a photo from outside the campaign, anyone but the organiser's heads
    with pytest.raises(ValidationError) as many, transaction(engine) as s:
        summary.choose(s, people["head"], cid, [(c.id, "") for c in found] + [(i, "") for i in range(90, 94)])
    assert many.value.errors[0].key == "education.error.too_many_photos"
    with pytest.raises(ValidationError) as stray_refused, transaction(engine) as s:
        summary.choose(s, people["head"], cid, [(stray_id, "别处")])
    assert stray_refused.value.errors[0].key == "education.error.photo_not_in_campaign"
    for who in ("t1staff", "t1head"):
        with pytest.raises(PermissionDenied), transaction(engine) as s:
            summary.choose(s, people[who], cid, [(xh.id, "")])
    # an empty choice goes back to the automatic one: the first photo of each activity
    with transaction(engine) as s:
        summary.choose(s, people["head"], cid, [])
        assert s.get_one(HeCampaign, cid).summary_photos is None
        blobs, captions = _docx_photos(summary.docx(s, people["head"], cid, "zh-CN"))
    assert blobs == [data[found[0].id], data[xh.id]]
    assert captions == [found[0].label, xh.label]
    # once summarised the choice is frozen with the campaign
    with transaction(engine) as s:
        rs.transition(s, people["head"], es.CampaignSpec, cid, "summarise", comment="已完成")
    with pytest.raises(ValidationError), transaction(engine) as s:
        summary.choose(s, people["head"], cid, [(xh.id, "")])
