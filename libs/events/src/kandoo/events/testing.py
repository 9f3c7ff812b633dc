"""Given-when-then for the lifecycle: `given(events).when(command).then(events | refusal)`.

    given(submitted, routed).at(now).when(ResolveComplaint(...)).then_refused("note_required")

Pure and in memory: no broker, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from kandoo.events.commands import CheckDeadlines, Command
from kandoo.events.decide import Context, decide
from kandoo.events.directory import Directory
from kandoo.events.events import Event
from kandoo.events.lifecycle import stamp
from kandoo.events.refusals import Refusal
from kandoo.events.state import ComplaintState, fold
from kandoo.events.values import Actor, Classification, Role

SYSTEM = Actor(id="kandoo-test", role=Role.SYSTEM)


@dataclass(frozen=True)
class Scenario:
    directory: Directory
    complaint_id: str
    history: tuple[Event, ...] = ()
    now: datetime | None = None
    context_changes: dict[str, object] = field(default_factory=dict)
    command: Command | None = None
    delay: timedelta = timedelta(0)

    def at(self, now: datetime) -> Scenario:
        """The history happened at `now`; the command comes then too, unless `after`."""
        return replace(self, now=now)

    def after(self, delay: timedelta) -> Scenario:
        """The command comes `delay` after the history."""
        return replace(self, delay=delay)

    def with_classification(self, classification: Classification) -> Scenario:
        return replace(
            self, context_changes=self.context_changes | {"classification": classification}
        )

    def with_duplicate_of(self, original: str, distance_m: float = 10.0) -> Scenario:
        changes = {"duplicate_of": original, "duplicate_distance_m": distance_m}
        return replace(self, context_changes=self.context_changes | changes)

    def when(self, command: Command) -> Scenario:
        return replace(self, command=command)

    def context(self, delay: timedelta = timedelta(0)) -> Context:
        assert self.now is not None, "say .at(now) first"
        base = Context(directory=self.directory, now=self.now + delay)
        return replace(base, **self.context_changes)  # type: ignore[arg-type]

    def state(self) -> ComplaintState:
        """The state the history folds into (events stamped by a system actor)."""
        empty = ComplaintState(self.complaint_id)
        if not self.history:
            return empty
        seed = CheckDeadlines(command_id="history", complaint_id=self.complaint_id, actor=SYSTEM)
        return fold(empty, stamp(list(self.history), empty, seed, self.context()))

    def result(self) -> list[Event] | Refusal:
        assert self.command is not None, "say .when(command) first"
        return decide(self.command, self.state(), self.context(self.delay))

    def then(self, *expected: Event) -> None:
        got = self.result()
        assert not isinstance(got, Refusal), f"refused: {got.code}: {got.message_en}"
        assert got == list(expected), f"\n got: {got}\nwant: {list(expected)}"

    def then_types(self, *expected: type[Event]) -> list[Event]:
        got = self.result()
        assert not isinstance(got, Refusal), f"refused: {got.code}: {got.message_en}"
        assert [type(e) for e in got] == list(expected), f"got {[type(e).__name__ for e in got]}"
        return got

    def then_refused(self, code: str) -> Refusal:
        got = self.result()
        assert isinstance(got, Refusal), f"expected refusal {code}, got events {got}"
        assert got.code == code, f"expected refusal {code}, got {got.code}"
        return got


def given(directory: Directory, complaint_id: str, *history: Event) -> Scenario:
    """A complaint whose log already holds `history`."""
    return Scenario(directory=directory, complaint_id=complaint_id, history=history)
