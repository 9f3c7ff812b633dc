"""Intake in front of a real routing, on the real broker and MongoDB-protocol server."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import Image

from kandoo.events.auth import issue_token
from kandoo.events.records import CommandRefused
from kandoo.events.values import Actor, Role
from kandoo.intake.bootstrap import Intake, build
from kandoo.intake.entrypoints.app import create_app
from kandoo.intake.settings import IntakeSettings
from kandoo.routing.bootstrap import Routing
from kandoo.routing.bootstrap import build as build_routing
from tests.conftest import TEST_SECRET, Servers, service_settings
from tests.integration.routing.conftest import FakeClock, routing_settings

SECRET = TEST_SECRET
ENGINEERING = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")
PUBLIC_HEALTH = Actor(id="ph-admin-1", role=Role.DEPT_ADMIN, department="public_health")
CLERK = Actor(id="clerk-1", role=Role.CLERK, department="clerk")


def bearer(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, actor)}"}


def intake_settings(servers: Servers, unique: str, **more: Any) -> IntakeSettings:
    return IntakeSettings(**service_settings(servers, unique), mongodb_db=f"test_{unique}", **more)


def probe_result(command_id: str) -> bytes:
    """A command result nobody waits for: routing's answer format, with made-up values."""
    refused = CommandRefused(
        command_id=command_id,
        complaint_id="probe",
        outcome="refused",
        code="probe",
        http_status=409,
        message_th="ทดสอบ",
        message_en="probe",
    )
    return refused.model_dump_json().encode()


async def wait_until_listening(intake: Intake) -> None:
    """Results published from now on reach this instance (its consumer has partitions)."""
    probe = f"probe-{uuid.uuid4()}"
    for _ in range(200):
        await intake.bus.publish_raw(intake.topics.command_results, probe_result(probe))
        for _ in range(5):
            if intake.bus.known(probe):
                return
            await asyncio.sleep(0.1)
    raise TimeoutError("intake never received a command result")


@dataclass
class Stack:
    http: httpx.AsyncClient
    intake: Intake
    routing: Routing


@pytest.fixture
async def stack(servers: Servers, unique: str) -> AsyncIterator[Stack]:
    routing = build_routing(routing_settings(servers, unique), clock=FakeClock())
    await routing.start()
    intake = build(intake_settings(servers, unique))
    app = create_app(intake=intake)
    await intake.bus.start()
    await wait_until_listening(intake)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
            yield Stack(http, intake, routing)
    finally:
        await intake.bus.stop()
        await intake.mongo.close()
        await routing.stop()


def report(**more: Any) -> dict[str, Any]:
    return {
        "description": "ไฟส่องสว่างดับ เสาไฟหน้าบ้านดับ มืดมาก",
        "location": {"lat": 12.5684, "lon": 99.9577, "address_text": "ซอยหัวหิน 94"},
        "reporter": {"name": "สมศรี", "phone": "0812345678"},
        "channel": "mobile",
        "language": "th",
    } | more


def jpeg_with_gps() -> bytes:
    """A real JPEG carrying EXIF with a GPS position and a camera model."""
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x0110] = "KandooCam 3000"  # camera model
    exif[0x8825] = {1: "N", 2: (12.0, 34.0, 5.0), 3: "E", 4: (99.0, 57.0, 27.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()
