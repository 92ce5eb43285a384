"""training hours per person and year, kept by triggers on the sign-in marks

The county's hours ledger grouped a year of marks on every read (1.5-2 s at a million
marks). ``training_hours_years`` holds the sums instead; triggers on ``training_attendance``
keep them on every insert, update and delete, whatever wrote the mark (the grid, self
sign-in, an import, a bulk insert, a migration), and the upgrade fills it from the marks
already stored.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

KEY = "year, person_id, org_unit_id, category"
COLUMNS = "year, person_id, org_unit_id, category, {hours}, {count}, last_enrolment"
# what each source adds to a line: the marks their hours and count (and the newest roster
# entry, to name the person), the recorded external and online hours theirs
SOURCES = {
    "training_attendance": ("hours", "marks", "NEW.enrolment_id"),
    "training_external_hours": ("external", "entries", "NULL"),
}
WATCHED = "hours, deleted_at, day, person_id, org_unit_id, category"


def _year(row: str, postgres: bool) -> str:
    """A row's year: SQLite keeps a Date as text, its first four characters the year."""
    return f"EXTRACT(YEAR FROM {row}.day)::integer" if postgres else f"CAST(strftime('%Y', {row}.day) AS INTEGER)"


def _add(table: str, postgres: bool) -> str:
    hours, count, last = SOURCES[table]
    columns = COLUMNS.format(hours=hours, count=count)
    me = "training_hours_years." if postgres else ""
    newest = (
        f"GREATEST({me}last_enrolment, EXCLUDED.last_enrolment)"
        if postgres
        else "max(coalesce(last_enrolment, 0), coalesce(excluded.last_enrolment, 0))"
    )
    return (
        f"INSERT INTO training_hours_years ({columns})"
        f" SELECT {_year('NEW', postgres)}, NEW.person_id, NEW.org_unit_id, NEW.category, NEW.hours, 1, {last}"
        + ("" if postgres else " WHERE NEW.deleted_at IS NULL")
        + f" ON CONFLICT ({KEY}) DO UPDATE SET {hours} = {me}{hours} + EXCLUDED.{hours}, {count} = {me}{count} + 1"
        + (f", last_enrolment = {newest};" if last != "NULL" else ";")
    )


def _take(table: str, postgres: bool) -> str:
    hours, count, _ = SOURCES[table]
    return (
        f"UPDATE training_hours_years SET {hours} = {hours} - OLD.hours, {count} = {count} - 1"  # noqa: S608 - constant SQL, no input
        f" WHERE year = {_year('OLD', postgres)} AND person_id = OLD.person_id"
        " AND org_unit_id = OLD.org_unit_id AND category = OLD.category"
        + ("" if postgres else " AND OLD.deleted_at IS NULL")
        + ";"
    )


def _sqlite_triggers(table: str) -> list[str]:
    """SQLite's triggers have one event each: three a table."""
    name = f"{table}_hours_years"
    return [
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {_add(table, False)} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {_take(table, False)} END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE OF {WATCHED} ON {table}"
        f" BEGIN {_take(table, False)} {_add(table, False)} END",
    ]


def _postgres_trigger(table: str) -> list[str]:
    """One PL/pgSQL function a table, for its three events."""
    name = f"{table}_hours_years"
    return [
        f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
        {_take(table, True)}
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.deleted_at IS NULL THEN
        {_add(table, True)}
    END IF;
    RETURN NULL;
END
$$""",
        f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {WATCHED}"
        f" ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


def upgrade() -> None:
    op.create_table(
        "training_hours_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=120), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("hours", sa.Double(), nullable=False, server_default="0"),
        sa.Column("marks", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("external", sa.Double(), nullable=False, server_default="0"),
        sa.Column("entries", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_enrolment", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_training_hours_years_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("year", "person_id", "org_unit_id", "category", name=op.f("pk_training_hours_years")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, (hours, count, last) in SOURCES.items():  # what is stored already
        year = _year(table, postgres)
        newest = "max(enrolment_id)" if last != "NULL" else "NULL"
        op.execute(
            f"INSERT INTO training_hours_years ({COLUMNS.format(hours=hours, count=count)})"  # noqa: S608 - constant SQL, no input
            f" SELECT {year}, person_id, org_unit_id, category, sum(hours), count(*), {newest}"
            f" FROM {table} WHERE deleted_at IS NULL GROUP BY {year}, person_id, org_unit_id, category"
            f" ON CONFLICT ({KEY}) DO UPDATE SET {hours} = EXCLUDED.{hours}, {count} = EXCLUDED.{count}"
        )
        for statement in _postgres_trigger(table) if postgres else _sqlite_triggers(table):
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in SOURCES:
        name = f"{table}_hours_years"
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{event}")
    op.drop_table("training_hours_years")
