"""The read models as a fold of events: pure, in memory, no database.

`Projection.apply` takes one event (the envelope's JSON, as on the wire) and updates
- the complaint document (current state, timeline, due times), a function of the
  complaint alone, written whole;
- shared counters (daily stats, hotspots, department health, followers of an original),
  which many complaints add to. Each change to a shared document is a `Delta` tagged with
  the Kafka position of the event that caused it, so a writer can apply every delta once
  even when a batch is delivered again after a crash (see `fold_deltas`).

The sequence guard: an event is applied only when its `sequence` is the stored version + 1.
Lower is a redelivery (skipped); higher is a gap, a defect in the log or the projection:
the complaint is stopped, counted and logged, never silently patched.

It folds the wire JSON itself rather than `kandoo.events.state.evolve`: a read model keeps
what the lifecycle's state leaves out (timeline, notes, names, map cells), and parsing every
envelope into models would double a rebuild's cost. Statuses follow the contract's
`status_after_wire`, so the folds cannot disagree on where a complaint stands.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from kandoo.events.directory import Directory
from kandoo.events.upcasting import upcast
from kandoo.reporting.domain.buckets import bucket
from kandoo.reporting.domain.counters import (
    State,
    contributions,
    counts,
    state_of,
    stats_deltas,
    stats_parts,
)
from kandoo.reporting.domain.deltas import UNSET, Delta, Position
from kandoo.reporting.domain.documents import (
    UNCATEGORIZED,
    all_memberships,
    evolve_document,
    local_day,
    parse_time,
)

COUNTED = frozenset(
    {
        "complaint.routed",
        "complaint.acknowledged",
        "complaint.resolved",
        "complaint.sla_breached",
    }
)
"""The event types that count in the daily statistics."""


class Applied(Enum):
    APPLIED = "applied"
    SEEN = "seen"  # already applied: a redelivery
    GAP = "gap"  # a sequence is missing: the complaint is stopped
    STOPPED = "stopped"  # an earlier gap stopped this complaint


@dataclass
class Changes:
    """What a batch changed: whole documents to write, queue entries, shared deltas."""

    complaints: dict[str, dict[str, Any]] = field(default_factory=dict)
    tracking: dict[str, str] = field(default_factory=dict)  # tracking code -> complaint id
    deltas: list[Delta] = field(default_factory=list)
    applied: Counter[str] = field(default_factory=Counter)
    gaps: list[tuple[str, int, int]] = field(default_factory=list)  # (id, expected, got)

    def __bool__(self) -> bool:
        return bool(self.complaints or self.deltas)


class Projection:
    """Complaint documents in memory and the changes made to them since `take`.

    `docs` holds every complaint the caller loaded or that events created; `None` marks a
    complaint known not to exist yet. The caller loads what a batch needs before `apply`.
    """

    def __init__(self, directory: Directory, incremental: bool = True) -> None:
        self.directory = directory
        self.docs: dict[str, dict[str, Any] | None] = {}
        self.changes = Changes()
        # A fold from nothing (rebuild, as-of) writes whole documents at the end: it keeps
        # no per-event complaint/queue changes and no +1/-1 deltas of current-state
        # counters, only the states each complaint passed through (`state_counters`).
        self.incremental = incremental
        self.passed: dict[str, set[State | None]] = {}
        self.last: dict[str, State | None] = {}  # a gap leaves it, as deltas would
        self.sums: dict[tuple[str, str], tuple[dict[str, int], dict[str, Any]]] = {}
        """A fold from nothing adds the counted facts here, not as one delta each."""

    def take(self) -> Changes:
        changes, self.changes = self.changes, Changes()
        return changes

    # --- events --------------------------------------------------------------------------

    def apply(self, event: Mapping[str, Any], pos: Position) -> Applied:
        cid = str(event["subject"])
        sequence = int(event["sequence"])
        old = self.docs.get(cid)
        stored = old["version"] if old else 0
        if old and old.get("defect"):
            return Applied.STOPPED
        if sequence <= stored:
            return Applied.SEEN
        if sequence != stored + 1:
            self._gap(cid, old, stored + 1, sequence)
            return Applied.GAP
        etype = str(event["type"])
        data = upcast(etype, int(event.get("dataversion", 1)), dict(event.get("data") or {}))
        at = parse_time(event["time"])
        new = evolve_document(old, cid, event, etype, data, at, self.directory)
        self._stats(old, new, etype, data, at, pos)
        self._followers(new, etype, data, pos)
        self.docs[cid] = new
        if self.incremental:
            self._state_deltas(old, new, pos)
            self._membership_deltas(old, new, pos)
            self.changes.complaints[cid] = new
        else:
            state = self.last[cid] = state_of(new)
            self.passed.setdefault(cid, set()).add(state)
        if etype == "complaint.submitted":
            self.changes.tracking[new["tracking_code"]] = cid
        self.changes.applied[etype] += 1
        return Applied.APPLIED

    def apply_notice(self, notice: Mapping[str, Any], pos: Position) -> None:
        """A delivery reported by notify joins the complaint's list of who was told."""
        data = notice.get("data") or {}
        entry = {
            "id": notice["id"],
            "type": notice["type"],
            "at": parse_time(notice["time"]),
            "event_type": data.get("event_type"),
            "recipient": data.get("recipient"),
            "recipient_role": data.get("recipient_role"),
            "channel": data.get("channel"),
            "attempt": data.get("attempt"),
            "reason": data.get("reason"),
        }
        self.changes.deltas.append(
            Delta("told", str(notice["subject"]), pos, push={"entries": entry})
        )
        self.changes.applied[str(notice["type"])] += 1

    def _gap(self, cid: str, old: dict[str, Any] | None, expected: int, got: int) -> None:
        doc = dict(old) if old else {"_id": cid, "version": 0, "timeline": []}
        doc["defect"] = {"expected_sequence": expected, "got_sequence": got}
        self.docs[cid] = doc
        self.changes.complaints[cid] = doc
        self.changes.gaps.append((cid, expected, got))

    # --- shared documents ----------------------------------------------------------------

    def _stats(
        self,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        etype: str,
        data: Mapping[str, Any],
        at: datetime,
        pos: Position,
    ) -> None:
        category = new.get("category") or UNCATEGORIZED
        department = new.get("department")
        if etype not in COUNTED:
            return
        inc: dict[str, int] = {}
        zone = self.directory.municipality.zone
        day = local_day(at, zone)
        if etype == "complaint.routed" and not (old and old.get("routed_at")):
            day = local_day(new["submitted_at"], zone)
            inc = {"submitted": 1}
        elif etype == "complaint.acknowledged":
            minutes = (at - (new.get("clock_from") or new["submitted_at"])).total_seconds() / 60
            inc = {"acknowledged": 1, f"tta.{bucket(minutes)}": 1}
        elif etype == "complaint.resolved":
            minutes = (at - new["submitted_at"]).total_seconds() / 60
            inc = {"resolved": 1, f"ttr.{bucket(minutes)}": 1}
        elif etype == "complaint.sla_breached":
            department = str(data.get("department") or department)
            inc = {"breached": 1, f"breached_{data.get('stage', 'resolve')}": 1}
        if not inc or not department:
            return
        totals = {k: v for k, v in inc.items() if "." not in k}
        if not self.incremental:  # the rebuild's hot path: summed here, written at the end
            facts = stats_parts(department, category, day, inc)
            parts = [(("stats", doc_id), n, on) for doc_id, n, on in facts]
            parts.append((("departments", department), totals, {"department": department}))
            for key, counted, on_insert in parts:
                found = self.sums.get(key)
                if found is None:
                    found = self.sums[key] = ({}, on_insert)
                into = found[0]
                for name, n in counted.items():
                    into[name] = into.get(name, 0) + n
            return
        self.changes.deltas += stats_deltas(department, category, day, inc, pos)
        self.changes.deltas.append(
            Delta("departments", department, pos, inc=totals, on_insert={"department": department})
        )

    def _followers(
        self, new: dict[str, Any], etype: str, data: Mapping[str, Any], pos: Position
    ) -> None:
        if etype != "complaint.marked_duplicate":
            return
        self.changes.deltas.append(
            Delta(
                "followers",
                str(data["original_id"]),
                pos,
                inc={"count": 1},
                add_to_set={"duplicates": new["_id"]},
            )
        )

    def _state_deltas(self, old: dict[str, Any] | None, new: dict[str, Any], pos: Position) -> None:
        """Counters of current state (hotspots, open per department) move with the complaint."""
        before, after = contributions(old), contributions(new)
        for key in set(before) | set(after):
            change = after.get(key, 0) - before.get(key, 0)
            if change:
                collection, doc_id, name, on_insert = key
                self.changes.deltas.append(
                    Delta(collection, doc_id, pos, inc={name: change}, on_insert=dict(on_insert))
                )

    def _membership_deltas(
        self, old: dict[str, Any] | None, new: dict[str, Any], pos: Position
    ) -> None:
        """The complaint leaves the buckets it no longer belongs to and joins (or updates
        its entry in) the ones it does."""
        before, after = all_memberships(old), all_memberships(new)
        for key, (name, _) in before.items():
            if key not in after:
                self.changes.deltas.append(Delta(*key, pos, fields={name: UNSET}))
        for key, (name, value) in after.items():
            if before.get(key) != (name, value):
                self.changes.deltas.append(Delta(*key, pos, fields={name: value}))

    def state_counters(self) -> dict[tuple[str, str], tuple[dict[str, int], dict[str, Any]]]:
        """The current-state counters (hotspots, open per department) of a fold from nothing:
        (collection, id) -> (counts, fields set on insert). Equal to what the +1/-1 deltas of
        an incremental fold leave, zeros included for states complaints have left."""
        out: dict[tuple[str, str], tuple[dict[str, int], dict[str, Any]]] = {}
        for cid, states in self.passed.items():
            now = self.last.get(cid)
            for state in states:
                for (collection, doc_id, name, on_insert), one in counts(state).items():
                    found, _ = out.setdefault((collection, doc_id), ({}, dict(on_insert)))
                    found[name] = found.get(name, 0) + (one if state == now else 0)
        return out
