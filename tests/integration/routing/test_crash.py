"""Routing killed between producing and committing loses nothing and doubles nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter

from kandoo.events.topics import Topics
from tests.conftest import Servers
from tests.integration.routing.conftest import DIRECTORY, Client, read_topic, submit
from tests.ports import free_port


def start_routing(servers: Servers, unique: str, crash: bool) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "KANDOO_ENV": "test",
        "KANDOO_KAFKA_BOOTSTRAP": servers.kafka_bootstrap,
        "KANDOO_TOPIC_PREFIX": f"test.{unique}.",
        "KANDOO_INSTANCE_ID": f"crash-{unique}",
        "KANDOO_PARTITIONS": "3",
        "KANDOO_DIRECTORY": DIRECTORY,
        "KANDOO_CRASH_BEFORE_COMMIT": "true" if crash else "false",
        "PORT": str(free_port()),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "kandoo.routing", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def wait_exit(proc: subprocess.Popen[bytes], wait_s: float) -> int | None:
    for _ in range(int(wait_s * 10)):
        if proc.poll() is not None:
            return proc.returncode
        await asyncio.sleep(0.1)
    return None


async def test_a_crash_before_commit_leaves_exactly_one_set_of_events_per_command(
    servers: Servers, unique: str
) -> None:
    topics = Topics(f"test.{unique}.")
    crashing = start_routing(servers, unique, crash=True)
    client = Client(servers, topics)
    try:
        # The topics exist once routing started; wait for them before sending.
        for _ in range(300):
            if crashing.poll() is not None:
                break
            try:
                await read_topic(servers, topics.commands)
                break
            except TimeoutError:
                await asyncio.sleep(0.1)
        await client.start()
        commands = [submit(lat=12.56 + i * 0.002, lon=99.955) for i in range(5)]
        for command in commands:
            await client.send(command)
        assert await wait_exit(crashing, 60) == -signal.SIGKILL, "the test hook did not fire"

        # What the dead instance produced is in the log, but aborted: invisible to readers.
        assert await read_topic(servers, topics.events, "read_uncommitted") != []
        assert await read_topic(servers, topics.events, "read_committed") == []

        restarted = start_routing(servers, unique, crash=False)
        try:
            results = [await client.result(cmd.command_id, wait_s=60) for cmd in commands]
        finally:
            restarted.send_signal(signal.SIGTERM)
            assert await wait_exit(restarted, 30) == 0
    finally:
        if crashing.poll() is None:
            crashing.kill()
        await client.stop()

    assert [r["outcome"] for r in results] == ["accepted"] * 5
    events = await client.events(at_least=15)
    per_command = Counter(e.causationid for e in events)
    assert per_command == {cmd.command_id: 3 for cmd in commands}
    for cmd in commands:
        sequences = [e.sequence for e in events if e.subject == cmd.complaint_id]
        assert sequences == [1, 2, 3]
