"""The MongoDB features the read models use, against the real MongoDB-protocol server."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Db = AsyncDatabase[dict[str, Any]]


async def test_insert_and_read_back_thai_text(mongo_db: Db) -> None:
    await mongo_db.complaints.insert_one({"_id": "c1", "description": "ถนนเป็นหลุม หน้าตลาดฉัตรไชย"})
    doc = await mongo_db.complaints.find_one({"_id": "c1"})
    assert doc == {"_id": "c1", "description": "ถนนเป็นหลุม หน้าตลาดฉัตรไชย"}


async def test_a_unique_index_refuses_a_second_document_with_the_same_key(mongo_db: Db) -> None:
    await mongo_db.deliveries.create_index(
        [("event_id", ASCENDING), ("recipient", ASCENDING)], unique=True
    )
    await mongo_db.deliveries.insert_one({"event_id": "e1", "recipient": "r1"})
    with pytest.raises(DuplicateKeyError):
        await mongo_db.deliveries.insert_one({"event_id": "e1", "recipient": "r1"})
    await mongo_db.deliveries.insert_one({"event_id": "e1", "recipient": "r2"})
    assert await mongo_db.deliveries.count_documents({}) == 2


async def test_upsert_with_set_inc_and_set_on_insert(mongo_db: Db) -> None:
    key = {"_id": "2026-11-23|engineering|road"}
    for n in range(3):
        await mongo_db.stats.update_one(
            key,
            {
                "$set": {"last_event": f"e{n}"},
                "$inc": {"submitted": 1},
                "$setOnInsert": {"department": "engineering"},
            },
            upsert=True,
        )
    doc = await mongo_db.stats.find_one(key)
    assert doc == {**key, "last_event": "e2", "submitted": 3, "department": "engineering"}


async def test_sorted_find_with_limit(mongo_db: Db) -> None:
    await mongo_db.queue.insert_many(
        [{"_id": f"c{i}", "due": f"2026-11-{20 + i:02d}"} for i in range(5)]
    )
    cursor = mongo_db.queue.find({}, sort=[("due", DESCENDING)], limit=2)
    assert [d["_id"] async for d in cursor] == ["c4", "c3"]


async def test_group_with_one_sum_per_stage_counts_per_key(mongo_db: Db) -> None:
    # FerretDB 1.24 computes only the first accumulator of a $group stage (the others
    # come back 0), so read models ask one measure per stage: docs/decisions/0002.
    await mongo_db.events.insert_many(
        [
            {"department": "engineering", "n": 2},
            {"department": "engineering", "n": 3},
            {"department": "public_health", "n": 1},
        ]
    )

    async def group_by_department(accumulator: dict[str, Any]) -> list[dict[str, Any]]:
        pipeline: list[dict[str, Any]] = [
            {"$group": {"_id": "$department", "v": accumulator}},
            {"$sort": {"_id": 1}},
        ]
        return [row async for row in await mongo_db.events.aggregate(pipeline)]

    totals = await group_by_department({"$sum": "$n"})
    counts = await group_by_department({"$sum": 1})
    assert totals == [{"_id": "engineering", "v": 5}, {"_id": "public_health", "v": 1}]
    assert counts == [{"_id": "engineering", "v": 2}, {"_id": "public_health", "v": 1}]
