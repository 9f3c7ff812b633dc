"""Routing through the real broker: decisions, feeds, results, duplicates, deadlines."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from datetime import timedelta

from kandoo.events import commands as c
from kandoo.events.values import Actor, Role
from kandoo.routing.bootstrap import Routing
from tests.conftest import Servers
from tests.integration.routing.conftest import TOKEN, Client, FakeClock, read_topic, submit

ADMIN = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")


def by_subject(events: list, complaint_id: str) -> list:  # type: ignore[type-arg]
    return [e for e in events if e.subject == complaint_id]


async def test_a_submission_is_classified_routed_fed_and_answered(
    routing: tuple[Routing, Client], servers: Servers
) -> None:
    _, client = routing
    command = submit()
    result = await client.call(command)
    assert result["outcome"] == "accepted"
    assert result["status"] == "routed"
    assert result["department"] == "engineering"
    events = by_subject(await client.events(at_least=3), command.complaint_id)
    assert [e.type for e in events] == [
        "complaint.submitted",
        "complaint.classified",
        "complaint.routed",
    ]
    assert [e.sequence for e in events] == [1, 2, 3]
    assert all(e.causationid == command.command_id for e in events)
    feed = [json.loads(v) for v in await read_topic(servers, client.topics.routed("engineering"))]
    mine = [f for f in feed if f["complaint_id"] == command.complaint_id]
    assert mine[-1]["status"] == "routed"
    assert mine[-1]["tracking_code"] == command.tracking_code
    assert "0899999999" not in json.dumps(mine, ensure_ascii=False)  # no reporter data


async def test_a_refused_transition_answers_why_and_writes_no_event(
    routing: tuple[Routing, Client],
) -> None:
    _, client = routing
    command = submit()
    await client.call(command)
    rate = c.RateComplaint(
        command_id=str(uuid.uuid4()),
        complaint_id=command.complaint_id,
        actor=Actor(id="anonymous", role=Role.CITIZEN),
        reporter_token=TOKEN,
        rating=5,
    )
    result = await client.call(rate)
    assert result["outcome"] == "refused"
    assert result["code"] == "invalid_transition"
    assert result["http_status"] == 409
    assert result["message_th"]
    assert len(by_subject(await client.events(at_least=3), command.complaint_id)) == 3


async def test_a_repeated_command_gets_the_same_answer_and_no_new_event(
    routing: tuple[Routing, Client],
) -> None:
    _, client = routing
    command = submit()
    first = await client.call(command)
    await client.send(command)
    await client.send(command)
    for _ in range(150):
        if len(client.answers(command.command_id)) >= 3:
            break
        await client.pump()
    assert client.answers(command.command_id) == [first, first, first]
    assert len(by_subject(await client.events(at_least=3), command.complaint_id)) == 3


async def test_a_report_near_an_open_one_of_the_same_category_is_linked_to_it(
    routing: tuple[Routing, Client],
) -> None:
    _, client = routing
    original = submit(lat=12.56800, lon=99.95770)
    await client.call(original)
    nearby = submit(lat=12.56815, lon=99.95780)  # about 20 m away
    result = await client.call(nearby)
    assert result["status"] == "duplicate"
    assert result["duplicate_of"] == original.complaint_id
    far = submit(lat=12.5730, lon=99.9590)  # about 500 m away
    assert (await client.call(far))["status"] == "routed"


async def test_a_department_without_an_admin_is_escalated_to_the_clerk_at_once(
    routing: tuple[Routing, Client],
) -> None:
    _, client = routing
    command = submit(text="ผู้สูงอายุอยู่คนเดียว ไม่มีคนดูแล ขอเบี้ยยังชีพ elderly", category="welfare")
    await client.call(command)
    events = by_subject(await client.events(at_least=4), command.complaint_id)
    escalated = [e for e in events if e.type == "complaint.escalated"]
    assert len(escalated) == 1
    assert escalated[0].data.to == "clerk"
    assert escalated[0].data.reason == "no_active_admin"


async def test_a_missed_deadline_breaches_and_escalates_through_the_command_path(
    routing: tuple[Routing, Client], clock: FakeClock
) -> None:
    processor, client = routing
    command = submit()
    await client.call(command)
    assert await processor.check_deadlines() == 0  # nothing due yet
    clock.advance(timedelta(hours=25))
    assert await processor.check_deadlines() >= 1
    for _ in range(100):
        events = by_subject(await client.events(), command.complaint_id)
        if any(e.type == "complaint.escalated" for e in events):
            break
        await asyncio.sleep(0.2)
    types = [e.type for e in events]
    assert types[3:] == ["complaint.sla_breached", "complaint.escalated"]
    assert events[4].data.to == "supervisor:engineering"
    await processor.check_deadlines()  # the same deadline again: nothing new
    await asyncio.sleep(1.5)
    assert len(by_subject(await client.events(at_least=5), command.complaint_id)) == 5


async def test_kcat_reads_a_department_feed_as_json(
    routing: tuple[Routing, Client], servers: Servers
) -> None:
    _, client = routing
    command = submit()
    await client.call(command)
    ack = c.AcknowledgeComplaint(
        command_id=str(uuid.uuid4()), complaint_id=command.complaint_id, actor=ADMIN
    )
    assert (await client.call(ack))["status"] == "acknowledged"
    kcat = shutil.which("kcat")
    assert kcat, "kcat is missing: run `make tools` (Debian package kcat)"
    proc = await asyncio.create_subprocess_exec(
        kcat,
        "-b",
        servers.kafka_bootstrap,
        "-C",
        "-t",
        client.topics.routed("engineering"),
        "-o",
        "beginning",
        "-e",
        "-q",
        "-X",
        "isolation.level=read_committed",
        "-f",
        "%s\\n",
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0
    out = stdout.decode()
    views = [json.loads(line) for line in out.splitlines() if line.strip()]
    statuses = [v["status"] for v in views if v["complaint_id"] == command.complaint_id]
    assert statuses == ["routed", "acknowledged"]
