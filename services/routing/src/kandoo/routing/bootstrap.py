"""Builds routing from its settings: one object with start(), stop() and ready()."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

from kandoo.events.directory import load_directory
from kandoo.routing.adapters.topics_admin import ensure_topics
from kandoo.routing.classify.learn import load_or_train
from kandoo.routing.domain.classifier import Classifier, KeywordBaselineClassifier, RuleFirst
from kandoo.routing.entrypoints.commands import CommandConsumer
from kandoo.routing.metrics import RoutingMetrics
from kandoo.routing.service import Clock, Processor
from kandoo.routing.settings import RoutingSettings
from kandoo.runtime.health import HealthServer

log = logging.getLogger("kandoo.routing")


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_classifier(settings: RoutingSettings) -> Classifier:
    """Directory rules first; then the trained model (or, if asked, the keyword baseline)."""
    directory = load_directory(settings.directory)
    if settings.classifier == "keyword-baseline":
        return RuleFirst(directory, KeywordBaselineClassifier())
    model = load_or_train(Path(settings.classify_data), Path(settings.model_dir))
    return RuleFirst(directory, model)


class Routing:
    """The routing service: the command consumer, the duplicate index reader, the deadline
    timer and the health server around one processor. Any of its loops failing for good
    (fenced by another instance) sets `dead`: the process must stop."""

    def __init__(self, settings: RoutingSettings, clock: Clock, classifier: Classifier) -> None:
        self.settings = settings
        self.metrics = RoutingMetrics()
        self.directory = load_directory(settings.directory)
        self.processor = Processor(settings, self.directory, classifier, self.metrics, clock)
        self.topics = self.processor.topics
        self.consumer = CommandConsumer(
            self.processor, self.metrics, settings.max_batch, settings.batch_linger_ms
        )
        self.health = HealthServer(self.metrics.registry, self.ready, settings.host, settings.port)
        self.failed: BaseException | None = None
        self.dead = asyncio.Event()
        self._started = False
        self._tasks: list[asyncio.Task[None]] = []

    def ready(self) -> bool:
        p = self.processor
        loaded = p.index.ready and p.roster_follower.loaded
        return self._started and loaded and self.consumer.rebuilding == 0

    async def start(self) -> None:
        await self.health.start()
        try:
            await self._start()
        except BaseException:
            await self.health.stop()  # its port free again for the next start
            raise

    async def _start(self) -> None:
        s, p = self.settings, self.processor
        departments = [d.code for d in self.directory.departments]
        await ensure_topics(
            s.kafka_bootstrap,
            self.topics,
            departments,
            s.partitions,
            s.replication_factor,
            s.min_insync_replicas,
        )
        await p.writer.start()
        await p.timer.start()
        await p.index.load()
        await p.roster_follower.load()
        await self.consumer.start()
        self._started = True
        self._tasks = [
            asyncio.create_task(self._guard(self.consumer.run()), name="routing-consume"),
            asyncio.create_task(self._guard(p.index.follow()), name="routing-index"),
            asyncio.create_task(self._guard(p.roster_follower.follow()), name="routing-roster"),
            asyncio.create_task(self._guard(self._timer_loop()), name="routing-timer"),
        ]

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.deadline_period_s)
            await self.processor.check_deadlines()

    async def _guard(self, work: Awaitable[None]) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            log.exception("routing stopped on an unrecoverable error")
            self.failed = exc
            self.dead.set()
            raise

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        await self.consumer.stop()
        await self.processor.index.stop()
        await self.processor.roster_follower.stop()
        await self.processor.writer.stop()
        await self.processor.timer.stop()
        await self.health.stop()

    async def check_deadlines(self) -> int:
        return await self.processor.check_deadlines()


def build(
    settings: RoutingSettings, clock: Clock = utc_now, classifier: Classifier | None = None
) -> Routing:
    return Routing(settings, clock, classifier or default_classifier(settings))
