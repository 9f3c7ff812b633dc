"""Notify against the real broker and FerretDB, with real local sinks: an aiosmtpd SMTP
server and an HTTP webhook receiver, both started by the tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from pymongo import AsyncMongoClient

from kandoo.notify.bootstrap import Notify as NotifyService
from kandoo.notify.bootstrap import build
from kandoo.notify.settings import NotifySettings
from kandoo.routing.bootstrap import Routing
from tests.conftest import Servers, service_settings
from tests.integration.routing.conftest import DIRECTORY, Client, FakeClock, running_routing
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str


class SmtpSink:
    """A real SMTP server (aiosmtpd) keeping what it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[Mail] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        subject = str(make_header(decode_header(message["Subject"])))
        parts = [p for p in message.walk() if p.get_content_type() == "text/plain"]
        payload = parts[0].get_payload(decode=True) if parts else b""
        body = payload.decode() if isinstance(payload, bytes) else str(payload)
        self.mails.append(Mail(list(envelope.rcpt_tos), subject, body))
        return "250 OK"


class WebhookSink:
    """An HTTP receiver for Apprise's json:// posts; paths under /fail/ answer 500."""

    def __init__(self) -> None:
        self.port = free_port()
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.failures: list[str] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = (await reader.readline()).decode()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        body = await reader.readexactly(length) if length else b""
        path = request.split()[1]
        if path.startswith("/fail/"):
            self.failures.append(path)
            status = "500 Internal Server Error"
        else:
            self.posts.append((path, json.loads(body or b"{}")))
            status = "200 OK"
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()

    def to(self, person: str) -> list[dict[str, Any]]:
        return [body for path, body in self.posts if path == f"/{person}"]


def make_sinks(tmp_path: Path) -> tuple[SmtpSink, WebhookSink, Path]:
    """An SMTP sink (started), a webhook sink (start it in the loop), and a copy of the
    directory whose staff are reached at the webhook sink (ph-admin-1's always fails)."""
    smtp, web = SmtpSink(), WebhookSink()
    raw = yaml.safe_load(Path(DIRECTORY).read_text(encoding="utf-8"))
    for dept in raw["departments"]:
        supervisor = [dept["supervisor"]] if dept.get("supervisor") else []
        for person in list(dept.get("admins") or []) + supervisor:
            fail = person["id"] == "ph-admin-1"
            path = f"fail/{person['id']}" if fail else person["id"]
            person["notify"] = [f"json://127.0.0.1:{web.port}/{path}"]
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    smtp.controller.start()
    return smtp, web, path


@pytest.fixture
def sink_directory(tmp_path: Path) -> Iterator[tuple[SmtpSink, WebhookSink, Path]]:
    smtp, web, path = make_sinks(tmp_path)
    try:
        yield smtp, web, path
    finally:
        smtp.controller.stop()


def notify_settings(
    servers: Servers, unique: str, directory: Path, smtp_port: int
) -> NotifySettings:
    return NotifySettings(
        **(service_settings(servers, unique) | {"directory": str(directory)}),
        mongodb_db=f"notify_{unique}",
        rules=str(ROOT / "deploy" / "config" / "notifications.yaml"),
        email_url=f"mailto://127.0.0.1:{smtp_port}?from=kandoo@huahin.example&to={{email}}",
        max_attempts=3,
        backoff_base_s=0.05,
        send_timeout_s=5,
        port=free_port(),
    )


@dataclass
class Notify:
    notifier: NotifyService
    settings: NotifySettings
    smtp: SmtpSink
    web: WebhookSink
    routing: Routing
    client: Client
    routing_clock: FakeClock
    servers: Servers


@pytest.fixture
async def n(
    servers: Servers, unique: str, sink_directory: tuple[SmtpSink, WebhookSink, Path]
) -> AsyncIterator[Notify]:
    """Routing (real, with a clock the test moves) writing events that notify reads."""
    smtp, web, directory = sink_directory
    await web.start()
    clock = FakeClock()
    settings = notify_settings(servers, unique, directory, smtp.port)
    try:
        async with running_routing(servers, unique, clock) as (routing, client):
            notifier = build(settings)
            await notifier.start()
            try:
                yield Notify(notifier, settings, smtp, web, routing, client, clock, servers)
            finally:
                await notifier.stop()
                await drop_database(settings)
    finally:
        await web.stop()


async def drop_database(settings: NotifySettings) -> None:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_url)
    await mongo.drop_database(settings.mongodb_db)
    await mongo.close()


async def eventually(check: Any, wait_s: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        try:
            check()
            return
        except AssertionError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)
