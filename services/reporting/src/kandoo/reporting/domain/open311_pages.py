"""Open311's request list as pages by the UTC hour of submission.

`o311` holds, per hour, the requests submitted in it (`h|YYYYMMDDHH`), and counters of
open and closed requests per category: per day by hour (`d|YYYYMMDD`) and per month by
day (`m|YYYYMM`). Newest first, a page reads the months of the window, the day counters
of the days it walks through, and the hours that hold the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kandoo.reporting.domain.documents import OPEN, hour_bucket


@dataclass(frozen=True)
class Wanted:
    status: str | None  # "open" | "closed"
    service_code: str | None

    def key(self, key: str) -> bool:
        """Whether a counter key `<open|closed>|<category>` is wanted."""
        kind, category = key.split("|", 1)
        return (not self.status or kind == self.status) and (
            not self.service_code or category == self.service_code
        )

    def fits(self, record: Mapping[str, Any]) -> bool:
        kind = "open" if record.get("status") in OPEN else "closed"
        return (not self.status or kind == self.status) and (
            not self.service_code or record.get("category") == self.service_code
        )


def _count(counts: Mapping[str, Any], wanted: Wanted) -> int:
    return sum(int(n) for key, n in counts.items() if n and wanted.key(key))


@dataclass(frozen=True)
class Window:
    first: datetime
    last: datetime

    def months(self) -> list[str]:
        out, day = [], self.first.astimezone(UTC).date().replace(day=1)
        while day <= self.last.astimezone(UTC).date():
            out.append(day.strftime("%Y%m"))
            day = (day + timedelta(days=32)).replace(day=1)
        return out

    def days_with(self, months: Iterable[Mapping[str, Any]], wanted: Wanted) -> list[str]:
        """Days of the window holding wanted requests, newest first."""
        first, last = hour_bucket(self.first)[:8], hour_bucket(self.last)[:8]
        days = []
        for doc in months:
            month = str(doc["_id"])[2:]
            for day, counts in doc.items():
                inside = day.isdigit() and first <= f"{month}{day}" <= last
                if inside and isinstance(counts, Mapping) and _count(counts, wanted):
                    days.append(f"{month}{day}")
        return sorted(days, reverse=True)

    def hours_with(
        self, day: str, counts: Mapping[str, Any], wanted: Wanted
    ) -> list[tuple[str, int]]:
        """(hour, wanted requests) of a day inside the window, newest first. The two hours
        the window may cut (`cut`) count all their requests: count those exactly."""
        first, last = hour_bucket(self.first), hour_bucket(self.last)
        out = []
        for hour, inner in counts.items():
            if isinstance(inner, Mapping) and hour.isdigit():
                key = f"{day}{hour}"
                if first <= key <= last and (n := _count(inner, wanted)):
                    out.append((key, n))
        return sorted(out, reverse=True)

    def cut(self) -> set[str]:
        return {hour_bucket(self.first), hour_bucket(self.last)}

    def holds(self, moment: datetime) -> bool:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return self.first <= aware <= self.last


def covering(hours: list[tuple[str, int]], offset: int, size: int) -> list[tuple[str, int]]:
    """The hours (newest first, with exact counts) that hold items `offset` to
    `offset + size` of the whole list."""
    out: list[tuple[str, int]] = []
    seen = 0
    for hour, n in hours:
        if seen + n > offset and seen < offset + size:
            out.append((hour, n))
        seen += n
    return out
