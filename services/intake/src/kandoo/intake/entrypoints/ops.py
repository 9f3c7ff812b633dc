"""Health, readiness and metrics for operators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kandoo.intake.entrypoints.deps import IntakeDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(intake: IntakeDep) -> JSONResponse:
    """Kafka and MongoDB answer, and routing's answers reach this instance."""
    try:
        await intake.mongo.admin.command("ping")
        await intake.bus.ping(timeout_s=2)
        if not intake.bus.listening.is_set():
            raise RuntimeError("not yet reading complaints.command-results")
    except Exception as exc:
        return JSONResponse({"status": "not ready", "reason": str(exc)[:200]}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
async def metrics(intake: IntakeDep) -> Response:
    return Response(generate_latest(intake.metrics.registry), media_type=CONTENT_TYPE_LATEST)
