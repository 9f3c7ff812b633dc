"""Reading the log between two offsets per partition, committed records only, with a
groupless consumer: what rebuilds, as-of builds and exports share."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import OffsetOutOfRangeError

from kandoo.events.topics import Topics
from kandoo.reporting.adapters.applier import Parsed, parse
from kandoo.reporting.adapters.projector import tag_of
from kandoo.reporting.settings import ReportingSettings

log = logging.getLogger("kandoo.reporting")

Progress = Callable[[int, int], None]
"""Called with (records read, records to read) as a replay goes."""

Records = list[ConsumerRecord[bytes, bytes]]


class LogGone(RuntimeError):
    """Part of the log a replay needs is no longer on the broker."""


@dataclass
class Window:
    """Offsets to read: from `starts` (inclusive) to `ends` (exclusive), per partition."""

    starts: dict[TopicPartition, int]
    ends: dict[TopicPartition, int]

    @property
    def total(self) -> int:
        return sum(max(self.ends[tp] - self.starts[tp], 0) for tp in self.ends)

    def by_partition(self) -> list[Window]:
        """The window cut into one window per partition that has records in it."""
        return [
            Window(self.starts, {t: (self.ends if t == tp else self.starts)[t] for t in self.ends})
            for tp in self.ends
            if self.ends[tp] > self.starts[tp]
        ]


class LogReader:
    """A groupless consumer over some topics, for reading windows of their partitions."""

    def __init__(self, settings: ReportingSettings, topics: list[str]) -> None:
        self.settings, self.topics = settings, topics
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
            # Never skip silently: records deleted under the reader (retention) must
            # fail the replay, not leave holes in what it builds.
            auto_offset_reset="none",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=32 * 1024 * 1024,
        )
        self.partitions: list[TopicPartition] = []

    async def __aenter__(self) -> LogReader:
        await self.consumer.start()
        for topic in self.topics:
            parts = await self._partitions(topic)
            self.partitions += [TopicPartition(topic, p) for p in sorted(parts)]
        self.consumer.assign(self.partitions)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def _partitions(self, topic: str) -> set[int]:
        for _ in range(100):
            parts = self.consumer.partitions_for_topic(topic)
            if parts:
                return set(parts)
            await self.consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
        raise RuntimeError(f"topic {topic} not found")

    async def ends(self) -> dict[TopicPartition, int]:
        return dict(await self.consumer.end_offsets(self.partitions))

    async def beginnings(self) -> dict[TopicPartition, int]:
        return dict(await self.consumer.beginning_offsets(self.partitions))

    async def at(
        self, moment: datetime, fallback: dict[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        """Per partition, the first offset whose record time is at or after `moment`."""
        found = await self.consumer.offsets_for_times(
            {tp: int(moment.timestamp() * 1000) for tp in self.partitions}
        )
        return {tp: (found[tp].offset if found.get(tp) else fallback[tp]) for tp in self.partitions}

    async def read(self, window: Window, max_records: int = 20_000) -> AsyncIterator[Records]:
        """Batches of records in the window, each partition in order."""
        todo = {tp for tp in self.partitions if window.ends[tp] > window.starts[tp]}
        for tp in self.partitions:
            self.consumer.seek(tp, window.starts[tp])
        self.consumer.pause(*[tp for tp in self.partitions if tp not in todo])
        while todo:
            try:
                batch = await self.consumer.getmany(timeout_ms=1000, max_records=max_records)
            except OffsetOutOfRangeError as e:
                raise LogGone(
                    f"records were deleted while the replay read them ({e}); the topic's "
                    "retention must be forever (retention.ms=-1) for a replay to be whole"
                ) from e
            out: Records = []
            for tp, records in batch.items():
                out += [r for r in records if r.offset < window.ends[tp]]
            for tp in list(todo):
                if await self.consumer.position(tp) >= window.ends[tp]:
                    todo.discard(tp)
                    self.consumer.pause(tp)
            if out:
                yield out
        self.consumer.resume(*self.partitions)


def parse_all(topics: Topics, records: Records) -> list[Parsed]:
    """The readable events of a replay; an unreadable record (dead-lettered by the live
    projector when it met it) is left out, with a line in the log."""
    out = []
    for r in records:
        try:
            out.append(parse(r, tag_of(topics, r.topic)))
        except ValueError as exc:
            log.error("unreadable record %s[%d]@%d: %s", r.topic, r.partition, r.offset, exc)
    return out


def event_department(body: dict[str, Any], known: dict[str, str]) -> str | None:
    """The department a complaint belongs to after this event, as far as the window shows."""
    data = body.get("data") or {}
    dept = data.get("department") or data.get("agency")
    if body.get("type") in ("complaint.escalated", "complaint.sla_breached"):
        dept = data.get("department")
    if dept:
        known[str(body["subject"])] = str(dept)
    return known.get(str(body["subject"]))
