"""The audit trail: every write adds an entry in the same transaction as the change.

A guard holds every transaction to it: each row of a record type (a table some RecordSpec
declares) that a flush inserts, changes or deletes must have an audit entry for that
record type and id, and the row as it is committed must still read what that entry's
"after" says (a field set after the entry was written is a change nobody recorded).
Otherwise the commit is refused with UnauditedWrite. A write path that forgets the trail
therefore fails in the first test that runs it, instead of leaving a silent gap.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, OrgUnit
from portal.org.scope import Actor, org_filter

# Never copied into the trail: a hash is a secret even when salted. A model names its own
# secrets with ``__secret__ = ("url",)`` (a group robot's webhook holds its access key).
SECRET_FIELDS = frozenset({"password_hash"})
_WRITTEN = "trail_guard.written"  # session.info: {(table, id)} of record rows flushed
_EXEMPT = "trail_guard.exempt"  # session.info: a test's or a tool's own writes, not a user's
_LOGGED = "trail_guard.logged"  # session.info: {(record_type, id): the last entry's "after"}


class UnauditedWrite(RuntimeError):
    """A transaction changed record rows without writing their audit entries."""


def snapshot(obj: Any) -> dict[str, Any]:
    """The row's column values as JSON-safe data."""
    values: dict[str, Any] = {}
    secret = SECRET_FIELDS | frozenset(getattr(type(obj), "__secret__", ()))
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in secret:
            continue
        values[attr.key] = _jsonable(getattr(obj, attr.key))
    return values


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    record_type: str,
    record_id: int | None,
    org_unit_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id,
        actor_name=actor.username,
        action=action,
        record_type=record_type,
        record_id=record_id,
        org_unit_id=org_unit_id,
        before=before,
        after=after,
    )
    session.add(entry)
    session.info.setdefault(_LOGGED, {})[(record_type, record_id)] = after
    return entry


def created(session: Session, actor: Actor, record_type: str, obj: Any, org_unit_id: int | None = None) -> None:
    """Insert a row written outside the record service (built-in reference data) with its
    audit entry, like service.create would."""
    session.add(obj)
    session.flush()
    record(session, actor, "create", record_type, obj.id, org_unit_id, None, snapshot(obj))


def recent(session: Session, actor: Actor, limit: int = 50) -> list[AuditEntry]:
    """Newest entries about records in the actor's scope."""
    stmt = (
        select(AuditEntry)
        .outerjoin(OrgUnit, OrgUnit.id == AuditEntry.org_unit_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if not actor.sees_everything:
        stmt = stmt.where(org_filter(actor))
    return list(session.scalars(stmt))


# -- the guard ----------------------------------------------------------------------------


def _record_tables() -> dict[str, set[str]]:
    """Table name -> the record types its rows are audited under: the slugs of the specs
    stored in it, and the table's own name (rows written by a service without a spec, such
    as populations). Every mapped table is held to the trail unless its model says
    ``__audit__ = False`` (bookkeeping such as the trail itself)."""
    from db.base import Base
    from portal.records import registry  # late: the registry imports every spec module

    tables: dict[str, set[str]] = {}
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__audit__", True):
            name = mapper.local_table.description or ""
            tables[name] = {name}
    for slug, spec in registry.specs().items():
        tables.setdefault(inspect(spec.model).local_table.description or "", set()).add(slug)
    return tables


@event.listens_for(Session, "after_flush")
def _collect_writes(session: Session, _context: Any) -> None:
    tables = _record_tables()
    written = session.info.setdefault(_WRITTEN, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = inspect(obj).mapper.local_table.name
        if table not in tables:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        key = inspect(obj).mapper.primary_key_from_instance(obj)  # set by now, new rows too
        if key and key[0] is not None:
            written.add((table, key[0]))


@event.listens_for(Session, "before_commit")
def _check_writes(session: Session) -> None:
    if session.info.pop(_EXEMPT, False):
        session.info.pop(_WRITTEN, None)
        session.info.pop(_LOGGED, None)
        return
    session.flush()  # the commit would flush after this check; what it writes must be seen
    written: set[tuple[str, Any]] = session.info.pop(_WRITTEN, set())
    logged: dict[tuple[str, Any], dict[str, Any] | None] = session.info.pop(_LOGGED, {})
    if not written:
        return
    tables = _record_tables()
    models = {m.local_table.name: m.class_ for m in _mappers(session)}
    missing = []
    for table, rid in sorted(written):
        entries = [logged[(slug, rid)] for slug in tables[table] if (slug, rid) in logged]
        if not entries:
            missing.append(f"{table}#{rid}")
            continue
        after = entries[-1]
        obj = session.identity_map.get(session.identity_key(models[table], (rid,))) if table in models else None
        if after and obj is not None:
            now = snapshot(obj)
            changed = sorted(k for k, v in after.items() if k in now and now[k] != v)
            if changed:
                missing.append(f"{table}#{rid} ({', '.join(changed)} changed after its audit entry)")
    if missing:
        raise UnauditedWrite(f"{len(missing)} record row(s) changed without an audit entry: {', '.join(missing[:10])}")


def exempt(session: Session) -> Session:
    """Let this transaction write record rows without entries: for tests that set up or
    tamper with data directly, and for bulk tools (benchmark data). Never for users."""
    session.info[_EXEMPT] = True
    return session


def _mappers(session: Session) -> list[Any]:
    from db.base import Base

    return list(Base.registry.mappers)


@event.listens_for(Session, "after_rollback")
def _forget_writes(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    session.info.pop(_LOGGED, None)
    session.info.pop(_EXEMPT, None)
