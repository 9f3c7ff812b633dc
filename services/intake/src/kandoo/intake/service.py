"""Intake's use cases: submit a report, act on a complaint. Every entrypoint (the JSON
API, Open311, and later LINE) calls these, so a report is checked, numbered, stored and
sent to routing the same way whichever door it came in by.

A refusal is an `ApiError` in the caller's language; each entrypoint answers it in its
own format.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from kandoo.events import commands as c
from kandoo.events.auth import Caller, new_tracking_token
from kandoo.events.ids import stable_id, token_hash
from kandoo.events.records import CommandAccepted, CommandRefused
from kandoo.events.refusals import refuse
from kandoo.events.values import Actor, Location, ReporterContact, Role
from kandoo.intake.adapters.commands import KafkaUnavailable
from kandoo.intake.bootstrap import Intake
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.domain.messages import text
from kandoo.intake.domain.photos import MAX_PIXELS, BadPhoto, CleanPhoto, TooManyPixels, clean
from kandoo.runtime.observe import correlation
from kandoo.runtime.personal import REPORTER, personal_fields, seal, supporter_key_name

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
    """A caller's key, and the bytes that must be the same for a retry to be one. `scope`
    is who the caller is (`caller_scope`): one caller's key never answers another's."""

    key: str
    fingerprint: bytes
    scope: str = "anonymous"


def caller_scope(caller: Caller, client: str | None) -> str:
    """Whose an Idempotency-Key is: the token's subject, else the reporter's tracking
    token, else the browser's id the web pages send (`X-Kandoo-Client`), else anonymous
    citizens' shared scope."""
    if caller.token_subject:
        return f"sub:{caller.token_subject}"
    if caller.tracking_token:
        return f"reporter:{token_hash(caller.tracking_token)}"
    return f"client:{client}" if client else "anonymous"


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


def _ids(intake: Intake, idempotency: Idempotency | None, generation: str) -> tuple[str, str, str]:
    """(complaint id, command id, tracking token): derived from the caller's key and its
    claim, so a retry with it is the same complaint and gets the same token; random
    without one."""
    if idempotency is None:
        return str(uuid.uuid4()), str(uuid.uuid4()), new_tracking_token()
    key = (idempotency.scope, idempotency.key, generation)
    complaint_id = stable_id("complaint", *key)
    secret = intake.settings.jwt_secret.encode()
    token = hmac.new(secret, complaint_id.encode(), hashlib.sha256).hexdigest()[:32]
    return complaint_id, stable_id("submit", *key), token


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
    photos = [
        await cleaned(intake, data, language, f"photos.{i}") for i, data in enumerate(report.photos)
    ]
    generation = ""
    if idempotency is not None:
        claimed = await intake.keys.claim(
            "submit", idempotency.scope, idempotency.key, idempotency.fingerprint
        )
        if claimed is None:
            message = text("idempotency_conflict", language)
            raise field_error(422, "idempotency_conflict", message, "Idempotency-Key")
        generation = claimed
    complaint_id, command_id, token = _ids(intake, idempotency, generation)
    await intake.reporters.put(complaint_id, token_hash(token))
    code = await intake.codes.reserve(complaint_id, intake.directory.municipality.tracking_prefix)
    hashes = []
    for photo in photos:
        await intake.photos.put(photo, token_hash(token), complaint_id)
        hashes.append(photo.sha256)
    for sha256 in report.stored_photos:
        await intake.photos.allow(sha256, token_hash(token), complaint_id)
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


PHOTO_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="photo")
"""Photos are decoded here, off the event loop: a large one never stalls other requests,
and at most two are decoded at once (the machine's cores)."""


async def clean_off_loop(intake: Intake, data: bytes) -> CleanPhoto:
    """`clean` in a photo worker, within `photo_decode_timeout_s` (BadPhoto after it)."""
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(PHOTO_WORKERS, clean, data)
    try:
        return await asyncio.wait_for(work, intake.settings.photo_decode_timeout_s)
    except TimeoutError as exc:
        raise BadPhoto("took too long to decode") from exc


async def cleaned(intake: Intake, data: bytes, language: str, where: str) -> CleanPhoto:
    """A photo as stored, or the caller's 422 naming the field: too many pixels, or not
    a usable photo."""
    try:
        return await clean_off_loop(intake, data)
    except TooManyPixels as exc:
        mp = MAX_PIXELS // 1_000_000
        message = text("photo_too_many_pixels", language, mp=mp)
        raise field_error(422, "photo_too_many_pixels", message, where) from exc
    except BadPhoto as exc:
        raise field_error(422, "bad_photo", text("bad_photo", language), where) from exc


async def send(
    intake: Intake, command: c.CommandBase, language: str
) -> CommandAccepted | CommandRefused | None:
    """Publish a command and wait up to the budget for routing's answer; 503 when Kafka
    does not take it (nothing was recorded)."""
    command = await sealed(intake, command)
    if command.correlation_id is None and correlation.get():
        command = command.model_copy(update={"correlation_id": correlation.get()})
    try:
        return await intake.bus.send(command, intake.settings.wait_budget_s)
    except KafkaUnavailable as exc:
        raise ApiError(
            503,
            "kafka_unavailable",
            text("kafka_unavailable", language),
            headers={"Retry-After": "5"},
        ) from exc


async def sealed(intake: Intake, command: c.CommandBase) -> c.CommandBase:
    """The command as it may leave intake: a reporter's or supporter's contact (and the
    channel's reference to them) sealed under that person's key for the complaint."""
    if isinstance(command, c.SubmitComplaint):
        name, contact, ref = REPORTER, command.reporter, command.channel_reference
    elif isinstance(command, c.SupportComplaint):
        name, contact, ref = supporter_key_name(command.supporter_key), command.supporter, None
    else:
        return command
    if not personal_fields(contact, ref):
        return command  # anonymous, or no contact left: no key needed
    key = await intake.personal.key_for_sealing(command.complaint_id, name)
    closed = seal(contact, key, command.complaint_id, name, ref)
    if isinstance(command, c.SubmitComplaint):
        return command.model_copy(update={"reporter": closed, "channel_reference": None})
    return command.model_copy(update={"supporter": closed})


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
        stable_id("action", complaint_id, action, caller_scope(caller, None), idempotency_key)
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


async def erase(
    intake: Intake,
    caller: Caller,
    language: str,
    complaint_id: str,
    reason: str,
    idempotency_key: str | None,
) -> tuple[str, CommandAccepted | None]:
    """PDPA erasure: the reporter (by tracking token) forgets their own contact; the clerk
    (a request by phone or letter) forgets every person's of the complaint, reporter and
    supporters. The keys go first, so nothing can read the contact from then on, even
    before the erasure is in the log; the complaint itself stays for the statistics."""
    clerk = caller.actor.role in (Role.CLERK, Role.SYSTEM)
    token = caller.tracking_token
    mine = token is not None and await intake.reporters.holds([complaint_id], token_hash(token))
    if not (clerk or mine):
        message = text("erase_forbidden", language)
        raise ApiError(403, "forbidden", message)
    await intake.personal.forget(complaint_id, None if clerk else (REPORTER,))

    def make(fields: ActionFields, body: BaseModel | None) -> c.Command:
        return c.EraseReporterData(**fields, reason=reason)

    return await act(intake, caller, language, complaint_id, "erase", make, None, idempotency_key)
