"""The ranking's declared rules beyond the mean (issue 12, item 4): weights by inspection
type (每周大检查 counts twice: the weighted mean, a missed scheduled inspection weighing
what its type weighs, the text read in either language and refused naming the field),
the periods a ranking is offered for (the campaign, its months, weeks and last days), and
the 红榜 / 黑榜 lists (the first three places with ties; below the pass score, or the last
three), on the service, in the Word ranking and on the ranking tab."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document

from db.engine import transaction
from db.models import SanitationCampaign
from portal.errors import ValidationError
from portal.org.scope import SYSTEM
from portal.programmes.sanitation import reports
from portal.programmes.sanitation import specs as sp
from portal.programmes.sanitation import view as sv
from portal.records import service as rs
from tests.test_sanitation import D, world  # noqa: F401 - the shared world fixture
from tests.test_sanitation_schedules import check, schedule


@pytest.fixture
def w(world: dict[str, Any]) -> dict[str, Any]:  # noqa: F811 - pytest's fixture by name
    return world


def set_campaign(engine, w, **values: Any) -> None:
    with transaction(engine) as s:
        rs.update(s, w["t1head"], sp.CampaignSpec, w["campaign"], values, None)


def test_weights_are_read_in_either_language_and_refused_naming_the_field() -> None:
    assert sp.parse_weights("每周大检查=2；突击 / 暗访：3") == ({"weekly": 2.0, "surprise": 3.0}, None)
    assert sp.parse_weights("Weekly = 2, special=0.5") == ({"weekly": 2.0, "special": 0.5}, None)
    assert sp.parse_weights("") == ({}, None)
    for bad, piece in (
        ("周检=2", "周检=2"),
        ("每周大检查=11", "每周大检查=11"),
        ("每周大检查=2；每周大检查=3", "每周大检查=3"),
    ):
        assert sp.parse_weights(bad)[1] == piece


def test_a_campaign_refuses_weights_it_cannot_read(engine, w) -> None:
    with pytest.raises(ValidationError) as refused:
        set_campaign(engine, w, type_weights="每周大检查=2；暗访=abc")
    assert [e.field for e in refused.value.errors] == ["type_weights"]
    assert "暗访=abc" in refused.value.message("zh-CN") and "type=weight" in refused.value.message("en")
    with transaction(engine) as s:
        assert s.get_one(SanitationCampaign, w["campaign"]).type_weights is None  # nothing saved


def test_the_mean_is_weighted_by_inspection_type(engine, w) -> None:
    # street: a daily 90 and a weekly 96; market: a daily 96 and a weekly 90
    check(engine, w["t1staff"], w, "street", D(2026, 4, 7), kind="daily", score=90)
    check(engine, w["t1staff"], w, "street", D(2026, 4, 8), kind="weekly", score=96)
    check(engine, w["t1staff"], w, "market", D(2026, 4, 7), kind="daily", score=96)
    check(engine, w["t1staff"], w, "market", D(2026, 4, 8), kind="weekly", score=90)

    def ranked() -> list[tuple[str, int | None, float | None, bool]]:
        with transaction(engine) as s:
            result = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30), today=D(2026, 4, 20))
        return [(r.zone, r.rank, r.mean, r.tied) for r in result.rows]

    assert ranked() == [("东关主街", 1, 93.0, True), ("东关农贸市场", 1, 93.0, True), ("东关村", None, None, False)]
    set_campaign(engine, w, type_weights="每周大检查=2")  # the weekly check counts twice
    assert ranked() == [("东关主街", 1, 94.0, False), ("东关农贸市场", 2, 92.0, False), ("东关村", None, None, False)]
    set_campaign(engine, w, type_weights="weekly=0")  # only the daily checks count
    assert ranked()[:2] == [("东关农贸市场", 1, 96.0, False), ("东关主街", 2, 90.0, False)]
    with transaction(engine) as s:  # the Word ranking states the weights
        word = reports.ranking_document(s, w["t1head"], w["campaign"], D(2026, 4, 1), D(2026, 4, 30), "docx")
    assert any("按检查类型加权：每周大检查 × 0" in p.text for p in Document(io.BytesIO(word)).paragraphs)


def test_a_missed_inspection_weighs_what_its_type_weighs(engine, w) -> None:
    # a weekly schedule on the market, the week of 6-12 April missed, counted as 0, weighing 2
    schedule(
        engine,
        SYSTEM,
        w,
        zone_id=w["zones"]["market"],
        frequency="weekly",
        inspection_type="weekly",
        duty="team",
        team_name="检查评比小组",
        inspectors="t1staff",
        start_date=D(2026, 4, 6),
        end_date=D(2026, 4, 12),
    )
    check(engine, w["t1staff"], w, "market", D(2026, 4, 7), kind="daily", score=90)
    set_campaign(engine, w, missed_rule="zero", type_weights="每周大检查=2")
    with transaction(engine) as s:
        result = sv.ranking(s, w["t1head"], w["campaign"], D(2026, 4, 6), D(2026, 4, 12), today=D(2026, 4, 20))
    (market,) = [r for r in result.rows if r.zone == "东关农贸市场"]
    assert (market.inspections, market.missed, market.mean) == (1, 1, 30.0)  # (90 × 1 + 0 × 2) / 3


def test_the_periods_offered_are_the_campaign_its_months_weeks_and_last_days(engine, w) -> None:
    with transaction(engine) as s:
        campaign = s.get_one(SanitationCampaign, w["campaign"])  # 1-30 April 2026
        offered = sv.ranking_periods(campaign, D(2026, 4, 9))
    kinds = [p.kind for p in offered]
    assert kinds == ["term", "month", "week", "week"] + ["day"] * 7
    assert (offered[0].start, offered[0].end) == (D(2026, 4, 1), D(2026, 4, 30))
    assert (offered[1].key, offered[1].start, offered[1].end) == ("2026-04", D(2026, 4, 1), D(2026, 4, 30))
    weeks = [(p.start, p.end) for p in offered if p.kind == "week"]
    assert weeks == [(D(2026, 4, 6), D(2026, 4, 12)), (D(2026, 4, 1), D(2026, 4, 5))]  # newest first, clipped
    days = [p.start for p in offered if p.kind == "day"]
    assert days == [D(2026, 4, 9 - n) for n in range(7)]  # newest first, no day after today
    assert all(p.start == p.end for p in offered if p.kind == "day")
    with transaction(engine) as s:  # two days in: two days offered, none before the campaign
        early = sv.ranking_periods(s.get_one(SanitationCampaign, w["campaign"]), D(2026, 4, 2))
    assert [p.start for p in early if p.kind == "day"] == [D(2026, 4, 2), D(2026, 4, 1)]
    assert len({p.key for p in offered}) == len(offered)  # every key names one period


def rows(*spec: tuple[str, int | None, float | None, int | None]) -> sv.Ranking:
    return sv.Ranking(
        1,
        D(2026, 4, 1),
        D(2026, 4, 30),
        [
            sv.RankRow(i, zone, 1, 1, mean, rank, False, rank == 1, group)
            for i, (zone, rank, mean, group) in enumerate(spec)
        ],
    )


def test_the_red_list_holds_the_first_three_places_and_the_black_list_those_below_the_pass_score() -> None:
    result = rows(("A", 1, 98, None), ("B", 2, 95, None), ("C", 2, 95, None), ("D", 4, 90, None), ("E", 5, 70, None))
    red, black = sv.honour_lists(result, 85)
    assert [r.zone for r in red] == ["A", "B", "C"]  # the tie for second is both on it
    assert [r.zone for r in black] == ["E"]
    red, black = sv.honour_lists(result, None)  # no pass score: the last three not on the red list
    assert [r.zone for r in black] == ["E", "D"]  # lowest first
    grouped = rows(("A", 1, 98, 7), ("B", 2, 60, 7), ("C", 1, 80, 8), ("X", None, None, 8))
    red, black = sv.honour_lists(grouped, 85)
    assert [r.zone for r in red] == ["A", "B", "C"]  # each group's own places; X was not inspected
    assert [r.zone for r in black] == ["B", "C"]
