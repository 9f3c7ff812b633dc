"""`kandoo-notify run`: the notify service."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from kandoo.notify.bootstrap import build
from kandoo.notify.settings import NotifySettings
from kandoo.runtime.loop import run as run_on_uvloop


async def run(settings: NotifySettings) -> None:
    notifier, health, client = build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await health.start()
    await notifier.start()
    logging.getLogger("kandoo.notify").info(
        "notify running; metrics on http://%s:%d/metrics", settings.host, settings.port
    )
    try:
        await stop.wait()
    finally:
        await notifier.stop()
        await health.stop()
        with contextlib.suppress(Exception):
            await client.close()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(prog="kandoo-notify", description=__doc__)
    parser.add_argument("command", choices=["run"], nargs="?", default="run")
    parser.parse_args(argv)
    run_on_uvloop(run(NotifySettings()))
    return 0
