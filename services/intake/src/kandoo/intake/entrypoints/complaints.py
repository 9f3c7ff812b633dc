"""`POST /v1/complaints` and the actions on a complaint: each becomes one command."""

import json
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from kandoo.events.values import ReporterContact
from kandoo.intake import service
from kandoo.intake.bootstrap import Intake
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.domain.messages import language_of, text
from kandoo.intake.entrypoints import schemas as s
from kandoo.intake.entrypoints.deps import caller_of
from kandoo.intake.service import Idempotency, Submission, field_error

router = APIRouter(prefix="/v1", tags=["complaints"])
MAX_IDEMPOTENCY_KEY = 200
IdempotencyKey = Annotated[str | None, Header(max_length=MAX_IDEMPOTENCY_KEY)]


def _header(name: str, description: str, **schema: object) -> dict[str, object]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


SUBMIT_HEADERS = [
    _header(
        "Idempotency-Key",
        "The same key and body give the same answer and no second complaint.",
        maxLength=MAX_IDEMPOTENCY_KEY,
    ),
    _header("Accept-Language", "th or en: the language of error messages."),
    _header("Authorization", "Bearer JWT of staff; absent for citizens."),
    _header("X-Tracking-Token", "A reporter's tracking token."),
]


async def read_submission(
    request: Request, intake: Intake, language: str
) -> tuple[s.ComplaintIn, list[bytes], bytes]:
    """The report and its photos, from JSON or multipart (`complaint` JSON + `photos` files);
    errors in `language` (the request's), or in the report's own `language` once read."""
    content_type = request.headers.get("content-type", "")
    photos: list[bytes] = []
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=intake.settings.max_photos + 1)
        raw = form.get("complaint")
        body = raw.encode() if isinstance(raw, str) else b""
        files = [f for f in form.getlist("photos") if isinstance(f, UploadFile)]
        if len(files) > intake.settings.max_photos:
            message = text("too_many_photos", language, max=intake.settings.max_photos)
            raise field_error(422, "too_many_photos", message, "photos")
        limit = intake.settings.max_photo_bytes
        for f in files:
            data = await f.read(limit + 1)
            if len(data) > limit:
                message = text("photo_too_large", language, mb=limit // 2**20)
                raise field_error(413, "photo_too_large", message, "photos")
            photos.append(data)
    else:
        body = await request.body()
    try:
        parsed = json.loads(body or b"null")
    except ValueError as exc:
        raise ApiError(422, "bad_json", text("bad_json", language)) from exc
    if isinstance(parsed, dict) and parsed.get("language") in ("th", "en"):
        language = parsed["language"]
    try:
        return s.ComplaintIn.model_validate(parsed), photos, body
    except ValidationError as exc:
        fields = service.validation_fields(exc.errors(), language)
        raise ApiError(422, "invalid", text("invalid_field", language), fields) from exc


@router.post(
    "/complaints",
    status_code=201,
    response_model=s.Accepted,
    responses={
        202: {"model": s.Accepted},
        413: {"model": s.Problem},
        422: {"model": s.Problem},
        429: {"model": s.Problem},
        503: {"model": s.Problem},
    },
    openapi_extra={
        "parameters": SUBMIT_HEADERS,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ComplaintIn"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "complaint": {"type": "string", "description": "ComplaintIn as JSON"},
                            "photos": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "maxItems": 5,
                            },
                        },
                        "required": ["complaint"],
                    }
                },
            },
        },
    },
)
async def submit_complaint(request: Request) -> JSONResponse:
    """Report a problem: a pin inside the municipality, a few words, up to 5 photos."""
    # The busiest route reads its headers itself: FastAPI's dependency solving cost more
    # than the route's own work (the parameters are documented in `SUBMIT_HEADERS`).
    intake: Intake = request.app.state.intake
    headers = request.headers
    asked = language_of(headers.get("accept-language"))
    caller = caller_of(request, intake, asked)
    key = headers.get("idempotency-key")
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise ApiError(
            422,
            "invalid",
            text("invalid_field", asked),
            [{"field": "Idempotency-Key", "reason": text("too_long", asked)}],
        )
    report, photos, body = await read_submission(request, intake, asked)
    submission = Submission(
        description=report.description,
        language=report.language,
        location=report.location,
        category=report.category,
        channel=report.channel,
        reporter=ReporterContact(**report.reporter.model_dump()),
        photos=photos,
    )
    scope = service.caller_scope(caller, headers.get("x-kandoo-client"))
    idempotency = Idempotency(key, body + b"".join(photos), scope) if key else None
    done = await service.submit(intake, submission, caller.actor, idempotency)
    answer = s.Accepted(
        complaint_id=done.complaint_id,
        tracking_code=done.tracking_code,
        tracking_token=done.tracking_token,
        status_url=f"{intake.settings.public_url}/t/{done.tracking_code}",
        command_id=done.command_id,
        command_status_url=f"{intake.settings.public_url}/v1/commands/{done.command_id}",
    )
    if done.result is None:
        answer.message = text("pending", report.language)
        return JSONResponse(answer.model_dump(), status_code=202)
    answer.status = done.result.status
    answer.department = done.result.department
    answer.duplicate_of = done.result.duplicate_of
    return JSONResponse(answer.model_dump(), status_code=201)
