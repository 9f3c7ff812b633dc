"""Staff sign-in for the console: login with a growing delay and a lock after repeated
failures, logout, password change; the session cookie (HttpOnly, SameSite=Lax, Secure
outside development), CSRF tokens on every form, and the short-lived API token minted for
the signed-in staff member on each call, so intake and reporting see them as the actor."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from kandoo.events.auth import issue_token
from kandoo.web.adapters.accounts import Session
from kandoo.web.adapters.apis import StaffCaller
from kandoo.web.domain import present
from kandoo.web.domain.i18n import Words
from kandoo.web.domain.staff import Staff, new_secret, password_problem
from kandoo.web.entrypoints.context import render, set_cookie, web_of, words_for

router = APIRouter(prefix="/staff")
SESSION_COOKIE = "kandoo_staff"
LOGIN_CSRF_COOKIE = "kandoo_login_csrf"


class NeedLogin(Exception):
    """No live session: to the login page, and back here after it."""

    def __init__(self, back: str) -> None:
        self.back = back


class Refused(Exception):
    """A staff member asked for what their role or department does not allow (403), or a
    form came without its CSRF token."""

    def __init__(self, reason: str, me: Console | None = None) -> None:
        self.reason, self.me = reason, me


@dataclass(frozen=True)
class Console:
    """The signed-in staff member on one request: who, their session, how to call the APIs."""

    staff: Staff
    session: Session
    caller: StaffCaller
    words: Words

    def values(self, **more: Any) -> dict[str, Any]:
        return {"me": self.staff, "csrf": self.session.csrf, **more}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def console(request: Request) -> Console:
    """The signed-in staff member, or off to the login page."""
    web = web_of(request)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    session = await web.sessions.get(cookie, present.now()) if cookie else None
    staff = await web.accounts.get(session.username) if session else None
    if session is None or staff is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NeedLogin(back)
    minutes = web.settings.staff_token_minutes
    token = issue_token(web.settings.jwt_secret, staff.actor, timedelta(minutes=minutes))
    words = words_for(request)
    return Console(staff, session, StaffCaller(token, words.language, _address(request)), words)


async def checked(request: Request, me: Annotated[Console, Depends(console)]) -> Console:
    """`console`, for a form post: its CSRF token must be the session's."""
    form = await request.form()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not secrets.compare_digest(sent, me.session.csrf):
        raise Refused("staff_csrf")
    return me


ConsoleDep = Annotated[Console, Depends(console)]
PostDep = Annotated[Console, Depends(checked)]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/staff") and not target.startswith("//"):
        return target
    return "/staff"


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    secure = web_of(request).settings.secure_staff_cookies
    set_cookie(request, response, name, value, max_age, "/staff", secure)


def _login_page(
    request: Request, next_: str, problem: str | None = None, status: int = 200, **values: Any
) -> Response:
    words = words_for(request)
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or new_secret()
    context = {"csrf": csrf, "next": next_, "problem": problem, "username": "", **values}
    response = render(request, "staff/login.html", words, context, status)
    response.headers["Cache-Control"] = "no-store"
    _cookie(request, response, LOGIN_CSRF_COOKIE, csrf, 3600)
    return response


@router.get("/login")
async def login_page(request: Request, next: str = "/staff") -> Response:
    return _login_page(request, _safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/staff",
) -> Response:
    web = web_of(request)
    target = _safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf, expected):
        return _login_page(request, target, "staff_csrf", 403)
    name = username.strip().lower()
    attempt = await web.accounts.login(name, password, present.now())
    if attempt.staff is None:
        until = attempt.until
        values: dict[str, Any] = {"username": name}
        if until is not None:
            values["until"] = until
            values["seconds"] = max(1, int((until - present.now()).total_seconds()) + 1)
        status = 423 if attempt.problem == "staff_locked" else 429 if until else 401
        return _login_page(request, target, attempt.problem, status, **values)
    session_id, _ = await web.sessions.open(attempt.staff.username, present.now())
    response = RedirectResponse(target, status_code=303)
    _cookie(request, response, SESSION_COOKIE, session_id, int(web.settings.session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/staff")
    return response


@router.post("/logout")
async def logout(request: Request, me: PostDep) -> Response:
    await web_of(request).sessions.close(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response


@router.get("/password")
async def password_page(request: Request, me: ConsoleDep) -> Response:
    return render(request, "staff/password.html", me.words, me.values(problem=None, done=False))


@router.post("/password")
async def change_password(
    request: Request,
    me: PostDep,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    again: Annotated[str, Form()] = "",
) -> Response:
    accounts = web_of(request).accounts
    problem: str | None = None
    if not await accounts.check_password(me.staff.username, current):
        problem = "staff_wrong_password"
    elif new != again:
        problem = "staff_passwords_differ"
    else:
        problem = password_problem(new, me.staff.username)
    if problem:
        values = me.values(problem=problem, done=False)
        return render(request, "staff/password.html", me.words, values, 422)
    await accounts.set_password(me.staff.username, new)
    return render(request, "staff/password.html", me.words, me.values(problem=None, done=True))


def login_redirect(exc: NeedLogin) -> Response:
    return RedirectResponse(f"/staff/login?next={quote(exc.back)}", status_code=303)
