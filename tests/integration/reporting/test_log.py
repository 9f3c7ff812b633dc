"""Reporting's view of the log itself: gaps are defects, exports hold exactly a window."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete

from kandoo.events.topics import Topics
from kandoo.reporting.adapters.export import export
from kandoo.reporting.adapters.log_reader import LogGone, LogReader, Window
from kandoo.reporting.bootstrap import build
from tests.conftest import Servers, TopicFactory
from tests.integration.reporting.conftest import reporting_settings
from tests.unit.reporting.history import event, routed, submitted


async def produce(servers: Servers, topic: str, bodies: list[dict[str, Any]]) -> None:
    """Records stamped like routing's: written at (just after) the event's time."""
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
    await producer.start()
    try:
        for body in bodies:
            at = datetime.fromisoformat(body["time"])
            await producer.send_and_wait(
                topic,
                json.dumps(body, ensure_ascii=False).encode(),
                key=body["subject"].encode(),
                timestamp_ms=int(at.timestamp() * 1000) + 3,
            )
    finally:
        await producer.stop()


async def test_a_sequence_gap_stops_the_complaint_and_is_counted(
    servers: Servers, unique: str, make_topic: TopicFactory
) -> None:
    settings = reporting_settings(servers, unique)
    topics = Topics(settings.topic_prefix)
    await make_topic("complaints.events")
    await make_topic("notifications.events")
    now = datetime.now(UTC)
    closed = event("c-gap", 3, "complaint.closed", now, {"reason": "staff"})
    await produce(servers, topics.events, [submitted("c-gap", now), closed])
    r = build(settings)
    await r.start()
    try:
        m = await r.models()
        for _ in range(100):
            doc = await m["complaints"].find_one({"_id": "c-gap"})
            if doc and doc.get("defect"):
                break
            await asyncio.sleep(0.2)
        assert doc is not None
        assert doc["defect"] == {"expected_sequence": 2, "got_sequence": 3}
        assert doc["version"] == 1
        assert r.metrics.gaps._value.get() == 1
    finally:
        await r.client.drop_database(settings.mongodb_db)
        await r.stop()


async def test_an_export_holds_exactly_the_events_of_its_window(
    servers: Servers, unique: str, make_topic: TopicFactory, tmp_path: Path
) -> None:
    settings = reporting_settings(servers, unique)
    topics = Topics(settings.topic_prefix)
    await make_topic("complaints.events", partitions=3)
    day = datetime(2026, 6, 1, tzinfo=UTC)
    bodies = []
    for n, hours in enumerate((-30, -1, 0, 5, 23, 24, 40)):  # window: [day, day + 24h)
        at = day + timedelta(hours=hours)
        dept = "engineering" if n % 2 else "public_health"
        bodies += [submitted(f"c-{n:04d}", at), routed(f"c-{n:04d}", at, dept)]
    await produce(servers, topics.events, bodies)
    end = day + timedelta(hours=24)
    inside = {b["id"] for b in bodies if day <= datetime.fromisoformat(b["time"]) < end}
    assert len(inside) == 6

    r = build(settings.model_copy(update={"project": False}))
    try:
        out = tmp_path / "window.jsonl"
        assert await export(settings, r.db, day, end, out) == 6
        assert {json.loads(line)["id"] for line in out.read_text().splitlines()} == inside

        out_csv = tmp_path / "window.csv"
        await export(settings, r.db, day, end, out_csv, "csv", types={"complaint.routed"})
        rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
        assert {row["id"] for row in rows} == {i for i in inside if i.endswith("-2")}
        assert {row["department"] for row in rows} == {"engineering", "public_health"}

        out_pq = tmp_path / "window.parquet"
        n = await export(settings, r.db, day, end, out_pq, "parquet", department="engineering")
        table = pq.read_table(out_pq).to_pylist()
        assert len(table) == n == 2  # c-0003 (5 h) in the window, submitted and routed
        assert {row["subject"] for row in table} == {"c-0003"}
    finally:
        await r.stop()


async def test_a_replay_fails_when_records_are_deleted_under_it(
    servers: Servers, unique: str, make_topic: TopicFactory
) -> None:
    """Retention deleting the start of the log while a replay reads it must stop the replay,
    never let it skip ahead and build read models with complaints missing."""
    settings = reporting_settings(servers, unique)
    topics = Topics(settings.topic_prefix)
    await make_topic("complaints.events")
    await make_topic("notifications.events")
    now = datetime.now(UTC)
    await produce(
        servers,
        topics.events,
        [submitted("c-a", now), routed("c-a", now, "engineering"), submitted("c-b", now)],
    )
    async with LogReader(settings, [topics.events, topics.notifications]) as reader:
        window = Window(await reader.beginnings(), await reader.ends())
        assert window.total == 3
        admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_records({TopicPartition(topics.events, 0): RecordsToDelete(2)})
        finally:
            await admin.close()
        with pytest.raises(LogGone, match="retention"):
            async for _ in reader.read(window):
                pass
