"""The deadline timer: a `CheckDeadlines` command for every owned complaint whose next
deadline has passed. It only asks; the lifecycle decides what a passed deadline means,
and the command's id is deterministic, so a timer firing twice makes one command."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime

from aiokafka import AIOKafkaProducer

from kandoo.events import commands as c
from kandoo.events.values import Actor, Role
from kandoo.routing.domain.deadlines import check_command_id
from kandoo.routing.domain.partition import PartitionState

SYSTEM_ACTOR = Actor(id="kandoo-routing", role=Role.SYSTEM)


class DeadlineTimer:
    def __init__(self, bootstrap: str, topic: str, clock: Callable[[], datetime]) -> None:
        self.bootstrap, self.topic, self.clock = bootstrap, topic, clock
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True)
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def check(self, partitions: Iterable[PartitionState]) -> int:
        """Issue `CheckDeadlines` for every complaint of `partitions` with a deadline passed."""
        assert self._producer is not None
        now = self.clock()
        sent = 0
        for part in list(partitions):
            for n, (cid, due) in enumerate(list(part.due.items())):
                if n % 1000 == 999:
                    await asyncio.sleep(0)  # commands keep flowing during a long sweep
                state = part.states.get(cid)
                if state is None or now <= due:
                    continue
                command = c.CheckDeadlines(
                    command_id=check_command_id(state, due),
                    complaint_id=state.complaint_id,
                    actor=SYSTEM_ACTOR,
                )
                await self._producer.send(
                    self.topic,
                    key=state.complaint_id.encode(),
                    value=command.model_dump_json().encode(),
                    headers=[("ce_type", b"CheckDeadlines")],
                )
                sent += 1
        await self._producer.flush()
        return sent
