"""Reporting's queries: each use case reads the read models of the current generation and
returns what the API answers. Routers only parse parameters and check who asks.

(The projection and the replays are the other use cases: `adapters.projector`,
`adapters.replay`, driven by the service's start and by the CLI.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kandoo.events.auth import Caller
from kandoo.events.geo import geohash_bounds
from kandoo.events.values import Role
from kandoo.reporting.adapters.store import Doc, ReadModels
from kandoo.reporting.bootstrap import Reporting
from kandoo.reporting.domain import views
from kandoo.reporting.domain.documents import OPEN

OPEN311_MAX_RANGE = timedelta(days=90)


class NotFound(LookupError):
    """No such complaint (or tracking code)."""


class BadRange(ValueError):
    """A date range the query does not serve."""


async def _told(m: ReadModels, complaint_id: str) -> list[Doc]:
    doc = await m["told"].find_one({"_id": complaint_id})
    return list((doc or {}).get("entries") or [])


async def _followers(m: ReadModels, complaint_id: str) -> Doc:
    return await m["followers"].find_one({"_id": complaint_id}) or {}


async def complaint(m: ReadModels, complaint_id: str, who: Caller) -> dict[str, Any]:
    """One complaint with its timeline: the staff view for the owning department, the
    clerk and the system, the public view for anyone else."""
    doc = await m["complaints"].find_one({"_id": complaint_id})
    if doc is None or (doc.get("defect") and not doc.get("status")):
        raise NotFound(complaint_id)
    told, followers = await _told(m, doc["_id"]), await _followers(m, doc["_id"])
    actor = who.actor
    owning = actor.role in (Role.DEPT_ADMIN, Role.SUPERVISOR) and actor.department == doc.get(
        "department"
    )
    if owning or actor.role in (Role.CLERK, Role.SYSTEM):
        return views.staff(doc, told, followers)
    return views.public(doc, told, followers)


async def tracked(m: ReadModels, tracking_code: str) -> dict[str, Any]:
    """The public view of a complaint, by the code the reporter was given."""
    link = await m["tracking"].find_one({"_id": tracking_code.strip().upper()})
    doc = link and await m["complaints"].find_one({"_id": link["complaint_id"]})
    if not doc:
        raise NotFound(tracking_code)
    return views.public(doc, await _told(m, doc["_id"]), await _followers(m, doc["_id"]))


async def health(r: Reporting, m: ReadModels) -> list[dict[str, Any]]:
    counters = {d["_id"]: d for d in await m["departments"].find({}).to_list()}
    queue = await m["queue"].find({}).to_list()
    return views.health(r.directory, counters, queue, r.clock())


async def queue(
    r: Reporting,
    m: ReadModels,
    department: str,
    status: str | None,
    category: str | None,
    overdue: bool | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    query: dict[str, Any] = {"department": department}
    if status:
        query["status"] = status
    if category:
        query["category"] = category
    items = await m["queue"].find(query).to_list()
    now = r.clock()
    if overdue is not None:
        items = [i for i in items if bool(i.get("due") and i["due"] < now) == overdue]
    items.sort(key=lambda i: (i.get("due") or datetime.max.replace(tzinfo=UTC), i["_id"]))
    start = (page - 1) * page_size
    return {
        "department": department,
        "total": len(items),
        "page": page,
        "page_size": page_size,
        "items": [views.queue_item(i, now) for i in items[start : start + page_size]],
    }


async def department_stats(m: ReadModels, department: str, first: str, last: str) -> dict[str, Any]:
    docs = await m["stats"].find({"department": department}).to_list()
    docs = [d for d in docs if first <= d["day"] <= last]
    return {"department": department, "from": first, "to": last, **views.stats(docs)}


async def public_stats(m: ReadModels, first: str, last: str) -> dict[str, Any]:
    docs = [d for d in await m["stats"].find({}).to_list() if first <= d["day"] <= last]
    return {"from": first, "to": last, **views.public_stats(docs)}


async def hotspots(m: ReadModels, category: str | None, open_only: bool) -> dict[str, Any]:
    cells: dict[str, dict[str, Any]] = {}
    for doc in await m["hotspots"].find({}).to_list():
        for cat, state, n in views.hotspot_counts(doc):
            if n <= 0 or (category and cat != category) or (open_only and state not in OPEN):
                continue
            cell = cells.setdefault(doc["cell"], {"count": 0, "by_category": {}, "by_status": {}})
            cell["count"] += n
            for key, name in (("by_category", cat), ("by_status", state)):
                cell[key][name] = cell[key].get(name, 0) + n
    return {
        "type": "FeatureCollection",
        "features": [_cell_feature(c, props) for c, props in sorted(cells.items())],
    }


def _cell_feature(cell: str, props: dict[str, Any]) -> dict[str, Any]:
    south, west, north, east = geohash_bounds(cell)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"cell": cell, "center": [(west + east) / 2, (south + north) / 2], **props},
    }


async def service_requests(
    r: Reporting,
    m: ReadModels,
    ids: list[str] | None,
    service_code: str | None,
    start: datetime | None,
    end: datetime | None,
    status: str | None,
    page: int,
    page_size: int,
) -> list[dict[str, Any]]:
    """Open311 service requests, newest first; dates at most 90 days apart."""
    if ids:
        docs = [d for d in (await m.load("complaints", ids)).values() if d.get("status")]
    else:
        last = _aware(end or r.clock())
        first = _aware(start or last - OPEN311_MAX_RANGE)
        if first > last or last - first > OPEN311_MAX_RANGE:
            raise BadRange("start_date")
        docs = await m["complaints"].find({"submitted_at": {"$gte": first, "$lte": last}}).to_list()
    docs = [
        d
        for d in docs
        if d.get("status")
        and (not service_code or d.get("category") == service_code)
        and (not status or views.open311_status(d) == status)
    ]
    docs.sort(key=lambda d: d["submitted_at"], reverse=True)
    start_at = (page - 1) * page_size
    return [
        views.open311(d, r.directory, r.settings.public_url)
        for d in docs[start_at : start_at + page_size]
    ]


async def service_request(r: Reporting, m: ReadModels, request_id: str) -> dict[str, Any]:
    doc = await m["complaints"].find_one({"_id": request_id})
    if doc is None or not doc.get("status"):
        raise NotFound(request_id)
    return views.open311(doc, r.directory, r.settings.public_url)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
