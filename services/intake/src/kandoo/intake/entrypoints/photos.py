"""`GET /v1/photos/{sha256}`: for staff, and for the reporter who sent the photo."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from kandoo.events.auth import Caller
from kandoo.events.ids import token_hash
from kandoo.events.values import STAFF_ROLES
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
    """A stored photo (metadata already removed)."""
    photo = await intake.photos.get(sha256.lower())
    if photo is None:
        raise ApiError(404, "not_found", text("not_found", language))
    if caller.actor.role not in STAFF_ROLES and not await _reporter_of(intake, caller, photo):
        raise ApiError(403, "forbidden", text("not_allowed_photo", language))
    return _photo_response(photo)


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
