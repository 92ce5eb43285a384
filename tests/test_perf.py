"""Reruns that cost what is shown: the query budgets of the busiest pages (they fail as
soon as a change adds a query to a rerun), the per-rerun memo and the figures cache
keyed by the data version (a write in one process is seen by another at once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, transaction
from db.models import HeActivity, OrgUnit
from portal import cache
from portal.demo import load_demo
from portal.i18n import t
from portal.metrics import indicators as ind
from portal.metrics import targets as tg
from portal.org import calendars
from portal.org import units as orgunits
from portal.org.scope import SYSTEM
from portal.programmes.education.specs import HeActivitySpec
from portal.records import service as rs
from portal.sqlcount import count_queries
from tests.conftest import BACKENDS, demo_engine, fresh_engine, make_tree, make_user, open_tab, served_app

ROOT = Path(__file__).resolve().parents[1]
PLANS_BUDGET = 20  # the county head's /plans rerun (it was about 107 with every tab drawn)
LIST_BUDGET = 4  # a township's list page (it was 18): the user, the data version, the count, the page


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    engine = demo_engine(request.param, tmp_path_factory.mktemp("perf_demo"))
    with served_app(tmp_path_factory, engine) as entry:
        yield engine, entry
    engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    engine = fresh_engine(request.param, tmp_path_factory.mktemp("perf_list"))
    ids = make_tree(engine)
    make_user(engine, "staff", "staff", ids["t1"])
    make_user(engine, "head", "head", ids["county"])
    with transaction(engine) as s:
        for i in range(30):  # two pages
            unit = ids["t1"] if i % 2 else ids["t1v1"]
            raw = {"org_unit_id": unit, "activity_date": dt.date(2026, 3, i % 28 + 1), "activity_type": "board"}
            rs.create(s, SYSTEM, HeActivitySpec, {**raw, "title": f"活动{i}"})
        rs.delete(s, SYSTEM, HeActivitySpec, s.scalar(select(HeActivity.id).limit(1)))  # the trash is not empty
    with served_app(tmp_path_factory, engine) as entry:
        yield engine, entry, ids
    engine.dispose()


def open_page(entry: str, username: str, page: str, **state: object) -> AppTest:
    at = AppTest.from_file(entry, default_timeout=60)
    for key, value in {"authentication_status": True, "username": username, "lang": "zh-CN", **state}.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(str(ROOT / page))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun_queries(at: AppTest) -> tuple[int, str]:
    at.run()  # warm: what a second click costs
    with count_queries() as counted:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return counted.n, str(counted)


# -- query budgets ---------------------------------------------------------------------------


def test_county_heads_plans_rerun_stays_within_its_query_budget(demo):
    _engine, entry = demo
    at = open_page(entry, "head", "pages/plans.py")
    assert at.title[0].value == t("nav.plans")
    n, statements = rerun_queries(at)  # the tab it opens on (a head of units below: the review grid)
    assert n <= PLANS_BUDGET, statements
    # every tab: each runs alone, within the same budget
    for tab in ("board", "items", "report", "close", "review", "charts"):
        open_tab(at, "plans.tabs.view", f"plans.tab.{tab}")
        n, statements = rerun_queries(at)
        assert n <= PLANS_BUDGET, (tab, statements)
        if tab == "board":
            assert at.metric or at.dataframe  # the board (or the units below) really rendered


def test_targets_rerun_on_a_cache_hit_stays_small(demo):
    _engine, entry = demo
    at = open_page(entry, "head", "pages/targets.py")
    assert len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) == 3
    n, statements = rerun_queries(at)
    assert n <= PLANS_BUDGET, statements
    aggregates = [line for line in statements.splitlines() if "GROUP BY" in line and "org_unit_populations" not in line]
    assert not aggregates  # no indicator recomputed: the figures came from the cache


@pytest.mark.parametrize("username", ["staff", "head"])
def test_a_list_page_stays_within_its_query_budget(county, username):
    _engine, entry, _ids = county
    at = open_page(entry, username, "pages/education.py", **{"shell.period": "2026"})
    n, statements = rerun_queries(at)
    assert n <= LIST_BUDGET, statements
    shown = next(d.value for d in at.dataframe if d.key and d.key.startswith("he_activities.table."))
    assert len(shown) == 25  # the page really rendered its rows
    assert "deleted_at IS NOT NULL" not in statements  # the closed trash tab ran nothing


def test_the_trash_runs_its_queries_only_when_open(county):
    _engine, entry, _ids = county
    at = open_page(entry, "staff", "pages/education.py")
    _, statements = rerun_queries(at)
    assert "deleted_at IS NOT NULL" not in statements
    open_tab(at, "he_activities.tabs.view", "records.tab.trash")
    _, statements = rerun_queries(at)
    assert "deleted_at IS NOT NULL" in statements
    assert t("records.trash_caption", count=1) in [c.value for c in at.caption]


# -- the list's filters while another tab is open --------------------------------------------


def test_filters_survive_another_tab_and_the_export_uses_them(county):
    _engine, entry, _ids = county
    at = open_page(entry, "head", "pages/education.py", **{"shell.period": "2026"})
    at.text_input(key="he_activities.filter.search").input("活动1")  # 活动1, 活动10..19
    at.run()
    assert t("records.total", count=11) in [c.value for c in at.caption]
    open_tab(at, "he_activities.tabs.view", "records.tab.io")
    assert t("records.export_caption", count=11) in [c.value for c in at.caption]  # the list's filters
    open_tab(at, "he_activities.tabs.view", "records.tab.list")
    assert at.text_input(key="he_activities.filter.search").value == "活动1"
    assert t("records.total", count=11) in [c.value for c in at.caption]


# -- the per-rerun memo -----------------------------------------------------------------------


def test_the_memo_reads_once_per_rerun_and_forgets_after_a_write(engine, tree):
    cache.clear()
    with transaction(engine) as s:
        with count_queries(engine) as outside:
            orgunits.tree(s, SYSTEM)
            orgunits.tree(s, SYSTEM)
        # no rerun, no memo: each call asks the data version; the first also reads the
        # units and their populations, the second finds them in the figures cache
        assert outside.n == 4
        cache.clear()
        with cache.rerun():
            with count_queries(engine) as inside:
                first = orgunits.tree(s, SYSTEM)
                assert orgunits.tree(s, SYSTEM, include_inactive=False) == [u for u in first if u.active]
                calendars.load_calendar(s)
                calendars.load_calendar(s)
            assert inside.n == 4  # the version, units, populations, the calendar: once each
        with cache.rerun(), count_queries(engine) as next_rerun:
            assert orgunits.tree(s, SYSTEM) == first
        assert next_rerun.n == 1  # the next rerun at the same version: the version alone
        with cache.rerun():
            orgunits.create(
                s, SYSTEM, {"code": "new", "name_zh": "新", "name_en": "New", "type": "village_clinic",
                            "parent_id": tree["t1"]},
            )  # fmt: skip
            assert len(orgunits.tree(s, SYSTEM)) == len(first) + 1  # the write emptied the memo and moved the version


# -- the figures cache -----------------------------------------------------------------------


def test_a_write_advances_the_version_and_every_process_sees_it(tmp_path):
    a = fresh_engine("sqlite", tmp_path)
    b = make_engine(a.url.render_as_string(hide_password=False))  # the same file, another process
    load_demo(a, fast=True)
    # two server processes: each its own engine and its own cache
    cache_a, cache_b = cache.FiguresCache(), cache.FiguresCache()
    day = dt.date(2026, 11, 20)
    try:
        with transaction(a) as s:
            v1 = cache.data_version(s)
            county = s.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))
            refs = [ind.UnitRef(county.id, county.path)]
            he01 = [i for i in ind.active_indicators(s) if i.code == "HE-01"]

            def figure(cache_: cache.FiguresCache, session) -> float:
                key = ("HE-01 actual", county.id, "2026", day)
                return cache_.get(session, key, lambda: tg.scorecard(session, he01, refs, "2026", day)[0].actual)

            before = figure(cache_a, s)
        with transaction(b) as s:
            assert figure(cache_b, s) == before
        with transaction(b) as s:
            assert figure(cache_b, s) == before  # a hit
        assert (cache_b.hits, cache_b.misses) == (1, 1)
        # process B records one more lecture in the county this year
        with transaction(b) as s:
            township = s.scalar(select(OrgUnit).where(OrgUnit.parent_id == county.id, OrgUnit.type == "township_hc"))
            rs.create(
                s, SYSTEM, HeActivitySpec, {"org_unit_id": township.id, "activity_date": dt.date(2026, 11, 2),
                                            "activity_type": "lecture", "title": "新增讲座", "participants": 30},
            )  # fmt: skip
        with transaction(a) as s:
            assert cache.data_version(s) != v1  # the write advanced the version
            assert figure(cache_a, s) == before + 1  # process A sees it at once, no message needed
            assert cache_a.misses == 2
        with transaction(b) as s:
            assert figure(cache_b, s) == before + 1
            count = s.scalar(select(func.count()).select_from(HeActivity).where(HeActivity.title == "新增讲座"))
            assert count == 1
    finally:
        a.dispose()
        b.dispose()


def test_figure_keys_hold_the_scope_and_rows_by_id():
    from portal.org.scope import Actor

    head = Actor(1, "head", "head", "head", 1, "/1/")
    other_head = Actor(2, "head2", "head2", "head", 1, "/1/")
    township = Actor(3, "t", "t", "head", 2, "/1/2/")
    assert cache.key_of([head, {"b": 1, "a": [1, 2]}]) == cache.key_of([other_head, {"a": [1, 2], "b": 1}])
    assert cache.key_of(head) != cache.key_of(township)
    with pytest.raises(TypeError):
        cache.key_of(object.__new__(type("Unhashable", (), {"__hash__": None})))


def test_sessions_missing_the_same_figure_at_once_compute_it_once(tmp_path):
    """Eight sessions ask for one figure at the same moment after a write: one computes,
    the others wait for its result (a report day's heads opening /targets together spent
    the same CPU eight times over). A failed computation does not strand the waiters: the
    next one computes it itself."""
    import threading
    import time

    engine = fresh_engine("sqlite", tmp_path)
    figures = cache.FiguresCache()
    calls: list[int] = []
    go = threading.Barrier(8)

    def slow() -> int:
        calls.append(1)
        time.sleep(0.3)
        return 42

    got: list[int] = []

    def session_asks() -> None:
        with transaction(engine) as s:
            go.wait()
            got.append(figures.get(s, ("scorecard", "county"), slow))

    try:
        threads = [threading.Thread(target=session_asks) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert got == [42] * 8
        assert len(calls) == 1 and figures.misses == 1
        assert figures.hits + figures.waits >= 7

        def broken() -> int:
            time.sleep(0.2)
            raise RuntimeError("the database went away")

        outcome: list[object] = []

        def first() -> None:
            with transaction(engine) as s, pytest.raises(RuntimeError):
                figures.get(s, ("other",), broken)
            outcome.append("failed")

        def second() -> None:
            time.sleep(0.05)  # arrives while the first computes, then waits for it
            with transaction(engine) as s:
                outcome.append(figures.get(s, ("other",), lambda: 7))

        pair = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join(30)
        assert sorted(map(str, outcome)) == ["7", "failed"]
        assert not figures._running  # nothing left marked as being computed
    finally:
        engine.dispose()
