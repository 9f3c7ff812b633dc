"""The report page: a description, a pin, photos, a contact; "is it one of these?" with
"me too"; and the page that shows the tracking code."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from kandoo.web.adapters.apis import Answer
from kandoo.web.entrypoints.context import (
    browser_id,
    citizen,
    keep_token,
    map_context,
    remember_browser,
    render,
    tokens,
    web_of,
    words_for,
)

router = APIRouter()
FORM_FIELDS = ("description", "category", "lat", "lon", "address_text", "name", "phone", "email")
MAX_PHOTOS = 5
API_FIELD = {
    "description": "description",
    "location": "location",
    "location.lat": "location",
    "location.lon": "location",
    "location.address_text": "address_text",
    "category": "category",
    "reporter.name": "name",
    "reporter.phone": "phone",
    "reporter.email": "email",
    "photos": "photos",
}
"""Where an intake error about a field of the report shows on the form."""


def report_page(
    request: Request,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    words = words_for(request)
    return render(
        request,
        "report.html",
        words,
        {
            "values": values or {},
            "errors": errors or {},
            "problem": problem,
            **map_context(web_of(request)),
            "idempotency_key": (values or {}).get("idempotency_key") or uuid.uuid4().hex,
        },
        status_code,
    )


@router.get("/")
async def report_form(request: Request) -> Response:
    return report_page(request)


def _number(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


@router.post("/")
async def submit_report(request: Request) -> Response:
    """The form, with or without JavaScript: a multipart POST, answered with the tracking
    code's page, or the form again with each error by its field in the page's language."""
    words = words_for(request)
    web = web_of(request)
    form = await request.form(max_files=MAX_PHOTOS + 1, max_part_size=web.settings.max_photo_bytes)
    values: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in FORM_FIELDS}
    values["anonymous"] = bool(form.get("anonymous"))
    values["idempotency_key"] = str(form.get("idempotency_key") or uuid.uuid4().hex)[:100]
    photos = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
    errors: dict[str, str] = {}
    lat, lon = _number(values["lat"]), _number(values["lon"])
    if lat is None or lon is None:
        errors["location"] = words("pin_required")
    if not values["description"]:
        errors["description"] = words("description_hint")
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = words("photos_label")
    if errors:
        return report_page(request, values, errors, words("form_has_errors"), 422)
    reporter = {k: values[k] or None for k in ("name", "phone", "email")}
    report = {
        "description": values["description"],
        "location": {"lat": lat, "lon": lon, "address_text": values["address_text"] or None},
        "category": values["category"] or None,
        "reporter": {**reporter, "anonymous": values["anonymous"]},
        "channel": "web",
        "language": words.language,
    }
    files = [
        (f.filename or f"photo{i}.jpg", await f.read(), f.content_type or "image/jpeg")
        for i, f in enumerate(photos, 1)
    ]
    answer = await web.intake.submit(
        report, files, citizen(request, words), values["idempotency_key"]
    )
    if not answer.ok:
        return _refused(request, values, answer)
    code = str(answer.body["tracking_code"])
    response = RedirectResponse(f"/submitted/{code}", status_code=303)
    keep_token(request, response, code, str(answer.body.get("tracking_token") or ""))
    remember_browser(request, response)
    response.set_cookie("kandoo_last", _last(answer), max_age=3600, samesite="lax", httponly=True)
    return response


def _last(answer: Answer) -> str:
    """What the submitted page says of routing: 'routed:<department>' or 'pending'."""
    department = answer.body.get("department")
    return f"routed:{department}" if answer.status == 201 and department else "pending"


def _refused(request: Request, values: dict[str, Any], answer: Answer) -> Response:
    words = words_for(request)
    if answer.status >= 500 or answer.status == 429:
        return report_page(request, values, {}, answer.message or words("service_unavailable"), 503)
    errors = {API_FIELD.get(k, "description"): v for k, v in answer.field_errors().items()}
    if answer.code == "outside_jurisdiction":
        errors["location"] = answer.message or words("pin_outside")
    if not errors:
        errors["description"] = answer.message
    return report_page(request, values, errors, words("form_has_errors"), 422)


@router.get("/submitted/{code}")
async def submitted(request: Request, code: str) -> Response:
    words = words_for(request)
    web = web_of(request)
    token = tokens(request).get(code)
    last = request.cookies.get("kandoo_last", "pending")
    department = None
    if last.startswith("routed:"):
        found = web.directory.department(last.split(":", 1)[1])
        department = (found.name_th if words.language == "th" else found.name_en) if found else None
    link = f"{web.settings.public_url}/t/{code}" + (f"?k={token}" if token else "")
    values = {"code": code, "link": link, "department": department}
    return render(request, "submitted.html", words, values)


@router.get("/nearby")
async def nearby(request: Request, lat: float, lon: float) -> Response:
    """Open reports within 50 m of the pin (an htmx fragment of the report page)."""
    words = words_for(request)
    answer = await web_of(request).reporting.nearby(lat, lon, words.language)
    features = answer.body.get("features", []) if answer.ok else []
    mine = set(tokens(request))
    items = [f["properties"] for f in features if f["properties"].get("tracking_code") not in mine]
    return render(request, "_nearby.html", words, {"items": items, "done": None})


@router.post("/support/{complaint_id}")
async def support(
    request: Request,
    complaint_id: str,
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """ "Me too" from this browser: once per browser (its id is the supporter token); the
    contact, if given, is told of updates like the reporter."""
    words = words_for(request)
    contact = {"phone": phone.strip() or None, "email": email.strip() or None}
    body = {"supporter_token": browser_id(request), "contact": contact}
    answer = await web_of(request).intake.act(
        complaint_id,
        "support",
        body,
        citizen(request, words),
        idempotency_key=f"support-{browser_id(request)}",
    )
    done = "ok" if answer.ok or answer.code == "already_supported" else None
    message = words("done_support") if done else answer.message or words("error_title")
    if request.headers.get("hx-request"):
        response = render(request, "_supported.html", words, {"message": message, "ok": bool(done)})
    else:
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target + ("?done=support" if done else ""), status_code=303)
    remember_browser(request, response)
    return response
