"""What the API shows of the stored documents: public and staff views, statistics, Open311.

Pure functions of documents; the public view carries no personal data (no reporter, no
staff names, no internal notes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kandoo.events.directory import Directory
from kandoo.reporting.domain.buckets import merge, percentile
from kandoo.reporting.domain.documents import OPEN
from kandoo.reporting.domain.statistics import Collected

Doc = Mapping[str, Any]
COUNTS = ("submitted", "acknowledged", "resolved", "breached")
PUBLIC_FIELDS = (
    "tracking_code",
    "status",
    "category",
    "department",
    "department_name",
    "language",
    "channel",
    "photos",
    "submitted_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "acknowledge_by",
    "resolve_by",
    "duplicate_of",
    "escalation_level",
    "breached",
    "rating",
    "resolution",
)


NOT_PUBLIC = frozenset({"assignee", "comment", "channel_reference"})
"""Timeline fields staff see and the public does not: who works on it (a name), the
reporter's rating comment, the channel's id of the reporter."""


def _timeline(doc: Doc, public: bool) -> list[dict[str, Any]]:
    out = []
    for entry in doc.get("timeline", []):
        if public and entry.get("type") == "complaint.note_added" and not entry.get("public", True):
            continue
        item = dict(entry)
        if public:
            actor = item.get("actor") or {}
            item["actor"] = {"role": actor.get("role"), "department": actor.get("department")}
            for key in NOT_PUBLIC & item.keys():
                del item[key]
        out.append(item)
    return out


def _told(entries: Iterable[Doc], public: bool) -> list[dict[str, Any]]:
    keep = ("at", "type", "event_type", "recipient_role", "channel", "attempt")
    return [{k: e.get(k) for k in keep} if public else dict(e) for e in entries]


STATUS_ONLY = ("tracking_code", "status", "submitted_at", "resolved_at", "closed_at")


def public(doc: Doc, told: Iterable[Doc], followers: Doc) -> dict[str, Any]:
    if doc.get("sensitive"):
        # Staff conduct, welfare: whoever holds the code learns where it stands, no more.
        only = {"id": doc["_id"], **{k: doc.get(k) for k in STATUS_ONLY}, "location": {}}
        return only | {"timeline": [], "notifications": [], "followers": 0, "duplicates": []}
    out: dict[str, Any] = {"id": doc["_id"]}
    out.update({k: doc.get(k) for k in PUBLIC_FIELDS})
    out["description"] = doc.get("description")
    location = doc.get("location") or {}
    out["location"] = {k: location.get(k) for k in ("lat", "lon", "address_text")}
    out["timeline"] = _timeline(doc, public=True)
    out["notifications"] = _told(told, public=True)
    out["followers"] = int(followers.get("count", 0))
    out["supporters"] = int(doc.get("supporters") or 0)
    out["duplicates"] = list(followers.get("duplicates", []))
    return out


def staff(doc: Doc, told: Iterable[Doc], followers: Doc) -> dict[str, Any]:
    out = public({k: v for k, v in doc.items() if k != "sensitive"}, [], followers)
    out["timeline"] = _timeline(doc, public=False)
    out["notifications"] = _told(told, public=False)
    out["location"] = dict(doc.get("location") or {})
    for key in ("reporter", "assignee", "classification", "category_chosen", "triage", "defect"):
        out[key] = doc.get(key)
    out["rating_comment"] = doc.get("rating_comment")
    return out


def queue_item(item: Doc, now: datetime) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k != "_id"}
    out["id"] = item["_id"]
    due = item.get("due")
    out["overdue"] = bool(due and due < now)
    return out


@dataclass(frozen=True)
class Waiting:
    """What a department's queue says of its waiting work."""

    unacknowledged: int
    overdue: int
    oldest_unacknowledged_at: datetime | None


def health(
    directory: Directory,
    counters: Mapping[str, Doc],
    waiting: Mapping[str, Waiting],
    now: datetime,
) -> list[dict[str, Any]]:
    out = []
    for dept in directory.departments:
        c = counters.get(dept.code, {})
        w = waiting.get(dept.code) or Waiting(0, 0, None)
        oldest = w.oldest_unacknowledged_at
        submitted = int(c.get("submitted", 0))
        out.append(
            {
                "department": dept.code,
                "name": {"th": dept.name_th, "en": dept.name_en},
                "external": dept.external,
                "active_admins": len(dept.active_admins()),
                "admins": [{"id": a.id, "name": a.name} for a in dept.active_admins()],
                "without_admin": not dept.active_admins() and not dept.external,
                "open": int(c.get("open", 0)),
                "unacknowledged": w.unacknowledged,
                "overdue": w.overdue,
                "oldest_unacknowledged_at": oldest,
                "oldest_unacknowledged_hours": oldest
                and round((now - oldest).total_seconds() / 3600, 1),
                "submitted": submitted,
                "resolved": int(c.get("resolved", 0)),
                "breached": int(c.get("breached", 0)),
                "breach_rate": round(int(c.get("breached", 0)) / submitted, 4)
                if submitted
                else 0.0,
            }
        )
    return out


def _summary(docs: Iterable[Doc]) -> dict[str, Any]:
    counts = dict.fromkeys(COUNTS, 0)
    tta: dict[int, int] = {}
    ttr: dict[int, int] = {}
    for d in docs:
        for key in COUNTS:
            counts[key] += int(d.get(key, 0))
        merge(tta, d, "tta")
        merge(ttr, d, "ttr")
    return {
        **counts,
        "time_to_acknowledge_min": {
            "p50": percentile(tta, 50),
            "p90": percentile(tta, 90),
        },
        "time_to_resolve_min": {"p50": percentile(ttr, 50), "p90": percentile(ttr, 90)},
    }


def stats(found: Collected) -> dict[str, Any]:
    """Totals, per category and per day, of one department's counts."""
    everything = [c for counts in found.by_key.values() for c in counts]
    return {
        "totals": _summary(everything),
        "by_category": {k: _summary(v) for k, v in sorted(found.by_key.items())},
        "by_day": {k: _summary(v) for k, v in sorted(found.by_day.items())},
    }


def public_stats(found: Collected) -> dict[str, Any]:
    """The city's counts: totals, and per department with its categories."""
    departments: dict[str, dict[str, list[Doc]]] = {}
    for dept, per_dept in found.by_key.items():
        for counts in per_dept:
            for category, inner in counts.items():
                departments.setdefault(dept, {}).setdefault(category, []).append(inner)
    everything = [c for cats in departments.values() for v in cats.values() for c in v]
    return {
        "totals": _summary(everything),
        "departments": {
            dept: {
                **_summary([c for v in cats.values() for c in v]),
                "by_category": {cat: _summary(v) for cat, v in sorted(cats.items())},
            }
            for dept, cats in sorted(departments.items())
        },
    }


def open311_status(doc: Doc) -> str:
    return "open" if doc.get("status") in OPEN else "closed"


def open311(doc: Doc, directory: Directory, photos_url: str) -> dict[str, Any]:
    location = doc.get("location") or {}
    category = directory.category(doc.get("category") or "")
    department = directory.department(doc.get("department") or "")
    photos = doc.get("photos") or []
    return {
        "service_request_id": doc["_id"],
        "status": open311_status(doc),
        "status_notes": doc.get("last_public_note"),
        "service_name": category.name_en if category else None,
        "service_code": doc.get("category"),
        "description": doc.get("description"),
        "agency_responsible": department.name_en if department else doc.get("department"),
        "service_notice": doc.get("tracking_code"),
        "requested_datetime": _iso(doc.get("submitted_at")),
        "updated_datetime": _iso(doc.get("updated_at")),
        "expected_datetime": _iso(doc.get("resolve_by")),
        "address": location.get("address_text"),
        "lat": location.get("lat"),
        "long": location.get("lon"),
        "media_url": f"{photos_url}/v1/photos/{photos[0]}" if photos else None,
    }


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def hotspot_counts(doc: Doc) -> list[tuple[str, str, str, int]]:
    """(cell, category, status, count) of one area's document."""
    return [
        (cell, category, status, int(n))
        for cell, by_category in doc.items()
        if isinstance(by_category, Mapping) and cell != "applied"
        for category, by_status in by_category.items()
        if isinstance(by_status, Mapping)
        for status, n in by_status.items()
    ]
