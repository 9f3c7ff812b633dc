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


def written_counters(inc: Mapping[str, int]) -> dict[str, int]:
    """The increments worth writing: a nested counter at zero is no counter (an increment
    of zero would create one; compaction removes those that come back to zero). Top-level
    counters are written even at zero: readers see them as the document's fields."""
    return {key: n for key, n in inc.items() if n or "." not in key}


COMPACTED = ("hotspots", "departments", "qdays", "o311")
"""Models whose nested counters count current state: they go back to zero as complaints
move on, and a zero left behind still costs every read (FerretDB reads a document at a
cost per key), so compaction removes them."""


def zero_counters(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The largest nested parts of a document that hold nothing but counters at zero,
    by path, each with its value as read: removing them with those values as the filter
    is safe against a concurrent change (a sub-document that gained a key no longer
    matches). Top-level fields and the offset markers stay."""
    removals: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], path: str) -> bool:
        """Whether `node` holds nothing but zero counters (and something)."""
        parts: dict[str, Any] = {}
        empty = True
        for key, value in node.items():
            at = f"{path}.{key}"
            zero = type(value) is int and value == 0
            if zero or (isinstance(value, Mapping) and walk(value, at)):
                parts[at] = value
            else:
                empty = False
        if not empty:
            removals.update(parts)
        return empty and bool(parts)

    for key, value in doc.items():
        if key not in ("_id", "applied") and isinstance(value, Mapping) and walk(value, key):
            removals[key] = value
    return removals
