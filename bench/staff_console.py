"""The staff console's pages against a long history: time to first byte of the department
queue (pages 1 and 20, overdue only), a complaint, triage and department health, as a
signed-in department admin or clerk sees them.

    uv run python bench/staff_console.py [--complaints 300000] [--calls 40]

The history is seeded as bench/read_api.py seeds it (the real lifecycle's histories,
rebuilt into a fresh reporting database). Reporting and web then run in-process, web
calling reporting over ASGI (no sockets), each page requested by a signed-in session: the
time to the first byte of the answer is the page's whole cost, since web renders a page
before it sends it. Uses the broker and database server of `make run`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from typing import Any

import httpx
from pymongo import AsyncMongoClient
from read_api import Seeded, seed
from rebuild import DIRECTORY
from routing import delete_topics, percentile

from kandoo.events.values import Role
from kandoo.reporting.bootstrap import build as build_reporting
from kandoo.reporting.entrypoints.app import create_app as reporting_app
from kandoo.web.bootstrap import build as build_web
from kandoo.web.entrypoints.app import create_app as web_app
from kandoo.web.settings import WebSettings

PASSWORD = "bench-only password"


async def first_byte(http: httpx.AsyncClient, path: str) -> tuple[float, int, int]:
    """(ms to the first byte of the body, status, size) of one page."""
    started = time.perf_counter()
    async with http.stream("GET", path) as answer:
        body = answer.aiter_bytes()
        first = await anext(body, b"")
        elapsed = (time.perf_counter() - started) * 1000
        size = len(first) + sum([len(part) async for part in body])
    return elapsed, answer.status_code, size


async def sign_in(http: httpx.AsyncClient, username: str) -> None:
    page = await http.get("/staff/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    done = await http.post(
        "/staff/login", data={"username": username, "password": PASSWORD, "csrf": csrf}
    )
    assert done.status_code == 303, done.text[:300]


async def measure(seeded: Seeded, calls: int) -> None:
    rep = build_reporting(seeded.settings)
    rep.clock = lambda: seeded.end
    web_db = f"{seeded.settings.mongodb_db}_web"
    settings = WebSettings(
        env="development",  # plain-http cookies: the bench talks to web without TLS
        mongodb_url=seeded.settings.mongodb_url,
        mongodb_db=web_db,
        directory=str(DIRECTORY),
        jwt_secret=seeded.settings.jwt_secret,
    )
    web = build_web(settings)
    to_reporting = httpx.ASGITransport(app=reporting_app(r=rep))
    web.reporting.http = httpx.AsyncClient(transport=to_reporting, base_url="http://reporting")
    for username, role, department in (
        ("bench-eng", Role.DEPT_ADMIN, "engineering"),
        ("bench-clerk", Role.CLERK, "clerk"),
    ):
        await web.accounts.create(username, username, role, department, PASSWORD)
    pages = [
        ("bench-eng", "queue page 1", "/staff/queue?department=engineering"),
        ("bench-eng", "queue page 20", "/staff/queue?department=engineering&page=20"),
        ("bench-eng", "queue overdue", "/staff/queue?department=engineering&overdue=true"),
        ("bench-eng", "queue shortlist", "/staff/queue/print?department=engineering"),
        ("bench-clerk", "complaint", f"/staff/c/{seeded.complaint_id}"),
        ("bench-clerk", "triage", "/staff/triage"),
        ("bench-clerk", "department health", "/staff/health"),
    ]
    gc.collect()
    gc.freeze()
    try:
        transport = httpx.ASGITransport(app=web_app(settings, web))
        clients: dict[str, httpx.AsyncClient] = {}
        for username in ("bench-eng", "bench-clerk"):
            clients[username] = httpx.AsyncClient(transport=transport, base_url="http://web")
            await sign_in(clients[username], username)
        worst = 0.0
        for username, name, path in pages:
            times: list[float] = []
            for n in range(calls + 3):
                elapsed, status, size = await first_byte(clients[username], path)
                assert status == 200, (name, status)
                if n >= 3:
                    times.append(elapsed)
            p50, p99 = percentile(times, 0.5), percentile(times, 0.99)
            worst = max(worst, p99)
            print(
                f"  {name:20} TTFB p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  page {size / 1024:6.1f} KB"
            )
        print(f"staff console worst TTFB p99 at {seeded.events:,} events: {worst:.1f} ms")
        for http in clients.values():
            await http.aclose()
    finally:
        await web.reporting.http.aclose()
        await web.stop()
        await rep.stop()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_url)
        await client.drop_database(seeded.settings.mongodb_db)
        await client.drop_database(web_db)
        await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--complaints", type=int, default=30_000)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    bootstrap = os.environ.get("KANDOO_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    mongodb = os.environ.get("KANDOO_MONGODB_URL", "mongodb://127.0.0.1:27017/")
    print(f"staff console at about {args.complaints:,} complaints", flush=True)
    seeded = await seed(args.complaints, bootstrap, mongodb)
    try:
        await measure(seeded, args.calls)
    finally:
        await delete_topics(bootstrap, seeded.settings.topic_prefix)


if __name__ == "__main__":
    asyncio.run(main())
