"""What notify writes to Kafka: delivery notices for the timeline, and dead letters."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from kandoo.events.notices import Delivery, Notice, NoticeType
from kandoo.events.topics import Topics

Doc = dict[str, Any]


class Publisher:
    def __init__(self, bootstrap: str, topics: Topics, clock: Callable[[], datetime]) -> None:
        self.bootstrap, self.topics, self.clock = bootstrap, topics, clock
        self.producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True
        )
        await self.producer.start()

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()

    async def notice(self, kind: NoticeType, d: Doc, reason: str | None) -> None:
        """A delivery's outcome on `notifications.events`; none for digests (they are about
        a department, not a complaint)."""
        if not d.get("complaint_id"):
            return
        assert self.producer is not None
        notice = Notice(
            type=kind,
            subject=d["complaint_id"],
            time=self.clock(),
            data=Delivery(
                event_id=d["event_id"],
                event_type=d["event_type"],
                rule=d["rule"],
                recipient=d["recipient"],
                recipient_role=d["recipient_role"],
                channel=d["channel"],
                language=d["language"],
                attempt=d["attempt"],
                reason=reason,
            ),
        )
        record = notice.to_record()
        await self.producer.send_and_wait(
            self.topics.notifications, record.value, key=record.key, headers=list(record.headers)
        )

    async def dead_letter(self, key: bytes, body: dict[str, Any]) -> None:
        assert self.producer is not None
        body = {**body, "at": self.clock().isoformat()}
        await self.producer.send_and_wait(
            self.topics.dlq(self.topics.notifications),
            json.dumps(body, ensure_ascii=False).encode(),
            key=key,
        )
