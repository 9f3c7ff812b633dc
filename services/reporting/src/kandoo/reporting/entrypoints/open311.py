"""Open311 GeoReport v2 reads: service requests by date, status and service, or by id.
Errors are the spec's `[{code, description}]`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from kandoo.reporting import service
from kandoo.reporting.entrypoints.deps import ApiError, LanguageDep, ModelsDep, ReportingDep
from kandoo.reporting.entrypoints.schemas import Open311Error, ServiceRequest

router = APIRouter(prefix="/open311/v2", tags=["open311"])


@router.get(
    "/requests.json",
    response_model=list[ServiceRequest],
    responses={400: {"model": list[Open311Error]}},
)
async def open311_requests(
    r: ReportingDep,
    m: ModelsDep,
    lang: LanguageDep,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Literal["open", "closed"] | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Service requests, newest first. Dates at most 90 days apart (default: last 90)."""
    ids = [i.strip() for i in (service_request_id or "").split(",") if i.strip()]
    try:
        return await service.service_requests(
            r, m, ids, service_code, start_date, end_date, status, page, page_size
        )
    except service.BadRange as exc:
        raise ApiError(400, "bad_range", lang, "start_date") from exc


@router.get(
    "/requests/{request_id}.json",
    response_model=list[ServiceRequest],
    responses={404: {"model": list[Open311Error]}},
)
async def open311_request(
    request_id: str, r: ReportingDep, m: ModelsDep, lang: LanguageDep
) -> list[dict[str, Any]]:
    """One service request by its id."""
    try:
        return [await service.service_request(r, m, request_id)]
    except service.NotFound as exc:
        raise ApiError(404, "not_found", lang, "service_request_id") from exc
