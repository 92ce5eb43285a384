"""Shared fixtures: real databases built by running the migrations.

Database tests run on SQLite in a temporary folder and, when PORTAL_TEST_DATABASE_URL is
set (CI sets it), on PostgreSQL as well. An unreachable PostgreSQL fails the run rather
than skipping it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db import migrate
from db.engine import make_engine, transaction
from portal.org import units as orgunits
from portal.org import users
from portal.org.scope import SYSTEM, Actor, actor_for
from portal.records import audit

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def fresh_engine(backend: str, tmp_path: Path) -> Engine:
    """An empty database migrated to head."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'portal.sqlite3'}", create=True)
    else:
        engine = make_engine(PG_URL)
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        except Exception as exc:  # noqa: BLE001 - say plainly why CI failed
            pytest.fail(f"PostgreSQL at PORTAL_TEST_DATABASE_URL is unreachable: {exc}")
    migrate.upgrade(engine)
    return engine


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
