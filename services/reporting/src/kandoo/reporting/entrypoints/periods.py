"""Date ranges of statistics queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kandoo.reporting.entrypoints.deps import ApiError

DEFAULT_DAYS = 30


def days(
    first: date | None, last: date | None, lang: str, now: datetime, zone: ZoneInfo
) -> tuple[str, str]:
    """(from, to) as ISO days of the municipality: `to` defaults to its today (facts are
    counted by its calendar days: from 17:00 UTC Hua Hin is a day ahead of UTC), `from`
    to 30 days before it."""
    last = last or now.astimezone(zone).date()
    first = first or last - timedelta(days=DEFAULT_DAYS)
    if first > last:
        raise ApiError(400, "bad_range", lang, "from")
    return first.isoformat(), last.isoformat()
