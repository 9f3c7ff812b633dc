"""Staff views of departments: health of all, and one department's queue and statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from kandoo.reporting.domain import views
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
    counters = {d["_id"]: d for d in await m["departments"].find({}).to_list()}
    queue = await m["queue"].find({}).to_list()
    return views.health(r.directory, counters, queue, r.clock())


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
    query: dict[str, Any] = {"department": code}
    if status:
        query["status"] = status
    if category:
        query["category"] = category
    items = await m["queue"].find(query).to_list()
    now = r.clock()
    if overdue is not None:
        items = [i for i in items if bool(i.get("due") and i["due"] < now) == overdue]
    items.sort(key=lambda i: (i.get("due") or datetime.max.replace(tzinfo=UTC), i["_id"]))
    start = (page - 1) * page_size
    return {
        "department": code,
        "total": len(items),
        "page": page,
        "page_size": page_size,
        "items": [views.queue_item(i, now) for i in items[start : start + page_size]],
    }


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
    docs = await m["stats"].find({"department": code}).to_list()
    docs = [d for d in docs if first <= d["day"] <= last]
    return {"department": code, "from": first, "to": last, **views.stats(docs)}
