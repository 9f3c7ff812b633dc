"""A rebuild folds from nothing without +1/-1 deltas for the current-state counters; what it
counts at the end must equal what the incremental deltas leave, gaps and zeros included."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kandoo.events.directory import load_directory
from kandoo.reporting.domain.projection import Position, Projection, fold_deltas

DIRECTORY = load_directory(Path(__file__).resolve().parents[3] / "deploy/config/directory.yaml")
T0 = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
DUE = {"acknowledge_by": (T0 + timedelta(days=1)).isoformat(), "resolve_by": T0.isoformat()}


def event(cid: str, sequence: int, etype: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{cid}-{sequence}",
        "type": etype,
        "subject": cid,
        "time": (T0 + timedelta(minutes=sequence)).isoformat(),
        "sequence": sequence,
        "actor": {"id": "kandoo-test", "role": "system"},
        "dataversion": 2 if etype == "complaint.submitted" else 1,
        "data": data,
    }


def submitted(cid: str, lat: float) -> dict[str, Any]:
    data = {
        "tracking_code": f"HH-{cid.upper()}-00",
        "description": "ไฟดับ",
        "language": "th",
        "location": {"lat": lat, "lon": 99.95},
        "category_chosen": "streetlight",
        "channel": "web",
        "reporter": {},
    }
    return event(cid, 1, "complaint.submitted", data)


HISTORY = [
    # a: routed, acknowledged, resolved
    submitted("a", 12.57),
    event("a", 2, "complaint.routed", {"department": "engineering", **DUE}),
    event("a", 3, "complaint.acknowledged", {"department": "engineering"}),
    event("a", 4, "complaint.resolved", {"note": "ซ่อมแล้ว"}),
    # b: routed, then its pin corrected to another cell, then rerouted
    submitted("b", 12.58),
    event("b", 2, "complaint.routed", {"department": "engineering", **DUE}),
    event("b", 3, "complaint.location_corrected", {"location": {"lat": 12.60, "lon": 99.95}}),
    event("b", 4, "complaint.rerouted", {"department": "public_health", "reason": "x", **DUE}),
    # c: routed, then a sequence gap stops it
    submitted("c", 12.59),
    event("c", 2, "complaint.routed", {"department": "engineering", **DUE}),
    event("c", 4, "complaint.closed", {"reason": "staff"}),
]


def current_state_counters(projection: Projection) -> dict[tuple[str, str], Counter[str]]:
    out: dict[tuple[str, str], Counter[str]] = {}
    if projection.incremental:
        deltas = projection.take().deltas
        for key, u in fold_deltas(deltas, {}).items():
            if key[0] in ("hotspots", "departments"):
                out[key] = Counter(
                    {k: v for k, v in u.inc.items() if "." in k or k in ("open", "unacknowledged")}
                )
    else:
        for key, (counts, _) in projection.state_counters().items():
            out[key] = Counter(counts)
    return {k: v for k, v in out.items() if v or k[0] == "hotspots"}


def test_counting_states_at_the_end_equals_the_incremental_deltas() -> None:
    incremental, from_nothing = Projection(DIRECTORY), Projection(DIRECTORY, incremental=False)
    for offset, body in enumerate(HISTORY):
        incremental.apply(body, Position("e", 0, offset))
        from_nothing.apply(body, Position("e", 0, offset))
    expected = current_state_counters(incremental)
    assert current_state_counters(from_nothing) == expected
    assert expected[("departments", "engineering")]["open"] == 1  # c, stopped while open
    cells = [k for k in expected if k[0] == "hotspots"]
    assert len(cells) == 4  # a, b before and after the correction, c
    assert sum(sum(expected[k].values()) for k in cells) == 3
