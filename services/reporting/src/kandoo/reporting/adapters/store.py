"""The read models in MongoDB: one generation of collections, and the switch between them.

A generation is a set of collections named `<model>_g<N>`; `meta.current` names the one
readers use. A rebuild fills generation N+1 while N serves, then flips `meta.current` in
one single-document write: readers move over at once, and the old set is dropped.

Writes follow the order that makes a crash harmless without transactions (FerretDB has
none): shared documents first (each guarded by per-partition offset markers), then
tracking codes, then complaint documents, whose `version` is the commit mark.
Bulk writes go in chunks of 50, one at a time (docs/decisions/0004).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from kandoo.reporting.domain.deltas import UNSET, Update, written_counters
from kandoo.reporting.domain.documents import loaded_complaint, stored_complaint, tracking_bucket
from kandoo.reporting.domain.projection import Changes
from kandoo.runtime.mongo import bulk, chunks

Doc = dict[str, Any]
MODELS = (
    "complaints",
    "tracking",
    "queues",
    "qdays",
    "waiting",
    "o311",
    "nearby",
    "stats",
    "hotspots",
    "departments",
    "followers",
    "told",
)
log = logging.getLogger("kandoo.reporting")
READ_CONCURRENCY = 8
INSERT_CONCURRENCY = 4


def update_op(doc_id: str, u: Update) -> UpdateOne:
    spec: dict[str, Any] = {"$set": {f"applied.{m}": o for m, o in u.markers.items()}}
    spec["$set"].update({k: v for k, v in u.fields.items() if v is not UNSET})
    removed = {k: "" for k, v in u.fields.items() if v is UNSET}
    if removed:
        spec["$unset"] = removed
    if inc := written_counters(u.inc):
        spec["$inc"] = inc
    on_insert = {k: v for k, v in u.on_insert.items() if k not in u.inc}
    if on_insert:
        spec["$setOnInsert"] = on_insert
    if u.add_to_set:
        spec["$addToSet"] = {k: {"$each": v} for k, v in u.add_to_set.items()}
    if u.push:
        spec["$push"] = {k: {"$each": v} for k, v in u.push.items()}
    # Only removals: nothing to create where the document is not there (a member that
    # joined and left within one batch).
    creates = bool(u.inc or u.on_insert or u.add_to_set or u.push) or any(
        v is not UNSET for v in u.fields.values()
    )
    return UpdateOne({"_id": doc_id}, spec, upsert=creates)


class ReadModels:
    """One generation of the read-model collections."""

    def __init__(self, db: AsyncDatabase[Doc], generation: int) -> None:
        self.db, self.generation = db, generation

    def __getitem__(self, model: str) -> AsyncCollection[Doc]:
        return self.db[f"{model}_g{self.generation}"]

    async def load(
        self, model: str, ids: Iterable[str], fields: Doc | None = None
    ) -> dict[str, Doc]:
        """Documents by id (missing ones are absent), a few lookups at a time."""
        gate = asyncio.Semaphore(READ_CONCURRENCY)

        async def one(doc_id: str) -> Doc | None:
            async with gate:
                return await self[model].find_one({"_id": doc_id}, fields)

        found = await asyncio.gather(*[one(i) for i in ids])
        return {d["_id"]: d for d in found if d is not None}

    async def complaint(self, complaint_id: str) -> Doc | None:
        return loaded_complaint(await self["complaints"].find_one({"_id": complaint_id}))

    async def complaints(self, ids: Iterable[str]) -> dict[str, Doc]:
        found = await self.load("complaints", ids)
        return {cid: doc for cid, d in found.items() if (doc := loaded_complaint(d))}

    async def load_markers(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, int]]:
        by_model: dict[str, list[str]] = {}
        for model, doc_id in keys:
            by_model.setdefault(model, []).append(doc_id)
        out: dict[tuple[str, str], dict[str, int]] = {}
        for model, ids in by_model.items():
            for doc_id, doc in (await self.load(model, ids, {"applied": 1})).items():
                out[(model, doc_id)] = dict(doc.get("applied") or {})
        return out

    async def write(self, changes: Changes, updates: Mapping[tuple[str, str], Update]) -> None:
        by_model: dict[str, list[UpdateOne]] = {}
        for (model, doc_id), u in updates.items():
            by_model.setdefault(model, []).append(update_op(doc_id, u))
        for model, ops in by_model.items():
            await bulk(self[model], ops)
        await self.add_codes(changes.tracking)
        await bulk(
            self["complaints"],
            [
                ReplaceOne({"_id": cid}, stored_complaint(doc), upsert=True)
                for cid, doc in changes.complaints.items()
            ],
        )

    async def add_codes(self, codes: Mapping[str, str]) -> None:
        """Tracking codes to their complaints. A code two complaints share (codes are not
        yet unique: issue 23) finds the later one. (The filter is `_id` alone: FerretDB
        scans the whole collection for any filter with `$exists` in it.)"""
        ops = [
            UpdateOne({"_id": tracking_bucket(code)}, {"$set": {f"codes.{code}": cid}}, upsert=True)
            for code, cid in codes.items()
        ]
        await bulk(self["tracking"], ops)

    async def insert_fresh(self, model: str, docs: Sequence[Doc]) -> None:
        """Documents into an empty collection of a new generation (rebuilds). Inserts hold
        no cursors (unlike updates, docs/decisions/0004): a few run at once, so the
        server encodes one chunk while SQLite stores another."""
        gate = asyncio.Semaphore(INSERT_CONCURRENCY)

        async def one(part: Sequence[Doc]) -> None:
            async with gate:
                await self[model].insert_many(list(part), ordered=False)

        await asyncio.gather(*[one(part) for part in chunks(docs, 500)])

    async def drop(self) -> None:
        for model in MODELS:
            await self.db.drop_collection(f"{model}_g{self.generation}")


class Meta:
    """The `meta` collection: which generation serves, and where each one's log ends."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.collection = db["meta"]
        self.db = db

    async def current(self) -> int:
        doc = await self.collection.find_one({"_id": "current"})
        return int(doc["generation"]) if doc else 1

    async def switch(self, generation: int, offsets: Mapping[str, int]) -> None:
        """Make `generation` the one readers and the live projector use, from `offsets`."""
        await self.collection.replace_one(
            {"_id": "current"},
            {"generation": generation, "offsets": dict(offsets), "at": datetime.now(UTC)},
            upsert=True,
        )

    async def handover(self) -> dict[str, int]:
        doc = await self.collection.find_one({"_id": "current"})
        return dict((doc or {}).get("offsets") or {})

    async def heartbeat(self, instance: str, generation: int) -> None:
        await self.collection.replace_one(
            {"_id": f"projector:{instance}"},
            {"generation": generation, "at": datetime.now(UTC)},
            upsert=True,
        )

    async def projectors(self) -> list[Doc]:
        docs = await self.collection.find({}).to_list()
        return [d for d in docs if str(d["_id"]).startswith("projector:")]
