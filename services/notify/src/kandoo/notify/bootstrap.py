"""Builds notify from its settings: database, directory, rules, metrics, health server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pymongo import AsyncMongoClient

from kandoo.events.directory import load_directory
from kandoo.notify.metrics import NotifyMetrics
from kandoo.notify.rules import load_rules
from kandoo.notify.service import Doc, Notifier, Sender
from kandoo.notify.settings import NotifySettings
from kandoo.runtime.health import HealthServer


def build(
    settings: NotifySettings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sender: Sender | None = None,
) -> tuple[Notifier, HealthServer, AsyncMongoClient[Doc]]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(settings.mongodb_url, tz_aware=True)
    metrics = NotifyMetrics()
    notifier = Notifier(
        settings,
        client[settings.mongodb_db],
        load_directory(settings.directory),
        load_rules(settings.rules),
        metrics,
        clock,
        sender,
    )
    health = HealthServer(metrics.registry, lambda: notifier.ready, settings.host, settings.port)
    return notifier, health, client
