"""Reading topics from the beginning to their current end, as rebuilds and the index do."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry, Gauge

if TYPE_CHECKING:
    from kandoo.runtime.poison import Quarantine

FIND_NEW_TOPICS_MS = 5_000
"""`metadata_max_age_ms` of consumers of topics routing creates: `make run` starts every
service at once, and a consumer that subscribed before the topic existed otherwise waits
for its next metadata refresh (five minutes by default) before it reads anything."""


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


async def rewind_to_committed(consumer: AIOKafkaConsumer) -> None:
    """Back to the committed offsets (or the beginning): a failed batch is read again."""
    for tp in consumer.assignment():
        committed = await consumer.committed(tp)
        if committed is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, committed)


async def consume_forever(
    consumer: AIOKafkaConsumer,
    step: Callable[[], Awaitable[object]],
    log: logging.Logger,
    forget: Callable[[], None] = lambda: None,
    quarantine: Quarantine | None = None,
) -> None:
    """Run `step` (read, apply, commit) until cancelled. A failed batch is logged, what was
    cached about it forgotten, and read again from the committed offsets; with a
    `quarantine`, a record that keeps failing goes to its dead-letter topic
    (`kandoo.runtime.poison`) and a broker or database away is waited for with back-off."""
    while True:
        try:
            await step()
            if quarantine is not None:
                quarantine.succeeded()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("batch failed; reading it again from the last commit")
            forget()
            wait = 1.0
            if quarantine is not None:
                try:
                    wait = await quarantine.failed(exc)
                except Exception:
                    log.exception("could not dead-letter the record; trying again")
            with contextlib.suppress(Exception):
                await rewind_to_committed(consumer)
            if wait > 0:
                await asyncio.sleep(wait)


def consumer_lag_metric(registry: CollectorRegistry) -> Gauge:
    return Gauge(
        "kandoo_consumer_lag",
        "Records on a partition this service has not read yet",
        ["service", "topic", "partition"],
        registry=registry,
    )


async def record_lag(consumer: AIOKafkaConsumer, gauge: Gauge, service: str) -> None:
    """Each assigned partition's lag, from what the last fetches said of its end."""
    for tp in consumer.assignment():
        end = consumer.highwater(tp)
        if end is None:
            continue
        lag = max(end - await consumer.position(tp), 0)
        gauge.labels(service, tp.topic, str(tp.partition)).set(lag)
