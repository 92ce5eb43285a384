"""The sanitation benchmark (called by ``python -m portal.bench``): N item scores, ten a
scored inspection, over a year-long county campaign whose zones are the county's villages
and classrooms (bulk-inserted, as the activities are); then the county head's ranking of
a term (every zone of the campaign) and the county-wide heat map of a month (points lost
per checklist item × zone)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import Engine, insert, text

from db.engine import transaction
from db.models import (
    SanitationCampaign,
    SanitationChecklist,
    SanitationChecklistItem,
    SanitationInspection,
    SanitationItemScore,
    SanitationZone,
)
from portal import clock
from portal.org.scope import Actor
from portal.programmes.sanitation import view as sv
from portal.timing import timed

ITEMS = 10  # per checklist, 10 points each
YEAR = 2026
TERM = (dt.date(2026, 9, 1), dt.date(2027, 1, 31))  # the autumn term
MONTH = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
BATCH = 5000  # inspections per insert


def generate(engine: Engine, ids: dict[str, int], scores: int, seed: int = 13) -> int:
    """A county campaign over 2026-2027 with a zone per village and classroom, and
    ``scores // ITEMS`` inspections spread over it; returns the campaign's id."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not a secret
    now = clock.now()
    stamp = {"version": 1, "created_at": now, "updated_at": now}
    owners = [i for code, i in ids.items() if "v" in code[1:] or code.startswith("school-c")]
    with transaction(engine) as s:
        checklist = s.execute(
            insert(SanitationChecklist).returning(SanitationChecklist.id),
            [{"name": "基准细则", "target_type": "village", **stamp}],
        ).scalar_one()
        items = list(
            s.execute(
                insert(SanitationChecklistItem).returning(SanitationChecklistItem.id),
                [
                    {"checklist_id": checklist, "seq": n, "criterion": f"细则第{n}条", "max_points": 10.0, **stamp}
                    for n in range(1, ITEMS + 1)
                ],
            ).scalars()
        )
        campaign = s.execute(
            insert(SanitationCampaign).returning(SanitationCampaign.id),
            [
                {
                    "org_unit_id": ids["county"],
                    "name": "基准爱国卫生运动",
                    "campaign_type": "patriotic_month",
                    "start_date": dt.date(YEAR, 1, 1),
                    "end_date": dt.date(YEAR + 1, 1, 31),
                    "checklist_id": checklist,
                    **stamp,
                }
            ],
        ).scalar_one()
        zones = list(
            s.execute(
                insert(SanitationZone).returning(SanitationZone.id, SanitationZone.org_unit_id),
                [
                    {"org_unit_id": unit, "name": f"区域{n}", "zone_type": "village", **stamp}
                    for n, unit in enumerate(owners)
                ],
            ).all()
        )
    days = (dt.date(YEAR + 1, 1, 31) - dt.date(YEAR, 1, 1)).days + 1
    inspections = max(1, scores // ITEMS)
    for first in range(0, inspections, BATCH):
        with transaction(engine) as s:
            batch = []
            for _ in range(first, min(first + BATCH, inspections)):
                zone, unit = rng.choice(zones)
                points = [10.0 - rng.choice((0, 0, 0, 0, 1, 2)) for _ in range(ITEMS)]
                batch.append(
                    (
                        {
                            "org_unit_id": unit,
                            "campaign_id": campaign,
                            "zone_id": zone,
                            "checklist_id": checklist,
                            "inspection_date": dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(days)),
                            "inspection_type": "weekly",
                            "score": sum(points),
                            "max_score": 10.0 * ITEMS,
                            "score_pct": sum(points),
                            **stamp,
                        },
                        points,
                    )
                )
            made = list(
                s.execute(insert(SanitationInspection).returning(SanitationInspection.id), [b[0] for b in batch])
                .scalars()
                .all()
            )
            s.execute(
                insert(SanitationItemScore),
                [
                    {
                        "org_unit_id": row["org_unit_id"],
                        "inspection_id": inspection,
                        "item_id": item,
                        "criterion": f"细则第{n}条",
                        "max_points": 10.0,
                        "score": point,
                        **stamp,
                    }
                    for inspection, (row, points) in zip(made, batch, strict=True)
                    for n, (item, point) in enumerate(zip(items, points, strict=True), 1)
                ],
            )
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return int(campaign)


def _median(fn: Any) -> float:
    return float(timed(fn, 3)[0])


def times(engine: Engine, head: Actor, campaign_id: int) -> dict[str, float]:
    """ranking_ms (a term, every zone of the county campaign), heatmap_ms (a month,
    county-wide: items × zones)."""
    with transaction(engine) as s:
        ranked = sv.ranking(s, head, campaign_id, *TERM)
        if not any(r.mean is not None for r in ranked.rows):
            raise RuntimeError("the benchmark's ranking ranked nothing")
        return {
            "ranking_ms": _median(lambda: sv.ranking(s, head, campaign_id, *TERM)),
            "heatmap_ms": _median(lambda: sv.heatmap(s, head, campaign_id, *MONTH)),
        }
