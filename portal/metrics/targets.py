"""Targets per indicator x org unit x period, and progress against them.

Progress is computed, never typed: actual from the records (portal.metrics.indicators), target
from the targets table (or the indicator's default), expected-by-today from the elapsed
share of the period or a milestone profile (30 % by June, 80 % by September, 100 % in
December: 001 篇七), and a traffic-light status.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models import Indicator, OrgUnit, Target
from portal import formatting, periods
from portal.errors import FieldError, PermissionDenied
from portal.metrics import indicators as ind
from portal.org.scope import Actor, get_unit_in_scope
from portal.records import service as records
from portal.records.fields import Field
from portal.records.grid import Cell, Pivot, Saved, pivot_changes
from portal.records.spec import ALL, HEADS, Permissions, RecordSpec

if TYPE_CHECKING:  # the row shapes only: importing portal.charts.progress at run time loads altair
    from portal.charts.progress import ProgressRow, ScoreCell


def _period_error(key: str, value: Any) -> FieldError | None:
    return periods.key_error(key, value)


class TargetSpec(RecordSpec):
    """Targets (目标): set by the unit above (下达), seen by the unit they are for."""

    slug = "targets"
    model = Target
    title_zh, title_en = "目标值", "Targets"
    fields = (
        Field(
            "indicator_code",
            "text",
            "指标编码",
            "Indicator",
            required=True,
            max_length=20,
            create_only=True,
            aliases=("指标",),
        ),
        Field(
            "org_unit_id", "org_unit", "机构", "Org unit", required=True, create_only=True, aliases=("单位", "机构编码")
        ),
        Field(
            "period",
            "text",
            "期间",
            "Period",
            required=True,
            max_length=10,
            create_only=True,
            validator=_period_error,
            help_zh="如 2026、2026Q1、2026-03",
            help_en="e.g. 2026, 2026Q1, 2026-03",
        ),
        Field("value", "float", "目标值", "Target", required=True, min=0, aliases=("目标",)),
        Field("note", "text", "说明", "Note", max_length=200, aliases=("备注",)),
    )
    list_display = ("indicator_code", "org_unit_id", "period", "value", "note")
    list_filter = ("org_unit_id",)
    search_fields = ("indicator_code", "period")
    ordering = ("indicator_code", "period", "org_unit_id")
    natural_key = ("indicator_code", "org_unit_id", "period")
    permissions: ClassVar[Permissions] = {
        "view": ALL,
        "create": HEADS,
        "edit": HEADS,
        "delete": HEADS,
        "export": ALL,
        "import": HEADS,
        "revert": HEADS,
    }

    @classmethod
    def clean(cls, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        # Targets come from above: a head sets them for the units below, not for itself.
        if not actor.sees_everything and values.get("org_unit_id") == actor.org_unit_id:
            return [FieldError("org_unit_id", "validation.target_own_unit")]
        return []

    @classmethod
    def clean_db(cls, session: Any, values: dict[str, Any], existing: Any | None, actor: Any) -> list[FieldError]:
        code, period = values.get("indicator_code"), values.get("period")
        indicator = session.scalar(select(Indicator).where(Indicator.code == code, Indicator.deleted_at.is_(None)))
        if indicator is None:
            return [FieldError("indicator_code", "validation.choice", {"value": code})]
        if periods.kind(period) not in (indicator.period_type, "month"):
            return [FieldError("period", "validation.period_kind", {"value": period, "kind": indicator.period_type})]
        return []


# -- expected by today and status ---------------------------------------------------------


def expected_share(period_key: str, today: dt.date, profile: str | None) -> float:
    """Share (0..1) of the target expected by the end of today."""
    points = ind.parse_profile(profile)
    if not points or periods.kind(period_key) != "year":
        return periods.elapsed_fraction(period_key, today)
    year = int(period_key)
    start, end = periods.bounds(period_key)
    if today < start:
        return 0.0
    if today >= end:
        return 1.0
    knots = [(start - dt.timedelta(days=1), 0.0)]
    knots += [(dt.date(year, m, _cal.monthrange(year, m)[1]), p / 100) for m, p in points]
    if knots[-1][0] < end:
        knots.append((end, 1.0))
    for (d0, s0), (d1, s1) in itertools.pairwise(knots):
        if today <= d1:
            return s0 + (s1 - s0) * (today - d0).days / max(1, (d1 - d0).days)
    return 1.0


def status_of(
    actual: float | None,
    target: float | None,
    expected: float | None,
    comparator: str,
    period_over: bool,
    available: bool = True,
) -> str:
    if not available:
        return "unavailable"
    if target is None:
        return "no_target"
    if actual is None:  # nothing to measure (no reports owed, no population): grey, never red
        return "no_data"
    value = actual
    if comparator == "<=":
        if value <= target:
            return "met" if period_over else "on_track"
        return "missed" if period_over else "behind"
    if value >= target:
        return "met"
    if period_over:
        return "missed"
    if value == 0 and (expected or 0) > 0:
        return "not_started"
    return "on_track" if value >= (expected or 0) else "behind"


# -- progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    indicator: str
    unit_id: int
    period: str
    actual: float | None
    target: float | None
    expected: float | None
    pct: float | None
    status: str
    numerator: float | None
    denominator: float | None
    available: bool


def indicator_period(indicator: Indicator, selected: str) -> str:
    """The indicator's own period that holds the end of the selected period (a yearly
    indicator viewed in November 2026 is judged on 2026 so far)."""
    if periods.kind(selected) == indicator.period_type:
        return selected
    return periods.containing(periods.bounds(selected)[1], indicator.period_type)


def targets_for(session: Session, indicator: Indicator, unit_ids: list[int], period: str) -> dict[int, float | None]:
    """Each unit's target: its own, set from above; else, for a count, what its children
    were set (a county's lectures are its townships' lectures); else the indicator's
    default, a norm per unit (4 lectures a year, coverage 50 %)."""
    children: dict[int | None, list[int]] = {}  # parent_id is nullable; the IN () leaves no None
    for child, parent in session.execute(
        select(OrgUnit.id, OrgUnit.parent_id).where(
            OrgUnit.parent_id.in_(unit_ids), OrgUnit.deleted_at.is_(None), OrgUnit.active.is_(True)
        )
    ):
        children.setdefault(parent, []).append(child)
    wanted = set(unit_ids) | {c for kids in children.values() for c in kids}
    own = dict(
        session.execute(
            select(Target.org_unit_id, Target.value).where(
                Target.indicator_code == indicator.code,
                Target.period == period,
                Target.org_unit_id.in_(wanted),
                Target.deleted_at.is_(None),
            )
        ).all()
    )
    default = indicator.default_target if periods.kind(period) == indicator.period_type else None
    additive = ind.definition_of(indicator).kind == "aggregate"
    out: dict[int, float | None] = {}
    for uid in unit_ids:
        set_below = [own[c] for c in children.get(uid, []) if c in own]
        if uid in own:
            out[uid] = own[uid]
        elif additive and set_below:
            out[uid] = float(sum(set_below))
        else:
            out[uid] = default
    return out


@dataclass(frozen=True)
class TargetOrigin:
    """Where a unit's target comes from, shown next to it: ``own`` (set for the unit),
    ``children`` (a count's targets set for the units below, added up), ``default`` (the
    indicator's norm) or ``none``; ``below`` is what the units below were set, added up,
    when the indicator adds up and some were set (so a difference from ``own`` shows)."""

    source: str
    below: float | None


def target_origin(session: Session, indicator: Indicator, unit_id: int, period: str) -> TargetOrigin:
    """The rule of targets_for, told for one unit."""
    kids = select(OrgUnit.id).where(
        OrgUnit.parent_id == unit_id, OrgUnit.deleted_at.is_(None), OrgUnit.active.is_(True)
    )
    rows = session.execute(
        select(Target.org_unit_id, Target.value).where(
            Target.indicator_code == indicator.code,
            Target.period == period,
            Target.deleted_at.is_(None),
            or_(Target.org_unit_id == unit_id, Target.org_unit_id.in_(kids)),
        )
    ).all()
    own = [v for uid, v in rows if uid == unit_id]
    below_values = [v for uid, v in rows if uid != unit_id]
    additive = ind.definition_of(indicator).kind == "aggregate"
    below = float(sum(below_values)) if additive and below_values else None
    if own:
        return TargetOrigin("own", below)
    if below is not None:
        return TargetOrigin("children", below)
    default = indicator.default_target if periods.kind(period) == indicator.period_type else None
    return TargetOrigin("default" if default is not None else "none", None)


def progress(
    session: Session, indicator: Indicator, units: list[ind.UnitRef], selected: str, today: dt.date
) -> list[Progress]:
    """One indicator for several units (one aggregation query, rolled up the tree)."""
    period = indicator_period(indicator, selected)
    start, end = periods.bounds(period)
    definition = ind.definition_of(indicator)
    values = ind.compute(session, definition, units, start, min(end, max(today, start)))
    targets = targets_for(session, indicator, [u.id for u in units], period)
    share = expected_share(period, today, indicator.profile)
    cumulative = definition.kind != "ratio"  # a rate is judged as it stands, not pro rata
    over = today >= end
    out = []
    for u in units:
        v, target = values[u.id], targets[u.id]
        expected = (target * share if cumulative else target) if target is not None else None
        pct = (v.actual / target * 100) if (v.actual is not None and target) else None
        out.append(
            Progress(
                indicator.code,
                u.id,
                period,
                v.actual,
                target,
                expected,
                pct,
                status_of(v.actual, target, expected, indicator.comparator, over, v.available),
                v.numerator,
                v.denominator,
                v.available,
            )
        )
    return out


def scorecard(
    session: Session, indicator_list: list[Indicator], units: list[ind.UnitRef], selected: str, today: dt.date
) -> list[Progress]:
    return [p for indicator in indicator_list for p in progress(session, indicator, units, selected, today)]


def cumulative_series(
    session: Session, indicator: Indicator, unit: ind.UnitRef, selected: str, today: dt.date
) -> tuple[list[tuple[dt.date, float]], list[tuple[dt.date, float]], list[tuple[dt.date, float, int]], float | None]:
    """Month-end cumulative actuals up to today, the expected line, milestone points
    (date, value, month) and the target, for an additive indicator."""
    period = indicator_period(indicator, selected)
    start, end = periods.bounds(period)
    definition = ind.definition_of(indicator)
    target = targets_for(session, indicator, [unit.id], period)[unit.id]
    if definition.kind in ("ratio", "figure") or definition.numerator is None:
        return [], [], [], target  # a rate has no running total to draw
    series = ind.aggregate_series(session, definition.numerator, [unit], start, end) or {unit.id: {}}
    denominator = 1.0
    if definition.kind == "per_population":
        denominator = ind.populations(session, [unit], end.year, definition.population or "resident")[unit.id] or 0
    actual, running = [], 0.0
    for month in periods.months(period):
        month_end = periods.bounds(month)[1]
        if periods.bounds(month)[0] > today:
            break
        running += series[unit.id].get(month, 0.0)
        value = running / denominator * definition.factor if denominator else 0.0
        actual.append((min(month_end, today), value))
    expected = []
    if target is not None:
        for month in periods.months(period):
            day = periods.bounds(month)[1]
            expected.append((day, target * expected_share(period, day, indicator.profile)))
    milestones = (
        [
            (dt.date(int(period), m, _cal.monthrange(int(period), m)[1]), (target or 0) * p / 100, m)
            for m, p in ind.parse_profile(indicator.profile)
        ]
        if periods.kind(period) == "year"
        else []
    )
    return actual, expected, milestones, target


# -- assignment (下达) -----------------------------------------------------------------------


HAND_DOWN = Pivot(row="org_unit_id", column="period", value="value", shared=("indicator_code",))


def target_cells(session: Session, code: str, unit_ids: list[int], keys: list[str]) -> dict[tuple[int, str], Cell]:
    """The live targets of these units and periods, as the hand-down grid's cells."""
    if not unit_ids or not keys:
        return {}
    rows = session.scalars(
        select(Target).where(
            Target.indicator_code == code,
            Target.org_unit_id.in_(unit_ids),
            Target.period.in_(keys),
            Target.deleted_at.is_(None),
        )
    )
    return {(t.org_unit_id, t.period): Cell(t.id, t.version, t.value) for t in rows}


def hand_down(
    session: Session,
    actor: Actor,
    indicator_code: str,
    edited: dict[tuple[int, str], float | None],
    cells: dict[tuple[int, str], Cell] | None = None,
    labels: dict[int, str] | None = None,
) -> Saved:
    """下达: the edited cells of the units × periods grid as one grid save — every changed
    target created, changed or cleared in one transaction, each version checked against
    what the head was looking at (``cells``), one audit entry per target. A cell whose
    target was cleared before comes back from the trash rather than twice."""
    if actor.role not in HEADS:
        raise PermissionDenied("error.permission")
    if cells is None:
        units = sorted({u for u, _ in edited})
        cells = target_cells(session, indicator_code, units, sorted({p for _, p in edited}))
    for (unit_id, period), value in edited.items():
        if value is not None and (unit_id, period) not in cells:
            trashed = _find(session, indicator_code, unit_id, period)
            if trashed is not None and trashed.deleted_at is not None:
                restored = records.restore(session, actor, TargetSpec, trashed.id)
                cells = {**cells, (unit_id, period): Cell(restored.id, restored.version, restored.value)}
    changes = pivot_changes(HAND_DOWN, {"indicator_code": indicator_code}, cells, edited, labels)
    for change in changes:  # a new target is typed by its unit and period: they are input, not links
        if change.id is None:
            change.values = {**change.system, **change.values}
            change.system = {}
    return records.save_rows(session, actor, TargetSpec, changes)


def assign(
    session: Session,
    actor: Actor,
    indicator_code: str,
    period: str,
    values: dict[int, float | None],
    split_months: bool = False,
) -> dict[str, int]:
    """Set (or clear, with None) the targets of several units for one period, in one grid
    save. With split_months a yearly target also becomes twelve equal monthly targets."""
    edited: dict[tuple[int, str], float | None] = {}
    for unit_id, value in values.items():
        edited[(unit_id, period)] = value
        if periods.kind(period) == "year" and (split_months or value is None):
            for month in periods.months(period):
                if value is None:
                    edited[(unit_id, month)] = None
                else:
                    edited[(unit_id, month)] = round(value / 12, 2)
    saved = hand_down(session, actor, indicator_code, edited)
    return {"created": saved.created, "updated": saved.updated, "deleted": saved.deleted, "unchanged": saved.unchanged}


def _find(session: Session, code: str, unit_id: int, period: str) -> Target | None:
    return session.scalar(
        select(Target).where(Target.indicator_code == code, Target.org_unit_id == unit_id, Target.period == period)
    )


# -- what the Targets page shows (Streamlit-free, so it is tested without a browser) ------


@dataclass(frozen=True)
class UnitView:
    ref: ind.UnitRef
    name_zh: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


def unit_and_children(session: Session, actor: Actor, unit_id: int) -> tuple[UnitView, list[UnitView]]:
    """The selected unit (in scope) and the active units directly below it."""
    from db.models import ORG_UNIT_TYPES

    unit = get_unit_in_scope(session, actor, unit_id)
    rows = sorted(
        session.scalars(
            select(OrgUnit).where(OrgUnit.parent_id == unit.id, OrgUnit.active.is_(True), OrgUnit.deleted_at.is_(None))
        ),
        key=lambda u: (ORG_UNIT_TYPES.index(u.type), u.code),
    )  # offices, townships, schools

    def view(u: OrgUnit) -> UnitView:
        return UnitView(ind.UnitRef(u.id, u.path), u.name_zh, u.name_en)

    return view(unit), [view(u) for u in rows]


def indicator_name(indicator: Indicator, lang: str) -> str:
    return indicator.name_en if lang == "en" else indicator.name_zh


def unit_label(indicator: Indicator, lang: str) -> str:
    return (indicator.unit_en if lang == "en" else indicator.unit_zh) or ""


def chart_rows(rows: list[Progress], names: dict[int, str], indicator: Indicator, lang: str) -> list[ProgressRow]:
    """Progress rows in the shape portal.charts.progress.bullet_chart reads."""
    return [
        {
            "label": names[p.unit_id],
            "actual": p.actual or 0.0,
            "target": p.target,
            "expected": p.expected,
            "pct": p.pct,
            "status": "no_target" if p.status == "unavailable" else p.status,
            "unit": unit_label(indicator, lang),
            "comparator": indicator.comparator,
        }
        for p in rows
    ]


def score_cells(rows: list[Progress], names: dict[int, str], labels: dict[str, str]) -> list[ScoreCell]:

    cells: list[ScoreCell] = []
    for p in rows:
        actual = round(p.actual, 1) if p.actual is not None else None
        text = formatting.number(actual) + (f"/{formatting.number(p.target)}" if p.target is not None else "")
        cells.append(
            {
                "unit": names[p.unit_id],
                "indicator": labels[p.indicator],
                "status": "no_target" if p.status == "unavailable" else p.status,
                "pct": p.pct,
                "text": text,
            }
        )
    return cells


def drill_filters(indicator: Indicator, unit_id: int, selected: str) -> tuple[str, dict[str, Any], tuple[Any, Any]]:
    """What lies behind a number: the numerator's record type, its field filters (as the
    engine's Filters.values) with the unit's subtree, and the period's date range."""
    definition = ind.definition_of(indicator)
    period = indicator_period(indicator, selected)
    start, end = periods.bounds(period)
    values: dict[str, Any] = {}
    numerator = definition.numerator
    if numerator is None:  # a figure: the records behind it are its area's own page
        return "", values, (start, end)
    for name, wanted in numerator.filters.items():
        if isinstance(wanted, dict):
            continue  # "not in" filters are not offered by the table's filter set
        values[name] = wanted if isinstance(wanted, list) else [wanted]
    return numerator.record, values, (start, end)
