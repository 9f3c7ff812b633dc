"""Public figures: statistics for transparency, and hotspots on the map."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from kandoo.events.geo import METRES_PER_DEGREE
from kandoo.reporting import service
from kandoo.reporting.entrypoints.deps import (
    ApiError,
    LanguageDep,
    ModelsDep,
    ReportingDep,
    built_answer,
)
from kandoo.reporting.entrypoints.periods import days
from kandoo.reporting.entrypoints.schemas import Hotspots, Nearby, Problem, PublicStats

router = APIRouter(prefix="/v1", tags=["public"])


@router.get("/stats/public", response_model=PublicStats, responses={400: {"model": Problem}})
async def public_stats(
    r: ReportingDep,
    m: ModelsDep,
    lang: LanguageDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> Response:
    """For transparency: counts and median times by department and category."""
    first, last = days(from_, to, lang, r.clock(), r.directory.municipality.zone)
    return built_answer(await service.public_stats(r, m, first, last))


@router.get("/hotspots", response_model=Hotspots, responses={400: {"model": Problem}})
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
) -> Response:
    """Complaints per ~150 m cell (geohash 7) as a GeoJSON FeatureCollection, in the
    municipality or in a box."""
    box = _bbox(bbox, lang) if bbox else None
    return built_answer(await service.hotspots(r, m, category, status == "open", box))


@router.get("/nearby", response_model=Nearby, responses={400: {"model": Problem}})
async def nearby(
    m: ModelsDep,
    lang: LanguageDep,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius: Annotated[float, Query(gt=0, le=500, description="metres around lat,lon")] = 50,
    bbox: Annotated[
        str | None,
        Query(description="west,south,east,north: every open report in a small box instead"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.NEARBY_MAX_ITEMS)] = 20,
) -> dict[str, Any]:
    """Open reports near a pin, nearest first ("is it one of these?"), or in a small map
    view, as GeoJSON points; public, bounded (a view wider than about 1.2 km is refused:
    use `/v1/hotspots`)."""
    try:
        if bbox:
            south, west, north, east = _bbox(bbox, lang)
            return await service.open_nearby(m, south, west, north, east, limit=limit)
        if lat is None or lon is None:
            raise ApiError(400, "bad_point", lang, "lat" if lat is None else "lon")
        dlat = radius / METRES_PER_DEGREE
        dlon = dlat / max(0.01, math.cos(math.radians(lat)))
        box = (lat - dlat, lon - dlon, lat + dlat, lon + dlon)
        return await service.open_nearby(m, *box, centre=(lat, lon), radius_m=radius, limit=limit)
    except service.TooWide as exc:
        raise ApiError(400, "too_wide", lang, "bbox") from exc


def _bbox(text: str, lang: str) -> tuple[float, float, float, float]:
    """`west,south,east,north` (GeoJSON's order) as (south, west, north, east)."""
    try:
        west, south, east, north = (float(x) for x in text.split(","))
    except ValueError as exc:
        raise ApiError(400, "bad_bbox", lang, "bbox") from exc
    if not (-90 <= south <= north <= 90 and -180 <= west <= east <= 180):
        raise ApiError(400, "bad_bbox", lang, "bbox")
    return south, west, north, east
