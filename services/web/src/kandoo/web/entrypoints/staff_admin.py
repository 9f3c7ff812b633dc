"""The supervisors' and the clerk's pages: department health (who is not answering, with
a CSV of the table), the roster (appoint or remove a department's admins: commands that
routing writes to `directory.events`), and staff accounts (the clerk creates and unlocks)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from kandoo.events.values import Role
from kandoo.web.adapters.accounts import AccountExists
from kandoo.web.domain import present
from kandoo.web.domain.staff import STAFF_ROLES, password_problem, username_problem
from kandoo.web.entrypoints.context import render, web_of
from kandoo.web.entrypoints.staff_auth import Console, ConsoleDep, PostDep, Refused

router = APIRouter(prefix="/staff")
CSV_COLUMNS = (
    "department",
    "name_th",
    "name_en",
    "active_admins",
    "admins",
    "open",
    "unacknowledged",
    "overdue",
    "oldest_unacknowledged_hours",
    "submitted",
    "resolved",
    "breached",
    "breach_rate",
    "submitted_last_7_days",
    "submitted_previous_7_days",
)


async def _health(request: Request, me: Console) -> list[dict[str, Any]]:
    """Reporting's health table, each line with its week-on-week trend of new reports."""
    web = web_of(request)
    today = present.now().astimezone(web.directory.municipality.zone).date()
    week = [(today - timedelta(days=6 + 7 * n), today - timedelta(days=7 * n)) for n in (0, 1)]
    health, *weeks = await asyncio.gather(
        web.reporting.get("/v1/departments/health", me.words.language, me.caller),
        *(web.reporting.public_stats(str(a), str(b), me.words.language) for a, b in week),
    )
    if not health.ok:
        raise Refused("service_unavailable")
    lines: list[dict[str, Any]] = health.body
    counts = [(w.body.get("departments") or {}) if w.ok else {} for w in weeks]
    for line in lines:
        code = line["department"]
        line["last_7"] = int((counts[0].get(code) or {}).get("submitted", 0))
        line["previous_7"] = int((counts[1].get(code) or {}).get("submitted", 0))
    return lines


def _may_see_health(me: Console) -> None:
    if not me.staff.may_see_health:
        raise Refused("staff_not_allowed")


@router.get("/health")
async def health(request: Request, me: ConsoleDep) -> Response:
    _may_see_health(me)
    lines = await _health(request, me)
    inside = [line for line in lines if not line.get("external")]
    inside.sort(key=lambda h: (not h["without_admin"], -h["overdue"], -h["unacknowledged"]))
    silent = [h for h in inside if h["without_admin"]]
    silent_names = ", ".join(present.names(h["name"], me.words) for h in silent)
    values = me.values(lines=inside, silent=silent, silent_names=silent_names, now=present.now())
    return render(request, "staff/health.html", me.words, values)


@router.get("/health.csv")
async def health_csv(request: Request, me: ConsoleDep) -> Response:
    _may_see_health(me)
    lines = await _health(request, me)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for h in lines:
        names = h.get("name") or {}
        admins = "; ".join(a.get("name", "") for a in h.get("admins") or [])
        writer.writerow(
            [
                h["department"],
                names.get("th", ""),
                names.get("en", ""),
                h["active_admins"],
                admins,
                h["open"],
                h["unacknowledged"],
                h["overdue"],
                h.get("oldest_unacknowledged_hours") or "",
                h["submitted"],
                h["resolved"],
                h["breached"],
                h["breach_rate"],
                h["last_7"],
                h["previous_7"],
            ]
        )
    day = present.now().date().isoformat()
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM: Excel then reads the Thai names as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="department-health-{day}.csv"'},
    )


# --- the roster ------------------------------------------------------------------------


def _may_appoint(me: Console) -> None:
    if not me.staff.may_appoint:
        raise Refused("staff_not_allowed")


@router.get("/roster")
async def roster(request: Request, me: ConsoleDep, done: str = "", error: str = "") -> Response:
    _may_appoint(me)
    web = web_of(request)
    health = await web.reporting.get("/v1/departments/health", me.words.language, me.caller)
    if not health.ok:
        raise Refused("service_unavailable")
    accounts = [s for s, _ in await web.accounts.all() if s.role is Role.DEPT_ADMIN]
    lines = [h for h in health.body if not h.get("external")]
    values = me.values(lines=lines, accounts=accounts, done=done, error=error)
    return render(request, "staff/roster.html", me.words, values)


async def _roster_answer(request: Request, me: Console, answer: Any, done: str) -> Response:
    if answer.ok:
        await asyncio.sleep(0.5)  # reporting follows the roster within moments
        return RedirectResponse(f"/staff/roster?done={done}", status_code=303)
    reason = next(iter(answer.field_errors().values()), None) or answer.message
    words = me.words
    error = reason or words("error_title")
    return await roster_page_with(request, me, error, answer.status)


async def roster_page_with(request: Request, me: Console, error: str, status: int) -> Response:
    response = await roster(request, me, error=error)
    response.status_code = status if 400 <= status < 600 else 502
    return response


@router.post("/roster/appoint")
async def appoint(
    request: Request,
    me: PostDep,
    department: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
) -> Response:
    _may_appoint(me)
    web = web_of(request)
    person = await web.accounts.get(username)
    if person is None:
        return await roster_page_with(request, me, me.words("staff_no_such_account"), 422)
    answer = await web.intake.appoint(
        department, person.username, person.name, person.language, me.caller
    )
    return await _roster_answer(request, me, answer, "appointed")


@router.post("/roster/remove")
async def remove(
    request: Request,
    me: PostDep,
    department: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
) -> Response:
    _may_appoint(me)
    answer = await web_of(request).intake.remove_admin(department, username, me.caller)
    return await _roster_answer(request, me, answer, "removed")


# --- accounts --------------------------------------------------------------------------


def _may_manage(me: Console) -> None:
    if not me.staff.may_manage_accounts:
        raise Refused("staff_not_allowed")


async def _accounts_page(
    request: Request, me: Console, problem: str | None = None, status: int = 200, done: str = ""
) -> Response:
    web = web_of(request)
    values = me.values(
        accounts=await web.accounts.all(),
        roles=STAFF_ROLES,
        departments=[d for d in web.directory.departments if not d.external],
        problem=problem,
        done=done,
        now=present.now(),
    )
    return render(request, "staff/accounts.html", me.words, values, status)


@router.get("/accounts")
async def accounts(request: Request, me: ConsoleDep, done: str = "") -> Response:
    _may_manage(me)
    return await _accounts_page(request, me, done=done)


@router.post("/accounts")
async def create_account(
    request: Request,
    me: PostDep,
    username: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "th",
) -> Response:
    _may_manage(me)
    web = web_of(request)
    user = username.strip().lower()
    problem = username_problem(user) or password_problem(password, user)
    if role not in {r.value for r in STAFF_ROLES}:
        problem = problem or "staff_bad_role"
    dept = department or None
    if role == Role.DEPT_ADMIN.value and (dept is None or web.directory.department(dept) is None):
        problem = problem or "staff_needs_department"
    if not name.strip():
        problem = problem or "staff_needs_name"
    if problem:
        return await _accounts_page(request, me, problem, 422)
    try:
        await web.accounts.create(
            user, name.strip(), Role(role), dept, password, "en" if language == "en" else "th"
        )
    except AccountExists:
        return await _accounts_page(request, me, "staff_account_exists", 409)
    return RedirectResponse("/staff/accounts?done=created", status_code=303)


@router.post("/accounts/{username}/unlock")
async def unlock(request: Request, me: PostDep, username: str) -> Response:
    _may_manage(me)
    await web_of(request).accounts.unlock(username)
    return RedirectResponse("/staff/accounts?done=unlocked", status_code=303)
