"""What routing holds for one partition, and what one transaction will write.

Pure: complaint states, the outcomes of commands already applied (a retried command gets
the same answer, no new event), and when each complaint next needs the deadline timer.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from kandoo.events.envelope import Envelope
from kandoo.events.records import CommandAccepted, CommandRefused, EventRef
from kandoo.events.refusals import Refusal
from kandoo.events.roster import LiveDirectory
from kandoo.events.state import ComplaintState, evolve
from kandoo.routing.domain.deadlines import next_due

MAX_REMEMBERED_OUTCOMES = 100_000
Result = CommandAccepted | CommandRefused
Send = tuple[str, bytes, bytes, int | None, list[tuple[str, bytes]]]
"""(topic, key, value, partition or None, headers): one record of a transaction."""


def accepted_result(
    command_id: str, envs: list[Envelope], state: ComplaintState
) -> CommandAccepted:
    return CommandAccepted(
        command_id=command_id,
        complaint_id=state.complaint_id,
        outcome="accepted",
        events=[EventRef(type=e.type, sequence=e.sequence, id=e.id) for e in envs],
        status=state.status.value if state.status else None,
        department=state.department,
        tracking_code=state.tracking_code,
        duplicate_of=state.duplicate_of,
    )


def refused_result(command_id: str, complaint_id: str, refusal: Refusal) -> CommandRefused:
    return CommandRefused(
        command_id=command_id,
        complaint_id=complaint_id,
        outcome="refused",
        code=refusal.code,
        http_status=refusal.http_status,
        message_th=refusal.message_th,
        message_en=refusal.message_en,
    )


@dataclass
class PartitionState:
    """The complaints of one partition, and the outcomes of commands already applied."""

    states: dict[str, ComplaintState] = field(default_factory=dict)
    outcomes: OrderedDict[str, Result] = field(default_factory=OrderedDict)
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

    def remember(self, command_id: str, result: Result) -> None:
        self.outcomes[command_id] = result
        if len(self.outcomes) > MAX_REMEMBERED_OUTCOMES:
            self.outcomes.popitem(last=False)


class PartitionFold:
    """A partition's state rebuilt from its events in log order: each command's events
    are consecutive, so their outcome is remembered as a retry would have been answered."""

    def __init__(self) -> None:
        self.part = PartitionState()
        self._current: tuple[str, str] | None = None  # (causation id, complaint id)
        self._group: list[Envelope] = []

    def add(self, env: Envelope) -> None:
        if self._current != (env.causationid, env.subject):
            self._close_group()
            self._current, self._group = (env.causationid, env.subject), []
        state = self.part.states.get(env.subject) or ComplaintState(env.subject)
        self.part.states[env.subject] = evolve(state, env)
        self._group.append(env)

    def done(self) -> PartitionState:
        self._close_group()
        for state in self.part.states.values():
            self.part.index_due(state)
        return self.part

    def _close_group(self) -> None:
        if self._current is not None:
            command_id, complaint_id = self._current
            state = self.part.states[complaint_id]
            self.part.remember(command_id, accepted_result(command_id, self._group, state))


@dataclass
class Batch:
    """What one transaction will write, and the state it leaves if it commits."""

    sends: list[Send] = field(default_factory=list)
    states: dict[str, tuple[int, ComplaintState]] = field(default_factory=dict)
    outcomes: dict[str, tuple[int, Result]] = field(default_factory=dict)
    envelopes: list[Envelope] = field(default_factory=list)
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    """Next offset to read per (topic, partition) of the commands consumed."""
    dead_letters: int = 0
    roster: LiveDirectory | None = None
    """The roster as this batch's roster commands leave it (None: none in the batch)."""
    roster_envelopes: list[Envelope] = field(default_factory=list)
