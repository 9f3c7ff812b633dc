"""A complaint by id (staff of the owning department see the reporter), and by the
tracking code the reporter was given (public)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kandoo.events.auth import Caller
from kandoo.events.values import Role
from kandoo.reporting.adapters.store import Doc, ReadModels
from kandoo.reporting.domain import views
from kandoo.reporting.entrypoints.deps import ApiError, CallerDep, LanguageDep, ModelsDep
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
    complaint_id: str, m: ModelsDep, who: CallerDep, lang: LanguageDep
) -> dict[str, Any]:
    """One complaint with its timeline. Reporter contact only for the owning department."""
    doc = await m["complaints"].find_one({"_id": complaint_id})
    if doc is None or (doc.get("defect") and not doc.get("status")):
        raise ApiError(404, "not_found", lang, "complaint_id")
    return await _view(m, doc, who)


@router.get(
    "/track/{tracking_code}",
    response_model=ComplaintView,
    response_model_exclude_unset=True,
    responses=NOT_FOUND,
)
async def track(tracking_code: str, m: ModelsDep, lang: LanguageDep) -> dict[str, Any]:
    """The public view of a complaint, by the code the reporter was given."""
    link = await m["tracking"].find_one({"_id": tracking_code.strip().upper()})
    doc = link and await m["complaints"].find_one({"_id": link["complaint_id"]})
    if not doc:
        raise ApiError(404, "not_found", lang, "tracking_code")
    return views.public(doc, await _told(m, doc["_id"]), await _followers(m, doc["_id"]))


async def _told(m: ReadModels, complaint_id: str) -> list[Doc]:
    doc = await m["told"].find_one({"_id": complaint_id})
    return list((doc or {}).get("entries") or [])


async def _followers(m: ReadModels, complaint_id: str) -> Doc:
    return await m["followers"].find_one({"_id": complaint_id}) or {}


async def _view(m: ReadModels, doc: Doc, who: Caller) -> dict[str, Any]:
    told, followers = await _told(m, doc["_id"]), await _followers(m, doc["_id"])
    actor = who.actor
    owning = actor.role in (Role.DEPT_ADMIN, Role.SUPERVISOR) and actor.department == doc.get(
        "department"
    )
    if owning or actor.role in (Role.CLERK, Role.SYSTEM):
        return views.staff(doc, told, followers)
    return views.public(doc, told, followers)
