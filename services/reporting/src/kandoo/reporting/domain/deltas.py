"""Changes to shared documents (statistics, hotspots, department counters), tagged with
the Kafka position of the record that caused each, so a writer applies every one once even
when a batch is delivered again after a crash."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Position:
    """Where a record sits in Kafka: the marker of a topic ('e' events, 'n' notices), the
    partition and the offset."""

    tag: str
    partition: int
    offset: int

    @property
    def marker(self) -> str:
        return f"{self.tag}{self.partition}"


@dataclass(slots=True)
class Delta:
    """A change to one shared document caused by one record."""

    collection: str
    doc_id: str
    position: Position
    inc: dict[str, int] = field(default_factory=dict)
    on_insert: dict[str, Any] = field(default_factory=dict)
    add_to_set: dict[str, Any] = field(default_factory=dict)
    push: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    """Fields set to a value, or removed (`UNSET`): a member joining or leaving a set."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""The value of a field a delta removes."""


@dataclass(slots=True)
class Update:
    """All the deltas of a batch to one shared document, with its new markers."""

    inc: Counter[str] = field(default_factory=Counter)
    on_insert: dict[str, Any] = field(default_factory=dict)
    add_to_set: dict[str, list[Any]] = field(default_factory=dict)
    push: dict[str, list[Any]] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    """The last value (or UNSET) each field got in the batch."""
    markers: dict[str, int] = field(default_factory=dict)


def fold_deltas(
    deltas: Iterable[Delta], markers: Mapping[tuple[str, str], Mapping[str, int]]
) -> dict[tuple[str, str], Update]:
    """The updates to make, leaving out every delta whose record a document already holds.

    `markers[(collection, id)]` maps a marker (`e3`: events partition 3) to the highest
    offset already applied to that document; deltas at or below it are redeliveries.
    """
    updates: dict[tuple[str, str], Update] = {}
    for d in deltas:
        key = (d.collection, d.doc_id)
        done = markers.get(key, {}).get(d.position.marker, -1)
        if d.position.offset <= done:
            continue
        u = updates.setdefault(key, Update())
        u.inc.update(d.inc)
        u.on_insert.update(d.on_insert)
        for name, value in d.add_to_set.items():
            u.add_to_set.setdefault(name, []).append(value)
        for name, value in d.push.items():
            u.push.setdefault(name, []).append(value)
        u.fields.update(d.fields)
        u.markers[d.position.marker] = max(u.markers.get(d.position.marker, -1), d.position.offset)
    return updates
