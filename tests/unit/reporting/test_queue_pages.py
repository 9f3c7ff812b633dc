"""A department's queue read by the page (month counters, day counters, day buckets) gives
what filtering and sorting every open item would: over months of due dates, with and
without the overdue filter (today's items are partly late), on every page; and health's
overdue and oldest-waiting figures match the items."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kandoo.reporting import service
from tests.unit.reporting.fakes import FakeModels, as_models, fold
from tests.unit.reporting.history import event, submitted

NOW = datetime(2026, 9, 14, 9, 30, tzinfo=UTC)
CATEGORIES = ("road", "streetlight", "drainage")


def history(n: int) -> list[dict[str, Any]]:
    """`n` complaints to engineering over five months; due times from months ago to weeks
    ahead and a few today either side of now; some acknowledged, some resolved."""
    rng = random.Random(5)
    out = []
    for i in range(n):
        cid = f"q{i:04d}"
        at = NOW - timedelta(days=rng.randint(0, 150), minutes=rng.randint(0, 1440))
        out.append(submitted(cid, at, 12.55 + rng.random() * 0.03, rng.choice(CATEGORIES)))
        due = NOW + timedelta(minutes=rng.randint(-300, 300) if i % 7 == 0 else 0)
        if i % 7:
            due = NOW + timedelta(days=rng.randint(-120, 40), minutes=rng.randint(0, 1440))
        data = {
            "department": "engineering",
            "reason": "category",
            "acknowledge_by": due.isoformat(),
            "resolve_by": (due + timedelta(days=2)).isoformat(),
        }
        out.append(event(cid, 2, "complaint.routed", at + timedelta(minutes=1), data))
        fate = rng.random()
        if fate < 0.3:
            later = at + timedelta(minutes=5)
            ack = {"department": "engineering"}
            out.append(event(cid, 3, "complaint.acknowledged", later, ack))
        elif fate < 0.45:
            later = at + timedelta(minutes=9)
            out.append(event(cid, 3, "complaint.resolved", later, {"note": "done"}))
    return out


@pytest.fixture(scope="module")
async def built() -> tuple[FakeModels, Any]:
    return await fold(history(400), NOW)


def open_items(models: FakeModels) -> list[dict[str, Any]]:
    docs = [d for (model, _), d in models.docs.items() if model == "complaints"]
    out = []
    for d in docs:
        if d["status"] in ("routed", "acknowledged"):
            due = d["acknowledge_by"] if d["status"] == "routed" else d["resolve_by"]
            out.append({**d, "due": due})
    return sorted(out, key=lambda d: (d["due"], d["_id"]))


@pytest.mark.parametrize("overdue", [None, True, False])
@pytest.mark.parametrize("status", [None, "acknowledged"])
async def test_every_page_is_the_filtered_sorted_queue_cut_in_pages(
    built: tuple[FakeModels, Any], overdue: bool | None, status: str | None
) -> None:
    models, r = built
    expected = [
        d["_id"]
        for d in open_items(models)
        if (overdue is None or (d["due"] < NOW) == overdue)
        and (not status or d["status"] == status)
    ]
    assert len(expected) > 30
    for size in (9, 50):
        listed: list[str] = []
        for page in range(1, len(expected) // size + 3):
            answer = await service.queue(
                r,
                as_models(models),
                "engineering",
                status,
                None,
                overdue,
                page,
                size,
            )
            assert answer["total"] == len(expected)
            listed += [i["id"] for i in answer["items"]]
        assert listed == expected


async def test_health_counts_overdue_and_the_oldest_waiting_exactly(
    built: tuple[FakeModels, Any],
) -> None:
    models, _ = built
    items = open_items(models)
    counters = models.docs[("departments", "engineering")]
    waiting = await service._waiting_figures(as_models(models), counters, "engineering", NOW)
    assert waiting.overdue == sum(1 for d in items if d["due"] < NOW)
    unacknowledged = [d for d in items if d["status"] == "routed"]
    assert waiting.unacknowledged == len(unacknowledged)
    assert waiting.oldest_unacknowledged_at == min(d["submitted_at"] for d in unacknowledged)


async def test_a_page_reads_the_months_and_days_it_needs_not_the_history(
    built: tuple[FakeModels, Any],
) -> None:
    models, r = built
    models.reads = 0
    await service.queue(r, as_models(models), "engineering", None, None, None, 3, 20)
    # the department's counters, a month's days or two, the day buckets of the page
    assert models.reads <= 1 + 2 + 20
