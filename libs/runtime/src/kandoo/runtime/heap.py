"""Python's cyclic garbage collector, told what our processes are like: many small objects
that live long (complaint states, read-model documents). With the default thresholds it
walks them over and over: the long tail of intake's latency under load, and a third of a
rebuild's time."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

RELAXED = (50_000, 20, 100)
"""Young collections every 50,000 allocations (not 700), older ones as rarely."""


def settle_heap() -> None:
    """After start-up: collect less often, and never again over what start-up built."""
    gc.set_threshold(*RELAXED)
    gc.freeze()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect less often while a fold builds millions of long-lived objects."""
    before = gc.get_threshold()
    gc.set_threshold(*RELAXED)
    try:
        yield
    finally:
        gc.set_threshold(*before)
