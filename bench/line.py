"""LINE conversations end to end: how fast LINE gets its 200, and how long a citizen waits
from their first message to the reply with the tracking code.

    uv run python bench/line.py [--conversations 200] [--at-once 20]

Each conversation is a Thai text, a location, a photo and "ส่งเรื่องเลย", each message sent
when the bot has answered the one before, as a person would; `--at-once` of them run
together. Intake and routing run in-process on the broker and database of `make run`
(KANDOO_KAFKA_BOOTSTRAP, KANDOO_MONGODB_URL); LINE is the double of tests/doubles (on
loopback), the webhook is called over ASGI. Prints the webhook's answer time (p50, p99)
and first-message-to-tracking-code time (p50, p99).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from pymongo import AsyncMongoClient
from rebuild import DIRECTORY
from routing import delete_topics, percentile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kandoo.events.directory import load_directory
from kandoo.intake.entrypoints.app import create_app
from kandoo.intake.settings import IntakeSettings
from kandoo.routing.bootstrap import build as build_routing
from kandoo.routing.settings import RoutingSettings
from tests.doubles.line_platform import LinePlatformDouble

TEXTS = (
    "ไฟฟ้าส่องสว่างดับทั้งซอย มืดมาก",
    "ถนนเป็นหลุมใหญ่ รถจักรยานยนต์ล้ม",
    "ขยะไม่ได้เก็บมาสามวันแล้ว ส่งกลิ่นเหม็น",
    "ท่อระบายน้ำอุดตัน น้ำท่วมขังหน้าบ้าน",
)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1024, 768), (90, 120, 150)).save(out, "JPEG", quality=85)
    return out.getvalue()


class Bench:
    def __init__(self, http: httpx.AsyncClient, line: LinePlatformDouble) -> None:
        self.http, self.line = http, line
        self.webhook_ms: list[float] = []
        self.to_code_ms: list[float] = []
        self.photo = jpeg()
        directory = load_directory(DIRECTORY)
        grid = [(12.50 + i * 0.003, 99.90 + j * 0.003) for i in range(50) for j in range(30)]
        self.places = [p for p in grid if directory.inside(*p)]
        """Pins ~300 m apart inside the municipality (so no report repeats another)."""

    async def say(self, user: str, message: dict[str, Any]) -> list[dict[str, Any]]:
        token = self.line.reply_token()
        event: dict[str, Any] = {
            "type": "message",
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user},
            "webhookEventId": uuid.uuid4().hex.upper(),
            "deliveryContext": {"isRedelivery": False},
            "replyToken": token,
            "message": {"id": uuid.uuid4().hex, **message},
        }
        if message["type"] == "image":
            self.line.add_content(event["message"]["id"], self.photo)
        body, headers = self.line.webhook([event])
        started = time.perf_counter()
        answer = await self.http.post("/line/webhook", content=body, headers=headers)
        self.webhook_ms.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text
        for _ in range(600):
            found = self.line.replies_to(token)
            if found:
                return found
            await asyncio.sleep(0.02)
        raise TimeoutError("no reply within 12 s")

    async def conversation(self, n: int) -> None:
        user = f"Ubench{n:06d}{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        await self.say(user, {"type": "text", "text": TEXTS[n % len(TEXTS)]})
        lat, lon = self.places[n % len(self.places)]
        await self.say(user, {"type": "location", "latitude": lat, "longitude": lon})
        await self.say(user, {"type": "image", "contentProvider": {"type": "line"}})
        done = await self.say(user, {"type": "text", "text": "ส่งเรื่องเลย"})
        assert "HH-" in done[0]["text"], done
        self.to_code_ms.append((time.perf_counter() - started) * 1000)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--at-once", type=int, default=20)
    args = parser.parse_args()
    bootstrap = os.environ.get("KANDOO_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    mongodb = os.environ.get("KANDOO_MONGODB_URL", "mongodb://127.0.0.1:27017/")
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    db = f"bench_line_{prefix.split('.')[1]}"
    line = LinePlatformDouble()
    await line.start()
    common: dict[str, Any] = {"kafka_bootstrap": bootstrap, "mongodb_url": mongodb}
    routing = build_routing(RoutingSettings(topic_prefix=prefix, instance_id="bench", **common))
    await routing.start()
    settings = IntakeSettings(
        topic_prefix=prefix,
        mongodb_db=db,
        line_channel_secret=line.secret,
        line_channel_access_token=line.token,
        line_api_url=line.url,
        line_data_api_url=line.url,
        **common,
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
                bench = Bench(http, line)
                await bench.conversation(0)  # warm: topics, group, classifier
                bench.webhook_ms.clear()
                bench.to_code_ms.clear()
                gate = asyncio.Semaphore(args.at_once)

                async def one(n: int) -> None:
                    async with gate:
                        await bench.conversation(n)

                started = time.perf_counter()
                await asyncio.gather(*(one(n) for n in range(1, args.conversations + 1)))
                took = time.perf_counter() - started
        w, t = bench.webhook_ms, bench.to_code_ms
        print(f"{len(t)} LINE conversations ({args.at_once} at once) in {took:.1f} s")
        for name, ms in (("webhook answer", w), ("first message to code", t)):
            p50, p99 = percentile(ms, 0.5), percentile(ms, 0.99)
            print(f"  {name:24} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({len(ms)} samples)")
        print(f"  replies {len(line.replies)}, refused calls {len(line.refused)}")
    finally:
        await routing.stop()
        await line.stop()
        await delete_topics(bootstrap, prefix)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb)
        await client.drop_database(db)
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
