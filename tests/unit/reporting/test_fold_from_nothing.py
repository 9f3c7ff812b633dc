"""A rebuild folds from nothing without +1/-1 deltas for the current-state counters; what it
counts at the end must equal what the incremental deltas leave, gaps and zeros included."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kandoo.events.directory import load_directory
from kandoo.reporting.domain.deltas import Position, fold_deltas
from kandoo.reporting.domain.projection import Projection
from tests.unit.reporting.history import event, submitted

DIRECTORY = load_directory(Path(__file__).resolve().parents[3] / "deploy/config/directory.yaml")
T0 = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
DUE = {"acknowledge_by": (T0 + timedelta(days=1)).isoformat(), "resolve_by": T0.isoformat()}


def at(sequence: int) -> datetime:
    return T0 + timedelta(minutes=sequence)


def step(cid: str, sequence: int, etype: str, data: dict[str, Any]) -> dict[str, Any]:
    return event(cid, sequence, etype, at(sequence), data)


HISTORY = [
    # a: routed, acknowledged, resolved
    submitted("a", at(1), 12.57, "streetlight"),
    step("a", 2, "complaint.routed", {"department": "engineering", **DUE}),
    step("a", 3, "complaint.acknowledged", {"department": "engineering"}),
    step("a", 4, "complaint.resolved", {"note": "ซ่อมแล้ว"}),
    # b: routed, then its pin corrected to another cell, then rerouted
    submitted("b", at(1), 12.58, "streetlight"),
    step("b", 2, "complaint.routed", {"department": "engineering", **DUE}),
    step("b", 3, "complaint.location_corrected", {"location": {"lat": 12.60, "lon": 99.95}}),
    step("b", 4, "complaint.rerouted", {"department": "public_health", "reason": "x", **DUE}),
    # c: routed, then a sequence gap stops it
    submitted("c", at(1), 12.59, "streetlight"),
    step("c", 2, "complaint.routed", {"department": "engineering", **DUE}),
    step("c", 4, "complaint.closed", {"reason": "staff"}),
]


def current_state_counters(projection: Projection) -> dict[tuple[str, str], Counter[str]]:
    out: dict[tuple[str, str], Counter[str]] = {}
    if projection.incremental:
        deltas = projection.take().deltas
        for key, u in fold_deltas(deltas, {}).items():
            if key[0] in ("hotspots", "departments", "qdays", "o311"):
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
    cells = {
        name.split(".")[0]
        for k, counts in expected.items()
        if k[0] == "hotspots"
        for name in counts
    }
    assert len(cells) == 4  # a, b before and after the correction, c
    areas = [counts for k, counts in expected.items() if k[0] == "hotspots"]
    assert sum(sum(counts.values()) for counts in areas) == 3
