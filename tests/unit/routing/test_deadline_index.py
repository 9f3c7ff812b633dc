"""The deadline timer looks only at complaints with a deadline ahead: a closed one leaves
the index, so a sweep does not grow with every complaint ever seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from kandoo.events import commands as c
from kandoo.events.decide import Context
from kandoo.events.directory import load_directory
from kandoo.events.lifecycle import handle
from kandoo.events.refusals import Refusal
from kandoo.events.state import ComplaintState
from kandoo.events.values import Actor, Classification, Location, Role
from kandoo.routing.adapters.processor import PartitionState

DIRECTORY = load_directory(Path(__file__).resolve().parents[3] / "deploy/config/directory.yaml")
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
ADMIN = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")


def step(command: c.Command, state: ComplaintState) -> ComplaintState:
    guess = Classification(category="road", confidence=0.95, model_version="m1")
    outcome = handle(command, state, Context(DIRECTORY, NOW, classification=guess))
    assert not isinstance(outcome, Refusal), outcome
    return outcome[1]


def test_a_routed_complaint_is_indexed_at_its_deadline_and_a_closed_one_is_not() -> None:
    part = PartitionState()
    state = step(
        c.SubmitComplaint(
            command_id="1",
            complaint_id="c-1",
            actor=Actor(id="anonymous", role=Role.CITIZEN),
            tracking_code="HH-7K4P-2Q",
            description="หลุมใหญ่กลางถนนเพชรเกษม",
            language="th",
            location=Location(lat=12.5684, lon=99.9577),
        ),
        ComplaintState("c-1"),
    )
    part.put(state)
    assert part.due == {"c-1": NOW + timedelta(hours=24)}  # road: acknowledge within 24 h

    state = step(c.AcknowledgeComplaint(command_id="2", complaint_id="c-1", actor=ADMIN), state)
    resolve = c.ResolveComplaint(command_id="3", complaint_id="c-1", actor=ADMIN, note="ซ่อมแล้ว")
    state = step(resolve, state)
    part.put(state)
    assert "c-1" in part.due  # resolved: the auto-close deadline is still ahead
    state = step(c.CloseComplaint(command_id="4", complaint_id="c-1", actor=ADMIN), state)
    part.put(state)
    assert part.due == {}
    assert part.states["c-1"] is state
