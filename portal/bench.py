"""Benchmark: python -m portal.bench --rows N [--json]

Builds a throw-away SQLite database (or uses --url), generates an org tree of 200 units
and N health-education activities spread over them and over two years, then measures:
the table page's server render time (AppTest rerun median) for a township user and for
the county head, the filtered count, 10k-row XLSX import and export, every built-in
indicator for 200 units x 12 months, the township and county scorecards, peak memory,
and the same page built the naive way (the whole table read into pandas) with the ratio.
With as many training sign-in marks (sessions of 200 trainees): a session's attendance grid,
a save of 200 changed marks, and the county's hours ledger for a year. With as many
sanitation item scores (ten an inspection, a zone per village and classroom): a term's
ranking and a month's county-wide heat map of points lost.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from db import migrate
from db.engine import make_engine, transaction
from db.models import HeActivity, OrgUnit, User
from portal import clock
from portal.metrics import indicators as ind
from portal.metrics import library as indicator_library
from portal.metrics import targets as tg
from portal.org import units as orgunits
from portal.org import users
from portal.org.scope import SYSTEM, Actor, actor_for
from portal.programmes.sanitation import bench as sanitation_bench
from portal.programmes.training import bench as training_bench
from portal.records import registry
from portal.records import service as records
from portal.records.grid import RowChange
from portal.records.service import Filters
from portal.timing import timed

ROOT = Path(__file__).resolve().parent.parent
HE = "he_activities"  # the record type the list-page benchmarks run on
TYPES = ("lecture", "consultation", "board", "materials", "av", "individual", "class", "other")
TOWNSHIPS, VILLAGES = 10, 18
BATCH = 50_000
PAGE_RUNS = 15
WARM_RUNS = 3
TODAY = dt.date(2026, 11, 23)


def build_tree(engine: Engine) -> dict[str, Any]:
    """1 county, 10 townships x 18 villages, 2 offices, 1 school with 6 classes = 200."""
    ids: dict[str, int] = {}
    with transaction(engine) as s:

        def unit(code: str, type_: str, parent: str | None) -> None:
            ids[code] = orgunits.create(
                s,
                SYSTEM,
                {
                    "code": code,
                    "name_zh": code,
                    "name_en": code,
                    "type": type_,
                    "parent_id": ids[parent] if parent else None,
                },
            ).id

        unit("county", "bureau", None)
        unit("jds", "supervision", "county")
        unit("cdc", "cdc", "county")
        for t in range(TOWNSHIPS):
            unit(f"t{t:02d}", "township_hc", "county")
            orgunits.set_population(s, SYSTEM, ids[f"t{t:02d}"], 2026, "resident", 30000)
            for v in range(VILLAGES):
                unit(f"t{t:02d}v{v:02d}", "village_clinic", f"t{t:02d}")
        unit("school", "school", "county")
        for c in range(6):
            unit(f"school-c{c}", "class", "school")
        for name, role, code in (("bench_head", "head", "county"), ("bench_staff", "staff", "t03")):
            users.create(
                s,
                SYSTEM,
                {
                    "username": name,
                    "display_name": name,
                    "role": role,
                    "org_unit_id": ids[code],
                    "password": "bench-password",
                    "bcrypt_rounds": 4,
                },
            )
        indicator_library.ensure_builtin(s)
    return ids


def generate(engine: Engine, ids: dict[str, int], rows: int, seed: int = 7, only: list[int] | None = None) -> None:
    """N activities over the village clinics and townships (or the units `only`), dated
    over 2025-2026."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not a secret
    holders = only or [i for code, i in ids.items() if code.startswith("t")]
    start = dt.date(2025, 1, 1)
    now = clock.now()
    done = 0
    while done < rows:
        n = min(BATCH, rows - done)
        batch = [
            {
                "org_unit_id": rng.choice(holders),
                "activity_date": start + dt.timedelta(days=rng.randrange(700)),
                "activity_type": rng.choice(TYPES),
                "title": f"活动 {done + i}",
                "participants": rng.randint(5, 300),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n)
        ]
        with transaction(engine) as s:
            s.execute(insert(HeActivity), batch)
        done += n
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def actor(engine: Engine, username: str) -> Actor:
    with transaction(engine) as s:
        return actor_for(s, s.scalars(select(User).where(User.username == username)).one())


def naive_page(engine: Engine, who: Actor) -> int:
    """The page the naive way: read the whole table into pandas, filter and page there."""
    import pandas as pd

    with engine.connect() as conn:
        frame = pd.read_sql(text("SELECT * FROM he_activities"), conn)
        units = pd.read_sql(text("SELECT id, path FROM org_units"), conn)
    mine = set(units[units["path"].str.startswith(who.org_path)]["id"])
    frame = frame[frame["org_unit_id"].isin(mine) & frame["deleted_at"].isna()]
    frame = frame.sort_values(["activity_date", "id"], ascending=False)
    return len(frame.head(25)) + len(frame) * 0


def page_stats(
    url: str,
    username: str,
    script: str = "education.py",
    rendered: Callable[[Any], bool] | None = None,
    runs: int = PAGE_RUNS,
    before: Callable[[], None] | None = None,
) -> tuple[float, int]:
    """Server render time of one page (AppTest rerun median, ms) and the SQL statements
    one rerun sends. `before` runs ahead of every timed rerun (e.g. to empty a cache)."""
    from streamlit.testing.v1 import AppTest

    from portal.sqlcount import count_queries

    if rendered is None:

        def rendered(at: Any) -> bool:
            return bool(at.dataframe) and any("健康教育" in x.value for x in at.title)

    folder = Path(tempfile.mkdtemp(prefix="bench-entry-"))
    shutil.copy(ROOT / "app.py", folder / "app.py")  # see tests/test_pages.py
    os.environ["PORTAL_DATABASE_URL"] = url
    os.environ.setdefault("PORTAL_DEMO", "1")
    at = AppTest.from_file(str(folder / "app.py"), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["lang"] = "zh-CN"
    at.session_state["shell.period"] = "2026"
    at.run()
    at.switch_page(str(ROOT / "pages" / script))
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    for _ in range(WARM_RUNS):  # a server process serves many reruns: time the steady state
        at.run()
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        t0 = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - t0) * 1000)
        # a rerun that rendered anything but the full page would flatter the numbers
        if at.exception or not rendered(at):
            raise RuntimeError(f"the page {script} did not render in the benchmark run")
    if before is not None:
        before()
    with count_queries() as counted:
        at.run()
    if os.environ.get("PORTAL_BENCH_SQL"):
        print(f"{script} as {username}: {counted}", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    return statistics.median(times), counted.n


def page_time(url: str, username: str, runs: int = PAGE_RUNS) -> float:
    """Server render time of the education page (AppTest rerun median, ms)."""
    return page_stats(url, username, runs=runs)[0]


def demo_pages(rows: int) -> dict[str, Any]:
    """The county head's /plans and /targets on the demo county with `rows` more
    activities spread over its units (0: demo size): time and queries per rerun, the
    targets page on a cache hit and on a miss (the figures cache emptied before each run)."""
    from portal import cache
    from portal.demo import load_demo

    folder = Path(tempfile.mkdtemp(prefix="portal-bench-demo-"))
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    engine = make_engine(url, create=True)
    try:
        migrate.upgrade(engine)
        load_demo(engine, fast=True)
        if rows:
            with transaction(engine) as s:
                ids: dict[str, int] = dict(s.execute(select(OrgUnit.code, OrgUnit.id)).tuples().all())
            generate(engine, ids, rows, only=[i for code, i in ids.items() if code != "county"])
        engine.dispose()

        def titled(key: str) -> Callable[[Any], bool]:
            from portal.i18n import t

            return lambda at: any(t(key, "zh-CN") in x.value for x in at.title)

        out: dict[str, Any] = {"demo_rows": rows}
        ms, n = page_stats(url, "head", "plans.py", titled("nav.plans"))
        out["plans_page_ms"], out["plans_page_queries"] = round(ms, 1), n
        ms, n = page_stats(url, "head", "targets.py", titled("targets.title"))
        out["targets_page_ms"], out["targets_page_queries"] = round(ms, 1), n
        ms, _ = page_stats(url, "head", "targets.py", titled("targets.title"), runs=3, before=cache.clear)
        out["targets_page_miss_ms"] = round(ms, 1)
        return out
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def io_times(engine: Engine) -> tuple[float, float]:
    """Export 10k rows to XLSX, then import them back as new rows (validated, audited)."""
    from portal.records import io

    county = actor(engine, "bench_head")
    with transaction(engine) as s:
        first = s.scalar(select(HeActivity.activity_date).order_by(HeActivity.activity_date).limit(1))
    # a date window that holds about 10k rows
    filters = _window_of(engine, 10_000)
    t0 = time.perf_counter()
    with transaction(engine) as s:
        data = io.export(s, county, registry.get(HE), filters, "xlsx")
    export_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with Session(engine) as s, s.begin():
        preview = io.check_import(s, county, registry.get(HE), data, "bench.xlsx")
        if not preview.ok:
            raise RuntimeError(f"benchmark import had errors: {preview.errors[:3]}")
        io.apply_import(s, county, registry.get(HE), preview)
        s.rollback()  # measure the work, keep the database as it was
    import_s = time.perf_counter() - t0
    del first
    return import_s, export_s


def _window_of(engine: Engine, rows: int) -> Filters:
    with transaction(engine) as s:
        dates = [
            d for (d,) in s.execute(select(HeActivity.activity_date).order_by(HeActivity.activity_date).limit(rows))
        ]
    return Filters(values={"activity_date": (dates[0], dates[-1])})


def indicator_times(engine: Engine) -> dict[str, float]:
    """All built-in indicators for the 200 units x 12 months, and the scorecards."""
    with transaction(engine) as s:
        every = [ind.UnitRef(i, p) for i, p in s.execute(select(OrgUnit.id, OrgUnit.path))]
        county_unit = s.scalars(select(OrgUnit).where(OrgUnit.code == "county")).one()
        township = s.scalars(select(OrgUnit).where(OrgUnit.code == "t03")).one()
        indicators = ind.active_indicators(s)

    def all_months() -> int:
        n = 0
        with transaction(engine) as s:
            for indicator in indicators:
                definition = ind.definition_of(indicator)
                if definition.kind in ("ratio", "figure") or definition.numerator is None:
                    continue
                series = ind.aggregate_series(
                    s, definition.numerator, every, dt.date(2026, 1, 1), dt.date(2026, 12, 31)
                )
                n += 0 if series is None else len(series)
        return n

    def card(unit: OrgUnit) -> int:
        with transaction(engine) as s:
            _, children = tg.unit_and_children(s, SYSTEM, unit.id)
            refs = [c.ref for c in children] or [ind.UnitRef(unit.id, unit.path)]
            return len(tg.scorecard(s, indicators, refs, "2026-11", TODAY))

    return {
        "indicators_200x12_ms": timed(all_months)[0],
        "scorecard_township_ms": timed(lambda: card(township), 3)[0],
        "scorecard_county_ms": timed(lambda: card(county_unit), 3)[0],
    }


def grid_save_time(engine: Engine, who: Actor, count: int = 500) -> float:
    """One grid save of `count` changed rows (ms): validation, version checks, one flush,
    an audit entry per row, and the commit, as the attendance or scoring grids save."""
    spec = registry.get(HE)
    with transaction(engine) as s:
        rows = list(
            s.execute(
                records.scoped(spec, who, session=s)
                .with_only_columns(spec.model.id, spec.model.version)
                .order_by(spec.model.id)
                .limit(count)
            )
        )
    changes = [RowChange(rid, version, {"materials_given": n % 50 + 1}) for n, (rid, version) in enumerate(rows)]
    t0 = time.perf_counter()
    with transaction(engine) as s:
        saved = records.save_rows(s, who, spec, changes)
    elapsed = (time.perf_counter() - t0) * 1000
    if saved.updated + saved.unchanged != len(changes):
        raise RuntimeError("the grid save did not touch every row")
    return elapsed


def run(rows: int, url: str | None, pages: bool, io_bench: bool) -> dict[str, Any]:
    folder = None
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="portal-bench-"))
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
    engine = make_engine(url, create=True)
    try:
        migrate.upgrade(engine)
        t0 = time.perf_counter()
        ids = build_tree(engine)
        generate(engine, ids, rows)
        result: dict[str, Any] = {
            "rows": rows,
            "backend": engine.dialect.name,
            "generate_s": round(time.perf_counter() - t0, 1),
        }
        township, county = actor(engine, "bench_staff"), actor(engine, "bench_head")
        year = Filters(period="2026", values={"activity_type": ["lecture"]})
        with transaction(engine) as s:
            result["count_ms"] = round(timed(lambda: records.count(s, township, registry.get(HE), year), 5)[0], 1)
            result["county_count_ms"] = round(timed(lambda: records.count(s, county, registry.get(HE), year), 5)[0], 1)
            result["service_page_ms"] = round(
                timed(lambda: records.list_page(s, township, registry.get(HE), Filters(period="2026")), 5)[0], 1
            )
            result["county_service_page_ms"] = round(
                timed(lambda: records.list_page(s, county, registry.get(HE), Filters(period="2026")), 5)[0], 1
            )
        result["naive_page_ms"] = round(timed(lambda: naive_page(engine, township), 2)[0], 1)
        if pages:
            ms, result["page_queries"] = page_stats(url, "bench_staff")
            result["page_ms"] = round(ms, 1)
            ms, result["county_page_queries"] = page_stats(url, "bench_head")
            result["county_page_ms"] = round(ms, 1)
            result["naive_ratio"] = round(result["naive_page_ms"] / result["page_ms"], 1)
        if io_bench:
            imp, exp = io_times(engine)
            result["import_10k_s"], result["export_10k_s"] = round(imp, 2), round(exp, 2)
        result.update({k: round(v, 1) for k, v in indicator_times(engine).items()})
        result["grid_save_500_ms"] = round(grid_save_time(engine, township), 1)
        t0 = time.perf_counter()
        last_session = training_bench.generate(engine, ids, rows)  # as many sign-in marks as activities
        result["training_generate_s"] = round(time.perf_counter() - t0, 1)
        result.update({k: round(v, 1) for k, v in training_bench.times(engine, county, last_session).items()})
        t0 = time.perf_counter()
        campaign = sanitation_bench.generate(engine, ids, rows)  # as many item scores as activities
        result["sanitation_generate_s"] = round(time.perf_counter() - t0, 1)
        result.update({k: round(v, 1) for k, v in sanitation_bench.times(engine, county, campaign).items()})
        if pages:
            result.update(demo_pages(rows))
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return result
    finally:
        engine.dispose()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="activities to generate (up to 1,000,000)")
    parser.add_argument("--url", help="database URL (default: a throw-away SQLite file)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-pages", action="store_true", help="skip the AppTest page timings")
    parser.add_argument("--no-io", action="store_true", help="skip the 10k import/export timings")
    args = parser.parse_args(argv)
    if not 1 <= args.rows <= 1_000_000:
        parser.error("--rows must be between 1 and 1,000,000")
    result = run(args.rows, args.url, not args.no_pages, not args.no_io)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
