"""The live projector: `complaints.events` and `notifications.events` into the read models.

A consumer group named by the projection version reads committed records only; each
batch is applied and written before its offsets are committed, so a crash replays at most
one batch, which the sequence guard and the markers make harmless. When a rebuild flips
`meta.current`, the projector moves to the new generation from the offsets the rebuild
reached, so nothing between the rebuild's end and now is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from pymongo.asynchronous.database import AsyncDatabase

from kandoo.events.directory import Directory
from kandoo.events.topics import Topics
from kandoo.reporting.adapters.applier import Applier, Parsed, parse
from kandoo.reporting.adapters.store import Doc, Meta, ReadModels
from kandoo.reporting.metrics import ReportingMetrics
from kandoo.reporting.settings import ReportingSettings
from kandoo.runtime.kafka_io import FIND_NEW_TOPICS_MS, consume_forever, record_lag
from kandoo.runtime.poison import Quarantine

log = logging.getLogger("kandoo.reporting")
HEARTBEAT_S = 10.0
GENERATION_CHECK_S = 1.0
"""How often the projector asks whether a rebuild switched generations (not every batch)."""
COMPACT_S = 60.0
"""How often the counters back at zero are removed from the documents that counted down
(each read whole once: a few reads a minute, where a zero left behind costs every read)."""


def position_key(topics: Topics, tp: TopicPartition) -> str:
    kind = "events" if tp.topic == topics.events else "notifications"
    return f"{kind}:{tp.partition}"


def tag_of(topics: Topics, topic: str) -> str:
    return "e" if topic == topics.events else "n"


class _Forget(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, projector: Projector) -> None:
        self.projector = projector

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self.projector.applier.forget()

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        self.projector.applier.forget()


class Projector:
    def __init__(
        self,
        settings: ReportingSettings,
        db: AsyncDatabase[Doc],
        directory: Directory,
        metrics: ReportingMetrics,
    ) -> None:
        self.settings, self.db, self.metrics = settings, db, metrics
        self.topics = Topics(settings.topic_prefix)
        self.meta = Meta(db)
        self.applier = Applier(ReadModels(db, 1), directory, metrics)
        self.quarantine = Quarantine(
            "reporting", settings.kafka_bootstrap, metrics.dead_letters, settings.poison_threshold
        )
        self.consumer: AIOKafkaConsumer | None = None
        self.ready = False
        self._task: asyncio.Task[None] | None = None
        self._heartbeat_at = 0.0
        self._generation_checked_at = 0.0
        self._compacted_at = time.monotonic()

    async def start(self) -> None:
        generation = await self.meta.current()
        self.applier.models = ReadModels(self.db, generation)
        self.metrics.generation.set(generation)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            group_id=self.settings.group_id,
            client_id=f"reporting-{self.settings.instance_id}",
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.settings.max_batch,
            metadata_max_age_ms=FIND_NEW_TOPICS_MS,
        )
        await self.consumer.start()
        self.consumer.subscribe(
            [self.topics.events, self.topics.notifications], listener=_Forget(self)
        )
        self._task = asyncio.create_task(self._run(), name="reporting-projector")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.consumer is not None:
            await self.consumer.stop()
        await self.quarantine.stop()

    async def _run(self) -> None:
        assert self.consumer is not None
        await consume_forever(self.consumer, self.step, log, self.applier.forget, self.quarantine)

    async def step(self, timeout_ms: int = 500) -> int:
        """One batch: read, apply, write, commit. The number of events applied."""
        assert self.consumer is not None
        if time.monotonic() - self._generation_checked_at > GENERATION_CHECK_S:
            await self._follow_generation()
            self._generation_checked_at = time.monotonic()
        if time.monotonic() - self._compacted_at > COMPACT_S:
            removed = await self.applier.compact()
            log.debug("compaction removed %d parts at zero", removed)
            self._compacted_at = time.monotonic()
        if time.monotonic() - self._heartbeat_at > HEARTBEAT_S:
            await self.meta.heartbeat(self.settings.instance_id, self.applier.models.generation)
            self._heartbeat_at = time.monotonic()
        quarantine = self.quarantine
        batch = await self.consumer.getmany(
            timeout_ms=timeout_ms, max_records=quarantine.batch_size(self.settings.max_batch)
        )
        self.ready = True
        quarantine.reading([r for records in batch.values() for r in records])
        if not batch:
            return 0
        parsed: list[Parsed] = []
        for tp, records in batch.items():
            tag = tag_of(self.topics, tp.topic)
            for record in filter(quarantine.wanted, records):
                try:
                    parsed.append(parse(record, tag))
                except ValueError as exc:  # not an event at all: no use trying again
                    await quarantine.dead_letter(record, f"unreadable: {exc}")
        applied = await self.applier.apply(parsed)
        await self.consumer.commit({tp: records[-1].offset + 1 for tp, records in batch.items()})
        await record_lag(self.consumer, self.metrics.consumer_lag, "reporting")
        return applied

    async def _follow_generation(self) -> None:
        generation = await self.meta.current()
        if generation == self.applier.models.generation:
            return
        assert self.consumer is not None
        log.warning("read models switched to generation %d; following", generation)
        self.applier.models = ReadModels(self.db, generation)
        self.applier.forget()
        handover = await self.meta.handover()
        for tp in self.consumer.assignment():
            start = handover.get(position_key(self.topics, tp))
            if start is not None:
                self.consumer.seek(tp, start)
        self.metrics.generation.set(generation)
        await self.meta.heartbeat(self.settings.instance_id, generation)
