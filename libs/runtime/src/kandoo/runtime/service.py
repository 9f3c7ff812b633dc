"""The one shape of a running service, and running it until the operator stops it.

Every service's `bootstrap.build(settings)` returns an object with `start()`, `stop()` and
`ready()`; `serve` starts it, waits for SIGTERM or SIGINT (or for the service to fail on
its own), and stops it. The signal handling is written here once for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any, Protocol

from kandoo.runtime import observe

log = logging.getLogger("kandoo.runtime")


class Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def ready(self) -> bool: ...


async def serve(service: Service, name: str, after_start: Callable[[], None] = lambda: None) -> int:
    """Run `service` until SIGTERM/SIGINT; 1 if it failed on its own, else 0. A service that
    can die by itself (routing, when fenced) has a `dead` event and a `failed` reason."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    after_start()
    log.info("%s running", name)
    waits = [asyncio.create_task(stop.wait())]
    dead = getattr(service, "dead", None)
    if isinstance(dead, asyncio.Event):
        waits.append(asyncio.create_task(dead.wait()))
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        with contextlib.suppress(Exception):
            await service.stop()
    return 1 if getattr(service, "failed", None) else 0


def configure_logging(service: str = "kandoo") -> None:
    """One log format for every service: JSON lines with the correlation id."""
    observe.configure_logging(service)


def serve_http(app: Any, host: str, port: int, trusted_proxies: str) -> int:
    """Serve an HTTP app with uvicorn until SIGTERM/SIGINT. `X-Forwarded-For` and
    `X-Forwarded-Proto` are believed only from `trusted_proxies` (the gateway's address):
    the app then sees the citizen's address, and per-address limits apply to citizens."""
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        log_config=None,  # uvicorn's lines through the process's JSON logging
        proxy_headers=True,
        forwarded_allow_ips=trusted_proxies,
    )
    return 0
