"""The audit trail: every write adds an entry in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, OrgUnit
from portal.org.scope import Actor, org_filter

# Never copied into the trail: a hash is a secret even when salted.
SECRET_FIELDS = frozenset({"password_hash"})


def snapshot(obj: Any) -> dict[str, Any]:
    """The row's column values as JSON-safe data."""
    values: dict[str, Any] = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in SECRET_FIELDS:
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
    return entry


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
