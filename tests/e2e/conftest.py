"""The four services as real processes (`python -m kandoo.<service>`, as `make run` starts
them) on the session's servers, with topics and databases of their own, and local sinks
(SMTP and webhook) standing in for e-mail and LINE."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kandoo.events.auth import issue_token
from kandoo.events.values import Actor
from tests.conftest import TEST_SECRET, Servers
from tests.doubles.line_platform import LinePlatformDouble
from tests.e2e.browser import context, system_chromium  # noqa: F401 - fixtures for every module
from tests.integration.notify.conftest import SmtpSink, WebhookSink, make_sinks
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import gateway  # noqa: E402 - deploy/local is not a package

SERVICES = ("routing", "intake", "reporting", "notify", "web")


@dataclass
class Service:
    """One service's process, started as `make run` starts it, and how to start it again."""

    name: str
    env: dict[str, str]
    log: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    preexec: Callable[[], None] | None = None
    """Run in the child before exec: `kandoo.runtime.priority.preexec_for`, as make run."""

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: ASYNC220 - returns at once
                [sys.executable, "-m", f"kandoo.{self.name}"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=self.preexec,
            )
        await ready(f"http://127.0.0.1:{self.port}/readyz", self.process)

    async def restart(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)
        await self.start()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass
class Suite:
    prefix: str
    intake: httpx.AsyncClient
    reporting: httpx.AsyncClient
    smtp: SmtpSink
    web: WebhookSink
    servers: Servers
    gateway: httpx.AsyncClient
    """The one public address (nginx in front of intake and reporting)."""
    gateway_url: str
    direct: dict[str, str]
    """Each service's own address, behind the gateway."""
    web_env: dict[str, str]
    """The web service's environment (its CLI, `kandoo-web create-staff`, runs with it)."""
    line: LinePlatformDouble
    """LINE's platform: a double on loopback, which intake and notify are pointed at."""
    services: dict[str, Service]
    """The processes, by name: `restart` kills one (SIGKILL) and starts it again."""

    async def restart(self, name: str) -> None:
        await self.services[name].restart()

    def bearer(self, actor: Actor) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(TEST_SECRET, actor)}"}


async def ready(url: str, process: subprocess.Popen[bytes], wait_s: float = 90) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    async with httpx.AsyncClient() as http:
        while True:
            assert process.poll() is None, f"{url}: the process exited ({process.returncode})"
            try:
                if (await http.get(url, timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert loop.time() < deadline, f"{url} not ready within {wait_s}s"
            await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
async def suite(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    unique = uuid.uuid4().hex[:8]
    tmp = tmp_path_factory.mktemp("e2e")
    smtp, web, directory = make_sinks(tmp)
    await web.start()
    line = LinePlatformDouble()
    await line.start()
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    env = os.environ | {
        "KANDOO_ENV": "test",
        "KANDOO_KAFKA_BOOTSTRAP": servers.kafka_bootstrap,
        "KANDOO_MONGODB_URL": servers.mongodb_url,
        "KANDOO_TOPIC_PREFIX": f"e2e.{unique}.",
        "KANDOO_JWT_SECRET": TEST_SECRET,
        "KANDOO_DIRECTORY": str(directory),
        "KANDOO_MONGODB_DB": f"e2e_{unique}",
        "KANDOO_KEYS_MONGODB_DB": f"e2e_{unique}_keys",
        "KANDOO_PUBLIC_URL": f"http://127.0.0.1:{ports['gateway']}",
        "KANDOO_EMAIL_URL": f"mailto://127.0.0.1:{smtp.port}?from=kandoo@huahin.example&to={{email}}",
        "KANDOO_BACKOFF_BASE_S": "0.2",
        "KANDOO_LOGIN_DELAY_S": "0.1",
        "KANDOO_LINE_CHANNEL_SECRET": line.secret,
        "KANDOO_LINE_CHANNEL_ACCESS_TOKEN": line.token,
        "KANDOO_LINE_API_URL": line.url,
        "KANDOO_LINE_DATA_API_URL": line.url,
        "KANDOO_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
        "KANDOO_REPORTING_URL": f"http://127.0.0.1:{ports['reporting']}",
    }
    gateway_process: subprocess.Popen[bytes] | None = None
    front = gateway.Upstreams(*(f"127.0.0.1:{ports[n]}" for n in ("intake", "reporting", "web")))
    logs = tmp / "logs"
    logs.mkdir()
    services = {
        name: Service(
            name,
            env | {"PORT": str(ports[name]), "KANDOO_MONGODB_DB": f"e2e_{unique}_{name}"},
            logs / f"{name}.log",
            ports[name],
        )
        for name in SERVICES
    }
    try:
        for service in services.values():  # routing first: it creates the co-partitioned topics
            await service.start()
        gateway_process = gateway.start(tmp / "gateway", ports["gateway"], front)
        public = f"http://127.0.0.1:{ports['gateway']}"
        await ready(f"{public}/gateway/healthz", gateway_process)
        direct = {name: f"http://127.0.0.1:{ports[name]}" for name in SERVICES}
        async with (
            httpx.AsyncClient(base_url=direct["intake"], timeout=30) as intake,
            httpx.AsyncClient(base_url=direct["reporting"], timeout=30) as rep,
            httpx.AsyncClient(base_url=public, timeout=30) as front_door,
        ):
            web_env = env | {"KANDOO_MONGODB_DB": f"e2e_{unique}_web"}
            yield Suite(
                f"e2e.{unique}.",
                intake,
                rep,
                smtp,
                web,
                servers,
                front_door,
                public,
                direct,
                web_env,
                line,
                services,
            )
    finally:
        for service in services.values():
            service.stop()
        if gateway_process is not None:
            gateway_process.terminate()
            gateway_process.wait(15)
        await web.stop()
        await line.stop()
        smtp.controller.stop()
        for name in SERVICES:
            if not (logs / f"{name}.log").exists():
                continue
            text = (logs / f"{name}.log").read_text(errors="replace")
            if "Traceback" in text:
                print(f"--- {name} log (has a traceback) ---\n{text[-3000:]}")
