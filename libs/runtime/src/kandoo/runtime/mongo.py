"""Bulk writes every Kandoo writer to MongoDB sends the same way.

In chunks of at most `CHUNK` operations, one chunk at a time: FerretDB 1.24 (the
development and test server) stalls on large bulk updates and commits every statement on
its own; MongoDB loses little by it (docs/decisions/0004).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

CHUNK = 50


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def bulk(collection: AsyncCollection[Any], ops: Sequence[Any]) -> None:
    """`ops` (UpdateOne, ReplaceOne, DeleteOne...) unordered, a chunk at a time."""
    for part in chunks(ops):
        await collection.bulk_write(list(part), ordered=False)
