"""Shared fixtures: real databases built by running the migrations.

Database tests run on SQLite in a temporary folder and, when PORTAL_TEST_DATABASE_URL is
set (CI sets it), on PostgreSQL as well. An unreachable PostgreSQL fails the run rather
than skipping it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db import migrate
from db.engine import make_engine, sqlite_path, transaction
from portal import cache, clock
from portal.org import units as orgunits
from portal.org import users
from portal.org.scope import SYSTEM, Actor, actor_for
from portal.records import audit

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


_TEMPLATES = Path(tempfile.mkdtemp(prefix="portal-test-templates-"))
atexit.register(shutil.rmtree, _TEMPLATES, True)
_PG_HEAD: list[str] = []  # the fingerprint of PostgreSQL's schema right after a full migration

# What a schema is, in one row: the revision, every column and every index. A test that
# downgrades, or alters a table, changes it; then the next test migrates from scratch.
_PG_FINGERPRINT = text(
    """
    SELECT (SELECT string_agg(version_num, ',') FROM alembic_version)
        || md5(coalesce((SELECT string_agg(table_name || '.' || column_name || ':' || data_type
                        || ':' || is_nullable || ':' || coalesce(column_default, ''),
                        ',' ORDER BY table_name, column_name)
                 FROM information_schema.columns WHERE table_schema = 'public'), ''))
        || md5(coalesce((SELECT string_agg(indexdef, ',' ORDER BY indexdef)
                 FROM pg_indexes WHERE schemaname = 'public'), ''))
        || (SELECT count(*) FROM pg_namespace)::text
    """
)


def _migrated_sqlite() -> Path:
    """One SQLite file migrated to head per test run; each test gets a copy of it (the
    migrations themselves are tested in test_migrations, on a database made from nothing)."""
    template = _TEMPLATES / "migrated.sqlite3"
    if not template.exists():
        building = _TEMPLATES / "building.sqlite3"
        engine = make_engine(f"sqlite:///{building}", create=True)
        migrate.upgrade(engine)
        engine.dispose()  # the last connection's close checkpoints the WAL into the file
        building.rename(template)
    return template


def _pg_emptied(engine: Engine) -> bool:
    """Empty every table of a PostgreSQL schema that is exactly what the migrations built
    and restart its sequences (a fiftieth of a migration: DELETE with the foreign-key
    triggers off, as a superuser may; TRUNCATE otherwise); False when the schema is not
    that, or was never built."""
    if not _PG_HEAD:
        return False
    try:
        with engine.begin() as conn:
            if conn.scalar(_PG_FINGERPRINT) != _PG_HEAD[0]:
                return False
            tables = conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            ).all()
            if conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text(";".join(f'DELETE FROM "{t}"' for t in tables)))  # noqa: S608 - names from pg_tables
                conn.execute(
                    text(
                        "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c"
                        " WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
                    )
                )
            else:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    except Exception:  # noqa: BLE001 - no schema yet, or a broken one: rebuild it below
        return False
    return True


def fresh_engine(backend: str, tmp_path: Path) -> Engine:
    """An empty database migrated to head."""
    if backend == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copyfile(_migrated_sqlite(), path)
        return make_engine(f"sqlite:///{path}", create=True)
    engine = make_engine(PG_URL)
    if _pg_emptied(engine):
        return engine
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:  # noqa: BLE001 - say plainly why CI failed
        pytest.fail(f"PostgreSQL at PORTAL_TEST_DATABASE_URL is unreachable: {exc}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        _PG_HEAD[:] = [conn.scalar(_PG_FINGERPRINT)]
    return engine


def _demo_sqlite() -> Path:
    """The demo county on SQLite, built once per office day (a frozen clock counts) and test run."""
    from portal.demo import load_demo

    template = _TEMPLATES / f"demo-{clock.today().isoformat()}.sqlite3"
    if not template.exists():
        building = _TEMPLATES / "building-demo.sqlite3"
        shutil.copyfile(_migrated_sqlite(), building)
        engine = make_engine(f"sqlite:///{building}", create=True)
        load_demo(engine, fast=True)
        engine.dispose()
        building.rename(template)
    return template


def demo_engine(backend: str, tmp_path: Path) -> Engine:
    """A database holding the demo county as `load_demo(engine, fast=True)` builds it on
    the office's today, from a build cached per day (see _pg_demo for PostgreSQL)."""
    if backend == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copyfile(_demo_sqlite(), path)
        return make_engine(f"sqlite:///{path}", create=True)
    engine = fresh_engine(backend, tmp_path)
    fill_demo(engine)
    return engine


def fill_demo(engine: Engine) -> None:
    """`load_demo(engine, fast=True)` on a database fresh_engine made; on SQLite the file
    becomes a copy of the cached build (same file, so the engine's watch still holds)."""
    from portal.demo import load_demo

    path = sqlite_path(engine.url)
    if path is None:
        _pg_demo(engine, load_demo)
        return
    template = _demo_sqlite()
    engine.dispose()
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        extra.unlink(missing_ok=True)
    shutil.copyfile(template, path)


def _pg_demo(engine: Engine, load_demo: Any) -> None:
    """The demo county on PostgreSQL: built once per office day and test run, then put back
    from a data-only dump of it (psql runs it in a second or two; a build takes twenty).
    The figures cache is emptied after a restore: the restored data version is the one a
    previous test started from, on the same database URL."""
    dump = _TEMPLATES / f"demo-{clock.today().isoformat()}.pg.sql"
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    psql, pg_dump = shutil.which("psql"), shutil.which("pg_dump")
    if dump.exists() and psql:
        engine.dispose()
        subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(dump)],
            check=True,
            capture_output=True,
        )
        cache.clear()
        return
    load_demo(engine, fast=True)
    if pg_dump:
        building = dump.with_suffix(".building")
        subprocess.run(
            [pg_dump, "--data-only", "--disable-triggers", "--exclude-table=alembic_version", "-f", str(building), url],
            check=True,
            capture_output=True,
        )
        building.rename(dump)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    eng = fresh_engine(request.param, tmp_path)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s
        s.rollback()


@contextmanager
def tamper(engine: Engine) -> Iterator[Session]:
    """A transaction in which a test changes rows directly (to set up a case, or to undo
    what a page did); the audit guard lets it through. Never used by product code."""
    with transaction(engine) as s:
        audit.exempt(s)
        yield s


FAST_ROUNDS = 4  # bcrypt cost for test accounts; the product uses 12


def make_tree(engine: Engine) -> dict[str, int]:
    """County -> two townships -> one village each, plus a school with a class."""
    ids: dict[str, int] = {}
    with transaction(engine) as s:

        def add(code: str, name: str, type_: str, parent: str | None) -> None:
            unit = orgunits.create(
                s,
                SYSTEM,
                {
                    "code": code,
                    "name_zh": name,
                    "name_en": code,
                    "type": type_,
                    "parent_id": ids.get(parent) if parent else None,
                },
            )
            ids[code] = unit.id

        add("county", "示范县卫生健康局", "bureau", None)
        add("t1", "东关镇卫生院", "township_hc", "county")
        add("t1v1", "东关村卫生室", "village_clinic", "t1")
        add("t2", "西河镇卫生院", "township_hc", "county")
        add("t2v1", "西河村卫生室", "village_clinic", "t2")
        add("school", "示范县第一中学", "school", "county")
        add("class1", "初一(1)班", "class", "school")
    return ids


def make_user(engine: Engine, username: str, role: str, unit_id: int, password: str = "secret123") -> Actor:
    with transaction(engine) as s:
        user = users.create(
            s,
            SYSTEM,
            {
                "username": username,
                "display_name": username,
                "role": role,
                "org_unit_id": unit_id,
                "password": password,
                "bcrypt_rounds": FAST_ROUNDS,
            },
        )
        return actor_for(s, user)


@pytest.fixture
def tree(engine: Engine) -> dict[str, int]:
    return make_tree(engine)


@contextmanager
def served_app(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Iterator[str]:
    """The entry script AppTest should run, with the app pointed at engine in demo mode.

    AppTest resets Streamlit's page mode before every run; with a pages/ folder beside the
    entry script its later runs would execute a page file on its own instead of app.py (as a
    freshly started server does). So the tests run a copy of app.py from a folder without
    pages/; the page scripts are still the project's, reached by absolute path."""
    entry = tmp_path_factory.mktemp("entry") / "app.py"
    shutil.copy(ROOT / "app.py", entry)
    saved = {k: os.environ.get(k) for k in ("PORTAL_DATABASE_URL", "PORTAL_DEMO")}
    os.environ.update(PORTAL_DATABASE_URL=engine.url.render_as_string(hide_password=False), PORTAL_DEMO="1")
    try:
        yield str(entry)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def open_signed_in(entry: str, username: str, page: str, lang: str = "zh-CN", timeout: int = 90) -> Any:
    """An AppTest of the app signed in as username, on the page script (an absolute path)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(entry, default_timeout=timeout)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_tab(at: Any, key: str, label_key: str, lang: str = "zh-CN") -> Any:
    """Open a page's tab as a click on it would: only the open tab runs, so a test reaches
    the widgets of another tab through this (the tabs' key holds the open tab's label)."""
    from portal.i18n import t

    at.session_state[key] = t(label_key, lang)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tab_bars(at: Any) -> dict[str, list[str]]:
    """Each keyed tab bar on the page: its key -> its labels (only stateful, keyed tabs:
    their block id ends with the key)."""
    bars: dict[str, list[str]] = {}
    for node in at._tree:
        if getattr(node, "type", "") == "tab_container" and "-" in node.proto.id:
            key = node.proto.id.split("-", 2)[-1]
            bars[key] = [tab.label for tab in node.children.values()]
    return bars


def every_tab(at: Any) -> Iterator[Any]:
    """The page once with each of its tabs open (nested tabs too): only the open tab runs,
    so a test that must see everything a page can show walks the tabs with this."""
    yield at
    done: set[tuple[str, str]] = set()
    paths: list[dict[str, str]] = [{}]
    while paths:
        path = paths.pop(0)
        for key, value in path.items():
            at.session_state[key] = value
        if path:
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            yield at
        for key, labels in tab_bars(at).items():
            for label in labels:
                if (key, label) not in done:
                    done.add((key, label))
                    paths.append({**path, key: label})
