"""Routing against the real broker: a processor per test, on topics of its own."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from kandoo.events import commands as c
from kandoo.events.envelope import Envelope, from_record
from kandoo.events.ids import token_hash, tracking_code
from kandoo.events.topics import Topics
from kandoo.events.values import Actor, Location, ReporterContact, Role
from kandoo.routing.bootstrap import Routing, build
from kandoo.routing.settings import RoutingSettings
from kandoo.runtime.kafka_io import behind, wait_for_assignment
from tests.conftest import Servers

ROOT = Path(__file__).resolve().parents[3]
DIRECTORY = str(ROOT / "deploy" / "config" / "directory.yaml")
CITIZEN = Actor(id="anonymous", role=Role.CITIZEN)
TOKEN = "tracking-token-for-tests"


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def routing_settings(servers: Servers, unique: str, **more: Any) -> RoutingSettings:
    return RoutingSettings(
        env="test",
        kafka_bootstrap=servers.kafka_bootstrap,
        topic_prefix=f"test.{unique}.",
        instance_id=f"test-{unique}",
        partitions=3,
        directory=DIRECTORY,
        deadline_period_s=3600,
        **({"classifier": "keyword-baseline"} | more),
    )


class Client:
    """Sends commands and reads results and events, as intake and reporting would."""

    def __init__(self, servers: Servers, topics: Topics) -> None:
        self.servers, self.topics = servers, topics
        self.producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
        self.results: dict[str, dict[str, Any]] = {}
        self.all_results: list[dict[str, Any]] = []
        self._results_consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        await self.producer.start()
        self._results_consumer = AIOKafkaConsumer(
            self.topics.command_results,
            bootstrap_servers=self.servers.kafka_bootstrap,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await self._results_consumer.start()

    async def stop(self) -> None:
        await self.producer.stop()
        if self._results_consumer is not None:
            await self._results_consumer.stop()

    async def send(self, command: c.CommandBase) -> None:
        await self.producer.send_and_wait(
            self.topics.commands,
            key=command.complaint_id.encode(),
            value=command.model_dump_json().encode(),
        )

    async def pump(self) -> None:
        """Read the results that arrived."""
        assert self._results_consumer is not None
        batch = await self._results_consumer.getmany(timeout_ms=200)
        for records in batch.values():
            for r in records:
                result = json.loads(r.value)
                self.results.setdefault(result["command_id"], result)
                self.all_results.append(result)

    def answers(self, command_id: str) -> list[dict[str, Any]]:
        return [r for r in self.all_results if r["command_id"] == command_id]

    async def result(self, command_id: str, wait_s: float = 30) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while command_id not in self.results:
            assert loop.time() < deadline, f"no result for {command_id} within {wait_s}s"
            await self.pump()
        return self.results[command_id]

    async def call(self, command: c.CommandBase) -> dict[str, Any]:
        await self.send(command)
        return await self.result(command.command_id)

    async def events(self, at_least: int = 1, isolation: str = "read_committed") -> list[Envelope]:
        """Every event on the topic, once there are `at_least` (a commit's markers land just
        after routing answers, so a reader may need a moment to see them)."""
        for _ in range(50):
            values = await read_topic(self.servers, self.topics.events, isolation)
            if len(values) >= at_least:
                break
            await asyncio.sleep(0.2)
        return [from_record(v) for v in values]


async def read_topic(
    servers: Servers, topic: str, isolation: str = "read_committed"
) -> list[bytes]:
    """Every record value of `topic` now, read from the beginning to the end."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap,
        isolation_level=isolation,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        ends = await consumer.end_offsets(await wait_for_assignment(consumer))
        while await behind(consumer, ends):
            batch = await consumer.getmany(timeout_ms=500)
            values += [r.value for records in batch.values() for r in records]
    finally:
        await consumer.stop()
    return values


def submit(
    text: str = "ไฟส่องสว่างดับ เสาไฟหน้าบ้านดับ street light",
    lat: float = 12.5684,
    lon: float = 99.9577,
    category: str | None = None,
    complaint_id: str | None = None,
    language: Literal["th", "en"] = "th",
    reporter: ReporterContact | None = None,
) -> c.SubmitComplaint:
    cid = complaint_id or str(uuid.uuid4())
    return c.SubmitComplaint(
        command_id=str(uuid.uuid4()),
        complaint_id=cid,
        actor=CITIZEN,
        tracking_code=tracking_code(cid),
        description=text,
        language=language,
        location=Location(lat=lat, lon=lon),
        category=category,
        channel="mobile",
        reporter=reporter or ReporterContact(name="ทดสอบ", phone="0899999999"),
        reporter_token_hash=token_hash(TOKEN),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@asynccontextmanager
async def running_routing(
    servers: Servers, unique: str, clock: FakeClock | None = None
) -> AsyncIterator[tuple[Routing, Client]]:
    """A running processor on the topics of `unique` (it creates them) and a client."""
    processor = build(routing_settings(servers, unique), clock=clock or FakeClock())
    await processor.start()
    client = Client(servers, processor.topics)
    await client.start()
    try:
        yield processor, client
    finally:
        await client.stop()
        await processor.stop()


@pytest.fixture
async def routing(
    servers: Servers, unique: str, clock: FakeClock
) -> AsyncIterator[tuple[Routing, Client]]:
    """A running processor on this test's topics, with a clock the test moves."""
    async with running_routing(servers, unique, clock) as running:
        yield running
