"""Complaint events as they are on the wire (CloudEvents JSON), for reporting's tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def event(
    subject: str, sequence: int, etype: str, at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"{subject}-{sequence}",
        "source": "kandoo/routing",
        "type": etype,
        "subject": subject,
        "time": at.isoformat(),
        "sequence": sequence,
        "causationid": "cmd",
        "correlationid": "cmd",
        "actor": {"id": "kandoo-test", "role": "system"},
        "dataversion": 2 if etype == "complaint.submitted" else 1,
        "data": data,
    }


def submitted(
    subject: str, at: datetime, lat: float = 12.57, category: str | None = None
) -> dict[str, Any]:
    data = {
        "tracking_code": f"HH-{subject[-4:].upper()}-00",
        "description": "ไฟดับ",
        "language": "th",
        "location": {"lat": lat, "lon": 99.95},
        "category_chosen": category,
        "channel": "web",
        "reporter": {},
    }
    return event(subject, 1, "complaint.submitted", at, data)


def routed(subject: str, at: datetime, department: str) -> dict[str, Any]:
    data = {
        "department": department,
        "reason": "category",
        "acknowledge_by": (at + timedelta(hours=24)).isoformat(),
        "resolve_by": (at + timedelta(hours=72)).isoformat(),
    }
    return event(subject, 2, "complaint.routed", at, data)
