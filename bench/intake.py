"""Intake under load, with everything else running beside it on this machine.

    uv run python bench/intake.py [--rate 500] [--seconds 30] [--concurrency 64]
                                  [--only-routing]

Starts routing, intake, reporting and notify as processes, as `make run` does (reporting
and notify at the background priority, `kandoo.runtime.priority`), on topics and a
database of the benchmark's own; notify's e-mail goes to a local SMTP server that keeps
nothing. Then:
1. sustained: submissions offered at `--rate` per second (open loop) for `--warmup`
   seconds, not measured, then for `--seconds`;
   p50/p99 latency of the 201 answers, the share of answers that were 201, the CPU each
   process spent per submission, and how long after the last submission reporting held
   every accepted report and notify had read every event;
2. capacity: `--concurrency` clients submitting back to back for `--seconds`: 201/s.
`--only-routing` leaves reporting and notify out: the write path alone.
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
from aiokafka import AIOKafkaConsumer, TopicPartition

from kandoo.runtime.loop import run  # the load generator on uvloop: it must cost little
from kandoo.runtime.priority import preexec_for, yield_cpu

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from routing import TEXTS, CpuMeter, delete_topics, free_port, percentile, stop  # noqa: E402

OUTSIDE = {"load", "smtp"}
"""Processes that stand in for the outside world: the citizens' phones, the mail server."""


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


async def last_records(
    consumer: AIOKafkaConsumer, parts: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """Per partition, the offset after its last committed record: what a reader that has
    read everything commits. (The log's end is one further: routing's transactions end
    with a commit marker, which takes an offset but is never delivered.)"""
    consumer.assign(parts)
    ends = await consumer.end_offsets(parts)
    after: dict[TopicPartition, int] = {}
    for tp, end in ends.items():
        consumer.seek(tp, max(end - 50, 0))
        while await consumer.position(tp) < end:
            records = (await consumer.getmany(tp, timeout_ms=1000)).get(tp, [])
            if records:
                after[tp] = records[-1].offset + 1
    return after


async def caught_up(
    env: dict[str, str], accepted: int, notify_port: int, limit_s: float = 600
) -> str:
    """How long after the last submission reporting and notify had each committed every
    event (both commit only after their writes), checked by reading their consumer groups'
    offsets: polling the read models themselves would load the database they catch up on.
    Then, once, that reporting holds every accepted report."""
    from aiokafka.admin import AIOKafkaAdminClient
    from pymongo import AsyncMongoClient

    from kandoo.reporting.settings import PROJECTION_VERSION

    prefix = env["KANDOO_TOPIC_PREFIX"]
    groups = {
        "reporting": f"{prefix}kandoo-reporting-v{PROJECTION_VERSION}",
        "notify": prefix + "notify",
    }
    admin = AIOKafkaAdminClient(bootstrap_servers=env["KANDOO_KAFKA_BOOTSTRAP"])
    await admin.start()
    events = prefix + "complaints.events"
    probe = AIOKafkaConsumer(
        bootstrap_servers=env["KANDOO_KAFKA_BOOTSTRAP"], isolation_level="read_committed"
    )
    await probe.start()
    started = time.perf_counter()
    done: dict[str, float] = {}
    try:
        (described,) = await admin.describe_topics([events])
        parts = [TopicPartition(events, p["partition"]) for p in described["partitions"]]
        if not parts:
            raise RuntimeError(f"no partitions of {events}: cannot tell when the read side is done")
        ends = await last_records(probe, parts)
        while len(done) < len(groups) and time.perf_counter() - started < limit_s:
            for name, group in groups.items():
                if name in done:
                    continue
                read = await admin.list_consumer_group_offsets(group, partitions=parts)
                if all(read.get(tp) and read[tp].offset >= end for tp, end in ends.items()):
                    done[name] = time.perf_counter() - started
            await asyncio.sleep(0.25)
    finally:
        await probe.stop()
        await admin.close()
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(env["KANDOO_MONGODB_URL"])
    try:
        held = await mongo[env["KANDOO_MONGODB_DB"]]["complaints_g1"].count_documents({})
    finally:
        await mongo.close()
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"http://127.0.0.1:{notify_port}/metrics")).text
    sent = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("kandoo_notify_deliveries_total{") and 'outcome="sent"' in line
    )
    took = ", ".join(
        f"{name} {f'{done[name]:.1f} s' if name in done else f'not within {limit_s:.0f} s'}"
        for name in groups
    )
    return (
        f"{took} (reporting holds {held:,} of {accepted:,} reports; "
        f"notify sent {sent:,.0f} messages)"
    )


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--warmup", type=int, default=10, help="seconds at --rate first, not measured"
    )
    parser.add_argument(
        "--only-routing",
        action="store_true",
        help="routing alone beside intake (no reporting, no notify)",
    )
    args = parser.parse_args()
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
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
    names = ["routing", "intake"] + ([] if args.only_routing else ["reporting", "notify"])
    ports = {name: free_port() for name in names}
    port = ports["intake"]
    procs: dict[str, subprocess.Popen[bytes]] = {}
    if "notify" in names:  # every e-mail to a local SMTP server that keeps nothing
        smtp = free_port()
        sink = ("-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{smtp}")
        procs["smtp"] = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", *sink],
            preexec_fn=yield_cpu,  # the mail server is not on this machine in real life
        )
        env["KANDOO_DEV_MAIL_RELAY"] = f"127.0.0.1:{smtp}"
    for name in names:  # routing first: it creates the topics
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"kandoo.{name}", *(["run"] if name == "routing" else [])],
            env=env | {"PORT": str(ports[name])},
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            preexec_fn=preexec_for(name),  # as `make run` starts them
            cwd=ROOT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url)
        pids = {name: p.pid for name, p in procs.items()} | {"load": os.getpid()}
        whole = CpuMeter(pids, env["KANDOO_MONGODB_URL"])
        whole.start()
        # A broker just started spends up to twice the CPU per record until its JIT has
        # compiled the hot paths (1.3-2.0 against ~0.7 ms per submission here): the
        # figures are the steady state's.
        _, warm = await sustained(port, args.rate, args.warmup)
        meter = CpuMeter(pids, env["KANDOO_MONGODB_URL"])
        meter.start()
        latencies, statuses = await sustained(port, args.rate, args.seconds)
        cpu = meter.per(sum(statuses.values()))
        behind = (
            await caught_up(env, warm[201] + statuses[201] + 1, ports["notify"])  # +1: probe
            if not args.only_routing
            else ""
        )
        reports = warm[201] + statuses[201]
        flow = whole.per(reports)
        ours = sum(s for name, s in whole.spent().items() if name not in OUTSIDE)
        per_second, cap_statuses = await capacity(port, args.concurrency, args.seconds)
    finally:
        stop(list(procs.values()))
        await delete_topics(env["KANDOO_KAFKA_BOOTSTRAP"], prefix)
        await drop_database(env["KANDOO_MONGODB_URL"], env["KANDOO_MONGODB_DB"])
    ms = [x * 1000 for x in latencies]
    total = sum(statuses.values())
    beside = "routing only" if args.only_routing else "routing, reporting and notify"
    print(
        f"intake sustained at {args.rate}/s ({beside} beside) for {args.seconds}s "
        f"after {args.warmup}s of warm-up: "
        f"{statuses[201] / total:.1%} answered 201; p50 {statistics.median(ms):.1f} ms, "
        f"p99 {percentile(ms, 0.99):.1f} ms "
        f"(statuses {dict(statuses)})"
    )
    print(f"CPU per submission at {args.rate}/s, ms: {cpu}")
    if behind:
        print(f"read side caught up after the last submission: {behind}")
        print(
            "CPU per accepted report for the whole flow, from the warm-up's start until the "
            f"read side had caught up, ms: {flow}"
        )
        cores = os.cpu_count() or 1
        print(
            f"so {cores} cores can carry at most {cores * reports / ours:,.0f} reports/s "
            "through the whole flow, indefinitely (Kandoo's processes: "
            f"{ours * 1000 / reports:.2f} ms per report; not counted: {', '.join(sorted(OUTSIDE))})"
        )
    print(
        f"intake capacity with {args.concurrency} clients: {per_second:,.0f} submissions/s "
        f"answered 201 (statuses {dict(cap_statuses)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run(main()))
