"""Routing through the real broker: commands per second, and latency at a fixed load.

    uv run python bench/routing.py [--commands 20000] [--rate 500] [--seconds 20]

Starts routing as its own process (as in production) on topics of the benchmark's own,
against the broker at KANDOO_KAFKA_BOOTSTRAP (default: the `make run` broker, 9092).
1. Throughput: all commands produced at once; commands/s until every result is visible.
2. Latency: commands offered at `--rate` per second; for each, the time from producing the
   command to its `complaint.routed` (or other last) event being visible to a
   `read_committed` consumer; p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from kandoo.events import commands as c
from kandoo.events.ids import tracking_code
from kandoo.events.topics import Topics
from kandoo.events.values import Actor, Location, Role

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "ไฟส่องสว่างดับ เสาไฟหน้าบ้านดับ",
    "ขยะไม่มีคนมาเก็บ 3 วันแล้ว ส่งกลิ่นเหม็น",
    "ถนนเป็นหลุมใหญ่ รถจักรยานยนต์ล้ม",
    "ท่อระบายน้ำตัน น้ำท่วมขังหน้าบ้าน",
    "สุนัขจรจัดไล่กัดเด็กนักเรียน",
    "เสียงเพลงดังจากร้านเหล้าตีสอง noisy bar",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command(i: int) -> c.SubmitComplaint:
    cid = str(uuid.uuid4())
    rng = random.Random(i)
    return c.SubmitComplaint(
        command_id=str(uuid.uuid4()),
        complaint_id=cid,
        actor=Actor(id="bench", role=Role.CITIZEN),
        tracking_code=tracking_code(cid),
        description=rng.choice(TEXTS),
        language="th",
        location=Location(lat=rng.uniform(12.52, 12.62), lon=rng.uniform(99.93, 99.96)),
    )


async def delete_topics(bootstrap: str, prefix: str) -> None:
    """Leave the broker as found: a benchmark's topics are deleted after it."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


def stop(procs: list[subprocess.Popen[bytes]], grace_s: float = 30) -> None:
    """SIGTERM the services under test; whoever is not gone after `grace_s` is killed (a
    slow goodbye must not cost the figures)."""
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class CpuMeter:
    """CPU seconds each process spent between `start()` and `per()`: a steadier figure than
    latency on a VM whose speed drifts, and it says who pays for a request."""

    def __init__(
        self, pids: dict[str, int], mongodb_url: str = "mongodb://127.0.0.1:27017/"
    ) -> None:
        self.pids = dict(pids)
        listen = mongodb_url.split("//", 1)[-1].split("/", 1)[0]  # our FerretDB at that address
        for name, pattern in (("kafka", "kafka.Kafka"), ("ferretdb", f"ferretdb -listen {listen}")):
            found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
            if found.stdout:
                self.pids[name] = int(found.stdout.split()[0])
        self.started: dict[str, float] = {}

    @staticmethod
    def _seconds(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def start(self) -> None:
        self.started = {name: self._seconds(pid) for name, pid in self.pids.items()}

    def spent(self) -> dict[str, float]:
        """CPU seconds of each process since `start()`."""
        return {name: self._seconds(pid) - self.started[name] for name, pid in self.pids.items()}

    def per(self, count: int) -> str:
        """'intake 1.23 ms, routing ...' of CPU per unit of work since `start()`."""
        spent = self.spent()
        parts = [f"{name} {s * 1000 / count:.2f}" for name, s in spent.items()]
        return ", ".join(parts) + f" (total {sum(spent.values()) * 1000 / count:.2f} ms)"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def wait_ready(topics: Topics, bootstrap: str, proc: subprocess.Popen[bytes]) -> None:
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await probe.start()
    try:
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit("routing exited during start")
            if topics.command_results in await probe.topics():
                return
            await asyncio.sleep(0.1)
    finally:
        await probe.stop()


async def throughput(topics: Topics, bootstrap: str, n: int) -> float:
    results = AIOKafkaConsumer(
        topics.command_results,
        bootstrap_servers=bootstrap,
        isolation_level="read_committed",
        auto_offset_reset="latest",
        enable_auto_commit=False,
    )
    await results.start()
    await asyncio.sleep(2)  # the consumer has its partitions before anything is sent
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks=1)
    await producer.start()
    payloads = [command(i) for i in range(n)]
    started = time.perf_counter()
    for cmd in payloads:
        await producer.send(
            topics.commands, key=cmd.complaint_id.encode(), value=cmd.model_dump_json().encode()
        )
    await producer.flush()
    seen = 0
    while seen < n:
        batch = await results.getmany(timeout_ms=1000)
        seen += sum(len(r) for r in batch.values())
    elapsed = time.perf_counter() - started
    await producer.stop()
    await results.stop()
    return n / elapsed


async def latency(topics: Topics, bootstrap: str, rate: int, seconds: int) -> list[float]:
    events = AIOKafkaConsumer(
        topics.events,
        bootstrap_servers=bootstrap,
        isolation_level="read_committed",
        auto_offset_reset="latest",
        enable_auto_commit=False,
    )
    await events.start()
    await asyncio.sleep(2)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=1, acks=1)
    await producer.start()
    sent_at: dict[bytes, float] = {}
    done: dict[bytes, float] = {}

    async def consume() -> None:
        while True:
            batch = await events.getmany(timeout_ms=200)
            now = time.perf_counter()
            for records in batch.values():
                for r in records:
                    if r.key in sent_at and r.key not in done:
                        done[r.key] = now - sent_at[r.key]

    reader = asyncio.create_task(consume())
    total = rate * seconds
    start = time.perf_counter()
    for i in range(total):
        target = start + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        cmd = command(10_000_000 + i)
        key = cmd.complaint_id.encode()
        sent_at[key] = time.perf_counter()
        await producer.send(topics.commands, key=key, value=cmd.model_dump_json().encode())
    deadline = time.perf_counter() + 60
    while len(done) < total and time.perf_counter() < deadline:  # noqa: ASYNC110 - a poll with a deadline
        await asyncio.sleep(0.2)
    reader.cancel()
    await producer.stop()
    await events.stop()
    if len(done) < total:
        print(f"warning: {total - len(done)} commands without a visible event after 60 s")
    return list(done.values())


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    bootstrap = os.environ.get("KANDOO_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    topics = Topics(prefix)
    env = os.environ | {
        "KANDOO_KAFKA_BOOTSTRAP": bootstrap,
        "KANDOO_TOPIC_PREFIX": prefix,
        "KANDOO_INSTANCE_ID": "bench",
        "KANDOO_ENV": "test",
        "PORT": str(free_port()),
        "KANDOO_DIRECTORY": str(ROOT / "deploy" / "config" / "directory.yaml"),
    }
    argv = [sys.executable, "-m", "kandoo.routing", "run"]
    if os.environ.get("BENCH_PROFILE"):  # a flame profile of routing under load
        argv = [
            "py-spy",
            "record",
            "-f",
            "speedscope",
            "-o",
            os.environ["BENCH_PROFILE"],
            "--",
            *argv,
        ]
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)
    try:
        await wait_ready(topics, bootstrap, proc)
        rate = await throughput(topics, bootstrap, args.commands)
        latencies = await latency(topics, bootstrap, args.rate, args.seconds)
    finally:
        stop([proc])
        await delete_topics(bootstrap, prefix)
    ms = [x * 1000 for x in latencies]
    print(
        f"routing throughput: {rate:,.0f} commands/s ({args.commands:,} SubmitComplaint, each "
        "classified, checked for duplicates, 3 events + feed + result, a transaction per batch)"
    )
    print(
        f"routing latency at {args.rate}/s for {args.seconds}s: "
        f"p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
        f"max {max(ms):.1f} ms (command produced -> event visible to read_committed)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
