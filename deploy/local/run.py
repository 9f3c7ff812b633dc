"""`make run`: the local Kafka and FerretDB, then every Kandoo service that is built.

Each service runs as `python -m kandoo.<service>`; its output is shown with its name in
front, a crashed service is restarted with back-off, and Ctrl-C stops everything. A
service counts as built once its package has a `__main__` module: nothing else is started.

E-mail goes nowhere real: a local SMTP catcher on port 1025 takes every message notify
sends (staff addresses of the directory included), prints who got what, and keeps each
one as a `.eml` file under `.cache/local/dev/mail/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gateway
import localservers

from kandoo.runtime.priority import preexec_for


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    urls: tuple[str, ...]

    @property
    def module(self) -> str:
        return f"kandoo.{self.name}"

    def is_built(self) -> bool:
        try:
            return importlib.util.find_spec(f"{self.module}.__main__") is not None
        except ModuleNotFoundError:
            return False


SERVICES = (
    Service("routing", 8003, ("/metrics", "/healthz")),
    Service("intake", 8001, ("/docs", "/metrics")),
    Service("reporting", 8002, ("/docs", "/metrics")),
    Service("notify", 8004, ("/metrics", "/healthz")),
    Service("web", 8000, ("/", "/map", "/stats")),
)
RESTART_BACKOFF_S = (1, 2, 5, 10, 30)
MAIL_PORT = 1025
GATEWAY_PORT = 8080


class MailCatcher:
    """An SMTP server (aiosmtpd, in a thread of its own) that keeps and shows each message."""

    def __init__(self, folder: Path) -> None:
        from aiosmtpd.controller import Controller  # a development dependency

        self.folder = folder
        self.numbers = itertools.count(1)
        self.controller = Controller(self, hostname="127.0.0.1", port=MAIL_PORT)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd)
        message = message_from_bytes(envelope.content)
        subject = str(make_header(decode_header(message["Subject"] or "")))
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self.numbers):04d}.eml"
        (self.folder / name).write_bytes(envelope.content)
        to = ", ".join(envelope.rcpt_tos)
        print(f"{'mail':>9} | to {to}: {subject}  ({self.folder.name}/{name})", flush=True)
        return "250 OK"


def start_mail_catcher(folder: Path) -> MailCatcher | None:
    folder.mkdir(parents=True, exist_ok=True)
    if localservers.port_open(MAIL_PORT):
        print(f"port {MAIL_PORT} is taken: e-mail goes to whatever listens there", flush=True)
        return None
    try:
        catcher = MailCatcher(folder)
    except ImportError:
        print("aiosmtpd is not installed (uv sync): e-mail will fail and be retried", flush=True)
        return None
    catcher.controller.start()
    return catcher


async def pipe_output(name: str, stream: asyncio.StreamReader) -> None:
    while line := await stream.readline():
        print(f"{name:>9} | {line.decode(errors='replace').rstrip()}", flush=True)


async def supervise(service: Service, env: dict[str, str], stopping: asyncio.Event) -> None:
    """Run one service until `stopping` is set, restarting it when it dies."""
    crashes = 0
    while not stopping.is_set():
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            service.module,
            env=env | {"PORT": str(service.port)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=preexec_for(service.name),  # reporting, notify: what the rest leaves
        )
        assert proc.stdout is not None
        reader = asyncio.create_task(pipe_output(service.name, proc.stdout))
        waiter = asyncio.create_task(proc.wait())
        stopper = asyncio.create_task(stopping.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.is_set():
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
            await reader
            return
        stopper.cancel()
        await reader
        delay = RESTART_BACKOFF_S[min(crashes, len(RESTART_BACKOFF_S) - 1)]
        crashes += 1
        print(
            f"{service.name:>9} | exited with {proc.returncode}; restarting in {delay}s", flush=True
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)


async def supervise_gateway(folder: Path, stopping: asyncio.Event) -> None:
    """nginx in front of everything on :8080, restarted if it dies, stopped with the rest."""
    ports = {s.name: s.port for s in SERVICES}
    upstreams = gateway.Upstreams(
        f"127.0.0.1:{ports['intake']}",
        f"127.0.0.1:{ports['reporting']}",
        f"127.0.0.1:{ports['web']}",
    )
    while not stopping.is_set():
        try:
            proc = gateway.start(folder, GATEWAY_PORT, upstreams)
        except (FileNotFoundError, OSError, subprocess.CalledProcessError) as exc:
            print(f"{'gateway':>9} | not started: {exc} (make tools installs nginx)", flush=True)
            return
        while proc.poll() is None and not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), 1)
        if stopping.is_set():
            proc.terminate()
            proc.wait(10)
            return
        print(f"{'gateway':>9} | exited with {proc.returncode}; restarting in 2s", flush=True)
        await asyncio.sleep(2)


async def run_services(profile: localservers.Profile) -> None:
    mail = profile.state_dir / "mail"
    catcher = start_mail_catcher(mail)
    env = os.environ | {
        "KANDOO_ENV": "development",
        "KANDOO_PUBLIC_URL": f"http://127.0.0.1:{GATEWAY_PORT}",
        "KANDOO_KAFKA_BOOTSTRAP": profile.bootstrap,
        "KANDOO_MONGODB_URL": profile.mongodb_url,
        "KANDOO_REPLICATION_FACTOR": str(profile.replication),
        "KANDOO_MIN_INSYNC_REPLICAS": str(profile.min_insync),
    }
    if catcher is not None:
        env["KANDOO_DEV_MAIL_RELAY"] = f"127.0.0.1:{MAIL_PORT}"
    built = [s for s in SERVICES if s.is_built()]
    print(f"\nKandoo    http://127.0.0.1:{GATEWAY_PORT}/ (the one public address: nginx)")
    print(f"Kafka     {profile.bootstrap} (Apache Kafka {localservers.KAFKA_VERSION})")
    print(f"MongoDB   {profile.mongodb_url} (FerretDB 1.24, SQLite)")
    for s in SERVICES:
        where = " ".join(f"http://127.0.0.1:{s.port}{u}" for u in s.urls)
        print(f"{s.name:9} {where if s in built else 'not built yet: not started'}")
    if catcher is not None:
        print(f"mail      smtp://127.0.0.1:{MAIL_PORT}, every message kept in {mail}")
    print("Ctrl-C stops everything.\n", flush=True)

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        await asyncio.gather(
            stopping.wait(),
            supervise_gateway(profile.state_dir / "gateway", stopping),
            *(supervise(s, env, stopping) for s in built),
        )
    finally:
        if catcher is not None:
            catcher.controller.stop()


def main() -> int:
    try:
        if localservers.main(["start", "--profile", "dev"]) != 0:
            return 1
        profile = localservers.resolved("dev")  # one broker, or the cluster last started
        asyncio.run(run_services(profile))
    except KeyboardInterrupt:
        pass
    finally:
        # A terminal's Ctrl-C reaches us twice (directly and forwarded by `uv run`): the
        # second one must not cut the clean stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("\nstopping...", flush=True)
        localservers.main(["stop", "--profile", "dev"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
