"""Reporting against the real broker and MongoDB-protocol server, after a scripted history
written by a real routing (with a clock the test moves)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from kandoo.events import commands as c
from kandoo.events.values import Actor, Role
from kandoo.reporting.adapters.store import MODELS, ReadModels
from kandoo.reporting.bootstrap import Reporting, build
from kandoo.reporting.domain.documents import members
from kandoo.reporting.settings import ReportingSettings
from kandoo.routing.bootstrap import Routing
from tests.conftest import TEST_SECRET, Servers, service_settings
from tests.integration.routing.conftest import (
    TOKEN,
    Client,
    FakeClock,
    running_routing,
    submit,
)

SECRET = TEST_SECRET
ENGINEERING = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")
PUBLIC_HEALTH = Actor(id="ph-admin-1", role=Role.DEPT_ADMIN, department="public_health")
REPORTER = Actor(id="anonymous", role=Role.CITIZEN)


def reporting_settings(servers: Servers, unique: str, **more: Any) -> ReportingSettings:
    return ReportingSettings(
        **service_settings(servers, unique),
        mongodb_db=f"rep_{unique}",
        instance_id=f"test-{unique}",
        **more,
    )


def cmd(kind: type[c.CommandBase], complaint_id: str, actor: Actor, **fields: Any) -> Any:
    return kind(command_id=str(uuid.uuid4()), complaint_id=complaint_id, actor=actor, **fields)


@dataclass
class History:
    """The complaints of the script, by role in it, and the events routing wrote."""

    ids: dict[str, str] = field(default_factory=dict)
    events: int = 0
    before_breach: datetime | None = None


async def play(processor: Routing, client: Client, clock: FakeClock) -> History:
    """Duplicates, a department without admin, reroute, reopen, rating, a breach, notes."""
    h = History()

    async def ok(command: c.CommandBase) -> dict[str, Any]:
        result = await client.call(command)
        assert result["outcome"] == "accepted", result
        return result

    light = submit("ไฟส่องสว่างดับทั้งซอย street light out", lat=12.56800, lon=99.95770)
    h.ids["light"] = light.complaint_id
    await ok(light)
    again = submit("ไฟดับหน้าบ้าน มืดมาก", lat=12.56815, lon=99.95780)
    h.ids["duplicate"] = again.complaint_id
    assert (await ok(again))["status"] == "duplicate"
    welfare = submit("ผู้สูงอายุอยู่คนเดียว ไม่มีคนดูแล", category="welfare", lat=12.5600, lon=99.9500)
    h.ids["welfare"] = welfare.complaint_id
    await ok(welfare)

    waste = submit("ขยะไม่ได้เก็บสามวันแล้ว ส่งกลิ่นเหม็น", category="road", lat=12.5750, lon=99.9550)
    h.ids["rerouted"] = cid = waste.complaint_id
    await ok(waste)
    await ok(cmd(c.RerouteComplaint, cid, ENGINEERING, department="public_health", reason="ขยะ"))
    await ok(cmd(c.RecategorizeComplaint, cid, PUBLIC_HEALTH, category="waste"))
    await ok(cmd(c.AcknowledgeComplaint, cid, PUBLIC_HEALTH))
    clock.advance(timedelta(hours=2))
    await ok(cmd(c.ResolveComplaint, cid, PUBLIC_HEALTH, note="เก็บขยะเรียบร้อยแล้ว"))
    await ok(cmd(c.ReopenComplaint, cid, REPORTER, reason="ยังมีขยะเหลือ", reporter_token=TOKEN))
    await ok(cmd(c.AcknowledgeComplaint, cid, PUBLIC_HEALTH))
    await ok(cmd(c.AddNote, cid, PUBLIC_HEALTH, text="ภายใน: รถเสีย", public=False))
    await ok(cmd(c.AddNote, cid, PUBLIC_HEALTH, text="จะเก็บพรุ่งนี้เช้า"))
    clock.advance(timedelta(hours=3))
    await ok(cmd(c.ResolveComplaint, cid, PUBLIC_HEALTH, note="เก็บครบแล้ว"))
    await ok(cmd(c.RateComplaint, cid, REPORTER, rating=4, reporter_token=TOKEN))

    pothole = submit("หลุมบนถนนใหญ่ รถมอไซค์ล้ม pothole", category="road", lat=12.5450, lon=99.9600)
    h.ids["breached"] = pothole.complaint_id
    await ok(pothole)
    h.before_breach = clock.now
    clock.advance(timedelta(hours=25))
    assert await processor.check_deadlines() >= 1
    h.events = await _count_events(client, h)
    return h


async def _count_events(client: Client, h: History) -> int:
    """Wait until the breach and its escalation are in the log; the number of events."""
    for _ in range(100):
        events = await client.events()
        if any(e.type == "complaint.escalated" and e.subject == h.ids["breached"] for e in events):
            return len(events)
        await asyncio.sleep(0.2)
    raise AssertionError("the breach never reached the log")


async def caught_up(r: Reporting, events: int, wait_s: float = 60) -> ReadModels:
    """Wait until every event of the log is in the complaint documents."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        m = await r.models()
        docs = await m["complaints"].find({}, {"version": 1}).to_list()
        if sum(d["version"] for d in docs) >= events:
            return m
        assert loop.time() < deadline, f"{sum(d['version'] for d in docs)} of {events} applied"
        await asyncio.sleep(0.2)


SETS = ("queues", "waiting", "nearby")
"""Models of bucketed sets: a bucket whose members all left is the same as none."""


def is_set(model: str, doc_id: str) -> bool:
    return model in SETS or (model == "o311" and doc_id.startswith("h|"))


async def snapshot(m: ReadModels) -> dict[str, dict[str, Any]]:
    """Every document of every model, without the bookkeeping of positions."""
    out: dict[str, dict[str, Any]] = {}
    for model in MODELS:
        docs = await m[model].find({}).to_list()
        docs = [d for d in docs if members(d) or not is_set(model, str(d["_id"]))]
        for d in docs:  # a shard whose members all left is the same as none
            if is_set(model, str(d["_id"])):
                d["items"] = {k: v for k, v in d["items"].items() if v}
        for d in docs:
            d.pop("applied", None)
            if "entries" in d:
                d["entries"] = sorted(d["entries"], key=lambda e: e["id"])
        out[model] = {str(d["_id"]): d for d in docs}
    return out


@dataclass
class Scripted:
    processor: Routing
    client: Client
    clock: FakeClock
    history: History
    reporting: Reporting
    models: ReadModels


@pytest.fixture(scope="module")
async def scripted(servers: Servers) -> AsyncIterator[Scripted]:
    """One history for the module's tests (they only read it), projected by reporting."""
    unique = uuid.uuid4().hex[:10]
    clock = FakeClock()
    async with running_routing(servers, unique, clock) as (processor, client):
        reporting = build(reporting_settings(servers, unique))
        reporting.clock = clock
        try:
            history = await play(processor, client, clock)
            await reporting.start()
            models = await caught_up(reporting, history.events)
            yield Scripted(processor, client, clock, history, reporting, models)
        finally:
            await reporting.stop()
