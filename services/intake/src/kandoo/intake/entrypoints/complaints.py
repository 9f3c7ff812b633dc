"""`POST /v1/complaints` and the actions on a complaint: each becomes one command."""

import hashlib
import hmac
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from kandoo.events import commands as c
from kandoo.events.auth import Caller, new_tracking_token
from kandoo.events.ids import stable_id, token_hash, tracking_code
from kandoo.events.refusals import refuse
from kandoo.events.values import ReporterContact
from kandoo.intake.adapters.commands import KafkaUnavailable
from kandoo.intake.bootstrap import Intake
from kandoo.intake.domain.messages import language_of, text
from kandoo.intake.domain.photos import BadPhoto, clean
from kandoo.intake.entrypoints import schemas as s
from kandoo.intake.entrypoints.deps import ApiError, CallerDep, IntakeDep, LanguageDep, caller_of

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


def validation_fields(exc: ValidationError, language: str) -> list[dict[str, str]]:
    fields = []
    for err in exc.errors():
        code = "missing_field" if err["type"] == "missing" else "invalid_field"
        if err["type"] in ("string_too_long", "too_long"):
            code = "too_long"
        where = ".".join(str(p) for p in err["loc"])
        fields.append({"field": where, "reason": f"{text(code, language)}: {err['msg']}"})
    return fields


async def read_submission(
    request: Request, intake: Intake, accept_language: str | None
) -> tuple[s.ComplaintIn, list[bytes], bytes]:
    """The report and its photos, from JSON or multipart (`complaint` JSON + `photos` files)."""
    language = language_of(accept_language)
    content_type = request.headers.get("content-type", "")
    photos: list[bytes] = []
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=intake.settings.max_photos + 1)
        raw = form.get("complaint")
        body = raw.encode() if isinstance(raw, str) else b""
        files = [f for f in form.getlist("photos") if isinstance(f, UploadFile)]
        if len(files) > intake.settings.max_photos:
            raise ApiError(
                422,
                "too_many_photos",
                text("too_many_photos", language, max=intake.settings.max_photos),
                [
                    {
                        "field": "photos",
                        "reason": text("too_many_photos", language, max=intake.settings.max_photos),
                    }
                ],
            )
        limit = intake.settings.max_photo_bytes
        for f in files:
            data = await f.read(limit + 1)
            if len(data) > limit:
                message = text("photo_too_large", language, mb=limit // 2**20)
                raise ApiError(
                    413, "photo_too_large", message, [{"field": "photos", "reason": message}]
                )
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
        raise ApiError(
            422, "invalid", text("invalid_field", language), validation_fields(exc, language)
        ) from exc


def refusal_error(code: str, language: str, **params: object) -> ApiError:
    refusal = refuse(code, **params)
    return ApiError(refusal.http_status, code, refusal.message(language))


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
    """Report a problem: a pin in Hua Hin, a few words, up to 5 photos."""
    # The busiest route reads its headers itself: FastAPI's dependency solving cost more
    # than the route's own work (the parameters are documented in `SUBMIT_HEADERS`).
    intake: Intake = request.app.state.intake
    headers = request.headers
    accept_language = headers.get("accept-language")
    asked = language_of(accept_language)
    caller = caller_of(request, intake, asked)
    idempotency_key = headers.get("idempotency-key")
    if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        reason = text("too_long", asked)
        raise ApiError(
            422,
            "invalid",
            text("invalid_field", asked),
            [{"field": "Idempotency-Key", "reason": reason}],
        )
    report, raw_photos, body = await read_submission(request, intake, accept_language)
    language = report.language
    loc = report.location
    if not intake.directory.inside(loc.lat, loc.lon):
        error = refusal_error("outside_jurisdiction", language)
        error.fields = [{"field": "location", "reason": error.message}]
        raise error
    if report.category is not None and intake.directory.category(report.category) is None:
        error = refusal_error("unknown_category", language, category=report.category)
        error.fields = [{"field": "category", "reason": error.message}]
        raise error
    if idempotency_key:
        if not await intake.keys.claim("submit", idempotency_key, body + b"".join(raw_photos)):
            raise ApiError(
                422,
                "idempotency_conflict",
                text("idempotency_conflict", language),
                [{"field": "Idempotency-Key", "reason": text("idempotency_conflict", language)}],
            )
        complaint_id = stable_id("complaint", idempotency_key)
        command_id = stable_id("submit", idempotency_key)
        token = hmac.new(
            intake.settings.jwt_secret.encode(), complaint_id.encode(), hashlib.sha256
        ).hexdigest()[:32]
    else:
        complaint_id, command_id, token = str(uuid.uuid4()), str(uuid.uuid4()), new_tracking_token()
    hashes = []
    for i, data in enumerate(raw_photos):
        try:
            photo = clean(data)
        except BadPhoto as exc:
            message = text("bad_photo", language)
            raise ApiError(
                422, "bad_photo", message, [{"field": f"photos.{i}", "reason": message}]
            ) from exc
        await intake.photos.put(photo, token_hash(token))
        hashes.append(photo.sha256)
    command = c.SubmitComplaint(
        command_id=command_id,
        complaint_id=complaint_id,
        actor=caller.actor,
        tracking_code=tracking_code(complaint_id, intake.directory.municipality.tracking_prefix),
        description=report.description,
        language=language,
        location=loc,
        category=report.category,
        channel=report.channel,
        photos=tuple(hashes),
        reporter=ReporterContact(**report.reporter.model_dump()),
        reporter_token_hash=token_hash(token),
    )
    result = await send(intake, command, language)
    base = intake.settings.public_url
    accepted = s.Accepted(
        complaint_id=complaint_id,
        tracking_code=command.tracking_code,
        tracking_token=token,
        status_url=f"{intake.settings.reporting_url}/v1/track/{command.tracking_code}",
        command_id=command_id,
        command_status_url=f"{base}/v1/commands/{command_id}",
    )
    if result is None:
        accepted.message = text("pending", language)
        return JSONResponse(accepted.model_dump(), status_code=202)
    if result["outcome"] != "accepted":
        raise ApiError(int(result["http_status"]), result["code"], result[f"message_{language}"])
    accepted.status = result.get("status")
    accepted.department = result.get("department")
    accepted.duplicate_of = result.get("duplicate_of")
    return JSONResponse(accepted.model_dump(), status_code=201)


async def send(intake: Intake, command: c.CommandBase, language: str) -> dict[str, Any] | None:
    try:
        return await intake.bus.send(command, intake.settings.wait_budget_s)
    except KafkaUnavailable as exc:
        raise ApiError(
            503,
            "kafka_unavailable",
            text("kafka_unavailable", language),
            headers={"Retry-After": "5"},
        ) from exc


# --- actions on a complaint ----------------------------------------------------------------


async def act(
    intake: Intake,
    caller: Caller,
    language: str,
    complaint_id: str,
    action: str,
    body: BaseModel | None,
    make: Any,
    idempotency_key: str | None,
) -> JSONResponse:
    command_id = (
        stable_id("action", complaint_id, action, idempotency_key)
        if idempotency_key
        else str(uuid.uuid4())
    )
    fields = {
        "command_id": command_id,
        "complaint_id": complaint_id,
        "actor": caller.actor,
        "reporter_token": caller.tracking_token,
    }
    try:
        command = make(fields, body)
    except ValidationError as exc:
        raise ApiError(
            422, "invalid", text("invalid_field", language), validation_fields(exc, language)
        ) from exc
    result = await send(intake, command, language)
    if result is None:
        pending = {
            "command_id": command_id,
            "complaint_id": complaint_id,
            "outcome": "pending",
            "command_status_url": f"{intake.settings.public_url}/v1/commands/{command_id}",
        }
        return JSONResponse(pending, status_code=202)
    if result["outcome"] != "accepted":
        raise ApiError(int(result["http_status"]), result["code"], result[f"message_{language}"])
    return JSONResponse(s.ActionResult.model_validate(result, from_attributes=False).model_dump())


ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "Received; the outcome is not known yet"},
    401: {"model": s.Problem},
    403: {"model": s.Problem},
    404: {"model": s.Problem},
    409: {"model": s.Problem},
    422: {"model": s.Problem},
    503: {"model": s.Problem},
}


def _action(path: str, summary: str, model: type[BaseModel] | None, make: Any) -> None:
    """Register `POST /v1/complaints/{id}/<path>`, whose body (if any) is `model`."""
    if model is None:

        async def endpoint(
            complaint_id: str,
            intake: IntakeDep,
            caller: CallerDep,
            language: LanguageDep,
            idempotency_key: IdempotencyKey = None,
        ) -> JSONResponse:
            return await act(
                intake, caller, language, complaint_id, path, None, make, idempotency_key
            )

    else:

        async def endpoint(  # type: ignore[misc]
            complaint_id: str,
            body: model,  # type: ignore[valid-type]
            intake: IntakeDep,
            caller: CallerDep,
            language: LanguageDep,
            idempotency_key: IdempotencyKey = None,
        ) -> JSONResponse:
            return await act(
                intake, caller, language, complaint_id, path, body, make, idempotency_key
            )

    endpoint.__doc__ = summary
    endpoint.__name__ = f"complaint_{path}"
    router.add_api_route(
        f"/complaints/{{complaint_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=s.ActionResult,
        responses=ACTION_RESPONSES,
        summary=summary,
    )


_action(
    "acknowledge",
    "Department staff: we have seen it.",
    None,
    lambda f, b: c.AcknowledgeComplaint(**f),
)
_action(
    "assign",
    "Department staff: who works on it.",
    s.AssignIn,
    lambda f, b: c.AssignComplaint(**f, assignee=b.assignee),
)
_action(
    "recategorize",
    "Staff: the right category (the classifier learns from it).",
    s.RecategorizeIn,
    lambda f, b: c.RecategorizeComplaint(**f, category=b.category),
)
_action(
    "reroute",
    "Staff: another department must act.",
    s.RerouteIn,
    lambda f, b: c.RerouteComplaint(**f, department=b.department, reason=b.reason),
)
_action(
    "forward",
    "Staff: an outside agency must act.",
    s.ForwardIn,
    lambda f, b: c.ForwardComplaint(**f, agency=b.agency, note=b.note),
)
_action(
    "location",
    "Staff or reporter: correct the pin.",
    s.LocationIn,
    lambda f, b: c.CorrectLocation(**f, location=b.location),
)
_action(
    "notes",
    "Staff or reporter: add a note.",
    s.NoteIn,
    lambda f, b: c.AddNote(**f, text=b.text, public=b.public),
)
_action(
    "resolve",
    "Department staff: done, with a note of what was done.",
    s.ResolveIn,
    lambda f, b: c.ResolveComplaint(**f, note=b.note, photos=tuple(b.photos)),
)
_action(
    "reject",
    "Department staff: will not act, with the reason.",
    s.RejectIn,
    lambda f, b: c.RejectComplaint(**f, reason=b.reason),
)
_action(
    "reopen",
    "Reporter (within 14 days) or clerk: it is not solved.",
    s.ReopenIn,
    lambda f, b: c.ReopenComplaint(**f, reason=b.reason),
)
_action(
    "close",
    "Reporter or staff: close a resolved complaint.",
    None,
    lambda f, b: c.CloseComplaint(**f),
)
_action(
    "rate",
    "Reporter: rate the handling, once, 1 to 5.",
    s.RateIn,
    lambda f, b: c.RateComplaint(**f, rating=b.rating, comment=b.comment),
)
_action(
    "duplicate",
    "Staff: the same problem as another complaint.",
    s.DuplicateIn,
    lambda f, b: c.MarkDuplicate(**f, original_id=b.original_id),
)


@router.get("/commands/{command_id}", responses={404: {"model": s.Problem}}, tags=["commands"])
async def command_status(
    command_id: str, intake: IntakeDep, language: LanguageDep
) -> dict[str, Any]:
    """The outcome of a command answered with 202, once routing has decided it."""
    found = intake.bus.known(command_id)
    if found is None:
        raise ApiError(404, "not_found", text("not_found", language))
    return found
