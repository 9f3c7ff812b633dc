"""Upcasters: read older versions of an event's data as the current version.

The log is never rewritten. When an event's data changes shape, its class gets a new
`VERSION` and this registry gets a function from the old shape to the next one; readers
apply the chain from the stored `dataversion` up to the current one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]

_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register `fn` as turning `event_type` data of `from_version` into `from_version + 1`."""

    def register(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(event_type, from_version)] = fn
        return fn

    return register


def upcast(event_type: str, version: int, data: Data) -> Data:
    """Apply every registered step from `version` upward; stops where no step is known."""
    while (step := _UPCASTERS.get((event_type, version))) is not None:
        data = step(data)
        version += 1
    return data


@upcaster("complaint.submitted", 1)
def _submitted_v1_to_v2(data: Data) -> Data:
    # v1 came only from the web form and had no `channel`; v2 requires it.
    return {"channel": "web", **data}
