"""A KRaft cluster of three brokers on loopback (deploy/local, profile `cluster`) loses
one, SIGKILLed, while citizens submit 50 reports a second: intake keeps answering, and
after the broker returns every accepted report is in the read model exactly once.

Its figures (accepted, in the read model, doubled, the longest answer during the loss)
are printed after pytest's summary line."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient

from kandoo.events.values import Actor, Role
from kandoo.runtime.priority import preexec_for
from tests.conftest import FIGURES, TEST_SECRET, local_servers_module
from tests.e2e.conftest import ROOT, Service
from tests.ports import free_port

RATE = 50  # reports a second
LOAD_S = 40.0
KILL_AT_S, BACK_AT_S = 10.0, 25.0
VICTIM = 1  # the first broker: listed first in every bootstrap, and the first controller
CLERK = Actor(id="clerk-1", role=Role.CLERK, department="clerk")


@dataclass
class Cluster:
    local: Any
    profile: Any
    services: dict[str, Service]
    prefix: str
    db: str


@pytest.fixture(scope="module")
def cluster_servers() -> Iterator[tuple[Any, Any]]:
    local = local_servers_module()
    local.main(["reset", "--profile", "cluster"])
    try:
        assert local.main(["start", "--profile", "cluster"]) == 0, "the cluster did not start"
        yield local, local.resolved("cluster")
    finally:
        local.main(["stop", "--profile", "cluster"])


@pytest.fixture(scope="module")
async def cluster(
    cluster_servers: tuple[Any, Any], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    local, profile = cluster_servers
    unique = uuid.uuid4().hex[:8]
    logs = tmp_path_factory.mktemp("cluster")
    env = os.environ | {
        "KANDOO_ENV": "test",
        "KANDOO_KAFKA_BOOTSTRAP": profile.bootstrap,
        "KANDOO_MONGODB_URL": profile.mongodb_url,
        "KANDOO_TOPIC_PREFIX": f"cl.{unique}.",
        "KANDOO_JWT_SECRET": TEST_SECRET,
        "KANDOO_REPLICATION_FACTOR": str(profile.replication),
        "KANDOO_MIN_INSYNC_REPLICAS": str(profile.min_insync),
        "KANDOO_KEYS_MONGODB_DB": f"cl_{unique}_keys",
        "KANDOO_RATE_PER_MINUTE_IP": "1000000",
        "KANDOO_DIRECTORY": str(ROOT / "deploy" / "config" / "directory.yaml"),
    }
    services = {
        name: Service(
            name,
            env | {"PORT": str(free_port()), "KANDOO_MONGODB_DB": f"cl_{unique}_{name}"},
            logs / f"{name}.log",
            0,
            preexec=preexec_for(name),  # reporting yields the CPU to the write path, as in make run
        )
        for name in ("routing", "intake", "reporting")
    }
    for service in services.values():
        service.port = int(service.env["PORT"])
    try:
        for service in services.values():
            await service.start()
        yield Cluster(local, profile, services, f"cl.{unique}.", f"cl_{unique}_reporting")
    finally:
        for service in services.values():
            service.stop()
        for name in services:
            text = (logs / f"{name}.log").read_text(errors="replace")
            if "Traceback" in text:
                print(f"--- {name} log ---\n{text[-3000:]}")


@dataclass
class Load:
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> complaint
    statuses: Counter[int] = field(default_factory=Counter)
    answers: list[tuple[float, float, int]] = field(default_factory=list)  # at, took, status
    gave_up: int = 0


async def citizen(http: httpx.AsyncClient, key: str, started: float, load: Load) -> None:
    """One report, retried with its key on 503 or a dropped connection, as the app does."""
    body = {
        "description": f"ไฟถนนดับ เสาที่ {key[-6:]}",
        "location": {"lat": 12.5684, "lon": 99.9577},
        "language": "th",
        "channel": "mobile",
    }
    deadline = time.monotonic() + 120  # a saturated two-core machine answers slowly
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            answer = await http.post(
                "/v1/complaints", json=body, headers={"Idempotency-Key": key}, timeout=30
            )
            status = answer.status_code
        except httpx.HTTPError:
            status = 0
        load.answers.append((t0 - started, time.monotonic() - t0, status))
        load.statuses[status] += 1
        if status in (201, 202):
            load.accepted[key] = answer.json()["complaint_id"]
            return
        await asyncio.sleep(0.5)
    load.gave_up += 1


async def submitted_counts(bootstrap: str, topic: str) -> Counter[str]:
    """How many times each complaint's submission is in the log (committed records)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, isolation_level="read_committed", enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: Counter[str] = Counter()
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for r in records:
                    e = json.loads(r.value)
                    if e["type"] == "complaint.submitted":
                        found[e["subject"]] += 1
        return found
    finally:
        await consumer.stop()


async def served_within(port: int) -> str:
    """Intake's own account of its answer times (its request histogram)."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    buckets = {
        float(m.group(1)) if m.group(1) != "+Inf" else float("inf"): float(m.group(2))
        for m in re.finditer(
            r'kandoo_intake_request_seconds_bucket\{le="([^"]+)",route="/v1/complaints"\} (\S+)',
            text,
        )
    }
    total = buckets[float("inf")]
    return (
        ", ".join(f"{buckets[le] / total:.1%} within {le:g} s" for le in (0.5, 1.0, 2.5, 5.0))
        + f" of {total:.0f}"
    )


async def test_losing_a_broker_under_50_reports_a_second_loses_and_doubles_nothing(
    cluster: Cluster,
) -> None:
    intake = cluster.services["intake"]
    load = Load()
    victim = cluster.profile.node_name(VICTIM)
    pid_file = Path(cluster.profile.state_dir) / f"{victim}.pid"
    killed_at = back_at = 0.0
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    restarter = ThreadPoolExecutor(1)  # not the default pool: name lookups queue there
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}", limits=limits) as http:
        started = time.monotonic()
        tasks: list[asyncio.Task[None]] = []
        n = 0
        while (elapsed := time.monotonic() - started) < LOAD_S:
            while n < elapsed * RATE:
                key = f"loss-{n}-{uuid.uuid4().hex[:6]}"
                tasks.append(asyncio.create_task(citizen(http, key, started, load)))
                n += 1
            if not killed_at and elapsed >= KILL_AT_S:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
                killed_at = elapsed
            if killed_at and not back_at and elapsed >= BACK_AT_S:
                await loop.run_in_executor(
                    restarter, cluster.local.start_broker, cluster.profile, VICTIM
                )
                back_at = time.monotonic() - started
            await asyncio.sleep(0.02)
        await asyncio.gather(*tasks)

    accepted = set(load.accepted.values())
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(cluster.profile.mongodb_url)
    try:
        projected: set[str] = set()
        for _ in range(240):  # the read side catches up after the load
            docs = mongo[cluster.db]["complaints_g1"].find({}, {"_id": 1, "status": 1})
            projected = {d["_id"] async for d in docs if d.get("status")}
            if accepted <= projected:
                break
            await asyncio.sleep(0.5)
    finally:
        await mongo.close()
    in_log = await submitted_counts(cluster.profile.bootstrap, f"{cluster.prefix}complaints.events")
    doubled = sum(1 for cid in accepted if in_log[cid] > 1)
    during = [took for at, took, _ in load.answers if killed_at <= at <= back_at + 5]
    longest = max(during, default=0.0)
    served = await served_within(intake.port)
    figures = (
        f"broker loss ({RATE}/s for {LOAD_S:.0f} s, broker {VICTIM} SIGKILLed at "
        f"{killed_at:.1f} s, back at {back_at:.1f} s): {n} reports, {len(accepted)} accepted "
        f"({load.statuses[201]} answers 201, {load.statuses[202]} 202, "
        f"{load.statuses[503]} 503, {load.statuses[0]} dropped), {len(accepted & projected)} "
        f"in the read model, {doubled} doubled, {len(accepted - set(in_log))} missing from "
        f"the log; longest answer during the loss {longest:.1f} s as the clients saw it; "
        f"intake's own answers: {served}"
    )
    FIGURES.append(figures)
    print(figures)
    assert killed_at, "the broker was killed"
    assert back_at, "and came back"
    assert load.gave_up == 0
    assert len(accepted) == n, "every report accepted in the end"
    assert accepted <= projected, f"{len(accepted - projected)} accepted reports not projected"
    assert doubled == 0
    assert load.statuses[201] >= 0.9 * n, "intake kept answering 201"
