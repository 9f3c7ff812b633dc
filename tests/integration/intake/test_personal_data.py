"""Personal data at intake, through the real broker and routing: sealed before it leaves,
erased on request, photos for whom they concern, and photo limits that do not stall."""

from __future__ import annotations

import asyncio
import io
import json
import time

from PIL import Image

from kandoo.events.values import Actor, Role
from tests.conftest import Servers
from tests.integration.intake.conftest import (
    CLERK,
    ENGINEERING,
    PUBLIC_HEALTH,
    Stack,
    bearer,
    jpeg_with_gps,
    report,
)
from tests.integration.routing.conftest import read_topic

ANALYST = Actor(id="analyst-1", role=Role.ANALYST)
SUPERVISOR = Actor(id="eng-sup", role=Role.SUPERVISOR, department="engineering")
PERSONAL = ("สมศรี ใจดี", "0812345678", "somsri@example.com", "Uf00d1234")


def with_contact(**more: object) -> dict:  # type: ignore[type-arg]
    contact = {"name": PERSONAL[0], "phone": PERSONAL[1], "email": PERSONAL[2]}
    return report(reporter=contact, **more)


async def raw(stack: Stack, topic: str) -> bytes:
    servers = Servers(stack.intake.settings.kafka_bootstrap, stack.intake.settings.mongodb_url)
    return b"\n".join(await read_topic(servers, topic, isolation="read_uncommitted"))


async def test_the_contact_leaves_intake_sealed_and_the_log_never_holds_it(stack: Stack) -> None:
    created = await stack.http.post("/v1/complaints", json=with_contact())
    assert created.status_code == 201, created.text
    topics = stack.intake.topics
    for topic in (topics.commands, topics.events):
        log = await raw(stack, topic)
        assert created.json()["complaint_id"].encode() in log
        for value in PERSONAL[:3]:
            assert value.encode() not in log, f"{value} in {topic}"
    events = [json.loads(v) for v in (await raw(stack, topics.events)).split(b"\n") if v]
    submitted = next(e for e in events if e["type"] == "complaint.submitted")
    assert submitted["data"]["reporter"]["sealed"].startswith("v1.reporter.")
    assert submitted["data"]["reporter"]["reach"] == ["email", "phone"]


async def test_the_reporter_erases_with_the_tracking_token_and_nobody_else_can(
    stack: Stack,
) -> None:
    created = (await stack.http.post("/v1/complaints", json=with_contact())).json()
    cid, token = created["complaint_id"], created["tracking_token"]
    assert await stack.intake.personal.key(cid, "reporter") is not None
    stranger = await stack.http.post(f"/v1/complaints/{cid}/erase", json={})
    assert stranger.status_code == 403
    assert "ผู้แจ้ง" in stranger.json()["message"]
    admin = await stack.http.post(
        f"/v1/complaints/{cid}/erase", json={}, headers=bearer(ENGINEERING)
    )
    assert admin.status_code == 403
    assert await stack.intake.personal.key(cid, "reporter") is not None, "nothing erased"
    erased = await stack.http.post(
        f"/v1/complaints/{cid}/erase",
        json={"reason": "ขอใช้สิทธิ์ตาม PDPA"},
        headers={"X-Tracking-Token": token},
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["events"][0]["type"] == "complaint.reporter_data_erased"
    assert await stack.intake.personal.key(cid, "reporter") is None
    again = await stack.http.post(
        f"/v1/complaints/{cid}/erase", json={}, headers={"X-Tracking-Token": token}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_erased"


async def test_the_clerk_erases_a_complaints_people_on_a_request_by_phone(stack: Stack) -> None:
    created = (await stack.http.post("/v1/complaints", json=with_contact())).json()
    cid = created["complaint_id"]
    support = {"supporter_token": "a-supporters-own-token-1234", "contact": {"phone": "0899999999"}}
    supported = await stack.http.post(f"/v1/complaints/{cid}/support", json=support)
    assert supported.status_code == 200, supported.text
    assert b"0899999999" not in await raw(stack, stack.intake.topics.events)
    done = await stack.http.post(
        f"/v1/complaints/{cid}/erase", json={"reason": "โทรมาขอ"}, headers=bearer(CLERK)
    )
    assert done.status_code == 200, done.text
    keys = stack.intake.mongo[stack.intake.settings.keys_mongodb_db]["complaint_keys"]
    assert await keys.find_one({"_id": cid}) is None, "reporter's and supporter's keys gone"


async def test_a_photo_is_for_its_reporter_its_department_the_clerk_and_supervisors(
    stack: Stack,
) -> None:
    files = [("photos", ("bin.jpg", jpeg_with_gps(), "image/jpeg"))]
    waste = report(description="ขยะไม่มีคนเก็บ กองหน้าบ้านสามวันแล้ว ส่งกลิ่นเหม็น", category="waste")
    data = {"complaint": json.dumps(waste, ensure_ascii=False)}
    created = await stack.http.post("/v1/complaints", data=data, files=files)
    assert created.status_code == 201, created.text
    assert created.json()["department"] == "public_health"
    cid = created.json()["complaint_id"]
    photos = stack.intake.mongo[stack.intake.settings.mongodb_db]["photos.files"]
    sha = (await photos.find_one({"metadata.complaints": cid}) or {})["_id"]
    url = f"/v1/photos/{sha}"
    assert (await stack.http.get(url, headers=bearer(ENGINEERING))).status_code == 403
    assert (await stack.http.get(url, headers=bearer(ANALYST))).status_code == 403
    assert (await stack.http.get(url)).status_code == 403
    for allowed in (PUBLIC_HEALTH, CLERK, SUPERVISOR):
        assert (await stack.http.get(url, headers=bearer(allowed))).status_code == 200, allowed
    token = {"X-Tracking-Token": created.json()["tracking_token"]}
    assert (await stack.http.get(url, headers=token)).status_code == 200

    assert (await stack.http.delete(url, headers=bearer(PUBLIC_HEALTH))).status_code == 403
    removed = await stack.http.delete(f"{url}?reason=face visible", headers=bearer(CLERK))
    assert removed.status_code == 204
    gone = await stack.http.get(url, headers=bearer(CLERK) | {"Accept-Language": "th"})
    assert gone.status_code == 410
    assert "ลบแล้ว" in gone.json()["message"]


def big_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 megapixels, a few KB
    return out.getvalue()


async def test_a_100_megapixel_png_is_refused_and_does_not_stall_another_submission(
    stack: Stack,
) -> None:
    data = {"complaint": json.dumps(report(), ensure_ascii=False)}
    files = [("photos", (f"big{i}.png", big_png(), "image/png")) for i in range(5)]
    heavy = asyncio.create_task(stack.http.post("/v1/complaints", data=data, files=files))
    await asyncio.sleep(0)  # the heavy one goes first
    started = time.perf_counter()
    other = await stack.http.post("/v1/complaints", json=report())
    answered_in = time.perf_counter() - started
    refused = await heavy
    assert other.status_code == 201
    assert answered_in < 1.0, f"a concurrent submission waited {answered_in:.2f}s"
    assert refused.status_code == 422
    assert refused.json()["code"] == "photo_too_many_pixels"
    assert refused.json()["fields"][0]["field"] == "photos.0"
