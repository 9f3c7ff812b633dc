"""Reading topics from the beginning to their current end, as rebuilds and the index do."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition


async def wait_for_assignment(
    consumer: AIOKafkaConsumer, wait_s: float = 30.0
) -> list[TopicPartition]:
    """The partitions a groupless, subscribed consumer gets once it has the topic's metadata."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while not consumer.assignment():
        if loop.time() > deadline:
            raise TimeoutError("no partitions assigned: does the topic exist?")
        await asyncio.sleep(0.05)
    return sorted(consumer.assignment())


async def behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    """Whether the consumer has not yet reached `ends` on some partition."""
    return any([await consumer.position(tp) < end for tp, end in ends.items()])
