"""Date ranges of statistics queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from kandoo.reporting.entrypoints.deps import ApiError

DEFAULT_DAYS = 30


def days(first: date | None, last: date | None, lang: str, now: datetime) -> tuple[str, str]:
    """(from, to) as ISO days: `to` defaults to today, `from` to 30 days before it."""
    last = last or now.date()
    first = first or last - timedelta(days=DEFAULT_DAYS)
    if first > last:
        raise ApiError(400, "bad_range", lang, "from")
    return first.isoformat(), last.isoformat()
