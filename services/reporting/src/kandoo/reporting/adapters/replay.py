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
from dataclasses import dataclass
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from kandoo.events.directory import Directory
from kandoo.events.topics import Topics
from kandoo.reporting.adapters.applier import Applier
from kandoo.reporting.adapters.log_reader import LogReader, Progress, Window, parse_all
from kandoo.reporting.adapters.memory_build import MemoryBuild, write_documents
from kandoo.reporting.adapters.projector import position_key
from kandoo.reporting.adapters.store import MODELS, Doc, Meta, ReadModels
from kandoo.reporting.settings import ReportingSettings
from kandoo.runtime.heap import fewer_collections

log = logging.getLogger("kandoo.reporting")


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
    with fewer_collections():
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
    await write_documents(models, *documents)


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
    async with LogReader(settings, [topics.events, topics.notifications]) as reader:
        # Event times, not record times, decide what had happened by `moment`: the whole
        # log is read and later events are left out.
        window = Window(await reader.beginnings(), await reader.ends())
        build = MemoryBuild(directory)
        _, events = await fold_into(models, reader, window, build, topics, progress, until=moment)
    await Meta(db).switch(1, {})
    return events
