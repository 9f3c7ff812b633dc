"""The broker stopped (its process paused with SIGSTOP: it holds every connection and
answers nothing, the worst case for a client): intake answers 503 within 5 s, and the
same Idempotency-Key after the broker is back gives the one complaint, never a second."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
import uuid

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from tests.conftest import choice, local_servers_module
from tests.integration.intake.conftest import Stack, report
from tests.integration.intake.test_intake import read_topic_events


def broker_pid() -> int:
    assert choice() == "local", "this test stops the local test broker (deploy/local)"
    local = local_servers_module()
    pid = local.read_pid(local.PROFILES["test"].state_dir / "kafka.pid")
    assert pid is not None, "the local test broker is not running"
    return int(pid)


async def test_a_stopped_broker_is_a_503_within_5_s_and_the_retry_is_the_same_complaint(
    stack: Stack,
) -> None:
    headers = {"Idempotency-Key": "broker-down-1", "Accept-Language": "en"}
    warm = await stack.http.post("/v1/complaints", json=report())  # connections made
    assert warm.status_code == 201
    pid = broker_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        down = await stack.http.post("/v1/complaints", json=report(), headers=headers)
        waited = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
    assert down.status_code == 503, down.text
    assert waited <= 5.0, f"answered after {waited:.1f} s"
    assert down.headers["Retry-After"]
    assert down.json()["code"] == "kafka_unavailable"

    again = await stack.http.post("/v1/complaints", json=report(), headers=headers)
    assert again.status_code in (201, 202), again.text
    complaint_id = again.json()["complaint_id"]
    mine: list[dict[str, object]] = []
    for _ in range(20):  # routing may answer late (202) just after the broker is back
        events = [json.loads(v) for v in await read_topic_events(stack)]
        mine = [
            e for e in events if e["subject"] == complaint_id and e["type"] == "complaint.submitted"
        ]
        if mine:
            break
        await asyncio.sleep(0.5)
    assert len(mine) <= 1, "never a second complaint"
    third = await stack.http.post("/v1/complaints", json=report(), headers=headers)
    assert third.json()["complaint_id"] == complaint_id, "the key keeps giving the same one"
    await until_the_broker_answers_a_new_client(stack.intake.settings.kafka_bootstrap)


async def until_the_broker_answers_a_new_client(bootstrap: str, wait_s: float = 60) -> None:
    """The next tests connect afresh, routing's transactional producer among them: wait
    until a new client gets the broker's metadata and a transaction coordinator (a broker
    just resumed answers metadata without itself for a moment)."""
    deadline = time.monotonic() + wait_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, transactional_id=f"probe-{uuid.uuid4().hex}"
        )
        try:
            await admin.start()
            await admin.list_topics()
            await producer.start()
            return
        except Exception:
            assert time.monotonic() < deadline, "the broker did not come back"
            await asyncio.sleep(0.5)
        finally:
            with contextlib.suppress(Exception):
                await producer.stop()
            await admin.close()
