"""Reading one partition of the complaint log from its beginning to its current end."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition

from kandoo.events.envelope import Envelope, from_record


async def read_partition(bootstrap: str, topic: str, partition: int) -> AsyncIterator[Envelope]:
    """Every committed event of `topic[partition]` up to the end it had when asked."""
    tp = TopicPartition(topic, partition)
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, isolation_level="read_committed", enable_auto_commit=False
    )
    await reader.start()
    try:
        reader.assign([tp])
        await reader.seek_to_beginning(tp)
        end = (await reader.end_offsets([tp]))[tp]
        while await reader.position(tp) < end:
            batch = await reader.getmany(tp, timeout_ms=500, max_records=5000)
            for record in batch.get(tp, []):
                yield from_record(record.value)
    finally:
        await reader.stop()
