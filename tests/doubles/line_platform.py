"""A DOUBLE of LINE's platform on loopback (LINE's real hosts are out of reach here, and
no test may call them): the parts of the Messaging API Kandoo uses, as LINE's reference
documents them (developers.line.biz/en/reference/messaging-api/):

- `POST /v2/bot/message/reply` {replyToken, messages}: a reply token is single-use;
  an unknown or used one is 400 "Invalid reply token".
- `POST /v2/bot/message/push` {to, messages} with `X-Line-Retry-Key` (a UUID): a key
  already accepted is 409 with `x-line-accepted-request-id`, and nothing is sent again;
  a malformed key is 400. `fail_after_accepting(n)` makes the next n pushes be accepted
  and recorded but answered 500, as a timeout after delivery would look to the caller.
- `GET /v2/bot/message/{messageId}/content` (LINE's data host): the bytes the test
  registered with `add_content`, 404 otherwise.
- Every call needs `Authorization: Bearer <channel access token>`: 401 otherwise.

It also signs webhook bodies as LINE does (`signature`): Base64 HMAC-SHA256 of the body
with the channel secret, for the `X-Line-Signature` header.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.ports import free_port


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Call:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class LinePlatformDouble:
    secret: str = "line-double-channel-secret"
    token: str = "line-double-access-token"
    port: int = field(default_factory=free_port)
    replies: list[Call] = field(default_factory=list)
    pushes: list[Call] = field(default_factory=list)
    refused: list[Call] = field(default_factory=list)
    _reply_tokens: set[str] = field(default_factory=set)
    _accepted_keys: dict[str, str] = field(default_factory=dict)
    _content: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    _fail_after_accepting: int = 0
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- what tests use -------------------------------------------------------------

    def reply_token(self) -> str:
        made = uuid.uuid4().hex
        self._reply_tokens.add(made)
        return made

    def add_content(self, message_id: str, data: bytes, kind: str = "image/jpeg") -> None:
        self._content[message_id] = (data, kind)

    def fail_after_accepting(self, n: int) -> None:
        self._fail_after_accepting = n

    def webhook(self, events: list[dict[str, Any]]) -> tuple[bytes, dict[str, str]]:
        """A webhook body with these events and its headers, signed as LINE signs it."""
        body = json.dumps({"destination": "Udouble", "events": events}).encode()
        headers = {"X-Line-Signature": signature(body, self.secret)}
        return body, headers | {"Content-Type": "application/json"}

    def replies_to(self, token: str) -> list[dict[str, Any]]:
        return [
            m for c in self.replies if c.body.get("replyToken") == token for m in c.body["messages"]
        ]

    def pushes_to(self, user_id: str) -> list[dict[str, Any]]:
        return [c.body for c in self.pushes if c.body.get("to") == user_id]

    # --- the platform ----------------------------------------------------------------

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    async def _reply(self, request: Request) -> Response:
        body = await request.json()
        call = Call(request.url.path, body, dict(request.headers))
        if not self._authorized(request):
            self.refused.append(call)
            return JSONResponse({"message": "Authentication failed"}, status_code=401)
        token = body.get("replyToken")
        if token not in self._reply_tokens:
            self.refused.append(call)
            return JSONResponse({"message": "Invalid reply token"}, status_code=400)
        self._reply_tokens.discard(token)
        self.replies.append(call)
        return JSONResponse({"sentMessages": [{"id": uuid.uuid4().hex} for _ in body["messages"]]})

    async def _push(self, request: Request) -> Response:
        body = await request.json()
        call = Call(request.url.path, body, dict(request.headers))
        if not self._authorized(request):
            self.refused.append(call)
            return JSONResponse({"message": "Authentication failed"}, status_code=401)
        key = request.headers.get("x-line-retry-key")
        if key is not None:
            try:
                uuid.UUID(key)
            except ValueError:
                self.refused.append(call)
                return JSONResponse({"message": "The retry key is invalid"}, status_code=400)
            if key in self._accepted_keys:
                headers = {"x-line-accepted-request-id": self._accepted_keys[key]}
                return JSONResponse({"message": "The retry key is already accepted"}, 409, headers)
            self._accepted_keys[key] = uuid.uuid4().hex
        self.pushes.append(call)
        if self._fail_after_accepting > 0:
            self._fail_after_accepting -= 1
            return JSONResponse({"message": "Internal error"}, status_code=500)
        return JSONResponse({"sentMessages": [{"id": uuid.uuid4().hex} for _ in body["messages"]]})

    async def _get_content(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"message": "Authentication failed"}, status_code=401)
        found = self._content.get(request.path_params["message_id"])
        if found is None:
            return JSONResponse({"message": "Not found"}, status_code=404)
        return Response(found[0], media_type=found[1])

    async def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/v2/bot/message/reply", self._reply, methods=["POST"]),
                Route("/v2/bot/message/push", self._push, methods=["POST"]),
                Route("/v2/bot/message/{message_id}/content", self._get_content),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            await self._task
