"""The one rule for records a consumer cannot apply, for every Kandoo consumer.

A batch that fails is read again from the committed offsets. When it fails
`threshold` times with the same error, the consumer turns careful: it reads one record at
a time, so the next failure names its record. A record that fails `threshold` times on
its own goes to `<topic>.dlq` (its key and value as they were, headers saying the error,
where it came from and which service gave up on it), is counted in
`kandoo_dead_letters_total`, and is skipped; the consumer goes on. Unavailable brokers and
databases are transient: waited for with back-off, never dead-lettered.

`kandoo-ops dlq list|replay` shows dead letters and puts them back after a fix.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
from prometheus_client import CollectorRegistry
from prometheus_client import Counter as Metric
from pymongo.errors import ConnectionFailure

from kandoo.events.topics import dlq_topic

TRANSIENT: tuple[type[BaseException], ...] = (
    ConnectionFailure,  # includes ServerSelectionTimeoutError, AutoReconnect, NetworkTimeout
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    TimeoutError,
    ConnectionError,
)
"""Failures of a dependency, not of a record: waited for, never dead-lettered."""
CALM_AFTER = 50
"""Careful (one record a time) until this many single records in a row were applied."""
log = logging.getLogger("kandoo.runtime.poison")


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT)


def dead_letters_metric(registry: CollectorRegistry) -> Metric:
    return Metric(
        "kandoo_dead_letters_total",
        "Records a consumer gave up on, sent to <topic>.dlq",
        ["service", "topic"],
        registry=registry,
    )


class Origin(Protocol):
    """Where a record came from: a consumer's record, or routing's command record."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...


def dead_letter_headers(record: Origin, error: str, service: str) -> list[tuple[str, bytes]]:
    """The headers of every dead letter: the error, the record's origin, who gave up, when."""
    return [
        ("error", error[:1000].encode()),
        ("source_topic", record.topic.encode()),
        ("source_partition", str(record.partition).encode()),
        ("source_offset", str(record.offset).encode()),
        ("service", service.encode()),
        ("failed_at", datetime.now(UTC).isoformat().encode()),
    ]


class Quarantine:
    """What a consumer remembers of its failures (in memory: after a restart a poison
    record is tried `threshold` times again, and dead-lettered again)."""

    def __init__(
        self,
        service: str,
        bootstrap: str,
        metric: Metric | None = None,
        threshold: int = 3,
    ) -> None:
        self.service, self.bootstrap, self.metric = service, bootstrap, metric
        self.threshold = threshold
        self.careful = False
        self.failures: Counter[str] = Counter()
        self.skip: set[tuple[str, int, int]] = set()
        self.last: list[ConsumerRecord[bytes, bytes]] = []
        """The records of the batch being applied (set by the consumer's step)."""
        self.transient_failures = 0
        self._calm = 0
        self._producer: AIOKafkaProducer | None = None

    def batch_size(self, normal: int) -> int:
        return 1 if self.careful else normal

    def wanted(self, record: ConsumerRecord[Any, Any]) -> bool:
        """False for a record already dead-lettered: the consumer skips it."""
        return (record.topic, record.partition, record.offset) not in self.skip

    def reading(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        self.last = records

    def succeeded(self) -> None:
        self.failures.clear()
        self.transient_failures = 0
        if self.careful and self.last:
            self._calm += 1
            if self._calm >= CALM_AFTER:
                self.careful, self._calm = False, 0

    async def failed(self, exc: BaseException) -> float:
        """Count a failed batch; dead-letter its record when it is a poison one. The
        seconds to wait before the batch is read again."""
        if is_transient(exc):
            self.transient_failures += 1
            return float(min(2 ** (self.transient_failures - 1), 30))
        signature = f"{type(exc).__name__}: {exc}"[:500]
        self.failures[signature] += 1
        self._calm = 0
        if self.failures[signature] < self.threshold:
            return 0.2
        self.failures.clear()
        if not self.careful or len(self.last) != 1:
            self.careful = True  # next: one record at a time, to find the one at fault
            return 0.0
        await self.dead_letter(self.last[0], signature)
        return 0.0

    async def dead_letter(self, record: ConsumerRecord[bytes, bytes], error: str) -> None:
        if self._producer is None:
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap, enable_idempotence=True
            )
            await self._producer.start()
        topic = dlq_topic(record.topic)
        headers = dead_letter_headers(record, error, self.service)
        await self._producer.send_and_wait(topic, record.value, record.key, headers=headers)
        self.skip.add((record.topic, record.partition, record.offset))
        if self.metric is not None:
            self.metric.labels(self.service, record.topic).inc()
        log.error(
            "dead-lettered %s[%d]@%d to %s: %s",
            record.topic,
            record.partition,
            record.offset,
            topic,
            error,
        )

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
