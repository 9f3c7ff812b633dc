"""What notify remembers of a complaint, folded from its events as read off the wire.

Notify folds its own `Case` rather than `kandoo.events.state.ComplaintState`: it needs the
reporter's contact, which the lifecycle's state leaves out by design, and it reads events
as plain JSON (no envelope parsing on its hot path). Statuses follow the contract's rule
(`status_after_wire`), so the two folds cannot disagree on where a complaint stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from kandoo.events.events import status_after_wire
from kandoo.events.values import ReporterContact


@dataclass
class Case:
    """Enough of one complaint to address and word its messages."""

    complaint_id: str
    tracking_code: str = ""
    language: str = "th"
    category: str | None = None
    department: str | None = None
    status: str | None = None
    contact: dict[str, Any] = field(default_factory=dict)
    supporters: list[dict[str, Any]] = field(default_factory=list)
    """Contacts of citizens who said "me too" and left one: told like the reporter."""
    acknowledge_by: str | None = None
    resolve_by: str | None = None


def evolve_case(case: Case, event: Mapping[str, Any]) -> None:
    """The case after one of its events (in place); KeyError when a field it needs is missing."""
    etype, data = event["type"], event.get("data") or {}
    if etype == "complaint.submitted":
        case.tracking_code = data["tracking_code"]
        case.language = data.get("language", "th")
        case.contact = dict(data.get("reporter") or {})
        case.category = data.get("category_chosen")
    elif etype in ("complaint.classified", "complaint.recategorized"):
        case.category = data["category"]
    elif etype in ("complaint.routed", "complaint.rerouted", "complaint.reopened"):
        case.department = data.get("department", case.department)
        case.acknowledge_by = data.get("acknowledge_by")
        case.resolve_by = data.get("resolve_by")
    elif etype == "complaint.forwarded":
        case.department = data["agency"]
    elif etype == "complaint.acknowledged":
        case.department = data.get("department", case.department)
    elif etype == "complaint.supported":
        contact = ReporterContact.model_validate(data.get("supporter") or {})
        if contact.reachable():
            case.supporters = [*case.supporters, contact.model_dump()]
    elif etype == "complaint.reporter_data_erased":
        case.contact = {"erased": True}
    status = status_after_wire(etype, data)
    if status is not None:
        case.status = status


def case_doc(case: Case) -> dict[str, Any]:
    """The case as stored (its id is the document's `_id`)."""
    doc = asdict(case)
    doc.pop("complaint_id")
    return doc


def case_from_doc(complaint_id: str, doc: Mapping[str, Any] | None) -> Case:
    if doc is None:
        return Case(complaint_id)
    known = Case.__dataclass_fields__
    return Case(complaint_id, **{k: v for k, v in doc.items() if k in known and k != "_id"})
