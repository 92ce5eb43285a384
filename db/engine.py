"""Where the database is and how to connect to it."""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

log = logging.getLogger("portal.db")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "db" / "portal.sqlite3"
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"


def read_secrets(path: Path = SECRETS_PATH) -> dict[str, Any]:
    """The secrets file, read without Streamlit so the CLI sees what the app sees."""
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def database_url() -> str:
    """PORTAL_DATABASE_URL, else [database] url in secrets.toml, else the embedded SQLite."""
    url = os.environ.get("PORTAL_DATABASE_URL") or read_secrets().get("database", {}).get("url")
    return url or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


class DatabaseFileError(Exception):
    """The embedded database file is not the one this process opened: it is gone (moved
    or deleted), or another file now has its name. Nothing is read from or written to
    it; `python -m portal init` is the only way a database file is created."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason  # missing | replaced
        super().__init__(f"database file {path} is {reason}")


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL (plain or `file:` URI form); None for other databases
    and for in-memory ones."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    name = url.database
    if name.startswith("file:"):
        name = name[5:].split("?", 1)[0]
        if not name or name == ":memory:" or url.query.get("mode") == "memory":
            return None
    return Path(name)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


def _watch_file(engine: Engine, path: Path, create: bool) -> None:
    """Refuse every connection once the file is not the one this engine opened: a moved
    or deleted file would otherwise keep taking writes through open connections (then be
    lost), and a new empty one would appear at the path on the next connect."""
    opened: list[tuple[int, int] | None] = [_identity(path)]

    def refuse(reason: str) -> DatabaseFileError:
        log.error(
            "database file %s is %s (it was opened when the server started); refusing to use it - "
            "put the file back or restart the server",
            path,
            reason,
        )
        return DatabaseFileError(path, reason)

    def before_connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> None:
        # Before sqlite3 connects: it would create a missing file, empty.
        now = _identity(path)
        if now is None:
            if opened[0] is None and create:
                return  # `init` makes the database
            if opened[0] is None:
                raise DatabaseFileError(path, "missing")  # not yet initialised: said at startup, not logged
            raise refuse("missing")
        if opened[0] is None:
            opened[0] = now

    def on_use(connection: Connection) -> None:
        now = _identity(path)
        if opened[0] is None:
            opened[0] = now  # created by this engine (init) on its first connect
            return
        if now is None:
            raise refuse("missing")
        if now != opened[0]:
            raise refuse("replaced")

    event.listen(engine, "do_connect", before_connect)
    event.listen(engine, "engine_connect", on_use)


def make_engine(url: str | None = None, *, create: bool = False, **kwargs: Any) -> Engine:
    """An engine for the URL (default: database_url()). For a SQLite file, only create
    allows a file that does not exist yet (`python -m portal init`, the tests); and the
    file is watched (see _watch_file)."""
    url = url or database_url()
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A server that restarted leaves dead connections in the pool: check each on checkout.
    # A SQLite file has no server (and a check per unit of work is most of a short one).
    kwargs.setdefault("pool_pre_ping", make_url(url).get_backend_name() != "sqlite")
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        path = sqlite_path(make_url(url))
        if path is not None:
            _watch_file(engine, path, create)
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls everything back on error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
