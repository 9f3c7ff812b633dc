"""Dependencies shared by the routers: the intake container, the caller, the language."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from kandoo.events.auth import Caller, InvalidToken, caller_from
from kandoo.intake.bootstrap import Intake
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.domain.messages import language_of, text


def error_response(exc: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message, "fields": exc.fields}
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


# Dependencies are `async def` so FastAPI does not hop to a worker thread for each of them.


async def get_intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


async def get_language(accept_language: Annotated[str | None, Header()] = None) -> str:
    return language_of(accept_language)


def caller_of(request: Request, intake: Intake, language: str) -> Caller:
    """Who calls, from the Authorization and X-Tracking-Token headers; 401 if forged."""
    headers = request.headers
    try:
        return caller_from(
            headers.get("authorization"),
            headers.get("x-tracking-token"),
            intake.settings.jwt_secret,
        )
    except InvalidToken as exc:
        raise ApiError(401, "invalid_token", text("invalid_token", language)) from exc


async def get_caller(
    request: Request,
    intake: Annotated[Intake, Depends(get_intake)],
    language: Annotated[str, Depends(get_language)],
    authorization: Annotated[str | None, Header()] = None,  # declared for the OpenAPI
    x_tracking_token: Annotated[str | None, Header()] = None,
) -> Caller:
    return caller_of(request, intake, language)


IntakeDep = Annotated[Intake, Depends(get_intake)]
CallerDep = Annotated[Caller, Depends(get_caller)]
LanguageDep = Annotated[str, Depends(get_language)]
