"""Open311's request list read by the page (day sets, month counters) gives what filtering
and sorting every request would: for windows that cut days, for each status and service
code, on every page."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kandoo.reporting import service
from tests.unit.reporting.fakes import FakeModels, as_models, fold
from tests.unit.reporting.history import event, routed, submitted

T0 = datetime(2026, 5, 30, 20, 0, tzinfo=UTC)  # a window across a month's end
CATEGORIES = ("road", "streetlight", "waste")


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
    return await fold(history(300), T0)


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
                as_models(models),
                [],
                code,
                start,
                end,
                status,
                page,
                size,
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
        as_models(models),
        [],
        "road",
        start,
        end,
        "open",
        1,
        5,
    )
    assert len(answer) == 5
    # the months of the window, the two days it may cut, and the days that hold the page
    assert models.reads <= 2 + 2 + 5
