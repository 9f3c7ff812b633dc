"""The transactional path routing relies on, proved against the real broker with aiokafka."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from tests.conftest import Servers, TopicFactory


async def read_all(
    servers: Servers, topic: str, isolation: str, expect: int, wait_s: float = 10.0
) -> list[bytes]:
    """Read a topic from the beginning until `expect` records came, or `wait_s` passed."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap,
        isolation_level=isolation,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while len(values) < expect and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            values += [r.value for records in batch.values() for r in records if r.value]
        if expect == 0:  # give records that should stay invisible a chance to show up
            batch = await consumer.getmany(timeout_ms=1500)
            values += [r.value for records in batch.values() for r in records if r.value]
    finally:
        await consumer.stop()
    return values


async def test_a_committed_transaction_writes_two_topics_and_the_consumer_offsets(
    servers: Servers, make_topic: TopicFactory, unique: str
) -> None:
    source = await make_topic("commands")
    events = await make_topic("events")
    results = await make_topic("results")
    group = f"test-routing-{unique}"

    plain = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
    await plain.start()
    try:
        await plain.send_and_wait(source, b"command-1")
    finally:
        await plain.stop()

    producer = AIOKafkaProducer(
        bootstrap_servers=servers.kafka_bootstrap, transactional_id=f"test-tx-{unique}"
    )
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send(events, key=b"c1", value="ร้องเรียน 1".encode())
            await producer.send(results, key=b"cmd1", value=b"accepted")
            await producer.send_offsets_to_transaction({TopicPartition(source, 0): 1}, group)
    finally:
        await producer.stop()

    assert await read_all(servers, events, "read_committed", 1) == ["ร้องเรียน 1".encode()]
    assert await read_all(servers, results, "read_committed", 1) == [b"accepted"]

    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        committed = await consumer.committed(TopicPartition(source, 0))
    finally:
        await consumer.stop()
    assert committed == 1


async def test_an_aborted_transaction_stays_invisible_to_read_committed_consumers(
    servers: Servers, make_topic: TopicFactory, unique: str
) -> None:
    events = await make_topic("events")
    producer = AIOKafkaProducer(
        bootstrap_servers=servers.kafka_bootstrap, transactional_id=f"test-tx-{unique}"
    )
    await producer.start()
    try:
        await producer.begin_transaction()
        await producer.send_and_wait(events, b"never")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send_and_wait(events, b"kept")
    finally:
        await producer.stop()

    assert await read_all(servers, events, "read_committed", 1) == [b"kept"]
    # The aborted record is in the log: only the isolation level hides it.
    assert await read_all(servers, events, "read_uncommitted", 2) == [b"never", b"kept"]


async def test_a_restarted_producer_fences_its_zombie(
    servers: Servers, make_topic: TopicFactory, unique: str
) -> None:
    from aiokafka.errors import KafkaError

    events = await make_topic("events")
    tx_id = f"test-tx-{unique}"
    zombie = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, transactional_id=tx_id)
    await zombie.start()
    await zombie.begin_transaction()
    await zombie.send_and_wait(events, b"zombie")

    successor = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, transactional_id=tx_id)
    await successor.start()
    try:
        async with successor.transaction():
            await successor.send_and_wait(events, b"successor")
        fenced = False
        try:
            await zombie.commit_transaction()
        except KafkaError:
            fenced = True
        assert fenced, "the zombie producer could still commit after its successor started"
    finally:
        await successor.stop()
        await zombie.stop()

    assert await read_all(servers, events, "read_committed", 1) == [b"successor"]


def test_offsets_metadata_type_is_what_aiokafka_expects() -> None:
    # send_offsets_to_transaction accepts plain ints or OffsetAndMetadata; routing uses the latter.
    assert OffsetAndMetadata(5, "").offset == 5
