"""PDPA, end to end through the five services as processes: a reporter's name, phone,
e-mail and LINE id, then erased, are in no log, rebuild, as-of database, export, store or
answer, while the complaint still counts; a staff-conduct report is on no public surface."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from kandoo.events.values import Actor, Role
from tests.e2e.conftest import ROOT, Suite
from tests.e2e.test_whole_flow import eventually

ENGINEERING = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")
CLERK = Actor(id="clerk-1", role=Role.CLERK, department="clerk")
LINE_ID = "U" + uuid.uuid4().hex
PERSONAL = ("ทองใบ ลบได้", "0861112233", f"erase-{uuid.uuid4().hex[:6]}@example.com", LINE_ID)


def report(text: str, **more: Any) -> dict[str, Any]:
    return {
        "description": text,
        "location": {"lat": 12.5702, "lon": 99.9581, "address_text": "ถนนเพชรเกษม"},
        "language": "th",
        "channel": "mobile",
        **more,
    }


def leaked(text: str) -> list[str]:
    return [value for value in PERSONAL if value in text]


async def kcat(suite: Suite, topic: str) -> str:
    """Every record of a topic as the broker holds it, uncommitted ones too."""
    found = shutil.which("kcat")
    assert found, "kcat is missing: run `make tools`"
    process = await asyncio.create_subprocess_exec(
        found, "-b", suite.servers.kafka_bootstrap, "-C", "-t", f"{suite.prefix}{topic}",
        "-o", "beginning", "-e", "-q", "-X", "isolation.level=read_uncommitted",
        "-f", "%k %s\\n",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    return out.decode()


async def database_text(suite: Suite, name: str) -> str:
    """Every document of every collection of a database, as text."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(suite.servers.mongodb_url)
    try:
        db = client[name]
        parts = []
        for collection in await db.list_collection_names():
            async for doc in db[collection].find({}):
                parts.append(json.dumps(doc, default=str, ensure_ascii=False))
        return "\n".join(parts)
    finally:
        await client.close()


def reporting_cli(suite: Suite, *args: str) -> str:
    env = suite.services["reporting"].env
    done = subprocess.run(
        [str(Path(sys.executable).parent / "kandoo-reporting"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


async def staff_view(suite: Suite, cid: str) -> dict[str, Any]:
    got = await suite.reporting.get(f"/v1/complaints/{cid}", headers=suite.bearer(ENGINEERING))
    assert got.status_code == 200, got.text
    return got.json()  # type: ignore[no-any-return]


async def public_stats(suite: Suite) -> int:
    got = await suite.reporting.get(
        "/v1/stats/public", params={"from": "2000-01-01", "to": "2100-01-01"}
    )
    return int(got.json()["totals"]["submitted"])


async def test_an_erased_reporter_is_in_no_log_rebuild_as_of_export_store_or_answer(
    suite: Suite, tmp_path: Path
) -> None:
    contact = dict(zip(("name", "phone", "email", "line_user_id"), PERSONAL, strict=True))
    created = await suite.gateway.post(
        "/v1/complaints",
        json=report("ถนนเป็นหลุมลึกหน้าตลาด รถจักรยานยนต์ล้มทุกวัน", reporter=contact),
    )
    assert created.status_code == 201, created.text
    cid, token = created.json()["complaint_id"], created.json()["tracking_token"]
    code = created.json()["tracking_code"]
    ack = await suite.intake.post(
        f"/v1/complaints/{cid}/acknowledge", headers=suite.bearer(ENGINEERING)
    )
    assert ack.status_code == 200, ack.text

    async def told() -> bool:  # by e-mail and on LINE: notify could read the contact
        mailed = any(m.to == [PERSONAL[2]] for m in suite.smtp.mails)
        pushed = bool(suite.line.pushes_to(LINE_ID))
        return mailed and pushed

    await eventually(told)
    before = await staff_view(suite, cid)
    assert before["reporter"]["phone"] == PERSONAL[1], "the owning department reads it"
    counted = await public_stats(suite)

    erased = await suite.gateway.post(
        f"/v1/complaints/{cid}/erase",
        json={"reason": "ขอใช้สิทธิ์ลบข้อมูลตาม PDPA"},
        headers={"X-Tracking-Token": token},
    )
    assert erased.status_code == 200, erased.text

    async def shown_erased() -> bool:
        return bool((await staff_view(suite, cid))["reporter"].get("erased"))

    await eventually(shown_erased)

    # The log, read raw: the events (kept forever) and the commands.
    for topic in ("complaints.events", "complaints.commands"):
        text = await kcat(suite, topic)
        assert cid in text, f"{topic} was read"
        assert leaked(text) == [], topic

    # A rebuild of the read models from the log, an as-of database, exports.
    assert "events" in reporting_cli(suite, "rebuild")
    await eventually(shown_erased)
    as_of_db = f"{suite.prefix.replace('.', '_')}asof"
    reporting_cli(suite, "as-of", "2100-01-01T00:00:00+00:00", "--db", as_of_db)
    assert cid in await database_text(suite, as_of_db)
    assert leaked(await database_text(suite, as_of_db)) == []
    plain, personal = tmp_path / "plain.jsonl", tmp_path / "personal.jsonl"
    window = ("--from", "2000-01-01T00:00:00+00:00", "--to", "2100-01-01T00:00:00+00:00")
    said = reporting_cli(suite, "export", *window, "-o", str(plain))
    assert "no personal data" in said
    assert cid in plain.read_text()
    assert leaked(plain.read_text()) == []
    said = reporting_cli(suite, "export", *window, "--include-personal-data", "-o", str(personal))
    assert "CONTAINS PERSONAL DATA" in said
    submitted = [
        json.loads(line)
        for line in personal.read_text().splitlines()
        if json.loads(line)["subject"] == cid and json.loads(line)["type"] == "complaint.submitted"
    ]
    assert submitted[0]["data"]["reporter"]["erased"] is True
    assert leaked(personal.read_text()) == []

    # Every service's store.
    for service in ("intake", "reporting", "notify", "web"):
        name = suite.services[service].env["KANDOO_MONGODB_DB"]
        assert leaked(await database_text(suite, name)) == [], service

    # Every answer: staff, clerk, public, Open311.
    answers = [
        await suite.reporting.get(f"/v1/complaints/{cid}", headers=suite.bearer(ENGINEERING)),
        await suite.reporting.get(f"/v1/complaints/{cid}", headers=suite.bearer(CLERK)),
        await suite.gateway.get(f"/v1/track/{code}"),
        await suite.gateway.get(f"/open311/v2/requests/{cid}.json"),
        await suite.gateway.get(f"/t/{code}"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.request.url
        assert leaked(answer.text) == [], answer.request.url

    assert await public_stats(suite) == counted, "the complaint still counts"
    assert (await staff_view(suite, cid))["description"].startswith("ถนนเป็นหลุม")


async def test_a_staff_conduct_report_is_on_no_public_list_map_or_open311_answer(
    suite: Suite,
) -> None:
    words = "เจ้าหน้าที่หน้าห้องทะเบียนเรียกเงินใต้โต๊ะ พูดจาไม่สุภาพ"
    created = await suite.gateway.post(
        "/v1/complaints", json=report(words, category="staff_conduct")
    )
    assert created.status_code == 201, created.text
    cid, code = created.json()["complaint_id"], created.json()["tracking_code"]
    # A report beside it that is public, to show the public surfaces are up to date.
    beside = await suite.gateway.post("/v1/complaints", json=report("ไฟถนนดับหน้าที่ว่าการ"))
    other = beside.json()["complaint_id"]

    async def visible() -> bool:
        got = await suite.gateway.get(f"/open311/v2/requests/{other}.json")
        return got.status_code == 200

    await eventually(visible)
    clerk = await suite.reporting.get(f"/v1/complaints/{cid}", headers=suite.bearer(CLERK))
    assert clerk.json()["description"] == words, "the clerk's own view is whole"

    listing = await suite.gateway.get("/open311/v2/requests.json")
    assert other in listing.text
    assert cid not in listing.text
    assert (await suite.gateway.get(f"/open311/v2/requests/{cid}.json")).status_code == 404
    nearby = await suite.gateway.get("/v1/nearby", params={"lat": 12.5702, "lon": 99.9581})
    assert other in nearby.text
    assert cid not in nearby.text
    spots = await suite.gateway.get("/v1/hotspots", params={"status": "all"})
    assert "staff_conduct" not in spots.text
    track = (await suite.gateway.get(f"/v1/track/{code}")).json()
    assert track["status"]
    assert "description" not in track
    assert track["timeline"] == []
    public = await suite.reporting.get(f"/v1/complaints/{cid}")
    assert words not in public.text
    page = await suite.gateway.get(f"/t/{code}")
    assert page.status_code == 200
    assert words not in page.text
    for path in ("/map", "/stats"):
        assert words not in (await suite.gateway.get(path)).text
