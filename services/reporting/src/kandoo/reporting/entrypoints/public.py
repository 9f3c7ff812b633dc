"""Public figures: statistics for transparency, and hotspots on the map."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from kandoo.reporting import service
from kandoo.reporting.entrypoints.deps import ApiError, LanguageDep, ModelsDep, ReportingDep
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
    return await service.public_stats(m, first, last)


@router.get("/hotspots", response_model=Hotspots)
async def hotspots(
    r: ReportingDep,
    m: ModelsDep,
    lang: LanguageDep,
    category: str | None = None,
    status: Literal["open", "all"] = "open",
    bbox: Annotated[
        str | None,
        Query(description="west,south,east,north in degrees: only cells in this box"),
    ] = None,
) -> dict[str, Any]:
    """Complaints per ~150 m cell (geohash 7) as a GeoJSON FeatureCollection, in the
    municipality or in a box."""
    box = _bbox(bbox, lang) if bbox else None
    return await service.hotspots(r, m, category, status == "open", box)


def _bbox(text: str, lang: str) -> tuple[float, float, float, float]:
    """`west,south,east,north` (GeoJSON's order) as (south, west, north, east)."""
    try:
        west, south, east, north = (float(x) for x in text.split(","))
    except ValueError as exc:
        raise ApiError(400, "bad_bbox", lang, "bbox") from exc
    if not (-90 <= south <= north <= 90 and -180 <= west <= east <= 180):
        raise ApiError(400, "bad_bbox", lang, "bbox")
    return south, west, north, east
