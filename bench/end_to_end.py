"""End to end: from a citizen's POST to the report being in its department's queue.

    uv run python bench/end_to_end.py [--rate 100] [--seconds 60]

Starts routing, intake and reporting as processes (as `make run` does) on topics and
databases of the benchmark's own, offers submissions at `--rate` per second for
`--seconds`, and for one 201 answer in five measures the time until the report's entry is
in reporting's queue collection (looked up every 25 ms: looking up every report would load
the database being measured). Then the count check: accepted
submissions == complaints in the read model, each with every sequence exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from kandoo.runtime.loop import run  # the load generator on uvloop: it must cost little
from kandoo.runtime.priority import preexec_for

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from intake import Pool, body  # noqa: E402
from routing import delete_topics, free_port, percentile, stop  # noqa: E402

POLL_S = 0.025
SAMPLE_EVERY = 5


async def ready(url: str) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for _ in range(600):
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def bucket_quantiles(metrics: str, name: str) -> dict[float, float]:
    """p50 and p99 (bucket upper bounds) of a Prometheus histogram in /metrics text."""
    buckets = []
    for line in metrics.splitlines():
        if line.startswith(f"{name}_bucket{{"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float(bound), float(line.rsplit(" ", 1)[1])))
    total = buckets[-1][1] if buckets else 0.0
    return {q: next((b for b, n in buckets if n >= q * total), float("inf")) for q in (0.5, 0.99)}


def sequences_once(doc: dict[str, Any]) -> bool:
    """Every event of the complaint applied exactly once: sequences 1..version in order."""
    return [e["sequence"] for e in doc["timeline"]] == list(range(1, int(doc["version"]) + 1))


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    db_name = "bench_" + prefix.split(".")[1]
    ports = {"routing": free_port(), "intake": free_port(), "reporting": free_port()}
    mongodb = os.environ.get("KANDOO_MONGODB_URL", "mongodb://127.0.0.1:27017/")
    env = os.environ | {
        "KANDOO_KAFKA_BOOTSTRAP": os.environ.get("KANDOO_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        "KANDOO_MONGODB_URL": mongodb,
        "KANDOO_TOPIC_PREFIX": prefix,
        "KANDOO_INSTANCE_ID": "bench",
        "KANDOO_ENV": "test",
        "KANDOO_DIRECTORY": str(ROOT / "deploy" / "config" / "directory.yaml"),
        "KANDOO_RATE_PER_MINUTE_IP": "10000000",
    }
    procs = []
    for name in ("routing", "intake", "reporting"):  # routing first: it creates the topics
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", f"kandoo.{name}"],
                env=env | {"PORT": str(ports[name]), "KANDOO_MONGODB_DB": f"{db_name}_{name}"},
                stderr=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                preexec_fn=preexec_for(name),  # as `make run` starts them
                cwd=ROOT,
            )
        )
        await ready(f"http://127.0.0.1:{ports[name]}")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb)
    queue = mongo[f"{db_name}_reporting"]["queue_g1"]
    complaints = mongo[f"{db_name}_reporting"]["complaints_g1"]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    accepted: set[str] = set()

    async def watch(cid: str, started: float) -> None:
        """One sampled report: looked up every POLL_S until its queue entry is there."""
        while not await queue.find_one({"_id": cid}, {"_id": 1}):  # noqa: ASYNC110 - polling a database
            await asyncio.sleep(POLL_S)
        latencies.append(time.perf_counter() - started)

    watchers: list[asyncio.Task[None]] = []
    try:
        rng = random.Random(1)
        # The bare keep-alive client of bench/intake.py: httpx cost this benchmark more CPU
        # than the services it measures share with it (its answers took 200 ms at 100/s).
        pool = Pool(ports["intake"])

        async def submit() -> None:
            started = time.perf_counter()
            status, raw = await pool.post(body(rng))
            statuses[status] = statuses.get(status, 0) + 1
            if status in (201, 202):
                answer = json.loads(raw)
                accepted.add(answer["complaint_id"])
                routed = status == 201 and answer["status"] == "routed"
                if routed and len(accepted) % SAMPLE_EVERY == 0:
                    watchers.append(asyncio.create_task(watch(answer["complaint_id"], started)))

        tasks = []
        begin = time.perf_counter()
        for i in range(args.rate * args.seconds):
            await asyncio.sleep(max(0.0, begin + i / args.rate - time.perf_counter()))
            tasks.append(asyncio.create_task(submit()))
        await asyncio.gather(*tasks)
        pool.close()
        await asyncio.wait_for(asyncio.gather(*watchers), 120)
        for _ in range(600):  # every accepted report reaches the read model, once
            if await complaints.count_documents({}) >= len(accepted):
                break
            await asyncio.sleep(0.1)
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"http://127.0.0.1:{ports['reporting']}/metrics")).text
        docs = await complaints.find({}, {"version": 1, "timeline.sequence": 1}).to_list()
        in_model = {str(d["_id"]) for d in docs}
        doubled = sum(1 for d in docs if not sequences_once(d))
    finally:
        stop(procs)
        for name in ports:
            await mongo.drop_database(f"{db_name}_{name}")
        await mongo.close()
        await delete_topics(env["KANDOO_KAFKA_BOOTSTRAP"], prefix)
    ms = sorted(x * 1000 for x in latencies)
    lag = bucket_quantiles(metrics, "kandoo_reporting_projection_lag_seconds")
    lost = len(accepted - in_model)
    print(
        f"end to end at {args.rate}/s for {args.seconds}s: submit -> in the department queue "
        f"p50 {percentile(ms, 0.5):.0f} ms, p99 {percentile(ms, 0.99):.0f} ms "
        f"({len(ms)} sampled, 1 in {SAMPLE_EVERY}, looked up every {POLL_S * 1000:.0f} ms; "
        f"statuses {statuses})"
    )
    print(
        "reporting's own lag, event written -> applied (histogram buckets, upper bounds): "
        f"p50 <= {lag[0.5] * 1000:.0f} ms, p99 <= {lag[0.99] * 1000:.0f} ms"
    )
    print(
        f"count check: {len(accepted)} accepted, {len(in_model)} in the read model, "
        f"{lost} lost, {doubled} with a sequence applied twice or missing"
    )
    return 0 if lost == 0 and doubled == 0 else 1


if __name__ == "__main__":
    sys.exit(run(main()))
