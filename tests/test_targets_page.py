"""The Targets page and the home calendar through AppTest, on the demo county: the
county head sees every township and hands targets down; a township head sees its own
township's target and its villages, and nothing of the others."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import transaction
from db.models import OrgUnit, Target
from portal.i18n import t
from portal.metrics import targets as tg
from portal.org.scope import SYSTEM
from tests.conftest import BACKENDS, demo_engine, served_app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=BACKENDS)
def demo_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    engine = demo_engine(request.param, tmp_path_factory.mktemp("targets"))
    with served_app(tmp_path_factory, engine) as entry:
        yield engine, entry
    engine.dispose()


def open_page(entry: str, username: str, page: str = "pages/targets.py") -> AppTest:
    at = AppTest.from_file(entry, default_timeout=60)
    for key, value in {
        "authentication_status": True,
        "username": username,
        "lang": "zh-CN",
        "shell.period": "2026-11",
    }.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(str(ROOT / page))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label_key: str) -> str:
    return next(m.value for m in at.metric if m.label == t(label_key))


def test_county_head_sees_every_township_and_the_records_behind(demo_db):
    _engine, entry = demo_db
    at = open_page(entry, "head")
    assert at.title[0].value == t("targets.title")
    assert metric(at, "targets.target") == "104 次"  # the townships' targets added up
    actual = int(metric(at, "targets.actual").split()[0])
    assert actual > 0
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == 3  # bullet, cumulative, scorecard
    drill = at.dataframe[0].value
    assert len(drill) == min(actual, 100)
    assert set(drill["活动形式"]) == {"健康讲座"}
    assert any(s.value.startswith("向下级单位下达目标") for s in at.subheader)


def test_head_hands_targets_down_through_the_table(demo_db):
    engine, entry = demo_db
    at = open_page(entry, "head")
    with transaction(engine) as s:
        county = s.scalar(select(OrgUnit.id).where(OrgUnit.code == "county"))
        ns = s.scalar(select(OrgUnit.id).where(OrgUnit.code == "ns"))
        _, children = tg.unit_and_children(s, SYSTEM, county)
        before = s.scalar(
            select(Target.value).where(
                Target.indicator_code == "HE-01",
                Target.period == "2026",
                Target.org_unit_id == ns,
                Target.deleted_at.is_(None),
            )
        )
    assert ns in [c.ref.id for c in children]
    total = int(metric(at, "targets.target").split()[0])
    at.run()  # the figures come from the cache now (same data version)
    assert int(metric(at, "targets.target").split()[0]) == total
    grid = "targets.assign.HE-01.2026"
    # one number box per unit: typing 18 into 南山乡卫生院's marks one unsaved change
    at.number_input(key=f"{grid}.cell.{ns}.2026").set_value(18.0)
    at.run()
    assert any("1 处修改尚未保存" in w.value for w in at.warning)
    at.button(key=f"{grid}.save").click()
    at.run()
    assert not at.exception
    with transaction(engine) as s:
        assert (
            s.scalar(
                select(Target.value).where(
                    Target.indicator_code == "HE-01",
                    Target.period == "2026",
                    Target.org_unit_id == ns,
                    Target.deleted_at.is_(None),
                )
            )
            == 18.0
        )
    # the write advanced the data version: the cached total is recomputed at once
    at.run()
    assert int(metric(at, "targets.target").split()[0]) == total - int(before or 0) + 18


def test_township_head_sees_its_own_target_and_villages_only(demo_db):
    _engine, entry = demo_db
    at = open_page(entry, "dg_head")
    assert metric(at, "targets.target") == "16 次"  # 东关镇: set by the county head
    options = at.selectbox(key="shell.org_unit").options
    assert len(options) == 4  # the township and its three village clinics
    drill_units = at.selectbox(key="targets.drill.unit").options
    assert len(drill_units) == 4 and all("城关" not in o for o in drill_units)
    # its villages have no targets set below them: the assign table offers them
    assert any(s.value.startswith("向下级单位下达目标") for s in at.subheader)


def test_staff_see_progress_but_cannot_assign(demo_db):
    _engine, entry = demo_db
    at = open_page(entry, "staff")
    assert metric(at, "targets.target") == "20 次"  # 城关镇 has four villages
    assert not any(s.value.startswith("向下级单位下达目标") for s in at.subheader)


def test_home_shows_the_next_sixty_days_of_theme_days(demo_db):
    _engine, entry = demo_db
    at = open_page(entry, "viewer", "pages/home.py")
    calendar = at.dataframe[-1].value
    assert list(calendar.columns)[:3] == ["日期", "距今", "主题日"]
    assert len(calendar) >= 1
