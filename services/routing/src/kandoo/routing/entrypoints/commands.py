"""The command consumer: reads `complaints.commands` in batches (its offsets committed by
each transaction, never by the consumer itself), rebuilds a partition's state when it is
assigned one, and hands each batch to the processor."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from kandoo.routing.domain.decisions import CommandRecord
from kandoo.routing.metrics import RoutingMetrics
from kandoo.routing.service import Processor

Records = dict[TopicPartition, list[Any]]


class CommandConsumer:
    def __init__(
        self,
        processor: Processor,
        metrics: RoutingMetrics,
        max_batch: int,
        linger_ms: float,
    ) -> None:
        self.processor, self.metrics = processor, metrics
        self.max_batch, self.linger_ms = max_batch, linger_ms
        self.rebuilding = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._positions: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        settings = self.processor.settings
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=settings.group(),
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_batch,
        )
        self._consumer.subscribe([self.processor.topics.commands], listener=_Rebalance(self))
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def run(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=200, max_records=self.max_batch)
            if batch and self.linger_ms:
                # A few milliseconds more gather what is arriving into the same transaction:
                # under load, fewer and larger transactions cost the broker and us far less.
                await asyncio.sleep(self.linger_ms / 1000)
                room = self.max_batch - sum(len(r) for r in batch.values())
                more = await self._consumer.getmany(timeout_ms=0, max_records=max(room, 1))
                for tp, records in more.items():
                    batch[tp] = batch.get(tp, []) + records
            if batch:
                await self._process(batch)
            self._report_lag()

    async def _process(self, batch: Records) -> None:
        assert self._consumer is not None
        records = [
            CommandRecord(tp.topic, tp.partition, r.offset, r.key, r.value)
            for tp, items in batch.items()
            for r in items
        ]
        if await self.processor.process(records):
            for tp, items in batch.items():
                self._positions[tp] = items[-1].offset + 1
            return
        for tp, items in batch.items():  # aborted: read the batch again
            if items:
                self._consumer.seek(tp, items[0].offset)
        await asyncio.sleep(1)

    def _report_lag(self) -> None:
        assert self._consumer is not None
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            done = self._positions.get(tp)
            if high is not None and done is not None:
                self.metrics.lag.labels(str(tp.partition)).set(max(high - done, 0))


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: CommandConsumer) -> None:
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        for tp in revoked:
            self.consumer.processor.forget(tp.partition)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.consumer.rebuilding += 1
        try:
            rebuild = self.consumer.processor.rebuild
            await asyncio.gather(*(rebuild(tp.partition) for tp in assigned))
        finally:
            self.consumer.rebuilding -= 1
