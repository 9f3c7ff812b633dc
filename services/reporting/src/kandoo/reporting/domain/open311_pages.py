"""Open311's request list as pages by the UTC day of submission.

`o311` holds the requests submitted on a day as sets by whether they are open now:
`h|YYYYMMDD|<open|closed>` (every category) and `h|YYYYMMDD|<open|closed>|<category>`,
each request one packed line; and counters of open and closed requests per month by day,
of every category (`m|YYYYMM`) and of each (`m|YYYYMM|<category>`). Newest first, a page
reads the months of the window, the two days the window may cut (counted exactly from
their requests), and the sets of the days that hold the page: of the status and category
asked for only, so a narrow filter reads as few requests as a wide one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kandoo.reporting.domain.documents import hour_bucket

KINDS = ("open", "closed")


@dataclass(frozen=True)
class Wanted:
    status: str | None  # "open" | "closed"
    service_code: str | None

    def key(self, kind: str) -> bool:
        """Whether a day's counter `open` or `closed` is wanted."""
        return not self.status or kind == self.status

    def months(self, months: list[str]) -> list[str]:
        """The ids of the month counters to read: of the category asked for, or of all."""
        if self.service_code:
            return [f"m|{month}|{self.service_code}" for month in months]
        return [f"m|{month}" for month in months]

    def sets(self, day: str) -> list[str]:
        """The ids of the sets of `day` that hold exactly the wanted requests."""
        kinds = [self.status] if self.status else list(KINDS)
        if self.service_code:
            return [f"h|{day}|{kind}|{self.service_code}" for kind in kinds]
        return [f"h|{day}|{kind}" for kind in kinds]


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

    def days_with(
        self, months: Iterable[Mapping[str, Any]], wanted: Wanted
    ) -> list[tuple[str, int]]:
        """(day, wanted requests) of the days of the window holding any, newest first. The
        two days the window may cut (`cut_days`) count all their requests: count those
        from the requests themselves."""
        first, last = hour_bucket(self.first)[:8], hour_bucket(self.last)[:8]
        days = []
        for doc in months:
            month = str(doc["_id"])[2:8]
            for day, counts in doc.items():
                inside = day.isdigit() and first <= f"{month}{day}" <= last
                if inside and isinstance(counts, Mapping) and (n := _count(counts, wanted)):
                    days.append((f"{month}{day}", n))
        return sorted(days, reverse=True)

    def cut_days(self) -> set[str]:
        return {hour_bucket(self.first)[:8], hour_bucket(self.last)[:8]}

    def holds(self, moment: datetime) -> bool:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return self.first <= aware <= self.last
