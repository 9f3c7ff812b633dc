"""Intake under load, with routing, Kafka and FerretDB running beside it on this machine.

    uv run python bench/intake.py [--rate 500] [--seconds 30] [--concurrency 64]
                                  [--with-reporting]

Starts routing and intake as processes (as `make run` does) on topics of the benchmark's
own (with `--with-reporting`, reporting too, projecting every event into FerretDB), then:
1. sustained: submissions offered at `--rate` per second (open loop) for `--seconds`;
   p50/p99 latency of the 201 answers and the share of answers that were 201;
2. capacity: `--concurrency` clients submitting back to back for `--seconds`: 201/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx  # only to wait for readiness

from kandoo.runtime.loop import run  # the load generator on uvloop: it must cost little

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from routing import TEXTS, CpuMeter, delete_topics, free_port, percentile, stop  # noqa: E402


def body(rng: random.Random) -> dict[str, object]:
    return {
        "description": rng.choice(TEXTS),
        "location": {"lat": rng.uniform(12.52, 12.62), "lon": rng.uniform(99.93, 99.96)},
        "reporter": {"phone": "0812345678"},
        "language": "th",
    }


class Connection:
    """A bare keep-alive HTTP/1.1 client: the load generator must cost far less than the
    server it measures (httpx with many connections became the bottleneck here)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, payload: dict[str, object]) -> tuple[int, bytes]:
        """POST a complaint; (status, body)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.writer.write(
            b"POST /v1/complaints HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class Pool:
    """Keep-alive connections for an open loop: each request on an idle one, new as needed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[Connection] = []

    async def post(self, payload: dict[str, object]) -> tuple[int, bytes]:
        conn = self.idle.pop() if self.idle else Connection(self.port)
        try:
            answer = await conn.post(payload)
        except (ConnectionError, asyncio.IncompleteReadError):
            # the server closed a connection idle past its keep-alive: once more on a new one
            conn.close()
            conn = Connection(self.port)
            answer = await conn.post(payload)
        self.idle.append(conn)
        return answer

    def close(self) -> None:
        for conn in self.idle:
            conn.close()


async def sustained(port: int, rate: int, seconds: int) -> tuple[list[float], Counter[int]]:
    """Open loop: a request every 1/rate s."""
    pool = Pool(port)
    results: list[tuple[int, float]] = []
    rng = random.Random(1)

    async def one() -> None:
        started = time.perf_counter()
        status, _ = await pool.post(body(rng))
        results.append((status, time.perf_counter() - started))

    tasks = []
    start = time.perf_counter()
    for i in range(rate * seconds):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    pool.close()
    statuses = Counter(status for status, _ in results)
    return [lat for status, lat in results if status == 201], statuses


async def capacity(port: int, concurrency: int, seconds: int) -> tuple[float, Counter[int]]:
    """Closed loop: `concurrency` clients, each submitting as soon as it has its answer."""
    statuses: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds

    async def worker(seed: int) -> None:
        rng, conn = random.Random(seed), Connection(port)
        while time.perf_counter() < deadline:
            statuses[(await conn.post(body(rng)))[0]] += 1
        conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return statuses[201] / (time.perf_counter() - start), statuses


async def wait_ready(url: str) -> None:
    rng = random.Random()
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        for _ in range(600):
            try:
                ready = (await client.get("/readyz")).status_code == 200
                # one submission end to end: routing is up and answering too
                answer = await client.post("/v1/complaints", json=body(rng)) if ready else None
                if answer is not None and answer.status_code == 201:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("intake and routing did not come up")


async def drop_database(url: str, name: str) -> None:
    from pymongo import AsyncMongoClient

    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
    await mongo.drop_database(name)
    await mongo.close()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--with-reporting", action="store_true")
    args = parser.parse_args()
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    port = free_port()
    env = os.environ | {
        "KANDOO_KAFKA_BOOTSTRAP": os.environ.get("KANDOO_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        "KANDOO_MONGODB_URL": os.environ.get("KANDOO_MONGODB_URL", "mongodb://127.0.0.1:27017/"),
        "KANDOO_MONGODB_DB": "bench_" + prefix.split(".")[1],
        "KANDOO_TOPIC_PREFIX": prefix,
        "KANDOO_INSTANCE_ID": "bench",
        "KANDOO_ENV": "test",
        "KANDOO_DIRECTORY": str(ROOT / "deploy" / "config" / "directory.yaml"),
        "KANDOO_RATE_PER_MINUTE_IP": "10000000",
    }
    services = {"routing": ["run"], "intake": []} | (
        {"reporting": []} if args.with_reporting else {}
    )
    procs = [  # the services under test, started once (routing first: it creates the topics)
        subprocess.Popen(
            [sys.executable, "-m", f"kandoo.{name}", *more],
            env=env | {"PORT": str(port if name == "intake" else free_port())},
            stderr=subprocess.DEVNULL,
        )
        for name, more in services.items()
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url)
        pids = {name: p.pid for name, p in zip(services, procs, strict=True)}
        meter = CpuMeter(pids | {"load": os.getpid()}, env["KANDOO_MONGODB_URL"])
        meter.start()
        latencies, statuses = await sustained(port, args.rate, args.seconds)
        cpu = meter.per(sum(statuses.values()))
        per_second, cap_statuses = await capacity(port, args.concurrency, args.seconds)
    finally:
        stop(procs)
        await delete_topics(env["KANDOO_KAFKA_BOOTSTRAP"], prefix)
        if args.with_reporting:
            await drop_database(env["KANDOO_MONGODB_URL"], env["KANDOO_MONGODB_DB"])
    ms = [x * 1000 for x in latencies]
    total = sum(statuses.values())
    beside = "routing and reporting" if args.with_reporting else "routing"
    print(
        f"intake sustained at {args.rate}/s ({beside} beside) for {args.seconds}s: "
        f"{statuses[201] / total:.1%} answered 201; p50 {statistics.median(ms):.1f} ms, "
        f"p99 {percentile(ms, 0.99):.1f} ms "
        f"(statuses {dict(statuses)})"
    )
    print(f"CPU per submission at {args.rate}/s, ms: {cpu}")
    print(
        f"intake capacity with {args.concurrency} clients: {per_second:,.0f} submissions/s "
        f"answered 201 (statuses {dict(cap_statuses)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run(main()))
