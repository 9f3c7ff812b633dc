"""Durations as histogram buckets, and percentiles read back from them.

Stats documents keep counts per bucket (`tta.<i>`, `ttr.<i>`), which add up across days,
departments and categories with plain `$inc`; percentiles are computed when read.
"""

from __future__ import annotations

from collections.abc import Mapping

BOUNDS_MIN: tuple[float, ...] = (
    5,
    15,
    30,
    60,
    2 * 60,
    4 * 60,
    8 * 60,
    12 * 60,
    24 * 60,
    2 * 24 * 60,
    3 * 24 * 60,
    5 * 24 * 60,
    7 * 24 * 60,
    14 * 24 * 60,
    30 * 24 * 60,
    float("inf"),
)
"""Upper bounds of the buckets, in minutes; the last one catches everything longer."""


def bucket(minutes: float) -> int:
    """The index of the bucket a duration falls in."""
    for index, bound in enumerate(BOUNDS_MIN):
        if minutes <= bound:
            return index
    return len(BOUNDS_MIN) - 1


def percentile(counts: Mapping[int, int], q: float) -> float | None:
    """The q-th percentile (0-100) in minutes, interpolated inside its bucket; None if empty.

    The open last bucket answers with its lower bound: "longer than 30 days".
    """
    total = sum(counts.values())
    if total == 0:
        return None
    rank = q / 100 * total
    seen = 0
    for index, bound in enumerate(BOUNDS_MIN):
        n = counts.get(index, 0)
        if n and seen + n >= rank:
            low = BOUNDS_MIN[index - 1] if index else 0.0
            if bound == float("inf"):
                return low
            return low + (bound - low) * max(rank - seen, 0) / n
        seen += n
    return BOUNDS_MIN[-2]


def merge(into: dict[int, int], fields: Mapping[str, object], prefix: str) -> None:
    """Add a stored document's `<prefix>.<i>` counts into `into`."""
    sub = fields.get(prefix)
    if isinstance(sub, Mapping):
        for key, value in sub.items():
            if isinstance(value, int | float):
                into[int(key)] = into.get(int(key), 0) + int(value)
