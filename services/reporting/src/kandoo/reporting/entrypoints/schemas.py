"""What reporting's API answers, as models, so the OpenAPI document describes every
response. Timeline entries and notices carry their event's own fields besides the ones
named here (`extra` is allowed and kept)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Names(Out):
    th: str
    en: str


class ActorOut(Out):
    role: str | None = None
    department: str | None = None
    id: str | None = Field(default=None, description="Staff views only")


class TimelineEntry(Out):
    """One event of the complaint, with its data (no personal data in public views)."""

    sequence: int
    type: str = Field(description="CloudEvents type, e.g. complaint.acknowledged")
    at: datetime
    actor: ActorOut


class Told(Out):
    """A message notify sent (or tried to) about the complaint."""

    at: datetime | str | None = None
    type: str | None = Field(default=None, description="notification.sent, .failed, ...")
    event_type: str | None = None
    recipient_role: str | None = None
    channel: str | None = None
    attempt: int | None = None


class Place(Out):
    lat: float | None = None
    lon: float | None = None
    address_text: str | None = None


class ComplaintView(Out):
    """A complaint as the public sees it (staff of the owning department see more)."""

    id: str
    tracking_code: str | None = None
    status: str | None = None
    category: str | None = None
    department: str | None = None
    department_name: Names | None = None
    language: str | None = None
    channel: str | None = None
    photos: list[str] | None = None
    submitted_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    acknowledge_by: datetime | None = None
    resolve_by: datetime | None = None
    duplicate_of: str | None = None
    escalation_level: int | None = None
    breached: list[str] | None = None
    rating: int | None = None
    resolution: str | None = None
    description: str | None = None
    location: Place
    timeline: list[TimelineEntry]
    notifications: list[Told]
    followers: int = Field(description="Complaints marked duplicates of this one")
    supporters: int | None = Field(default=None, description='Citizens who said "me too"')
    duplicates: list[str]
    reporter: dict[str, Any] | None = Field(default=None, description="Staff views only")
    assignee: str | None = Field(default=None, description="Staff views only")
    rating_comment: str | None = Field(default=None, description="Staff views only")
    classification: dict[str, Any] | None = Field(default=None, description="Staff views only")
    category_chosen: str | None = Field(default=None, description="Staff views only")
    triage: bool | None = Field(default=None, description="Staff views only")
    defect: Any = Field(default=None, description="Staff views only: a gap in the log")


class QueueItem(Out):
    id: str
    department: str
    tracking_code: str | None = None
    status: str
    category: str
    due: datetime | None = None
    due_stage: Literal["acknowledge", "resolve"]
    acknowledge_by: datetime | None = None
    resolve_by: datetime | None = None
    submitted_at: datetime | None = None
    summary: str = Field(description="The description's first 140 characters")
    location: dict[str, Any] | None = None
    address_text: str | None = None
    assignee: str | None = None
    escalation_level: int = 0
    breached: list[str] = []
    supporters: int = 0
    overdue: bool


class QueuePage(Out):
    department: str
    total: int
    page: int
    page_size: int
    items: list[QueueItem]


class Admin(Out):
    id: str = Field(description="Staff id")
    name: str


class DepartmentHealth(Out):
    department: str
    name: Names
    external: bool
    active_admins: int
    admins: list[Admin] = Field(default=[], description="The active admins, as the roster has them")
    without_admin: bool = Field(description="No active admin: its reports wait unseen")
    open: int
    unacknowledged: int
    overdue: int
    oldest_unacknowledged_at: datetime | None = None
    oldest_unacknowledged_hours: float | None = None
    submitted: int
    resolved: int
    breached: int
    breach_rate: float


class Percentiles(Out):
    p50: float | None = None
    p90: float | None = None


class Summary(Out):
    submitted: int
    acknowledged: int
    resolved: int
    breached: int
    time_to_acknowledge_min: Percentiles
    time_to_resolve_min: Percentiles


class DepartmentStats(Out):
    department: str
    from_: str = Field(alias="from")
    to: str
    totals: Summary
    by_category: dict[str, Summary]
    by_day: dict[str, Summary]


class DepartmentSummary(Summary):
    by_category: dict[str, Summary]


class PublicStats(Out):
    from_: str = Field(alias="from")
    to: str
    totals: Summary
    departments: dict[str, DepartmentSummary]


class CellProperties(Out):
    cell: str = Field(description="Geohash of the ~150 m cell")
    center: list[float] = Field(description="[lon, lat]")
    count: int
    by_category: dict[str, int]
    by_status: dict[str, int]


class Polygon(Out):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class CellFeature(Out):
    type: Literal["Feature"]
    geometry: Polygon
    properties: CellProperties


class Hotspots(Out):
    """A GeoJSON FeatureCollection of cells."""

    type: Literal["FeatureCollection"]
    features: list[CellFeature]


class PointGeometry(Out):
    type: Literal["Point"]
    coordinates: list[float] = Field(description="[lon, lat]")


class NearbyProperties(Out):
    id: str
    tracking_code: str | None = None
    status: str
    category: str
    summary: str
    submitted_at: datetime | None = None
    supporters: int = 0
    distance_m: float | None = Field(default=None, description="From the asked point")


class NearbyFeature(Out):
    type: Literal["Feature"]
    geometry: PointGeometry
    properties: NearbyProperties


class Nearby(Out):
    """Open reports as a GeoJSON FeatureCollection of points."""

    type: Literal["FeatureCollection"]
    features: list[NearbyFeature]
    truncated: bool = Field(description="More matched than `limit`")


class ServiceRequest(Out):
    """Open311 GeoReport v2 service request."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: str | None = None
    updated_datetime: str | None = None
    expected_datetime: str | None = None
    address: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


class Problem(Out):
    code: str
    message: str
    fields: list[dict[str, str]] = []


class Open311Error(Out):
    code: int
    description: str
