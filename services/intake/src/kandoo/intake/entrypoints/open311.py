"""Open311 GeoReport v2, write side, services and discovery, in JSON and XML.

Errors are the spec's `[{code, description}]` (XML `<errors>`) with 400, 403 (bad or
missing api_key), 404 or 503. Empty form fields count as absent. `jurisdiction_id` may be
given on every call; it must then be the municipality's code (the directory's).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import FormData

from kandoo.events.values import Actor, Location, ReporterContact, Role
from kandoo.intake.bootstrap import Intake
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.entrypoints.deps import IntakeDep
from kandoo.intake.service import Submission, submit
from kandoo.runtime.open311 import Format, answer, error

router = APIRouter(prefix="/open311/v2", tags=["open311"])
OPEN311_ACTOR = Actor(id="open311", role=Role.CITIZEN)
CHANGESET = "2026-12-01T00:00:00Z"
MAX_DESCRIPTION = 4000
MAX_FIELD = 200
Jurisdiction = Annotated[str | None, Query(description="The municipality's code, if given")]


class Refused(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def _jurisdiction(intake: Intake, given: str | None) -> None:
    if given and given != intake.directory.municipality.code:
        raise Refused(404, f"unknown jurisdiction_id {given}")


def service(intake: Intake, code: str) -> dict[str, Any] | None:
    category = intake.directory.category(code)
    if category is None:
        return None
    return {
        "service_code": category.code,
        "service_name": f"{category.name_th} / {category.name_en}",
        "description": category.name_en,
        "metadata": False,
        "type": "realtime",
        "keywords": category.code,
        "group": category.department,
    }


@router.get("/discovery.{fmt}")
async def discovery(intake: IntakeDep, fmt: Format) -> Response:
    """Where this Open311 endpoint is (the public address) and what it speaks."""
    body = {
        "changeset": CHANGESET,
        "contact": intake.directory.municipality.name_en,
        "key_service": "Ask the municipality's clerk office for an api_key",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": f"{intake.settings.public_url}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return answer(body, fmt, "discovery")


@router.get("/services.{fmt}")
async def services(
    intake: IntakeDep, fmt: Format, jurisdiction_id: Jurisdiction = None
) -> Response:
    """Every category of the directory, as an Open311 service."""
    try:
        _jurisdiction(intake, jurisdiction_id)
    except Refused as exc:
        return error(exc.status, exc.description, fmt)
    found = [s for c in intake.directory.categories if (s := service(intake, c.code))]
    return answer(found, fmt, "services")


@router.get("/services/{code}.{fmt}")
async def service_definition(
    code: str, intake: IntakeDep, fmt: Format, jurisdiction_id: Jurisdiction = None
) -> Response:
    """One service; Kandoo asks no extra attributes."""
    try:
        _jurisdiction(intake, jurisdiction_id)
        if service(intake, code) is None:
            raise Refused(404, f"unknown service_code {code}")
    except Refused as exc:
        return error(exc.status, exc.description, fmt)
    return answer({"service_code": code, "attributes": []}, fmt, "service_definition")


def field(form: FormData, name: str, longest: int = MAX_FIELD) -> str | None:
    """A form field, stripped; None when empty; Refused (400, naming it) when too long."""
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    if len(value) > longest:
        raise Refused(400, f"{name} is longer than {longest} characters")
    return value.strip()


def submission(intake: Intake, form: FormData) -> Submission:
    """The report in an Open311 form, checked as the spec says; Refused otherwise."""
    _jurisdiction(intake, field(form, "jurisdiction_id"))
    if field(form, "api_key") not in intake.settings.open311_api_keys:
        raise Refused(403, "api_key is missing or not valid")
    code = field(form, "service_code")
    if code is None or intake.directory.category(code) is None:
        raise Refused(400, "service_code is missing or unknown (GET services.json)")
    lat, lon, address = field(form, "lat"), field(form, "long"), field(form, "address_string", 500)
    if lat is None or lon is None:
        alone = " (address_string alone cannot be placed on the map yet)" if address else ""
        raise Refused(400, "lat and long are required" + alone)
    try:
        location = Location(lat=float(lat), lon=float(lon), address_text=address)
    except ValueError as exc:
        raise Refused(400, "lat and long must be numbers in range") from exc
    description = field(form, "description", MAX_DESCRIPTION)
    if not description:
        raise Refused(400, f"description is required (at most {MAX_DESCRIPTION} characters)")
    # each half at most 100: the two together fit the contact's 200 (never a 500)
    halves = (field(form, "first_name", 100), field(form, "last_name", 100))
    name = " ".join(p for p in halves if p) or None
    return Submission(
        description=description,
        language="th",
        location=location,
        category=code,
        channel="open311",
        channel_reference=field(form, "device_id") or field(form, "account_id"),
        reporter=ReporterContact(
            name=name, phone=field(form, "phone", 40), email=field(form, "email", 320)
        ),
    )


def _text(description: str, longest: int = MAX_FIELD) -> dict[str, Any]:
    return {"type": "string", "maxLength": longest, "description": description}


REQUEST_FORM = {
    "type": "object",
    "required": ["api_key", "service_code", "lat", "long", "description"],
    "properties": {
        "api_key": _text("The client's key (KANDOO_OPEN311_API_KEYS)"),
        "jurisdiction_id": _text("The municipality's code, if given: huahin"),
        "service_code": _text("A category code from services.json"),
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": _text("Address or landmark", 500),
        "description": _text("What is wrong", MAX_DESCRIPTION),
        "first_name": _text("Reporter's first name (personal data, sealed)", 100),
        "last_name": _text("Reporter's last name (personal data, sealed)", 100),
        "phone": _text("Reporter's phone (personal data, sealed)", 40),
        "email": _text("Reporter's e-mail (personal data, sealed)", 320),
        "device_id": _text("The client's device id (personal data, sealed)"),
        "account_id": _text("The client's account id (personal data, sealed)"),
        "media_url": _text("Not stored: send photos through the JSON API"),
    },
}


@router.post(
    "/requests.{fmt}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": REQUEST_FORM}},
        }
    },
)
async def post_request(request: Request, intake: IntakeDep, fmt: Format) -> Response:
    """Create a service request (form-encoded, GeoReport v2). When routing has not decided
    it within the wait, the answer holds a `token` instead of the id (GET tokens/{token})."""
    form = await request.form()
    try:
        report = submission(intake, form)
        done = await submit(intake, report, OPEN311_ACTOR, answer_in="en")
        account_id = field(form, "account_id")
    except Refused as exc:
        return error(exc.status, exc.description, fmt)
    except ApiError as exc:
        return error(exc.status if exc.status == 503 else 400, exc.message, fmt)
    created: dict[str, Any] = {
        "service_notice": f"Tracking code {done.tracking_code}",
        "account_id": account_id,
    }
    if done.result is None:
        await intake.tokens.put(done.command_id, done.complaint_id)
        created = {"token": done.command_id, **created}
    else:
        created = {"service_request_id": done.complaint_id, **created}
    return answer([created], fmt, "service_requests")


@router.get("/tokens/{token}.{fmt}")
async def token(
    token: str, intake: IntakeDep, fmt: Format, jurisdiction_id: Jurisdiction = None
) -> Response:
    """The service request id of a request answered with a token."""
    try:
        _jurisdiction(intake, jurisdiction_id)
        complaint_id = await intake.tokens.get(token)
        if complaint_id is None:
            raise Refused(404, f"unknown token {token}")
    except Refused as exc:
        return error(exc.status, exc.description, fmt)
    return answer([{"service_request_id": complaint_id, "token": token}], fmt, "service_requests")
