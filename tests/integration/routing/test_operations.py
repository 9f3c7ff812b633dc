"""What operators and department staff use: metrics, health, the state CLI, dead letters."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from kandoo.routing.bootstrap import Routing, build
from tests.conftest import Servers
from tests.integration.routing.conftest import (
    DIRECTORY,
    Client,
    FakeClock,
    read_topic,
    routing_settings,
    submit,
)
from tests.ports import free_port


async def http_get(port: int, path: str) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    raw = (await reader.read()).decode()
    writer.close()
    head, _, body = raw.partition("\r\n\r\n")
    return int(head.split()[1]), body


async def test_metrics_health_and_readiness_are_served(servers: Servers, unique: str) -> None:
    port = free_port()
    settings = routing_settings(servers, unique, port=port)
    processor = build(settings, clock=FakeClock())
    await processor.health.start()
    try:
        status, _ = await http_get(port, "/readyz")
        assert status == 503  # state not rebuilt yet
        await processor.start()
        client = Client(servers, processor.topics)
        await client.start()
        try:
            await client.call(submit())
            for _ in range(100):
                if (await http_get(port, "/readyz"))[0] == 200:
                    break
                await asyncio.sleep(0.1)
            assert (await http_get(port, "/readyz"))[0] == 200
            assert (await http_get(port, "/healthz"))[0] == 200
            status, body = await http_get(port, "/metrics")
            assert status == 200
            assert (
                'kandoo_routing_commands_total{outcome="accepted",type="SubmitComplaint"} 1.0'
                in body
            )
            assert 'kandoo_routing_events_written_total{type="complaint.routed"} 1.0' in body
            assert "kandoo_routing_transaction_seconds_count" in body
            assert "kandoo_routing_classifier_confidence_bucket" in body
        finally:
            await client.stop()
            await processor.stop()
    finally:
        await processor.health.stop()


async def test_the_state_cli_folds_a_complaint_from_the_log(
    routing: tuple[Routing, Client], servers: Servers, unique: str
) -> None:
    _, client = routing
    command = submit()
    await client.call(command)
    env = os.environ | {
        "KANDOO_KAFKA_BOOTSTRAP": servers.kafka_bootstrap,
        "KANDOO_TOPIC_PREFIX": f"test.{unique}.",
        "KANDOO_PARTITIONS": "3",
        "KANDOO_DIRECTORY": DIRECTORY,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kandoo.routing.entrypoints.cli",
        "state",
        command.complaint_id,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0
    state = json.loads(out)
    assert state["status"] == "routed"
    assert state["department"] == "engineering"
    assert state["version"] == 3


async def test_a_poison_command_goes_to_the_dead_letter_topic_and_the_rest_go_on(
    routing: tuple[Routing, Client], servers: Servers
) -> None:
    _, client = routing
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(client.topics.commands, key=b"x", value=b"{not json")
    finally:
        await producer.stop()
    after = submit()
    assert (await client.call(after))["outcome"] == "accepted"
    dead = await read_topic(servers, client.topics.dlq(client.topics.commands))
    assert dead == [b"{not json"]


async def test_an_oversized_field_is_dead_lettered_with_its_origin_and_routing_goes_on(
    routing: tuple[Routing, Client], servers: Servers
) -> None:
    _, client = routing
    huge = submit().model_copy(update={"channel": "x" * 700_000})  # would be in its event
    producer = AIOKafkaProducer(
        bootstrap_servers=servers.kafka_bootstrap, max_request_size=2_000_000
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            client.topics.commands, key=b"big", value=huge.model_dump_json().encode()
        )
    finally:
        await producer.stop()
    after = submit()
    assert (await client.call(after))["outcome"] == "accepted"
    assert huge.command_id not in client.results, "no answer: it was never decided"
    consumer = AIOKafkaConsumer(
        client.topics.dlq(client.topics.commands),
        bootstrap_servers=servers.kafka_bootstrap,
        auto_offset_reset="earliest",
        fetch_max_bytes=4_000_000,
        max_partition_fetch_bytes=4_000_000,
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000)
    finally:
        await consumer.stop()
    [letter] = [r for rs in batch.values() for r in rs]
    headers = dict(letter.headers)
    assert b"string_too_long" in headers["error"]
    assert headers["source_topic"] == client.topics.commands.encode()
    assert headers["service"] == b"routing"
    assert letter.key == b"big"


def ops(servers: Servers, client: Client, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KANDOO_")} | {
        "KANDOO_KAFKA_BOOTSTRAP": servers.kafka_bootstrap,
        "KANDOO_TOPIC_PREFIX": client.topics.prefix,
    }
    tool = str(Path(sys.executable).parent / "kandoo-ops")
    return subprocess.run(
        [tool, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_an_operator_lists_dead_letters_and_replays_them_after_a_fix(
    routing: tuple[Routing, Client], servers: Servers
) -> None:
    _, client = routing
    command = submit("ไฟดับ เสาไฟล้ม")  # a good command, dead-lettered by a bug since fixed
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            client.topics.dlq(client.topics.commands),
            command.model_dump_json().encode(),
            command.complaint_id.encode(),
            headers=[
                ("error", b"KeyError: 'zone' (a bug)"),
                ("source_topic", client.topics.commands.encode()),
                ("source_partition", b"1"),
                ("source_offset", b"42"),
                ("service", b"routing"),
            ],
        )
    finally:
        await producer.stop()
    listed = ops(servers, client, "dlq", "list", "complaints.commands", "--json")
    assert listed.returncode == 0, listed.stderr
    [letter] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert letter["error"] == "KeyError: 'zone' (a bug)"
    assert letter["source"] == f"{client.topics.commands}[1]@42"
    assert letter["key"] == command.complaint_id
    replayed = ops(servers, client, "dlq", "replay", "complaints.commands")
    assert replayed.returncode == 0, replayed.stderr
    assert "1 dead letters" in replayed.stdout
    result = await client.result(command.command_id)
    assert result["outcome"] == "accepted", "back where it came from, and decided"
