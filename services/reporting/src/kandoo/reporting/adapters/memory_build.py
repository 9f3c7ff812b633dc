"""Read models folded in memory from nothing, for a generation nobody else writes yet."""

from __future__ import annotations

import asyncio
from datetime import datetime

from pymongo import ReplaceOne

from kandoo.events.directory import Directory
from kandoo.reporting.adapters.applier import Parsed
from kandoo.reporting.adapters.store import Doc, ReadModels
from kandoo.reporting.domain.deltas import UNSET, Update, written_counters
from kandoo.reporting.domain.documents import all_memberships, stored_complaint, tracking_bucket
from kandoo.reporting.domain.projection import Applied, Projection
from kandoo.runtime.mongo import bulk


def shared_document(doc_id: str, u: Update, markers: dict[str, int]) -> Doc:
    """The stored form of a shared document built from nothing (what the upserts make)."""
    doc: Doc = {"_id": doc_id, **u.on_insert}
    for key, value in [*written_counters(u.inc).items(), *u.fields.items()]:
        if value is UNSET:
            continue
        *path, last = key.split(".")
        place = doc
        for part in path:
            place = place.setdefault(part, {})
        place[last] = value
    for key, values in u.add_to_set.items():
        doc[key] = list(dict.fromkeys(values))
    for key, values in u.push.items():
        doc[key] = list(values)
    doc["applied"] = dict(markers)
    return doc


class MemoryBuild:
    """Read models folded in memory, for a generation that nobody else writes yet.

    A complaint's events all live in one partition, so once a partition has been read
    whole its complaints' documents are final: `take_documents` hands them over to be
    written and forgets them (see `fold_into`). Shared documents are written last
    (`write_shared`); they hold every record read, so their markers are the last offsets
    read.
    """

    def __init__(self, directory: Directory) -> None:
        self.projection = Projection(directory, incremental=False)
        self.shared: dict[tuple[str, str], Update] = {}
        self.reached: dict[str, int] = {}
        self.touched: dict[str, None] = {}  # complaints changed since the last write
        self.written: set[str] = set()

    def apply(self, parsed: list[Parsed], until: datetime | None = None) -> int:
        applied = 0
        projection, reached = self.projection, self.reached
        for p in parsed:
            reached[p.position.marker] = p.position.offset
            if until is not None and datetime.fromisoformat(str(p.body["time"])) > until:
                continue
            if p.kind == "notice":
                projection.apply_notice(p.body, p.position)
            elif projection.apply(p.body, p.position) is Applied.APPLIED:
                applied += 1
                self.touched[str(p.body["subject"])] = None
        shared = self.shared
        for d in projection.take().deltas:  # the hot loop of a rebuild: no call not needed
            key = (d.collection, d.doc_id)
            u = shared.get(key)
            if u is None:
                u = shared[key] = Update()
            if d.inc:
                inc = u.inc
                for k, v in d.inc.items():
                    inc[k] = inc.get(k, 0) + v
            if d.on_insert:
                u.on_insert.update(d.on_insert)
            for k, v in d.add_to_set.items():
                values = u.add_to_set.setdefault(k, [])
                if v not in values:
                    values.append(v)
            for k, v in d.push.items():
                u.push.setdefault(k, []).append(v)
            if d.fields:
                u.fields.update(d.fields)
        return applied

    def take_documents(self) -> tuple[dict[str, list[Doc]], dict[str, list[Doc]]]:
        """Complaint documents changed since the last call: (new ones,
        ones written before, to replace), by model."""
        fresh: dict[str, list[Doc]] = {"complaints": []}
        again: dict[str, list[Doc]] = {"complaints": []}
        for cid in self.touched:
            doc = self.projection.docs.get(cid)
            if doc is None:
                continue
            into = again if cid in self.written else fresh
            self.written.add(cid)
            # Final for this replay: written, then forgotten, so memory holds one
            # partition's complaints, not the whole history's. (Met again later - never,
            # while events are keyed by complaint - it would fold as a sequence gap.)
            del self.projection.docs[cid]
            into["complaints"].append(stored_complaint(doc))
            for (model, doc_id), (name, value) in all_memberships(doc).items():
                self.shared.setdefault((model, doc_id), Update()).fields[name] = value
            if code := doc.get("tracking_code"):  # a shared code finds the later complaint
                bucket = self.shared.setdefault(("tracking", tracking_bucket(code)), Update())
                bucket.fields[f"codes.{code}"] = cid
        self.touched = {}
        return fresh, again

    async def write_shared(self, models: ReadModels) -> None:
        """The last step: current-state counters join the shared documents, all written."""
        sums = self.projection.sums.items()
        for key, (counts, on_insert) in [*self.projection.state_counters().items(), *sums]:
            u = self.shared.setdefault(key, Update())
            u.on_insert.update(on_insert)
            u.inc.update(counts)
        by_model: dict[str, list[Doc]] = {}
        for (model, doc_id), u in self.shared.items():
            by_model.setdefault(model, []).append(shared_document(doc_id, u, self.reached))
        await asyncio.gather(*[models.insert_fresh(m, d) for m, d in by_model.items()])


async def write_documents(
    models: ReadModels, fresh: dict[str, list[Doc]], again: dict[str, list[Doc]]
) -> None:
    # A complaint met again in a later partition (never, while routing keys events by
    # complaint) is replaced whole.
    for model, docs in again.items():
        await bulk(models[model], [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs])
    for model, docs in fresh.items():
        await models.insert_fresh(model, docs)
