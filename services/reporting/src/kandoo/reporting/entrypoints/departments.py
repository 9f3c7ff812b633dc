"""Staff views of departments: health of all, and one department's queue and statistics."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from kandoo.reporting import service
from kandoo.reporting.entrypoints.deps import (
    ApiError,
    LanguageDep,
    ModelsDep,
    ReportingDep,
    StaffDep,
)
from kandoo.reporting.entrypoints.periods import days
from kandoo.reporting.entrypoints.schemas import (
    DepartmentHealth,
    DepartmentStats,
    Problem,
    QueuePage,
)

router = APIRouter(prefix="/v1/departments", tags=["departments"])
STAFF_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
}


@router.get("/health", response_model=list[DepartmentHealth], responses=STAFF_ERRORS)
async def health(r: ReportingDep, m: ModelsDep, who: StaffDep) -> list[dict[str, Any]]:
    """Per department: active admins, open, overdue, oldest unacknowledged, breach rate."""
    return await service.health(r, m)


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
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Open items of a department, the most urgent (earliest due) first."""
    if r.directory.department(code) is None:
        raise ApiError(404, "unknown_department", lang, "code")
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
) -> dict[str, Any]:
    """Daily counts and time-to-acknowledge / time-to-resolve percentiles (minutes)."""
    if r.directory.department(code) is None:
        raise ApiError(404, "unknown_department", lang, "code")
    first, last = days(from_, to, lang, r.clock())
    return await service.department_stats(m, code, first, last)
