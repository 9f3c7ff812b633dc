"""Builds intake from its settings: directory, MongoDB, the command bus to Kafka."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo import AsyncMongoClient

from kandoo.events.directory import Directory, load_directory
from kandoo.events.topics import Topics
from kandoo.intake.adapters.commands import CommandBus
from kandoo.intake.adapters.ratelimit import RateLimiter
from kandoo.intake.adapters.storage import (
    ComplaintDepartments,
    IdempotencyKeys,
    Open311Tokens,
    PhotoStore,
    ReporterTokens,
    TrackingCodes,
)
from kandoo.intake.metrics import IntakeMetrics
from kandoo.intake.settings import IntakeSettings
from kandoo.runtime.personal import KeyStore


@dataclass
class Intake:
    """Everything the routes need, built once per process; started and stopped by the
    app's lifespan (uvicorn serves it: `python -m kandoo.intake`)."""

    settings: IntakeSettings
    directory: Directory
    topics: Topics
    mongo: AsyncMongoClient[dict[str, Any]]
    bus: CommandBus
    photos: PhotoStore
    keys: IdempotencyKeys
    tokens: Open311Tokens
    reporters: ReporterTokens
    codes: TrackingCodes
    owners: ComplaintDepartments
    personal: KeyStore
    """The keys that seal reporters' and supporters' contacts (deleted on erasure)."""
    metrics: IntakeMetrics
    per_ip: RateLimiter
    per_token: RateLimiter
    per_address: RateLimiter
    """The ceiling of one address that many browsers share (an office, a school)."""

    async def start(self) -> None:
        await self.bus.start()

    async def stop(self) -> None:
        await self.bus.stop()
        await self.mongo.close()

    def ready(self) -> bool:
        """Routing's answers reach this instance (readyz also pings Kafka and MongoDB)."""
        return self.bus.listening.is_set()


def build(settings: IntakeSettings) -> Intake:
    topics = Topics(settings.topic_prefix)
    metrics = IntakeMetrics()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_url)
    db = mongo[settings.mongodb_db]
    owners = ComplaintDepartments(db)
    bus = CommandBus(
        settings.kafka_bootstrap,
        topics,
        metrics,
        settings.max_pending,
        settings.kafka_send_timeout_s,
    )
    bus.on_owners = owners.record
    return Intake(
        settings=settings,
        directory=load_directory(settings.directory),
        topics=topics,
        mongo=mongo,
        bus=bus,
        photos=PhotoStore(db),
        keys=IdempotencyKeys(db, timedelta(hours=settings.idempotency_hours)),
        tokens=Open311Tokens(db),
        reporters=ReporterTokens(db),
        codes=TrackingCodes(db),
        owners=owners,
        personal=KeyStore(mongo[settings.keys_mongodb_db]),
        metrics=metrics,
        per_ip=RateLimiter(settings.rate_per_minute_ip),
        per_token=RateLimiter(settings.rate_per_minute_token),
        per_address=RateLimiter(settings.rate_per_minute_address),
    )
