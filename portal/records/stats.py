"""A statistics view per record type: counts or sums by period and by a choice, under the
same scope and filters as the list, computed in SQL (one GROUP BY) and drawn by
portal.charts.stats next to the table.

    stats = Stats(by=("activity_type", "org_unit_id"), measures=(Measure("count"), Measure("sum", "participants")))
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, literal
from sqlalchemy.orm import Session

from portal import periods
from portal.org.scope import Actor

if TYPE_CHECKING:
    from portal.records.service import Filters
    from portal.records.spec import RecordSpec

BUCKETS = ("month", "quarter", "year")


@dataclass(frozen=True)
class Measure:
    agg: str = "count"  # count | sum
    field: str | None = None
    zh: str = ""
    en: str = ""

    @property
    def key(self) -> str:
        return self.agg if self.field is None else f"{self.agg}:{self.field}"


@dataclass(frozen=True)
class Stats:
    by: tuple[str, ...] = ()
    measures: tuple[Measure, ...] = (Measure("count"),)
    date_field: str | None = None  # default: the spec's date_field


@dataclass(frozen=True)
class Point:
    period: str  # a period key: 2026-03, 2026Q1, 2026
    group: Any
    value: float


def query(
    session: Session,
    actor: Actor,
    spec: type[RecordSpec],
    filters: Filters | None,
    by: str | None,
    measure: Measure,
    bucket: str = "month",
) -> list[Point]:
    """The figures behind the statistics chart: one GROUP BY over the rows the list
    shows (same scope, same filters), by day and group, then summed into periods."""
    from portal.records import service

    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    service.require(spec, actor, "view")
    stats = spec.stats or Stats()
    date_key = stats.date_field or spec.date_field
    model = spec.model
    day = getattr(model, date_key or "created_at")
    if date_key is not None and spec.field(date_key).type == "datetime":
        day = func.date(day)
    group = getattr(model, by) if by else literal("")
    value = func.count() if measure.agg == "count" else func.coalesce(func.sum(getattr(model, measure.field or "")), 0)
    base = service.scoped(spec, actor, session=session).where(*service.filter_clauses(session, spec, filters))
    stmt = base.with_only_columns(day.label("day"), group.label("grp"), value.label("value")).group_by(day, group)
    totals: dict[tuple[str, Any], float] = defaultdict(float)
    for day_value, grp, amount in session.execute(stmt.order_by(None)):
        if day_value is None:
            continue
        when = day_value if isinstance(day_value, dt.date) else dt.date.fromisoformat(str(day_value)[:10])
        totals[(periods.containing(when, bucket), grp)] += float(amount or 0)
    return [Point(p, g, v) for (p, g), v in sorted(totals.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))]
