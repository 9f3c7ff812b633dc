"""Shared material for the lifecycle tests: the Hua Hin directory and complaint histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kandoo.events.directory import Directory, load_directory
from kandoo.events.events import (
    ComplaintAcknowledged,
    ComplaintAssigned,
    ComplaintClassified,
    ComplaintClosed,
    ComplaintForwarded,
    ComplaintMarkedDuplicate,
    ComplaintRejected,
    ComplaintReopened,
    ComplaintResolved,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
)
from kandoo.events.ids import token_hash
from kandoo.events.values import Actor, Classification, Location, ReporterContact, Role

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
TOKEN = "reporter-secret-token"
CLOCK_TOWER = Location(lat=12.5684, lon=99.9577, address_text="หอนาฬิกาหัวหิน")
ENGINEERING_ADMIN = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")
CLERK = Actor(id="clerk-1", role=Role.CLERK, department="clerk")
CITIZEN = Actor(id="anonymous", role=Role.CITIZEN)
SYSTEM = Actor(id="kandoo-routing", role=Role.SYSTEM)


@pytest.fixture(scope="session")
def directory() -> Directory:
    return load_directory(ROOT / "deploy" / "config" / "directory.yaml")


def submitted(category: str | None = "road") -> ComplaintSubmitted:
    return ComplaintSubmitted(
        tracking_code="HH-7K4P-2Q",
        description="ถนนเป็นหลุมใหญ่ หน้าตลาดฉัตรไชย รถมอไซค์ล้มแล้ว 2 คัน 😡",
        language="th",
        location=CLOCK_TOWER,
        category_chosen=category,
        channel="mobile",
        reporter=ReporterContact(name="สมศรี", phone="0812345678"),
        reporter_token_hash=token_hash(TOKEN),
    )


def classified(category: str = "road") -> ComplaintClassified:
    return ComplaintClassified(
        classification=Classification(category=category, confidence=0.95, model_version="t1"),
        category=category,
        reason="classifier",
    )


def routed(department: str = "engineering", triage: bool = False) -> ComplaintRouted:
    return ComplaintRouted(
        department=department,
        triage=triage,
        reason="triage" if triage else "category",
        acknowledge_by=T0 + timedelta(hours=24),
        resolve_by=T0 + timedelta(hours=168),
    )


HISTORIES: dict[str, tuple[Event, ...]] = {}
HISTORIES["routed"] = (submitted(), classified(), routed())
HISTORIES["triage"] = (submitted(None), classified("other"), routed("clerk", triage=True))
HISTORIES["acknowledged"] = (*HISTORIES["routed"], ComplaintAcknowledged(department="engineering"))
HISTORIES["in_progress"] = (*HISTORIES["acknowledged"], ComplaintAssigned(assignee="ทีมถนน 2"))
HISTORIES["resolved"] = (*HISTORIES["in_progress"], ComplaintResolved(note="ปะหลุมแล้ว"))
HISTORIES["closed"] = (*HISTORIES["resolved"], ComplaintClosed(reason="reporter"))
HISTORIES["rejected"] = (*HISTORIES["routed"], ComplaintRejected(reason="เป็นถนนส่วนบุคคล"))
HISTORIES["forwarded"] = (*HISTORIES["routed"], ComplaintForwarded(agency="pwa"))
HISTORIES["reopened"] = (
    *HISTORIES["resolved"],
    ComplaintReopened(
        reason="ยังเป็นหลุมอยู่",
        acknowledge_by=T0 + timedelta(hours=24),
        resolve_by=T0 + timedelta(hours=168),
    ),
)
HISTORIES["duplicate"] = (submitted(), classified(), ComplaintMarkedDuplicate(original_id="c-0"))
