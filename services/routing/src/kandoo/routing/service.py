"""Routing's use cases: decide a batch of commands and write it exactly once; rebuild a
partition's state from the log; ask for deadline checks; fold one complaint for the CLI.

`Processor` is the single writer of `complaints.events`. For every batch it decides each
command against the complaint's state (`domain.decisions`) and writes, in one Kafka
transaction (`adapters.log_writer`), the events, department feed records, command results
and consumer offsets. Only when that commits do the new states, outcomes and duplicate
index changes become real.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from kandoo.events import commands as c
from kandoo.events.decide import Context, retained_category
from kandoo.events.directory import Directory
from kandoo.events.events import ComplaintEscalated, SlaBreached
from kandoo.events.roster import LiveDirectory
from kandoo.events.state import ComplaintState, evolve
from kandoo.events.topics import Topics
from kandoo.routing.adapters.duplicate_index import DuplicateIndex
from kandoo.routing.adapters.log_reader import read_partition
from kandoo.routing.adapters.log_writer import LogWriter
from kandoo.routing.adapters.timer import DeadlineTimer
from kandoo.routing.classify.evaluate import triage_threshold
from kandoo.routing.domain.classifier import Classifier
from kandoo.routing.domain.decisions import CommandRecord, Decider
from kandoo.routing.domain.partition import Batch, PartitionFold, PartitionState
from kandoo.routing.metrics import RoutingMetrics
from kandoo.routing.settings import RoutingSettings
from kandoo.runtime.roster import RosterFollower

log = logging.getLogger("kandoo.routing")
Clock = Callable[[], datetime]


class Processor:
    def __init__(
        self,
        settings: RoutingSettings,
        directory: Directory,
        classifier: Classifier,
        metrics: RoutingMetrics,
        clock: Clock,
    ) -> None:
        self.settings, self.classifier = settings, classifier
        self.roster = LiveDirectory(directory)
        self.metrics, self.clock = metrics, clock
        measured = getattr(classifier, "triage_below", None)
        self.triage_below = triage_threshold(settings.triage_below, measured)
        self.topics = Topics(settings.topic_prefix)
        self.partitions: dict[int, PartitionState] = {}
        bootstrap = settings.kafka_bootstrap
        self.index = DuplicateIndex(bootstrap, self.topics.events, metrics)
        self.writer = LogWriter(
            bootstrap,
            f"{settings.topic_prefix}routing-{settings.instance_id}",
            settings.group(),
            settings.crash_before_commit,
        )
        self.timer = DeadlineTimer(bootstrap, self.topics.commands, clock)
        self.decider = Decider(self.topics, self.partitions, self._context, self.roster)
        self.roster_follower = RosterFollower(bootstrap, self.topics.directory_events, self.roster)

    @property
    def directory(self) -> Directory:
        """The directory with the roster's appointments and removals applied."""
        return self.roster.directory

    # --- a batch of commands -------------------------------------------------------

    async def process(self, records: list[CommandRecord]) -> bool:
        """Decide and write one batch; False if its transaction aborted (read it again)."""
        batch = Batch()
        now = self.clock()
        for record in records:
            outcome = self.decider.decide(batch, record, now)
            self.metrics.commands.labels(outcome.kind, outcome.outcome).inc()
            if outcome.outcome == "dead_lettered":
                log.warning("dead-lettered an invalid command at offset %s", record.offset)
        started = time.perf_counter()
        if not await self.writer.commit(batch):
            return False
        self.metrics.transaction_seconds.observe(time.perf_counter() - started)
        self._apply(batch)
        return True

    def _context(self, command: c.Command, state: ComplaintState, now: datetime) -> Context:
        s = self.settings
        if not isinstance(command, c.SubmitComplaint) or state.exists:
            return Context(
                self.directory,
                now,
                triage_below=self.triage_below,
                override_reporter_from=s.override_reporter_from,
            )
        guess = self.classifier.predict(command.description, command.language)
        self.metrics.confidence.observe(guess.confidence)
        # The retained category (the reporter's or the classifier's) decides what a duplicate is.
        probe = Context(self.directory, now, override_reporter_from=s.override_reporter_from)
        category, _ = retained_category(command.category, guess, probe)
        loc = command.location
        found = self.index.index.find(category, loc.lat, loc.lon, now, exclude=command.complaint_id)
        return Context(
            self.directory,
            now,
            classification=guess,
            duplicate_of=found[0] if found else None,
            duplicate_distance_m=round(found[1], 1) if found else None,
            triage_below=self.triage_below,
            override_reporter_from=s.override_reporter_from,
        )

    def _apply(self, batch: Batch) -> None:
        """The transaction committed: its states, outcomes and index changes become real."""
        for partition, state in batch.states.values():
            self.partitions.setdefault(partition, PartitionState()).put(state)
        for command_id, (partition, result) in batch.outcomes.items():
            self.partitions.setdefault(partition, PartitionState()).remember(command_id, result)
        self.index.applied_own(batch.envelopes)
        for env in batch.roster_envelopes:
            self.roster.apply(env)
        for env in batch.envelopes:
            self.metrics.event_written(env.type)
            data = env.data
            if isinstance(data, SlaBreached):
                self.metrics.breaches.labels(data.department, data.stage).inc()
            elif isinstance(data, ComplaintEscalated):
                self.metrics.escalations.labels(data.department, str(data.level)).inc()

    # --- state -----------------------------------------------------------------------

    async def rebuild(self, partition: int) -> None:
        """Fold the same-numbered partition of the events topic into complaint states."""
        started = time.perf_counter()
        fold = PartitionFold()
        bootstrap = self.settings.kafka_bootstrap
        async for env in read_partition(bootstrap, self.topics.events, partition):
            fold.add(env)
        part = self.partitions[partition] = fold.done()
        self.metrics.rebuild_seconds.observe(time.perf_counter() - started)
        log.info("partition %s rebuilt: %s complaints", partition, len(part.states))

    def forget(self, partition: int) -> None:
        self.partitions.pop(partition, None)

    async def check_deadlines(self) -> int:
        """Issue `CheckDeadlines` for every owned complaint with a deadline passed."""
        return await self.timer.check(self.partitions.values())

    async def state_of(self, complaint_id: str) -> ComplaintState:
        """Fold one complaint's events from the whole log (any partition)."""
        state = ComplaintState(complaint_id)
        for partition in range(self.settings.partitions):
            bootstrap = self.settings.kafka_bootstrap
            async for env in read_partition(bootstrap, self.topics.events, partition):
                if env.subject == complaint_id:
                    state = evolve(state, env)
        return state
