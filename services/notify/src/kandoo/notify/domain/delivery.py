"""A delivery: one message to one recipient by one channel, and its retry schedule.

The record is written before the message goes out (its `_id` is unique, so a redelivered
event finds it and sends nothing) and moves `sending` -> `sent` | `retry` -> ... | `dead`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from kandoo.notify.domain.rules import Recipient

Doc = dict[str, Any]


def scheme(url: str) -> str:
    """The channel of an Apprise URL: mailto, json, line, ..."""
    return url.split("://", 1)[0].lower()


def delivery_id(source: str, recipient: str, url: str, n: int = 0) -> str:
    """Unique per (event or digest, recipient, channel); `n` tells a second URL of the same
    channel apart."""
    return f"{source}|{recipient}|{scheme(url)}" + (f"|{n}" if n else "")


def new_delivery(
    _id: str,
    *,
    url: str,
    title: str,
    body: str,
    rule: str,
    who: Recipient,
    now: datetime,
    event: Doc | None = None,
    complaint_id: str | None = None,
) -> Doc:
    """The record of a delivery about to be attempted for the first time."""
    record: Doc = {
        "_id": _id,
        "state": "sending",
        "attempt": 1,
        "url": url,
        "title": title,
        "body": body,
        "rule": rule,
        "recipient": who.id,
        "recipient_role": who.role,
        "language": who.language,
        "channel": scheme(url),
        "created_at": now,
    }
    if event is not None:
        record.update(
            complaint_id=complaint_id,
            event_id=event["id"],
            event_type=event["type"],
            event_time=event.get("time"),
        )
    return record


def next_attempt_at(attempt: int, now: datetime, base_s: float, max_s: float) -> datetime:
    """Exponential back-off with jitter after failed attempt number `attempt`."""
    delay = min(base_s * 2 ** (attempt - 1), max_s)
    delay *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security
    return now + timedelta(seconds=delay)
