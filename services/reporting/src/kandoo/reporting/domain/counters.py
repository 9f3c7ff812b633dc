"""What one complaint adds to the shared counters: the statistics documents a counted fact
goes into, and the current-state contributions (hotspots, open and waiting work per
department, queue buckets, Open311's pages) that move with the complaint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kandoo.reporting.domain.deltas import Delta, Position
from kandoo.reporting.domain.documents import (
    AWAITING_ACK,
    NO_DUE,
    OPEN,
    UNCATEGORIZED,
    awaiting_acknowledgement,
    day_bucket,
    due_of,
    hotspot_area,
    hour_bucket,
    month_of,
    queued,
)

StatsPart = tuple[str, dict[str, int], dict[str, Any]]
"""(statistics document id, increments, fields set when it is created)"""


def stats_parts(
    department: str, category: str, day: str, inc: Mapping[str, int]
) -> list[StatsPart]:
    """One counted fact in the statistics documents a range query reads by id: the
    department's and the city's month (per category), month by day (`<month>|days`) and
    day (per category), and the lists of months that hold any (`stats_months`)."""
    month = day[:7]
    per_category = {f"c.{category}.{k}": v for k, v in inc.items()}
    per_day = {f"d.{day}.{k}": v for k, v in inc.items()}
    city = {f"c.{department}.{category}.{k}": v for k, v in inc.items()}
    dept, everyone = {"department": department}, {"department": "*"}
    return [
        (f"{department}|{month}", per_category, dept),
        (f"{department}|{month}|days", per_day, dept),
        (f"{department}|{day}", per_category, dept),
        (f"*|{month}", city, everyone),
        (f"*|{month}|days", per_day, everyone),
        (f"*|{day}", city, everyone),
        (f"{department}|months", {f"months.{month}": 1}, dept),
        ("*|months", {f"months.{month}": 1}, everyone),
    ]


def stats_deltas(
    department: str, category: str, day: str, inc: Mapping[str, int], pos: Position
) -> list[Delta]:
    return [
        Delta("stats", doc_id, pos, dict(counts), dict(on_insert))
        for doc_id, counts, on_insert in stats_parts(department, category, day, inc)
    ]


Contribution = tuple[str, str, str, tuple[tuple[str, Any], ...]]
State = tuple[str, str, str, str | None, str, str | None, str | None]
"""What decides a complaint's current-state counters: cell, category, status, department,
the hour its queue entry is due (bucket), the hour it was submitted while it waits for
acknowledgement, and the hour it was submitted (Open311's pages)."""


def state_of(doc: Mapping[str, Any]) -> State | None:
    status = doc.get("status")
    if doc.get("defect") or not status:
        return None
    # Where `queue_entry` would put it, without building the entry (a rebuild asks this
    # for every event).
    open_work = queued(doc)
    due = day_bucket(due_of(doc)) if open_work else NO_DUE
    waiting = (
        day_bucket(doc["submitted_at"])
        if open_work and awaiting_acknowledgement(doc) and doc.get("submitted_at")
        else None
    )
    category = doc.get("category") or UNCATEGORIZED
    submitted = hour_bucket(doc["submitted_at"]) if doc.get("submitted_at") else None
    if doc.get("sensitive"):  # counted for its department, never on a public map or list
        return ("", category, doc["status"], doc.get("department"), due, waiting, None)
    return (doc["cell"], category, doc["status"], doc.get("department"), due, waiting, submitted)


def contributions(doc: Mapping[str, Any] | None) -> dict[Contribution, int]:
    """What one complaint adds to the counters of current state."""
    return counts(state_of(doc)) if doc else {}


def counts(state: State | None) -> dict[Contribution, int]:
    if state is None:
        return {}
    cell, category, status, department, due, waiting, submitted = state
    out: dict[Contribution, int] = {}
    if submitted is not None:  # Open311's counts per month by day, and per category too
        kind, month, day = "open" if status in OPEN else "closed", submitted[:6], submitted[6:8]
        out[("o311", f"m|{month}", f"{day}.{kind}", ())] = 1
        out[("o311", f"m|{month}|{category}", f"{day}.{kind}", ())] = 1
    if cell:
        area = hotspot_area(cell, status)
        out[("hotspots", area, f"{cell}.{category}.{status}", (("area", area),))] = 1
    if department and status in OPEN:
        dept = (("department", department),)
        out[("departments", department, "open", dept)] = 1
        if status in AWAITING_ACK:
            out[("departments", department, "unacknowledged", dept)] = 1
        # By due month in the department's document, by due day in the month's (`qdays`):
        # the department's document stays as small as the months that hold open work.
        month = month_of(due)
        out[("departments", department, f"q.{month}.{status}|{category}", dept)] = 1
        out[("qdays", f"{department}|{month}", f"q.{due}.{status}|{category}", dept)] = 1
        if waiting is not None:
            out[("departments", department, f"w.{month_of(waiting)}", dept)] = 1
            out[("qdays", f"{department}|{month_of(waiting)}", f"w.{waiting}", dept)] = 1
    return out
