"""Builds notify from its settings: one object with start(), stop() and ready()."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient

from kandoo.events.directory import load_directory
from kandoo.events.topics import Topics
from kandoo.notify.adapters.line_push import LinePusher
from kandoo.notify.adapters.publisher import Publisher
from kandoo.notify.adapters.sender import Sender
from kandoo.notify.adapters.store import DeliveryStore
from kandoo.notify.domain.rules import load_rules
from kandoo.notify.entrypoints.consumer import EventConsumer, every
from kandoo.notify.metrics import NotifyMetrics
from kandoo.notify.service import Deliveries, Digests, EventPlanner
from kandoo.notify.settings import NotifySettings
from kandoo.runtime.health import HealthServer
from kandoo.runtime.personal import KeyStore

RETRY_PERIOD_S = 0.5
DIGEST_PERIOD_S = 30.0


class Notify:
    """The notify service: events in, deliveries out, retries and digests on their clocks."""

    def __init__(
        self,
        settings: NotifySettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sender: Sender | None = None,
    ) -> None:
        self.settings = settings
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            settings.mongodb_url, tz_aware=True
        )
        self.topics = Topics(settings.topic_prefix)
        self.metrics = NotifyMetrics()
        directory, rules = load_directory(settings.directory), load_rules(settings.rules)
        self.store = DeliveryStore(self.client[settings.mongodb_db])
        self.publisher = Publisher(settings.kafka_bootstrap, self.topics, clock)
        line = (
            LinePusher(settings.line_api_url, settings.line_channel_access_token)
            if settings.line_channel_access_token
            else None
        )
        sender = sender or Sender(settings.send_timeout_s, settings.dev_mail_relay, line)
        self.sender = sender
        self.deliveries = Deliveries(
            settings, self.store, self.publisher, sender, self.metrics, clock
        )
        self.digests = Digests(self.store, self.deliveries, directory, rules, clock)
        keys = KeyStore(self.client[settings.keys_mongodb_db])
        planner = EventPlanner(settings, self.store, self.deliveries, directory, rules, clock, keys)
        self.consumer = EventConsumer(
            settings.kafka_bootstrap,
            settings.group(),
            self.topics.events,
            planner,
            self.store,
            self.publisher,
            self.metrics,
        )
        self.health = HealthServer(self.metrics.registry, self.ready, settings.host, settings.port)
        self._tasks: list[asyncio.Task[None]] = []

    def ready(self) -> bool:
        return self.consumer.ready

    async def start(self) -> None:
        await self.health.start()
        await self.publisher.start()
        await self.deliveries.recover()
        await self.consumer.start()
        self._tasks = [
            asyncio.create_task(self.consumer.run(), name="notify-consume"),
            asyncio.create_task(
                every(RETRY_PERIOD_S, self.deliveries.retry_due, "retry pass"), name="notify-retry"
            ),
            asyncio.create_task(
                every(DIGEST_PERIOD_S, self.digests.send, "digest pass"), name="notify-digest"
            ),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.consumer.stop()
        await self.publisher.stop()
        await self.health.stop()
        await self.sender.close()
        with contextlib.suppress(Exception):
            await self.client.close()


def build(
    settings: NotifySettings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sender: Sender | None = None,
) -> Notify:
    return Notify(settings, clock, sender)
