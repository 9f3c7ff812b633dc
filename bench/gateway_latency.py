"""The gateway's cost: the same requests to intake and reporting directly and through
nginx (deploy/gateway), one after another on one keep-alive connection each, p50/p99.

    uv run python bench/gateway_latency.py [--requests 1000]

Uses the broker and MongoDB-protocol server of `make run` (KANDOO_KAFKA_BOOTSTRAP,
KANDOO_MONGODB_URL); starts its own routing (which creates the topics), intake, reporting
and nginx on free ports.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import gateway  # noqa: E402
from routing import delete_topics, free_port, percentile, stop  # noqa: E402

PATHS = {
    "intake": "/open311/v2/services.json",
    "reporting": "/open311/v2/requests.json",
}


async def answering(url: str) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(600):
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


async def timed(base: str, path: str, n: int) -> list[float]:
    """Milliseconds of `n` GETs in a row on one keep-alive connection (after a warm-up)."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        for _ in range(50):
            (await http.get(path)).raise_for_status()
        out = []
        for _ in range(n):
            started = time.perf_counter()
            (await http.get(path)).raise_for_status()
            out.append((time.perf_counter() - started) * 1000)
    return out


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    ports = {name: free_port() for name in ("routing", "intake", "reporting", "web", "gateway")}
    env = os.environ | {
        "KANDOO_KAFKA_BOOTSTRAP": os.environ.get("KANDOO_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        "KANDOO_MONGODB_URL": os.environ.get("KANDOO_MONGODB_URL", "mongodb://127.0.0.1:27017/"),
        "KANDOO_TOPIC_PREFIX": prefix,
        "KANDOO_ENV": "test",
        "KANDOO_RATE_PER_MINUTE_IP": "10000000",
        "KANDOO_MONGODB_DB": "bench_" + prefix.split(".")[1],
    }
    procs: list[subprocess.Popen[bytes]] = []
    front = gateway.Upstreams(*(f"127.0.0.1:{ports[n]}" for n in ("intake", "reporting", "web")))
    folder = Path(tempfile.mkdtemp(prefix="kandoo-gateway-"))
    try:
        for name in ("routing", *PATHS):  # routing first: it creates the topics
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", f"kandoo.{name}"],
                    env=env | {"PORT": str(ports[name])},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    cwd=ROOT,
                )
            )
            await answering(f"http://127.0.0.1:{ports[name]}/readyz")
        procs.append(gateway.start(folder, ports["gateway"], front))
        await answering(f"http://127.0.0.1:{ports['gateway']}/gateway/healthz")
        for name, path in PATHS.items():
            direct = await timed(f"http://127.0.0.1:{ports[name]}", path, args.requests)
            routed = await timed(f"http://127.0.0.1:{ports['gateway']}", path, args.requests)
            d50, d99 = percentile(direct, 0.5), percentile(direct, 0.99)
            g50, g99 = percentile(routed, 0.5), percentile(routed, 0.99)
            print(
                f"gateway {name} GET {path}: direct p50 {d50:.2f} ms p99 {d99:.2f} ms; "
                f"through nginx p50 {g50:.2f} ms p99 {g99:.2f} ms; "
                f"added p50 {g50 - d50:+.2f} ms p99 {g99 - d99:+.2f} ms ({args.requests} each)"
            )
    finally:
        stop(procs)
        await delete_topics(env["KANDOO_KAFKA_BOOTSTRAP"], prefix)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
