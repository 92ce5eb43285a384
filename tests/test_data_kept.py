"""Upgrading keeps the data: the demo county as the portal stored it before this release's
migrations (schema 0006, dumped to tests/fixtures/demo-0006.json.gz from that version's
own demo loader) is loaded at 0006, upgraded to head, and every table still holds every
row, unchanged, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Date, DateTime, Engine, MetaData, func, select, text

from db import migrate
from db.engine import make_engine, transaction
from portal.org.scope import SYSTEM
from portal.records import registry
from portal.records import service as records
from tests.conftest import BACKENDS, PG_URL

FIXTURE = Path(__file__).parent / "fixtures" / "demo-0006.json.gz"


def _dump() -> dict[str, Any]:
    with gzip.open(FIXTURE, "rb") as fh:
        data: dict[str, Any] = json.loads(fh.read())
    return data


def _engine_at(backend: str, tmp_path: Path, revision: str) -> Engine:
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}", create=True)
    else:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine, revision)
    return engine


def _value(column: Any, value: Any) -> Any:
    """A value as SQLite stored it, typed for the column it goes back into."""
    if value is None:
        return None
    if isinstance(column.type, DateTime) and isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if isinstance(column.type, Date) and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(column.type, Boolean):
        return bool(value)
    if isinstance(column.type, JSON) and isinstance(value, str):
        return json.loads(value)
    return value


def _load(engine: Engine, dump: dict[str, Any]) -> None:
    meta = MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            rows = dump["tables"].get(table.name)
            if not rows:
                continue
            typed = [{k: _value(table.c[k], v) for k, v in row.items()} for row in rows]
            conn.execute(table.insert(), typed)
            if engine.dialect.name == "postgresql" and "id" in table.c:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - reflected name
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )


def _fingerprint(engine: Engine, tables: list[str]) -> dict[str, tuple[int, str]]:
    """Per table: the row count and a digest of the rows' ids and first text-ish columns."""
    meta = MetaData()
    meta.reflect(engine, only=tables)
    out = {}
    with engine.connect() as conn:
        for name in tables:
            table = meta.tables[name]
            count = conn.scalar(select(func.count()).select_from(table)) or 0
            keys = [c for c in ("id", "code", "username", "title", "month", "action", "value") if c in table.c]
            rows = conn.execute(select(*(table.c[k] for k in keys)).order_by(*(table.c[k] for k in keys))).all()
            out[name] = (count, hashlib.sha256(repr([tuple(map(str, r)) for r in rows]).encode()).hexdigest())
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrading_the_demo_county_keeps_every_row(backend: str, tmp_path: Path) -> None:
    dump = _dump()
    assert dump["revision"] == "0006" and len(dump["tables"]["he_activities"]) > 600
    engine = _engine_at(backend, tmp_path, dump["revision"])
    try:
        _load(engine, dump)
        tables = [name for name, rows in dump["tables"].items() if rows]
        before = _fingerprint(engine, tables)
        assert before["audit_entries"][0] == len(dump["tables"]["audit_entries"])
        migrate.upgrade(engine)
        assert migrate.is_current(engine)
        assert _fingerprint(engine, tables) == before
        # and the upgraded data is usable through the services
        with transaction(engine) as s:
            spec = registry.get("he_activities")
            page = records.list_page(s, SYSTEM, spec, per_page=5)
            assert page.total == len(dump["tables"]["he_activities"]) and len(page.rows) == 5
            records.update(s, SYSTEM, spec, page.rows[0].id, {"title": "升级后编辑"}, page.rows[0].version)
    finally:
        engine.dispose()
