"""Alembic environment: one code path for SQLite and PostgreSQL (batch mode everywhere)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import db.models  # noqa: F401 - registers the tables on Base.metadata
from db.base import Base
from db.engine import make_engine
from db.migrate import migration_connection

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # A caller (db.migrate, the tests) may hand over its own connection.
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    with migration_connection(engine) as conn:  # foreign keys off on SQLite, one transaction
        run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations_online()
