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

from db.models import AuditEntry, OrgUnit
from portal import clock, periods
from portal.errors import FieldError, NotFound, PermissionDenied, PortalError, StaleEdit, ValidationError
from portal.i18n import t
from portal.org.scope import Actor, in_scope, is_whole_tree, org_filter, unit_path
from portal.records import audit, refs, registry
from portal.records.children import Inline
from portal.records.fields import VIRTUAL_TYPES, Field
from portal.records.grid import RowChange, Saved
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
            path = unit_path(session, int(value))
            if path is not None:
                clauses.append(OrgUnit.path.startswith(path, autoescape=True))
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
            path = unit_path(session, int(value))
            if path is not None:
                subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(path, autoescape=True))
                clauses.append(column.in_(subtree))
        elif f.type == "ref":
            ids = [int(v) for v in (value if isinstance(value, (list, tuple, set)) else [value])]
            clauses.append(column.in_(ids))
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
    return {f.key: getattr(obj, f.key) for f in spec.fields if not f.write_only and f.type not in VIRTUAL_TYPES}


# -- validation: the one path for forms, table edits, imports and the CLI ----------------


def validate(
    session: Session,
    actor: Actor,
    spec: Spec,
    raw: Mapping[str, Any],
    existing: Any | None = None,
    system: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Typed values for the fields present in raw (all writable fields on create), plus
    the computed fields and the workflow's first state, or a ValidationError naming every
    bad field. ``system`` holds columns the caller sets itself (a parent link...), seen by
    the checks like any value. Nothing is written."""
    creating = existing is None
    raw = spec.prepare(dict(raw))
    writable = {f.key: f for f in spec.writable_fields(creating)}
    errors = [
        FieldError(key, "validation.readonly")
        for key in raw
        if key not in writable and key in {f.key for f in spec.fields}
    ]
    if existing is not None and spec.workflow is not None:
        state = getattr(existing, spec.workflow.field)
        if spec.workflow.readonly(state):
            errors.append(state_error(spec, state))
    values: dict[str, Any] = {}
    for key, f in writable.items():
        if key not in raw:
            if creating and key not in (system or {}):
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
    known = {**(values_of(spec, existing) if existing is not None else {}), **(system or {}), **values}
    for key, value in list(values.items()):
        f = writable[key]
        if f.type == "ref" and value is not None and not any(e.field == key for e in errors):
            resolved, err = refs.resolve(session, actor, spec, f, value, known)
            if err is not None:
                errors.append(err)
                continue
            values[key] = known[key] = resolved
    for key, value in values.items():
        if any(e.field == key for e in errors):
            continue
        err = writable[key].check(value)
        if err is not None:
            errors.append(err)
    if not errors:
        errors += _unique_natural_key(session, spec, {**(system or {}), **values}, existing)
    if not errors:
        merged = {**(values_of(spec, existing) if existing is not None else {}), **(system or {}), **values}
        with session.no_autoflush:  # see _hooks
            errors += spec.clean(merged, existing, actor)
            if not errors:
                errors += spec.clean_db(session, merged, existing, actor)
        if not errors:
            errors += _lock_errors(session, spec, merged, existing)
        if not errors:
            values.update(_computed(spec, merged))
            if creating and spec.workflow is not None and merged.get(spec.workflow.field) is None:
                values[spec.workflow.field] = spec.workflow.initial
    if errors:
        raise ValidationError(errors, labels={f.key: f for f in spec.fields})
    return values


def _computed(spec: Spec, merged: dict[str, Any]) -> dict[str, Any]:
    """Computed fields in declaration order, each seeing the ones before it."""
    out: dict[str, Any] = {}
    for f in spec.fields:
        if f.computed is not None:
            out[f.key] = merged[f.key] = f.computed(merged)
    return out


def state_error(spec: Spec, state: str | None) -> FieldError:
    workflow = spec.workflow
    found = workflow.state(state) if workflow else None
    return FieldError(
        workflow.field if workflow else "status",
        "validation.state_readonly",
        {"state": found.zh if found else state, "state_en": found.en if found else state},
    )


def _lock_errors(session: Session, spec: Spec, values: Mapping[str, Any], existing: Any | None) -> list[FieldError]:
    """Refuse writes to records a workflow has frozen (e.g. a unit's approved month): the
    values as they would be saved, and on update the record as it stands."""
    errors: list[FieldError] = []
    for holder, lock in registry.locks_on(spec.slug):
        for subject in (values, values_of(spec, existing) if existing is not None else None):
            if subject is None:
                continue
            keys = {mine: subject.get(theirs) for theirs, mine in lock.match}
            if any(v is None for v in keys.values()):
                continue
            state_column = getattr(holder.model, holder.workflow.field if holder.workflow else "status")
            stmt = select(holder.model).where(
                holder.model.deleted_at.is_(None),
                state_column.in_(lock.states),
                *(getattr(holder.model, mine) == v for mine, v in keys.items()),
            )
            found = session.scalars(stmt.limit(1)).first()
            if found is not None:
                field = lock.match[-1][0]
                label = refs.label_of(holder, found, "zh-CN")
                errors.append(
                    FieldError(
                        field,
                        lock.message_key,
                        {"record": label, "type": holder.title_zh, "type_en": holder.title_en, **keys},
                    )
                )
                return errors
    return errors


def _resolve_unit(session: Session, actor: Actor, f: Field, value: int | str) -> tuple[Any, FieldError | None]:
    """A unit in the actor's scope by id (forms), code, or name as the screens show it
    (files, the CLI); a name two units share is an error naming both."""
    if isinstance(value, int):
        unit = session.get(OrgUnit, value)
    else:
        text = value.strip()
        unit = session.scalar(select(OrgUnit).where(OrgUnit.code == text, OrgUnit.deleted_at.is_(None)))
        if unit is None:
            named = list(
                session.scalars(
                    select(OrgUnit)
                    .where(or_(OrgUnit.name_zh == text, OrgUnit.name_en == text), OrgUnit.deleted_at.is_(None))
                    .limit(3)
                )
            )
            mine = [u for u in named if in_scope(actor, u)]
            if len(mine) > 1:
                both = "、".join(f"{u.name_zh}（{u.code}）" for u in mine[:2])
                return None, FieldError(f.key, "validation.unit_ambiguous", {"value": text, "matches": both})
            if not mine and named:  # a unit users know, outside this user's part of the tree
                return None, FieldError(f.key, "validation.unit_outside", {"value": text})
            unit = mine[0] if mine else None
        elif unit.deleted_at is None and not in_scope(actor, unit):
            return None, FieldError(f.key, "validation.unit_outside", {"value": text})
    if isinstance(value, str) and (unit is None or unit.deleted_at is not None):
        return None, FieldError(f.key, "validation.org_unit_unknown", {"value": value.strip()})
    if unit is None or unit.deleted_at is not None or not in_scope(actor, unit):
        return None, FieldError(f.key, "validation.org_unit", {"value": value})
    return unit.id, None


def find_same(session: Session, actor: Actor, spec: Spec, raw: dict[str, Any]) -> Any | None:
    """The live row in the actor's reach that raw input describes by the spec's identity
    rule (``spec.identity``/``find_same``), or None: also when a field the rule reads does
    not parse (validation then names it)."""
    if not spec.identity:
        return None
    prepared = spec.prepare(dict(raw))
    values: dict[str, Any] = {}
    for key in spec.identity:
        f = spec.field(key)
        value, err = f.parse(prepared.get(key))
        if err is None and f.type == "org_unit" and value is not None:
            value, err = _resolve_unit(session, actor, f, value)
        if err is not None or (value is None and f.required):
            return None
        values[key] = value
    with session.no_autoflush:
        return spec.find_same(session, actor, values)


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
    session: Session, actor: Actor, spec: Spec, raw: Mapping[str, Any], system: Mapping[str, Any] | None = None
) -> Any:
    """Validate raw input and insert the record, audited. ``system`` holds columns the
    caller's own logic sets (a carry-over link, a due date, a parent's key), not user
    input: they are not parsed as fields, but the checks see them and the audit entry
    shows them."""
    require(spec, actor, "create")
    values = validate(session, actor, spec, raw, system=system)
    obj = _new(session, actor, spec, values, system)
    _flush(session)
    return _created(session, actor, spec, obj)


def _new(session: Session, actor: Actor, spec: Spec, values: dict[str, Any], system: Mapping[str, Any] | None) -> Any:
    obj = spec.model()
    _apply(spec, obj, values)
    for key, value in (system or {}).items():
        setattr(obj, key, value)
    with _hooks(session):
        spec.before_save(session, obj, values, True, actor)
    session.add(obj)
    return obj


def _created(session: Session, actor: Actor, spec: Spec, obj: Any) -> Any:
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
    system: Mapping[str, Any] | None = None,
) -> Any:
    """Change the fields in raw. expected_version is the version the user was looking at;
    if someone saved since, nothing is written and StaleRecord says what they changed."""
    require(spec, actor, "revert" if action == "revert" else "edit")
    obj = get(session, actor, spec, record_id)
    check_version(session, spec, obj, expected_version)
    values = validate(session, actor, spec, raw, existing=obj, system=system)
    if not _changes(spec, obj, values, system):
        return obj  # nothing changed: no new version, no audit entry
    before = _changed(session, actor, spec, obj, values, system)
    _flush(session)
    return _updated(session, actor, spec, obj, before, action)


def _changes(spec: Spec, obj: Any, values: dict[str, Any], system: Mapping[str, Any] | None) -> bool:
    """Whether saving would change anything (a field the user sees, or a system column)."""
    return not unchanged(spec, obj, values) or any(getattr(obj, k) != v for k, v in (system or {}).items())


def _changed(
    session: Session, actor: Actor, spec: Spec, obj: Any, values: dict[str, Any], system: Mapping[str, Any] | None
) -> dict[str, Any]:
    before = audit.snapshot(obj)
    _apply(spec, obj, values)
    for key, value in (system or {}).items():
        setattr(obj, key, value)
    with _hooks(session):
        spec.before_save(session, obj, values, False, actor)
    return before


def _updated(session: Session, actor: Actor, spec: Spec, obj: Any, before: dict[str, Any], action: str) -> Any:
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
    """Soft delete: the row moves to the trash and can be restored. Refused while a
    workflow holds the record read-only or locked, or while records point to it."""
    require(spec, actor, "delete")
    obj = get(session, actor, spec, record_id)
    check_version(session, spec, obj, expected_version)
    errors: list[FieldError] = []
    if spec.workflow is not None and spec.workflow.readonly(getattr(obj, spec.workflow.field)):
        errors.append(state_error(spec, getattr(obj, spec.workflow.field)))
    errors += _lock_errors(session, spec, values_of(spec, obj), None)
    errors += _referred_errors(session, spec, obj.id)
    if errors:
        raise ValidationError(errors, labels={f.key: f for f in spec.fields})
    with _hooks(session):
        spec.before_delete(session, obj, actor)
    return _set_deleted(session, actor, spec, obj, clock.now(), "delete")


def _referred_errors(session: Session, spec: Spec, record_id: int) -> list[FieldError]:
    found = refs.referrers(session, spec, record_id)
    if not found:
        return []
    parts_zh = "、".join(f"{n} 条{other.title_zh}（{f.zh}）" for other, f, n in found)
    parts_en = "; ".join(f"{n} {other.title_en} ({f.en})" for other, f, n in found)
    return [FieldError("id", "validation.referenced", {"what": parts_zh, "what_en": parts_en})]


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


# -- workflows ----------------------------------------------------------------------------


def transition(
    session: Session,
    actor: Actor,
    spec: Spec,
    record_id: int,
    name: str,
    comment: str | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Any:
    """Take one step of the spec's workflow: rights first (role, then the guard, so an
    outsider learns nothing of the record's state), then the state, then the required
    comment; the new state and the step's effects are one audited write whose action is
    the step's name."""
    workflow = spec.workflow
    if workflow is None:
        raise PortalError("workflow.none", type=spec.slug)
    try:
        step = workflow.transition(name)
    except KeyError:
        raise PortalError("workflow.unknown", name=name) from None
    obj = get(session, actor, spec, record_id)
    if actor.role not in step.roles:
        raise PermissionDenied("error.permission")
    if step.guard is not None:
        refusal = step.guard(session, actor, obj)
        if refusal is not None:
            raise ValidationError([refusal], labels={f.key: f for f in spec.fields})
    check_version(session, spec, obj, expected_version)
    state = getattr(obj, workflow.field)
    if state not in step.sources:
        current = workflow.state(state)
        raise PortalError(
            "workflow.not_from",
            step=step.zh,
            step_en=step.en,
            state=current.zh if current else state,
            state_en=current.en if current else state,
        )
    text = (comment or "").strip()
    if step.comment and not text:
        field = workflow.comment_field or "comment"
        raise ValidationError(
            [FieldError(field, "validation.comment_required")], labels={f.key: f for f in spec.fields}
        )
    changes: dict[str, Any] = {workflow.field: step.target}
    if workflow.comment_field is not None and (text or step.comment):
        changes[workflow.comment_field] = text or None
    if step.effects is not None:
        changes.update(step.effects(session, actor, obj, text, now or clock.now()))
    before = audit.snapshot(obj)
    for key, value in changes.items():
        setattr(obj, key, value)
    _flush(session)
    after = audit.snapshot(obj)
    audit.record(session, actor, name, spec.slug, obj.id, _org_id(spec, obj), before, after)
    spec.on_change(before, after, actor)
    return obj


# -- many rows at once: grids and child rows -------------------------------------------------


class RowsRefused(ValidationError):
    """Some rows of a grid or of a record's children were refused; nothing was saved.
    Every error carries its row (1-based, in the order given) and record type."""


class StaleRows(StaleEdit):
    """Rows someone else saved after the grid was loaded: (row, label, by, fields)."""

    def __init__(self, rows: list[tuple[int, str, str | None, list[str]]]) -> None:
        super().__init__("error.stale_rows", count=len(rows), rows=", ".join(str(r[0]) for r in rows[:10]))
        self.rows = rows


def save_rows(
    session: Session,
    actor: Actor,
    spec: Spec,
    changes: list[RowChange],
    *,
    system: Mapping[str, Any] | None = None,
    record: str | None = None,
) -> Saved:
    """Apply a grid's (or a record's children's) changes in the caller's transaction:
    each row through validate, each version checked, one audit entry per changed row,
    unchanged rows skipped. Any refusal raises RowsRefused (or StaleRows) listing every
    row at fault; the caller's transaction then rolls back, so nothing is half-saved."""
    if any(c.id is None and not c.delete for c in changes):
        require(spec, actor, "create")
    if any(c.id is not None and not c.delete for c in changes):
        require(spec, actor, "edit")
    if any(c.delete for c in changes):
        require(spec, actor, "delete")
    existing = _rows_in_scope(session, actor, spec, [c.id for c in changes if c.id is not None])
    errors: list[FieldError] = []
    stale: list[tuple[int, str, str | None, list[str]]] = []
    planned: list[tuple[RowChange, Any, dict[str, Any]]] = []
    for n, change in enumerate(changes, 1):
        obj = existing.get(change.id) if change.id is not None else None
        if change.id is not None and obj is None:
            errors.append(FieldError("id", "error.not_found", row=n, record=record or spec.slug))
            continue
        if obj is not None and change.version is not None and obj.version != change.version:
            try:
                check_version(session, spec, obj, change.version)
            except StaleRecord as exc:
                stale.append((n, change.label, exc.by, [c.field for c in exc.changes]))
            continue
        row_system = {**(system or {}), **change.system}
        try:
            if change.delete:
                values: dict[str, Any] = {}
                if obj is not None:
                    errors.extend(_row_errors(_delete_errors(session, spec, obj), n, record or spec.slug))
            else:
                values = validate(session, actor, spec, change.values, existing=obj, system=row_system)
        except ValidationError as exc:
            errors.extend(_row_errors(exc.errors, n, record or spec.slug))
            continue
        planned.append((change, obj, values))
    if stale:
        raise StaleRows(stale)
    if errors:
        raise RowsRefused(errors, labels={f.key: f for f in spec.fields})
    return _apply_rows(session, actor, spec, planned, system)


def _row_errors(errors: list[FieldError], row: int, record: str) -> list[FieldError]:
    return [FieldError(e.field, e.key, e.params, row=row, record=record) for e in errors]


def _delete_errors(session: Session, spec: Spec, obj: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if spec.workflow is not None and spec.workflow.readonly(getattr(obj, spec.workflow.field)):
        errors.append(state_error(spec, getattr(obj, spec.workflow.field)))
    errors += _lock_errors(session, spec, values_of(spec, obj), None)
    return errors + _referred_errors(session, spec, obj.id)


def _rows_in_scope(session: Session, actor: Actor, spec: Spec, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    require(spec, actor, "view")
    stmt = select(spec.model).where(spec.model.id.in_(ids), spec.model.deleted_at.is_(None))
    return {obj.id: obj for obj in session.scalars(stmt.where(*_scope_clause(spec, actor, session)))}


def _apply_rows(
    session: Session,
    actor: Actor,
    spec: Spec,
    planned: list[tuple[RowChange, Any, dict[str, Any]]],
    system: Mapping[str, Any] | None,
) -> Saved:
    """Write the checked rows with one flush, then the audit entries."""
    saved = Saved()
    new, changed, removed = [], [], []
    for change, obj, values in planned:
        if change.delete:
            if obj is not None:
                with _hooks(session):
                    spec.before_delete(session, obj, actor)
                removed.append((obj, audit.snapshot(obj)))
                obj.deleted_at = clock.now()
            continue
        row_system = {**(system or {}), **change.system}
        if obj is None:
            new.append(_new(session, actor, spec, values, row_system))
        elif _changes(spec, obj, values, row_system):
            changed.append((obj, _changed(session, actor, spec, obj, values, row_system)))
        else:
            saved.unchanged += 1
            saved.ids.append(obj.id)
    _flush(session)
    for obj in new:
        _created(session, actor, spec, obj)
        saved.created += 1
        saved.ids.append(obj.id)
    for obj, before in changed:
        _updated(session, actor, spec, obj, before, "update")
        saved.updated += 1
        saved.ids.append(obj.id)
    for obj, before in removed:
        after = audit.snapshot(obj)
        audit.record(session, actor, "delete", spec.slug, obj.id, _org_id(spec, obj), before, after)
        spec.on_change(before, after, actor)
        saved.deleted += 1
    return saved


def save(
    session: Session,
    actor: Actor,
    spec: Spec,
    record_id: int | None,
    raw: Mapping[str, Any],
    *,
    expected_version: int | None = None,
    children: Mapping[str, list[RowChange]] | None = None,
) -> Any:
    """A record and its child rows (the spec's inlines) in one transaction: the parent is
    created or updated, then each child type's changes are applied with the link fields
    set from the parent. A refusal anywhere names the field (and the child row) and
    nothing is kept."""
    if record_id is None:
        obj = create(session, actor, spec, raw)
    elif raw:
        obj = update(session, actor, spec, record_id, raw, expected_version)
    else:  # only the children change: the parent is read, not written (its state may be read-only)
        obj = get(session, actor, spec, record_id)
    errors: list[FieldError] = []
    for inline in spec.inlines:
        rows = (children or {}).get(inline.spec)
        if not rows:
            continue
        child = registry.get(inline.spec)
        link = {child_field: getattr(obj, parent_field) for child_field, parent_field in inline.link}
        _check_children(session, child, inline, obj, rows, link)
        # A link field the child's users could type (its unit, its month) goes in as input, so
        # the child's own checks and defaults see it; a hidden one (a parent id) as a system value.
        typed = {f.key for f in child.writable_fields(creating=True)}
        for row in rows:
            if not row.delete:
                row.values = {**row.values, **{k: v for k, v in link.items() if k in typed}}
        try:
            save_rows(
                session,
                actor,
                child,
                rows,
                system={k: v for k, v in link.items() if k not in typed},
                record=inline.spec,
            )
        except RowsRefused as exc:
            errors.extend(exc.errors)
    if errors:
        raise RowsRefused(errors, labels={f.key: f for f in spec.fields})
    return obj


def _check_children(
    session: Session, child: Spec, inline: Inline, parent: Any, rows: list[RowChange], link: dict[str, Any]
) -> None:
    """A child row named by id must belong to this parent (no moving rows between
    parents by id), and the count stays within min_rows / max_rows."""
    ids = [r.id for r in rows if r.id is not None]
    if ids:
        stmt = select(child.model.id).where(
            child.model.id.in_(ids), *(getattr(child.model, k) == v for k, v in link.items())
        )
        mine = set(session.scalars(stmt))
        strays = [n for n, r in enumerate(rows, 1) if r.id is not None and r.id not in mine]
        if strays:
            raise RowsRefused(
                [FieldError("id", "error.not_found", row=n, record=inline.spec) for n in strays],
                labels={f.key: f for f in child.fields},
            )
    live = (
        session.scalar(
            select(func.count())
            .select_from(child.model)
            .where(child.model.deleted_at.is_(None), *(getattr(child.model, k) == v for k, v in link.items()))
        )
        or 0
    )
    after = live + sum(r.id is None and not r.delete for r in rows) - sum(r.delete for r in rows)
    if after < inline.min_rows or (inline.max_rows is not None and after > inline.max_rows):
        raise ValidationError(
            [FieldError(inline.spec, "validation.child_count", {"min": inline.min_rows, "max": inline.max_rows or "∞"})]
        )


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
