"""The records routing writes outside the event log match the models the AsyncAPI
document publishes (no field more, none missing)."""

from __future__ import annotations

from kandoo.events import commands as c
from kandoo.events.decide import Context
from kandoo.events.lifecycle import handle
from kandoo.events.records import (
    CommandAccepted,
    CommandRefused,
    CommandResult,
    DepartmentFeedRecord,
)
from kandoo.events.refusals import Refusal
from kandoo.events.state import ComplaintState
from kandoo.events.values import Actor, Role
from kandoo.routing.domain.feed import feed_view
from kandoo.routing.domain.partition import accepted_result, refused_result
from tests.unit.routing.lifecycle import DIRECTORY, NOW, step, submit


def test_the_feed_record_and_both_command_results_match_their_published_models() -> None:
    envs, state = step(submit("c-1", "ไฟถนนดับหน้าตลาดฉัตรไชย"), ComplaintState("c-1"), "streetlight")

    record = DepartmentFeedRecord.model_validate(feed_view(state, envs[-1]))
    assert record.department == "engineering"
    assert record.status == "routed"
    accepted = CommandResult.model_validate_json(
        accepted_result("cmd-1", envs, state).model_dump_json()
    ).root
    assert isinstance(accepted, CommandAccepted)
    assert [e.type for e in accepted.events][-1] == "complaint.routed"

    stranger = Actor(id="someone", role=Role.DEPT_ADMIN, department="public_health")
    ack = c.AcknowledgeComplaint(command_id="cmd-2", complaint_id="c-1", actor=stranger)
    refusal = handle(ack, state, Context(DIRECTORY, NOW))
    assert isinstance(refusal, Refusal)
    refused = CommandResult.model_validate_json(
        refused_result(ack.command_id, ack.complaint_id, refusal).model_dump_json()
    ).root
    assert isinstance(refused, CommandRefused)
    assert refused.http_status == 403
