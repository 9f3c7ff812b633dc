"""Replaying the log: rebuild the read models, build them as of a past moment, export a window.

All three read partitions between two offsets with a groupless consumer (committed
records only). A rebuild folds everything in memory first (the fresh generation is this
process's alone), inserts it in large chunks, then catches up with what arrived meanwhile
through the same path as the live projector, and flips `meta.current`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pymongo.asynchronous.database import AsyncDatabase

from kandoo.events.directory import Directory
from kandoo.events.topics import Topics
from kandoo.reporting.adapters.applier import Applier, Parsed, parse
from kandoo.reporting.adapters.projector import position_key, tag_of
from kandoo.reporting.adapters.store import MODELS, Doc, Meta, ReadModels
from kandoo.reporting.domain.projection import Projection, Update, fold_deltas, queue_entry
from kandoo.reporting.settings import ReportingSettings

log = logging.getLogger("kandoo.reporting")
Progress = Callable[[int, int], None]
"""Called with (records read, records to read) as a replay goes."""

Records = list[ConsumerRecord[bytes, bytes]]


@dataclass
class Window:
    """Offsets to read: from `starts` (inclusive) to `ends` (exclusive), per partition."""

    starts: dict[TopicPartition, int]
    ends: dict[TopicPartition, int]

    @property
    def total(self) -> int:
        return sum(max(self.ends[tp] - self.starts[tp], 0) for tp in self.ends)


class LogReader:
    """A groupless consumer over some topics, for reading windows of their partitions."""

    def __init__(self, settings: ReportingSettings, topics: list[str]) -> None:
        self.settings, self.topics = settings, topics
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
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
            batch = await self.consumer.getmany(timeout_ms=1000, max_records=max_records)
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
    return [p for r in records if (p := parse(r, tag_of(topics, r.topic))) is not None]


def merge_update(into: Update, more: Update) -> None:
    into.inc.update(more.inc)
    into.on_insert.update(more.on_insert)
    for k, v in more.add_to_set.items():
        into.add_to_set.setdefault(k, []).extend(x for x in v if x not in into.add_to_set[k])
    for k, v in more.push.items():
        into.push.setdefault(k, []).extend(v)
    for m, o in more.markers.items():
        into.markers[m] = max(into.markers.get(m, -1), o)


def shared_document(doc_id: str, u: Update) -> Doc:
    """The stored form of a shared document built from nothing (what the upserts make)."""
    doc: Doc = {"_id": doc_id, **u.on_insert}
    for key, value in u.inc.items():
        *path, last = key.split(".")
        place = doc
        for part in path:
            place = place.setdefault(part, {})
        place[last] = value
    for key, values in u.add_to_set.items():
        doc[key] = list(dict.fromkeys(values))
    for key, values in u.push.items():
        doc[key] = list(values)
    doc["applied"] = dict(u.markers)
    return doc


class MemoryBuild:
    """Read models folded in memory, for a generation that nobody else writes yet."""

    def __init__(self, directory: Directory) -> None:
        self.projection = Projection(directory)
        self.shared: dict[tuple[str, str], Update] = {}

    def apply(self, parsed: list[Parsed], until: datetime | None = None) -> int:
        applied = 0
        for p in parsed:
            if until is not None and datetime.fromisoformat(str(p.body["time"])) > until:
                continue
            if p.kind == "notice":
                self.projection.apply_notice(p.body, p.position)
            else:
                applied += self.projection.apply(p.body, p.position).value == "applied"
        changes = self.projection.take()
        for key, u in fold_deltas(changes.deltas, {}).items():
            if key in self.shared:
                merge_update(self.shared[key], u)
            else:
                self.shared[key] = u
        return applied

    async def write(self, models: ReadModels) -> None:
        docs = [d for d in self.projection.docs.values() if d is not None]
        by_model: dict[str, list[Doc]] = {
            "complaints": docs,
            "queue": [q for d in docs if (q := queue_entry(d)) is not None],
            "tracking": [
                {"_id": d["tracking_code"], "complaint_id": d["_id"]}
                for d in docs
                if "tracking_code" in d
            ],
        }
        for (model, doc_id), u in self.shared.items():
            by_model.setdefault(model, []).append(shared_document(doc_id, u))
        await asyncio.gather(*[models.insert_fresh(m, d) for m, d in by_model.items()])


@dataclass
class RebuildResult:
    generation: int
    events: int
    records: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


async def rebuild(
    settings: ReportingSettings,
    db: AsyncDatabase[Doc],
    directory: Directory,
    progress: Progress | None = None,
    switch_wait_s: float = 30.0,
) -> RebuildResult:
    """Replay the whole log into a new generation, catch up, switch readers, drop the old."""
    topics = Topics(settings.topic_prefix)
    meta = Meta(db)
    old = await meta.current()
    new = old + 1
    models = ReadModels(db, new)
    await models.drop()  # leftovers of an interrupted rebuild
    started = time.perf_counter()
    build = MemoryBuild(directory)
    records = events = 0
    async with LogReader(settings, [topics.events, topics.notifications]) as reader:
        window = Window(await reader.beginnings(), await reader.ends())
        async for batch in reader.read(window):
            records += len(batch)
            events += build.apply(parse_all(topics, batch))
            if progress is not None:
                progress(records, window.total)
        folded = time.perf_counter()
        await build.write(models)
        log.info(
            "rebuild: %d records folded in %.1fs, written in %.1fs",
            records,
            folded - started,
            time.perf_counter() - folded,
        )
        await models.ensure_indexes()
        # Catch up with what arrived during the rebuild, as the live projector would.
        applier = Applier(models, directory)
        applier.projection.docs.update(build.projection.docs)
        applier.markers.update({k: dict(u.markers) for k, u in build.shared.items()})
        reached = window.ends
        while True:
            ends = await reader.ends()
            if ends == reached:
                break
            async for batch in reader.read(Window(reached, ends)):
                records += len(batch)
                events += await applier.apply(parse_all(topics, batch))
            reached = ends
        seconds = time.perf_counter() - started
        await meta.switch(new, {position_key(topics, tp): o for tp, o in reached.items()})
    await _wait_for_projectors(meta, new, switch_wait_s)
    await ReadModels(db, old).drop()
    return RebuildResult(new, events, records, seconds)


async def _wait_for_projectors(meta: Meta, generation: int, wait_s: float) -> None:
    """Give live projectors time to follow the switch before their old collections go."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        lagging = [
            p
            for p in await meta.projectors()
            if p.get("generation") != generation
            and (time.time() - p["at"].timestamp()) < 60  # alive in the last minute
        ]
        if not lagging:
            return
        await asyncio.sleep(0.5)
    log.warning("some projectors did not follow generation %d within %ss", generation, wait_s)


async def as_of(
    settings: ReportingSettings,
    db: AsyncDatabase[Doc],
    directory: Directory,
    moment: datetime,
    progress: Progress | None = None,
) -> int:
    """Build the read models as they stood at `moment` into `db` (generation 1); events."""
    topics = Topics(settings.topic_prefix)
    for model in MODELS:
        await db.drop_collection(f"{model}_g1")
    build = MemoryBuild(directory)
    events = 0
    async with LogReader(settings, [topics.events, topics.notifications]) as reader:
        # Event times, not record times, decide what had happened by `moment`: the whole
        # log is read and later events are left out.
        window = Window(await reader.beginnings(), await reader.ends())
        async for batch in reader.read(window):
            events += build.apply(parse_all(topics, batch), until=moment)
            if progress is not None:
                progress(events, window.total)
    models = ReadModels(db, 1)
    await build.write(models)
    await models.ensure_indexes()
    await Meta(db).switch(1, {})
    return events


def event_department(body: dict[str, Any], known: dict[str, str]) -> str | None:
    """The department a complaint belongs to after this event, as far as the window shows."""
    data = body.get("data") or {}
    dept = data.get("department") or data.get("agency")
    if body.get("type") in ("complaint.escalated", "complaint.sla_breached"):
        dept = data.get("department")
    if dept:
        known[str(body["subject"])] = str(dept)
    return known.get(str(body["subject"]))
