"""The transactional writer: one batch's events, feed records, command results and the
consumer's offsets in ONE Kafka transaction, so `read_committed` readers see all or none.

The transactional id is stable per instance, so a restarted instance fences its zombie.
A crash anywhere before the commit leaves nothing visible, and the commands are read again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError, ProducerFenced

from kandoo.routing.domain.partition import Batch

log = logging.getLogger("kandoo.routing")


class LogWriter:
    def __init__(
        self, bootstrap: str, transactional_id: str, group: str, crash_before_commit: bool = False
    ) -> None:
        self.bootstrap, self.transactional_id, self.group = bootstrap, transactional_id, group
        self.crash_before_commit = crash_before_commit
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            transactional_id=self.transactional_id,
            enable_idempotence=True,
            linger_ms=2,
            max_batch_size=256 * 1024,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(KafkaError):
                await self._producer.stop()

    async def commit(self, batch: Batch) -> bool:
        """Write the batch in one transaction; False if it was aborted (read it again).
        ProducerFenced (another instance took our id) is raised: this one must stop."""
        assert self._producer is not None
        try:
            async with self._producer.transaction():
                futures = [
                    await self._producer.send(
                        topic, value=value, key=key, partition=part, headers=headers
                    )
                    for topic, key, value, part, headers in batch.sends
                ]
                await asyncio.gather(*futures)
                if self.crash_before_commit:
                    log.warning("test hook: killing myself after producing, before committing")
                    os.kill(os.getpid(), signal.SIGKILL)
                offsets = {TopicPartition(t, p): o for (t, p), o in batch.offsets.items()}
                await self._producer.send_offsets_to_transaction(offsets, self.group)
        except ProducerFenced:
            log.critical("another routing instance with our transactional id took over: stopping")
            raise
        except KafkaError:
            log.exception("transaction aborted; the batch will be read again")
            return False
        return True
