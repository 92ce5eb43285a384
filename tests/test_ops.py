"""The operations view: slow page runs are logged and kept from any process, backups are
noted, the database is described, and only admins see the tab on /admin."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.models import OpsEvent
from portal import clock, ops
from portal.cli import main
from portal.i18n import t
from tests.conftest import BACKENDS, fresh_engine, make_tree, make_user, open_tab, served_app, tamper

ROOT = Path(__file__).resolve().parents[1]
ENTRY = [""]


def test_a_slow_run_is_logged_and_kept(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="portal.ops"):
        assert ops.note_run(engine, "plans", "head", 1834.2)
        assert not ops.note_run(engine, "plans", "head", 120.0)  # fast: nothing
    assert "slow page run: page=plans user=head ms=1834" in caplog.text
    with Session(engine) as s:
        (run,) = ops.slow_runs(s)
    assert (run.page, run.username, run.ms) == ("plans", "head", 1834)
    assert run.process == ops.process_name()


def test_slow_runs_of_the_last_day_slowest_first_and_old_ones_dropped(engine: Engine) -> None:
    now = clock.now()
    with tamper(engine) as s:
        s.add(OpsEvent(kind=ops.SLOW, at=now - dt.timedelta(hours=30), page="targets", username="head", ms=5000))
        s.add(OpsEvent(kind=ops.SLOW, at=now - dt.timedelta(days=ops.KEEP_DAYS + 1), page="old", ms=9000))
    ops.note_run(engine, "", "staff", 1200)
    ops.note_run(engine, "education", "head", 2500)
    with Session(engine) as s:
        shown = [(r.page, r.ms) for r in ops.slow_runs(s)]
        kept = s.scalar(select(func.count()).select_from(OpsEvent).where(OpsEvent.kind == ops.SLOW))
    assert shown == [("education", 2500), ("home", 1200)]  # 30 hours ago is not the last day
    assert kept == 3  # the row older than KEEP_DAYS went


def test_the_threshold_comes_from_the_environment(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SLOW_RUN_MS", "50")
    assert ops.note_run(engine, "plans", "head", 60)
    monkeypatch.setenv("PORTAL_SLOW_RUN_MS", "not a number")
    assert ops.slow_run_ms() == ops.SLOW_RUN_MS


def test_a_backup_is_noted(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    with Session(engine) as s:
        assert ops.last_backup(s) is None
    assert main(["backup", str(tmp_path / "b.backup")]) == 0
    with Session(engine) as s:
        noted = ops.last_backup(s)
    assert noted is not None and str(tmp_path / "b.backup") in (noted.detail or "")


def test_database_info(engine: Engine) -> None:
    info = ops.database_info(engine)
    assert info.kind == engine.dialect.name
    assert info.current and info.revision == info.head
    assert info.size_bytes and info.size_bytes > 10_000
    if info.kind == "sqlite":
        assert info.disk_free_bytes and info.disk_free_bytes > 0
    else:
        assert info.disk_free_bytes is None


# --------------------------------------------------------------------------- the page


@pytest.fixture(scope="module", params=BACKENDS)
def app_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = fresh_engine(request.param, tmp_path_factory.mktemp("ops"))
    ids = make_tree(engine)
    make_user(engine, "admin", "admin", ids["county"])
    make_user(engine, "head", "head", ids["county"])
    with served_app(tmp_path_factory, engine) as entry:
        ENTRY[0] = entry
        yield engine
    engine.dispose()


def open_admin(username: str) -> AppTest:
    at = AppTest.from_file(ENTRY[0], default_timeout=30)
    at.session_state["lang"] = "zh-CN"
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.run()
    at.switch_page(str(ROOT / "pages" / "admin.py"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_admins_see_the_operations_tab_with_the_slow_runs(app_db: Engine) -> None:
    ops.note_run(app_db, "plans", "head", 4321)
    at = open_admin("admin")
    assert t("admin.tab.ops") in [tab.label for tab in at.tabs]
    open_tab(at, "admin.tabs.main", "admin.tab.ops")  # only the open tab runs
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("ops.database")] == t(f"ops.kind.{app_db.dialect.name}")
    assert metrics[t("ops.process")] == ops.process_name()
    assert int(metrics[t("ops.slow_count", ms=ops.SLOW_RUN_MS)]) >= 1
    (frame,) = [df.value for df in at.dataframe if t("ops.col.ms") in df.value.columns]
    row = frame[frame[t("ops.col.ms")] == 4321].iloc[0]
    # the page as the menu names it in the reader's language, not its path
    assert (row[t("ops.col.page")], row[t("ops.col.user")]) == (t("nav.plans"), "head") == ("月度计划", "head")


def test_a_head_has_no_operations_tab(app_db: Engine) -> None:
    at = open_admin("head")
    assert t("admin.tab.ops") not in [tab.label for tab in at.tabs]
    assert t("ops.title") not in [s.value for s in at.subheader]


def test_every_signed_in_run_over_the_threshold_is_kept(app_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SLOW_RUN_MS", "0")  # every run is "slow"
    with Session(app_db) as s:
        before = s.scalar(select(func.count()).select_from(OpsEvent).where(OpsEvent.username == "admin"))
    open_admin("admin")
    with Session(app_db) as s:
        pages = s.scalars(select(OpsEvent.page).where(OpsEvent.username == "admin")).all()
    assert len(pages) > (before or 0)
    assert "admin" in pages  # the page's url path, with who ran it
