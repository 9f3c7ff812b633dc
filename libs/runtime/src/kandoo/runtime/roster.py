"""Following the roster (`directory.events`): read from its beginning at start, then every
new appointment or removal as it is committed, applied to a `LiveDirectory`.

Routing (escalation) and reporting (department health) each hold one; the topic has one
partition and few records, so every instance reads all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from kandoo.events.envelope import from_record
from kandoo.events.roster import LiveDirectory

log = logging.getLogger("kandoo.roster")


class RosterFollower:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        live: LiveDirectory,
    ) -> None:
        self.bootstrap, self.live = bootstrap, live
        self.tp = TopicPartition(topic, 0)
        self.loaded = False
        self._consumer: AIOKafkaConsumer | None = None

    async def load(self, wait_s: float = 10.0) -> None:
        """Read the roster to its current end (an absent topic is an empty roster)."""
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
            metadata_max_age_ms=5_000,
        )
        await self._consumer.start()
        self._consumer.assign([self.tp])
        try:
            await self._consumer.seek_to_beginning(self.tp)
            end = (await asyncio.wait_for(self._consumer.end_offsets([self.tp]), wait_s))[self.tp]
            while await self._consumer.position(self.tp) < end:
                await self._read(500)
        except (KafkaError, TimeoutError):
            log.warning(
                "the roster topic %s is not readable yet: the YAML's roster for now", self.tp
            )
        self.loaded = True

    async def follow(self) -> None:
        """Apply new roster events until cancelled."""
        assert self._consumer is not None
        while True:
            try:
                await self._read(1000)
            except KafkaError:
                log.exception("reading the roster failed; again in a second")
                await asyncio.sleep(1)

    async def _read(self, timeout_ms: int) -> None:
        assert self._consumer is not None
        batch = await self._consumer.getmany(self.tp, timeout_ms=timeout_ms, max_records=1000)
        for record in batch.get(self.tp, []):
            self.live.apply(from_record(record.value))

    async def stop(self) -> None:
        if self._consumer is not None:
            with contextlib.suppress(KafkaError):
                await self._consumer.stop()
