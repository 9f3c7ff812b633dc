"""`kandoo-routing run` and `kandoo-routing state <complaint-id>`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import signal
import sys

from kandoo.routing.bootstrap import build
from kandoo.routing.settings import RoutingSettings


async def run(settings: RoutingSettings) -> int:
    processor, health = build(settings)
    await health.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await processor.start()
    # Millions of small, long-lived objects (complaint states): collect young garbage less
    # often and leave what start-up built out of the full collections.
    gc.set_threshold(50_000, 20, 100)
    gc.freeze()
    logging.info(
        "routing %s: metrics and health on http://%s:%s, Kafka %s",
        settings.instance_id,
        settings.host,
        settings.port,
        settings.kafka_bootstrap,
    )
    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(processor.dead.wait())]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in waits:
        task.cancel()
    await processor.stop()
    await health.stop()
    return 1 if processor.failed else 0


async def show_state(settings: RoutingSettings, complaint_id: str) -> int:
    processor, _ = build(settings)
    state = await processor.state_of(complaint_id)
    if not state.exists:
        print(f"no events for complaint {complaint_id}", file=sys.stderr)
        return 1
    print(json.dumps(dataclasses.asdict(state), ensure_ascii=False, indent=2, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kandoo-routing", description="Kandoo routing service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="decide commands and write the complaint log")
    state = sub.add_parser("state", help="print a complaint's state folded from the log")
    state.add_argument("complaint_id")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    settings = RoutingSettings()
    if args.command == "run":
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(run(settings))
        return 0
    return asyncio.run(show_state(settings, args.complaint_id))


if __name__ == "__main__":
    sys.exit(main())
