"""Deciding a batch of commands: pure, given each partition's state and a way to build
the lifecycle's context (classification and duplicate search happen there).

A command is decided against the complaint's state as the batch has left it so far; its
events, the department feed records and its result are staged in a `Batch`, which becomes
real only when its transaction commits. A command already answered gets the same answer
again; an unreadable one is staged for the dead-letter topic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from kandoo.events import commands as c
from kandoo.events.decide import Context
from kandoo.events.envelope import dumps, to_record
from kandoo.events.lifecycle import handle
from kandoo.events.records import CommandAccepted, EventRef
from kandoo.events.refusals import Refusal
from kandoo.events.roster import (
    ROSTER_SUBJECT,
    LiveDirectory,
    RosterCommand,
    decide_roster,
    roster_envelope,
)
from kandoo.events.state import ComplaintState
from kandoo.events.topics import Topics
from kandoo.routing.domain.feed import departments_concerned, feed_view
from kandoo.routing.domain.partition import (
    Batch,
    PartitionState,
    Result,
    accepted_result,
    refused_result,
)
from kandoo.runtime.observe import correlation
from kandoo.runtime.poison import dead_letter_headers

ContextFor = Callable[[c.Command, ComplaintState, datetime], Context]


@dataclass(frozen=True)
class CommandRecord:
    """A command as read from `complaints.commands`."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


MAX_EVENT_BYTES = 256 * 1024
"""An event larger than this is not written (the broker takes 1 MB a record, and a
transaction of several): its command is dead-lettered instead of failing the batch."""


@dataclass(frozen=True)
class Outcome:
    """What became of one command record: its kind and 'accepted', 'refused', 'repeated'
    or 'dead_lettered' (for the metrics)."""

    kind: str
    outcome: str


class Decider:
    def __init__(
        self,
        topics: Topics,
        partitions: dict[int, PartitionState],
        context_for: ContextFor,
        roster: LiveDirectory,
    ):
        self.topics, self.partitions, self.context_for = topics, partitions, context_for
        self.roster = roster

    def decide(self, batch: Batch, record: CommandRecord, now: datetime) -> Outcome:
        batch.offsets[(record.topic, record.partition)] = record.offset + 1
        part = self.partitions.setdefault(record.partition, PartitionState())
        try:
            command = c.COMMAND_ADAPTER.validate_json(record.value)
        except ValidationError as exc:
            self._dead_letter(batch, record, f"invalid command: {exc.errors()[:3]}")
            return Outcome("invalid", "dead_lettered")
        correlation.set(command.correlation_id or command.command_id)  # for the logs
        known = batch.outcomes.get(command.command_id)
        if known is None and command.command_id in part.outcomes:
            known = (record.partition, part.outcomes[command.command_id])
        if known is not None:  # a retry: the same answer again, no new event
            self._send_result(batch, known[1])
            return Outcome(command.kind, "repeated")
        if isinstance(command, c.AppointDepartmentAdmin | c.RemoveDepartmentAdmin):
            return self._roster(batch, record, command, now)
        cid = command.complaint_id
        staged = batch.states.get(cid)
        state = staged[1] if staged else part.states.get(cid) or ComplaintState(cid)
        try:
            outcome = handle(command, state, self.context_for(command, state, now))
            records = [] if isinstance(outcome, Refusal) else [to_record(e) for e in outcome[0]]
        except Exception as exc:  # a value the lifecycle cannot handle: never retried for ever
            self._dead_letter(batch, record, f"cannot decide: {type(exc).__name__}: {exc}")
            return Outcome(command.kind, "dead_lettered")
        too_big = [r for r in records if len(r.value) > MAX_EVENT_BYTES]
        if too_big:
            size = len(too_big[0].value)
            self._dead_letter(batch, record, f"an event of {size} bytes (limit {MAX_EVENT_BYTES})")
            return Outcome(command.kind, "dead_lettered")
        result: Result
        if isinstance(outcome, Refusal):
            result = refused_result(command.command_id, cid, outcome)
        else:
            envs, after = outcome
            batch.states[cid] = (record.partition, after)
            batch.envelopes += envs
            for rec in records:
                batch.sends.append(
                    (self.topics.events, rec.key, rec.value, record.partition, list(rec.headers))
                )
            for department in departments_concerned(state, after, envs):
                view = dumps(feed_view(after, envs[-1]))
                batch.sends.append((self.topics.routed(department), cid.encode(), view, None, []))
            result = accepted_result(command.command_id, envs, after)
        batch.outcomes[command.command_id] = (record.partition, result)
        self._send_result(batch, result)
        return Outcome(command.kind, result.outcome)

    def _roster(
        self, batch: Batch, record: CommandRecord, command: RosterCommand, now: datetime
    ) -> Outcome:
        """A roster command: decided on the live directory as this batch leaves it, its
        event written to `directory.events` in the same transaction."""
        live = batch.roster or LiveDirectory(self.roster.directory, self.roster.sequence)
        decision = decide_roster(command, live.directory)
        result: Result
        if isinstance(decision, Refusal):
            result = refused_result(command.command_id, ROSTER_SUBJECT, decision)
        else:
            env = roster_envelope(decision, command, live.sequence + 1, now)
            live.apply(env)
            batch.roster = live
            batch.roster_envelopes.append(env)
            rec = to_record(env)
            batch.sends.append(
                (self.topics.directory_events, rec.key, rec.value, 0, list(rec.headers))
            )
            result = CommandAccepted(
                command_id=command.command_id,
                complaint_id=ROSTER_SUBJECT,
                outcome="accepted",
                events=[EventRef(type=env.type, sequence=env.sequence, id=env.id)],
                status=None,
                department=command.department,
                tracking_code=None,
                duplicate_of=None,
            )
        batch.outcomes[command.command_id] = (record.partition, result)
        self._send_result(batch, result)
        return Outcome(command.kind, result.outcome)

    def _send_result(self, batch: Batch, result: Result) -> None:
        value = result.model_dump_json().encode()
        batch.sends.append(
            (self.topics.command_results, result.command_id.encode(), value, None, [])
        )

    def _dead_letter(self, batch: Batch, record: CommandRecord, reason: str) -> None:
        headers = dead_letter_headers(record, reason, "routing")
        dlq = self.topics.dlq(self.topics.commands)
        batch.sends.append((dlq, record.key or b"", record.value or b"", None, headers))
        batch.dead_letters += 1
