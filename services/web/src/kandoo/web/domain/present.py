"""How the pages word and format what the APIs answer: statuses, times, durations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kandoo.events.values import OPEN_STATUSES
from kandoo.web.domain.i18n import Words

THAI_MONTHS = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
OPEN = frozenset(s.value for s in OPEN_STATUSES)


def now() -> datetime:
    return datetime.now(UTC)


def parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def when(value: Any, words: Words, zone: ZoneInfo, with_time: bool = True) -> str:
    """A moment in the municipality's time: `1 ธ.ค. 2569 14:05` (Buddhist era) or
    `1 Dec 2026, 14:05`."""
    moment = parse(value)
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    clock = f" {local:%H:%M}" if with_time else ""
    if words.language == "th":
        return f"{local.day} {THAI_MONTHS[local.month - 1]} {local.year + 543}{clock}"
    return f"{local.day} {local:%b} {local.year}{',' if with_time else ''}{clock}"


def duration(minutes: Any, words: Words) -> str:
    if minutes is None:
        return "–"
    value = float(minutes)
    if value < 90:
        return words("minutes", n=round(value))
    if value < 48 * 60:
        return words("hours", n=round(value / 60, 1))
    return words("days", n=round(value / 1440, 1))


def status_words(status: str | None, words: Words) -> str:
    return words(f"status_{status}") if status else ""


def names(value: Any, words: Words) -> str:
    """A `{th, en}` name in the page's language."""
    if isinstance(value, dict):
        return str(value.get(words.language) or value.get("en") or "")
    return str(value or "")
