"""The staff console's work pages: the department queue (filters, paging, bulk
acknowledge, a printable shortlist), a complaint (map, photos, timeline, every action), and
the clerk's triage of reports the classifier was unsure of.

Every page reads through reporting and every action goes through intake with the token
minted for the signed-in staff member: the console holds no complaint data of its own.
A department admin who asks for another department's queue or complaint gets a 403 page
from here, and intake's lifecycle refuses their actions there too.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile as FormFile

from kandoo.events.values import Role
from kandoo.web.adapters.apis import Answer
from kandoo.web.domain import present
from kandoo.web.entrypoints.context import map_context, photo_response, render, web_of
from kandoo.web.entrypoints.staff_auth import Console, ConsoleDep, PostDep, Refused

router = APIRouter(prefix="/staff")
PAGE_SIZE = 25
WAIT_FOR_READ_S = 3.0
STATUSES = ("triage", "routed", "acknowledged", "in_progress", "reopened", "submitted")
ACTIONS = {
    "acknowledge",
    "assign",
    "notes",
    "resolve",
    "reject",
    "reroute",
    "recategorize",
    "forward",
    "duplicate",
    "location",
    "erase",
}
CLERK_ONLY = frozenset({"erase"})


def _home_department(request: Request, me: Console) -> str:
    """A department admin's own; a supervisor of all starts at the clerk's queue."""
    return me.staff.department or web_of(request).directory.escalation_clerk


@router.get("")
async def home(me: ConsoleDep) -> Response:
    supervises = me.staff.may_see_health and me.staff.role is not Role.CLERK
    target = "/staff/health" if supervises else "/staff/queue"
    return RedirectResponse(target, status_code=303)


def _may_see(me: Console, department: str) -> None:
    if not me.staff.sees(department):
        raise Refused("staff_other_department")


def _department_asked(request: Request, me: Console, department: str) -> str:
    """The department a queue page is asked for (by default the staff member's own),
    known to the directory and one this staff member may see."""
    department = department or _home_department(request, me)
    if web_of(request).directory.department(department) is None:
        raise Refused("staff_unknown_department")
    _may_see(me, department)
    return department


async def _queue(
    request: Request,
    me: Console,
    department: str,
    status: str | None,
    category: str | None,
    overdue: bool,
    page: int,
    page_size: int = PAGE_SIZE,
) -> tuple[Answer, Answer]:
    web = web_of(request)
    path = f"/v1/departments/{department}/queue"
    found, health = await asyncio.gather(
        web.reporting.get(
            path,
            me.words.language,
            me.caller,
            status=status or None,
            category=category or None,
            overdue=True if overdue else None,
            page=page,
            page_size=page_size,
        ),
        web.reporting.get("/v1/departments/health", me.words.language, me.caller),
    )
    return found, health


def _department_line(health: Answer, department: str) -> dict[str, Any] | None:
    if not health.ok or not isinstance(health.body, list):
        return None
    return next((h for h in health.body if h.get("department") == department), None)


@router.get("/queue")
async def queue(
    request: Request,
    me: ConsoleDep,
    department: str = "",
    status: str = "",
    category: str = "",
    overdue: bool = False,
    page: int = 1,
    done: str = "",
) -> Response:
    web = web_of(request)
    department = _department_asked(request, me, department)
    page = max(page, 1)
    found, health = await _queue(request, me, department, status, category, overdue, page)
    if not found.ok:
        raise _unavailable(me, found)
    body = found.body
    pages = max(1, math.ceil(int(body["total"]) / PAGE_SIZE))
    departments = [d for d in web.directory.departments if not d.external and me.staff.sees(d.code)]
    values = me.values(
        department=department,
        departments=departments,
        queue=body,
        line=_department_line(health, department),
        filters={"status": status, "category": category, "overdue": overdue},
        statuses=STATUSES,
        page=page,
        pages=pages,
        done=done,
        now=present.now(),
    )
    return render(request, "staff/queue.html", me.words, values)


@router.get("/queue/print")
async def queue_print(
    request: Request,
    me: ConsoleDep,
    department: str = "",
    status: str = "",
    category: str = "",
    overdue: bool = False,
) -> Response:
    """A shortlist for a field team: the 50 most urgent, with where to go."""
    department = _department_asked(request, me, department)
    found, _ = await _queue(request, me, department, status, category, overdue, 1, 50)
    if not found.ok:
        raise _unavailable(me, found)
    values = me.values(department=department, queue=found.body, now=present.now())
    return render(request, "staff/queue_print.html", me.words, values)


@router.post("/queue/acknowledge")
async def bulk_acknowledge(request: Request, me: PostDep) -> Response:
    """Acknowledge every ticked item at once; the queue again with how many succeeded."""
    form = await request.form()
    ids = [str(v) for v in form.getlist("ids")][:PAGE_SIZE]
    web = web_of(request)
    answers = await asyncio.gather(
        *(web.intake.act(cid, "acknowledge", None, me.caller) for cid in ids)
    )
    accepted = sum(1 for a in answers if a.ok)
    back = str(form.get("back") or "/staff/queue")
    if not back.startswith("/staff/queue"):
        back = "/staff/queue"
    joiner = "&" if "?" in back else "?"
    await asyncio.sleep(0.3)  # the read model follows within moments
    return RedirectResponse(
        f"{back}{joiner}done=ack:{accepted}:{len(ids) - accepted}", status_code=303
    )


def _unavailable(me: Console, answer: Answer) -> Refused:
    """Reporting said no (403, 404) or did not answer: the refusal page to show."""
    key = {403: "staff_other_department", 404: "not_found_title"}.get(
        answer.status, "service_unavailable"
    )
    return Refused(key, me)


# --- a complaint ----------------------------------------------------------------------


async def _complaint(request: Request, me: Console, complaint_id: str) -> dict[str, Any]:
    answer = await web_of(request).reporting.get(
        f"/v1/complaints/{complaint_id}", me.words.language, me.caller
    )
    if answer.status == 404:
        raise Refused("not_found_title")
    if not answer.ok:
        raise Refused("service_unavailable")
    view: dict[str, Any] = answer.body
    _may_see(me, str(view.get("department") or ""))
    return view


def _after_photos(view: dict[str, Any]) -> list[str]:
    after: list[str] = []
    for entry in view.get("timeline") or []:
        if entry.get("type") == "complaint.resolved":
            after = list(entry.get("photos") or [])
    return after


async def complaint_page(
    request: Request,
    me: Console,
    complaint_id: str,
    error: str | None = None,
    status_code: int = 200,
    done: str = "",
) -> Response:
    view = await _complaint(request, me, complaint_id)
    web = web_of(request)
    values = me.values(
        view=view,
        after=_after_photos(view),
        error=error,
        done=done,
        agencies=[d for d in web.directory.departments if d.external],
        departments=[d for d in web.directory.departments if not d.external],
        is_open=view.get("status") in present.OPEN,
        overdue=_overdue(view),
        **map_context(web),
    )
    return render(request, "staff/complaint.html", me.words, values, status_code)


def _overdue(view: dict[str, Any]) -> bool:
    if view.get("status") not in present.OPEN:
        return False
    waiting = view.get("status") in ("routed", "triage", "reopened")
    due = present.parse(view.get("acknowledge_by") if waiting else view.get("resolve_by"))
    return due is not None and due < present.now()


@router.get("/c/{complaint_id}")
async def complaint(
    request: Request, me: ConsoleDep, complaint_id: str, done: str = ""
) -> Response:
    return await complaint_page(request, me, complaint_id, done=done)


@router.get("/photos/{sha256}")
async def staff_photo(request: Request, me: ConsoleDep, sha256: str) -> Response:
    if len(sha256) != 64:
        return Response(status_code=404)
    answer = await web_of(request).intake.photo(sha256, who=me.caller)
    return photo_response(answer, me.words("staff_done_photo_removed"))


async def _body(
    request: Request, me: Console, complaint_id: str, action: str, form: Any
) -> dict[str, Any] | str | None:
    """The API body of an action from its form (a words key when the form is wrong)."""
    text = str(form.get("text") or "").strip()
    match action:
        case "acknowledge":
            return None
        case "assign":
            return {"assignee": text} if text else "staff_say_who"
        case "notes":
            return (
                {"text": text, "public": form.get("public") == "on"} if text else "staff_say_what"
            )
        case "reject":
            return {"reason": text}
        case "erase":
            return {"reason": text} if text else "staff_say_why_erase"
        case "reroute":
            return {"department": str(form.get("department") or ""), "reason": text or "-"}
        case "recategorize":
            return {"category": str(form.get("category") or "")}
        case "forward":
            return {"agency": str(form.get("agency") or ""), "note": text or None}
        case "location":
            try:
                lat, lon = float(str(form.get("lat"))), float(str(form.get("lon")))
            except ValueError:
                return "staff_bad_location"
            return {"location": {"lat": lat, "lon": lon, "address_text": text or None}}
        case "duplicate":
            return await _original(request, me, text)
        case "resolve":
            return await _resolution(request, me, complaint_id, text, form.get("photo"))
    return "staff_unknown_action"


async def _original(request: Request, me: Console, code: str) -> dict[str, Any] | str:
    """MarkDuplicate takes the original's id; staff type its tracking code (or its id)."""
    if not code:
        return "staff_say_original"
    web = web_of(request)
    found = await web.reporting.track(code.upper(), me.words.language)
    if found.ok:
        return {"original_id": found.body["id"]}
    return {"original_id": code}


async def _resolution(
    request: Request, me: Console, complaint_id: str, note: str, photo: Any
) -> dict[str, Any] | str:
    photos: list[str] = []
    if isinstance(photo, FormFile) and photo.filename:
        limit = web_of(request).settings.max_photo_bytes
        data = await photo.read(limit + 1)
        if len(data) > limit:
            return "photo_too_large"
        kind = photo.content_type or "application/octet-stream"
        stored = await web_of(request).intake.add_photo(
            complaint_id, (photo.filename, data, kind), me.caller
        )
        if not stored.ok:
            return stored.message or "photo_invalid"
        photos.append(str(stored.body["sha256"]))
    return {"note": note, "photos": photos}


async def _wait_for_read(request: Request, me: Console, complaint_id: str, answer: Answer) -> None:
    """Until the read model shows the action's last event, briefly: the page after an
    action shows what was done."""
    events = answer.body.get("events") if isinstance(answer.body, dict) else None
    if not events:
        return
    wanted = max(int(e.get("sequence", 0)) for e in events)
    web = web_of(request)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_FOR_READ_S
    while loop.time() < deadline:
        found = await web.reporting.get(f"/v1/complaints/{complaint_id}", "en", me.caller)
        timeline = found.body.get("timeline") if found.ok else None
        if timeline and max(int(e.get("sequence", 0)) for e in timeline) >= wanted:
            return
        await asyncio.sleep(0.15)


@router.post("/c/{complaint_id}/{action}")
async def act(
    request: Request,
    me: PostDep,
    complaint_id: str,
    action: str,
) -> Response:
    """One action on a complaint; the page again, with the lifecycle's reason if refused."""
    if action not in ACTIONS or not me.staff.acts:
        raise Refused("staff_not_allowed")
    if action in CLERK_ONLY and not me.staff.may_erase:
        raise Refused("staff_not_allowed")
    await _complaint(request, me, complaint_id)  # 403 for another department, here
    form = await request.form()
    body = await _body(request, me, complaint_id, action, form)
    if isinstance(body, str):
        words = me.words
        message = words(body) if words.has(body) else body
        return await complaint_page(request, me, complaint_id, message, 422)
    answer = await web_of(request).intake.act(complaint_id, action, body, me.caller)
    if not answer.ok:
        reason = next(iter(answer.field_errors().values()), None) or answer.message
        status = answer.status if 400 <= answer.status < 600 else 502
        return await complaint_page(
            request, me, complaint_id, reason or me.words("error_title"), status
        )
    await _wait_for_read(request, me, complaint_id, answer)
    return RedirectResponse(f"/staff/c/{complaint_id}?done={action}", status_code=303)


@router.post("/c/{complaint_id}/photos/{sha256}/remove")
async def remove_photo(request: Request, me: PostDep, complaint_id: str, sha256: str) -> Response:
    """The clerk deletes a photo for good (a face, a number plate), on request."""
    if not me.staff.may_erase:
        raise Refused("staff_not_allowed")
    view = await _complaint(request, me, complaint_id)
    if sha256 not in [*view.get("photos", []), *_after_photos(view)]:
        raise Refused("staff_not_allowed")
    form = await request.form()
    reason = str(form.get("text") or "").strip() or "PDPA request"
    status = await web_of(request).intake.remove_photo(sha256, reason, me.caller)
    if status not in (204, 404):
        return await complaint_page(request, me, complaint_id, me.words("error_title"), 502)
    return RedirectResponse(f"/staff/c/{complaint_id}?done=photo_removed", status_code=303)


# --- triage ----------------------------------------------------------------------------


@router.get("/triage")
async def triage(request: Request, me: ConsoleDep, page: int = 1, done: str = "") -> Response:
    """Reports the classifier was unsure of, with its three best guesses: one click sends
    each where it belongs (and the classifier learns from the choice)."""
    if not me.staff.may_triage:
        raise Refused("staff_not_allowed")
    web = web_of(request)
    department = web.directory.triage.department
    found = await web.reporting.get(
        f"/v1/departments/{department}/queue",
        me.words.language,
        me.caller,
        status="triage",
        page=max(page, 1),
        page_size=20,
    )
    if not found.ok:
        raise _unavailable(me, found)
    items = found.body["items"]
    views = await asyncio.gather(
        *(
            web.reporting.get(f"/v1/complaints/{i['id']}", me.words.language, me.caller)
            for i in items
        )
    )
    rows = []
    for item, view in zip(items, views, strict=True):
        classification = (view.body.get("classification") if view.ok else None) or {}
        guesses = [
            (g.get("category"), float(g.get("confidence") or 0))
            for g in classification.get("alternatives") or []
        ][:3]
        if not guesses and classification.get("category"):
            guesses = [(classification["category"], classification.get("confidence", 0))]
        rows.append({"item": item, "guesses": guesses, "view": view.body if view.ok else {}})
    total = int(found.body["total"])
    values = me.values(
        rows=rows,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / 20)),
        done=done,
        categories=web.directory.categories,
    )
    return render(request, "staff/triage.html", me.words, values)


@router.post("/triage/{complaint_id}")
async def triage_one(request: Request, me: PostDep, complaint_id: str) -> Response:
    if not me.staff.may_triage:
        raise Refused("staff_not_allowed")
    form = await request.form()
    category = str(form.get("category") or "")
    answer = await web_of(request).intake.act(
        complaint_id, "recategorize", {"category": category}, me.caller
    )
    done = "triaged" if answer.ok else "refused"
    await asyncio.sleep(0.3)
    return RedirectResponse(f"/staff/triage?done={done}", status_code=303)
