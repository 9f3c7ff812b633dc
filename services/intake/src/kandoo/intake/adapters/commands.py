"""Commands out to routing, answers back: publish, then wait briefly for the result.

Each intake instance reads `complaints.command-results` with a consumer of its own (no
group), so every instance sees every answer and wakes the request that waits for it.
Waiting requests are bounded: beyond `max_pending`, callers get 202 at once.

This is the hot path of every request, so it talks to aiokafka directly: FastStream's
per-message publish and subscriber layers were a tenth of intake's CPU at 500 requests/s
(docs/decisions/0008).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import ValidationError

from kandoo.events.commands import CommandBase
from kandoo.events.records import CommandAccepted, CommandRefused, CommandResult
from kandoo.events.topics import Topics
from kandoo.intake.metrics import IntakeMetrics
from kandoo.runtime.kafka_io import FIND_NEW_TOPICS_MS, wait_for_assignment

REMEMBERED_RESULTS = 50_000
Result = CommandAccepted | CommandRefused
log = logging.getLogger(__name__)


class KafkaUnavailable(Exception):
    """Kafka did not acknowledge the command: the caller must not be told it was accepted."""


class CommandBus:
    def __init__(
        self,
        bootstrap: str,
        topics: Topics,
        metrics: IntakeMetrics,
        max_pending: int,
        send_timeout_s: float = 4.0,
    ) -> None:
        self._topics, self._metrics, self._max_pending = topics, metrics, max_pending
        self.send_timeout_s = send_timeout_s
        """How long the broker may take to acknowledge a command before the caller is told
        503: without it a stopped broker held each request for aiokafka's 40 s."""
        self._bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None  # made in start(): they need the loop
        self._consumer: AIOKafkaConsumer | None = None
        self._waiting: dict[str, asyncio.Future[Result]] = {}
        self._seen: OrderedDict[str, Result] = OrderedDict()
        self._listener: asyncio.Task[None] | None = None
        self.on_owners: Callable[[dict[str, str]], Awaitable[None]] | None = None
        """Told, after each batch of answers, which department each complaint is with now
        (who may see its photos)."""
        self.listening = asyncio.Event()
        """Set once the consumer holds its partitions: answers from then on reach us."""

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap, enable_idempotence=True
        )
        # read_committed: an answer written in a transaction that then aborted is never shown.
        self._consumer = AIOKafkaConsumer(
            self._topics.command_results,
            bootstrap_servers=self._bootstrap,
            group_id=None,
            auto_offset_reset="latest",
            isolation_level="read_committed",
            metadata_max_age_ms=FIND_NEW_TOPICS_MS,
        )
        await self._producer.start()
        await self._consumer.start()
        self._listener = asyncio.create_task(self._listen(), name="intake-command-results")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        self.listening.clear()
        consumer, producer, self._consumer, self._producer = (
            self._consumer,
            self._producer,
            None,
            None,
        )
        if consumer is not None:
            await consumer.stop()
        if producer is not None:
            await producer.stop()

    def _started(self) -> tuple[AIOKafkaProducer, AIOKafkaConsumer]:
        if self._producer is None or self._consumer is None:
            raise KafkaUnavailable("the command bus is not started")
        return self._producer, self._consumer

    async def ping(self, timeout_s: float = 2.0) -> None:
        """Raise unless the broker answers a metadata request within `timeout_s`."""
        producer, _ = self._started()
        ok = await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout_s)
        if not ok.brokers():
            raise KafkaUnavailable("no broker in the metadata")

    async def _listen(self) -> None:
        _, consumer = self._started()
        while True:
            try:
                for tp in await wait_for_assignment(consumer, wait_s=3600):
                    await consumer.position(tp)  # "latest" pinned before we say so
                self.listening.set()
                while True:
                    batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
                    results = [
                        result
                        for records in batch.values()
                        for record in records
                        if (result := self._read(record.value)) is not None
                    ]
                    owners = {
                        r.complaint_id: r.department
                        for r in results
                        if isinstance(r, CommandAccepted) and r.department
                    }
                    if owners and self.on_owners is not None:
                        # before anyone is answered: a photo asked for at once is allowed
                        try:
                            await self.on_owners(owners)
                        except Exception:  # the answers matter more than the photo rule
                            log.exception("recording which department has which complaint")
                    for result in results:
                        self.deliver(result)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading command results failed; again in a second")
                await asyncio.sleep(1)

    def _read(self, value: bytes) -> Result | None:
        try:
            result = CommandResult.model_validate_json(value).root
        except ValidationError as exc:
            log.error("not a command result, skipped: %s", exc.errors()[:2])
            return None
        return result

    def deliver(self, result: Result) -> None:
        """An answer from routing: remember it and wake whoever waits for it."""
        command_id = result.command_id
        self._seen[command_id] = result
        if len(self._seen) > REMEMBERED_RESULTS:
            self._seen.popitem(last=False)
        waiter = self._waiting.pop(command_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(result)

    def known(self, command_id: str) -> Result | None:
        """The answer for a command, if this instance saw it (for GET /v1/commands/{id})."""
        return self._seen.get(command_id)

    async def publish_raw(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        """One record, acknowledged by the broker (LINE's webhook events; tests use it to
        probe the listener); KafkaUnavailable if the broker does not take it."""
        producer, _ = self._started()
        try:
            sent = asyncio.wait_for(producer.send(topic, value=value, key=key), self.send_timeout_s)
            await asyncio.wait_for(await sent, self.send_timeout_s)
        except Exception as exc:
            raise KafkaUnavailable(str(exc)) from exc

    async def _publish(self, producer: AIOKafkaProducer, command: CommandBase, kind: str) -> None:
        delivered = await producer.send(
            self._topics.commands,
            value=command.model_dump_json().encode(),
            key=command.complaint_id.encode(),
            headers=[("ce_type", kind.encode())],
        )
        await delivered

    async def send(self, command: CommandBase, wait_s: float) -> Result | None:
        """Publish `command` and wait up to `wait_s` for its result; None if unknown yet."""
        waiter: asyncio.Future[Result] | None = None
        if len(self._waiting) < self._max_pending:
            waiter = self._waiting.setdefault(
                command.command_id, asyncio.get_running_loop().create_future()
            )
        kind = type(command).__name__
        try:
            producer, _ = self._started()
            await asyncio.wait_for(self._publish(producer, command, kind), self.send_timeout_s)
        except Exception as exc:
            self._waiting.pop(command.command_id, None)
            raise KafkaUnavailable(str(exc)) from exc
        self._metrics.commands.labels(kind).inc()
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
