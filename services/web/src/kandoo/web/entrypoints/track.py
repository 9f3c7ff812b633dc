"""The track page (`/t/{code}`, the link every message sends): status in words, the
public timeline, department and due date, photos before and after; and for the holder
of the tracking token (this browser's cookie, or the link's `?k=`): add a note, rate
once resolved, reopen within 14 days."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from kandoo.events.decide import REOPEN_WINDOW
from kandoo.web.domain import present
from kandoo.web.entrypoints.context import (
    browser_id,
    citizen,
    keep_token,
    photo_response,
    remember_browser,
    render,
    tokens,
    web_of,
    words_for,
)

router = APIRouter()
ACTIONS = ("notes", "rate", "reopen")
DONE = {
    "notes": "done_note",
    "rate": "done_rate",
    "reopen": "done_reopen",
    "support": "done_support",
}


def _clean(code: str) -> str:
    return code.strip().upper()


@router.get("/track")
async def lookup(request: Request, code: str = "") -> Response:
    """The "track a report" box: to the report's page, or back with an error."""
    if code.strip():
        return RedirectResponse(f"/t/{_clean(code)}", status_code=303)
    words = words_for(request)
    return render(request, "lookup.html", words, {"error": None, "code": ""})


def _photos(view: dict[str, Any]) -> tuple[list[str], list[str]]:
    after: list[str] = []
    for entry in view.get("timeline") or []:
        if entry.get("type") == "complaint.resolved":
            after = list(entry.get("photos") or [])
    return list(view.get("photos") or []), after


def _reporter_may(view: dict[str, Any], now: datetime) -> dict[str, bool]:
    status = view.get("status")
    resolved_at = present.parse(view.get("resolved_at"))
    finished = status in ("resolved", "closed")
    return {
        "note": status not in ("closed", "duplicate"),
        "rate": finished and not view.get("rating"),
        "reopen": finished and resolved_at is not None and now - resolved_at <= REOPEN_WINDOW,
    }


async def track_page(
    request: Request, code: str, error: str | None = None, status_code: int = 200
) -> Response:
    words = words_for(request)
    web = web_of(request)
    answer = await web.reporting.track(code, words.language)
    if answer.status == 404:
        return render(
            request, "lookup.html", words, {"error": words("track_not_found"), "code": code}, 404
        )
    if not answer.ok:
        unavailable = {"message": words("service_unavailable")}
        return render(request, "error.html", words, unavailable, 503)
    view = answer.body
    now = datetime.now().astimezone()
    before, after = _photos(view)
    token = tokens(request).get(code)
    resolved_at = present.parse(view.get("resolved_at"))
    values: dict[str, Any] = {
        "code": code,
        "view": view,
        "before": before,
        "after": after,
        "reporter": token is not None,
        "may": _reporter_may(view, now) if token else {},
        "reopen_until": resolved_at + REOPEN_WINDOW if resolved_at else None,
        "done": DONE.get(request.query_params.get("done", "")),
        "error": error,
        "overdue": _overdue(view, now),
        "is_open": view.get("status") in present.OPEN,
        "supporter": browser_id(request),
    }
    return render(request, "track.html", words, values, status_code)


def _overdue(view: dict[str, Any], now: datetime) -> bool:
    if view.get("status") not in present.OPEN:
        return False
    due = present.parse(view.get("resolve_by"))
    return due is not None and due < now


@router.get("/t/{code}")
async def track(request: Request, code: str, k: str | None = None) -> Response:
    clean = _clean(code)
    if k or clean != code:
        # The link's token goes into this browser's cookie, and out of the address bar.
        response = RedirectResponse(f"/t/{clean}", status_code=303)
        if k:
            keep_token(request, response, clean, k)
        return response
    return await track_page(request, clean)


@router.get("/t/{code}/photos/{sha256}")
async def photo(request: Request, code: str, sha256: str) -> Response:
    """A photo of the report, for its reporter only (photos may show faces and number
    plates: intake hands them to staff and to the token that sent them)."""
    token = tokens(request).get(code)
    if not token or len(sha256) != 64:
        return Response(status_code=403)
    answer = await web_of(request).intake.photo(sha256, token)
    return photo_response(answer, words_for(request)("staff_done_photo_removed"))


@router.post("/t/{code}/{action}")
async def act(
    request: Request,
    code: str,
    action: str,
    text: Annotated[str, Form()] = "",
    rating: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    complaint_id: Annotated[str, Form()] = "",
) -> Response:
    """A note, a rating or a reopening by the reporter; the page again with the outcome."""
    words = words_for(request)
    token = tokens(request).get(code)
    if action not in ACTIONS or not token or not complaint_id:
        return await track_page(request, code, words("error_title"), 403)
    body: dict[str, Any]
    if action == "notes":
        body = {"text": text.strip()}
    elif action == "rate":
        body = {
            "rating": int(rating) if rating.isdigit() else 0,
            "comment": comment.strip() or None,
        }
    else:
        body = {"reason": text.strip()}
    answer = await web_of(request).intake.act(
        complaint_id, action, body, citizen(request, words), tracking_token=token
    )
    if not answer.ok:
        reason = next(iter(answer.field_errors().values()), None) or answer.message
        status = answer.status if 400 <= answer.status < 600 else 502
        return await track_page(request, code, reason or words("error_title"), status)
    response = RedirectResponse(f"/t/{code}?done={action}", status_code=303)
    remember_browser(request, response)
    return response
