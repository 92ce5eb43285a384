"""Built-in indicator templates: the helpers each area's templates are written with, and
the loader that puts every area's templates (from the manifests) into the table.

Each template carries its source (seed file and quote), shown as help text. They are
loaded once (``ensure_builtin``) and then belong to the office: heads edit targets, names
and even definitions. Templates over record types that do not exist yet compute as soon
as those record types land.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Indicator
from portal import apps
from portal.org.scope import SYSTEM
from portal.records import audit


def agg(record: str, agg: str = "count", field: str | None = None, **filters: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"record": record, "agg": agg}
    if field:
        out["field"] = field
    if filters:
        out["filters"] = filters
    return out


def count(record: str, **filters: Any) -> dict[str, Any]:
    return {"kind": "aggregate", **agg(record, **filters)}


def ratio(num: dict[str, Any], den: dict[str, Any], factor: float = 100) -> dict[str, Any]:
    return {"kind": "ratio", "numerator": num, "denominator": den, "factor": factor}


def template(
    code: str,
    area: str,
    zh: str,
    en: str,
    unit: tuple[str, str],
    period: str,
    definition: dict[str, Any],
    target: float | None,
    source: str,
    comparator: str = ">=",
    profile: str = "pro_rata",
) -> dict[str, Any]:
    return dict(
        code=code,
        area=area,
        name_zh=zh,
        name_en=en,
        unit_zh=unit[0],
        unit_en=unit[1],
        period_type=period,
        definition=json.dumps(definition, ensure_ascii=False),
        default_target=target,
        source=source,
        comparator=comparator,
        profile=profile,
    )


TIMES, PCT, HOURS = ("次", "times"), ("%", "%"), ("学时", "hours")


def builtin() -> tuple[dict[str, Any], ...]:
    """Every area's templates, in manifest order; a code used twice is an error."""
    found: list[dict[str, Any]] = []
    for manifest in apps.manifests():
        if manifest.indicators:
            found.extend(apps.load(manifest.indicators))
    codes = [t["code"] for t in found]
    if len(set(codes)) != len(codes):
        raise ValueError(f"indicator template codes repeat: {sorted(c for c in codes if codes.count(c) > 1)}")
    return tuple(found)


def ensure_builtin(session: Session) -> int:
    """Add the built-in templates missing from the table (by code); existing rows, which
    the office may have edited, are left alone."""
    have = set(session.scalars(select(Indicator.code)))
    added = 0
    for template in builtin():
        if template["code"] not in have:
            audit.created(session, SYSTEM, "indicators", Indicator(**template, builtin=True, active=True))
            added += 1
    return added
