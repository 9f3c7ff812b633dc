"""The municipality's directory: departments, admins, categories, SLAs, zones, jurisdiction.

Pure data, loaded from `deploy/config/directory.yaml`; nothing here is hard-coded for
Hua Hin. The lifecycle reads it through `Context`.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import Field, model_validator

from kandoo.events.geo import Point, contains
from kandoo.events.values import Frozen

MAYOR_OFFICE = "mayor_office"


class Person(Frozen):
    id: str = Field(description="Staff id, as in the tokens")
    name: str = Field(description="Name shown to colleagues")
    active: bool = Field(default=True, description="False while on leave or gone")
    language: str = Field(default="th", description="Language of messages to this person")
    notify: tuple[str, ...] = Field(default=(), description="Apprise URLs to reach this person")


class Department(Frozen):
    code: str
    name_th: str
    name_en: str
    external: bool = Field(default=False, description="An outside agency: complaints are forwarded")
    admins: tuple[Person, ...] = Field(default=(), description="Who acts on its complaints")
    supervisor: Person | None = Field(default=None, description="First level of escalation")

    def active_admins(self) -> tuple[Person, ...]:
        return tuple(a for a in self.admins if a.active)


class Category(Frozen):
    code: str
    name_th: str
    name_en: str
    department: str = Field(description="Department that acts by default")
    acknowledge_hours: float = Field(gt=0, description="SLA: acknowledge within")
    resolve_hours: float = Field(gt=0, description="SLA: resolve within")
    sensitive: bool = Field(
        default=False,
        description="Reports of this kind (staff conduct, welfare) are on no public list, "
        "map or Open311 answer; their public track page shows the status only",
    )


class Zone(Frozen):
    """An area where some categories go to another department (e.g. a national highway)."""

    code: str
    name: str
    polygon: tuple[Point, ...]
    departments: dict[str, str] = Field(description="category code -> department code")


class KeywordRule(Frozen):
    """Unambiguous words that decide the category whatever the model says (emergencies)."""

    category: str
    keywords: tuple[str, ...]


class Triage(Frozen):
    department: str = "clerk"
    acknowledge_hours: float = 8
    resolve_hours: float = 168


class Municipality(Frozen):
    code: str
    name_th: str
    name_en: str
    tracking_prefix: str = "HH"
    timezone: str = Field(default="Asia/Bangkok", description="IANA zone of local days and times")

    @cached_property
    def zone(self) -> ZoneInfo:
        """Where 'today', the digest hour and due times shown to people are reckoned."""
        return ZoneInfo(self.timezone)


class Directory(Frozen):
    municipality: Municipality
    jurisdiction: tuple[Point, ...] = Field(description="Polygon of (lat, lon), approximate")
    departments: tuple[Department, ...]
    categories: tuple[Category, ...]
    zones: tuple[Zone, ...] = ()
    rules: tuple[KeywordRule, ...] = ()
    triage: Triage = Triage()
    escalation_clerk: str = Field(default="clerk", description="Level 2 of escalation")

    @model_validator(mode="after")
    def _references_resolve(self) -> Directory:
        known = {d.code for d in self.departments}
        for c in self.categories:
            if c.department not in known:
                raise ValueError(f"category {c.code}: unknown department {c.department}")
        for z in self.zones:
            for dep in z.departments.values():
                if dep not in known:
                    raise ValueError(f"zone {z.code}: unknown department {dep}")
        if self.triage.department not in known or self.escalation_clerk not in known:
            raise ValueError("triage and escalation departments must be in the directory")
        return self

    @cached_property
    def _departments_by_code(self) -> dict[str, Department]:
        return {d.code: d for d in self.departments}

    def department(self, code: str) -> Department | None:
        return self._departments_by_code.get(code)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east) of the municipality's polygon."""
        lats = [p[0] for p in self.jurisdiction]
        lons = [p[1] for p in self.jurisdiction]
        return min(lats), min(lons), max(lats), max(lons)

    def inside(self, lat: float, lon: float) -> bool:
        """Whether a pin lies inside the municipality."""
        return contains(self.jurisdiction, lat, lon)

    def department_for(self, category: str, lat: float, lon: float) -> tuple[str, str]:
        """The department for a category at a place, and why: ('zone:<code>' or 'category')."""
        for zone in self.zones:
            if category in zone.departments and contains(zone.polygon, lat, lon):
                return zone.departments[category], f"zone:{zone.code}"
        found = self.category(category)
        if found is None:
            return self.triage.department, "triage"
        return found.department, "category"

    def has_active_admin(self, department: str) -> bool:
        found = self.department(department)
        return found is not None and bool(found.active_admins())


def parse_directory(data: dict[str, Any]) -> Directory:
    """Build a directory from its YAML/JSON form (points as [lat, lon] pairs)."""
    return Directory.model_validate(data)


def load_directory(path: str | Path) -> Directory:
    """Read `deploy/config/directory.yaml` (or another municipality's)."""
    return parse_directory(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
