"""Reports by LINE chat against the real services, with a double of LINE's platform on
loopback (tests/doubles/line_platform.py): a Thai conversation (text, location, photo)
becomes a complaint routed to its department and the reply holds its tracking code; the
same webhook delivered twice makes one complaint; a bad signature is 401 and leaves
nothing in Kafka; a pin in Bangkok gets the Thai refusal; when an admin resolves the
complaint the reporter's LINE user gets exactly one push in Thai with the track link,
also when notify is killed and restarted in the middle. Nothing reaches LINE's hosts."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
import uuid
from typing import Any

from PIL import Image
from pymongo import AsyncMongoClient

from kandoo.events.values import Actor, Role
from kandoo.runtime.personal import KeyStore
from tests.e2e.conftest import Suite
from tests.e2e.test_citizen_web import tracked
from tests.e2e.test_gateway_open311 import eventually
from tests.integration.routing.conftest import read_topic

ENGINEERING = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")
CODE = re.compile(r"[A-Z]{2}-[0-9A-Z]{4}-[0-9A-Z]{2}")


def user() -> str:
    return "U" + uuid.uuid4().hex


def event(
    suite: Suite, who: str, message: dict[str, Any], redelivery: bool = False
) -> dict[str, Any]:
    return {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": who},
        "webhookEventId": "01" + uuid.uuid4().hex[:24].upper(),
        "deliveryContext": {"isRedelivery": redelivery},
        "replyToken": suite.line.reply_token(),
        "message": {"id": str(uuid.uuid4().int)[:18], "quoteToken": "q", **message},
    }


async def post(suite: Suite, events: list[dict[str, Any]], signature: str | None = None) -> int:
    body, headers = suite.line.webhook(events)
    if signature is not None:
        headers["X-Line-Signature"] = signature
    answer = await suite.gateway.post("/line/webhook", content=body, headers=headers)
    return answer.status_code


async def replied(suite: Suite, e: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages the bot replied to one event with (waits for them)."""

    async def check() -> list[dict[str, Any]]:
        found = suite.line.replies_to(e["replyToken"])
        assert found, "no reply yet"
        return found

    result: list[dict[str, Any]] = await eventually(check, 20)
    return result


def actions(message: dict[str, Any]) -> list[str]:
    items = (message.get("quickReply") or {}).get("items") or []
    return [i["action"]["type"] for i in items]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 180, 40)).save(out, "JPEG")
    return out.getvalue()


async def converse(suite: Suite, who: str, text: str, at: tuple[float, float]) -> tuple[str, str]:
    """Text, location, a photo, send: (the tracking code, the reply's text)."""
    first = event(suite, who, {"type": "text", "text": text})
    assert await post(suite, [first]) == 200
    asked = (await replied(suite, first))[0]
    assert "location" in actions(asked), asked
    where = event(
        suite,
        who,
        {"type": "location", "latitude": at[0], "longitude": at[1], "address": "หน้าตลาดฉัตรไชย"},
    )
    assert await post(suite, [where]) == 200
    photos = (await replied(suite, where))[0]
    assert {"camera", "cameraRoll"} <= set(actions(photos)), photos
    picture = event(suite, who, {"type": "image", "contentProvider": {"type": "line"}})
    suite.line.add_content(picture["message"]["id"], jpeg())
    assert await post(suite, [picture]) == 200
    assert "1" in (await replied(suite, picture))[0]["text"]
    send = event(suite, who, {"type": "text", "text": "ส่งเรื่องเลย"})
    assert await post(suite, [send]) == 200
    done = (await replied(suite, send))[0]["text"]
    found = CODE.search(done)
    assert found, done
    return found.group(0), done


async def submitted_by(suite: Suite, who: str) -> list[dict[str, Any]]:
    """Every complaint.submitted in the log whose reporter is this LINE user (the contact
    is sealed in the log: opened with the key store, as notify does)."""
    found = []
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(suite.servers.mongodb_url)
    keys = KeyStore(client[suite.services["intake"].env["KANDOO_KEYS_MONGODB_DB"]])
    try:
        for value in await read_topic(suite.servers, f"{suite.prefix}complaints.events"):
            e = json.loads(value)
            if e["type"] != "complaint.submitted":
                continue
            assert who.encode() not in value, "the LINE user id is sealed in the log"
            contact = await keys.open(e["subject"], e["data"]["reporter"])
            if contact.get("line_user_id") == who:
                found.append(e)
    finally:
        await client.close()
    return found


async def test_a_thai_conversation_becomes_a_routed_complaint_with_its_code(
    suite: Suite,
) -> None:
    who = user()
    code, reply = await converse(suite, who, "ไฟฟ้าส่องสว่างดับทั้งซอย ถนนมืดมาก", (12.5684, 99.9577))
    assert f"/t/{code}?k=" in reply
    assert "รหัสติดตาม" in reply, "in Thai"
    view = await tracked(suite, code, "routed")
    assert view["department"] == "engineering"
    assert view["channel"] == "line"
    assert len(view["photos"]) == 1
    assert view["location"]["address_text"] == "หน้าตลาดฉัตรไชย"
    assert len(await submitted_by(suite, who)) == 1
    assert not suite.line.refused, suite.line.refused


async def test_the_same_webhook_twice_makes_one_complaint(suite: Suite) -> None:
    who = user()
    steps = [
        event(suite, who, {"type": "text", "text": "ท่อระบายน้ำอุดตัน น้ำท่วมขัง"}),
        event(suite, who, {"type": "location", "latitude": 12.5750, "longitude": 99.9600}),
        event(suite, who, {"type": "text", "text": "ส่งเรื่องเลย"}),
    ]
    for step in steps:
        assert await post(suite, [step]) == 200
        await replied(suite, step)
    again = dict(steps[-1], deliveryContext={"isRedelivery": True})
    assert await post(suite, [again]) == 200
    assert await post(suite, steps) == 200  # the whole body once more
    await asyncio.sleep(2)
    submitted = await submitted_by(suite, who)
    assert len(submitted) == 1, submitted


async def test_a_bad_signature_is_401_and_leaves_nothing_in_kafka(suite: Suite) -> None:
    before = await line_records(suite)
    forged = event(suite, user(), {"type": "text", "text": "ถนนพัง"})
    assert await post(suite, [forged], signature="bm90IHRoZSBzaWduYXR1cmU=") == 401
    assert await post(suite, [forged], signature="") == 401
    assert await line_records(suite) == before
    assert not suite.line.replies_to(forged["replyToken"])


async def line_records(suite: Suite) -> int:
    return len(await read_topic(suite.servers, f"{suite.prefix}line.webhook-events"))


async def test_a_pin_in_bangkok_gets_the_refusal_in_thai(suite: Suite) -> None:
    who = user()
    first = event(suite, who, {"type": "text", "text": "ถนนเป็นหลุม"})
    assert await post(suite, [first]) == 200
    await replied(suite, first)
    bangkok = event(suite, who, {"type": "location", "latitude": 13.7563, "longitude": 100.5018})
    assert await post(suite, [bangkok]) == 200
    messages = await replied(suite, bangkok)
    assert "นอกเขตเทศบาลเมืองหัวหิน" in messages[0]["text"]
    assert "location" in actions(messages[-1]), "asked again for a location"
    assert not await submitted_by(suite, who)


async def test_the_reporter_hears_once_on_line_when_resolved_even_if_notify_dies(
    suite: Suite,
) -> None:
    who = user()
    code, _ = await converse(suite, who, "ถนนเป็นหลุมใหญ่ รถล้ม", (12.5610, 99.9620))
    view = await tracked(suite, code, "routed")
    assert view["department"] == "engineering"
    await act(suite, view["id"], "acknowledge", None)
    await eventually(lambda: pushes_saying(suite, who, "รับเรื่อง", 1), 30)

    suite.line.fail_after_accepting(1)  # LINE takes the push, and the answer is lost
    await act(suite, view["id"], "resolve", {"note": "ปะหลุมเรียบร้อยแล้ว"})
    await eventually(lambda: pushes_saying(suite, who, "ดำเนินการแล้ว", 1), 30)
    await suite.restart("notify")  # killed while the delivery waits for its retry
    await asyncio.sleep(6)  # retries, with the same retry key, have come and gone
    [resolved] = await pushes_saying(suite, who, "ดำเนินการแล้ว", 1)
    assert "ปะหลุมเรียบร้อยแล้ว" in resolved, "in Thai, with what was done"
    assert f"/t/{code}" in resolved, "with the track link"
    keys = [c.headers.get("x-line-retry-key") for c in suite.line.pushes if c.body["to"] == who]
    assert all(keys), "every push carries a retry key"
    assert not suite.line.refused


async def act(suite: Suite, complaint_id: str, action: str, body: dict[str, Any] | None) -> None:
    answer = await suite.intake.post(
        f"/v1/complaints/{complaint_id}/{action}", json=body, headers=suite.bearer(ENGINEERING)
    )
    assert answer.status_code == 200, answer.text


async def pushes_saying(suite: Suite, who: str, words: str, expected: int) -> list[str]:
    texts = [p["messages"][0]["text"] for p in suite.line.pushes_to(who)]
    found = [t for t in texts if words in t]
    assert len(found) == expected, texts
    return found
