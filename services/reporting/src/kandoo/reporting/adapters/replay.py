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
from aiokafka.errors import OffsetOutOfRangeError
from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from kandoo.events.directory import Directory
from kandoo.events.topics import Topics
from kandoo.reporting.adapters.applier import Applier, Parsed, parse
from kandoo.reporting.adapters.projector import position_key, tag_of
from kandoo.reporting.adapters.store import MODELS, Doc, Meta, ReadModels
from kandoo.reporting.domain.projection import Applied, Projection, Update, queue_entry
from kandoo.reporting.settings import ReportingSettings
from kandoo.runtime.mongo import bulk

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
    return [p for r in records if (p := parse(r, tag_of(topics, r.topic))) is not None]


def shared_document(doc_id: str, u: Update, markers: dict[str, int]) -> Doc:
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
    doc["applied"] = dict(markers)
    return doc


class MemoryBuild:
    """Read models folded in memory, for a generation that nobody else writes yet.

    A complaint's events all live in one partition, so once a partition has been read
    whole its complaints' documents are final: `take_documents` hands them over to be
    written and forgets them (see `fold_into`). Shared documents are written last
    (`write_shared`); they hold every record read, so their markers are the last offsets
    read.
    """

    def __init__(self, directory: Directory) -> None:
        self.projection = Projection(directory, incremental=False)
        self.shared: dict[tuple[str, str], Update] = {}
        self.reached: dict[str, int] = {}
        self.touched: dict[str, None] = {}  # complaints changed since the last write
        self.written: set[str] = set()

    def apply(self, parsed: list[Parsed], until: datetime | None = None) -> int:
        applied = 0
        projection, reached = self.projection, self.reached
        for p in parsed:
            reached[p.position.marker] = p.position.offset
            if until is not None and datetime.fromisoformat(str(p.body["time"])) > until:
                continue
            if p.kind == "notice":
                projection.apply_notice(p.body, p.position)
            elif projection.apply(p.body, p.position) is Applied.APPLIED:
                applied += 1
                self.touched[str(p.body["subject"])] = None
        for d in projection.take().deltas:
            u = self.shared.get((d.collection, d.doc_id))
            if u is None:
                u = self.shared[(d.collection, d.doc_id)] = Update()
            for k, v in d.inc.items():
                u.inc[k] += v
            u.on_insert.update(d.on_insert)
            for k, v in d.add_to_set.items():
                values = u.add_to_set.setdefault(k, [])
                if v not in values:
                    values.append(v)
            for k, v in d.push.items():
                u.push.setdefault(k, []).append(v)
        return applied

    def take_documents(self) -> tuple[dict[str, list[Doc]], dict[str, list[Doc]]]:
        """Complaint, queue and tracking documents changed since the last call: (new ones,
        ones written before, to replace), by model."""
        fresh: dict[str, list[Doc]] = {"complaints": [], "queue": [], "tracking": []}
        again: dict[str, list[Doc]] = {"complaints": [], "queue": [], "tracking": []}
        for cid in self.touched:
            doc = self.projection.docs.get(cid)
            if doc is None:
                continue
            into = again if cid in self.written else fresh
            self.written.add(cid)
            # Final for this replay: written, then forgotten, so memory holds one
            # partition's complaints, not the whole history's. (Met again later - never,
            # while events are keyed by complaint - it would fold as a sequence gap.)
            del self.projection.docs[cid]
            into["complaints"].append(doc)
            if (q := queue_entry(doc)) is not None:
                into["queue"].append(q)
            if "tracking_code" in doc:
                into["tracking"].append({"_id": doc["tracking_code"], "complaint_id": cid})
        self.touched = {}
        return fresh, again

    async def write_shared(self, models: ReadModels) -> None:
        """The last step: current-state counters join the shared documents, all written."""
        for key, (counts, on_insert) in self.projection.state_counters().items():
            u = self.shared.setdefault(key, Update())
            u.on_insert.update(on_insert)
            u.inc.update(counts)
        by_model: dict[str, list[Doc]] = {}
        for (model, doc_id), u in self.shared.items():
            by_model.setdefault(model, []).append(shared_document(doc_id, u, self.reached))
        await asyncio.gather(*[models.insert_fresh(m, d) for m, d in by_model.items()])


async def _write_documents(
    models: ReadModels, fresh: dict[str, list[Doc]], again: dict[str, list[Doc]]
) -> None:
    # A complaint met again in a later partition (never, while routing keys events by
    # complaint) would hold a stale queue entry: replace whole, and drop a closed one's.
    for doc in again["complaints"]:
        await models["queue"].delete_one({"_id": doc["_id"]})
    for model, docs in again.items():
        await bulk(models[model], [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs])
    for model, docs in fresh.items():
        await models.insert_fresh(model, docs)


async def fold_into(
    models: ReadModels,
    reader: LogReader,
    window: Window,
    build: MemoryBuild,
    topics: Topics,
    progress: Progress | None = None,
    phases: dict[str, float] | None = None,
    until: datetime | None = None,
) -> tuple[int, int]:
    """Fold `window` into an empty generation: (records read, events applied).

    One partition at a time: its complaints are written (then forgotten) while the next
    is folded, the database working on the other core, one write after the other; the
    shared documents last.
    """
    started = time.perf_counter()
    records = events = 0
    writing: asyncio.Task[None] | None = None
    for part in window.by_partition():
        async for batch in reader.read(part, max_records=5_000):
            records += len(batch)
            events += build.apply(parse_all(topics, batch), until)
            if progress is not None:
                progress(records, window.total)
        writing = asyncio.create_task(_after(writing, build.take_documents(), models))
    folded = time.perf_counter()
    if writing is not None:
        await writing
    await build.write_shared(models)
    if phases is not None:
        phases["read and fold"] = folded - started
        phases["writes after the fold"] = time.perf_counter() - folded
    return records, events


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
    await models.ensure_indexes()  # on empty collections: built as the documents go in
    build = MemoryBuild(directory)
    async with LogReader(settings, [topics.events, topics.notifications]) as reader:
        window = Window(await reader.beginnings(), await reader.ends())
        phases: dict[str, float] = {}
        records, events = await fold_into(models, reader, window, build, topics, progress, phases)
        # Catch up with what arrived during the rebuild, as the live projector would.
        caught = time.perf_counter()
        applier = Applier(models, directory)  # loads the complaints it meets from the new set
        applier.markers.update({k: dict(build.reached) for k in build.shared})
        reached = window.ends
        while True:
            ends = await reader.ends()
            if ends == reached:
                break
            async for batch in reader.read(Window(reached, ends)):
                records += len(batch)
                events += await applier.apply(parse_all(topics, batch))
            reached = ends
        phases["catch-up"] = time.perf_counter() - caught
        log.info(
            "rebuild of %d records: %s",
            records,
            ", ".join(f"{name} {seconds:.1f}s" for name, seconds in phases.items()),
        )
        seconds = time.perf_counter() - started
        await meta.switch(new, {position_key(topics, tp): o for tp, o in reached.items()})
    await _wait_for_projectors(meta, new, switch_wait_s)
    await ReadModels(db, old).drop()
    return RebuildResult(new, events, records, seconds)


async def _after(
    previous: asyncio.Task[None] | None,
    documents: tuple[dict[str, list[Doc]], dict[str, list[Doc]]],
    models: ReadModels,
) -> None:
    if previous is not None:
        await previous
    await _write_documents(models, *documents)


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
    models = ReadModels(db, 1)
    await models.ensure_indexes()
    async with LogReader(settings, [topics.events, topics.notifications]) as reader:
        # Event times, not record times, decide what had happened by `moment`: the whole
        # log is read and later events are left out.
        window = Window(await reader.beginnings(), await reader.ends())
        build = MemoryBuild(directory)
        _, events = await fold_into(models, reader, window, build, topics, progress, until=moment)
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
