"""Indicators as data: what to count in which records, computed in SQL and rolled up the
org tree. Nobody types a percentage: actuals come from the records, rates from two
aggregations, coverage from the population denominators.

A definition is JSON, one of:
  {"kind": "aggregate", "record": "he_activities", "agg": "count",
   "filters": {"activity_type": "lecture"}}
  {"kind": "ratio", "numerator": {...aggregate...}, "denominator": {...}, "factor": 100}
  {"kind": "per_population", "numerator": {...}, "population": "resident", "factor": 100}
  {"kind": "figure", "name": "plans.reports_on_time", "factor": 100}: a figure an area
    computes for its own pages too (its manifest names it), as numerator / denominator
An aggregate is {"record", "agg": count|sum|distinct, "field" (for sum and distinct),
"filters": {field: value | [values] | {"not": [values]}}}. A record type that does not
exist yet (training, sanitation, plans) is allowed: the indicator reads as unavailable
until that record type lands.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from db.models import POPULATION_KINDS, Indicator, OrgUnit, OrgUnitPopulation
from portal import apps
from portal.errors import FieldError
from portal.org.scope import is_whole_tree, unit_paths
from portal.records import registry
from portal.records.fields import Choice, Field
from portal.records.spec import ALL, Permissions, RecordSpec

AGGS = ("count", "sum", "distinct")
KINDS = ("aggregate", "ratio", "per_population", "figure")
# One per programme area, from the manifests.
AREAS = tuple(Choice(m.area, m.title_zh, m.title_en) for m in apps.programmes() if m.area)
PERIOD_TYPES = (
    Choice("year", "年度", "Year"),
    Choice("half", "半年", "Half-year"),
    Choice("quarter", "季度", "Quarter"),
    Choice("month", "月度", "Month"),
    Choice("term", "学期", "School term"),
)
COMPARATORS = (Choice(">=", "不少于（≥）", "At least (≥)"), Choice("<=", "不超过（≤）", "At most (≤)"))


@dataclass(frozen=True)
class Aggregate:
    record: str
    agg: str = "count"
    field: str | None = None
    filters: dict[str, Any] = dc_field(default_factory=dict)


@dataclass(frozen=True)
class Definition:
    kind: str
    numerator: Aggregate | None
    denominator: Aggregate | None = None
    population: str | None = None
    factor: float = 1.0
    figure: str | None = None


def _aggregate(data: Any, where: str) -> Aggregate:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected an object")
    record, agg = data.get("record"), data.get("agg", "count")
    if not isinstance(record, str) or not record:
        raise ValueError(f"{where}: 'record' is required")
    if agg not in AGGS:
        raise ValueError(f"{where}: 'agg' must be one of {', '.join(AGGS)}")
    if agg != "count" and not data.get("field"):
        raise ValueError(f"{where}: '{agg}' needs a 'field'")
    filters = data.get("filters", {})
    if not isinstance(filters, dict):
        raise ValueError(f"{where}: 'filters' must be an object")
    aggregate = Aggregate(record, agg, data.get("field"), filters)
    _check_fields(aggregate, where)
    return aggregate


def _check_fields(aggregate: Aggregate, where: str) -> None:
    """Field names are checked when the record type exists; a pending type is allowed."""
    try:
        spec = registry.get(aggregate.record)
    except KeyError:
        return
    columns = set(spec.model.__table__.columns.keys())
    for name in [aggregate.field, *aggregate.filters]:
        if name and name not in columns:
            raise ValueError(f"{where}: {aggregate.record} has no field '{name}'")


def parse_definition(text: str | dict[str, Any]) -> Definition:
    """A Definition from JSON text, or ValueError saying what is wrong."""
    try:
        data = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    kind = data.get("kind", "aggregate")
    if kind not in KINDS:
        raise ValueError(f"'kind' must be one of {', '.join(KINDS)}")
    factor = data.get("factor", 1)
    if not isinstance(factor, (int, float)) or isinstance(factor, bool) or factor <= 0:
        raise ValueError("'factor' must be a positive number")
    if kind == "figure":
        name = data.get("name")
        if name not in apps.figure_names():
            raise ValueError(f"'name' must be one of {', '.join(apps.figure_names())}")
        return Definition(kind, None, factor=factor, figure=name)
    if kind == "aggregate":
        return Definition(kind, _aggregate(data.get("numerator", data), "aggregate"), factor=factor)
    numerator = _aggregate(data.get("numerator"), "numerator")
    if kind == "ratio":
        return Definition(kind, numerator, _aggregate(data.get("denominator"), "denominator"), factor=factor)
    if data.get("population") not in POPULATION_KINDS:
        raise ValueError(f"'population' must be one of {', '.join(POPULATION_KINDS)}")
    return Definition(kind, numerator, population=data["population"], factor=factor)


def definition_error(key: str, value: Any) -> FieldError | None:
    try:
        parse_definition(value)
    except ValueError as exc:
        return FieldError(key, "validation.definition", {"reason": str(exc)})
    return None


def profile_error(key: str, value: Any) -> FieldError | None:
    try:
        parse_profile(value)
    except ValueError:
        return FieldError(key, "validation.profile")
    return None


def parse_profile(text: str | None) -> list[tuple[int, float]]:
    """'pro_rata' (or blank) -> []; '6:30,9:80,12:100' -> [(6, 30.0), (9, 80.0), (12, 100.0)]:
    the share of the yearly target expected by the end of each month (001 篇七)."""
    if not text or text.strip() == "pro_rata":
        return []
    points = []
    for part in text.split(","):
        month, pct = part.split(":")
        points.append((int(month), float(pct)))
    if [m for m, _ in points] != sorted({m for m, _ in points}) or not all(
        1 <= m <= 12 and 0 <= p <= 100 for m, p in points
    ):
        raise ValueError(text)
    if [p for _, p in points] != sorted(p for _, p in points):
        raise ValueError(text)
    return points


# -- computation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRef:
    id: int
    path: str


@dataclass(frozen=True)
class Value:
    actual: float | None
    numerator: float | None = None
    denominator: float | None = None
    available: bool = True


UNAVAILABLE = Value(None, available=False)


def _filter_clauses(model: Any, filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    clauses = []
    for name, wanted in filters.items():
        column = getattr(model, name)
        if isinstance(wanted, dict) and "not" in wanted:
            clauses.append(column.not_in(list(wanted["not"])))
        elif isinstance(wanted, list):
            clauses.append(column.in_(wanted))
        else:
            clauses.append(column == wanted)
    return clauses


def _parts(aggregate: Aggregate) -> tuple[Any, Any, Any, list[ColumnElement[bool]]]:
    spec = registry.get(aggregate.record)
    model = spec.model
    if spec.org_field is None:  # county-wide reference data has no unit to count by
        raise ValueError(f"{aggregate.record} is not recorded per org unit")
    org_col = model.id if spec.org_field == "id" else getattr(model, spec.org_field)
    date_col = getattr(model, spec.date_field) if spec.date_field else None
    expr: ColumnElement[Any]
    if aggregate.agg == "count":
        expr = func.count(model.id)
    elif aggregate.field is None:  # parse_definition refuses this already
        raise ValueError(f"'{aggregate.agg}' needs a 'field'")
    elif aggregate.agg == "sum":
        expr = func.coalesce(func.sum(getattr(model, aggregate.field)), 0)
    else:
        expr = func.count(func.distinct(getattr(model, aggregate.field)))
    where = [model.deleted_at.is_(None), *_filter_clauses(model, aggregate.filters)]
    return org_col, date_col, expr, where


def month_bucket(session: Session, column: Any) -> Any:
    """'YYYY-MM' of a date column, in the dialect's own words."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _within(session: Session, org_col: Any, units: list[UnitRef]) -> list[ColumnElement[bool]]:
    """Only the rows under the requested units: a township's scorecard reads its own
    subtree's rows, not the county's."""
    if any(is_whole_tree(session, u.path) for u in units):
        return []
    tops = [u for u in units if not any(u.path != o.path and u.path.startswith(o.path) for o in units)]
    subtree = select(OrgUnit.id).where(or_(*(OrgUnit.path.startswith(u.path, autoescape=True) for u in tops)))
    return [org_col.in_(subtree)]


def _paths(session: Session) -> dict[int, str]:
    return unit_paths(session)


def _roll_up(per_leaf: dict[int, float], units: list[UnitRef], paths: dict[int, str]) -> dict[int, float]:
    """Sum leaf values into every requested unit whose subtree holds the leaf."""
    wanted = {u.id for u in units}
    totals: dict[int, float] = {u.id: 0.0 for u in units}
    for leaf, value in per_leaf.items():
        for part in (paths.get(leaf) or "").strip("/").split("/"):
            if part and int(part) in wanted:
                totals[int(part)] += float(value or 0)
    return totals


def aggregate_values(
    session: Session,
    aggregate: Aggregate,
    units: list[UnitRef],
    start: dt.date,
    end: dt.date,
    paths: dict[int, str] | None = None,
) -> dict[int, float] | None:
    """The aggregate for each unit's subtree over [start, end]; None when the record type
    does not exist yet."""
    try:
        org_col, date_col, expr, where = _parts(aggregate)
    except KeyError:
        return None
    if date_col is not None:
        where += [date_col >= start, date_col <= end]
    where += _within(session, org_col, units)
    if aggregate.agg == "distinct":  # distinct counts do not add up across children
        out = {}
        for unit in units:
            subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))
            out[unit.id] = float(session.scalar(select(expr).where(*where, org_col.in_(subtree))) or 0)
        return out
    per_leaf: dict[int, float] = dict(session.execute(select(org_col, expr).where(*where).group_by(org_col)).all())
    return _roll_up(per_leaf, units, paths or _paths(session))


def aggregate_series(
    session: Session,
    aggregate: Aggregate,
    units: list[UnitRef],
    start: dt.date,
    end: dt.date,
    paths: dict[int, str] | None = None,
) -> dict[int, dict[str, float]] | None:
    """Per unit, the aggregate for each month 'YYYY-MM' in [start, end] (one GROUP BY)."""
    try:
        org_col, date_col, expr, where = _parts(aggregate)
    except KeyError:
        return None
    if date_col is None or aggregate.agg == "distinct":
        raise ValueError("monthly series need a dated record type and an additive aggregate")
    bucket = month_bucket(session, date_col)
    rows = session.execute(
        select(org_col, bucket, expr)
        .where(*where, *_within(session, org_col, units), date_col >= start, date_col <= end)
        .group_by(org_col, bucket)
    ).all()
    by_month: dict[str, dict[int, float]] = defaultdict(dict)
    for leaf, month, value in rows:
        by_month[month][leaf] = value
    paths = paths or _paths(session)
    out: dict[int, dict[str, float]] = {u.id: {} for u in units}
    for month, per_leaf in by_month.items():
        for unit_id, total in _roll_up(per_leaf, units, paths).items():
            out[unit_id][month] = total
    return out


def populations(session: Session, units: list[UnitRef], year: int, kind: str) -> dict[int, float | None]:
    """Each unit's denominator for a year: its own latest figure up to that year, or else
    the sum of its children's (a township without a total still has its villages)."""
    rows = session.execute(
        select(OrgUnitPopulation.org_unit_id, OrgUnitPopulation.year, OrgUnitPopulation.value).where(
            OrgUnitPopulation.kind == kind, OrgUnitPopulation.year <= year
        )
    ).all()
    latest: dict[int, tuple[int, int]] = {}
    for unit_id, y, value in rows:
        if unit_id not in latest or y > latest[unit_id][0]:
            latest[unit_id] = (y, value)
    tree = session.execute(select(OrgUnit.id, OrgUnit.parent_id).where(OrgUnit.deleted_at.is_(None))).all()
    children: dict[int, list[int]] = defaultdict(list)
    for unit_id, parent in tree:
        if parent is not None:
            children[parent].append(unit_id)

    def figure(unit_id: int) -> float | None:
        if unit_id in latest:
            return float(latest[unit_id][1])
        parts = [f for f in (figure(c) for c in children[unit_id]) if f is not None]
        return sum(parts) if parts else None

    return {u.id: figure(u.id) for u in units}


def compute(
    session: Session, definition: Definition, units: list[UnitRef], start: dt.date, end: dt.date
) -> dict[int, Value]:
    """The indicator for each unit's subtree over [start, end]."""
    if definition.kind == "figure":
        found = apps.figure(definition.figure or "")(session, units, start, end)
        out_figure = {}
        for u in units:
            num, den = found.get(u.id, (0.0, 0.0))
            out_figure[u.id] = Value(num / den * definition.factor if den else None, num, den)
        return out_figure
    if definition.numerator is None:  # parse_definition gives every other kind one
        raise ValueError("a definition needs a numerator")
    paths = _paths(session)
    numerators = aggregate_values(session, definition.numerator, units, start, end, paths)
    if numerators is None:
        return {u.id: UNAVAILABLE for u in units}
    if definition.kind == "aggregate":
        return {u.id: Value(numerators[u.id] * definition.factor, numerators[u.id]) for u in units}
    denominators: Mapping[int, float | None] | None
    if definition.kind == "ratio":
        if definition.denominator is None:  # parse_definition refuses this already
            raise ValueError("a ratio needs a 'denominator'")
        denominators = aggregate_values(session, definition.denominator, units, start, end, paths)
        if denominators is None:
            return {u.id: UNAVAILABLE for u in units}
    else:
        denominators = populations(session, units, end.year, definition.population or "resident")
    out = {}
    for u in units:
        num, den = numerators[u.id], denominators.get(u.id)
        actual = num / den * definition.factor if den else None
        out[u.id] = Value(actual, num, den)
    return out


# -- the record type -----------------------------------------------------------------------


class IndicatorSpec(RecordSpec):
    """Indicators (考核指标): built-in templates from the seed work plans plus any a head
    defines; the definition says what to count."""

    slug = "indicators"
    model = Indicator
    title_zh, title_en = "考核指标", "Indicators"
    org_field = None
    fields = (
        Field("code", "text", "指标编码", "Code", required=True, max_length=20, create_only=True),
        Field("name_zh", "text", "指标名称", "Name (zh)", required=True, max_length=120, aliases=("名称",)),
        Field("name_en", "text", "英文名称", "Name (en)", required=True, max_length=120),
        Field("area", "choice", "业务领域", "Programme area", required=True, choices=AREAS),
        Field("unit_zh", "text", "单位", "Unit (zh)", max_length=20, default=""),
        Field("unit_en", "text", "英文单位", "Unit (en)", max_length=20, default=""),
        Field("comparator", "choice", "比较方式", "Comparator", required=True, choices=COMPARATORS, default=">="),
        Field("period_type", "choice", "考核周期", "Period", required=True, choices=PERIOD_TYPES, default="year"),
        Field(
            "definition",
            "longtext",
            "计算口径（JSON）",
            "Definition (JSON)",
            required=True,
            max_length=4000,
            validator=definition_error,
            help_zh='如 {"kind":"aggregate","record":"he_activities","agg":"count",'
            '"filters":{"activity_type":"lecture"}}',
            help_en='e.g. {"kind":"aggregate","record":"he_activities","agg":"count",'
            '"filters":{"activity_type":"lecture"}}',
        ),
        Field("default_target", "float", "默认目标值", "Default target", min=0),
        Field(
            "profile",
            "text",
            "进度要求",
            "Progress profile",
            max_length=60,
            default="pro_rata",
            validator=profile_error,
            help_zh="`pro_rata` 表示按时间均匀；或如 6:30,9:80,12:100（6月底30%…）",
            help_en="`pro_rata` for even progress, or e.g. 6:30,9:80,12:100",
        ),
        Field("source", "text", "依据", "Source", max_length=300),
        Field("active", "bool", "启用", "Active", default=True),
    )
    list_display = ("code", "name_zh", "area", "period_type", "comparator", "default_target", "active")
    list_filter = ("area", "period_type", "active")
    search_fields = ("code", "name_zh", "name_en", "source")
    ordering = ("code",)
    natural_key = ("code",)
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": frozenset({"admin", "head"}),
        "edit": frozenset({"admin", "head"}),
        "delete": frozenset({"admin"}),
        "export": ALL,
        "import": frozenset({"admin"}),
        "revert": frozenset({"admin", "head"}),
    }


def definition_of(indicator: Indicator) -> Definition:
    return parse_definition(indicator.definition)


def active_indicators(session: Session) -> list[Indicator]:
    return list(
        session.scalars(
            select(Indicator).where(Indicator.active.is_(True), Indicator.deleted_at.is_(None)).order_by(Indicator.code)
        )
    )
