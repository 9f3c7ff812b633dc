"""Reporting's query API: complaints, tracking, department queues and statistics,
department health, public statistics, hotspots, and Open311 GeoReport v2 reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kandoo.events.auth import Caller, InvalidToken, caller_from
from kandoo.events.geo import geohash_bounds
from kandoo.events.values import Role
from kandoo.reporting.adapters.store import Doc, ReadModels
from kandoo.reporting.bootstrap import Reporting, build
from kandoo.reporting.domain import views
from kandoo.reporting.domain.projection import OPEN
from kandoo.reporting.settings import ReportingSettings

STAFF = {Role.DEPT_ADMIN, Role.SUPERVISOR, Role.CLERK, Role.ANALYST, Role.SYSTEM}
MESSAGES = {
    "not_found": ("ไม่พบเรื่องร้องเรียนนี้", "No such complaint"),
    "unknown_department": ("ไม่พบหน่วยงานนี้", "No such department"),
    "invalid_token": ("โทเค็นไม่ถูกต้องหรือหมดอายุ", "The token is invalid or expired"),
    "staff_only": ("สำหรับเจ้าหน้าที่เท่านั้น", "For municipal staff only"),
    "bad_range": ("ช่วงวันที่ไม่ถูกต้อง", "Invalid date range"),
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, language: str, field: str | None = None) -> None:
        th, en = MESSAGES[code]
        self.status, self.code = status, code
        self.message = th if language == "th" else en
        self.fields = [{"field": field, "reason": self.message}] if field else []


def language(accept_language: Annotated[str | None, Header()] = None) -> str:
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "th"


async def reporting(request: Request) -> Reporting:
    found: Reporting = request.app.state.reporting
    return found


async def models(r: Annotated[Reporting, Depends(reporting)]) -> ReadModels:
    return await r.models()


async def caller(
    r: Annotated[Reporting, Depends(reporting)],
    lang: Annotated[str, Depends(language)],
    authorization: Annotated[str | None, Header()] = None,
) -> Caller:
    try:
        return caller_from(authorization, None, r.settings.jwt_secret)
    except InvalidToken as exc:
        raise ApiError(401, "invalid_token", lang) from exc


async def staff(
    who: Annotated[Caller, Depends(caller)], lang: Annotated[str, Depends(language)]
) -> Caller:
    if who.actor.role not in STAFF:
        raise ApiError(403, "staff_only", lang)
    return who


ReportingDep = Annotated[Reporting, Depends(reporting)]
ModelsDep = Annotated[ReadModels, Depends(models)]
LanguageDep = Annotated[str, Depends(language)]
CallerDep = Annotated[Caller, Depends(caller)]
StaffDep = Annotated[Caller, Depends(staff)]


def create_app(settings: ReportingSettings | None = None, r: Reporting | None = None) -> FastAPI:
    found = r or build(settings or ReportingSettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.reporting = found
        if r is None:  # built here, so run here
            await found.start()
        try:
            yield
        finally:
            if r is None:
                await found.stop()

    app = FastAPI(
        title="Kandoo reporting",
        version="1",
        description="Read models of Hua Hin's complaints: queues, statistics, hotspots, "
        "and Open311 GeoReport v2 reads. Errors: {code, message, fields}, in the language "
        "of Accept-Language (Thai unless it asks for English).",
        lifespan=lifespan,
    )
    app.state.reporting = found

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        if request.url.path.startswith("/open311/"):
            return JSONResponse([{"code": exc.status, "description": exc.message}], exc.status)
        body = {"code": exc.code, "message": exc.message, "fields": exc.fields}
        return JSONResponse(body, exc.status)

    _routes(app)
    return app


def _routes(app: FastAPI) -> None:
    @app.get("/v1/complaints/{complaint_id}", tags=["complaints"])
    async def get_complaint(
        complaint_id: str, m: ModelsDep, who: CallerDep, lang: LanguageDep
    ) -> dict[str, Any]:
        """One complaint with its timeline. Reporter contact only for the owning department."""
        doc = await m["complaints"].find_one({"_id": complaint_id})
        if doc is None or (doc.get("defect") and not doc.get("status")):
            raise ApiError(404, "not_found", lang, "complaint_id")
        return await _complaint_view(m, doc, who)

    @app.get("/v1/track/{tracking_code}", tags=["complaints"])
    async def track(tracking_code: str, m: ModelsDep, lang: LanguageDep) -> dict[str, Any]:
        """The public view of a complaint, by the code the reporter was given."""
        link = await m["tracking"].find_one({"_id": tracking_code.strip().upper()})
        doc = link and await m["complaints"].find_one({"_id": link["complaint_id"]})
        if not doc:
            raise ApiError(404, "not_found", lang, "tracking_code")
        return views.public(doc, await _told(m, doc["_id"]), await _followers(m, doc["_id"]))

    @app.get("/v1/departments/health", tags=["departments"])
    async def health(r: ReportingDep, m: ModelsDep, who: StaffDep) -> list[dict[str, Any]]:
        """Per department: active admins, open, overdue, oldest unacknowledged, breach rate."""
        counters = {d["_id"]: d for d in await m["departments"].find({}).to_list()}
        queue = await m["queue"].find({}).to_list()
        return views.health(r.directory, counters, queue, r.clock())

    @app.get("/v1/departments/{code}/queue", tags=["departments"])
    async def queue(
        code: str,
        r: ReportingDep,
        m: ModelsDep,
        who: StaffDep,
        lang: LanguageDep,
        status: str | None = None,
        category: str | None = None,
        overdue: bool | None = None,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """Open items of a department, the most urgent (earliest due) first."""
        if r.directory.department(code) is None:
            raise ApiError(404, "unknown_department", lang, "code")
        query: dict[str, Any] = {"department": code}
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
            "department": code,
            "total": len(items),
            "page": page,
            "page_size": page_size,
            "items": [views.queue_item(i, now) for i in items[start : start + page_size]],
        }

    @app.get("/v1/departments/{code}/stats", tags=["departments"])
    async def department_stats(
        code: str,
        r: ReportingDep,
        m: ModelsDep,
        who: StaffDep,
        lang: LanguageDep,
        from_: Annotated[date | None, Query(alias="from")] = None,
        to: date | None = None,
    ) -> dict[str, Any]:
        """Daily counts and time-to-acknowledge / time-to-resolve percentiles (minutes)."""
        if r.directory.department(code) is None:
            raise ApiError(404, "unknown_department", lang, "code")
        first, last = _days(from_, to, lang, r.clock())
        docs = await m["stats"].find({"department": code}).to_list()
        docs = [d for d in docs if first <= d["day"] <= last]
        return {"department": code, "from": first, "to": last, **views.stats(docs)}

    @app.get("/v1/stats/public", tags=["public"])
    async def public_stats(
        r: ReportingDep,
        m: ModelsDep,
        lang: LanguageDep,
        from_: Annotated[date | None, Query(alias="from")] = None,
        to: date | None = None,
    ) -> dict[str, Any]:
        """For transparency: counts and median times by department and category."""
        first, last = _days(from_, to, lang, r.clock())
        docs = [d for d in await m["stats"].find({}).to_list() if first <= d["day"] <= last]
        return {"from": first, "to": last, **views.public_stats(docs)}

    @app.get("/v1/hotspots", tags=["public"])
    async def hotspots(
        m: ModelsDep,
        category: str | None = None,
        status: Literal["open", "all"] = "open",
    ) -> dict[str, Any]:
        """Complaints per ~150 m cell (geohash 7) as a GeoJSON FeatureCollection."""
        cells: dict[str, dict[str, Any]] = {}
        for doc in await m["hotspots"].find({}).to_list():
            for cat, state, n in views.hotspot_counts(doc):
                if (
                    n <= 0
                    or (category and cat != category)
                    or (status == "open" and state not in OPEN)
                ):
                    continue
                cell = cells.setdefault(
                    doc["cell"], {"count": 0, "by_category": {}, "by_status": {}}
                )
                cell["count"] += n
                for key, name in (("by_category", cat), ("by_status", state)):
                    cell[key][name] = cell[key].get(name, 0) + n
        return {
            "type": "FeatureCollection",
            "features": [_cell_feature(c, props) for c, props in sorted(cells.items())],
        }

    @app.get("/open311/v2/requests.json", tags=["open311"])
    async def open311_requests(
        r: ReportingDep,
        m: ModelsDep,
        lang: LanguageDep,
        service_request_id: str | None = None,
        service_code: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        status: Literal["open", "closed"] | None = None,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        """Service requests, newest first. Dates at most 90 days apart (default: last 90)."""
        if service_request_id:
            ids = [i.strip() for i in service_request_id.split(",") if i.strip()]
            docs = [d for d in (await m.load("complaints", ids)).values() if d.get("status")]
        else:
            end = end_date or r.clock()
            start = start_date or end - timedelta(days=90)
            end, start = _aware(end), _aware(start)
            if start > end or end - start > timedelta(days=90):
                raise ApiError(400, "bad_range", lang, "start_date")
            docs = (
                await m["complaints"].find({"submitted_at": {"$gte": start, "$lte": end}}).to_list()
            )
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
            views.open311(d, r.directory, r.settings.intake_public_url)
            for d in docs[start_at : start_at + page_size]
        ]

    @app.get("/open311/v2/requests/{request_id}.json", tags=["open311"])
    async def open311_request(
        request_id: str, r: ReportingDep, m: ModelsDep, lang: LanguageDep
    ) -> list[dict[str, Any]]:
        doc = await m["complaints"].find_one({"_id": request_id})
        if doc is None or not doc.get("status"):
            raise ApiError(404, "not_found", lang, "service_request_id")
        return [views.open311(doc, r.directory, r.settings.intake_public_url)]

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics(r: ReportingDep) -> Response:
        return Response(generate_latest(r.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    async def readyz(r: ReportingDep) -> JSONResponse:
        if r.ready():
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "starting"}, 503)


async def _told(m: ReadModels, complaint_id: str) -> list[Doc]:
    doc = await m["told"].find_one({"_id": complaint_id})
    return list((doc or {}).get("entries") or [])


async def _followers(m: ReadModels, complaint_id: str) -> Doc:
    return await m["followers"].find_one({"_id": complaint_id}) or {}


async def _complaint_view(m: ReadModels, doc: Doc, who: Caller) -> dict[str, Any]:
    told, followers = await _told(m, doc["_id"]), await _followers(m, doc["_id"])
    actor = who.actor
    owning = actor.role in (Role.DEPT_ADMIN, Role.SUPERVISOR) and actor.department == doc.get(
        "department"
    )
    if owning or actor.role in (Role.CLERK, Role.SYSTEM):
        return views.staff(doc, told, followers)
    return views.public(doc, told, followers)


def _days(first: date | None, last: date | None, lang: str, now: datetime) -> tuple[str, str]:
    last = last or now.date()
    first = first or last - timedelta(days=30)
    if first > last:
        raise ApiError(400, "bad_range", lang, "from")
    return first.isoformat(), last.isoformat()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cell_feature(cell: str, props: dict[str, Any]) -> dict[str, Any]:
    south, west, north, east = geohash_bounds(cell)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"cell": cell, "center": [(west + east) / 2, (south + north) / 2], **props},
    }
