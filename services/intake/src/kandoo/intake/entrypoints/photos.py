"""`GET /v1/photos/{sha256}`: for staff, and for the reporter who sent the photo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from kandoo.events.auth import Caller
from kandoo.events.ids import token_hash
from kandoo.events.values import STAFF_ROLES, Role
from kandoo.intake.adapters.storage import StoredPhoto
from kandoo.intake.bootstrap import Intake
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.domain.messages import text
from kandoo.intake.entrypoints.deps import CallerDep, IntakeDep, LanguageDep

router = APIRouter(prefix="/v1/photos", tags=["photos"])


@router.get("/{sha256}", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
async def get_photo(
    sha256: str, intake: IntakeDep, caller: CallerDep, language: LanguageDep
) -> Response:
    """A stored photo (metadata already removed): for its reporter, the staff of the
    department its complaint is with, the clerk and supervisors; 410 once removed."""
    photo = await intake.photos.get(sha256.lower())
    if photo is None:
        if await intake.photos.removed(sha256.lower()):
            raise ApiError(410, "photo_removed", text("photo_removed", language))
        raise ApiError(404, "not_found", text("not_found", language))
    if not await _may_see(intake, caller, photo):
        raise ApiError(403, "forbidden", text("not_allowed_photo", language))
    return _photo_response(photo)


@router.delete("/{sha256}", status_code=204, responses={403: {}, 404: {}})
async def remove_photo(
    sha256: str,
    intake: IntakeDep,
    caller: CallerDep,
    language: LanguageDep,
    reason: Annotated[str, Query(min_length=1, max_length=500)] = "PDPA request",
) -> Response:
    """Clerk: delete a photo for good (it shows a face, a number plate); on request."""
    if caller.actor.role not in (Role.CLERK, Role.SYSTEM):
        raise ApiError(403, "forbidden", text("not_allowed", language))
    if not await intake.photos.remove(sha256.lower(), caller.actor.id, reason):
        raise ApiError(404, "not_found", text("not_found", language))
    return Response(status_code=204)


ALL_PHOTOS = frozenset({Role.CLERK, Role.SUPERVISOR, Role.SYSTEM})


async def _may_see(intake: Intake, caller: Caller, photo: StoredPhoto) -> bool:
    role = caller.actor.role
    if role in ALL_PHOTOS:
        return True
    if role is Role.DEPT_ADMIN:
        return caller.actor.department in await intake.owners.of(photo.complaints)
    return role not in STAFF_ROLES and await _reporter_of(intake, caller, photo)


async def _reporter_of(intake: Intake, caller: Caller, photo: StoredPhoto) -> bool:
    """The token that sent the photo, or that filed a complaint staff added it to."""
    if caller.tracking_token is None:
        return False
    mine = token_hash(caller.tracking_token)
    return mine in photo.viewers or await intake.reporters.holds(photo.complaints, mine)


def _photo_response(photo: StoredPhoto) -> Response:
    return Response(
        photo.content,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, max-age=86400"},
    )
