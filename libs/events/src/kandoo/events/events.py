"""Events: facts about a complaint, in the past tense, immutable once written.

Every event class has a CloudEvents `type` (`complaint.submitted`, ...) and a `dataversion`.
A new version of an event's data gets an upcaster in `upcasting.py`, never a rewrite of
the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from kandoo.events.values import Classification, Frozen, Location, ReporterContact, Status


class Event(Frozen):
    """Base of every event's data."""

    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1


class ComplaintSubmitted(Event):
    TYPE = "complaint.submitted"
    VERSION = 2  # v1 had no `channel` (web only); upcasting.py reads it as v2

    tracking_code: str = Field(description="Short code the reporter can read aloud, HH-XXXX-XX")
    description: str = Field(description="What the reporter wrote, as written")
    language: str = Field(description="Language of the report: th or en")
    location: Location = Field(description="Where the problem is")
    category_chosen: str | None = Field(
        default=None, description="Category the reporter picked, if any"
    )
    channel: str = Field(description="How the report came in: web, mobile, line, open311, ...")
    channel_reference: str | None = Field(
        default=None, description="Id in the channel of origin (Open311 device or account id)"
    )
    photos: tuple[str, ...] = Field(default=(), description="SHA-256 of each stored photo")
    reporter: ReporterContact = Field(description="Reporter's contact: personal data, erasable")
    reporter_token_hash: str | None = Field(
        default=None, description="SHA-256 of the reporter's tracking token"
    )


class ComplaintClassified(Event):
    TYPE = "complaint.classified"

    classification: Classification = Field(description="What the classifier said")
    category: str = Field(description="Category retained: the reporter's or the classifier's")
    reason: str = Field(description="'classifier', 'reporter_choice' or 'rule'")


class ComplaintRouted(Event):
    TYPE = "complaint.routed"

    department: str = Field(description="Department that must act")
    triage: bool = Field(default=False, description="Sent to the clerk because unsure")
    reason: str = Field(description="'category', 'zone', 'triage' or 'reporter_choice'")
    acknowledge_by: datetime = Field(description="Acknowledge before this moment (SLA)")
    resolve_by: datetime = Field(description="Resolve before this moment (SLA)")


class ComplaintMarkedDuplicate(Event):
    TYPE = "complaint.marked_duplicate"

    original_id: str = Field(description="The open complaint this one repeats")
    distance_m: float | None = Field(default=None, description="Distance between the two pins")


class ComplaintAcknowledged(Event):
    TYPE = "complaint.acknowledged"

    department: str = Field(description="Department that acknowledged")


class ComplaintAssigned(Event):
    TYPE = "complaint.assigned"

    assignee: str = Field(description="Staff member or team now working on it")


class ComplaintRecategorized(Event):
    TYPE = "complaint.recategorized"

    previous_category: str = Field(description="Category before the correction")
    category: str = Field(description="Category chosen by staff: a label the classifier learns")


class ComplaintRerouted(Event):
    TYPE = "complaint.rerouted"

    previous_department: str = Field(description="Department before")
    department: str = Field(description="Department that must act now")
    reason: str = Field(description="Why, in staff's words or a code")
    acknowledge_by: datetime = Field(description="New acknowledge deadline")
    resolve_by: datetime = Field(description="New resolve deadline")


class ComplaintForwarded(Event):
    TYPE = "complaint.forwarded"

    agency: str = Field(description="Outside agency code from the directory (pwa, pea, police)")
    note: str | None = Field(default=None, description="What was sent along")


class ComplaintLocationCorrected(Event):
    TYPE = "complaint.location_corrected"

    previous: Location = Field(description="The pin before")
    location: Location = Field(description="The corrected pin")


class NoteAdded(Event):
    TYPE = "complaint.note_added"

    text: str = Field(description="The note")
    public: bool = Field(default=True, description="Shown to the reporter and the public view")


class ComplaintResolved(Event):
    TYPE = "complaint.resolved"

    note: str = Field(description="What was done")
    photos: tuple[str, ...] = Field(default=(), description="SHA-256 of photos of the result")


class ComplaintRejected(Event):
    TYPE = "complaint.rejected"

    reason: str = Field(description="Why the municipality will not act")


class ComplaintReopened(Event):
    TYPE = "complaint.reopened"

    reason: str = Field(description="Why the reporter or staff reopened it")
    acknowledge_by: datetime = Field(description="New acknowledge deadline")
    resolve_by: datetime = Field(description="New resolve deadline")


class ComplaintClosed(Event):
    TYPE = "complaint.closed"

    reason: str = Field(description="'reporter', 'staff' or 'auto' (silent after resolution)")


class ComplaintRated(Event):
    TYPE = "complaint.rated"

    rating: int = Field(ge=1, le=5, description="Reporter's rating, 1 (bad) to 5 (good)")
    comment: str | None = Field(default=None, description="Reporter's comment")


class ComplaintSupported(Event):
    TYPE = "complaint.supported"

    supporter_key: str = Field(description="SHA-256 of the supporter's token: once each")
    supporter: ReporterContact = Field(
        description="Supporter's contact for updates: personal data, erasable"
    )


class SlaBreached(Event):
    TYPE = "complaint.sla_breached"

    stage: str = Field(description="'acknowledge' or 'resolve'")
    department: str = Field(description="Department that missed the deadline")
    due: datetime = Field(description="The deadline that passed")


class ComplaintEscalated(Event):
    TYPE = "complaint.escalated"

    level: int = Field(ge=1, description="1 supervisor, 2 clerk, 3 mayor's office")
    to: str = Field(description="Who must look now: a department code or 'mayor_office'")
    reason: str = Field(
        description="'no_active_admin', 'sla_acknowledge', 'sla_resolve' or 'still_silent'"
    )
    department: str = Field(description="Department that owns the complaint")
    next_escalation_at: datetime | None = Field(
        default=None, description="Escalate one level higher if still silent at this moment"
    )


class ReporterDataErased(Event):
    TYPE = "complaint.reporter_data_erased"

    reason: str = Field(description="Why (PDPA request, retention)")


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        ComplaintSubmitted,
        ComplaintClassified,
        ComplaintRouted,
        ComplaintMarkedDuplicate,
        ComplaintAcknowledged,
        ComplaintAssigned,
        ComplaintRecategorized,
        ComplaintRerouted,
        ComplaintForwarded,
        ComplaintLocationCorrected,
        NoteAdded,
        ComplaintResolved,
        ComplaintRejected,
        ComplaintReopened,
        ComplaintClosed,
        ComplaintRated,
        ComplaintSupported,
        SlaBreached,
        ComplaintEscalated,
        ReporterDataErased,
    )
}

STATUS_AFTER: dict[type[Event], Status] = {
    ComplaintSubmitted: Status.SUBMITTED,
    ComplaintMarkedDuplicate: Status.DUPLICATE,
    ComplaintAcknowledged: Status.ACKNOWLEDGED,
    ComplaintAssigned: Status.IN_PROGRESS,
    ComplaintRerouted: Status.ROUTED,
    ComplaintForwarded: Status.FORWARDED,
    ComplaintResolved: Status.RESOLVED,
    ComplaintRejected: Status.REJECTED,
    ComplaintReopened: Status.REOPENED,
    ComplaintClosed: Status.CLOSED,
}
"""Events that put a complaint in a fixed status (ComplaintRouted depends on `triage`)."""

STATUS_AFTER_TYPE: dict[str, str] = {cls.TYPE: status.value for cls, status in STATUS_AFTER.items()}
"""The same, by CloudEvents type, for consumers that read events as plain JSON."""


def routed_status(triage: bool) -> Status:
    """A routed complaint waits in triage when the classifier was unsure, else it is routed."""
    return Status.TRIAGE if triage else Status.ROUTED


def status_after(event: Event) -> Status | None:
    """The status a complaint is in after this event; None: the event leaves it as it was."""
    if isinstance(event, ComplaintRouted):
        return routed_status(event.triage)
    return STATUS_AFTER.get(type(event))


def status_after_wire(event_type: str, data: Mapping[str, Any]) -> str | None:
    """`status_after` for an event read as plain JSON (its type and `data`)."""
    if event_type == ComplaintRouted.TYPE:
        return routed_status(bool(data.get("triage"))).value
    return STATUS_AFTER_TYPE.get(event_type)
