"""A complaint's own read-model documents as a fold of its events: the complaint document
(current state, timeline, due times) and its line in the department queue. Both are
functions of the complaint alone and are written whole."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from kandoo.events.directory import Directory
from kandoo.events.events import status_after_wire
from kandoo.events.geo import geohash
from kandoo.events.values import OPEN_STATUSES, Status

OPEN = frozenset(s.value for s in OPEN_STATUSES)
AWAITING_ACK = frozenset({Status.ROUTED.value, Status.TRIAGE.value, Status.REOPENED.value})
UNCATEGORIZED = "uncategorized"
CELL_PRECISION = 7
AREA_PRECISION = 5
"""Hotspot cells (geohash 7, ~150 m) are kept in documents per area (geohash 5, ~5 km),
one for the open complaints (`<area>|open`, as large as today's work) and one for the
closed ones (`<area>|closed`, as large as the city's pattern of the past): a map reads the
few areas its view touches, and the open map never reads the past."""


def hotspot_area(cell: str, status: str) -> str:
    """The id of the hotspot document a cell's complaints in `status` are counted in."""
    return f"{cell[:AREA_PRECISION]}|{'open' if status in OPEN else 'closed'}"


NEARBY_PRECISION = 7
"""Open reports near a pin ("is it one of these?") are kept per ~150 m cell: a 50 m
circle touches at most four cells, read by id."""
PRIVATE_DATA = frozenset(
    {"reporter", "reporter_token_hash", "description", "supporter", "supporter_key"}
)
"""Event fields never copied into the timeline."""


def local_day(at: datetime, zone: ZoneInfo) -> str:
    """The municipality's calendar day of a moment, as YYYY-MM-DD."""
    return at.astimezone(zone).date().isoformat()


def parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


NO_DUE = "none"
"""The bucket of open items without a due time: after every hour (digits sort first)."""


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def hour_bucket(moment: datetime | None) -> str:
    """The UTC hour of a moment as a sortable key, YYYYMMDDHH (or NO_DUE). (Formatted by
    hand: a rebuild makes a few of these per event, and strftime costs twice as much.)"""
    if not moment:
        return NO_DUE
    u = _utc(moment)
    return f"{u.year:04d}{u.month:02d}{u.day:02d}{u.hour:02d}"


def day_bucket(moment: datetime | None) -> str:
    """The UTC day of a moment as a sortable key, YYYYMMDD (or NO_DUE). Queues are kept
    by day, not hour: FerretDB reads a document at ~15 us per key, so the counters that
    index them must stay small (decision 0010)."""
    if not moment:
        return NO_DUE
    u = _utc(moment)
    return f"{u.year:04d}{u.month:02d}{u.day:02d}"


def month_of(day: str) -> str:
    """The month (YYYYMM) of a day bucket; NO_DUE stays itself."""
    return day if day == NO_DUE else day[:6]


def awaiting_acknowledgement(doc: Mapping[str, Any]) -> bool:
    status = doc.get("status")
    return status in AWAITING_ACK or status == Status.SUBMITTED.value


Membership = dict[tuple[str, str], tuple[str, Any]]
"""(collection, document id) -> (field, value): where a complaint stands as a member of
bucketed sets that queries read whole by id."""
MEMBER_SHARDS = 64


def member_field(cid: str) -> str:
    """Where a complaint sits in a bucket document: `items.<shard>.<id>`. FerretDB reads an
    object at a cost that grows with the square of its keys past a few thousand (decision
    0010), and a busy day's bucket can hold tens of thousands: 64 shards keep each object
    to a few hundred."""
    return f"items.{zlib.crc32(cid.encode()) % MEMBER_SHARDS:02x}.{cid}"


def members(doc: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """(complaint id, line) of every member of a bucket document."""
    shards = (doc or {}).get("items") or {}
    return [(cid, line) for shard in shards.values() for cid, line in shard.items()]


TIMES = frozenset({"due", "acknowledge_by", "resolve_by", "submitted_at", "updated_at"})


def pack(record: Mapping[str, Any]) -> str:
    """A member's line in a bucket as one JSON string: FerretDB reads a document at a cost
    per key (decision 0010), so a bucket costs a key per member, not one per field. Times
    are kept to the millisecond, as BSON keeps them."""
    return orjson.dumps({k: _ms(v) for k, v in record.items()}).decode()


def _ms(value: Any) -> Any:
    """A time to the millisecond, as BSON keeps it (anything else as it is)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    return value


def stored_complaint(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A complaint document as stored: its timeline one JSON string (most of a complaint's
    keys are its timeline's, and FerretDB writes and reads at a cost per key)."""
    timeline = [{**e, "at": _ms(e.get("at"))} for e in doc.get("timeline") or []]
    return {**doc, "timeline": orjson.dumps(timeline).decode()}


def loaded_complaint(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A complaint document as `stored_complaint` wrote it, its timeline a list again."""
    if doc is None:
        return None
    timeline = doc.get("timeline")
    if not isinstance(timeline, str):
        return dict(doc)
    entries: list[dict[str, Any]] = orjson.loads(timeline)
    for entry in entries:
        if entry.get("at"):
            entry["at"] = datetime.fromisoformat(entry["at"])
    return {**doc, "timeline": entries}


def unpack(value: str) -> dict[str, Any]:
    """A member's line as `pack` wrote it, its times as datetimes again."""
    record: dict[str, Any] = orjson.loads(value)
    for key in TIMES & record.keys():
        if record[key]:
            record[key] = datetime.fromisoformat(record[key])
    return record


def memberships(doc: Mapping[str, Any] | None) -> Membership:
    """The complaint's place in its department's queue buckets (by due day) and, while it
    waits for acknowledgement, in the waiting buckets (by submitted day)."""
    entry = queue_entry(doc) if doc else None
    if doc is None or entry is None:
        return {}
    cid, dept = str(doc["_id"]), entry["department"]
    item = {k: v for k, v in entry.items() if k not in ("_id", "department")}
    bucket = ("queues", f"{dept}|{day_bucket(entry['due'])}")
    out: Membership = {bucket: (member_field(cid), pack(item))}
    if awaiting_acknowledgement(doc) and doc.get("submitted_at"):
        day = day_bucket(doc["submitted_at"])
        out[("waiting", f"{dept}|{day}")] = (member_field(cid), doc["submitted_at"])
    return out


OPEN311_FIELDS = (
    "status",
    "last_public_note",
    "category",
    "description",
    "department",
    "tracking_code",
    "submitted_at",
    "updated_at",
    "resolve_by",
    "location",
)


def open311_membership(doc: Mapping[str, Any] | None) -> Membership:
    """The complaint's line in the Open311 sets of the UTC day it was submitted: of its
    kind (open or closed now), and of its kind and category (`open311_pages`)."""
    if doc is None or doc.get("defect") or not doc.get("status") or not doc.get("submitted_at"):
        return {}
    if doc.get("sensitive"):
        return {}
    record = {k: doc.get(k) for k in OPEN311_FIELDS}
    record["photos"] = list(doc.get("photos") or [])[:1]
    line = (member_field(str(doc["_id"])), pack(record))
    kind = "open" if doc["status"] in OPEN else "closed"
    day, category = day_bucket(doc["submitted_at"]), doc.get("category") or UNCATEGORIZED
    return {("o311", f"h|{day}|{kind}"): line, ("o311", f"h|{day}|{kind}|{category}"): line}


def nearby_membership(doc: Mapping[str, Any] | None) -> Membership:
    """An open report's line in the cell of its pin, for "is it one of these?"."""
    if doc is None or doc.get("defect") or doc.get("status") not in OPEN or doc.get("sensitive"):
        return {}
    location = doc.get("location") or {}
    if "lat" not in location:
        return {}
    record = {
        "tracking_code": doc.get("tracking_code"),
        "status": doc.get("status"),
        "category": doc.get("category") or UNCATEGORIZED,
        "summary": (doc.get("description") or "")[:140],
        "lat": location["lat"],
        "lon": location["lon"],
        "submitted_at": doc.get("submitted_at"),
        "supporters": int(doc.get("supporters", 0)),
    }
    cell = (
        doc["cell"]
        if NEARBY_PRECISION == CELL_PRECISION and doc.get("cell")
        else geohash(location["lat"], location["lon"], NEARBY_PRECISION)
    )
    return {("nearby", cell): (member_field(str(doc["_id"])), pack(record))}


TRACKING_BUCKETS = 4096


def tracking_bucket(code: str) -> str:
    """The id of the document that maps a tracking code to its complaint: codes are kept
    in 4,096 documents of `codes.<code>` (a few hundred codes each at a million
    complaints) rather than a document each, which a rebuild would insert one by one."""
    return f"{zlib.crc32(code.encode()) % TRACKING_BUCKETS:03x}"


def all_memberships(doc: Mapping[str, Any] | None) -> Membership:
    return {**memberships(doc), **open311_membership(doc), **nearby_membership(doc)}


def queued(doc: Mapping[str, Any]) -> bool:
    """Whether the complaint is open work in a department's queue."""
    return not doc.get("defect") and doc.get("status") in OPEN and bool(doc.get("department"))


def due_of(doc: Mapping[str, Any]) -> datetime | None:
    """The deadline an open complaint waits on: acknowledgement first, then resolution."""
    return doc.get("acknowledge_by") if awaiting_acknowledgement(doc) else doc.get("resolve_by")


def queue_entry(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The complaint's line in its department's queue, or None when it is not open there."""
    if not queued(doc):
        return None
    status = doc.get("status")
    awaiting_ack = awaiting_acknowledgement(doc)
    due = due_of(doc)
    return {
        "_id": doc["_id"],
        "department": doc["department"],
        "tracking_code": doc.get("tracking_code"),
        "status": status,
        "category": doc.get("category") or UNCATEGORIZED,
        "due": due,
        "due_stage": "acknowledge" if awaiting_ack else "resolve",
        "acknowledge_by": doc.get("acknowledge_by"),
        "resolve_by": doc.get("resolve_by"),
        "submitted_at": doc.get("submitted_at"),
        "summary": (doc.get("description") or "")[:140],
        "location": doc.get("location"),
        "address_text": (doc.get("location") or {}).get("address_text"),
        "assignee": doc.get("assignee"),
        "escalation_level": doc.get("escalation_level", 0),
        "breached": doc.get("breached", []),
        "supporters": int(doc.get("supporters", 0)),
    }


def _timeline_entry(
    event: Mapping[str, Any], etype: str, data: Mapping[str, Any], at: datetime
) -> dict[str, Any]:
    actor = event.get("actor") or {}
    entry: dict[str, Any] = {
        "sequence": int(event["sequence"]),
        "id": event.get("id"),
        "type": etype,
        "at": at,
        "actor": {
            "id": actor.get("id"),
            "role": actor.get("role"),
            "department": actor.get("department"),
        },
    }
    entry.update({k: v for k, v in data.items() if k not in PRIVATE_DATA})
    return entry


def evolve_document(
    old: dict[str, Any] | None,
    cid: str,
    event: Mapping[str, Any],
    etype: str,
    data: Mapping[str, Any],
    at: datetime,
    directory: Directory,
) -> dict[str, Any]:
    doc: dict[str, Any] = dict(old) if old else {"_id": cid, "version": 0, "timeline": []}
    doc["version"] = int(event["sequence"])
    doc["updated_at"] = at
    doc["timeline"] = [*doc["timeline"], _timeline_entry(event, etype, data, at)]
    status = status_after_wire(etype, data)
    if status is not None:
        doc["status"] = status
    match etype:
        case "complaint.submitted":
            location = dict(data["location"])
            doc.update(
                tracking_code=data["tracking_code"],
                description=data["description"],
                language=data.get("language", "th"),
                location=location,
                cell=geohash(location["lat"], location["lon"], CELL_PRECISION),
                category=data.get("category_chosen"),
                category_chosen=data.get("category_chosen"),
                channel=data.get("channel"),
                photos=list(data.get("photos") or []),
                reporter=dict(data.get("reporter") or {}),
                submitted_at=at,
                escalation_level=0,
                breached=[],
            )
        case "complaint.classified":
            doc.update(category=data["category"], classification=data.get("classification"))
        case "complaint.routed":
            doc.update(
                department=data["department"],
                triage=bool(data.get("triage")),
                routed_at=at,
                clock_from=at,
                acknowledge_by=parse_time(data["acknowledge_by"]),
                resolve_by=parse_time(data["resolve_by"]),
            )
        case "complaint.rerouted" | "complaint.reopened":
            doc.update(
                acknowledge_by=parse_time(data["acknowledge_by"]),
                resolve_by=parse_time(data["resolve_by"]),
                clock_from=at,
                breached=[],
                escalation_level=0,
                escalated_to=None,
            )
            if etype == "complaint.rerouted":
                doc["department"] = data["department"]
            else:
                doc.update(resolved_at=None, closed_at=None)
        case "complaint.forwarded":
            doc.update(department=data["agency"], forwarded_at=at)
        case "complaint.marked_duplicate":
            doc.update(duplicate_of=data["original_id"])
        case "complaint.acknowledged":
            doc.update(department=data["department"], acknowledged_at=at)
        case "complaint.assigned":
            doc.update(assignee=data["assignee"])
        case "complaint.recategorized":
            doc.update(category=data["category"])
        case "complaint.location_corrected":
            location = dict(data["location"])
            doc.update(
                location=location,
                cell=geohash(location["lat"], location["lon"], CELL_PRECISION),
            )
        case "complaint.note_added":
            if data.get("public", True):
                doc["last_public_note"] = data.get("text")
        case "complaint.resolved":
            doc.update(resolved_at=at, resolution=data.get("note"))
            doc["last_public_note"] = data.get("note")
        case "complaint.rejected":
            doc.update(rejected_at=at, last_public_note=data.get("reason"))
        case "complaint.closed":
            doc.update(closed_at=at)
        case "complaint.supported":
            doc["supporters"] = int(doc.get("supporters", 0)) + 1
        case "complaint.rated":
            doc.update(rating=data["rating"], rating_comment=data.get("comment"))
        case "complaint.sla_breached":
            doc["breached"] = sorted({*doc.get("breached", []), data["stage"]})
        case "complaint.escalated":
            doc.update(
                escalation_level=max(doc.get("escalation_level", 0), int(data["level"])),
                escalated_to=data.get("to"),
                next_escalation_at=data.get("next_escalation_at")
                and parse_time(data["next_escalation_at"]),
            )
        case "complaint.reporter_data_erased":
            doc["reporter"] = {"erased": True}
    category = directory.category(doc.get("category") or "")
    if category is not None and category.sensitive:
        doc["sensitive"] = True  # staff conduct, welfare: on no public list or map
    else:
        doc.pop("sensitive", None)
    code = doc.get("department")
    if code != (old or {}).get("department"):
        department = directory.department(code or "")
        if department is not None:
            doc["department_name"] = {"th": department.name_th, "en": department.name_en}
    return doc
