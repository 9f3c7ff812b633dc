"""The roster in the log, against the real broker: an appointment is written to
`directory.events` in routing's transaction, changes escalation at once, survives a
restart of routing (read back from the topic), and a removal undoes it."""

from __future__ import annotations

import asyncio
import uuid

from kandoo.events import commands as c
from kandoo.events.envelope import from_record
from kandoo.events.roster import ROSTER_SUBJECT, roster_event
from kandoo.events.values import Actor, Role
from tests.conftest import Servers
from tests.integration.routing.conftest import Client, read_topic, running_routing, submit

CLERK = Actor(id="clerk-1", role=Role.CLERK, department="clerk")
WELFARE = "ผู้สูงอายุอยู่ลำพังไม่มีคนดูแล"


def appoint(person: str) -> c.AppointDepartmentAdmin:
    return c.AppointDepartmentAdmin(
        command_id=str(uuid.uuid4()),
        complaint_id=ROSTER_SUBJECT,
        actor=CLERK,
        department="social_welfare",
        person_id=person,
        name="สมศรี ใจงาม",
    )


async def escalated_for_no_admin(client: Client, at: float) -> bool:
    """Whether a new welfare report (at its own place) is escalated for want of an admin."""
    command = submit(WELFARE, lat=12.5684 + at, category="welfare")
    result = await client.call(command)
    assert result["outcome"] == "accepted"
    for _ in range(50):
        mine = [e for e in await client.events() if e.subject == command.complaint_id]
        if any(e.type == "complaint.routed" for e in mine):
            return any(e.type == "complaint.escalated" for e in mine)
        await asyncio.sleep(0.2)
    raise AssertionError("the report was not routed")


async def test_an_appointment_stops_the_escalation_and_survives_a_restart(
    servers: Servers, unique: str
) -> None:
    async with running_routing(servers, unique) as (routing, client):
        assert await escalated_for_no_admin(client, 0.0)
        answer = await client.call(appoint("sw-somsri"))
        assert answer["outcome"] == "accepted"
        assert answer["complaint_id"] == ROSTER_SUBJECT
        twice = await client.call(appoint("sw-somsri"))
        assert twice["outcome"] == "refused"
        assert twice["code"] == "already_admin"
        assert not await escalated_for_no_admin(client, 0.003)
        topic = routing.topics.directory_events
    written = [from_record(v) for v in await read_topic(servers, topic)]
    assert [(e.type, e.sequence, e.actor.id) for e in written] == [
        ("directory.admin_appointed", 1, "clerk-1")
    ]
    assert roster_event(written[0]) is not None

    async with running_routing(servers, unique) as (routing, client):
        assert routing.processor.directory.has_active_admin("social_welfare"), "read back"
        assert not await escalated_for_no_admin(client, 0.006)
        removal = c.RemoveDepartmentAdmin(
            command_id=str(uuid.uuid4()),
            complaint_id=ROSTER_SUBJECT,
            actor=CLERK,
            department="social_welfare",
            person_id="sw-somsri",
        )
        assert (await client.call(removal))["outcome"] == "accepted"
        assert await escalated_for_no_admin(client, 0.009)
    sequences = [from_record(v).sequence for v in await read_topic(servers, topic)]
    assert sequences == [1, 2]


async def test_a_department_admin_may_not_change_the_roster(servers: Servers, unique: str) -> None:
    admin = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")
    async with running_routing(servers, unique) as (routing, client):
        answer = await client.call(appoint("x").model_copy(update={"actor": admin}))
        assert answer["outcome"] == "refused"
        assert answer["http_status"] == 403
        assert not routing.processor.directory.has_active_admin("social_welfare")
