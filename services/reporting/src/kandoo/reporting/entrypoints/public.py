"""Public figures: statistics for transparency, and hotspots on the map."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from kandoo.events.geo import geohash_bounds
from kandoo.reporting.domain import views
from kandoo.reporting.domain.documents import OPEN
from kandoo.reporting.entrypoints.deps import LanguageDep, ModelsDep, ReportingDep
from kandoo.reporting.entrypoints.periods import days
from kandoo.reporting.entrypoints.schemas import Hotspots, Problem, PublicStats

router = APIRouter(prefix="/v1", tags=["public"])


@router.get("/stats/public", response_model=PublicStats, responses={400: {"model": Problem}})
async def public_stats(
    r: ReportingDep,
    m: ModelsDep,
    lang: LanguageDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    """For transparency: counts and median times by department and category."""
    first, last = days(from_, to, lang, r.clock())
    docs = [d for d in await m["stats"].find({}).to_list() if first <= d["day"] <= last]
    return {"from": first, "to": last, **views.public_stats(docs)}


@router.get("/hotspots", response_model=Hotspots)
async def hotspots(
    m: ModelsDep,
    category: str | None = None,
    status: Literal["open", "all"] = "open",
) -> dict[str, Any]:
    """Complaints per ~150 m cell (geohash 7) as a GeoJSON FeatureCollection."""
    cells: dict[str, dict[str, Any]] = {}
    for doc in await m["hotspots"].find({}).to_list():
        for cat, state, n in views.hotspot_counts(doc):
            if n <= 0 or (category and cat != category) or (status == "open" and state not in OPEN):
                continue
            cell = cells.setdefault(doc["cell"], {"count": 0, "by_category": {}, "by_status": {}})
            cell["count"] += n
            for key, name in (("by_category", cat), ("by_status", state)):
                cell[key][name] = cell[key].get(name, 0) + n
    return {
        "type": "FeatureCollection",
        "features": [_cell_feature(c, props) for c, props in sorted(cells.items())],
    }


def _cell_feature(cell: str, props: dict[str, Any]) -> dict[str, Any]:
    south, west, north, east = geohash_bounds(cell)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"cell": cell, "center": [(west + east) / 2, (south + north) / 2], **props},
    }
