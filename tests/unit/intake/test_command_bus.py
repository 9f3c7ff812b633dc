"""A broker that takes no record: intake's command bus gives up within its send timeout
(the caller then answers 503 with Retry-After), instead of aiokafka's 40 s."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from kandoo.events import commands as c
from kandoo.events.topics import Topics
from kandoo.events.values import Actor, Role
from kandoo.intake.adapters.commands import CommandBus, KafkaUnavailable
from kandoo.intake.metrics import IntakeMetrics


class FakeSilentProducer:
    """Accepts every record into its buffer and never hears back from a broker."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, topic: str, **_: Any) -> asyncio.Future[None]:
        self.sent += 1
        return asyncio.get_running_loop().create_future()  # never done


def silent_bus(timeout_s: float) -> tuple[CommandBus, FakeSilentProducer]:
    bus = CommandBus("127.0.0.1:1", Topics("unit."), IntakeMetrics(), 100, timeout_s)
    producer = FakeSilentProducer()
    bus._producer = producer
    bus._consumer = object()
    return bus, producer


def acknowledge() -> c.AcknowledgeComplaint:
    admin = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")
    return c.AcknowledgeComplaint(command_id="cmd-1", complaint_id="c-1", actor=admin)


async def test_a_command_the_broker_never_acknowledges_fails_within_the_timeout() -> None:
    bus, producer = silent_bus(0.3)
    started = time.perf_counter()
    with pytest.raises(KafkaUnavailable):
        await bus.send(acknowledge(), wait_s=3.0)
    took = time.perf_counter() - started
    assert producer.sent == 1
    assert took < 1.0, f"gave up after {took:.2f} s"
    assert "cmd-1" not in bus._waiting, "no waiter left behind"


async def test_a_line_event_the_broker_never_acknowledges_fails_too() -> None:
    bus, _ = silent_bus(0.3)
    with pytest.raises(KafkaUnavailable):
        await bus.publish_raw("unit.line.webhook-events", b"{}", b"U1")
