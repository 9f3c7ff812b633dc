"""Read models in memory for the read path's unit tests: a memory build's documents in a
dict, answering the two calls the read path makes (`load`, `find_one` by id)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from kandoo.events.directory import load_directory
from kandoo.reporting.adapters.applier import Parsed
from kandoo.reporting.adapters.memory_build import MemoryBuild
from kandoo.reporting.adapters.store import ReadModels
from kandoo.reporting.domain.deltas import Position
from kandoo.reporting.settings import ReportingSettings

DIRECTORY = load_directory(Path(__file__).resolve().parents[3] / "deploy/config/directory.yaml")


class FakeCollection:
    def __init__(self, models: FakeModels, model: str) -> None:
        self.models, self.model = models, model

    async def find_one(self, spec: dict[str, Any], fields: Any = None) -> dict[str, Any] | None:
        self.models.reads += 1
        return self.models.docs.get((self.model, str(spec["_id"])))


class FakeModels:
    """The two calls the read path makes, over documents in a dict."""

    generation = 1

    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.reads = 0

    async def insert_fresh(self, model: str, docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            self.docs[(model, str(doc["_id"]))] = doc

    def __getitem__(self, model: str) -> FakeCollection:
        return FakeCollection(self, model)

    async def load(self, model: str, ids: Any, fields: Any = None) -> dict[str, Any]:
        found = {}
        for doc_id in ids:
            self.reads += 1
            if (model, doc_id) in self.docs:
                found[doc_id] = self.docs[(model, doc_id)]
        return found


async def fold(records: list[dict[str, Any]], now: datetime) -> tuple[FakeModels, Any]:
    """The read models of `records` as a rebuild writes them, and a stand-in for the
    service (directory, settings, clock at `now`)."""
    build = MemoryBuild(DIRECTORY)
    build.apply([Parsed(body, Position("e", 0, i)) for i, body in enumerate(records)])
    models = FakeModels()
    fresh, _ = build.take_documents()
    for model, docs in fresh.items():
        await models.insert_fresh(model, docs)
    await build.write_shared(as_models(models))
    settings = ReportingSettings(public_url="https://example.test")
    return models, SimpleNamespace(directory=DIRECTORY, settings=settings, clock=lambda: now)


def as_models(models: FakeModels) -> ReadModels:
    """The fake where the read path expects the real read models (it makes the same calls)."""
    return cast(ReadModels, models)
