"""Declarative base, naming convention and reusable column types."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from sqlalchemy import DateTime, Integer, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.sql import FromClause

# A fixed naming convention keeps constraint names identical on SQLite and PostgreSQL,
# which batch migrations on SQLite need in order to drop or alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime passed to a UTCDateTime column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
code_str = Annotated[str, mapped_column(String(32))]
name_str = Annotated[str, mapped_column(String(120))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SoftDeleted:
    """Deleted rows stay, with the time they went to the trash, and can be restored."""

    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)


class Versioned:
    """Rows that carry a version number: a stale edit is refused, not silently applied."""

    if TYPE_CHECKING:  # a mixin: the table is the mapped class's it is mixed into
        __table__: ClassVar[FromClause]

    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # SQLAlchemy bumps the number on every UPDATE and refuses one whose WHERE
        # no longer matches the version that was read (StaleDataError).
        return {"version_id_col": cls.__table__.c.version}


class RecordModel(Versioned, SoftDeleted, Base):
    """Base of every model a RecordSpec manages (``RecordSpec.model``): a mapped class
    with an integer ``id``, a ``version`` and a ``deleted_at``, which is what the record
    engine's queries, version checks and trash rely on. Abstract: it has no table."""

    __abstract__ = True

    if TYPE_CHECKING:
        # Declared for the type checker only: each model declares its own
        # ``id: Mapped[intpk]``, so the key keeps its place as the table's first column.
        id: Mapped[int]
