"""The command processor: the single writer of `complaints.events`, exactly once.

For every batch of commands it decides each one against the complaint's state and writes,
in ONE Kafka transaction: the events (to the partition with the command's number), the
department feed records, the command results and the consumer offsets. A crash anywhere
before the commit leaves nothing visible to `read_committed` readers, and the commands are
read again. The transactional id is stable per instance, so a restarted instance fences
its zombie.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, ProducerFenced, TopicAlreadyExistsError
from pydantic import ValidationError

from kandoo.events import commands as c
from kandoo.events.decide import Context, retained_category
from kandoo.events.directory import Directory
from kandoo.events.envelope import Envelope, dumps, from_record, to_record
from kandoo.events.events import ComplaintEscalated, SlaBreached
from kandoo.events.lifecycle import handle
from kandoo.events.refusals import Refusal
from kandoo.events.state import ComplaintState, evolve
from kandoo.events.topics import Topics
from kandoo.events.values import Actor, Role
from kandoo.routing.domain.classifier import Classifier
from kandoo.routing.domain.deadlines import check_command_id, next_due
from kandoo.routing.domain.duplicates import SpatialIndex
from kandoo.routing.domain.feed import departments_concerned, feed_view
from kandoo.routing.metrics import RoutingMetrics
from kandoo.routing.settings import RoutingSettings
from kandoo.runtime.kafka_io import behind, wait_for_assignment

log = logging.getLogger("kandoo.routing")
Clock = Callable[[], datetime]
MAX_REMEMBERED_OUTCOMES = 100_000
SYSTEM_ACTOR = Actor(id="kandoo-routing", role=Role.SYSTEM)


@dataclass
class PartitionState:
    """The complaints of one partition, and the outcomes of commands already applied."""

    states: dict[str, ComplaintState] = field(default_factory=dict)
    outcomes: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    due: dict[str, datetime] = field(default_factory=dict)
    """When each complaint with a deadline ahead (or passed) next needs the timer: the timer
    looks at these, not at every complaint ever seen."""

    def put(self, state: ComplaintState) -> None:
        self.states[state.complaint_id] = state
        self.index_due(state)

    def index_due(self, state: ComplaintState) -> None:
        when = next_due(state)
        if when is None:
            self.due.pop(state.complaint_id, None)
        else:
            self.due[state.complaint_id] = when

    def remember(self, command_id: str, result: dict[str, Any]) -> None:
        self.outcomes[command_id] = result
        if len(self.outcomes) > MAX_REMEMBERED_OUTCOMES:
            self.outcomes.popitem(last=False)


def accepted_result(command_id: str, envs: list[Envelope], state: ComplaintState) -> dict[str, Any]:
    return {
        "command_id": command_id,
        "complaint_id": state.complaint_id,
        "outcome": "accepted",
        "events": [{"type": e.type, "sequence": e.sequence, "id": e.id} for e in envs],
        "status": state.status.value if state.status else None,
        "department": state.department,
        "tracking_code": state.tracking_code,
        "duplicate_of": state.duplicate_of,
    }


def refused_result(command: c.CommandBase, refusal: Refusal) -> dict[str, Any]:
    return {
        "command_id": command.command_id,
        "complaint_id": command.complaint_id,
        "outcome": "refused",
        "code": refusal.code,
        "http_status": refusal.http_status,
        "message_th": refusal.message_th,
        "message_en": refusal.message_en,
    }


@dataclass
class Batch:
    """What one transaction will write, and the state it leaves if it commits."""

    sends: list[tuple[str, bytes, bytes, int | None, list[tuple[str, bytes]]]] = field(
        default_factory=list
    )
    states: dict[str, tuple[int, ComplaintState]] = field(default_factory=dict)
    outcomes: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    envelopes: list[Envelope] = field(default_factory=list)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)


class Processor:
    def __init__(
        self,
        settings: RoutingSettings,
        directory: Directory,
        classifier: Classifier,
        metrics: RoutingMetrics,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.classifier = classifier
        self.metrics = metrics
        self.clock = clock
        self.topics = Topics(settings.topic_prefix)
        self.partitions: dict[int, PartitionState] = {}
        self.index = SpatialIndex()
        self._index_versions: dict[str, int] = {}
        self._own_event_ids: set[str] = set()
        self._rebuilding = 0
        self._index_ready = False
        self._started = False
        self._tasks: list[asyncio.Task[None]] = []
        self._producer: AIOKafkaProducer | None = None
        self._timer_producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._index_consumer: AIOKafkaConsumer | None = None
        self.failed: BaseException | None = None
        self.dead = asyncio.Event()
        self._positions: dict[TopicPartition, int] = {}

    # --- lifecycle of the processor -------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._started and self._index_ready and self._rebuilding == 0

    async def start(self) -> None:
        bootstrap = self.settings.kafka_bootstrap
        await self.ensure_topics()
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            transactional_id=f"{self.settings.topic_prefix}routing-{self.settings.instance_id}",
            enable_idempotence=True,
            linger_ms=2,
            max_batch_size=256 * 1024,
        )
        await self._producer.start()
        self._timer_producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True
        )
        await self._timer_producer.start()
        await self._load_index()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=self.settings.topic_prefix + self.settings.group_id,
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.settings.max_batch,
        )
        self._consumer.subscribe([self.topics.commands], listener=_Rebalance(self))
        await self._consumer.start()
        self._started = True
        self._tasks = [
            asyncio.create_task(self._guard(self._consume_loop()), name="routing-consume"),
            asyncio.create_task(self._guard(self._follow_index()), name="routing-index"),
            asyncio.create_task(self._guard(self._timer_loop()), name="routing-timer"),
        ]

    async def _guard(self, work: Awaitable[None]) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            log.exception("routing stopped on an unrecoverable error")
            self.failed = exc
            self.dead.set()
            raise

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        for client in (self._consumer, self._index_consumer):
            if client is not None:
                await client.stop()
        for producer in (self._producer, self._timer_producer):
            if producer is not None:
                with contextlib.suppress(KafkaError):
                    await producer.stop()

    async def ensure_topics(self) -> None:
        """Create whatever topic of ours is missing (department feeds come and go)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            departments = [d.code for d in self.directory.departments]
            missing = [
                NewTopic(s.name, s.partitions, 1, topic_configs=s.config())
                for s in self.topics.specs(departments, self.settings.partitions)
                if s.name not in existing
            ]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
        finally:
            await admin.close()

    # --- state -------------------------------------------------------------------------

    async def rebuild(self, partition: int) -> None:
        """Fold the same-numbered partition of the events topic into complaint states."""
        started = time.perf_counter()
        part = PartitionState()
        current: tuple[str, str] | None = None  # (causation id, complaint id)
        group: list[Envelope] = []

        def close_group() -> None:
            if current is not None:
                part.remember(
                    current[0], accepted_result(current[0], group, part.states[current[1]])
                )

        async for env in self._read_partition(partition):
            if current != (env.causationid, env.subject):
                close_group()
                current, group = (env.causationid, env.subject), []
            state = part.states.get(env.subject) or ComplaintState(env.subject)
            part.states[env.subject] = evolve(state, env)
            group.append(env)
        close_group()
        for state in part.states.values():
            part.index_due(state)
        self.partitions[partition] = part
        self.metrics.rebuild_seconds.observe(time.perf_counter() - started)
        log.info("partition %s rebuilt: %s complaints", partition, len(part.states))

    async def _read_partition(self, partition: int) -> Any:
        tp = TopicPartition(self.topics.events, partition)
        reader = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
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

    def _index_apply(self, env: Envelope) -> None:
        if self._index_versions.get(env.subject, 0) >= env.sequence:
            return
        self._index_versions[env.subject] = env.sequence
        self.index.apply(env)

    async def _load_index(self) -> None:
        """Read the whole events topic once, so duplicates are seen across partitions."""
        consumer = AIOKafkaConsumer(
            self.topics.events,
            bootstrap_servers=self.settings.kafka_bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        self._index_consumer = consumer
        tps = await wait_for_assignment(consumer)
        ends = await consumer.end_offsets(tps)
        while await behind(consumer, ends):
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batch.values():
                for record in records:
                    self._index_apply(from_record(record.value))
        self._index_ready = True
        self.metrics.open_complaints.set(len(self.index))

    async def _follow_index(self) -> None:
        assert self._index_consumer is not None
        while True:
            batch = await self._index_consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batch.values():
                for record in records:
                    if self._index_wants(record.headers):
                        self._index_apply(from_record(record.value))
            self.metrics.open_complaints.set(len(self.index))

    def follow_partitions(self, partitions: list[int], follow: bool) -> None:
        """Pause the index reader on the partitions this instance writes; resume on others."""
        consumer = self._index_consumer
        if consumer is None:
            return
        tps = [TopicPartition(self.topics.events, p) for p in partitions]
        tps = [tp for tp in tps if tp in consumer.assignment()]
        if follow:
            consumer.resume(*tps)
        else:
            consumer.pause(*tps)

    def _index_wants(self, headers: Any) -> bool:
        """Skip, unparsed, our own events (applied at commit) and types the index ignores."""
        found = dict(headers or ())
        event_id = found.get("ce_id", b"").decode()
        if event_id in self._own_event_ids:
            self._own_event_ids.discard(event_id)
            return False
        return found.get("ce_type", b"").decode() in SpatialIndex.EVENT_TYPES

    # --- commands ----------------------------------------------------------------------

    async def _consume_loop(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(
                timeout_ms=200, max_records=self.settings.max_batch
            )
            if batch and self.settings.batch_linger_ms:
                # A few milliseconds more gather what is arriving into the same transaction:
                # under load, fewer and larger transactions cost the broker and us far less.
                await asyncio.sleep(self.settings.batch_linger_ms / 1000)
                room = self.settings.max_batch - sum(len(r) for r in batch.values())
                more = await self._consumer.getmany(timeout_ms=0, max_records=max(room, 1))
                for tp, records in more.items():
                    batch[tp] = batch.get(tp, []) + records
            if batch:
                await self._process(batch)
            self._report_lag()

    def _report_lag(self) -> None:
        assert self._consumer is not None
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            done = self._positions.get(tp)
            if high is not None and done is not None:
                self.metrics.lag.labels(str(tp.partition)).set(max(high - done, 0))

    async def _process(self, records: dict[TopicPartition, list[Any]]) -> None:
        batch = Batch()
        now = self.clock()
        for tp, items in records.items():
            for record in items:
                batch.offsets[tp] = record.offset + 1
                self._decide_record(batch, tp.partition, record, now)
        await self._commit(batch, records)

    def _decide_record(self, batch: Batch, partition: int, record: Any, now: datetime) -> None:
        part = self.partitions.setdefault(partition, PartitionState())
        try:
            command = c.COMMAND_ADAPTER.validate_json(record.value)
        except ValidationError as exc:
            self._dead_letter(batch, record, f"invalid command: {exc.errors()[:3]}")
            return
        known = batch.outcomes.get(command.command_id) or (
            (partition, part.outcomes[command.command_id])
            if command.command_id in part.outcomes
            else None
        )
        if known is not None:  # a retry: the same answer again, no new event
            self._send_result(batch, known[1])
            self.metrics.commands.labels(command.kind, "repeated").inc()
            return
        cid = command.complaint_id
        staged = batch.states.get(cid)
        state = staged[1] if staged else part.states.get(cid) or ComplaintState(cid)
        outcome = handle(command, state, self._context(command, state, now))
        if isinstance(outcome, Refusal):
            result = refused_result(command, outcome)
            self.metrics.commands.labels(command.kind, "refused").inc()
        else:
            envs, after = outcome
            batch.states[cid] = (partition, after)
            batch.envelopes += envs
            for env in envs:
                rec = to_record(env)
                batch.sends.append(
                    (self.topics.events, rec.key, rec.value, partition, list(rec.headers))
                )
            for department in departments_concerned(state, after, envs):
                view = dumps(feed_view(after, envs[-1]))
                batch.sends.append((self.topics.routed(department), cid.encode(), view, None, []))
            result = accepted_result(command.command_id, envs, after)
            self.metrics.commands.labels(command.kind, "accepted").inc()
        batch.outcomes[command.command_id] = (partition, result)
        self._send_result(batch, result)

    def _send_result(self, batch: Batch, result: dict[str, Any]) -> None:
        batch.sends.append(
            (self.topics.command_results, result["command_id"].encode(), dumps(result), None, [])
        )

    def _dead_letter(self, batch: Batch, record: Any, reason: str) -> None:
        log.warning("dead-lettering a command at offset %s: %s", record.offset, reason)
        headers = [
            ("error", reason[:1000].encode()),
            ("source_offset", str(record.offset).encode()),
        ]
        dlq = self.topics.dlq(self.topics.commands)
        batch.sends.append((dlq, record.key or b"", record.value or b"", None, headers))
        self.metrics.commands.labels("invalid", "dead_lettered").inc()

    def _context(self, command: c.Command, state: ComplaintState, now: datetime) -> Context:
        settings = self.settings
        if not isinstance(command, c.SubmitComplaint) or state.exists:
            return Context(
                self.directory,
                now,
                triage_below=settings.triage_below,
                override_reporter_from=settings.override_reporter_from,
            )
        guess = self.classifier.predict(command.description, command.language)
        self.metrics.confidence.observe(guess.confidence)
        # The retained category (the reporter's or the classifier's) decides what a duplicate is.
        probe = Context(self.directory, now, override_reporter_from=settings.override_reporter_from)
        category, _ = retained_category(command.category, guess, probe)
        loc = command.location
        found = self.index.find(category, loc.lat, loc.lon, now, exclude=command.complaint_id)
        return Context(
            self.directory,
            now,
            classification=guess,
            duplicate_of=found[0] if found else None,
            duplicate_distance_m=round(found[1], 1) if found else None,
            triage_below=settings.triage_below,
            override_reporter_from=settings.override_reporter_from,
        )

    async def _commit(self, batch: Batch, records: dict[TopicPartition, list[Any]]) -> None:
        assert self._producer is not None
        started = time.perf_counter()
        try:
            async with self._producer.transaction():
                futures = [
                    await self._producer.send(
                        topic, value=value, key=key, partition=part, headers=headers
                    )
                    for topic, key, value, part, headers in batch.sends
                ]
                await asyncio.gather(*futures)
                if self.settings.crash_before_commit:
                    log.warning("test hook: killing myself after producing, before committing")
                    os.kill(os.getpid(), signal.SIGKILL)
                offsets = dict(batch.offsets)
                await self._producer.send_offsets_to_transaction(
                    offsets, self.settings.topic_prefix + self.settings.group_id
                )
        except ProducerFenced:
            log.critical("another routing instance with our transactional id took over: stopping")
            raise
        except KafkaError:
            log.exception("transaction aborted; the batch will be read again")
            await self._rewind(records)
            await asyncio.sleep(1)
            return
        self.metrics.transaction_seconds.observe(time.perf_counter() - started)
        self._positions.update(batch.offsets)
        self._apply(batch)

    async def _rewind(self, records: dict[TopicPartition, list[Any]]) -> None:
        assert self._consumer is not None
        for tp, items in records.items():
            if items:
                self._consumer.seek(tp, items[0].offset)

    def _apply(self, batch: Batch) -> None:
        """The transaction committed: its states, outcomes and index changes become real."""
        for partition, state in batch.states.values():
            self.partitions.setdefault(partition, PartitionState()).put(state)
        for command_id, (partition, result) in batch.outcomes.items():
            self.partitions.setdefault(partition, PartitionState()).remember(command_id, result)
        if len(self._own_event_ids) > MAX_REMEMBERED_OUTCOMES:
            self._own_event_ids.clear()  # only a shortcut: the version guard stays exact
        for env in batch.envelopes:
            self._index_apply(env)
            self._own_event_ids.add(env.id)
            self.metrics.event_written(env.type)
            data = env.data
            if isinstance(data, SlaBreached):
                self.metrics.breaches.labels(data.department, data.stage).inc()
            elif isinstance(data, ComplaintEscalated):
                self.metrics.escalations.labels(data.department, str(data.level)).inc()

    # --- deadlines ---------------------------------------------------------------------

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.deadline_period_s)
            await self.check_deadlines()

    async def check_deadlines(self) -> int:
        """Issue `CheckDeadlines` for every owned complaint with a deadline passed."""
        assert self._timer_producer is not None
        now = self.clock()
        sent = 0
        for part in list(self.partitions.values()):
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
                await self._timer_producer.send(
                    self.topics.commands,
                    key=state.complaint_id.encode(),
                    value=command.model_dump_json().encode(),
                    headers=[("ce_type", b"CheckDeadlines")],
                )
                sent += 1
        await self._timer_producer.flush()
        return sent

    # --- a complaint's state from the log, for the CLI ---------------------------------

    async def state_of(self, complaint_id: str) -> ComplaintState:
        """Fold one complaint's events from the whole log (any partition)."""
        state = ComplaintState(complaint_id)
        for partition in range(self.settings.partitions):
            async for env in self._read_partition(partition):
                if env.subject == complaint_id:
                    state = evolve(state, env)
        return state


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, processor: Processor) -> None:
        self.processor = processor

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        for tp in revoked:
            self.processor.partitions.pop(tp.partition, None)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.processor._rebuilding += 1
        try:
            await asyncio.gather(*(self.processor.rebuild(tp.partition) for tp in assigned))
        finally:
            self.processor._rebuilding -= 1
