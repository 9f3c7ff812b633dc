"""The deadline timer looks only at complaints with a deadline ahead: a closed one leaves
the index, so a sweep does not grow with every complaint ever seen."""

from __future__ import annotations

from datetime import timedelta

from kandoo.events import commands as c
from kandoo.events.state import ComplaintState
from kandoo.routing.domain.partition import PartitionState
from tests.unit.routing.lifecycle import ENGINEERING_ADMIN, NOW, step, submit


def test_a_routed_complaint_is_indexed_at_its_deadline_and_a_closed_one_is_not() -> None:
    part = PartitionState()
    _, state = step(submit("c-1"), ComplaintState("c-1"))
    part.put(state)
    assert part.due == {"c-1": NOW + timedelta(hours=24)}  # road: acknowledge within 24 h

    ids = {"complaint_id": "c-1", "actor": ENGINEERING_ADMIN}
    _, state = step(c.AcknowledgeComplaint(command_id="2", **ids), state)
    _, state = step(c.ResolveComplaint(command_id="3", note="ซ่อมแล้ว", **ids), state)
    part.put(state)
    assert "c-1" in part.due  # resolved: the auto-close deadline is still ahead
    _, state = step(c.CloseComplaint(command_id="4", **ids), state)
    part.put(state)
    assert part.due == {}
    assert part.states["c-1"] is state
