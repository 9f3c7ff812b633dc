"""Complaint states made by the real lifecycle, for routing's unit tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from kandoo.events import commands as c
from kandoo.events.decide import Context
from kandoo.events.directory import load_directory
from kandoo.events.envelope import Envelope
from kandoo.events.lifecycle import handle
from kandoo.events.refusals import Refusal
from kandoo.events.state import ComplaintState
from kandoo.events.values import Actor, Classification, Location, ReporterContact, Role

DIRECTORY = load_directory(Path(__file__).resolve().parents[3] / "deploy/config/directory.yaml")
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
ENGINEERING_ADMIN = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")


def submit(complaint_id: str = "c-1", text: str = "หลุมใหญ่กลางถนนเพชรเกษม") -> c.SubmitComplaint:
    return c.SubmitComplaint(
        command_id=f"submit-{complaint_id}",
        complaint_id=complaint_id,
        actor=Actor(id="anonymous", role=Role.CITIZEN),
        tracking_code="HH-7K4P-2Q",
        description=text,
        language="th",
        location=Location(lat=12.5684, lon=99.9577),
        reporter=ReporterContact(name="สมชาย", phone="0812345678"),
    )


def step(
    command: c.Command, state: ComplaintState, category: str = "road"
) -> tuple[list[Envelope], ComplaintState]:
    """The events and the state after `command`, which the lifecycle must accept."""
    guess = Classification(category=category, confidence=0.95, model_version="m1")
    outcome = handle(command, state, Context(DIRECTORY, NOW, classification=guess))
    assert not isinstance(outcome, Refusal), outcome
    return outcome
