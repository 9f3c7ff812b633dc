"""Builds reporting from its settings: database, directory, metrics, projector."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from kandoo.events.directory import Directory, load_directory
from kandoo.events.roster import LiveDirectory
from kandoo.events.topics import Topics
from kandoo.reporting.adapters.cache import StaleWhileRevalidate
from kandoo.reporting.adapters.projector import Projector
from kandoo.reporting.adapters.store import Doc, Meta, ReadModels
from kandoo.reporting.metrics import ReportingMetrics
from kandoo.reporting.settings import ReportingSettings
from kandoo.runtime.personal import KeyStore
from kandoo.runtime.roster import RosterFollower

GENERATION_TTL_S = 1.0


@dataclass
class Reporting:
    settings: ReportingSettings
    client: AsyncMongoClient[Doc]
    db: AsyncDatabase[Doc]
    roster: LiveDirectory
    """The directory with the roster's appointments applied (department health reads it)."""
    metrics: ReportingMetrics
    projector: Projector | None
    memory: StaleWhileRevalidate
    """Large documents served from memory while fresh enough (the hotspot areas)."""
    keys: KeyStore
    """The keys that open reporters' contacts for the owning department (erased: gone)."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """What 'now' is for overdue items and default date ranges (tests move it)."""
    _generation: tuple[float, int] = field(default=(0.0, 1))
    _roster_task: asyncio.Task[None] | None = None

    @property
    def directory(self) -> Directory:
        return self.roster.directory

    async def models(self) -> ReadModels:
        """The generation readers use now (looked up at most once a second)."""
        checked, generation = self._generation
        if time.monotonic() - checked > GENERATION_TTL_S:
            generation = await Meta(self.db).current()
            self._generation = (time.monotonic(), generation)
        return ReadModels(self.db, generation)

    async def start(self) -> None:
        if self.projector is not None:
            await self.projector.start()
        self._roster_task = asyncio.create_task(self._follow_roster(), name="reporting-roster")

    async def _follow_roster(self) -> None:
        topic = Topics(self.settings.topic_prefix).directory_events
        follower = RosterFollower(self.settings.kafka_bootstrap, topic, self.roster)
        try:
            await follower.load()
            await follower.follow()
        finally:
            await follower.stop()

    async def stop(self) -> None:
        if self._roster_task is not None:
            self._roster_task.cancel()
            with contextlib.suppress(BaseException):
                await self._roster_task
        if self.projector is not None:
            await self.projector.stop()
        await self.memory.close()
        await self.client.close()

    def ready(self) -> bool:
        return self.projector is None or self.projector.ready


def build(settings: ReportingSettings, metrics: ReportingMetrics | None = None) -> Reporting:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(settings.mongodb_url, tz_aware=True)
    db = client[settings.mongodb_db]
    directory = load_directory(settings.directory)
    metrics = metrics or ReportingMetrics()
    projector = Projector(settings, db, directory, metrics) if settings.project else None
    roster = LiveDirectory(directory)
    metrics.without_admin.set_function(
        lambda: sum(
            1 for d in roster.directory.departments if not d.external and not d.active_admins()
        )
    )
    keys = KeyStore(client[settings.keys_mongodb_db])
    memory = StaleWhileRevalidate()
    return Reporting(settings, client, db, roster, metrics, projector, memory, keys)
