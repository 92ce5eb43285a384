"""`python -m portal backup` and `restore` on SQLite and, when PORTAL_TEST_DATABASE_URL is
set (CI), on PostgreSQL through pg_dump / pg_restore: the demo database is backed up,
changed, refused as a restore target while it holds data, restored with --force, and then
compared table by table, row by row, with what was backed up."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from db import migrate
from db.base import Base
from db.engine import make_engine, transaction
from db.models import OrgUnit, User
from portal import backup as backups
from portal.cli import main
from portal.org import users
from portal.org.scope import SYSTEM
from tests.conftest import fill_demo, tamper


def run(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = main(["--lang", "en", *argv])
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    with Session(engine) as s:
        return {
            t.name: [tuple(row) for row in s.execute(select(t).order_by(*t.primary_key.columns))]
            for t in Base.metadata.sorted_tables
        }


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def change(engine: Engine) -> None:
    """What happens after a backup: a new account, a renamed unit, rows gone."""
    with transaction(engine) as s:
        unit_id = s.scalar(select(OrgUnit.id).where(OrgUnit.code == "county"))
        users.create(
            s,
            SYSTEM,
            {
                "username": "after_backup",
                "display_name": "after",
                "role": "viewer",
                "org_unit_id": unit_id,
                "password": "secret123",
                "bcrypt_rounds": 4,
            },
        )
    with tamper(engine) as s:
        s.execute(text("UPDATE org_units SET name_en = 'Renamed' WHERE code = 'county'"))
        s.execute(text("DELETE FROM he_activities WHERE id IN (SELECT id FROM he_activities ORDER BY id LIMIT 5)"))


def test_backup_change_restore_gives_back_every_row(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_demo(engine)
    before = snapshot(engine)
    assert sum(len(rows) for rows in before.values()) > 100
    dump = tmp_path / "portal.backup"
    code, out, err = run(monkeypatch, url_of(engine), "backup", str(dump))
    assert code == 0, err
    assert dump.stat().st_size > 0 and "Backed up" in out

    change(engine)
    assert snapshot(engine) != before

    # a database with data is not overwritten without --force
    code, _out, err = run(monkeypatch, url_of(engine), "restore", str(dump))
    assert code == 1 and "--force" in err
    assert snapshot(engine)["users"] != before["users"]

    code, out, err = run(monkeypatch, url_of(engine), "restore", str(dump), "--force")
    assert code == 0, err
    assert "Restored" in out
    engine.dispose()
    after = snapshot(engine)
    for name, rows in before.items():
        assert after[name] == rows, f"table {name} differs after the restore"
    assert migrate.is_current(engine)

    # the restored database takes new rows (PostgreSQL's sequences came back too)
    with transaction(engine) as s:
        unit_id = s.scalar(select(OrgUnit.id).where(OrgUnit.code == "county"))
        users.create(
            s,
            SYSTEM,
            {
                "username": "after_restore",
                "display_name": "x",
                "role": "viewer",
                "org_unit_id": unit_id,
                "password": "secret123",
                "bcrypt_rounds": 4,
            },
        )
    with Session(engine) as s:
        assert s.scalar(select(User.id).where(User.username == "after_restore")) is not None


def test_restore_into_an_empty_database_needs_no_force(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_demo(engine)
    before = snapshot(engine)
    dump = tmp_path / "portal.backup"
    assert run(monkeypatch, url_of(engine), "backup", str(dump))[0] == 0
    if engine.dialect.name == "sqlite":
        fresh_url = f"sqlite:///{tmp_path / 'new' / 'portal.sqlite3'}"
        (tmp_path / "new").mkdir()
    else:  # the same server database, emptied as a new one would be
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        fresh_url = url_of(engine)
    code, _out, err = run(monkeypatch, fresh_url, "restore", str(dump))
    assert code == 0, err
    restored = make_engine(fresh_url)
    try:
        assert snapshot(restored) == before
    finally:
        restored.dispose()


def test_restore_refuses_what_is_not_a_backup(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all" * 100)
    before = snapshot(engine)
    code, _out, err = run(monkeypatch, url_of(engine), "restore", str(junk))
    assert code == 1 and "is not a backup" in err
    assert snapshot(engine) == before
    code, _out, err = run(monkeypatch, url_of(engine), "restore", str(tmp_path / "missing.backup"))
    assert code == 2 and "File not found" in err


def test_restore_refuses_a_database_with_any_row(engine: Engine) -> None:
    assert backups.is_empty(engine)
    with tamper(engine) as s:
        s.add(OrgUnit(code="c", name_zh="县", name_en="c", type="bureau"))
    assert not backups.is_empty(engine)


def test_postgresql_tools_missing_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Needs no server: the tool is looked up before anything connects.
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _out, err = run(
        monkeypatch, "postgresql://portal:s3cret@db.example:6543/health", "backup", str(tmp_path / "x.dump")
    )
    assert code == 1
    assert "pg_dump was not found" in err and "postgresql-client" in err
    assert "s3cret" not in err
