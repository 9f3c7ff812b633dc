"""`GET /v1/photos/{sha256}`: for staff, and for the reporter who sent the photo."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from kandoo.events.ids import token_hash
from kandoo.events.values import STAFF_ROLES
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
    own = caller.tracking_token is not None and token_hash(caller.tracking_token) in photo.viewers
    if caller.actor.role not in STAFF_ROLES and not own:
        raise ApiError(403, "forbidden", text("not_allowed_photo", language))
    return Response(
        photo.content,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, max-age=86400"},
    )
