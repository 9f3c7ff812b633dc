"""Applying a batch of Kafka records to one generation of read models, exactly once.

Used by the live projector and by the catch-up phase of a rebuild. It keeps the complaint
documents and shared-document markers it has seen in memory: the partitions they come
from are this process's alone (Kafka's group, or a rebuild's own generation), so what it
wrote last is what the database holds. `forget` drops that memory on a rebalance.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import ConsumerRecord

from kandoo.events.directory import Directory
from kandoo.reporting.adapters.store import ReadModels
from kandoo.reporting.domain.deltas import COMPACTED, Position, fold_deltas, zero_counters
from kandoo.reporting.domain.projection import Applied, Projection
from kandoo.reporting.metrics import ReportingMetrics
from kandoo.runtime.observe import correlation

log = logging.getLogger("kandoo.reporting")
CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class Parsed:
    body: dict[str, Any]
    position: Position

    @property
    def kind(self) -> str:
        """'event' (complaints.events) or 'notice' (notifications.events)."""
        return "event" if self.position.tag == "e" else "notice"


def parse(record: ConsumerRecord[bytes, bytes], tag: str) -> Parsed:
    """A record's JSON; ValueError when it is not a readable event."""
    try:
        body = orjson.loads(record.value)
    except (orjson.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(body, dict) or "subject" not in body or "type" not in body:
        raise ValueError("not a CloudEvents object with subject and type")
    if tag == "e" and "sequence" not in body:
        raise ValueError("no sequence")
    return Parsed(body, Position(tag, record.partition, record.offset))


class Applier:
    def __init__(
        self, models: ReadModels, directory: Directory, metrics: ReportingMetrics | None = None
    ) -> None:
        self.models = models
        self.projection = Projection(directory)
        self.markers: dict[tuple[str, str], dict[str, int]] = {}
        self.metrics = metrics
        self.shrinking: set[tuple[str, str]] = set()
        """Documents whose counters went down since the last compaction."""

    def forget(self) -> None:
        self.projection.docs.clear()
        self.markers.clear()

    async def apply(self, parsed: Iterable[Parsed]) -> int:
        """Apply records (in partition order) and write what changed; the count applied."""
        items = list(parsed)
        if len(self.projection.docs) > CACHE_LIMIT or len(self.markers) > CACHE_LIMIT:
            self.forget()
        await self._load({p.body["subject"] for p in items if p.kind == "event"})
        started = time.perf_counter()
        applied = 0
        now = datetime.now(UTC)
        for p in items:
            correlation.set(p.body.get("correlationid") or p.body.get("id"))  # for the logs
            if p.kind == "notice":
                self.projection.apply_notice(p.body, p.position)
                continue
            outcome = self.projection.apply(p.body, p.position)
            if outcome is Applied.APPLIED:
                applied += 1
                if self.metrics is not None:
                    at = datetime.fromisoformat(str(p.body["time"]))
                    self.metrics.lag.observe(max((now - at).total_seconds(), 0.0))
            elif outcome is Applied.GAP:
                log.error(
                    "sequence gap on complaint %s: projection of it stopped", p.body["subject"]
                )
        changes = self.projection.take()
        missing = {(d.collection, d.doc_id) for d in changes.deltas} - self.markers.keys()
        if missing:
            loaded = await self.models.load_markers(missing)
            for key in missing:
                self.markers[key] = loaded.get(key, {})
        updates = fold_deltas(changes.deltas, self.markers)
        await self.models.write(changes, updates)
        for key, u in updates.items():
            self.markers[key].update(u.markers)
            if key[0] in COMPACTED and any(n < 0 for n in u.inc.values()):
                self.shrinking.add(key)
        if self.metrics is not None:
            for etype, n in changes.applied.items():
                self.metrics.applied.labels(etype).inc(n)
            self.metrics.gaps.inc(len(changes.gaps))
            self.metrics.batch.observe(len(items))
            self.metrics.write_seconds.observe(time.perf_counter() - started)
        return applied

    async def compact(self) -> int:
        """Remove the counters back at zero from the documents that counted down since the
        last call, each removal guarded by the values read (a document changed meanwhile
        waits for the next call); the number of parts removed."""
        keys, self.shrinking = self.shrinking, set()
        removed = 0
        for model, doc_id in sorted(keys):
            doc = await self.models[model].find_one({"_id": doc_id})
            parts = zero_counters(doc) if doc else {}
            if not parts:
                continue
            done = await self.models[model].update_one(
                {"_id": doc_id, **parts}, {"$unset": dict.fromkeys(parts, "")}
            )
            if done.matched_count:
                removed += len(parts)
            else:
                self.shrinking.add((model, doc_id))
        return removed

    async def _load(self, ids: set[str]) -> None:
        wanted = [i for i in ids if i not in self.projection.docs]
        if not wanted:
            return
        found = await self.models.complaints(wanted)
        for cid in wanted:
            self.projection.docs[cid] = found.get(cid)
