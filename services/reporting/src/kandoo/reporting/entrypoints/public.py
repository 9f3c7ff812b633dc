"""Public figures: statistics for transparency, and hotspots on the map."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from kandoo.reporting import service
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
    return await service.public_stats(m, first, last)


@router.get("/hotspots", response_model=Hotspots)
async def hotspots(
    m: ModelsDep,
    category: str | None = None,
    status: Literal["open", "all"] = "open",
) -> dict[str, Any]:
    """Complaints per ~150 m cell (geohash 7) as a GeoJSON FeatureCollection."""
    return await service.hotspots(m, category, open_only=status == "open")
