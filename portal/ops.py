"""What the admins' operations view shows, without Streamlit: the database (kind, schema
version, size, free disk for SQLite), page runs slower than a threshold (page, user,
milliseconds, which process: every process writes them to the database, so the view
covers all of them) and the last backup made by `python -m portal backup`.

Each slow run is also one log line: `slow page run: page=plans user=head ms=1834`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import socket
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db import migrate
from db.engine import sqlite_path, transaction
from db.models import OpsEvent
from portal import clock

log = logging.getLogger("portal.ops")
SLOW_RUN_MS = 1000  # PORTAL_SLOW_RUN_MS: a page run slower than this is logged
KEEP_DAYS = 7  # slow-run rows older than this are deleted as new ones come
SLOW, BACKUP = "slow_run", "backup"


def slow_run_ms() -> int:
    try:
        return int(os.environ.get("PORTAL_SLOW_RUN_MS", SLOW_RUN_MS))
    except ValueError:
        return SLOW_RUN_MS


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def note_run(engine: Engine, page: str, username: str | None, ms: float) -> bool:
    """Log and keep a page run if it was slow; True when it was. Never raises: a failure
    to write the measurement must not break the page it measured."""
    if ms < slow_run_ms():
        return False
    log.warning("slow page run: page=%s user=%s ms=%d process=%s", page or "home", username or "-", ms, process_name())
    try:
        with transaction(engine) as session:
            now = clock.now()
            session.add(
                OpsEvent(kind=SLOW, at=now, page=page or "home", username=username, ms=int(ms), detail=process_name())
            )
            session.execute(
                delete(OpsEvent).where(OpsEvent.kind == SLOW, OpsEvent.at < now - dt.timedelta(days=KEEP_DAYS))
            )
    except SQLAlchemyError:
        log.exception("could not keep the slow page run")
    return True


def note_backup(engine: Engine, file: str, size: int) -> None:
    """Keep the time of a backup for the operations view (a database whose schema is
    older than this code has no place for it: the backup itself still counts)."""
    log.info("backup made: %s (%d bytes)", file, size)
    try:
        with transaction(engine) as session:
            session.add(OpsEvent(kind=BACKUP, at=clock.now(), detail=f"{file} ({size} bytes)"[:300]))
    except SQLAlchemyError:
        log.warning("could not note the backup in the database (schema not up to date?)")


@dataclass(frozen=True)
class SlowRun:
    at: dt.datetime
    page: str
    username: str | None
    ms: int
    process: str | None


def slow_runs(session: Session, hours: int = 24, limit: int = 200) -> list[SlowRun]:
    """The slow runs of the last `hours`, slowest first."""
    since = clock.now() - dt.timedelta(hours=hours)
    rows = session.scalars(
        select(OpsEvent)
        .where(OpsEvent.kind == SLOW, OpsEvent.at >= since)
        .order_by(OpsEvent.ms.desc(), OpsEvent.id.desc())
        .limit(limit)
    )
    return [SlowRun(r.at, r.page or "", r.username, r.ms or 0, r.detail) for r in rows]


def last_backup(session: Session) -> OpsEvent | None:
    return session.scalars(
        select(OpsEvent).where(OpsEvent.kind == BACKUP).order_by(OpsEvent.at.desc(), OpsEvent.id.desc()).limit(1)
    ).first()


@dataclass(frozen=True)
class DatabaseInfo:
    kind: str  # sqlite | postgresql
    revision: str | None
    head: str | None
    size_bytes: int | None
    disk_free_bytes: int | None  # SQLite: the file's disk; None for a server database

    @property
    def current(self) -> bool:
        return self.revision is not None and self.revision == self.head


def database_info(engine: Engine) -> DatabaseInfo:
    kind = engine.dialect.name
    size: int | None = None
    free: int | None = None
    path = sqlite_path(engine.url)
    if path is not None:
        try:
            size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
            free = shutil.disk_usage(path.parent).free
        except OSError:
            pass
    elif kind == "postgresql":
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    return DatabaseInfo(kind, migrate.current_revision(engine), migrate.head_revision(), size, free)
