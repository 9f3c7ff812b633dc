"""Commands out to routing, answers back: publish, then wait briefly for the result.

Each intake instance reads `complaints.command-results` with a consumer of its own (no
group), so every instance sees every answer and wakes the request that waits for it.
Waiting requests are bounded: beyond `max_pending`, callers get 202 at once.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from faststream.kafka import KafkaBroker

from kandoo.events.commands import CommandBase
from kandoo.events.topics import Topics
from kandoo.intake.metrics import IntakeMetrics

REMEMBERED_RESULTS = 50_000


class KafkaUnavailable(Exception):
    """Kafka did not acknowledge the command: the caller must not be told it was accepted."""


class CommandBus:
    def __init__(
        self, broker: KafkaBroker, topics: Topics, metrics: IntakeMetrics, max_pending: int
    ) -> None:
        self._broker, self._topics, self._metrics = broker, topics, metrics
        self._max_pending = max_pending
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._seen: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.listening = asyncio.Event()

        # read_committed: an answer written in a transaction that then aborted is never shown.
        @broker.subscriber(
            topics.command_results, auto_offset_reset="latest", isolation_level="read_committed"
        )
        async def on_result(result: dict[str, Any]) -> None:
            self.deliver(result)

    def deliver(self, result: dict[str, Any]) -> None:
        """An answer from routing: remember it and wake whoever waits for it."""
        command_id = str(result.get("command_id", ""))
        self._seen[command_id] = result
        if len(self._seen) > REMEMBERED_RESULTS:
            self._seen.popitem(last=False)
        waiter = self._waiting.pop(command_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(result)

    def known(self, command_id: str) -> dict[str, Any] | None:
        """The answer for a command, if this instance saw it (for GET /v1/commands/{id})."""
        return self._seen.get(command_id)

    async def send(self, command: CommandBase, wait_s: float) -> dict[str, Any] | None:
        """Publish `command` and wait up to `wait_s` for its result; None if unknown yet."""
        waiter: asyncio.Future[dict[str, Any]] | None = None
        if len(self._waiting) < self._max_pending:
            waiter = self._waiting.setdefault(
                command.command_id, asyncio.get_running_loop().create_future()
            )
        try:
            await self._broker.publish(
                command.model_dump_json().encode(),
                self._topics.commands,
                key=command.complaint_id.encode(),
                headers={"ce_type": type(command).__name__},
            )
        except Exception as exc:
            self._waiting.pop(command.command_id, None)
            raise KafkaUnavailable(str(exc)) from exc
        self._metrics.commands.labels(type(command).__name__).inc()
        if (seen := self._seen.get(command.command_id)) is not None:
            return seen
        if waiter is None:
            self._metrics.waits.labels("no_room").inc()
            return None
        try:
            result = await asyncio.wait_for(asyncio.shield(waiter), wait_s)
        except TimeoutError:
            self._metrics.waits.labels("timed_out").inc()
            return None
        finally:
            if self._waiting.get(command.command_id) is waiter:
                self._waiting.pop(command.command_id, None)
        self._metrics.waits.labels("answered").inc()
        return result
