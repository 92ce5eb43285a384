"""training: the trainee register (学员名册), one row per person, and each roster entry's
link to its person

``training_people`` holds a person once however many trainings they attend. The upgrade
fills it from the roster as it stands: one person per person key (unit, name and phone
ending: the key the sign-in marks and the external hours already carry), named as their
newest roster entry names them, and links every roster entry (deleted ones too) to its
person. No roster row is changed otherwise: the roster keeps the person as nominated.

The downgrade drops the link and the register. The roster entries still carry every
person's name, sex, unit, category and phone, so the hours ledger and the indicators read
as before; only what was typed into the register alone (a person never put on a roster,
a later correction of a person's phone) has nowhere to go in the older schema.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

CHUNK = 5000

enrolments = sa.table(
    "training_enrolments",
    sa.column("id", sa.Integer()),
    sa.column("org_unit_id", sa.Integer()),
    sa.column("person_name", sa.String()),
    sa.column("sex", sa.String()),
    sa.column("category", sa.String()),
    sa.column("phone", sa.String()),
    sa.column("deleted_at", db.base.UTCDateTime(timezone=True)),
    sa.column("trainee_id", sa.Integer()),
)
people = sa.table(
    "training_people",
    sa.column("id", sa.Integer()),
    sa.column("org_unit_id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("sex", sa.String()),
    sa.column("category", sa.String()),
    sa.column("phone", sa.String()),
    sa.column("person_key", sa.String()),
    sa.column("version", sa.Integer()),
    sa.column("created_at", db.base.UTCDateTime(timezone=True)),
    sa.column("updated_at", db.base.UTCDateTime(timezone=True)),
    sa.column("deleted_at", db.base.UTCDateTime(timezone=True)),
)


def _key(unit_id: int, name: str, phone: str | None) -> str:
    # the same as portal.programmes.training.specs.person_key_of (a migration keeps its own copy)
    return f"{unit_id}:{name.strip()}:{(phone or '')[-4:]}"


def upgrade() -> None:
    op.create_table(
        "training_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("sex", sa.String(length=6), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("person_key", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_training_people_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_people")),
    )
    with op.batch_alter_table("training_people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_people_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index("ix_training_people_live_unit", ["deleted_at", "org_unit_id"], unique=False)
        batch_op.create_index("ix_training_people_name", ["name", "org_unit_id"], unique=False)
        batch_op.create_index("ix_training_people_key", ["person_key", "deleted_at", "name"], unique=False)
    with op.batch_alter_table("training_enrolments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trainee_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_training_enrolments_trainee_id"), ["trainee_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_training_enrolments_trainee_id_training_people"), "training_people", ["trainee_id"], ["id"]
        )
    _fill(op.get_bind())


def _fill(conn: sa.Connection) -> None:
    """One person per person key from the roster, named by the newest live entry (else the
    newest entry), and every entry linked to its person."""
    newest: dict[str, tuple[bool, int, dict[str, object]]] = {}
    members: dict[str, list[int]] = {}
    rows = conn.execute(
        sa.select(
            enrolments.c.id,
            enrolments.c.org_unit_id,
            enrolments.c.person_name,
            enrolments.c.sex,
            enrolments.c.category,
            enrolments.c.phone,
            enrolments.c.deleted_at,
        ).order_by(enrolments.c.id)
    )
    for eid, unit, name, sex, category, phone, deleted in rows:
        key = _key(unit, name or "", phone)
        members.setdefault(key, []).append(eid)
        rank = (deleted is None, eid)
        if key not in newest or rank > newest[key][:2]:
            person = {"org_unit_id": unit, "name": (name or "").strip(), "sex": sex, "category": category}
            newest[key] = (*rank, {**person, "phone": phone, "person_key": key})
    if not newest:
        return
    now = db.base.utcnow()  # the one aware instant columns default to (db.base)
    stamp = {"version": 1, "created_at": now, "updated_at": now, "deleted_at": None}
    keys = list(newest)
    for start in range(0, len(keys), CHUNK):
        part = keys[start : start + CHUNK]
        conn.execute(sa.insert(people), [{**newest[k][2], **stamp} for k in part])
    ids = dict(conn.execute(sa.select(people.c.person_key, people.c.id)).all())
    links = [{"eid": eid, "pid": ids[key]} for key, found in members.items() for eid in found]
    statement = (
        sa.update(enrolments).where(enrolments.c.id == sa.bindparam("eid")).values(trainee_id=sa.bindparam("pid"))
    )
    for start in range(0, len(links), CHUNK):
        conn.execute(statement, links[start : start + CHUNK])


def downgrade() -> None:
    with op.batch_alter_table("training_enrolments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_training_enrolments_trainee_id_training_people"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_training_enrolments_trainee_id"))
        batch_op.drop_column("trainee_id")
    with op.batch_alter_table("training_people", schema=None) as batch_op:
        batch_op.drop_index("ix_training_people_key")
        batch_op.drop_index("ix_training_people_name")
        batch_op.drop_index("ix_training_people_live_unit")
        batch_op.drop_index(batch_op.f("ix_training_people_deleted_at"))
    op.drop_table("training_people")
