"""Reporting's rebuild: events per second from the log into fresh read models, beside the
raw rate of a bare aiokafka loop reading the same topic (the ceiling).

    uv run python bench/rebuild.py [--events 200000]

Histories come from the real lifecycle (`kandoo.events.lifecycle.handle`, as routing runs
it): submitted, classified, routed, acknowledged, assigned, resolved, and for some a
note, a rating and a close. They are written to a topic of the benchmark's own with
record times like routing's; the broker and MongoDB-protocol server are those of
`make run` (KANDOO_KAFKA_BOOTSTRAP, KANDOO_MONGODB_URL). Target: rebuild >= 10,000
events/s and >= 30% of the raw rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient
from routing import delete_topics

from kandoo.events import commands as c
from kandoo.events.decide import Context
from kandoo.events.directory import load_directory
from kandoo.events.envelope import to_record
from kandoo.events.ids import tracking_code
from kandoo.events.lifecycle import handle
from kandoo.events.refusals import Refusal
from kandoo.events.state import ComplaintState
from kandoo.events.topics import Topics
from kandoo.events.values import Actor, Classification, Location, ReporterContact, Role, Status
from kandoo.reporting.adapters.replay import rebuild
from kandoo.reporting.settings import ReportingSettings

ROOT = Path(__file__).resolve().parents[1]
DIRECTORY = ROOT / "deploy" / "config" / "directory.yaml"
CATEGORIES = ["road", "streetlight", "drainage", "waste", "noise", "stray_animals", "trees"]
PARTITIONS = 6


def staff_steps(rng: random.Random, cid: str, dept: str) -> list[c.Command | None]:
    staff = Actor(id=f"{dept}-admin", role=Role.DEPT_ADMIN, department=dept)
    steps: list[c.Command | None] = [
        c.AcknowledgeComplaint(command_id="a", complaint_id=cid, actor=staff),
        c.AssignComplaint(command_id="b", complaint_id=cid, actor=staff, assignee="ทีม 1"),
    ]
    if rng.random() < 0.8:
        steps.append(
            c.ResolveComplaint(command_id="r", complaint_id=cid, actor=staff, note="แก้ไขแล้ว")
        )
        if rng.random() < 0.3:
            steps.append(c.CloseComplaint(command_id="x", complaint_id=cid, actor=staff))
    else:
        steps.append(c.AddNote(command_id="n", complaint_id=cid, actor=staff, text="รออะไหล่"))
    return steps


def histories(
    n_events: int, seed: int = 7, start: datetime | None = None
) -> list[tuple[bytes, bytes, int]]:
    """(key, value, timestamp ms) records of whole complaint histories, in order, one
    complaint every 3 minutes from `start` (2026-01-01 unless given)."""
    directory = load_directory(DIRECTORY)
    rng = random.Random(seed)
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    citizen = Actor(id="anonymous", role=Role.CITIZEN)
    out: list[tuple[bytes, bytes, int]] = []
    i = 0
    while len(out) < n_events:
        i += 1
        cid = str(uuid.UUID(int=rng.getrandbits(128)))
        category = rng.choice(CATEGORIES)
        now = start + timedelta(minutes=i * 3)
        state = ComplaintState(cid)
        submit = c.SubmitComplaint(
            command_id=str(uuid.uuid4()),
            complaint_id=cid,
            actor=citizen,
            tracking_code=tracking_code(cid),
            description=f"รายงานปัญหา {category} หมายเลข {i} บริเวณถนนเพชรเกษม",
            language="th",
            location=Location(lat=12.54 + rng.random() * 0.06, lon=99.945 + rng.random() * 0.015),
            category=category,
            reporter=ReporterContact(name="ผู้แจ้ง", phone="0800000000"),
        )
        steps: list[c.Command | None] = [submit, None]  # None: staff of the routed department
        classification = Classification(category=category, confidence=0.95, model_version="bench")
        for step in steps:
            if step is None:
                if state.status not in (Status.ROUTED, Status.TRIAGE):
                    break  # forwarded to an outside agency, or a duplicate: nothing more here
                steps += staff_steps(rng, cid, state.department or "")
                continue
            ctx = Context(directory=directory, now=now, classification=classification)
            decided = handle(step, state, ctx)
            assert not isinstance(decided, Refusal), (step.kind, decided)
            envelopes, state = decided
            for env in envelopes:
                record = to_record(env)
                out.append((record.key, record.value, int(now.timestamp() * 1000)))
            now += timedelta(minutes=rng.randint(5, 600))
    return out


async def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes, int]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, acks=1
    )
    await producer.start()
    try:
        pending = []
        for key, value, ts in records:
            pending.append(await producer.send(topic, value, key=key, timestamp_ms=ts))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def raw_rate(bootstrap: str, topic: str, expected: int) -> float:
    """A bare read_committed loop over the topic, counting records: the ceiling."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        isolation_level="read_committed",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=32 * 1024 * 1024,
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        seen = 0
        started = time.perf_counter()
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            seen += sum(len(records) for records in batch.values())
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def main(n_events: int) -> None:
    bootstrap = os.environ.get("KANDOO_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    mongodb = os.environ.get("KANDOO_MONGODB_URL", "mongodb://127.0.0.1:27017/")
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    settings = ReportingSettings(
        kafka_bootstrap=bootstrap,
        mongodb_url=mongodb,
        topic_prefix=prefix,
        mongodb_db=f"bench_rebuild_{prefix.split('.')[1]}",
        directory=str(DIRECTORY),
    )
    t = time.perf_counter()
    records = histories(n_events)
    print(
        f"histories: {len(records):,} events from the lifecycle in {time.perf_counter() - t:.1f}s"
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    events_topic = f"{prefix}complaints.events"
    # The product's own topic settings: the log is kept forever. (With the broker's default
    # 7-day retention the back-dated histories below are deleted under the replay.)
    await admin.create_topics(
        [
            NewTopic(s.name, s.partitions, 1, topic_configs=s.config())
            for s in Topics(prefix).specs([], PARTITIONS)
            if s.name in (events_topic, f"{prefix}notifications.events")
        ]
    )
    await admin.close()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb, tz_aware=True)
    try:
        t = time.perf_counter()
        await produce(bootstrap, events_topic, records)
        print(f"produced in {time.perf_counter() - t:.1f}s")
        raw = max([await raw_rate(bootstrap, events_topic, len(records)) for _ in range(2)])
        result = await rebuild(settings, client[settings.mongodb_db], load_directory(DIRECTORY))
        complaints = await client[settings.mongodb_db][
            f"complaints_g{result.generation}"
        ].count_documents({})
        print(f"raw aiokafka read (ceiling): {raw:,.0f} events/s")
        print(
            f"rebuild: {result.events:,} events into {complaints:,} complaints in "
            f"{result.seconds:.1f}s = {result.rate:,.0f} events/s "
            f"({result.rate / raw:.0%} of raw)"
        )
    finally:
        await client.drop_database(settings.mongodb_db)
        await client.close()
        await delete_topics(bootstrap, prefix)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    asyncio.run(main(args.events))
