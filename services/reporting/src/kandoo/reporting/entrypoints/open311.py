"""Open311 GeoReport v2 reads: service requests by date, status and service, or by id.
Errors are the spec's `[{code, description}]`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from kandoo.reporting.domain import views
from kandoo.reporting.entrypoints.deps import ApiError, LanguageDep, ModelsDep, ReportingDep
from kandoo.reporting.entrypoints.periods import aware
from kandoo.reporting.entrypoints.schemas import Open311Error, ServiceRequest

router = APIRouter(prefix="/open311/v2", tags=["open311"])
MAX_RANGE = timedelta(days=90)


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
    if service_request_id:
        ids = [i.strip() for i in service_request_id.split(",") if i.strip()]
        docs = [d for d in (await m.load("complaints", ids)).values() if d.get("status")]
    else:
        end = aware(end_date or r.clock())
        start = aware(start_date or end - MAX_RANGE)
        if start > end or end - start > MAX_RANGE:
            raise ApiError(400, "bad_range", lang, "start_date")
        docs = await m["complaints"].find({"submitted_at": {"$gte": start, "$lte": end}}).to_list()
    docs = [
        d
        for d in docs
        if d.get("status")
        and (not service_code or d.get("category") == service_code)
        and (not status or views.open311_status(d) == status)
    ]
    docs.sort(key=lambda d: d["submitted_at"], reverse=True)
    start_at = (page - 1) * page_size
    return [
        views.open311(d, r.directory, r.settings.intake_public_url)
        for d in docs[start_at : start_at + page_size]
    ]


@router.get(
    "/requests/{request_id}.json",
    response_model=list[ServiceRequest],
    responses={404: {"model": list[Open311Error]}},
)
async def open311_request(
    request_id: str, r: ReportingDep, m: ModelsDep, lang: LanguageDep
) -> list[dict[str, Any]]:
    """One service request by its id."""
    doc = await m["complaints"].find_one({"_id": request_id})
    if doc is None or not doc.get("status"):
        raise ApiError(404, "not_found", lang, "service_request_id")
    return [views.open311(doc, r.directory, r.settings.intake_public_url)]
