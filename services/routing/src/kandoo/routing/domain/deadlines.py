"""Which complaints need a `CheckDeadlines` now; the lifecycle decides what it means."""

from __future__ import annotations

from datetime import datetime

from kandoo.events.decide import AUTO_CLOSE_AFTER, AWAITING_ACK, WORKABLE
from kandoo.events.ids import stable_id
from kandoo.events.state import ComplaintState
from kandoo.events.values import Status


def next_due(state: ComplaintState) -> datetime | None:
    """The next moment at which `CheckDeadlines` could emit something for this complaint."""
    candidates: list[datetime] = []
    if (
        state.status in AWAITING_ACK
        and state.acknowledge_by
        and "acknowledge" not in state.breached
    ):
        candidates.append(state.acknowledge_by)
    if state.status in WORKABLE and state.resolve_by and "resolve" not in state.breached:
        candidates.append(state.resolve_by)
    if state.status in WORKABLE and state.next_escalation_at:
        candidates.append(state.next_escalation_at)
    if state.status is Status.RESOLVED and state.last_event_at:
        candidates.append(state.last_event_at + AUTO_CLOSE_AFTER)
    return min(candidates) if candidates else None


def check_command_id(state: ComplaintState, due: datetime) -> str:
    """Deterministic: timers firing twice for the same deadline make one command."""
    return stable_id("check-deadlines", state.complaint_id, str(state.version), due.isoformat())
