"""The public map (hotspot cells, and each open report once zoomed in) and the
transparency page (per department and category, and a 12-week trend)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from kandoo.web.entrypoints.context import map_context, render, web_of, words_for

router = APIRouter()
WEEKS = 12


@router.get("/map")
async def public_map(request: Request) -> Response:
    words = words_for(request)
    web = web_of(request)
    answer = await web.reporting.hotspots(None, None, "open", words.language)
    cells = answer.body.get("features", []) if answer.ok else []
    top = sorted(cells, key=lambda f: -int(f["properties"]["count"]))[:10]
    values = {**map_context(web), "top": top}
    return render(request, "map.html", words, values)


@router.get("/map/hotspots.json")
async def hotspots(
    request: Request,
    bbox: str | None = None,
    category: str | None = None,
    status: Literal["open", "all"] = "open",
) -> JSONResponse:
    words = words_for(request)
    answer = await web_of(request).reporting.hotspots(
        bbox, category or None, status, words.language
    )
    return JSONResponse(answer.body, status_code=answer.status)


@router.get("/map/points.json")
async def points(request: Request, bbox: str, category: str | None = None) -> JSONResponse:
    words = words_for(request)
    answer = await web_of(request).reporting.points(bbox, words.language)
    body = answer.body
    if answer.ok and category:
        body = {
            **body,
            "features": [f for f in body["features"] if f["properties"]["category"] == category],
        }
    return JSONResponse(body, status_code=answer.status)


def _weeks(today: date) -> list[tuple[date, date]]:
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    return [(s, min(s + timedelta(days=6), today)) for s in starts]


@router.get("/stats")
async def stats(request: Request) -> Response:
    words = words_for(request)
    web = web_of(request)
    today = datetime.now(web.directory.municipality.zone).date()
    weeks = _weeks(today)
    first = weeks[0][0]
    calls = [web.reporting.public_stats(first.isoformat(), today.isoformat(), words.language)]
    calls += [
        web.reporting.public_stats(a.isoformat(), b.isoformat(), words.language) for a, b in weeks
    ]
    whole, *weekly = await asyncio.gather(*calls)
    if not whole.ok:
        return render(request, "error.html", words, {"message": words("service_unavailable")}, 503)
    trend: list[dict[str, Any]] = [
        {
            "start": a,
            "received": int(w.body["totals"]["submitted"]) if w.ok else 0,
            "resolved": int(w.body["totals"]["resolved"]) if w.ok else 0,
        }
        for (a, _), w in zip(weeks, weekly, strict=True)
    ]
    peak = max([1, *(max(t["received"], t["resolved"]) for t in trend)])
    departments = [
        (web.directory.department(code), figures)
        for code, figures in whole.body.get("departments", {}).items()
    ]
    values: dict[str, Any] = {
        "first": first,
        "last": today,
        "totals": whole.body["totals"],
        "departments": [(d, f) for d, f in departments if d is not None],
        "trend": trend,
        "peak": peak,
    }
    return render(request, "stats.html", words, values)
