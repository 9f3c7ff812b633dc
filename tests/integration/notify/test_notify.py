"""Notify end to end: rules and languages, exactly once, retries and dead letters."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaProducer

from kandoo.events import commands as c
from kandoo.events.values import Actor, ReporterContact, Role
from kandoo.notify.adapters.sender import Sender
from kandoo.notify.bootstrap import build
from tests.conftest import Servers
from tests.integration.notify.conftest import Notify, eventually
from tests.integration.routing.conftest import read_topic, submit
from tests.ports import free_port

ENGINEERING = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")


def submit_en(
    email: str,
    text: str = "Street light is out on Soi 94",
    category: str | None = "streetlight",
    lat: float = 12.5684,
) -> c.SubmitComplaint:
    """A report in English from a reporter who gave an e-mail address."""
    return submit(
        text,
        lat=lat,
        category=category,
        language="en",
        reporter=ReporterContact(name="Jane", email=email),
    )


def act(kind: type[c.CommandBase], cid: str, actor: Actor = ENGINEERING, **more: Any) -> Any:
    return kind(command_id=str(uuid.uuid4()), complaint_id=cid, actor=actor, **more)


async def test_each_rule_tells_the_right_people_in_their_language(n: Notify) -> None:
    complaint = submit_en("jane@example.com")
    code = complaint.tracking_code
    await n.client.call(complaint)
    # routed -> the engineering admins, in Thai (their language in the directory)
    await eventually(
        lambda: _assert(len(n.web.to("eng-admin-1")) == 1 and len(n.web.to("eng-admin-2")) == 1)
    )
    routed = n.web.to("eng-admin-1")[0]
    assert routed["title"] == f"เรื่องใหม่ {code}"
    assert f"/t/{code}" in routed["message"]

    cid = complaint.complaint_id
    await n.client.call(act(c.AcknowledgeComplaint, cid))
    await n.client.call(act(c.AddNote, cid, text="internal: truck broken", public=False))
    await n.client.call(act(c.AddNote, cid, text="We will fix it tomorrow morning"))
    await n.client.call(act(c.ResolveComplaint, cid, note="Bulb replaced"))
    await eventually(lambda: _assert(len(n.smtp.mails) == 3))
    # each recipient hears of a complaint's events in their order
    subjects = [m.subject for m in n.smtp.mails]
    assert subjects == [
        f"Received: {code}",
        f"Message from staff about {code}",
        f"Resolved: {code}",
    ]
    assert all(m.to == ["jane@example.com"] for m in n.smtp.mails)
    assert any("Bulb replaced" in m.body for m in n.smtp.mails)
    assert not any("internal" in m.body for m in n.smtp.mails)

    # a department without an admin: escalated at once to the clerk's admins
    welfare = submit_en(
        "old@example.com", "Elderly man living alone needs help", "welfare", lat=12.5600
    )
    await n.client.call(welfare)
    await eventually(
        lambda: _assert(any(p["title"].startswith("เรื่องค้าง") for p in n.web.to("clerk-1")))
    )

    # a missed deadline (the welfare report, still unacknowledged): its supervisor hears
    n.routing_clock.advance(timedelta(hours=25))
    assert await n.routing.check_deadlines() >= 1
    await eventually(
        lambda: _assert(any(p["title"].startswith("เกินกำหนด") for p in n.web.to("sw-director")))
    )

    # every delivery is on notifications.events for reporting's timeline
    notices = [json.loads(v) for v in await read_topic(n.servers, n.notifier.topics.notifications)]
    sent = [x for x in notices if x["type"] == "notification.sent" and x["subject"] == cid]
    assert {x["data"]["recipient"] for x in sent} >= {"eng-admin-1", "eng-admin-2", "reporter"}
    assert all("@" not in json.dumps(x["data"]) for x in notices)  # no addresses in the log


async def test_a_failing_sink_is_retried_then_dead_lettered_while_others_go_through(
    n: Notify,
) -> None:
    waste = submit_en("bob@example.com", "Garbage not collected for a week", "waste", lat=12.5750)
    await n.client.call(waste)
    # public health has two people: ph-admin-1's sink always fails; the supervisor is not
    # told of routing; the reporter is not told of routing either. So: retries, then DLQ.
    letters = await dead_letters(n, "ph-admin-1")
    assert len(letters) == 1
    assert letters[0]["recipient"] == "ph-admin-1"
    assert letters[0]["attempts"] == 3
    assert "json sink refused or failed" in letters[0]["reason"]
    assert len(n.web.failures) == 3  # first try and two retries
    # the retry list held it only while it waited: the retry pass never reads the others
    assert await n.notifier.store.retries.count_documents({}) == 0
    assert await n.notifier.store.deliveries.count_documents({"state": "dead"}) == 1
    # meanwhile another department's delivery went straight through
    light = submit_en("carol@example.com", "Lamp post dark", "streetlight", lat=12.5500)
    await n.client.call(light)
    await eventually(
        lambda: _assert(any(light.tracking_code in p["title"] for p in n.web.to("eng-admin-1")))
    )


async def test_a_redelivered_event_or_a_restart_mid_batch_sends_nothing_twice(
    n: Notify, servers: Servers
) -> None:
    complaint = submit_en("dave@example.com")
    await n.client.call(complaint)
    await n.client.call(act(c.AcknowledgeComplaint, complaint.complaint_id))
    await eventually(lambda: _assert(len(n.smtp.mails) == 1 and len(n.web.to("eng-admin-2")) == 1))
    await n.notifier.stop()

    class Crashing(Sender):
        """Dies (as a killed process would) on its first message to eng-admin-2."""

        async def send(
            self, url: str, title: str, body: str, delivery_id: str = ""
        ) -> tuple[bool, str | None]:
            if url.endswith("/eng-admin-2"):
                raise asyncio.CancelledError
            return await super().send(url, title, body, delivery_id)

    # the same events again, from the start, into the same delivery records
    replay = n.settings.model_copy(update={"group_id": "notify-replay"})
    again = build(replay)
    await again.start()
    await asyncio.sleep(3)
    await again.stop()
    assert len(n.smtp.mails) == 1
    assert len(n.web.to("eng-admin-1")) == 1
    assert again.metrics.skipped._value.get() >= 3

    # a new event; the process dies in the middle of its batch, before committing
    second = submit_en("erin@example.com", "Another light out", lat=12.5500)
    crashing = build(n.settings, sender=Crashing(5))
    await crashing.start()
    await n.client.call(second)
    await asyncio.sleep(3)
    await crashing.stop()
    # restarted: the batch is read again; what was sent is not sent again, and the message
    # cut off mid-send is dead-lettered rather than risked twice
    restarted = build(n.settings)
    await restarted.start()
    try:
        await eventually(
            lambda: _assert(
                any(second.tracking_code in p["title"] for p in n.web.to("eng-admin-1"))
            )
        )
        await asyncio.sleep(2)
        titles = [p["title"] for p in n.web.to("eng-admin-1") if second.tracking_code in p["title"]]
        assert len(titles) == 1
        assert not any(second.tracking_code in p["title"] for p in n.web.to("eng-admin-2"))
        record = await restarted.store.deliveries.find_one(
            {"recipient": "eng-admin-2", "complaint_id": second.complaint_id}
        )
        assert record is not None
        assert record["state"] == "dead"
    finally:
        await restarted.stop()


async def test_a_poison_event_goes_to_the_dead_letter_and_the_consumer_moves_on(n: Notify) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=n.servers.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(n.notifier.topics.events, b"{not json", key=b"x")
        await producer.send_and_wait(
            n.notifier.topics.events, json.dumps({"type": "complaint.routed"}).encode(), key=b"y"
        )
    finally:
        await producer.stop()
    complaint = submit_en("fred@example.com")
    await n.client.call(complaint)
    await eventually(
        lambda: _assert(any(complaint.tracking_code in p["title"] for p in n.web.to("eng-admin-1")))
    )
    dlq = n.notifier.topics.dlq(n.notifier.topics.notifications)
    letters = [json.loads(v) for v in await read_topic(n.servers, dlq)]
    # the two land on different partitions: no order between them
    assert sorted(x["value"] for x in letters) == ['{"type": "complaint.routed"}', "{not json"]
    assert n.notifier.metrics.poison._value.get() == 2


def _assert(condition: bool) -> None:
    assert condition


async def test_each_morning_admins_get_one_digest_of_their_overdue_items(n: Notify) -> None:
    complaint = submit_en("gina@example.com", "Lamp post dark all night", lat=12.5520)
    await n.client.call(complaint)
    code = complaint.tracking_code
    await eventually(lambda: _assert(any(code in p["title"] for p in n.web.to("eng-admin-2"))))
    bangkok = ZoneInfo("Asia/Bangkok")
    two_days_on = datetime.now(bangkok) + timedelta(days=2)
    morning = two_days_on.replace(hour=9, minute=0, second=0, microsecond=0)
    digest = build(n.settings, clock=lambda: morning.astimezone(UTC))
    try:
        assert await digest.digests.send() >= 1
        digests = [p for p in n.web.to("eng-admin-2") if p["title"].startswith("สรุปเรื่องเกินกำหนด")]
        assert len(digests) == 1
        assert code in digests[0]["message"]
        assert await digest.digests.send() == 0  # once a day
        restarted = build(n.settings, clock=lambda: morning.astimezone(UTC))
        assert await restarted.digests.send() == 0  # once a day, whichever process asks
        await restarted.client.close()
        early = build(n.settings, clock=lambda: morning.replace(hour=6).astimezone(UTC))
        assert await early.digests.send() == 0  # not before 08:00 Bangkok
        await early.client.close()
    finally:
        await digest.client.close()


async def test_a_delivery_left_waiting_for_a_retry_is_retried_after_a_restart(
    n: Notify,
) -> None:
    """A process that died between listing a retry and marking the delivery, or a delivery
    older than the retry list: the restart finds it waiting, and tries it again once."""
    await n.notifier.stop()
    url = f"json://127.0.0.1:{n.web.port}/eng-admin-1"
    waiting = {
        "_id": "ev-old|eng-admin-1|json",
        "state": "retry",
        "attempt": 1,
        "url": url,
        "title": "left waiting",
        "body": "sent at the second attempt",
        "complaint_id": "",  # no notice about it: digests are sent like this too
        "event_id": "ev-old",
        "event_type": "complaint.routed",
        "rule": "test",
        "recipient": "eng-admin-1",
        "recipient_role": "dept_admin",
        "language": "en",
        "channel": "json",
        "next_at": datetime.now(UTC) - timedelta(seconds=1),
    }
    again = build(n.settings)
    await again.store.deliveries.insert_one(waiting)
    await again.start()
    try:
        await eventually(
            lambda: _assert(any(p["title"] == "left waiting" for p in n.web.to("eng-admin-1")))
        )
        done = await again.store.deliveries.find_one({"_id": waiting["_id"]})
        assert done is not None
        assert (done["state"], done["attempt"]) == ("sent", 2)
        assert await again.store.retries.count_documents({}) == 0
        await asyncio.sleep(1.5)  # three more retry passes: nothing sent twice
        assert [p["title"] for p in n.web.to("eng-admin-1")].count("left waiting") == 1
    finally:
        await again.stop()


async def test_a_sender_that_raises_is_retried_then_dead_lettered_never_left_sending(
    n: Notify,
) -> None:
    class Raising(Sender):
        """A sender with a bug for one person's address (not a timeout, not a refusal)."""

        async def send(
            self, url: str, title: str, body: str, delivery_id: str = ""
        ) -> tuple[bool, str | None]:
            if url.endswith("/eng-admin-2"):
                raise RuntimeError("the sender broke")
            return await super().send(url, title, body, delivery_id)

    await n.notifier.stop()
    raising = build(n.settings, sender=Raising(5))
    await raising.start()
    try:
        light = submit_en("frank@example.com", "Street lamp flickering all night", lat=12.5520)
        await n.client.call(light)
        letters = await dead_letters(n, "eng-admin-2")
        assert len(letters) == 1
        assert letters[0]["recipient"] == "eng-admin-2"
        assert letters[0]["attempts"] == 3
        assert "RuntimeError: the sender broke" in letters[0]["reason"]
        sending = await raising.store.deliveries.count_documents({"state": "sending"})
        assert sending == 0
        kept = [d async for d in raising.store.deliveries.find({})]
        finished = [d for d in kept if d["state"] in ("sent", "dead")]
        assert finished
        assert all(d["body"] is None and d["url"].endswith("://") for d in finished), (
            "no address or message kept once a delivery is over"
        )
        assert not any("frank@example.com" in str(d) for d in finished)
        assert any(light.tracking_code in p["title"] for p in n.web.to("eng-admin-1"))
    finally:
        await raising.stop()


async def dead_letters(n: Notify, recipient: str, wait_s: float = 30) -> list[dict[str, Any]]:
    """The dead letters of notify's deliveries to `recipient`, once there is one."""
    dlq = n.notifier.topics.dlq(n.notifier.topics.notifications)
    letters: list[dict[str, Any]] = []
    for _ in range(int(wait_s / 0.2)):
        found = [json.loads(v) for v in await read_topic(n.servers, dlq)]
        letters = [d for d in found if d.get("recipient") == recipient]
        if letters:
            break
        await asyncio.sleep(0.2)
    return letters


async def test_two_notify_instances_send_each_message_once(n: Notify) -> None:
    """Both read the events (one consumer group) and both run the retry pass over the one
    retry list: every delivery fails once, then is sent by exactly one of them."""
    failed_once: set[str] = set()

    class FailsFirst(Sender):
        async def send(
            self, url: str, title: str, body: str, delivery_id: str = ""
        ) -> tuple[bool, str | None]:
            if delivery_id not in failed_once:
                failed_once.add(delivery_id)
                return False, "first attempt refused (test)"
            await asyncio.sleep(0.2)  # a slow sink: both passes see the retry at once
            return await super().send(url, title, body, delivery_id)

    await n.notifier.stop()
    instances = [
        build(n.settings.model_copy(update={"port": free_port(), "instance_id": name}),
              sender=FailsFirst(5))
        for name in ("notify-a", "notify-b")
    ]  # fmt: skip
    for instance in instances:
        await instance.start()
    try:
        lights = [
            submit_en(f"two-{i}@example.com", f"Street lamp {i} dark", lat=12.5520 + i / 1000)
            for i in range(4)
        ]
        for light in lights:
            await n.client.call(light)

        def each_told() -> None:
            titles = [p["title"] for p in n.web.to("eng-admin-1")]
            for light in lights:
                assert sum(light.tracking_code in t for t in titles) == 1

        await eventually(each_told)
        await asyncio.sleep(2)  # four more retry passes of each instance
        each_told()
        store = instances[0].store
        assert await store.deliveries.count_documents({"state": "sent"}) >= 8
        owners = {d.get("owner") async for d in store.deliveries.find({"state": "sent"})}
        assert owners <= {"notify-a", "notify-b"}
    finally:
        for instance in instances:
            await instance.stop()
