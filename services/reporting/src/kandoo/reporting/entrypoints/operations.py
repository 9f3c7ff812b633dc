"""Health, readiness and metrics for operators."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kandoo.reporting.entrypoints.deps import ReportingDep

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(r: ReportingDep) -> Response:
    return Response(generate_latest(r.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(r: ReportingDep) -> JSONResponse:
    """The projector has caught up with the log (or this instance only serves reads)."""
    if r.ready():
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "starting"}, 503)
