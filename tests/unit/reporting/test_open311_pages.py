"""Open311's request list read by the page (day sets, month counters) gives what filtering
and sorting every request would: for windows that cut days, for each status and service
code, on every page."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kandoo.events.directory import load_directory
from kandoo.reporting import service
from kandoo.reporting.adapters.applier import Parsed
from kandoo.reporting.adapters.memory_build import MemoryBuild
from kandoo.reporting.domain.deltas import Position
from kandoo.reporting.settings import ReportingSettings
from tests.unit.reporting.history import event, routed, submitted

DIRECTORY = load_directory(Path(__file__).resolve().parents[3] / "deploy/config/directory.yaml")
T0 = datetime(2026, 5, 30, 20, 0, tzinfo=UTC)  # a window across a month's end
CATEGORIES = ("road", "streetlight", "waste")


class FakeModels:
    """The two calls the read path makes, over documents in a dict."""

    generation = 1

    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.reads = 0

    async def insert_fresh(self, model: str, docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            self.docs[(model, str(doc["_id"]))] = doc

    async def load(self, model: str, ids: Any, fields: Any = None) -> dict[str, Any]:
        found = {}
        for doc_id in ids:
            self.reads += 1
            if (model, doc_id) in self.docs:
                found[doc_id] = self.docs[(model, doc_id)]
        return found


def history(n: int) -> list[dict[str, Any]]:
    """`n` complaints, one every 37 minutes over about a week, a third of them closed."""
    rng = random.Random(3)
    out = []
    for i in range(n):
        cid, at = f"c{i:04d}", T0 + timedelta(minutes=37 * i)
        out.append(submitted(cid, at, 12.55 + rng.random() * 0.03, rng.choice(CATEGORIES)))
        out.append(routed(cid, at + timedelta(minutes=1), "engineering"))
        if rng.random() < 0.35:
            closed = at + timedelta(hours=rng.randint(1, 30))
            out.append(event(cid, 3, "complaint.closed", closed, {"reason": "staff"}))
    return out


@pytest.fixture(scope="module")
async def built() -> tuple[FakeModels, Any]:
    build = MemoryBuild(DIRECTORY)
    records = history(300)
    build.apply([Parsed(body, Position("e", 0, i)) for i, body in enumerate(records)])
    models = FakeModels()
    fresh, _ = build.take_documents()
    for model, docs in fresh.items():
        await models.insert_fresh(model, docs)
    await build.write_shared(models)  # type: ignore[arg-type]
    settings = ReportingSettings(public_url="https://example.test")
    r = SimpleNamespace(directory=DIRECTORY, settings=settings, clock=lambda: T0)
    return models, r


@pytest.mark.parametrize("status", [None, "open", "closed"])
@pytest.mark.parametrize("code", [None, "road"])
async def test_every_page_is_the_filtered_sorted_list_cut_in_pages(
    built: tuple[FakeModels, Any], status: str | None, code: str | None
) -> None:
    models, r = built
    start, end = T0 + timedelta(hours=13, minutes=20), T0 + timedelta(days=5, hours=7)
    everything = [d for (model, _), d in models.docs.items() if model == "complaints"]
    expected = sorted(
        (
            d
            for d in everything
            if start <= d["submitted_at"] <= end
            and (not code or d["category"] == code)
            and (not status or (d["status"] == "closed") == (status == "closed"))
        ),
        key=lambda d: (d["submitted_at"], d["_id"]),
        reverse=True,
    )
    assert len(expected) > 20
    for size in (7, 50):
        listed: list[str] = []
        for page in range(1, len(expected) // size + 3):
            answer = await service.service_requests(
                r,
                models,
                [],
                code,
                start,
                end,
                status,
                page,
                size,  # type: ignore[arg-type]
            )
            assert len(answer) <= size
            listed += [x["service_request_id"] for x in answer]
        assert listed == [d["_id"] for d in expected]


async def test_a_narrow_filter_reads_no_more_sets_than_a_page_needs(
    built: tuple[FakeModels, Any],
) -> None:
    models, r = built
    models.reads = 0
    start, end = T0, T0 + timedelta(days=7)
    answer = await service.service_requests(
        r,
        models,
        [],
        "road",
        start,
        end,
        "open",
        1,
        5,  # type: ignore[arg-type]
    )
    assert len(answer) == 5
    # the months of the window, the two days it may cut, and the days that hold the page
    assert models.reads <= 2 + 2 + 5
