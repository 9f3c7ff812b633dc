"""The whole flow through the four services as processes: a citizen's report reaches the
department's queue and feed, the admin acts on it, the reporter is told, Open311 and the
statistics show it. Also: a pin outside the municipality, a department without an admin,
and a duplicate."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from collections.abc import Awaitable, Callable
from typing import Any

from PIL import Image

from kandoo.events.values import Actor, Role
from tests.e2e.conftest import Suite

ENGINEERING = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")
CLERK = Actor(id="clerk-1", role=Role.CLERK, department="clerk")


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (30, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def report(text: str, lat: float, lon: float, **more: Any) -> dict[str, Any]:
    return {
        "description": text,
        "location": {"lat": lat, "lon": lon, "address_text": "ซอยหัวหิน 94"},
        "reporter": {"name": "สมศรี", "email": "somsri@example.com"},
        "language": "th",
        "channel": "mobile",
        **more,
    }


async def eventually(check: Callable[[], Awaitable[bool]], wait_s: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while not await check():
        assert loop.time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.3)


async def test_a_thai_report_with_a_photo_goes_all_the_way(suite: Suite) -> None:
    body = report("ไฟส่องสว่างดับทั้งซอย มืดมาก เด็กกลับจากโรงเรียนไม่กล้าเดิน", 12.5690, 99.9560)
    files = [("photos", ("lamp.jpg", photo(), "image/jpeg"))]
    created = await suite.intake.post(
        "/v1/complaints", data={"complaint": json.dumps(body, ensure_ascii=False)}, files=files
    )
    assert created.status_code == 201, created.text
    answer = created.json()
    cid, code, department = answer["complaint_id"], answer["tracking_code"], answer["department"]
    assert department == "engineering"
    staff = suite.bearer(ENGINEERING)

    async def queued() -> bool:
        queue = await suite.reporting.get(f"/v1/departments/{department}/queue", headers=staff)
        return any(item["id"] == cid for item in queue.json()["items"])

    await eventually(queued)

    kcat = shutil.which("kcat")
    assert kcat, "kcat is missing: run `make tools`"
    feed = await asyncio.create_subprocess_exec(
        kcat, "-b", suite.servers.kafka_bootstrap, "-C", "-t",
        f"{suite.prefix}complaints.routed.{department}", "-o", "beginning", "-e", "-q",
        "-X", "isolation.level=read_committed", "-f", "%k\\n",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await feed.communicate()
    assert cid in out.decode().split()

    for action, payload in (("acknowledge", {}), ("resolve", {"note": "เปลี่ยนหลอดไฟแล้ว"})):
        done = await suite.intake.post(
            f"/v1/complaints/{cid}/{action}", json=payload, headers=staff
        )
        assert done.status_code == 200, done.text

    async def told() -> bool:
        subjects = [m.subject for m in suite.smtp.mails if m.to == ["somsri@example.com"]]
        return f"รับเรื่องแล้ว {code}" in subjects and f"ดำเนินการแล้ว {code}" in subjects

    await eventually(told)
    assert any(code in p["title"] for p in suite.web.to("eng-admin-1"))  # told of new work

    async def closed_in_open311() -> bool:
        got = await suite.reporting.get(f"/open311/v2/requests/{cid}.json")
        return got.status_code == 200 and got.json()[0]["status"] == "closed"

    await eventually(closed_in_open311)
    request = (await suite.reporting.get(f"/open311/v2/requests/{cid}.json")).json()[0]
    assert request["media_url"].endswith(tuple("0123456789abcdef"))

    stats = await suite.reporting.get(
        f"/v1/departments/{department}/stats", params={"from": "2000-01-01"}, headers=staff
    )
    totals = stats.json()["totals"]
    assert totals["submitted"] >= 1
    assert totals["resolved"] >= 1


async def test_a_pin_outside_the_municipality_is_refused_in_the_reporters_language(
    suite: Suite,
) -> None:
    body = report("ถนนเป็นหลุม", 13.7563, 100.5018)  # Bangkok
    refused = await suite.intake.post("/v1/complaints", json=body)
    assert refused.status_code == 422
    assert "หัวหิน" in refused.text


async def test_a_department_without_an_admin_goes_to_the_clerk(suite: Suite) -> None:
    body = report("คุณยายอายุ 90 อยู่คนเดียว ไม่มีคนดูแล ไม่มีข้าวกิน", 12.5600, 99.9500)
    created = await suite.intake.post("/v1/complaints", json=body | {"category": "welfare"})
    assert created.status_code == 201, created.text
    cid = created.json()["complaint_id"]

    async def escalated() -> bool:
        got = await suite.reporting.get(f"/v1/complaints/{cid}", headers=suite.bearer(CLERK))
        return got.status_code == 200 and got.json().get("escalation_level", 0) >= 1

    await eventually(escalated)
    doc = (await suite.reporting.get(f"/v1/complaints/{cid}", headers=suite.bearer(CLERK))).json()
    escalations = [e for e in doc["timeline"] if e["type"] == "complaint.escalated"]
    assert escalations[0]["to"] == "clerk"
    assert escalations[0]["reason"] == "no_active_admin"


async def test_a_duplicate_is_linked_to_the_original(suite: Suite) -> None:
    first = report("มีหลุมใหญ่กลางถนน รถมอเตอร์ไซค์ตกหลุมล้ม", 12.5450, 99.9600)
    original = await suite.intake.post("/v1/complaints", json=first | {"category": "road"})
    assert original.status_code == 201, original.text
    again = report("ถนนเป็นหลุมลึก อันตรายมาก", 12.5451, 99.9601)
    duplicate = await suite.intake.post("/v1/complaints", json=again | {"category": "road"})
    assert duplicate.status_code == 201, duplicate.text
    assert duplicate.json()["status"] == "duplicate"
    oid = original.json()["complaint_id"]
    assert duplicate.json()["duplicate_of"] == oid

    async def followed() -> bool:
        code = original.json()["tracking_code"]
        tracked = await suite.reporting.get(f"/v1/track/{code}")
        return tracked.status_code == 200 and tracked.json()["followers"] == 1

    await eventually(followed)
