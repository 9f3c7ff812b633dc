"""A complaint by id (staff of the owning department see the reporter), and by the
tracking code the reporter was given (public)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kandoo.reporting import service
from kandoo.reporting.entrypoints.deps import (
    ApiError,
    CallerDep,
    LanguageDep,
    ModelsDep,
    ReportingDep,
)
from kandoo.reporting.entrypoints.schemas import ComplaintView, Problem

router = APIRouter(prefix="/v1", tags=["complaints"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem}}


@router.get(
    "/complaints/{complaint_id}",
    response_model=ComplaintView,
    response_model_exclude_unset=True,
    responses=NOT_FOUND | {401: {"model": Problem}},
)
async def get_complaint(
    complaint_id: str, r: ReportingDep, m: ModelsDep, who: CallerDep, lang: LanguageDep
) -> dict[str, Any]:
    """One complaint with its timeline. Reporter contact only for the owning department."""
    try:
        return await service.complaint(m, complaint_id, who, r.keys)
    except service.NotFound as exc:
        raise ApiError(404, "not_found", lang, "complaint_id") from exc


@router.get(
    "/track/{tracking_code}",
    response_model=ComplaintView,
    response_model_exclude_unset=True,
    responses=NOT_FOUND,
)
async def track(tracking_code: str, m: ModelsDep, lang: LanguageDep) -> dict[str, Any]:
    """The public view of a complaint, by the code the reporter was given."""
    try:
        return await service.tracked(m, tracking_code)
    except service.NotFound as exc:
        raise ApiError(404, "not_found", lang, "tracking_code") from exc
