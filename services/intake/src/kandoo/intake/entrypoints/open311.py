"""Open311 GeoReport v2, write side and discovery (JSON).

Errors are `[{"code", "description"}]` with 400, 403 (bad or missing api_key) or 404.
Empty form fields count as absent.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kandoo.events.values import Actor, Location, ReporterContact, Role
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.entrypoints.deps import IntakeDep
from kandoo.intake.service import Submission, submit

router = APIRouter(prefix="/open311/v2", tags=["open311"])
OPEN311_ACTOR = Actor(id="open311", role=Role.CITIZEN)


def o311_error(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


def service(intake: Any, code: str) -> dict[str, Any] | None:
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


@router.get("/discovery.json")
async def discovery(intake: IntakeDep) -> dict[str, Any]:
    """Where this Open311 endpoint is and what it speaks."""
    base = intake.settings.public_url
    return {
        "changeset": "2026-11-23T00:00:00Z",
        "contact": intake.directory.municipality.name_en,
        "key_service": "Ask the municipality's clerk office for an api_key",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": f"{base}/open311/v2",
                "changeset": "2026-11-23T00:00:00Z",
                "type": "production",
                "formats": ["application/json"],
            }
        ],
    }


@router.get("/services.json")
async def services(intake: IntakeDep) -> list[dict[str, Any]]:
    """Every category of the directory, as an Open311 service."""
    return [s for c_ in intake.directory.categories if (s := service(intake, c_.code))]


@router.get("/services/{code}.json", response_model=None)
async def service_definition(code: str, intake: IntakeDep) -> dict[str, Any] | JSONResponse:
    """One service; Kandoo asks no extra attributes."""
    if service(intake, code) is None:
        return o311_error(404, f"unknown service_code {code}")
    return {"service_code": code, "attributes": []}


def field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


@router.post("/requests.json", response_model=None)
async def post_request(request: Request, intake: IntakeDep) -> list[dict[str, Any]] | JSONResponse:
    """Create a service request (form-encoded, GeoReport v2)."""
    form = await request.form()
    if field(form, "api_key") not in intake.settings.open311_api_keys:
        return o311_error(403, "api_key is missing or not valid")
    code = field(form, "service_code")
    if code is None or intake.directory.category(code) is None:
        return o311_error(400, "service_code is missing or unknown (GET services.json)")
    lat, lon = field(form, "lat"), field(form, "long")
    if lat is None or lon is None:
        address = field(form, "address_string")
        return o311_error(
            400,
            "lat and long are required"
            + (" (address_string alone cannot be placed on the map yet)" if address else ""),
        )
    try:
        location = Location(
            lat=float(lat), lon=float(lon), address_text=field(form, "address_string")
        )
    except ValueError:
        return o311_error(400, "lat and long must be numbers in range")
    description = field(form, "description") or ""
    if not description or len(description) > 4000:
        return o311_error(400, "description is required (at most 4000 characters)")
    name = " ".join(p for p in (field(form, "first_name"), field(form, "last_name")) if p) or None
    report = Submission(
        description=description,
        language="th",
        location=location,
        category=code,
        channel="open311",
        channel_reference=field(form, "device_id") or field(form, "account_id"),
        reporter=ReporterContact(name=name, phone=field(form, "phone"), email=field(form, "email")),
    )
    try:
        done = await submit(intake, report, OPEN311_ACTOR, answer_in="en")
    except ApiError as exc:
        return o311_error(exc.status if exc.status == 503 else 400, exc.message)
    received = "Tracking code" if done.result is not None else "Received; tracking code"
    return [
        {
            "service_request_id": done.complaint_id,
            "service_notice": f"{received} {done.tracking_code}",
            "account_id": field(form, "account_id"),
        }
    ]
