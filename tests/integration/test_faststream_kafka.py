"""FastStream's KafkaBroker, which intake, reporting and notify use, through the real broker."""

from __future__ import annotations

import asyncio

from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from tests.conftest import Servers, TopicFactory


class Ping(BaseModel):
    text: str
    n: int


async def test_a_published_message_reaches_a_subscriber_through_the_broker(
    servers: Servers, make_topic: TopicFactory, unique: str
) -> None:
    topic = await make_topic("faststream")
    received: asyncio.Queue[Ping] = asyncio.Queue()
    broker = KafkaBroker(servers.kafka_bootstrap)

    @broker.subscriber(topic, group_id=f"test-fs-{unique}", auto_offset_reset="earliest")
    async def on_ping(message: Ping) -> None:
        await received.put(message)

    await broker.start()
    try:
        await broker.publish(Ping(text="ไฟดับ ซอย 94 🔦", n=1), topic, key=b"c1")
        got = await asyncio.wait_for(received.get(), timeout=20)
    finally:
        await broker.stop()
    assert got == Ping(text="ไฟดับ ซอย 94 🔦", n=1)
