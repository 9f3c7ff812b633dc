"""What a department system reads on `complaints.routed.<department>`.

A view of the whole complaint on every change that concerns the department, without the
reporter's personal data, so a system that reads only its own topic stays current.
"""

from __future__ import annotations

from typing import Any

from kandoo.events.envelope import Envelope
from kandoo.events.events import ComplaintRerouted
from kandoo.events.state import ComplaintState


def feed_view(state: ComplaintState, last: Envelope) -> dict[str, Any]:
    """The department's view of a complaint after `last`: no name, phone, e-mail or LINE id."""
    loc = state.location
    return {
        "complaint_id": state.complaint_id,
        "tracking_code": state.tracking_code,
        "version": state.version,
        "event_type": last.type,
        "event_id": last.id,
        "time": last.time.isoformat(),
        "status": state.status.value if state.status else None,
        "category": state.category,
        "department": state.department,
        "assignee": state.assignee,
        "description": state.description,
        "language": state.language,
        "location": None if loc is None else loc.model_dump(mode="json"),
        "photos": list(state.photos),
        "acknowledge_by": state.acknowledge_by.isoformat() if state.acknowledge_by else None,
        "resolve_by": state.resolve_by.isoformat() if state.resolve_by else None,
        "escalation_level": state.escalation_level,
        "duplicate_of": state.duplicate_of,
    }


def departments_concerned(
    before: ComplaintState, after: ComplaintState, envs: list[Envelope]
) -> list[str]:
    """The department that owns it now, and one it just left."""
    found = {d for d in (before.department, after.department) if d}
    found |= {e.data.previous_department for e in envs if isinstance(e.data, ComplaintRerouted)}
    return sorted(found)
