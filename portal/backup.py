"""PostgreSQL backups and restores of either database, for `python -m portal backup` and
`python -m portal restore` (the SQLite backup itself is sqlite3's online backup, in
portal.cli).

PostgreSQL goes through its own tools, run with the connection's settings (the password,
if the URL has one, in PGPASSWORD, never on a command line others can read in `ps`):
`pg_dump --format=custom` for a backup, and for a restore `pg_restore` writing the
archive's SQL into `psql --single-transaction` after the public schema is dropped and made
again, so the database is either exactly the backup's or untouched. A SQLite backup is
copied into the database file through sqlite3's backup API (the same file, so running
processes keep it and see the restored data; they refuse a file replaced under them).

Either restore refuses a database that holds any row unless force is given.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, inspect, select, table
from sqlalchemy.engine import URL

from db.engine import sqlite_path
from portal.errors import PortalError

PG_TIMEOUT = 3600  # seconds one pg_dump or restore may take
LOCK_TIMEOUT = "10s"  # a restore waits this long for the portal's own connections to go


def is_empty(engine: Engine) -> bool:
    """True when no table (other than the migration's bookkeeping) has a row."""
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        return all(conn.execute(select(1).select_from(table(n)).limit(1)).first() is None for n in names)


# --------------------------------------------------------------------------- PostgreSQL


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise PortalError("cli.pg_tool_missing", tool=name)
    return found


def connection_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """libpq options for the URL, and the environment carrying its password."""
    args = []
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def pg_dump_command(url: URL, target: Path) -> list[str]:
    args, _env = connection_args(url)
    return ["pg_dump", "--format=custom", f"--file={target}", *args, f"--dbname={url.database or ''}"]


def pg_backup(engine: Engine, target: Path) -> int:
    """pg_dump in custom format into target (written beside it, then renamed); its size."""
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    command = pg_dump_command(engine.url, partial)
    command[0] = tool("pg_dump")
    _args, env = connection_args(engine.url)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT, check=False)  # noqa: S603 - our arguments
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise PortalError("cli.backup_failed", error=_first_line(done.stderr))
    os.replace(partial, target)
    return target.stat().st_size


def pg_restore(engine: Engine, source: Path) -> None:
    """The archive replaces everything in the public schema, in one transaction."""
    restore, psql = tool("pg_restore"), tool("psql")
    command = [restore, "--list", str(source)]
    listed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - a fixed tool, no shell
    if listed.returncode != 0:
        raise PortalError("cli.restore_not_a_backup", file=str(source), kind="pg_dump --format=custom")
    args, env = connection_args(engine.url)
    engine.dispose()  # this command's own pooled connections would hold the schema
    with subprocess.Popen(  # noqa: S603 - our arguments
        [restore, "--no-owner", "--no-privileges", "--file=-", str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as producer:
        done = subprocess.run(  # noqa: S603 - our arguments
            [
                psql,
                "-X",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                *args,
                f"--dbname={engine.url.database or ''}",
                f"--command=SET lock_timeout = '{LOCK_TIMEOUT}'",
                "--command=DROP SCHEMA IF EXISTS public CASCADE",
                "--command=CREATE SCHEMA public",
                "--file=-",
            ],
            stdin=producer.stdout,
            env=env,
            capture_output=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=PG_TIMEOUT,
            check=False,
        )
        producer_err = producer.stderr.read().decode(errors="replace") if producer.stderr else ""
    if producer.returncode != 0:
        raise PortalError("cli.restore_failed", error=_first_line(producer_err))
    if done.returncode != 0:
        raise PortalError("cli.restore_failed", error=_first_line(done.stderr))


# --------------------------------------------------------------------------- SQLite


def sqlite_restore(engine: Engine, source: Path) -> None:
    """Copy a SQLite backup into the engine's database file, page by page, in place."""
    target = sqlite_path(engine.url)
    if target is None:
        raise PortalError("cli.backup_no_database", file=":memory:")
    if target.exists() and target.resolve() == source.resolve():
        raise PortalError("cli.restore_same_file", file=str(source))
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup:
            if backup.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise sqlite3.DatabaseError("quick_check failed")
            found = backup.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'")
            if found.fetchone() is None:
                raise sqlite3.DatabaseError("no alembic_version table")
            raw = engine.raw_connection()
            try:
                live = raw.driver_connection
                if not isinstance(live, sqlite3.Connection):
                    raise sqlite3.NotSupportedError("not a SQLite database")
                backup.backup(live)
            finally:
                raw.close()
    except sqlite3.DatabaseError as exc:
        raise PortalError("cli.restore_not_a_backup", file=str(source), kind=f"SQLite ({_first_line(exc)})") from None


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
