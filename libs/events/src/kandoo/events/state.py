"""The state of one complaint, and `evolve`: how each event changes it.

State is what `decide` needs, nothing more; read models keep richer views of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kandoo.events.envelope import Envelope, UnknownEvent
from kandoo.events.events import (
    ComplaintAcknowledged,
    ComplaintAssigned,
    ComplaintClassified,
    ComplaintEscalated,
    ComplaintForwarded,
    ComplaintLocationCorrected,
    ComplaintMarkedDuplicate,
    ComplaintRated,
    ComplaintRecategorized,
    ComplaintReopened,
    ComplaintRerouted,
    ComplaintResolved,
    ComplaintRouted,
    ComplaintSubmitted,
    ComplaintSupported,
    Event,
    ReporterDataErased,
    SlaBreached,
    status_after,
)
from kandoo.events.values import Location, Status


@dataclass(frozen=True, slots=True)
class ComplaintState:
    """One complaint as the lifecycle sees it; `version` is the last applied sequence."""

    complaint_id: str
    version: int = 0
    status: Status | None = None
    tracking_code: str = ""
    description: str = ""
    language: str = "th"
    location: Location | None = None
    photos: tuple[str, ...] = ()
    category: str | None = None
    department: str | None = None
    assignee: str | None = None
    reporter_token_hash: str | None = None
    reporter_reachable: bool = False
    submitted_at: datetime | None = None
    resolved_at: datetime | None = None
    last_event_at: datetime | None = None
    acknowledge_by: datetime | None = None
    resolve_by: datetime | None = None
    breached: frozenset[str] = field(default_factory=frozenset)
    escalation_level: int = 0
    next_escalation_at: datetime | None = None
    rated: bool = False
    duplicate_of: str | None = None
    erased: bool = False
    supporters: frozenset[str] = field(default_factory=frozenset)
    """Supporter keys ("me too"): each supports once."""

    @property
    def exists(self) -> bool:
        return self.version > 0


def evolve(state: ComplaintState, env: Envelope) -> ComplaintState:
    """The state after one event. Events of unknown types only advance the version."""
    data = env.data
    changes: dict[str, Any] = {"version": env.sequence, "last_event_at": env.time}
    if not isinstance(data, UnknownEvent):
        status = status_after(data)
        if status is not None:
            changes["status"] = status
        changes.update(_changes(state, data, env.time))
    return replace(state, **changes)


def _changes(state: ComplaintState, data: Event, at: datetime) -> dict[str, Any]:
    match data:
        case ComplaintSubmitted():
            return dict(
                tracking_code=data.tracking_code,
                description=data.description,
                language=data.language,
                location=data.location,
                photos=data.photos,
                category=data.category_chosen,
                reporter_token_hash=data.reporter_token_hash,
                reporter_reachable=data.reporter.reachable(),
                submitted_at=at,
            )
        case ComplaintClassified():
            return dict(category=data.category)
        case ComplaintRouted():
            return dict(
                department=data.department,
                acknowledge_by=data.acknowledge_by,
                resolve_by=data.resolve_by,
            )
        case ComplaintRerouted():
            return dict(
                department=data.department,
                acknowledge_by=data.acknowledge_by,
                resolve_by=data.resolve_by,
                breached=frozenset(),
                escalation_level=0,
                next_escalation_at=None,
            )
        case ComplaintForwarded():
            return dict(department=data.agency)
        case ComplaintMarkedDuplicate():
            return dict(duplicate_of=data.original_id)
        case ComplaintAcknowledged():
            return dict(department=data.department)
        case ComplaintAssigned():
            return dict(assignee=data.assignee)
        case ComplaintRecategorized():
            return dict(category=data.category)
        case ComplaintLocationCorrected():
            return dict(location=data.location)
        case ComplaintResolved():
            return dict(resolved_at=at)
        case ComplaintReopened():
            return dict(
                acknowledge_by=data.acknowledge_by,
                resolve_by=data.resolve_by,
                breached=frozenset(),
                escalation_level=0,
                next_escalation_at=None,
            )
        case ComplaintRated():
            return dict(rated=True)
        case ComplaintSupported():
            return dict(supporters=state.supporters | {data.supporter_key})
        case SlaBreached():
            return dict(breached=state.breached | {data.stage})
        case ComplaintEscalated():
            return dict(
                escalation_level=max(state.escalation_level, data.level),
                next_escalation_at=data.next_escalation_at,
            )
        case ReporterDataErased():
            return dict(erased=True, reporter_reachable=False)
    return {}


def fold(state: ComplaintState, envelopes: list[Envelope]) -> ComplaintState:
    """Apply events in order."""
    for env in envelopes:
        state = evolve(state, env)
    return state
