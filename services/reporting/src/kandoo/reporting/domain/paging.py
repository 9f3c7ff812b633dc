"""Offset paging over buckets whose counts are known before their members are read."""

from __future__ import annotations


def covering(buckets: list[tuple[str, int]], offset: int, size: int) -> list[tuple[str, int]]:
    """The buckets (in the list's order, with exact counts) that hold items `offset` to
    `offset + size` of the whole list."""
    out: list[tuple[str, int]] = []
    seen = 0
    for bucket, n in buckets:
        if seen + n > offset and seen < offset + size:
            out.append((bucket, n))
        seen += n
    return out


def before(buckets: list[tuple[str, int]], chosen: list[tuple[str, int]]) -> int:
    """How many items the buckets ahead of the first chosen one hold."""
    if not chosen:
        return 0
    first = chosen[0][0]
    total = 0
    for bucket, n in buckets:
        if bucket == first:
            break
        total += n
    return total
