"""Generic services for every record type: one validation path, scoping by org subtree,
an audit entry per write in the same transaction, soft delete with restore, history with
revert, and version checks that refuse stale edits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.base import utcnow
from db.models import AuditEntry, OrgUnit
from portal import periods
from portal.errors import FieldError, NotFound, PermissionDenied, StaleEdit, ValidationError
from portal.i18n import t
from portal.org.scope import Actor, in_scope, is_whole_tree, org_filter
from portal.records import audit
from portal.records.fields import Field
from portal.records.spec import RecordSpec

Spec = type[RecordSpec]


@dataclass
class Filters:
    """What the table asks for. values: choice/bool -> list of values; date -> (start,
    end) with either end None; org_unit -> a unit id (that unit and its subtree);
    text -> a substring."""

    values: dict[str, Any] = field(default_factory=dict)
    search: str | None = None
    period: str | None = None


@dataclass
class Page:
    rows: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class Change:
    field: str
    mine: Any
    theirs: Any


class StaleRecord(StaleEdit):
    """Someone saved the record after it was read: carries what they changed."""

    def __init__(
        self, changes: list[Change], by: str | None, at: dt.datetime | None, labels: dict[str, Field] | None = None
    ) -> None:
        super().__init__(
            "error.stale_detail" if by else "error.stale", by=by or "", fields=", ".join(c.field for c in changes)
        )
        self.changes = changes
        self.by = by
        self.at = at
        self.labels = labels or {}

    def message(self, lang: str) -> str:
        names = [self.labels[c.field].label(lang) if c.field in self.labels else c.field for c in self.changes]
        return t(self.key, lang, by=self.by or "", fields="、".join(names) if lang != "en" else ", ".join(names))


# -- permissions and scope ---------------------------------------------------------------


def require(spec: Spec, actor: Actor, action: str) -> None:
    if not spec.allows(actor.role, action):
        raise PermissionDenied("error.permission")


def _org_column(spec: Spec) -> Any:
    return getattr(spec.model, spec.org_field) if spec.org_field else None


def scoped(spec: Spec, actor: Actor, deleted: bool = False, session: Session | None = None) -> Select[Any]:
    """SELECT of the rows the actor may see (live rows, or the trash)."""
    model = spec.model
    stmt = select(model)
    stmt = stmt.where(model.deleted_at.is_not(None) if deleted else model.deleted_at.is_(None))
    return stmt.where(*_scope_clause(spec, actor, session))


def _scope_clause(spec: Spec, actor: Actor, session: Session | None = None) -> list[ColumnElement[bool]]:
    if spec.org_field is None or actor.sees_everything:
        return []
    if session is not None and is_whole_tree(session, actor.org_path):
        return []
    if spec.model is OrgUnit:
        return [org_filter(actor)]
    return [_org_column(spec).in_(select(OrgUnit.id).where(org_filter(actor)))]


# -- reading -----------------------------------------------------------------------------


def filter_clauses(session: Session, spec: Spec, filters: Filters | None) -> list[ColumnElement[bool]]:
    if filters is None:
        return []
    model, clauses = spec.model, []
    for key, value in filters.values.items():
        if value in (None, "", [], ()):
            continue
        if key == "id" and spec.org_field == "id":  # org units filtered by their own subtree
            unit = session.get(OrgUnit, int(value))
            if unit is not None:
                clauses.append(OrgUnit.path.startswith(unit.path, autoescape=True))
            continue
        f = spec.field(key)
        column = getattr(model, key)
        if f.type in ("choice", "bool"):
            clauses.append(column.in_(list(value)))
        elif f.type == "date":
            start, end = value
            if start is not None:
                clauses.append(column >= start)
            if end is not None:
                clauses.append(column <= end)
        elif f.type == "org_unit":
            unit = session.get(OrgUnit, int(value))
            if unit is not None:
                subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))
                clauses.append(column.in_(subtree))
        else:
            clauses.append(column.icontains(str(value), autoescape=True))
    if filters.search and spec.search_fields:
        text = filters.search.strip()
        clauses.append(or_(*(getattr(model, k).icontains(text, autoescape=True) for k in spec.search_fields)))
    if filters.period and spec.date_field:
        start, end = periods.bounds(filters.period)
        column = getattr(model, spec.date_field)
        clauses.append(and_(column >= start, column <= end))
    return clauses


def _order(spec: Spec, ordering: tuple[str, ...] | None) -> list[Any]:
    result = []
    for key in ordering or spec.ordering:
        column = getattr(spec.model, key.lstrip("-"))
        result.append(column.desc() if key.startswith("-") else column.asc())
    return result


def list_page(
    session: Session,
    actor: Actor,
    spec: Spec,
    filters: Filters | None = None,
    page: int = 1,
    per_page: int | None = None,
    ordering: tuple[str, ...] | None = None,
    deleted: bool = False,
) -> Page:
    """One page of rows and the total, both computed in SQL."""
    require(spec, actor, "view")
    per_page = per_page or spec.list_per_page
    clauses = filter_clauses(session, spec, filters)
    base = scoped(spec, actor, deleted, session).where(*clauses)
    total = session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = list(session.scalars(base.order_by(*_order(spec, ordering)).limit(per_page).offset((page - 1) * per_page)))
    return Page(rows, total, page, per_page)


def count(session: Session, actor: Actor, spec: Spec, filters: Filters | None = None) -> int:
    require(spec, actor, "view")
    stmt = (
        select(func.count())
        .select_from(spec.model)
        .where(
            spec.model.deleted_at.is_(None),
            *_scope_clause(spec, actor, session),
            *filter_clauses(session, spec, filters),
        )
    )
    return session.scalar(stmt) or 0


def get(session: Session, actor: Actor, spec: Spec, record_id: int, deleted: bool | None = False) -> Any:
    """A record in the actor's scope; out of scope reads as not found."""
    require(spec, actor, "view")
    stmt = select(spec.model).where(spec.model.id == record_id, *_scope_clause(spec, actor))
    if deleted is not None:
        stmt = stmt.where(spec.model.deleted_at.is_not(None) if deleted else spec.model.deleted_at.is_(None))
    obj = session.scalar(stmt)
    if obj is None:
        raise NotFound("error.not_found")
    return obj


def values_of(spec: Spec, obj: Any) -> dict[str, Any]:
    return {f.key: getattr(obj, f.key) for f in spec.fields if not f.write_only}


# -- validation: the one path for forms, table edits, imports and the CLI ----------------


def validate(
    session: Session, actor: Actor, spec: Spec, raw: Mapping[str, Any], existing: Any | None = None
) -> dict[str, Any]:
    """Typed values for the fields present in raw (all writable fields on create), or a
    ValidationError naming every bad field. Nothing is written."""
    creating = existing is None
    raw = spec.prepare(dict(raw))
    writable = {f.key: f for f in spec.writable_fields(creating)}
    errors = [
        FieldError(key, "validation.readonly")
        for key in raw
        if key not in writable and key in {f.key for f in spec.fields}
    ]
    values: dict[str, Any] = {}
    for key, f in writable.items():
        if key not in raw:
            if creating:
                values[key] = f.default
            continue
        value, err = f.parse(raw[key])
        if err is None and value is None and not f.required and f.default is not None:
            value = f.default  # a blank cell means the default (e.g. an empty English name)
        if err is None and f.type == "org_unit" and value is not None:
            value, err = _resolve_unit(session, actor, f, value)
        if err is not None:
            errors.append(err)
            continue
        values[key] = value
    for key, value in values.items():
        if any(e.field == key for e in errors):
            continue
        err = writable[key].check(value)
        if err is not None:
            errors.append(err)
    if not errors:
        errors += _unique_natural_key(session, spec, values, existing)
    if not errors:
        merged = {**(values_of(spec, existing) if existing is not None else {}), **values}
        with session.no_autoflush:  # see _hooks
            errors += spec.clean(merged, existing, actor)
            if not errors:
                errors += spec.clean_db(session, merged, existing, actor)
    if errors:
        raise ValidationError(errors, labels={f.key: f for f in spec.fields})
    return values


def _resolve_unit(session: Session, actor: Actor, f: Field, value: int | str) -> tuple[Any, FieldError | None]:
    unit = (
        session.get(OrgUnit, value)
        if isinstance(value, int)
        else session.scalar(select(OrgUnit).where(OrgUnit.code == value))
    )
    if unit is None or unit.deleted_at is not None or not in_scope(actor, unit):
        return None, FieldError(f.key, "validation.org_unit", {"value": value})
    return unit.id, None


def _unique_natural_key(session: Session, spec: Spec, values: dict[str, Any], existing: Any | None) -> list[FieldError]:
    if not spec.natural_key:
        return []
    key_values = {k: values[k] if k in values else getattr(existing, k, None) for k in spec.natural_key}
    if any(v is None for v in key_values.values()):
        return []
    stmt = select(spec.model.id).where(*(getattr(spec.model, k) == v for k, v in key_values.items()))
    if existing is not None:
        stmt = stmt.where(spec.model.id != existing.id)
    if session.scalar(stmt) is None:
        return []
    k = spec.natural_key[-1]
    return [FieldError(k, "validation.unique", {"value": key_values[k]})]


# -- writing -----------------------------------------------------------------------------


def _org_id(spec: Spec, obj: Any) -> int | None:
    if spec.org_field is None:
        return None
    return obj.id if spec.org_field == "id" else getattr(obj, spec.org_field)


def _apply(spec: Spec, obj: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if not spec.field(key).write_only:
            setattr(obj, key, value)


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:  # another transaction won the race after our read
        raise StaleRecord([], None, None) from exc


def _hooks(session: Session) -> Any:
    """The context every spec hook runs in. Without autoflush: a hook that reads the
    database (an owner's account, a parent's path) would otherwise write the half-changed
    record early, and the save's own flush would then bump its version a second time under
    one audit entry. One save is one version and one audit entry, whatever a spec does."""
    return session.no_autoflush


def create(
    session: Session, actor: Actor, spec: Spec, raw: Mapping[str, Any], *, preset: Mapping[str, Any] | None = None
) -> Any:
    """A new record from raw input. preset: columns the calling service sets itself, not
    the user (a carried-over item's link to its original), written in the same INSERT and
    audited with the rest; set after the create, they would be a second version."""
    require(spec, actor, "create")
    values = validate(session, actor, spec, raw)
    obj = spec.model()
    _apply(spec, obj, values)
    for key, value in (preset or {}).items():
        setattr(obj, key, value)
    with _hooks(session):
        spec.before_save(session, obj, values, True, actor)
    session.add(obj)
    _flush(session)
    with _hooks(session):
        spec.after_save(session, obj, True, actor)
    after = audit.snapshot(obj)
    audit.record(session, actor, "create", spec.slug, obj.id, _org_id(spec, obj), None, after)
    spec.on_change(None, after, actor)
    return obj


def update(
    session: Session,
    actor: Actor,
    spec: Spec,
    record_id: int,
    raw: Mapping[str, Any],
    expected_version: int | None,
    action: str = "update",
) -> Any:
    """Change the fields in raw. expected_version is the version the user was looking at;
    if someone saved since, nothing is written and StaleRecord says what they changed."""
    require(spec, actor, "revert" if action == "revert" else "edit")
    obj = get(session, actor, spec, record_id)
    check_version(session, spec, obj, expected_version)
    values = validate(session, actor, spec, raw, existing=obj)
    if unchanged(spec, obj, values):
        return obj  # nothing changed: no new version, no audit entry
    before = audit.snapshot(obj)
    _apply(spec, obj, values)
    with _hooks(session):
        spec.before_save(session, obj, values, False, actor)
    _flush(session)
    with _hooks(session):
        spec.after_save(session, obj, False, actor)
    after = audit.snapshot(obj)
    audit.record(session, actor, action, spec.slug, obj.id, _org_id(spec, obj), before, after)
    spec.on_change(before, after, actor)
    return obj


def unchanged(spec: Spec, obj: Any, values: Mapping[str, Any]) -> bool:
    """True when saving values would change nothing the user can see. A blank text is
    blank whether stored as "" or NULL (an export writes both as an empty cell)."""

    def same(f: Field, stored: Any, new: Any) -> bool:
        if f.type in ("text", "longtext"):
            return (stored or None) == (new or None)
        return bool(stored == new)

    return all(same(spec.field(k), getattr(obj, k), v) for k, v in values.items() if not spec.field(k).write_only)


def check_version(session: Session, spec: Spec, obj: Any, expected_version: int | None) -> None:
    if expected_version is None or obj.version == expected_version:
        return
    then = snapshot_at(session, spec, obj.id, expected_version) or {}
    now = audit.snapshot(obj)
    skip = {"version", "updated_at", "created_at"}
    changes = [Change(k, then.get(k), v) for k, v in now.items() if k not in skip and then.get(k) != v]
    last = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.record_type == spec.slug, AuditEntry.record_id == obj.id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    raise StaleRecord(
        changes, last.actor_name if last else None, last.at if last else None, {f.key: f for f in spec.fields}
    )


def delete(session: Session, actor: Actor, spec: Spec, record_id: int, expected_version: int | None = None) -> Any:
    """Soft delete: the row moves to the trash and can be restored."""
    require(spec, actor, "delete")
    obj = get(session, actor, spec, record_id)
    check_version(session, spec, obj, expected_version)
    with _hooks(session):
        spec.before_delete(session, obj, actor)
    return _set_deleted(session, actor, spec, obj, utcnow(), "delete")


def restore(session: Session, actor: Actor, spec: Spec, record_id: int) -> Any:
    require(spec, actor, "delete")
    obj = get(session, actor, spec, record_id, deleted=True)
    errors = _unique_natural_key(session, spec, values_of(spec, obj), obj)
    if errors:
        raise ValidationError(errors)
    return _set_deleted(session, actor, spec, obj, None, "restore")


def _set_deleted(session: Session, actor: Actor, spec: Spec, obj: Any, when: dt.datetime | None, action: str) -> Any:
    before = audit.snapshot(obj)
    obj.deleted_at = when
    _flush(session)
    after = audit.snapshot(obj)
    audit.record(session, actor, action, spec.slug, obj.id, _org_id(spec, obj), before, after)
    spec.on_change(before, after, actor)
    return obj


# -- history and revert ------------------------------------------------------------------


def history(session: Session, actor: Actor, spec: Spec, record_id: int) -> list[AuditEntry]:
    get(session, actor, spec, record_id, deleted=None)  # scope check
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.record_type == spec.slug, AuditEntry.record_id == record_id)
            .order_by(AuditEntry.id)
        )
    )


def snapshot_at(session: Session, spec: Spec, record_id: int, version: int) -> dict[str, Any] | None:
    """The record's values as they were at a version, from the audit trail."""
    for entry in session.scalars(
        select(AuditEntry)
        .where(AuditEntry.record_type == spec.slug, AuditEntry.record_id == record_id)
        .order_by(AuditEntry.id.desc())
    ):
        if entry.after and entry.after.get("version") == version:
            return entry.after
    return None


def revert(
    session: Session, actor: Actor, spec: Spec, record_id: int, to_version: int, expected_version: int | None = None
) -> Any:
    """Put the editable fields back as they were at to_version; audited as a revert and
    validated like any edit."""
    require(spec, actor, "revert")
    then = snapshot_at(session, spec, record_id, to_version)
    if then is None:
        raise NotFound("error.version_not_found", version=to_version)
    raw = {
        f.key: _from_json(f, then.get(f.key))
        for f in spec.writable_fields(creating=False)
        if not f.write_only and f.key in then
    }
    return update(session, actor, spec, record_id, raw, expected_version, action="revert")


def _from_json(f: Field, value: Any) -> Any:
    if value is not None and f.type == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value
