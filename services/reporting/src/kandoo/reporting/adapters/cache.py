"""Read-model documents that change slowly, served from memory while they are fresh
enough and refreshed in the background when they are not (stale-while-revalidate).

For documents as large as the city's pattern of complaints (the hotspot areas), which
cost FerretDB tens of milliseconds each to read, where a map can be a few seconds behind:
a reader waits for one only the first time this process meets it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Iterable

from kandoo.reporting.adapters.store import Doc, ReadModels

log = logging.getLogger("kandoo.reporting")
Key = tuple[int, str, str]  # generation, model, document id


class StaleWhileRevalidate:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.entries: dict[Key, tuple[float, Doc | None]] = {}
        self.refreshing: dict[Key, asyncio.Task[None]] = {}

    async def load(
        self, m: ReadModels, model: str, ids: Iterable[str], max_age_s: float
    ) -> dict[str, Doc]:
        """Documents by id, like `ReadModels.load`, at most `max_age_s` old but for the
        ones being refreshed right now (`max_age_s` 0: read every one, keep none)."""
        wanted = list(ids)
        if max_age_s <= 0:
            return await m.load(model, wanted)
        now, out, missing = self.clock(), {}, []
        for doc_id in wanted:
            key = (m.generation, model, doc_id)
            if (hit := self.entries.get(key)) is None:
                missing.append(doc_id)
                continue
            at, doc = hit
            if now - at > max_age_s and key not in self.refreshing:
                task = asyncio.create_task(self._refresh(m, model, doc_id))
                self.refreshing[key] = task
                task.add_done_callback(functools.partial(self._refreshed, key))
            if doc is not None:
                out[doc_id] = doc
        if missing:
            found = await m.load(model, missing)
            self._forget_other_generations(m.generation)
            for doc_id in missing:
                self.entries[(m.generation, model, doc_id)] = (now, found.get(doc_id))
            out.update(found)
        return out

    def _refreshed(self, key: Key, _: asyncio.Task[None]) -> None:
        self.refreshing.pop(key, None)

    async def _refresh(self, m: ReadModels, model: str, doc_id: str) -> None:
        started = self.clock()
        try:
            found = await m.load(model, [doc_id])
        except Exception:  # the next reader tries again; the old copy serves meanwhile
            log.exception("refreshing %s/%s failed", model, doc_id)
            return
        self.entries[(m.generation, model, doc_id)] = (started, found.get(doc_id))

    def _forget_other_generations(self, generation: int) -> None:
        for key in [k for k in self.entries if k[0] != generation]:
            del self.entries[key]

    async def close(self) -> None:
        for task in list(self.refreshing.values()):
            task.cancel()
        await asyncio.gather(*self.refreshing.values(), return_exceptions=True)
