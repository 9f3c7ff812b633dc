"""The Kafka side of notify: read complaint events in batches, hand each to the planner,
attempt what it plans, then commit; and the loops of the retry pass and the digest."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from kandoo.notify.adapters.publisher import Publisher
from kandoo.notify.adapters.store import DeliveryStore
from kandoo.notify.domain.case import Case
from kandoo.notify.metrics import NotifyMetrics
from kandoo.notify.service import Attempt, EventPlanner, PoisonEvent, attempt_all
from kandoo.runtime.kafka_io import FIND_NEW_TOPICS_MS, consume_forever, record_lag
from kandoo.runtime.poison import Quarantine

log = logging.getLogger("kandoo.notify")


def read_event(value: bytes) -> dict[str, Any]:
    """The event's JSON, checked for what notify relies on; PoisonEvent otherwise."""
    try:
        event = json.loads(value)
        str(event["type"]), str(event["subject"]), str(event["id"])
        if not isinstance(event.get("data", {}), dict):
            raise TypeError("data is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise PoisonEvent(f"unreadable event: {exc}") from exc
    return dict(event)


class EventConsumer:
    def __init__(
        self,
        bootstrap: str,
        group: str,
        topic: str,
        planner: EventPlanner,
        store: DeliveryStore,
        publisher: Publisher,
        metrics: NotifyMetrics,
    ) -> None:
        self.bootstrap, self.group, self.topic = bootstrap, group, topic
        self.planner, self.store, self.publisher, self.metrics = planner, store, publisher, metrics
        self.quarantine = Quarantine("notify", bootstrap, metrics.dead_letters)
        """For what fails other than an unreadable event (PoisonEvent, dead-lettered at once
        to notifications.dlq with its reason)."""
        self.consumer: AIOKafkaConsumer | None = None
        self.ready = False

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
            metadata_max_age_ms=FIND_NEW_TOPICS_MS,
        )
        await self.consumer.start()
        # Subscribed after start: a topic routing has not created yet is waited for, where
        # naming it to the constructor fails the start after 40 s.
        self.consumer.subscribe([self.topic])

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
        await self.quarantine.stop()

    async def run(self) -> None:
        assert self.consumer is not None
        await consume_forever(self.consumer, self.step, log, quarantine=self.quarantine)

    async def step(self, timeout_ms: int = 500) -> int:
        """One batch of events: plan, claim and first-attempt every delivery, then commit."""
        assert self.consumer is not None
        quarantine = self.quarantine
        batch = await self.consumer.getmany(
            timeout_ms=timeout_ms, max_records=quarantine.batch_size(500)
        )
        self.ready = True
        quarantine.reading([r for rs in batch.values() for r in rs])
        planned: list[tuple[str, Attempt]] = []
        cases: dict[str, Case] = {}
        for records in batch.values():
            for record in filter(quarantine.wanted, records):
                try:
                    planned += await self.planner.plan(read_event(record.value), cases)
                except PoisonEvent as exc:
                    await self._poison(record, str(exc))
        await self.store.save_cases(cases.values())
        await attempt_all(planned)
        if batch:
            await self.consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items()})
            await record_lag(self.consumer, self.metrics.consumer_lag, "notify")
        return len(planned)

    async def _poison(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        log.error(
            "poison record %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
        )
        self.metrics.poison.inc()
        await self.publisher.dead_letter(
            record.key or b"",
            {
                "reason": reason,
                "source": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "value": record.value.decode("utf-8", errors="replace"),
            },
        )


async def every(period_s: float, job: Callable[[], Awaitable[object]], what: str) -> None:
    """Run `job` every `period_s` until cancelled; a failed pass is logged, not fatal."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed", what)
        await asyncio.sleep(period_s)
