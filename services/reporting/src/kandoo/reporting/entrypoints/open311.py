"""Open311 GeoReport v2 reads, in JSON and XML: service requests by date, status and
service, or by id. Errors are the spec's `[{code, description}]` (XML `<errors>`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from kandoo.reporting import service
from kandoo.reporting.entrypoints.deps import (
    OFFSET_PAGING,
    ApiError,
    LanguageDep,
    ModelsDep,
    ReportingDep,
)
from kandoo.reporting.entrypoints.schemas import Open311Error, ServiceRequest
from kandoo.runtime.open311 import Format, answer

router = APIRouter(prefix="/open311/v2", tags=["open311"])
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": list[ServiceRequest], "content": {"text/xml": {}}},
    400: {"model": list[Open311Error]},
    404: {"model": list[Open311Error]},
}


def _jurisdiction(r: ReportingDep, given: str | None, lang: str) -> None:
    if given and given != r.directory.municipality.code:
        raise ApiError(404, "unknown_jurisdiction", lang, "jurisdiction_id")


@router.get("/requests.{fmt}", response_class=Response, responses=ANSWERS)
async def open311_requests(
    r: ReportingDep,
    m: ModelsDep,
    lang: LanguageDep,
    fmt: Format,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Literal["open", "closed"] | None = None,
    jurisdiction_id: str | None = None,
    page: Annotated[int, Query(ge=1, description=OFFSET_PAGING)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Service requests, newest first. Dates at most 90 days apart (default: last 90)."""
    _jurisdiction(r, jurisdiction_id, lang)
    ids = [i.strip() for i in (service_request_id or "").split(",") if i.strip()]
    try:
        found = await service.service_requests(
            r, m, ids, service_code, start_date, end_date, status, page, page_size
        )
    except service.BadRange as exc:
        raise ApiError(400, "bad_range", lang, "start_date") from exc
    return answer(_checked(found), fmt, "service_requests")


@router.get("/requests/{request_id}.{fmt}", response_class=Response, responses=ANSWERS)
async def open311_request(
    request_id: str,
    r: ReportingDep,
    m: ModelsDep,
    lang: LanguageDep,
    fmt: Format,
    jurisdiction_id: str | None = None,
) -> Response:
    """One service request by its id."""
    _jurisdiction(r, jurisdiction_id, lang)
    try:
        found = [await service.service_request(r, m, request_id)]
    except service.NotFound as exc:
        raise ApiError(404, "not_found", lang, "service_request_id") from exc
    return answer(_checked(found), fmt, "service_requests")


def _checked(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answer as the published model says (the OpenAPI's ServiceRequest)."""
    return [ServiceRequest.model_validate(x).model_dump(mode="json") for x in requests]
