"""The duplicate index over the whole log: every open complaint's pin and category, across
all partitions (a duplicate may live in a partition another instance writes).

Loaded from the beginning of `complaints.events` at start, then kept current: events this
instance wrote are applied when their transaction commits (and skipped, unparsed, when the
reader meets them); the others as they are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer

from kandoo.events.envelope import Envelope, from_record
from kandoo.routing.domain.duplicates import SpatialIndex
from kandoo.routing.domain.partition import MAX_REMEMBERED_OUTCOMES
from kandoo.routing.metrics import RoutingMetrics
from kandoo.runtime.kafka_io import behind, wait_for_assignment


class DuplicateIndex:
    def __init__(self, bootstrap: str, topic: str, metrics: RoutingMetrics) -> None:
        self.bootstrap, self.topic, self.metrics = bootstrap, topic, metrics
        self.index = SpatialIndex()
        self.ready = False
        self._versions: dict[str, int] = {}
        self._own_event_ids: set[str] = set()
        self._consumer: AIOKafkaConsumer | None = None

    def apply(self, env: Envelope) -> None:
        """One event, once: the per-complaint version guard keeps it exact."""
        if self._versions.get(env.subject, 0) >= env.sequence:
            return
        self._versions[env.subject] = env.sequence
        self.index.apply(env)

    def applied_own(self, envs: Iterable[Envelope]) -> None:
        """Events this instance just committed: applied now, skipped when read back."""
        if len(self._own_event_ids) > MAX_REMEMBERED_OUTCOMES:
            self._own_event_ids.clear()  # only a shortcut: the version guard stays exact
        for env in envs:
            self.apply(env)
            self._own_event_ids.add(env.id)

    async def load(self) -> None:
        """Read the whole events topic once, so duplicates are seen across partitions."""
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        self._consumer = consumer
        tps = await wait_for_assignment(consumer)
        ends = await consumer.end_offsets(tps)
        while await behind(consumer, ends):
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batch.values():
                for record in records:
                    self.apply(from_record(record.value))
        self.ready = True
        self.metrics.open_complaints.set(len(self.index))

    async def follow(self) -> None:
        """Apply what others write, until cancelled."""
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batch.values():
                for record in records:
                    if self._wants(record.headers):
                        self.apply(from_record(record.value))
            self.metrics.open_complaints.set(len(self.index))

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    def _wants(self, headers: Any) -> bool:
        """Skip, unparsed, our own events (applied at commit) and types the index ignores."""
        found = dict(headers or ())
        event_id = found.get("ce_id", b"").decode()
        if event_id in self._own_event_ids:
            self._own_event_ids.discard(event_id)
            return False
        return found.get("ce_type", b"").decode() in SpatialIndex.EVENT_TYPES
