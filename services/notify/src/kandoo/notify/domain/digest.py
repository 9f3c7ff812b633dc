"""The daily digest: each department's overdue open complaints, once a local day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from kandoo.events.values import OPEN_STATUSES, Status

OPEN = frozenset(s.value for s in OPEN_STATUSES)
AWAITING_ACK = frozenset({Status.ROUTED.value, Status.TRIAGE.value, Status.REOPENED.value})


def digest_day(local_now: datetime, digest_at: str) -> str | None:
    """The local day whose digest is due now (`digest_at` passed), else None."""
    hour, minute = (int(x) for x in digest_at.split(":"))
    if (local_now.hour, local_now.minute) < (hour, minute):
        return None
    return local_now.date().isoformat()


def overdue_by_department(
    cases: Iterable[Mapping[str, Any]], now: datetime
) -> dict[str, list[dict[str, str]]]:
    """Stored cases past their next deadline (acknowledge while waiting for it, else
    resolve), by department, earliest due first."""
    overdue: dict[str, list[dict[str, str]]] = {}
    for doc in cases:
        status = doc.get("status")
        due = doc.get("acknowledge_by") if status in AWAITING_ACK else doc.get("resolve_by")
        if status in OPEN and doc.get("department") and due and datetime.fromisoformat(due) < now:
            overdue.setdefault(doc["department"], []).append(
                {
                    "code": doc.get("tracking_code", ""),
                    "category": doc.get("category") or "",
                    "due": due[:16],
                }
            )
    return {d: sorted(items, key=lambda i: i["due"]) for d, items in overdue.items()}
