"""One figure, one number, wherever it is shown: on the demo county as of 30 November 2026,
each township's on-time reporting rate for 2026 read through the MP-ONTIME indicator
(targets page, scorecard, home), the plans statistics (ontime_by_unit) and the year-end
summary (.docx/.xlsx data) must agree; the monthly completion rate read through the board,
the month report's data and the head's home table must agree too; each unit's October
report status reads the same on home, in the review grid and in the review panel; and a
parent's count is its units' counts plus its own, with its target from the one rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from db.engine import transaction
from db.models import Indicator, OrgUnit, User
from portal import clock, formatting, home
from portal.metrics import indicators as ind
from portal.metrics import library
from portal.metrics import targets as tg
from portal.org.scope import actor_for
from portal.programmes.plans import figures
from portal.programmes.plans import view as pv
from tests.conftest import demo_engine

DAY = dt.date(2026, 11, 30)
TOWNSHIPS = ("bp", "cg", "dg", "ns", "qs", "xh")


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with clock.frozen(DAY):
        engine = demo_engine("sqlite", tmp_path_factory.mktemp("agree"))
    yield engine
    engine.dispose()


def test_the_on_time_rate_reads_the_same_everywhere(county: Engine) -> None:
    with clock.frozen(DAY), transaction(county) as s:
        library.ensure_builtin(s)
        head = actor_for(s, s.scalar(select(User).where(User.username == "head")))
        units = list(s.scalars(select(OrgUnit).where(OrgUnit.code.in_(TOWNSHIPS)).order_by(OrgUnit.code)))
        assert len(units) == len(TOWNSHIPS)
        indicator = s.scalar(select(Indicator).where(Indicator.code == "MP-ONTIME"))
        by_indicator = {
            p.unit_id: p.actual
            for p in tg.progress(s, indicator, [ind.UnitRef(u.id, u.path) for u in units], "2026", DAY)
        }
        months = [f"2026-{m:02d}" for m in range(1, 13)]
        by_stats = {
            row["unit"]: formatting.rate(row["on_time"], row["due"])
            for row in pv.ontime_by_unit(s, head, [(u.id, u.name_zh) for u in units], months, DAY)
        }
        for unit in units:
            summary = figures.year_data(s, head, unit.id, 2026, DAY)
            shown = {
                "indicator": formatting.pct(by_indicator[unit.id]),
                "plans statistics": formatting.pct(by_stats[unit.name_zh]),
                "year summary": formatting.pct(summary.on_time_rate),
            }
            assert len(set(shown.values())) == 1, (unit.name_zh, shown)


def test_this_month_s_completion_reads_the_same_on_the_board_the_report_and_home(county: Engine) -> None:
    with clock.frozen(DAY), transaction(county) as s:
        head = actor_for(s, s.scalar(select(User).where(User.username == "head")))
        county_id = s.scalar(select(OrgUnit.id).where(OrgUnit.code == "county"))
        table = home.overview(s, head, county_id, DAY, "zh-CN")
        assert table is not None
        column = next(c for c in table.columns if c.key == "plans_last")
        for unit_id, _name in table.units:
            unit = s.get(OrgUnit, unit_id)
            if unit.code not in TOWNSHIPS:
                continue
            data = figures.month_data(s, head, unit_id, "2026-10", DAY)
            _done, _counted, rate = pv.completion(pv.board(s, head, unit_id, "2026-10", DAY))
            assert formatting.pct(rate) == formatting.pct(data.rate), unit.name_zh
            assert column.values[unit_id].startswith(formatting.pct(data.rate)), unit.name_zh


def test_last_month_s_report_status_reads_the_same_on_home_the_review_grid_and_the_report(county: Engine) -> None:
    """Home's "report" column, the review grid's cell and the review panel's state say the
    same of each unit's October report (overdue = a draft or returned report past its due
    date, never sent included)."""
    from portal.i18n import t

    with clock.frozen(DAY), transaction(county) as s:
        head = actor_for(s, s.scalar(select(User).where(User.username == "head")))
        county_id = s.scalar(select(OrgUnit.id).where(OrgUnit.code == "county"))
        table = home.overview(s, head, county_id, DAY, "zh-CN")
        assert table is not None
        column = next(c for c in table.columns if c.key == "report_last")
        grid = {r.unit_id: r.status for r in pv.review_grid(s, head, table.units, ["2026-10"], DAY)}
        seen = set()
        for unit_id, name in table.units:
            state = pv.report_state(s, head, unit_id, "2026-10", DAY)
            panel = "overdue" if state.overdue and state.status == "draft" else state.status
            assert grid[unit_id] == panel, name
            if column.values[unit_id] != formatting.DASH:  # a unit that had nothing to report yet
                assert column.values[unit_id] == t(f"plans.home.status.{grid[unit_id]}", "zh-CN"), name
            seen.add(grid[unit_id])
        assert len(seen) >= 2, seen  # the demo has October reports in several states


def test_a_parent_s_count_is_its_units_counts_added_to_its_own_and_its_target_follows_the_one_rule(
    county: Engine,
) -> None:
    """For every built-in count indicator on the demo county: the county's figure is the
    sum of its units' figures plus what the county recorded itself, and its target is what
    target_origin says it is (own, else its units' targets added up, else the norm)."""
    from db.models import Target

    with clock.frozen(DAY), transaction(county) as s:
        library.ensure_builtin(s)
        county_unit = s.scalar(select(OrgUnit).where(OrgUnit.code == "county"))
        below = list(s.scalars(select(OrgUnit).where(OrgUnit.parent_id == county_unit.id, OrgUnit.active.is_(True))))
        checked = 0
        for indicator in s.scalars(select(Indicator).where(Indicator.period_type == "year").order_by(Indicator.code)):
            definition = ind.definition_of(indicator)
            if definition.kind != "aggregate" or definition.numerator is None or definition.numerator.agg != "count":
                continue
            refs = [ind.UnitRef(u.id, u.path) for u in (county_unit, *below)]
            rows = {p.unit_id: p for p in tg.progress(s, indicator, refs, "2026", DAY)}
            county_ref = ind.UnitRef(county_unit.id, county_unit.path)
            own = ind.aggregate_values(  # only what was recorded at the county itself: no other unit's path
                s, definition.numerator, [county_ref], dt.date(2026, 1, 1), DAY, {county_unit.id: county_unit.path}
            )
            own = (own or {}).get(county_unit.id, 0) * definition.factor
            total = rows[county_unit.id].actual
            if total is not None:
                assert total == sum(rows[u.id].actual or 0 for u in below) + own, indicator.code
            origin = tg.target_origin(s, indicator, county_unit.id, "2026")
            set_below = list(
                s.scalars(
                    select(Target.value).where(
                        Target.indicator_code == indicator.code,
                        Target.period == "2026",
                        Target.deleted_at.is_(None),
                        Target.org_unit_id.in_([u.id for u in below]),
                    )
                )
            )
            expected = {
                "own": rows[county_unit.id].target,
                "children": float(sum(set_below)) if set_below else None,
                "default": indicator.default_target,
                "none": None,
            }[origin.source]
            assert rows[county_unit.id].target == expected, (indicator.code, origin)
            checked += 1
        assert checked >= 2  # HE-01 lectures, HE-02 boards: at least
