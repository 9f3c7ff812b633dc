"""Staff views of departments: health of all, and one department's queue and statistics."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from kandoo.events.auth import Caller
from kandoo.reporting import service
from kandoo.reporting.entrypoints.deps import (
    OFFSET_PAGING,
    ApiError,
    LanguageDep,
    ModelsDep,
    ReportingDep,
    StaffDep,
    built_answer,
    sees_department,
)
from kandoo.reporting.entrypoints.periods import days
from kandoo.reporting.entrypoints.schemas import (
    DepartmentHealth,
    DepartmentStats,
    Problem,
    QueuePage,
)

router = APIRouter(prefix="/v1/departments", tags=["departments"])


def _may_read(r: ReportingDep, who: Caller, code: str, lang: str) -> None:
    if r.directory.department(code) is None:
        raise ApiError(404, "unknown_department", lang, "code")
    if not sees_department(who, code):
        raise ApiError(403, "other_department", lang, "code")


STAFF_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
}


@router.get("/health", response_model=list[DepartmentHealth], responses=STAFF_ERRORS)
async def health(r: ReportingDep, m: ModelsDep, who: StaffDep) -> list[dict[str, Any]]:
    """Per department: active admins, open, overdue, oldest unacknowledged, breach rate.
    A department admin gets their own department's line only."""
    return [h for h in await service.health(r, m) if sees_department(who, h["department"])]


@router.get(
    "/{code}/queue", response_model=QueuePage, responses=STAFF_ERRORS | {404: {"model": Problem}}
)
async def queue(
    code: str,
    r: ReportingDep,
    m: ModelsDep,
    who: StaffDep,
    lang: LanguageDep,
    status: str | None = None,
    category: str | None = None,
    overdue: bool | None = None,
    page: Annotated[int, Query(ge=1, description=OFFSET_PAGING)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Open items of a department, the most urgent (earliest due) first."""
    _may_read(r, who, code, lang)
    return await service.queue(r, m, code, status, category, overdue, page, page_size)


@router.get(
    "/{code}/stats",
    response_model=DepartmentStats,
    responses=STAFF_ERRORS | {400: {"model": Problem}, 404: {"model": Problem}},
)
async def department_stats(
    code: str,
    r: ReportingDep,
    m: ModelsDep,
    who: StaffDep,
    lang: LanguageDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> Response:
    """Daily counts and time-to-acknowledge / time-to-resolve percentiles (minutes)."""
    _may_read(r, who, code, lang)
    first, last = days(from_, to, lang, r.clock(), r.directory.municipality.zone)
    return built_answer(await service.department_stats(r, m, code, first, last))
