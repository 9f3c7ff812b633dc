"""Statistics over any range of days from month and day documents, read by id.

A department's (or the city's, `*`) month document holds its counts per category, its
`<month>|days` document the month's counts per day, its day documents per category;
`<dept>|months` lists the months that hold any. A range reads the months with data in it
and, for a month the range cuts, which of its days hold data and those days; the counts
per day only when the answer shows them: never more than the range, never the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

Counts = Mapping[str, Any]


@dataclass(frozen=True)
class Plan:
    """Which documents a range needs: months with data, and the days of cut months."""

    months: list[str]
    whole: set[str] = field(default_factory=set)
    """Months the range holds whole: their per-category counts serve as they are."""


def months_in(first: str, last: str, known: Mapping[str, Any]) -> Plan:
    """The months between `first` and `last` (ISO days) that hold any data."""
    months = sorted(m for m, n in known.items() if n and first[:7] <= m <= last[:7])
    whole = {m for m in months if first <= f"{m}-01" and _month_end(m) <= last}
    return Plan(months, whole)


def _month_end(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    following = date(year + (number == 12), number % 12 + 1, 1)
    return (following - timedelta(days=1)).isoformat()


def days_wanted(month_days: Counts, first: str, last: str) -> list[str]:
    """The days of a month's `days` document inside the range that hold data."""
    return sorted(d for d in (month_days.get("d") or {}) if first <= d <= last)


@dataclass
class Collected:
    """Counts gathered from the documents: per category (or department -> category for
    the city) and per day."""

    by_key: dict[str, list[Counts]] = field(default_factory=dict)
    by_day: dict[str, list[Counts]] = field(default_factory=dict)

    def add(self, per_key: Counts) -> None:
        for key, counts in per_key.items():
            self.by_key.setdefault(key, []).append(counts)

    def add_days(self, per_day: Counts, first: str, last: str) -> None:
        for day, counts in per_day.items():
            if first <= day <= last:
                self.by_day.setdefault(day, []).append(counts)


def collect(
    months: Mapping[str, Counts],
    month_days: Iterable[Counts],
    days: Iterable[Counts],
    plan: Plan,
    first: str,
    last: str,
) -> Collected:
    """Per-category counts from whole months and from the days of cut months; per-day
    counts from the months' `days` documents given."""
    out = Collected()
    for doc in month_days:
        out.add_days(doc.get("d") or {}, first, last)
    for month, doc in months.items():
        if month in plan.whole:
            out.add(doc.get("c") or {})
    for doc in days:
        out.add(doc.get("c") or {})
    return out
