"""Org units: one tree, read and changed only within the actor's subtree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from db.models import ORG_UNIT_TYPES, POPULATION_KINDS, OrgUnit, OrgUnitPopulation
from portal import cache
from portal.errors import FieldError, NotFound, ValidationError
from portal.i18n import t
from portal.org.scope import Actor, get_unit_in_scope, org_filter, require_role
from portal.records import audit
from portal.records import service as records
from portal.records.fields import Choice, Field
from portal.records.spec import ALL, Permissions, RecordSpec
from portal.records.validators import CODE_RE, choice, pattern, raise_if_any

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
    resident population and student count of each unit; without inactive units when
    asked (an active unit under an inactive one keeps its place). Read once per rerun:
    the sidebar, the record screens and the pages share one answer."""
    key = ("org_tree", actor.org_path, actor.sees_everything)
    rows, paths = cache.memo(key, lambda: cache.figures(session, key, lambda: _tree(session, actor)))
    for unit_id, path in paths:
        cache.remember(("unit_path", unit_id), path)
    return [u for u in rows if u.active or include_inactive]


def _tree(session: Session, actor: Actor) -> tuple[tuple[UnitRow, ...], tuple[tuple[int, str], ...]]:
    """The rows and each unit's path. Kept across reruns in the figures cache: every
    change to a unit or its figures is an audited write, which advances the version."""
    latest = (
        select(
            OrgUnitPopulation.org_unit_id,
            OrgUnitPopulation.kind,
            func.max(OrgUnitPopulation.year).label("year"),
        )
        .group_by(OrgUnitPopulation.org_unit_id, OrgUnitPopulation.kind)
        .subquery()
    )
    pops = select(
        OrgUnitPopulation.org_unit_id, OrgUnitPopulation.kind, OrgUnitPopulation.year, OrgUnitPopulation.value
    ).join(
        latest,
        (latest.c.org_unit_id == OrgUnitPopulation.org_unit_id)
        & (latest.c.kind == OrgUnitPopulation.kind)
        & (latest.c.year == OrgUnitPopulation.year),
    )
    stmt = select(OrgUnit).where(org_filter(actor), OrgUnit.deleted_at.is_(None)).order_by(OrgUnit.path)
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
        rows.append(
            UnitRow(
                u.id,
                u.code,
                u.name_zh,
                u.name_en,
                u.type,
                u.parent_id,
                u.path.count("/") - base_depth,
                u.active,
                resident[1] if resident else None,
                resident[0] if resident else None,
                students[1] if students else None,
            )
        )
    return tuple(rows), tuple((u.id, u.path) for u in units)


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
        for child in sorted(children.get(parent, []), key=lambda x: (ORG_UNIT_TYPES.index(x.type), x.code)):
            ordered.append(child)
            walk(child.id)

    walk(None)
    return ordered


def get(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    return get_unit_in_scope(session, actor, unit_id)


def by_code(session: Session, actor: Actor, code: str) -> OrgUnit:
    unit = session.scalar(
        select(OrgUnit).where(OrgUnit.code == code, OrgUnit.deleted_at.is_(None)).where(org_filter(actor))
    )
    if unit is None:
        raise NotFound("error.unit_code_not_found", code=code)
    return unit


def _due_rule_error(key: str, value: Any) -> FieldError | None:
    from portal.org.calendars import MAX_DAY_RULE, MAX_WORKDAY_RULE, valid_rule  # calendars imports the engine too

    if valid_rule(value):
        return None
    return FieldError(key, "validation.due_rule", {"value": value, "days": MAX_DAY_RULE, "workdays": MAX_WORKDAY_RULE})


def _type_choices() -> tuple[Choice, ...]:
    return tuple(Choice(v, t(f"orgtype.{v}", "zh-CN"), t(f"orgtype.{v}", "en")) for v in ORG_UNIT_TYPES)


class OrgUnitSpec(RecordSpec):
    """Org units: the one tree every record hangs from."""

    slug = RECORD_TYPE
    model = OrgUnit
    title_zh, title_en = "机构", "Org units"
    fields = (
        Field(
            "code",
            "text",
            "编码",
            "Code",
            required=True,
            max_length=32,
            validator=lambda key, v: pattern(key, v, CODE_RE, "validation.code"),
            help_zh="字母、数字、点、横线或下划线，全县唯一",
            help_en="Letters, digits, . - _; unique",
            aliases=("机构编码", "单位编码"),
        ),
        Field(
            "name_zh",
            "text",
            "中文名称",
            "Chinese name",
            required=True,
            max_length=120,
            aliases=("名称", "机构名称", "单位名称"),
        ),
        Field("name_en", "text", "英文名称", "English name", max_length=120, default=""),
        Field("type", "choice", "类型", "Type", required=True, choices=_type_choices(), aliases=("机构类型",)),
        Field(
            "parent_id",
            "org_unit",
            "上级机构",
            "Parent unit",
            create_only=True,
            help_zh="导入时填写上级机构编码",
            help_en="In imports: the parent's code",
            aliases=("上级", "上级编码", "parent"),
        ),
        Field("active", "bool", "启用", "Active", default=True, aliases=("状态",)),
        Field(
            "report_due_rule",
            "text",
            "月报上报时限",
            "Monthly report due",
            max_length=20,
            default="workday:5",
            validator=_due_rule_error,
            aliases=("上报时限",),
            help_zh="workday:5 = 次月第5个工作日；day:2 = 次月2日；month_end = 当月最后一天",
            help_en="workday:5 = 5th working day of next month; day:2 = the 2nd; month_end = the month's last day",
        ),
    )
    list_display = ("code", "name_zh", "name_en", "type", "parent_id", "active")
    list_filter = ("type", "active")
    search_fields = ("code", "name_zh", "name_en")
    ordering = ("path",)  # parents before children: an export imports back in one pass
    natural_key = ("code",)
    org_field = "id"
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": frozenset({"admin", "head"}),
        "edit": frozenset({"admin", "head"}),
        "delete": frozenset({"admin"}),
        "export": frozenset({"admin", "head"}),
        "import": frozenset({"admin"}),
        "revert": frozenset({"admin", "head"}),
    }

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        errors = []
        if existing is None and values.get("parent_id") is None and not actor.sees_everything:
            errors.append(FieldError("parent_id", "validation.required"))
        # A unit's deadline is set from above (the head who reviews its reports), never by
        # the unit's own head; scope already keeps everyone else out.
        if (
            existing is not None
            and not actor.sees_everything
            and existing.id == actor.org_unit_id
            and values.get("report_due_rule") != existing.report_due_rule
        ):
            errors.append(FieldError("report_due_rule", "validation.due_rule_not_above"))
        return errors

    @classmethod
    def after_save(cls, session: Any, obj: Any, creating: bool, actor: Any) -> None:
        if creating:
            # The path needs the new id. Written directly, not as an ORM change, so the
            # create stays one version (an ORM update would make it version 2).
            parent = session.get(OrgUnit, obj.parent_id) if obj.parent_id else None
            path = f"{parent.path if parent else '/'}{obj.id}/"
            session.execute(sql_update(OrgUnit).where(OrgUnit.id == obj.id).values(path=path))
            set_committed_value(obj, "path", path)

    @classmethod
    def before_delete(cls, session: Any, obj: Any, actor: Any) -> None:
        from db.models import User  # local: users imports this module

        children = session.scalar(
            select(func.count()).select_from(OrgUnit).where(OrgUnit.parent_id == obj.id, OrgUnit.deleted_at.is_(None))
        )
        members = session.scalar(
            select(func.count()).select_from(User).where(User.org_unit_id == obj.id, User.deleted_at.is_(None))
        )
        if children or members:
            raise ValidationError([FieldError("code", "validation.unit_in_use", {"units": children, "users": members})])


def create(session: Session, actor: Actor, data: dict[str, Any]) -> OrgUnit:
    """A new unit under a parent the actor can see (only an admin may add a root)."""
    return records.create(session, actor, OrgUnitSpec, data)


def update(
    session: Session, actor: Actor, unit_id: int, changes: dict[str, Any], expected_version: int | None = None
) -> OrgUnit:
    """Rename, retype or (de)activate a unit in scope; moving units is not offered yet."""
    return records.update(session, actor, OrgUnitSpec, unit_id, changes, expected_version)


def set_population(session: Session, actor: Actor, unit_id: int, year: int, kind: str, value: int) -> OrgUnitPopulation:
    require_role(actor, *EDITOR_ROLES)
    unit = get_unit_in_scope(session, actor, unit_id)
    errors = [choice("kind", kind, POPULATION_KINDS)]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append(FieldError("value", "validation.min", {"min": 0}))
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors.append(FieldError("year", "validation.range", {"min": 2000, "max": 2100}))
    raise_if_any(errors)
    row = session.scalar(
        select(OrgUnitPopulation).where(
            OrgUnitPopulation.org_unit_id == unit.id, OrgUnitPopulation.year == year, OrgUnitPopulation.kind == kind
        )
    )
    before = {"year": year, "kind": kind, "value": row.value} if row else None
    if row is None:
        row = OrgUnitPopulation(org_unit_id=unit.id, year=year, kind=kind, value=value)
        session.add(row)
    else:
        row.value = value
    session.flush()
    audit.record(
        session,
        actor,
        "update" if before else "create",
        "org_unit_populations",
        row.id,
        unit.id,
        before,
        {"year": year, "kind": kind, "value": value},
    )
    return row
