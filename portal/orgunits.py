"""Org units: one tree, read and changed only within the actor's subtree."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ORG_UNIT_TYPES, POPULATION_KINDS, OrgUnit, OrgUnitPopulation
from portal import audit
from portal.errors import FieldError, NotFound, StaleEdit, ValidationError
from portal.scope import Actor, get_unit_in_scope, org_filter, require_role
from portal.validation import CODE_RE, choice, pattern, raise_if_any, required_text

RECORD_TYPE = "org_units"
EDITOR_ROLES = ("admin", "head")


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name_zh: str
    name_en: str
    type: str
    parent_id: int | None
    depth: int
    active: bool
    population: int | None  # the latest year's resident population
    population_year: int | None
    students: int | None


def tree(session: Session, actor: Actor, include_inactive: bool = True) -> list[UnitRow]:
    """The actor's subtree in tree order (parents before children), with the latest
    resident population and student count of each unit."""
    latest = (
        select(
            OrgUnitPopulation.org_unit_id,
            OrgUnitPopulation.kind,
            func.max(OrgUnitPopulation.year).label("year"),
        )
        .group_by(OrgUnitPopulation.org_unit_id, OrgUnitPopulation.kind)
        .subquery()
    )
    pops = (
        select(OrgUnitPopulation.org_unit_id, OrgUnitPopulation.kind,
               OrgUnitPopulation.year, OrgUnitPopulation.value)
        .join(latest, (latest.c.org_unit_id == OrgUnitPopulation.org_unit_id)
              & (latest.c.kind == OrgUnitPopulation.kind)
              & (latest.c.year == OrgUnitPopulation.year))
    )
    stmt = select(OrgUnit).where(org_filter(actor)).order_by(OrgUnit.path)
    if not include_inactive:
        stmt = stmt.where(OrgUnit.active.is_(True))
    units = list(session.scalars(stmt))
    ids = {u.id for u in units}
    figures: dict[tuple[int, str], tuple[int, int]] = {}
    for unit_id, kind, year, value in session.execute(pops):
        if unit_id in ids:
            figures[(unit_id, kind)] = (year, value)
    base_depth = min((u.path.count("/") for u in units), default=0)
    rows = []
    for u in _tree_order(units):
        resident = figures.get((u.id, "resident"))
        students = figures.get((u.id, "students"))
        rows.append(UnitRow(
            u.id, u.code, u.name_zh, u.name_en, u.type, u.parent_id,
            u.path.count("/") - base_depth, u.active,
            resident[1] if resident else None, resident[0] if resident else None,
            students[1] if students else None,
        ))
    return rows


def _tree_order(units: list[OrgUnit]) -> list[OrgUnit]:
    """Depth-first order; siblings by kind of unit (offices before townships before
    schools), then code. Path order would sort ids as text."""
    children: dict[int | None, list[OrgUnit]] = {}
    ids = {u.id for u in units}
    for u in units:
        parent = u.parent_id if u.parent_id in ids else None
        children.setdefault(parent, []).append(u)
    ordered: list[OrgUnit] = []

    def walk(parent: int | None) -> None:
        for child in sorted(children.get(parent, []),
                            key=lambda x: (ORG_UNIT_TYPES.index(x.type), x.code)):
            ordered.append(child)
            walk(child.id)

    walk(None)
    return ordered


def get(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    return get_unit_in_scope(session, actor, unit_id)


def by_code(session: Session, actor: Actor, code: str) -> OrgUnit:
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code).where(org_filter(actor)))
    if unit is None:
        raise NotFound("error.unit_code_not_found", code=code)
    return unit


def _validate(session: Session, data: dict[str, Any], unit_id: int | None = None) -> None:
    data["code"] = data["code"].strip() if isinstance(data.get("code"), str) else data.get("code")
    raise_if_any([
        pattern("code", data.get("code"), CODE_RE, "validation.code"),
        required_text("name_zh", data.get("name_zh"), 120),
        choice("type", data.get("type"), ORG_UNIT_TYPES),
    ])
    clash = session.scalar(select(OrgUnit.id).where(OrgUnit.code == data["code"]))
    if clash is not None and clash != unit_id:
        raise ValidationError([FieldError("code", "validation.unique", {"value": data["code"]})])


def create(session: Session, actor: Actor, data: dict[str, Any]) -> OrgUnit:
    """A new unit under a parent the actor can see (only an admin may add a root)."""
    require_role(actor, *EDITOR_ROLES)
    parent_id = data.get("parent_id")
    if parent_id is None:
        require_role(actor, "admin")
        parent = None
    else:
        parent = get_unit_in_scope(session, actor, parent_id)
    _validate(session, data)
    unit = OrgUnit(
        code=data["code"].strip(),
        name_zh=data["name_zh"].strip(),
        name_en=(data.get("name_en") or "").strip(),
        type=data["type"],
        parent_id=parent.id if parent else None,
        active=data.get("active", True),
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    audit.record(session, actor, "create", RECORD_TYPE, unit.id, unit.id, None, audit.snapshot(unit))
    return unit


def update(session: Session, actor: Actor, unit_id: int, changes: dict[str, Any],
           expected_version: int | None = None) -> OrgUnit:
    """Rename, retype or (de)activate a unit in scope; moving units is not offered yet."""
    require_role(actor, *EDITOR_ROLES)
    unit = get_unit_in_scope(session, actor, unit_id)
    if expected_version is not None and unit.version != expected_version:
        raise StaleEdit("error.stale")
    before = audit.snapshot(unit)
    allowed = {"code", "name_zh", "name_en", "type", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError([FieldError(sorted(unknown)[0], "validation.readonly")])
    merged = {**before, **changes}
    _validate(session, merged, unit.id)
    for key, value in changes.items():
        setattr(unit, key, value.strip() if isinstance(value, str) else value)
    session.flush()
    audit.record(session, actor, "update", RECORD_TYPE, unit.id, unit.id, before, audit.snapshot(unit))
    return unit


def set_population(session: Session, actor: Actor, unit_id: int, year: int, kind: str,
                   value: int) -> OrgUnitPopulation:
    require_role(actor, *EDITOR_ROLES)
    unit = get_unit_in_scope(session, actor, unit_id)
    errors = [choice("kind", kind, POPULATION_KINDS)]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append(FieldError("value", "validation.min", {"min": 0}))
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors.append(FieldError("year", "validation.range", {"min": 2000, "max": 2100}))
    raise_if_any(errors)
    row = session.scalar(select(OrgUnitPopulation).where(
        OrgUnitPopulation.org_unit_id == unit.id, OrgUnitPopulation.year == year,
        OrgUnitPopulation.kind == kind))
    before = {"year": year, "kind": kind, "value": row.value} if row else None
    if row is None:
        row = OrgUnitPopulation(org_unit_id=unit.id, year=year, kind=kind, value=value)
        session.add(row)
    else:
        row.value = value
    session.flush()
    audit.record(session, actor, "update" if before else "create", "org_unit_populations",
                 row.id, unit.id, before, {"year": year, "kind": kind, "value": value})
    return row
