"""Reporting's read API against a long history: every endpoint's time per call at two
sizes of history, and the ratio between them (a read must cost its page, not the past).

    uv run python bench/read_api.py [--complaints 3000 30000] [--calls 30]

`make bench` runs the default sizes (a few minutes); the figures of record are taken with
`--complaints 30000 300000` (about a quarter of an hour here).

Each size is seeded through the same path as a rebuild: whole complaint histories from
the real lifecycle (bench/rebuild.py) written to a topic of the benchmark's own, then
`kandoo-reporting rebuild` into a fresh database. The API is then called in-process
(FastAPI over ASGI, no sockets) with its clock at the end of the history, so "today",
"overdue" and Open311's default 90 days fall where the data is. Uses the broker and the
MongoDB-protocol server of `make run` (KANDOO_KAFKA_BOOTSTRAP, KANDOO_MONGODB_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient
from rebuild import DIRECTORY, PARTITIONS, histories, produce
from routing import delete_topics, percentile

from kandoo.events.auth import issue_token
from kandoo.events.directory import load_directory
from kandoo.events.topics import Topics
from kandoo.events.values import Actor, Role
from kandoo.reporting.adapters.replay import rebuild
from kandoo.reporting.bootstrap import build
from kandoo.reporting.entrypoints.app import create_app
from kandoo.reporting.settings import ReportingSettings

EVENTS_PER_COMPLAINT = 6.2
"""What bench/rebuild.py's histories average (measured), to ask for a number of complaints."""
CLERK = Actor(id="bench-clerk", role=Role.CLERK, department="clerk")


def endpoints(end: datetime, complaint_id: str, code: str) -> list[tuple[str, str, dict[str, Any]]]:
    day = end.date()
    month_ago, year_ago = (day - timedelta(days=30)).isoformat(), (day - timedelta(days=365))
    # 60 days: a range both histories fill (30,000 complaints are 62 days of them), where
    # "a year" at 30,000 holds only those 62 days
    two_months = (day - timedelta(days=60)).isoformat()
    return [
        ("complaint by id", f"/v1/complaints/{complaint_id}", {}),
        ("track by code", f"/v1/track/{code}", {}),
        ("queue page 1", "/v1/departments/engineering/queue", {}),
        ("queue page 20", "/v1/departments/engineering/queue", {"page": 20}),
        ("queue overdue", "/v1/departments/engineering/queue", {"overdue": "true"}),
        (
            "queue status+category",
            "/v1/departments/engineering/queue",
            {"status": "acknowledged", "category": "road"},
        ),
        ("department health", "/v1/departments/health", {}),
        ("department stats 30 days", "/v1/departments/engineering/stats", {"from": month_ago}),
        ("department stats 60 days", "/v1/departments/engineering/stats", {"from": two_months}),
        ("department stats a year", "/v1/departments/engineering/stats", {"from": year_ago}),
        ("public stats 60 days", "/v1/stats/public", {"from": two_months}),
        ("public stats a year", "/v1/stats/public", {"from": year_ago.isoformat()}),
        ("hotspots open", "/v1/hotspots", {}),
        ("hotspots all", "/v1/hotspots", {"status": "all"}),
        ("hotspots bbox", "/v1/hotspots", {"bbox": "99.945,12.55,99.955,12.56"}),
        ("open311 90 days page 1", "/open311/v2/requests.json", {}),
        ("open311 page 10", "/open311/v2/requests.json", {"page": 10}),
        (
            "open311 open road",
            "/open311/v2/requests.json",
            {"status": "open", "service_code": "road"},
        ),
    ]


@dataclass(frozen=True)
class Seeded:
    settings: ReportingSettings
    events: int
    end: datetime
    """An hour after the last event: the API's clock."""
    complaint_id: str
    tracking_code: str
    """Of the last complaint submitted (looked up by id and by code)."""


def last_submitted(records: list[tuple[bytes, bytes, int]]) -> tuple[str, str]:
    for _, value, _ in reversed(records):
        event = json.loads(value)
        if event["type"] == "complaint.submitted":
            return str(event["subject"]), str(event["data"]["tracking_code"])
    raise ValueError("no complaint in the history")


async def seed(complaints: int, bootstrap: str, mongodb: str) -> Seeded:
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    settings = ReportingSettings(
        kafka_bootstrap=bootstrap,
        mongodb_url=mongodb,
        topic_prefix=prefix,
        mongodb_db=f"bench_read_{prefix.split('.')[1]}",
        directory=str(DIRECTORY),
        project=False,
    )
    started = time.perf_counter()
    # A complaint every 3 minutes, ending about now: Kafka refuses record times far ahead.
    start = datetime.now(UTC) - timedelta(minutes=3 * complaints) - timedelta(days=30)
    records = histories(int(complaints * EVENTS_PER_COMPLAINT), start=start)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        wanted = (f"{prefix}complaints.events", f"{prefix}notifications.events")
        specs = [s for s in Topics(prefix).specs([], PARTITIONS) if s.name in wanted]
        await admin.create_topics(
            [NewTopic(s.name, s.partitions, 1, topic_configs=s.config()) for s in specs]
        )
    finally:
        await admin.close()
    await produce(bootstrap, f"{prefix}complaints.events", records)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb, tz_aware=True)
    try:
        result = await rebuild(settings, client[settings.mongodb_db], load_directory(DIRECTORY))
    finally:
        await client.close()
    print(
        f"seeded {len(records):,} events in {time.perf_counter() - started:.0f}s "
        f"(rebuild {result.rate:,.0f} events/s)",
        flush=True,
    )
    complaint_id, code = last_submitted(records)
    end = datetime.fromtimestamp(records[-1][2] / 1000, UTC) + timedelta(hours=1)
    return Seeded(settings, len(records), end, complaint_id, code)


async def time_calls(
    settings: ReportingSettings,
    end: datetime,
    calls: int,
    wanted: list[tuple[str, str, dict[str, Any]]],
) -> dict[str, tuple[float, float]]:
    """(p50, p99) ms of each endpoint over `calls` calls, after three that warm it up."""
    r = build(settings)
    try:
        r.clock = lambda: end
        headers = {"Authorization": f"Bearer {issue_token(settings.jwt_secret, CLERK)}"}
        out: dict[str, tuple[float, float]] = {}
        transport = httpx.ASGITransport(app=create_app(r=r))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for name, path, params in wanted:
                times = []
                for n in range(calls + 3):
                    started = time.perf_counter()
                    answer = await http.get(path, params=params, headers=headers)
                    if n >= 3:
                        times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (name, answer.status_code, answer.text[:200])
                out[name] = (percentile(times, 0.5), percentile(times, 0.99))
                size = len(answer.content) / 1024
                print(
                    f"  {name:26} p50 {out[name][0]:7.1f} ms  p99 {out[name][1]:7.1f} ms"
                    f"  answer {size:7.1f} KB"
                )
        return out
    finally:
        await r.stop()


async def measure(seeded: Seeded, calls: int) -> dict[str, tuple[float, float]]:
    settings, end = seeded.settings, seeded.end
    print(f"  the last event at {end:%Y-%m-%d %H:%M}", flush=True)
    # The seeding's millions of objects are not a service's heap: out of the collector's way.
    gc.collect()
    gc.freeze()
    try:
        wanted = endpoints(end, seeded.complaint_id, seeded.tracking_code)
        out = await time_calls(settings, end, calls, wanted)
        # What the hotspot areas cost when read on every call (the service keeps them in
        # memory for seconds: a reader pays this only when it meets an area first).
        print("  hotspots with nothing kept in memory (every call reads the areas):")
        cold = settings.model_copy(update={"hotspot_max_age_s": 0, "hotspot_history_max_age_s": 0})
        await time_calls(cold, end, calls, [e for e in wanted if e[0].startswith("hotspots")])
        return out
    finally:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_url)
        await client.drop_database(settings.mongodb_db)
        await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--complaints", type=int, nargs="+", default=[3_000, 30_000])
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    bootstrap = os.environ.get("KANDOO_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    mongodb = os.environ.get("KANDOO_MONGODB_URL", "mongodb://127.0.0.1:27017/")
    figures: list[dict[str, tuple[float, float]]] = []
    for size in args.complaints:
        print(f"read API at about {size:,} complaints", flush=True)
        seeded = await seed(size, bootstrap, mongodb)
        try:
            figures.append(await measure(seeded, args.calls))
        finally:
            await delete_topics(bootstrap, seeded.settings.topic_prefix)
    if len(figures) > 1:
        small, large = figures[0], figures[-1]
        worst = max(large[name][1] for name in large)
        print(f"read API p99 ratio, {args.complaints[-1]:,} / {args.complaints[0]:,} complaints:")
        for name in large:
            print(f"  {name:26} {large[name][1] / max(small[name][1], 0.01):5.2f}x")
        print(f"read API worst p99 at {args.complaints[-1]:,} complaints: {worst:.1f} ms")
    print(f"finished {datetime.now(UTC):%H:%M} UTC")


if __name__ == "__main__":
    asyncio.run(main())
