"""`POST /line/webhook`: LINE's webhook. The signature (Base64 HMAC-SHA256 of the raw body
with the channel secret, `X-Line-Signature`) is checked before anything else: 401 and
nothing recorded when it fails. Each event is then made durable on `line.webhook-events`
(keyed by the LINE user, so one user's events stay in order) and LINE gets its 200 at
once; the conversation is worked after that (`kandoo.intake.line_chat`)."""

from __future__ import annotations

import asyncio
import json
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from linebot.v3.webhook import SignatureValidator

from kandoo.intake.adapters.commands import KafkaUnavailable
from kandoo.intake.bootstrap import Intake
from kandoo.intake.entrypoints.deps import IntakeDep

router = APIRouter(tags=["line"])
DURABLE_WITHIN_S = 5.0


@router.post("/line/webhook", include_in_schema=True, responses={401: {}, 503: {}})
async def webhook(request: Request, intake: IntakeDep) -> JSONResponse:
    """LINE's webhook: events are recorded, then answered (LINE wants its 200 quickly)."""
    started = time.perf_counter()
    settings = intake.settings
    if not settings.line_enabled:
        return JSONResponse({"message": "LINE is not connected"}, status_code=404)
    body = await request.body()
    signature = request.headers.get("x-line-signature", "")
    validator = SignatureValidator(settings.line_channel_secret)
    try:
        valid = bool(signature) and validator.validate(body.decode("utf-8"), signature)
    except UnicodeDecodeError:
        valid = False
    if not valid:
        return JSONResponse({"message": "invalid signature"}, status_code=401)
    try:
        payload = json.loads(body)
        events = list(payload.get("events") or [])
    except (ValueError, AttributeError):
        return JSONResponse({"message": "not a webhook body"}, status_code=400)
    try:
        await asyncio.wait_for(
            asyncio.gather(*(_record(intake, event) for event in events)), DURABLE_WITHIN_S
        )
    except (KafkaUnavailable, TimeoutError):
        # LINE redelivers (when redelivery is on); the same webhookEventId is worked once.
        return JSONResponse({"message": "try again"}, status_code=503)
    intake.metrics.line_webhook.observe(time.perf_counter() - started)
    return JSONResponse({})


async def _record(intake: Intake, event: dict[str, object]) -> None:
    source = event.get("source") if isinstance(event, dict) else None
    user = source.get("userId") if isinstance(source, dict) else None
    value = json.dumps(event, ensure_ascii=False).encode()
    key = str(user or "").encode()
    await intake.bus.publish_raw(intake.topics.line_webhook, value, key)
