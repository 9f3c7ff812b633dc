"""Reporting's queries: each use case reads the read models of the current generation and
returns what the API answers. Routers only parse parameters and check who asks.

(The projection and the replays are the other use cases: `adapters.projector`,
`adapters.replay`, driven by the service's start and by the CLI.)
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from kandoo.events.auth import Caller
from kandoo.events.geo import cells_covering, distance_m, geohash_bounds
from kandoo.events.values import Role
from kandoo.reporting.adapters.store import Doc, ReadModels
from kandoo.reporting.bootstrap import Reporting
from kandoo.reporting.domain import open311_pages, statistics, views
from kandoo.reporting.domain.documents import (
    AREA_PRECISION,
    NEARBY_PRECISION,
    OPEN,
    day_bucket,
    members,
    month_of,
    tracking_bucket,
    unpack,
)
from kandoo.reporting.domain.paging import before, covering
from kandoo.reporting.domain.queues import QueueBuckets
from kandoo.runtime.personal import KeyStore

OPEN311_MAX_RANGE = timedelta(days=90)
NEARBY_MAX_CELLS = 64
"""A view of open reports as points reads at most this many ~150 m cells (about 1.2 km
square); a wider view shows hotspot cells instead."""
NEARBY_MAX_ITEMS = 200


class NotFound(LookupError):
    """No such complaint (or tracking code)."""


class BadRange(ValueError):
    """A date range the query does not serve."""


async def _told(m: ReadModels, complaint_id: str) -> list[Doc]:
    doc = await m["told"].find_one({"_id": complaint_id})
    return list((doc or {}).get("entries") or [])


async def _followers(m: ReadModels, complaint_id: str) -> Doc:
    return await m["followers"].find_one({"_id": complaint_id}) or {}


async def complaint(
    m: ReadModels, complaint_id: str, who: Caller, keys: KeyStore | None = None
) -> dict[str, Any]:
    """One complaint with its timeline: the staff view for the owning department, the
    clerk and the system (the reporter's contact opened with its key, or erased), the
    public view for anyone else."""
    doc = await m.complaint(complaint_id)
    if doc is None or (doc.get("defect") and not doc.get("status")):
        raise NotFound(complaint_id)
    told, followers = await _told(m, doc["_id"]), await _followers(m, doc["_id"])
    actor = who.actor
    owning = actor.role in (Role.DEPT_ADMIN, Role.SUPERVISOR) and actor.department == doc.get(
        "department"
    )
    of_all = actor.role is Role.SUPERVISOR and actor.department is None  # the mayor's office
    if owning or of_all or actor.role in (Role.CLERK, Role.SYSTEM):
        out = views.staff(doc, told, followers)
        if keys is not None and out.get("reporter"):
            out["reporter"] = await keys.open(doc["_id"], out["reporter"])
        return out
    return views.public(doc, told, followers)


async def tracked(m: ReadModels, tracking_code: str) -> dict[str, Any]:
    """The public view of a complaint, by the code the reporter was given."""
    code = tracking_code.strip().upper()
    link = await m["tracking"].find_one({"_id": tracking_bucket(code)}) or {}
    cid = (link.get("codes") or {}).get(code)
    doc = cid and await m.complaint(cid)
    if not doc:
        raise NotFound(tracking_code)
    return views.public(doc, await _told(m, doc["_id"]), await _followers(m, doc["_id"]))


async def health(r: Reporting, m: ReadModels) -> list[dict[str, Any]]:
    """Per department, from its counters document and at most two bucket documents (the
    day now due, for exact overdue counts; the oldest waiting day)."""
    codes = [d.code for d in r.directory.departments]
    counters = await m.load("departments", codes)
    now = r.clock()
    figures = await asyncio.gather(
        *(_waiting_figures(m, counters.get(c, {}), c, now) for c in codes)
    )
    return views.health(r.directory, counters, dict(zip(codes, figures, strict=True)), now)


async def _waiting_figures(m: ReadModels, counters: Doc, code: str, now: datetime) -> views.Waiting:
    months = sorted(x for x, n in (counters.get("w") or {}).items() if n > 0)
    oldest = None
    if months:  # the oldest month waiting, its oldest day, that day's items
        days = (await _days_of(m, code, months[0])).get("w") or {}
        first = min((d for d, n in days.items() if n > 0), default=None)
        doc = (first and await m["waiting"].find_one({"_id": f"{code}|{first}"})) or {}
        oldest = min((line for _, line in members(doc)), default=None)
    overdue = await _overdue(m, QueueBuckets.of(counters), code, now, lambda key: True)
    return views.Waiting(sum(n for n in (counters.get("w") or {}).values()), overdue, oldest)


async def _days_of(m: ReadModels, code: str, month: str) -> Doc:
    """A department's counters of one month by day (`qdays`)."""
    return await m["qdays"].find_one({"_id": f"{code}|{month}"}) or {}


async def _overdue(
    m: ReadModels, months: QueueBuckets, code: str, now: datetime, wanted: Callable[[str], bool]
) -> int:
    """Open items due before `now`: whole months and days by their counts, the day now
    due read."""
    today = day_bucket(now)
    count = sum(months.count(x, wanted) for x in months.ordered() if x < month_of(today))
    if months.count(month_of(today), wanted):
        days = QueueBuckets.of(await _days_of(m, code, month_of(today)))
        count += sum(days.count(d, wanted) for d in days.ordered() if d < today)
        if days.count(today, wanted):
            items = await _bucket_items(m, code, today)
            count += sum(1 for i in items if wanted(i["key"]) and i["due"] and i["due"] < now)
    return count


async def _bucket_items(m: ReadModels, code: str, bucket: str) -> list[dict[str, Any]]:
    doc = await m["queues"].find_one({"_id": f"{code}|{bucket}"}) or {}
    out = []
    for cid, packed in members(doc):
        item = unpack(packed)
        out.append({"_id": cid, "department": code, **item, "key": QueueBuckets.key_of(item)})
    return out


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
    """A department's open items, most urgent first: the counters say which due-day
    buckets hold the page, and only those are read (skipped pages cost nothing)."""
    counters = await m["departments"].find_one({"_id": department}) or {}
    months = QueueBuckets.of(counters)
    now = r.clock()
    today = day_bucket(now)

    def wanted(key: str) -> bool:
        got_status, got_category = key.split("|", 1)
        return (not status or got_status == status) and (not category or got_category == category)

    def fits(item: dict[str, Any]) -> bool:
        late = bool(item.get("due") and item["due"] < now)
        return wanted(item["key"]) and (overdue is None or late == overdue)

    def day_counts(days: QueueBuckets, mixed: int) -> list[tuple[str, int]]:
        out = []
        for day in days.ordered():
            if overdue is not None and day != today and (day < today) != overdue:
                continue
            if n := mixed if overdue is not None and day == today else days.count(day, wanted):
                out.append((day, n))
        return out

    # Units of paging: months by their counts; the month of today by day when overdue is
    # asked (today's items are counted from the bucket: some are late, some not yet).
    by_day: dict[str, list[tuple[str, int]]] = {}
    if overdue is not None and months.count(month_of(today), wanted):
        days = QueueBuckets.of(await _days_of(m, department, month_of(today)))
        mixed = 0
        if days.count(today, wanted):
            mixed = sum(1 for i in await _bucket_items(m, department, today) if fits(i))
        by_day[month_of(today)] = day_counts(days, mixed)
    units: list[tuple[str, int]] = []
    for month in months.ordered():
        if month in by_day:
            units += by_day[month]
        elif (overdue is None or (month < month_of(today)) == overdue) and (
            n := months.count(month, wanted)
        ):
            units.append((month, n))
    start = (page - 1) * page_size
    chosen = covering(units, start, page_size)
    skipped = before(units, chosen)
    # the chosen months' days, then the days that hold the page
    wide = [unit for unit, _ in chosen if len(unit) == 6]
    found = await asyncio.gather(*(_days_of(m, department, month) for month in wide))
    expanded = {
        month: day_counts(QueueBuckets.of(doc), 0) for month, doc in zip(wide, found, strict=True)
    }
    days_chosen = [d for unit, n in chosen for d in expanded.get(unit, [(unit, n)])]
    needed = covering(days_chosen, start - skipped, page_size)
    loaded = await asyncio.gather(*(_bucket_items(m, department, day) for day, _ in needed))
    items = sorted(
        (i for found in loaded for i in found if fits(i)),
        key=lambda i: (i.get("due") or datetime.max.replace(tzinfo=UTC), i["_id"]),
    )
    begin = start - skipped - before(days_chosen, needed)
    seen = sum(n for _, n in units)
    return {
        "department": department,
        "total": seen,
        "page": page,
        "page_size": page_size,
        "items": [views.queue_item(i, now) for i in items[begin : begin + page_size]],
    }


async def _stats(r: Reporting, m: ReadModels, ids: list[str]) -> dict[str, Doc]:
    """Statistics documents by id: this month's read now, those of past months from memory
    (a past month changes only when a report of it is routed late, from triage: its figures
    may be `stats_history_max_age_s` behind)."""
    this_month = r.clock().astimezone(r.directory.municipality.zone).strftime("%Y-%m")
    past = [i for i in ids if i.split("|")[1][:7] < this_month]
    now = [i for i in ids if i.split("|")[1][:7] >= this_month]
    age = r.settings.stats_history_max_age_s
    old, new = await asyncio.gather(r.memory.load(m, "stats", past, age), m.load("stats", now))
    return {**old, **new}


async def _collect(
    r: Reporting, m: ReadModels, owner: str, first: str, last: str, per_day: bool
) -> statistics.Collected:
    """The counts of `owner` (a department, or `*` for the city) between two days; per
    day too when `per_day`."""
    known = await m["stats"].find_one({"_id": f"{owner}|months"}) or {}
    plan = statistics.months_in(first, last, known.get("months") or {})
    whole = [month for month in plan.months if month in plan.whole]
    cut = [month for month in plan.months if month not in plan.whole]
    months, month_days = await asyncio.gather(
        _stats(r, m, [f"{owner}|{month}" for month in whole]),
        _stats(r, m, [f"{owner}|{month}|days" for month in (plan.months if per_day else cut)]),
    )
    days_of = {doc_id.split("|")[1]: doc for doc_id, doc in month_days.items()}
    wanted = [
        f"{owner}|{day}"
        for month in cut
        for day in statistics.days_wanted(days_of.get(month, {}), first, last)
    ]
    days = (await _stats(r, m, wanted)).values()
    by_month = {doc_id.split("|", 1)[1]: doc for doc_id, doc in months.items()}
    shown = month_days.values() if per_day else []
    return statistics.collect(by_month, shown, days, plan, first, last)


async def department_stats(
    r: Reporting, m: ReadModels, department: str, first: str, last: str
) -> dict[str, Any]:
    found = await _collect(r, m, department, first, last, per_day=True)
    return {"department": department, "from": first, "to": last, **views.stats(found)}


async def public_stats(r: Reporting, m: ReadModels, first: str, last: str) -> dict[str, Any]:
    found = await _collect(r, m, "*", first, last, per_day=False)
    return {"from": first, "to": last, **views.public_stats(found)}


async def hotspots(
    r: Reporting,
    m: ReadModels,
    category: str | None,
    open_only: bool,
    bbox: tuple[float, float, float, float] | None = None,
) -> dict[str, Any]:
    """Complaints per cell in a (south, west, north, east) box (the municipality's when
    none is given): the open complaints' documents of the ~5 km areas it touches, and for
    all complaints the closed ones' too, read by id and served from memory while fresh
    enough (seconds for the open ones, a minute for the past)."""
    south, west, north, east = bbox or r.directory.bounds()
    areas = cells_covering(south, west, north, east, AREA_PRECISION)
    settings, memory = r.settings, r.memory
    wanted = [f"{a}|open" for a in areas]
    docs = list((await memory.load(m, "hotspots", wanted, settings.hotspot_max_age_s)).values())
    if not open_only:
        past, age = [f"{a}|closed" for a in areas], settings.hotspot_history_max_age_s
        docs += (await memory.load(m, "hotspots", past, age)).values()
    cells: dict[str, dict[str, Any]] = {}
    for doc in docs:
        for cell, cat, state, n in views.hotspot_counts(doc):
            if bbox is not None and not _in_box(cell, bbox):
                continue
            if n <= 0 or (category and cat != category) or (open_only and state not in OPEN):
                continue
            found = cells.setdefault(cell, {"count": 0, "by_category": {}, "by_status": {}})
            found["count"] += n
            for key, name in (("by_category", cat), ("by_status", state)):
                found[key][name] = found[key].get(name, 0) + n
    return {
        "type": "FeatureCollection",
        "features": [_cell_feature(c, props) for c, props in sorted(cells.items())],
    }


class TooWide(ValueError):
    """A box that covers more cells than a points view reads."""


async def open_nearby(
    m: ReadModels,
    south: float,
    west: float,
    north: float,
    east: float,
    centre: tuple[float, float] | None = None,
    radius_m: float | None = None,
    limit: int = NEARBY_MAX_ITEMS,
) -> dict[str, Any]:
    """Open reports as GeoJSON points: in a box, or within `radius_m` of `centre`, nearest
    first; at most `NEARBY_MAX_CELLS` documents read by id."""
    cells = cells_covering(south, west, north, east, NEARBY_PRECISION)
    if len(cells) > NEARBY_MAX_CELLS:
        raise TooWide(len(cells))
    found: list[tuple[float, str, Doc]] = []
    for doc in (await m.load("nearby", cells)).values():
        for cid, packed in members(doc):
            item = unpack(packed)
            lat, lon = float(item["lat"]), float(item["lon"])
            if not (south <= lat <= north and west <= lon <= east):
                continue
            distance = distance_m(centre, (lat, lon)) if centre else 0.0
            if radius_m is not None and distance > radius_m:
                continue
            found.append((distance, cid, item))
    found.sort(key=lambda f: (f[0], str(f[2].get("submitted_at")), f[1]))
    features = []
    for distance, cid, item in found[:limit]:
        props = {k: v for k, v in item.items() if k not in ("lat", "lon")}
        props["id"] = cid
        if centre:
            props["distance_m"] = round(distance, 1)
        geometry = {"type": "Point", "coordinates": [item["lon"], item["lat"]]}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features, "truncated": len(found) > limit}


def _in_box(cell: str, bbox: tuple[float, float, float, float]) -> bool:
    south, west, north, east = geohash_bounds(cell)
    return south <= bbox[2] and north >= bbox[0] and west <= bbox[3] and east >= bbox[1]


def _cell_feature(cell: str, props: dict[str, Any]) -> dict[str, Any]:
    geometry, center = _cell_shape(cell)
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"cell": cell, "center": center, **props},
    }


@functools.lru_cache(maxsize=1 << 16)
def _cell_shape(cell: str) -> tuple[dict[str, Any], list[float]]:
    """A cell's polygon and centre (a city has a few thousand cells: worked out once)."""
    south, west, north, east = geohash_bounds(cell)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}, [(west + east) / 2, (south + north) / 2]


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
    """Open311 service requests, newest first; dates at most 90 days apart. Read by the
    page: the month and day counters say which hours hold it, and only those are read."""
    if ids:
        found = (await m.complaints(ids)).values()
        docs = [d for d in found if d.get("status") and not d.get("sensitive")]
        docs = [d for d in docs if not service_code or d.get("category") == service_code]
        docs = [d for d in docs if not status or views.open311_status(d) == status]
        docs.sort(key=lambda d: d["submitted_at"], reverse=True)
        return [views.open311(d, r.directory, r.settings.public_url) for d in docs]
    last = _aware(end or r.clock())
    first = _aware(start or last - OPEN311_MAX_RANGE)
    if first > last or last - first > OPEN311_MAX_RANGE:
        raise BadRange("start_date")
    wanted = open311_pages.Wanted(status, service_code)
    window = open311_pages.Window(first, last)
    months = await m.load("o311", wanted.months(window.months()))
    offset = (page - 1) * page_size

    async def requests_of(day: str) -> list[Doc]:
        """The wanted requests of a day inside the window: its sets of the wanted kind and
        category, read by id."""
        found = (await m.load("o311", wanted.sets(day))).values()
        lines = [{"_id": cid, **unpack(x)} for d in found for cid, x in members(d)]
        return [line for line in lines if window.holds(line["submitted_at"])]

    days = window.days_with(months.values(), wanted)
    # The newest day, when the window cuts it, counted from its requests before paging;
    # the oldest (last in the list) is read only by a page that reaches it, where counting
    # it high only lets the last page end sooner.
    read: dict[str, list[Doc]] = {}
    if days and days[0][0] in window.cut_days():
        read[days[0][0]] = await requests_of(days[0][0])
        days[0] = (days[0][0], len(read[days[0][0]]))
    chosen = covering(days, offset, page_size)
    more = [day for day, _ in chosen if day not in read]
    read.update(zip(more, await asyncio.gather(*map(requests_of, more)), strict=True))
    listed = sorted(
        (request for day, _ in chosen for request in read[day]),
        key=lambda d: (d["submitted_at"], d["_id"]),
        reverse=True,
    )
    begin = offset - before(days, chosen)
    url = r.settings.public_url
    return [views.open311(d, r.directory, url) for d in listed[begin : begin + page_size]]


async def service_request(r: Reporting, m: ReadModels, request_id: str) -> dict[str, Any]:
    doc = await m.complaint(request_id)
    if doc is None or not doc.get("status") or doc.get("sensitive"):
        raise NotFound(request_id)
    return views.open311(doc, r.directory, r.settings.public_url)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
