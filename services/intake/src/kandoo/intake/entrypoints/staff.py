"""What only staff send: a photo added to a complaint (the "after" photo of a resolution),
and the roster's commands (appoint or remove a department admin), decided by routing."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from kandoo.events import commands as c
from kandoo.events.roster import MAY_APPOINT, ROSTER_SUBJECT
from kandoo.events.values import STAFF_ROLES
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.domain.messages import text
from kandoo.intake.entrypoints.actions import ACTION_RESPONSES, act
from kandoo.intake.entrypoints.complaints import IdempotencyKey
from kandoo.intake.entrypoints.deps import CallerDep, IntakeDep, LanguageDep
from kandoo.intake.entrypoints.schemas import ActionResult, Problem
from kandoo.intake.service import cleaned, field_error

router = APIRouter(prefix="/v1", tags=["staff"])


class PhotoStored(BaseModel):
    sha256: str = Field(description="Name the photo by this in `resolve`'s `photos`")


class AppointIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=100, description="Staff id, as in tokens")
    name: str = Field(min_length=1, max_length=200, examples=["สมชาย ใจดี"])
    language: Literal["th", "en"] = "th"


class RemoveIn(BaseModel):
    reason: str = Field(default="", max_length=1000)


@router.post(
    "/complaints/{complaint_id}/photos",
    response_model=PhotoStored,
    status_code=201,
    responses={403: {"model": Problem}, 413: {"model": Problem}, 422: {"model": Problem}},
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"photo": {"type": "string", "format": "binary"}},
                        "required": ["photo"],
                    }
                }
            }
        }
    },
)
async def add_photo(
    complaint_id: str, request: Request, intake: IntakeDep, caller: CallerDep, language: LanguageDep
) -> PhotoStored:
    """Staff: store a photo for a complaint (metadata removed); its reporter may see it."""
    if caller.actor.role not in STAFF_ROLES:
        raise ApiError(403, "forbidden", text("staff_only", language))
    form = await request.form(max_files=1)
    found = form.get("photo")
    if not isinstance(found, UploadFile):
        raise field_error(422, "missing_field", text("missing_field", language), "photo")
    limit = intake.settings.max_photo_bytes
    data = await found.read(limit + 1)
    if len(data) > limit:
        message = text("photo_too_large", language, mb=limit // 2**20)
        raise field_error(413, "photo_too_large", message, "photo")
    photo = await cleaned(intake, data, language, "photo")
    await intake.photos.put(photo, None, complaint_id)
    return PhotoStored(sha256=photo.sha256)


def _roster_caller(caller: CallerDep, language: str) -> None:
    if caller.actor.role not in MAY_APPOINT:
        raise ApiError(403, "forbidden", text("roster_only", language))


@router.post(
    "/departments/{code}/admins",
    response_model=ActionResult,
    responses=ACTION_RESPONSES,
    tags=["directory"],
)
async def appoint_admin(
    code: str,
    body: AppointIn,
    intake: IntakeDep,
    caller: CallerDep,
    language: LanguageDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Clerk or supervisor: this person administers the department from now on (the roster
    lives in the log, `directory.events`; escalation and department health follow it)."""
    _roster_caller(caller, language)
    return await act(
        intake,
        caller,
        language,
        ROSTER_SUBJECT,
        f"appoint:{code}:{body.person_id}",
        body,
        lambda f, _: c.AppointDepartmentAdmin(
            **f, department=code, person_id=body.person_id, name=body.name, language=body.language
        ),
        idempotency_key,
    )


@router.post(
    "/departments/{code}/admins/{person_id}/remove",
    response_model=ActionResult,
    responses=ACTION_RESPONSES,
    tags=["directory"],
)
async def remove_admin(
    code: str,
    person_id: str,
    body: RemoveIn,
    intake: IntakeDep,
    caller: CallerDep,
    language: LanguageDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Clerk or supervisor: this person no longer administers the department."""
    _roster_caller(caller, language)
    return await act(
        intake,
        caller,
        language,
        ROSTER_SUBJECT,
        f"remove:{code}:{person_id}",
        body,
        lambda f, _: c.RemoveDepartmentAdmin(
            **f, department=code, person_id=person_id, reason=body.reason
        ),
        idempotency_key,
    )
