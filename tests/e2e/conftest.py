"""The four services as real processes (`python -m kandoo.<service>`, as `make run` starts
them) on the session's servers, with topics and databases of their own, and local sinks
(SMTP and webhook) standing in for e-mail and LINE."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kandoo.events.auth import issue_token
from kandoo.events.values import Actor
from tests.conftest import TEST_SECRET, Servers
from tests.e2e.browser import context, system_chromium  # noqa: F401 - fixtures for every module
from tests.integration.notify.conftest import SmtpSink, WebhookSink, free_port, make_sinks

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import gateway  # noqa: E402 - deploy/local is not a package

SERVICES = ("routing", "intake", "reporting", "notify", "web")


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
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    env = os.environ | {
        "KANDOO_ENV": "test",
        "KANDOO_KAFKA_BOOTSTRAP": servers.kafka_bootstrap,
        "KANDOO_MONGODB_URL": servers.mongodb_url,
        "KANDOO_TOPIC_PREFIX": f"e2e.{unique}.",
        "KANDOO_JWT_SECRET": TEST_SECRET,
        "KANDOO_DIRECTORY": str(directory),
        "KANDOO_MONGODB_DB": f"e2e_{unique}",
        "KANDOO_PUBLIC_URL": f"http://127.0.0.1:{ports['gateway']}",
        "KANDOO_EMAIL_URL": f"mailto://127.0.0.1:{smtp.port}?from=kandoo@huahin.example&to={{email}}",
        "KANDOO_BACKOFF_BASE_S": "0.2",
        "KANDOO_LOGIN_DELAY_S": "0.1",
        "KANDOO_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
        "KANDOO_REPORTING_URL": f"http://127.0.0.1:{ports['reporting']}",
    }
    processes: list[subprocess.Popen[bytes]] = []
    front = gateway.Upstreams(*(f"127.0.0.1:{ports[n]}" for n in ("intake", "reporting", "web")))
    logs = tmp / "logs"
    logs.mkdir()
    try:
        for name in SERVICES:  # routing first: it creates the co-partitioned topics
            log = (logs / f"{name}.log").open("wb")
            process = subprocess.Popen(  # noqa: ASYNC220 - once per module, returns at once
                [sys.executable, "-m", f"kandoo.{name}"],
                cwd=ROOT,
                env=env | {"PORT": str(ports[name]), "KANDOO_MONGODB_DB": f"e2e_{unique}_{name}"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            processes.append(process)
            await ready(f"http://127.0.0.1:{ports[name]}/readyz", process)
        processes.append(gateway.start(tmp / "gateway", ports["gateway"], front))
        public = f"http://127.0.0.1:{ports['gateway']}"
        await ready(f"{public}/gateway/healthz", processes[-1])
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
            )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        await web.stop()
        smtp.controller.stop()
        for name in SERVICES:
            text = (logs / f"{name}.log").read_text(errors="replace")
            if "Traceback" in text:
                print(f"--- {name} log (has a traceback) ---\n{text[-3000:]}")
