"""Reports by LINE chat: the webhook's events, once durable on `line.webhook-events`, are
worked here after LINE was answered, one user's in order, each event once (by its
`webhookEventId`, redeliveries included): the conversation moves on (`domain.line_talk`),
photos are fetched from LINE at once and stored like the web's (type checked, metadata
removed), a finished report goes through the same submission as the JSON API
(`channel=line`, the LINE user id as the reporter's contact), and the user gets the reply.

A crash anywhere before an event is marked worked and its offset committed makes it read
again: the conversation's changes are idempotent, the submission's Idempotency-Key is the
event's id (the same complaint again), and a second reply with a used token is refused
by LINE and ignored.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer
from linebot.v3.messaging import TextMessage

from kandoo.events.auth import ANONYMOUS
from kandoo.events.refusals import REFUSAL_CODES, refuse
from kandoo.events.values import Location, ReporterContact
from kandoo.intake import service
from kandoo.intake.adapters.commands import KafkaUnavailable
from kandoo.intake.adapters.line import LineChats, LinePlatform, LineUnavailable, buttons
from kandoo.intake.bootstrap import Intake
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.domain.line_talk import (
    Conversation,
    Place,
    Reply,
    Turn,
    on_location,
    on_photo,
    on_text,
)
from kandoo.intake.domain.messages import text
from kandoo.intake.domain.photos import BadPhoto
from kandoo.runtime.kafka_io import FIND_NEW_TOPICS_MS

log = logging.getLogger("kandoo.intake.line")
Clock = Callable[[], datetime]
BUTTONS = ("location", "camera", "roll", "send", "cancel")


def utc_now() -> datetime:
    return datetime.now(UTC)


class LineChat:
    def __init__(
        self, intake: Intake, platform: LinePlatform, chats: LineChats, clock: Clock = utc_now
    ) -> None:
        self.intake, self.platform, self.chats, self.clock = intake, platform, chats, clock
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        s = self.intake.settings
        self._consumer = AIOKafkaConsumer(
            self.intake.topics.line_webhook,
            bootstrap_servers=s.kafka_bootstrap,
            group_id=f"{s.topic_prefix}kandoo-intake-line",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=FIND_NEW_TOPICS_MS,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name="intake-line-chats")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
        await self.platform.close()

    async def _run(self) -> None:
        assert self._consumer is not None
        consumer = self._consumer
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=200)
            if not batch:
                continue
            by_user: dict[bytes, list[dict[str, Any]]] = defaultdict(list)
            for records in batch.values():
                for record in records:
                    by_user[record.key or b""].append(json.loads(record.value))
            try:
                await asyncio.gather(*(self._work_all(events) for events in by_user.values()))
                await consumer.commit()
            except asyncio.CancelledError:
                raise
            except Exception:  # a broker, database or LINE outage, or a bug: never lose them
                log.exception("LINE events not worked; read again in a second")
                for tp, records in batch.items():
                    consumer.seek(tp, records[0].offset)
                await asyncio.sleep(1)

    async def _work_all(self, events: list[dict[str, Any]]) -> None:
        for event in events:  # one user's, in order
            await self.work(event)

    async def work(self, event: dict[str, Any]) -> None:
        """One webhook event, once."""
        event_id = str(event.get("webhookEventId") or "")
        kind = str(event.get("type", ""))
        message = event.get("message") or {}
        label = f"{kind}:{message.get('type', '')}" if kind == "message" else kind
        source = event.get("source") or {}
        user_id = source.get("userId")
        metrics = self.intake.metrics.line_events
        if not event_id or not user_id or source.get("type") != "user":
            metrics.labels(label, "ignored").inc()
            return
        now = self.clock()
        before, seen = await self.chats.load(user_id, now)
        if event_id in seen:
            metrics.labels(label, "repeated").inc()
            return
        turn = await self._turn(before, user_id, kind, message, now)
        replies, after = list(turn.replies), turn.conversation
        language = (after or before or Conversation(user_id)).language
        if turn.submit and after is not None:
            replies, after = [await self._submit(after, event_id)], None
        messages = [self._message(r, language) for r in replies]
        await self.chats.keep(user_id, after, [*seen, event_id], now)
        token = event.get("replyToken")
        if token and messages:
            try:
                await self.platform.reply(token, messages)
            except LineUnavailable:
                log.warning("LINE refused a reply (the token may be used already)")
        metrics.labels(label, "submitted" if turn.submit else "worked").inc()

    async def _turn(
        self,
        c: Conversation | None,
        user_id: str,
        kind: str,
        message: dict[str, Any],
        now: datetime,
    ) -> Turn:
        if kind == "follow":
            return Turn(c, (Reply("line_ask_description"),))
        if kind != "message":
            return Turn(c)
        match message.get("type"):
            case "text":
                return on_text(c, user_id, str(message.get("text", "")), now)
            case "location":
                lat, lon = float(message["latitude"]), float(message["longitude"])
                address = message.get("address") or message.get("title")
                inside = self.intake.directory.inside(lat, lon)
                return on_location(c, user_id, Place(lat, lon, address), inside, now)
            case "image":
                return on_photo(c, user_id, await self._photo(str(message.get("id"))), now)
        return Turn(c, (Reply("line_ask_description"),) if c is None else ())

    async def _photo(self, message_id: str) -> str | None:
        """Fetch an image from LINE now and store it; its SHA-256, or None if unusable."""
        try:
            photo = await service.clean_off_loop(
                self.intake, await self.platform.content(message_id)
            )
        except (BadPhoto, LineUnavailable) as exc:
            log.info("a LINE photo was not usable: %s", exc)
            return None
        await self.intake.photos.put(photo, None)
        return photo.sha256

    async def _submit(self, c: Conversation, event_id: str) -> Reply:
        """The report through the same submission as the JSON API; the reply to send."""
        assert c.place is not None
        place = c.place
        report = service.Submission(
            description=c.description,
            language=c.language,
            location=Location(lat=place.lat, lon=place.lon, address_text=place.address),
            category=None,
            channel="line",
            reporter=ReporterContact(line_user_id=c.user_id),
            stored_photos=list(c.photos),
        )
        fingerprint = json.dumps(c.to_doc(), default=str, ensure_ascii=False).encode()
        idempotency = service.Idempotency(f"line:{event_id}", fingerprint, "line")
        try:
            done = await service.submit(self.intake, report, ANONYMOUS, idempotency)
        except ApiError as exc:
            if exc.status >= 500:  # the broker is away: read this event again later
                raise KafkaUnavailable(exc.message) from exc
            return Reply("line_refused", {"message": exc.message})
        link = f"{self.intake.settings.public_url}/t/{done.tracking_code}?k={done.tracking_token}"
        key = "line_submitted" if done.result is not None else "line_pending"
        return Reply(key, {"tracking": done.tracking_code, "link": link})

    def _message(self, reply: Reply, language: str) -> TextMessage:
        if reply.key == "line_refused":
            words = str(reply.values["message"])
        elif reply.key in REFUSAL_CODES:
            words = refuse(reply.key).message(language)
        else:
            words = text(reply.key, language, **reply.values)
        labels = {b: text(f"line_button_{b}", language) for b in BUTTONS}
        return TextMessage(text=words, quick_reply=buttons(labels, reply.buttons))
