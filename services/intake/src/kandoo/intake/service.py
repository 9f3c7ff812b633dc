"""Intake's use cases: submit a report, act on a complaint. Every entrypoint (the JSON
API, Open311, and later LINE) calls these, so a report is checked, numbered, stored and
sent to routing the same way whichever door it came in by.

A refusal is an `ApiError` in the caller's language; each entrypoint answers it in its
own format.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from kandoo.events import commands as c
from kandoo.events.auth import Caller, new_tracking_token
from kandoo.events.ids import stable_id, token_hash
from kandoo.events.records import CommandAccepted, CommandRefused
from kandoo.events.refusals import refuse
from kandoo.events.values import Actor, Location, ReporterContact
from kandoo.intake.adapters.commands import KafkaUnavailable
from kandoo.intake.bootstrap import Intake
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.domain.messages import text
from kandoo.intake.domain.photos import BadPhoto, clean

ActionFields = dict[str, object]
MakeCommand = Callable[[ActionFields, BaseModel | None], c.Command]


@dataclass(frozen=True)
class Submission:
    """A report as any channel hands it in."""

    description: str
    language: str
    location: Location
    category: str | None
    channel: str
    reporter: ReporterContact
    photos: list[bytes] = field(default_factory=list)
    channel_reference: str | None = None
    stored_photos: list[str] = field(default_factory=list)
    """Photos already cleaned and stored as they came (a LINE chat's), by SHA-256."""


@dataclass(frozen=True)
class Idempotency:
    """A caller's key, and the bytes that must be the same for a retry to be one."""

    key: str
    fingerprint: bytes


@dataclass
class Submitted:
    complaint_id: str
    command_id: str
    tracking_code: str
    tracking_token: str
    result: CommandAccepted | None
    """Routing's answer; None when it did not come within the wait budget (202)."""


def field_error(status: int, code: str, message: str, where: str) -> ApiError:
    return ApiError(status, code, message, [{"field": where, "reason": message}])


def refusal_error(code: str, language: str, where: str | None = None, **params: object) -> ApiError:
    refusal = refuse(code, **params)
    message = refusal.message(language)
    fields = [{"field": where, "reason": message}] if where else []
    return ApiError(refusal.http_status, code, message, fields)


def validation_fields(errors: Iterable[Mapping[str, Any]], language: str) -> list[dict[str, str]]:
    """Each field at fault and why, in `language` (pydantic's or FastAPI's errors)."""
    fields = []
    for err in errors:
        code = "missing_field" if err["type"] == "missing" else "invalid_field"
        if err["type"] in ("string_too_long", "too_long"):
            code = "too_long"
        where = ".".join(str(p) for p in err["loc"] if p != "body")
        fields.append({"field": where, "reason": f"{text(code, language)}: {err['msg']}"})
    return fields


def _ids(intake: Intake, idempotency: Idempotency | None) -> tuple[str, str, str]:
    """(complaint id, command id, tracking token): derived from the key, so a retry with it
    is the same complaint and gets the same token; random without one."""
    if idempotency is None:
        return str(uuid.uuid4()), str(uuid.uuid4()), new_tracking_token()
    complaint_id = stable_id("complaint", idempotency.key)
    secret = intake.settings.jwt_secret.encode()
    token = hmac.new(secret, complaint_id.encode(), hashlib.sha256).hexdigest()[:32]
    return complaint_id, stable_id("submit", idempotency.key), token


async def submit(
    intake: Intake,
    report: Submission,
    actor: Actor,
    idempotency: Idempotency | None = None,
    answer_in: str | None = None,
) -> Submitted:
    """Check the report, store its photos, send `SubmitComplaint` and wait briefly.
    Refusals are in `answer_in` (Open311 answers in English), else the report's language."""
    language, loc = answer_in or report.language, report.location
    if not intake.directory.inside(loc.lat, loc.lon):
        raise refusal_error("outside_jurisdiction", language, "location")
    if report.category is not None and intake.directory.category(report.category) is None:
        raise refusal_error("unknown_category", language, "category", category=report.category)
    if idempotency is not None and not await intake.keys.claim(
        "submit", idempotency.key, idempotency.fingerprint
    ):
        message = text("idempotency_conflict", language)
        raise field_error(422, "idempotency_conflict", message, "Idempotency-Key")
    complaint_id, command_id, token = _ids(intake, idempotency)
    await intake.reporters.put(complaint_id, token_hash(token))
    code = await intake.codes.reserve(complaint_id, intake.directory.municipality.tracking_prefix)
    hashes = []
    for i, data in enumerate(report.photos):
        try:
            photo = clean(data)
        except BadPhoto as exc:
            message = text("bad_photo", language)
            raise field_error(422, "bad_photo", message, f"photos.{i}") from exc
        await intake.photos.put(photo, token_hash(token))
        hashes.append(photo.sha256)
    for sha256 in report.stored_photos:
        await intake.photos.allow(sha256, token_hash(token))
        hashes.append(sha256)
    command = c.SubmitComplaint(
        command_id=command_id,
        complaint_id=complaint_id,
        actor=actor,
        tracking_code=code,
        description=report.description,
        language=report.language,
        location=loc,
        category=report.category,
        channel=report.channel,
        channel_reference=report.channel_reference,
        photos=tuple(hashes),
        reporter=report.reporter,
        reporter_token_hash=token_hash(token),
    )
    result = accepted(await send(intake, command, language), language)
    return Submitted(complaint_id, command_id, command.tracking_code, token, result)


async def send(
    intake: Intake, command: c.CommandBase, language: str
) -> CommandAccepted | CommandRefused | None:
    """Publish a command and wait up to the budget for routing's answer; 503 when Kafka
    does not take it (nothing was recorded)."""
    try:
        return await intake.bus.send(command, intake.settings.wait_budget_s)
    except KafkaUnavailable as exc:
        raise ApiError(
            503,
            "kafka_unavailable",
            text("kafka_unavailable", language),
            headers={"Retry-After": "5"},
        ) from exc


def accepted(
    result: CommandAccepted | CommandRefused | None, language: str
) -> CommandAccepted | None:
    """The accepted answer (or None: not known yet); a refusal becomes its ApiError."""
    if isinstance(result, CommandRefused):
        message = result.message_th if language == "th" else result.message_en
        raise ApiError(result.http_status, result.code, message)
    return result


async def act(
    intake: Intake,
    caller: Caller,
    language: str,
    complaint_id: str,
    action: str,
    make: MakeCommand,
    body: BaseModel | None,
    idempotency_key: str | None,
) -> tuple[str, CommandAccepted | None]:
    """One action on a complaint as a command: (command id, the accepted answer or None
    while unknown). A retry with the same key is the same command."""
    command_id = (
        stable_id("action", complaint_id, action, idempotency_key)
        if idempotency_key
        else str(uuid.uuid4())
    )
    fields: ActionFields = {
        "command_id": command_id,
        "complaint_id": complaint_id,
        "actor": caller.actor,
        "reporter_token": caller.tracking_token,
    }
    try:
        command = make(fields, body)
    except ValidationError as exc:
        raise ApiError(
            422,
            "invalid",
            text("invalid_field", language),
            validation_fields(exc.errors(), language),
        ) from exc
    return command_id, accepted(await send(intake, command, language), language)
