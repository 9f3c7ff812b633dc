"""Open complaints by place, across every partition, to spot duplicate reports.

A grid of cells about 50 m wide; a lookup scans the 3x3 cells around the pin, so every
complaint within 50 m is seen. Fed by the whole events topic (all partitions) and by
this instance's own commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from kandoo.events.envelope import Envelope
from kandoo.events.events import (
    STATUS_AFTER,
    ComplaintClassified,
    ComplaintLocationCorrected,
    ComplaintMarkedDuplicate,
    ComplaintRecategorized,
    ComplaintReopened,
    ComplaintSubmitted,
    Event,
)
from kandoo.events.geo import distance_m
from kandoo.events.values import OPEN_STATUSES

RADIUS_M = 50.0
WINDOW = timedelta(days=14)
CELL_DEG = RADIUS_M / 111_320  # about 50 m of latitude


@dataclass(slots=True)
class Entry:
    category: str | None
    lat: float
    lon: float
    submitted_at: datetime
    cell: tuple[int, int]


class SpatialIndex:
    """Complaints that are open, by grid cell."""

    _CLASSES: tuple[type[Event], ...] = (
        ComplaintSubmitted,
        ComplaintClassified,
        ComplaintRecategorized,
        ComplaintLocationCorrected,
        ComplaintMarkedDuplicate,
        ComplaintReopened,
        *(t for t, status in STATUS_AFTER.items() if status not in OPEN_STATUSES),
    )
    EVENT_TYPES: frozenset[str] = frozenset(cls.TYPE for cls in _CLASSES)
    """The event types that change the index; readers may skip the others unparsed."""

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], dict[str, Entry]] = {}
        self._entries: dict[str, Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _cell(lat: float, lon: float) -> tuple[int, int]:
        lon_scale = max(math.cos(math.radians(lat)), 0.01)
        return math.floor(lat / CELL_DEG), math.floor(lon * lon_scale / CELL_DEG)

    def _put(self, complaint_id: str, entry: Entry) -> None:
        self.remove(complaint_id)
        self._entries[complaint_id] = entry
        self._cells.setdefault(entry.cell, {})[complaint_id] = entry

    def add(
        self, complaint_id: str, category: str | None, lat: float, lon: float, at: datetime
    ) -> None:
        self._put(complaint_id, Entry(category, lat, lon, at, self._cell(lat, lon)))

    def remove(self, complaint_id: str) -> None:
        entry = self._entries.pop(complaint_id, None)
        if entry is not None:
            cell = self._cells.get(entry.cell, {})
            cell.pop(complaint_id, None)
            if not cell:
                self._cells.pop(entry.cell, None)

    def find(
        self, category: str, lat: float, lon: float, now: datetime, exclude: str = ""
    ) -> tuple[str, float] | None:
        """The nearest open complaint of `category` within 50 m submitted in the last 14 days."""
        row, col = self._cell(lat, lon)
        best: tuple[str, float] | None = None
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                for cid, entry in self._cells.get((row + dr, col + dc), {}).items():
                    if cid == exclude or entry.category != category:
                        continue
                    if now - entry.submitted_at > WINDOW:
                        continue
                    d = distance_m((lat, lon), (entry.lat, entry.lon))
                    if d <= RADIUS_M and (best is None or d < best[1]):
                        best = (cid, d)
        return best

    def apply(self, env: Envelope) -> None:
        """Keep the index current with one event of any complaint."""
        data, cid = env.data, env.subject
        entry = self._entries.get(cid)
        match data:
            case ComplaintSubmitted():
                loc = data.location
                self.add(cid, data.category_chosen, loc.lat, loc.lon, env.time)
            case ComplaintClassified() | ComplaintRecategorized() if entry is not None:
                entry.category = data.category
            case ComplaintLocationCorrected() if entry is not None:
                self._put(
                    cid,
                    Entry(
                        entry.category,
                        data.location.lat,
                        data.location.lon,
                        entry.submitted_at,
                        self._cell(data.location.lat, data.location.lon),
                    ),
                )
            case ComplaintMarkedDuplicate():
                self.remove(cid)
            case ComplaintReopened():
                pass  # stays out: a reopened complaint is not a new report nearby
            case Event():
                status = STATUS_AFTER.get(type(data))
                if status is not None and status not in OPEN_STATUSES:
                    self.remove(cid)
