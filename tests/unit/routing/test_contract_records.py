"""The records routing writes outside the event log match the models the AsyncAPI
document publishes (no field more, none missing)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from kandoo.events import commands as c
from kandoo.events.decide import Context
from kandoo.events.directory import load_directory
from kandoo.events.lifecycle import handle
from kandoo.events.records import CommandAccepted, CommandRefused, DepartmentFeedRecord
from kandoo.events.refusals import Refusal
from kandoo.events.state import ComplaintState
from kandoo.events.values import Actor, Classification, Location, ReporterContact, Role
from kandoo.routing.adapters.processor import accepted_result, refused_result
from kandoo.routing.domain.feed import feed_view

DIRECTORY = load_directory(Path(__file__).resolve().parents[3] / "deploy/config/directory.yaml")
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


def test_the_feed_record_and_both_command_results_match_their_published_models() -> None:
    submit = c.SubmitComplaint(
        command_id="cmd-1",
        complaint_id="c-1",
        actor=Actor(id="anonymous", role=Role.CITIZEN),
        tracking_code="HH-7K4P-2Q",
        description="ไฟถนนดับหน้าตลาดฉัตรไชย",
        language="th",
        location=Location(lat=12.5684, lon=99.9577),
        reporter=ReporterContact(name="สมชาย", phone="0812345678"),
    )
    guess = Classification(category="streetlight", confidence=0.95, model_version="m1")
    outcome = handle(submit, ComplaintState("c-1"), Context(DIRECTORY, NOW, classification=guess))
    assert not isinstance(outcome, Refusal)
    envs, state = outcome

    record = DepartmentFeedRecord.model_validate(feed_view(state, envs[-1]))
    assert record.department == "engineering"
    assert record.status == "routed"
    accepted = CommandAccepted.model_validate(accepted_result("cmd-1", envs, state))
    assert [e.type for e in accepted.events][-1] == "complaint.routed"

    stranger = Actor(id="someone", role=Role.DEPT_ADMIN, department="public_health")
    ack = c.AcknowledgeComplaint(command_id="cmd-2", complaint_id="c-1", actor=stranger)
    refusal = handle(ack, state, Context(DIRECTORY, NOW))
    assert isinstance(refusal, Refusal)
    refused = CommandRefused.model_validate(refused_result(ack, refusal))
    assert refused.http_status == 403
