"""The intake FastAPI application: routers, error answers, limits, metrics."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kandoo.events.auth import InvalidToken, caller_from
from kandoo.intake.adapters.line import LineChats, LinePlatform
from kandoo.intake.bootstrap import Intake, build
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.domain.messages import language_of, text
from kandoo.intake.entrypoints import actions, complaints, line, open311, ops, photos, staff
from kandoo.intake.entrypoints.deps import error_response
from kandoo.intake.line_chat import LineChat
from kandoo.intake.service import validation_fields
from kandoo.intake.settings import IntakeSettings
from kandoo.runtime.observe import correlation

DESCRIPTION = """
The public write API of Kandoo for {municipality}.

Citizens report problems with a map pin, a few words and up to five photos; department
staff act on complaints. Every request becomes a command that the routing service decides;
the answer comes back within a few seconds (201/200), or a status link if not (202).
Errors name the field and the reason, in Thai or English (`language`, `Accept-Language`).
"""


LINE_WEBHOOK = "/line/webhook"


def line_chat(intake: Intake) -> LineChat | None:
    """The worker of LINE conversations, when a LINE channel is connected."""
    s = intake.settings
    if not s.line_enabled:
        return None
    platform = LinePlatform(s.line_api_url, s.line_data_api_url, s.line_channel_access_token)
    chats = LineChats(intake.mongo[s.mongodb_db], timedelta(minutes=s.line_conversation_minutes))
    return LineChat(intake, platform, chats)


def create_app(settings: IntakeSettings | None = None, intake: Intake | None = None) -> FastAPI:
    intake = intake or build(settings or IntakeSettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await intake.start()
        chat = line_chat(intake)
        if chat is not None:
            await chat.start()
        app.state.line_chat = chat
        try:
            yield
        finally:
            if chat is not None:
                await chat.stop()
            await intake.stop()

    app = FastAPI(
        title="Kandoo intake",
        version="1.0",
        description=DESCRIPTION.format(municipality=intake.directory.municipality.name_en),
        lifespan=lifespan,
    )
    app.state.intake = intake
    routers = (complaints, actions, staff, line, open311, photos, ops)
    for router in (r.router for r in routers):
        app.include_router(router)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        language = language_of(request.headers.get("accept-language"))
        fields = validation_fields(exc.errors(), language)
        return error_response(ApiError(422, "invalid", text("invalid_field", language), fields))

    app.add_middleware(LimitsAndMetrics, intake=intake)
    return app


MAX_CLIENT_ID = 64


def _refusal(request: Request, intake: Intake) -> Response | None:
    """413 for a body over the cap, 429 past a client's rate: before reading anything."""
    language = language_of(request.headers.get("accept-language"))
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > intake.settings.max_body_bytes:
        return error_response(ApiError(413, "body_too_large", text("body_too_large", language)))
    if request.url.path in ("/healthz", "/readyz", "/metrics", LINE_WEBHOOK):
        # LINE's webhook comes from LINE's few addresses for every LINE user at once, and is
        # signed: a per-address limit would throttle a whole city's chats as one client.
        return None
    client = request.client.host if request.client else "unknown"
    browser = request.headers.get("x-kandoo-client")
    if browser and len(browser) <= MAX_CLIENT_ID:
        wait = intake.per_address.allow(client) or intake.per_ip.allow(f"{client}|{browser}")
    else:
        wait = intake.per_ip.allow(client)
    try:
        caller = caller_from(request.headers.get("authorization"), None, intake.settings.jwt_secret)
    except InvalidToken:
        caller = None
    if not wait and caller is not None and caller.token_subject:
        wait = intake.per_token.allow(caller.token_subject)
    if wait:
        return error_response(
            ApiError(
                429,
                "rate_limited",
                text("rate_limited", language),
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        )
    return None


class BodyTooLarge(Exception):
    """More body bytes arrived than `max_body_bytes`."""


CORRELATION = re.compile(r"[A-Za-z0-9._:-]{1,100}")
"""A caller's own X-Correlation-Id is kept when it looks like one; else intake makes one."""


class LimitsAndMetrics:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware): limits first, then metrics."""

    def __init__(self, app: ASGIApp, intake: Intake) -> None:
        self.app, self.intake = app, intake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope)
        given = request.headers.get("x-correlation-id", "")
        cid = given if CORRELATION.fullmatch(given) else uuid.uuid4().hex
        correlation.set(cid)  # the request's logs, and the commands it sends
        refusal = _refusal(request, self.intake)
        status, received, limit = 500, 0, self.intake.settings.max_body_bytes

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-correlation-id", cid.encode()),
                ]
            await send(message)

        async def capped() -> Message:
            """The body as it arrives, counted: a chunked body (no Content-Length) is held
            to the same cap as a declared one."""
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            if refusal is not None:
                await refusal(scope, receive, send_and_note)
            else:
                await self.app(scope, capped, send_and_note)
        except BodyTooLarge:
            if status != 500:
                raise  # the answer had begun: nothing better can be said
            language = language_of(request.headers.get("accept-language"))
            too_large = ApiError(413, "body_too_large", text("body_too_large", language))
            await error_response(too_large)(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.intake.metrics.requests.labels(route, str(status)).inc()
            self.intake.metrics.latency.labels(route).observe(time.perf_counter() - started)
