"""One figure, one number, wherever it is shown: on the demo county as of 30 November 2026,
each township's on-time reporting rate for 2026 read through the MP-ONTIME indicator
(targets page, scorecard, home), the plans statistics (ontime_by_unit) and the year-end
summary (.docx/.xlsx data) must agree; the monthly completion rate read through the board,
the month report's data and the head's home table must agree too."""

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
