"""Notify's MongoDB collections: deliveries, the retry list, and the cases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kandoo.notify.domain.case import Case, case_doc, case_from_doc
from kandoo.runtime.mongo import bulk

Doc = dict[str, Any]


class DeliveryStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.deliveries = db["deliveries"]
        self.retries = db["retries"]
        """The deliveries waiting for another attempt, and when: only these, so the retry
        pass reads a handful of documents, not every delivery ever made (scanning those
        every half second took a whole core of FerretDB at 15,000 deliveries)."""
        self.cases = db["cases"]
        self.instances = db["instances"]
        """Notify's instances and when each was last alive (a heartbeat each retry pass)."""

    # --- deliveries ------------------------------------------------------------------

    async def claim(self, record: Doc) -> bool:
        """Record a new delivery; False when it exists (handled before: send nothing)."""
        try:
            await self.deliveries.insert_one(record)
        except DuplicateKeyError:
            return False
        return True

    async def update(self, delivery_id: str, **fields: Any) -> None:
        await self.deliveries.update_one({"_id": delivery_id}, {"$set": fields})

    async def take_for_retry(self, d: Doc, owner: str) -> bool:
        """Move a delivery from `retry` to `sending` for its next attempt, if no other
        instance did first: a single-document update that only one can win."""
        done = await self.deliveries.update_one(
            {"_id": d["_id"], "state": "retry", "attempt": d["attempt"]},
            {"$set": {"state": "sending", "attempt": d["attempt"] + 1, "owner": owner}},
        )
        return done.modified_count == 1

    async def beat(self, instance_id: str, now: datetime) -> None:
        await self.instances.replace_one({"_id": instance_id}, {"at": now}, upsert=True)

    async def instances_alive(self, since: datetime) -> set[str]:
        return {str(d["_id"]) async for d in self.instances.find({}) if d["at"] >= since}

    async def get(self, delivery_id: str) -> Doc | None:
        return await self.deliveries.find_one({"_id": delivery_id})

    async def unfinished(self) -> list[Doc]:
        """Deliveries left `sending` or `retry` (read once, at start)."""
        return await self.deliveries.find({"state": {"$in": ["sending", "retry"]}}).to_list()

    # --- the retry list --------------------------------------------------------------

    async def schedule(self, delivery_id: str, next_at: datetime) -> None:
        await self.retries.replace_one({"_id": delivery_id}, {"next_at": next_at}, upsert=True)

    async def scheduled(self) -> list[Doc]:
        return await self.retries.find({}).to_list()

    async def unschedule(self, delivery_id: str) -> None:
        await self.retries.delete_one({"_id": delivery_id})

    # --- cases -----------------------------------------------------------------------

    async def case(self, complaint_id: str) -> Case:
        return case_from_doc(complaint_id, await self.cases.find_one({"_id": complaint_id}))

    async def save_cases(self, cases: Iterable[Case]) -> None:
        await bulk(
            self.cases,
            [ReplaceOne({"_id": c.complaint_id}, case_doc(c), upsert=True) for c in cases],
        )

    async def all_cases(self) -> list[Doc]:
        return await self.cases.find({}).to_list()
