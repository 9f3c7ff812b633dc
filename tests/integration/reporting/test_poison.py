"""A record reporting cannot apply goes to `<topic>.dlq` with where it came from, and the
read models go on with the next event (against the real broker and a real routing)."""

from __future__ import annotations

import asyncio
import json
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import murmur2

from kandoo.reporting.bootstrap import build
from tests.conftest import Servers
from tests.integration.reporting.conftest import reporting_settings
from tests.integration.routing.conftest import running_routing, submit


async def dead_letters(servers: Servers, topic: str, wait_s: float = 60) -> list[tuple]:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=servers.kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=int(wait_s * 1000), max_records=10)
        return [(r.key, r.value, dict(r.headers)) for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()


async def test_a_poison_event_lands_in_the_dlq_and_the_next_event_is_applied(
    servers: Servers, unique: str
) -> None:
    async with running_routing(servers, unique) as (processor, client):
        first = await client.call(submit("ไฟดับหน้าตลาด"))
        [submitted] = [e for e in await client.events() if e.type == "complaint.submitted"]
        poison = submitted.to_json()  # parses, but cannot be applied:
        poison |= {"id": str(uuid.uuid4()), "subject": "poison-1"}
        del poison["data"]["location"]  # a submission without its place
        later = str(uuid.uuid4())  # the next event of the same partition, after the poison
        partition = (murmur2(later.encode()) & 0x7FFFFFFF) % 3
        producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
        await producer.start()
        await producer.send_and_wait(
            processor.topics.events,
            json.dumps(poison, default=str).encode(),
            b"poison-1",
            partition=partition,
        )
        await producer.stop()
        after = await client.call(
            submit("ถนนเป็นหลุมหน้าโรงเรียน", lat=12.5690, lon=99.9560, complaint_id=later)
        )

        reporting = build(reporting_settings(servers, unique, poison_threshold=2))
        await reporting.start()
        try:
            letters = await dead_letters(servers, f"{processor.topics.events}.dlq")
            assert len(letters) == 1
            key, value, headers = letters[0]
            assert key == b"poison-1"
            assert json.loads(value)["subject"] == "poison-1", "the record as it was"
            assert headers["source_topic"] == processor.topics.events.encode()
            assert headers["source_partition"] == str(partition).encode()
            assert headers["service"] == b"reporting"
            assert b"location" in headers["error"]
            for cid in (first["complaint_id"], after["complaint_id"]):
                for _ in range(100):
                    models = await reporting.models()
                    if await models.complaint(cid):
                        break
                    await asyncio.sleep(0.2)
                assert await models.complaint(cid), (
                    f"{cid} applied though a poison record came first"
                )
            metrics = reporting.metrics.dead_letters.labels("reporting", processor.topics.events)
            assert metrics._value.get() == 1
        finally:
            await reporting.stop()
