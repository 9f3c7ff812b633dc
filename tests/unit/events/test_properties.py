"""Properties of the lifecycle over random command sequences (hypothesis).

Whatever the commands, the emitted sequences continue the complaint's version with no gap,
and replaying the log (through Kafka records) reproduces exactly the state decide saw.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kandoo.events import commands as c
from kandoo.events.decide import Context
from kandoo.events.directory import Directory
from kandoo.events.envelope import Envelope, from_record, to_record
from kandoo.events.ids import token_hash
from kandoo.events.lifecycle import handle
from kandoo.events.refusals import Refusal
from kandoo.events.state import ComplaintState, fold
from kandoo.events.values import Actor, Classification, Location, Role
from tests.unit.events.conftest import CITIZEN, CLERK, SYSTEM, T0, TOKEN
from tests.unit.events.conftest import directory as directory_fixture  # noqa: F401

CATEGORIES = ("road", "streetlight", "waste", "noise", "welfare", "water_supply", "other")
DEPARTMENTS = ("engineering", "public_health", "municipal_police", "social_welfare", "pwa")
Builder = Callable[[dict[str, Any], str, str], c.Command]


def admin_of(state: ComplaintState) -> Actor:
    return Actor(id="admin", role=Role.DEPT_ADMIN, department=state.department)


ACTIONS: list[Builder] = [
    lambda k, cat, dep: c.AcknowledgeComplaint(**k),
    lambda k, cat, dep: c.AssignComplaint(**k, assignee="ทีม ก"),
    lambda k, cat, dep: c.RecategorizeComplaint(**k, category=cat),
    lambda k, cat, dep: c.RerouteComplaint(**k, department=dep, reason="ย้าย"),
    lambda k, cat, dep: c.ForwardComplaint(**k, agency="pea"),
    lambda k, cat, dep: c.AddNote(**k, text="บันทึก 📝"),
    lambda k, cat, dep: c.ResolveComplaint(**k, note="เสร็จแล้ว"),
    lambda k, cat, dep: c.RejectComplaint(**k, reason="ซ้ำซ้อน"),
    lambda k, cat, dep: c.ReopenComplaint(**k, reason="ยังไม่เสร็จ"),
    lambda k, cat, dep: c.CloseComplaint(**k),
    lambda k, cat, dep: c.RateComplaint(**k, rating=4),
    lambda k, cat, dep: c.CheckDeadlines(**k),
    lambda k, cat, dep: c.EraseReporterData(**k, reason="PDPA"),
    lambda k, cat, dep: c.CorrectLocation(**k, location=Location(lat=12.56, lon=99.95)),
    lambda k, cat, dep: c.MarkDuplicate(**k, original_id="c-0"),
]
WHO = ("admin", "clerk", "reporter", "citizen", "system")

steps = st.lists(
    st.tuples(
        st.sampled_from(range(len(ACTIONS))),
        st.sampled_from(WHO),
        st.integers(min_value=0, max_value=24 * 20),  # hours until this command
        st.sampled_from(CATEGORIES),
        st.sampled_from(DEPARTMENTS),
    ),
    max_size=25,
)
first = st.tuples(
    st.sampled_from(CATEGORIES),
    st.floats(min_value=0, max_value=1),
    st.sampled_from((None, *CATEGORIES[:3])),
    st.booleans(),
)


def build(index: int, who: str, state: ComplaintState, n: int, cat: str, dep: str) -> c.Command:
    """The command of a script step, sent by `who` as things stand in `state`."""
    actor = {
        "admin": admin_of(state),
        "clerk": CLERK,
        "reporter": CITIZEN,
        "citizen": CITIZEN,
        "system": SYSTEM,
    }[who]
    fields: dict[str, Any] = {
        "command_id": f"cmd-{n}",
        "complaint_id": "c-1",
        "actor": actor,
        "reporter_token": TOKEN if who == "reporter" else None,
    }
    return ACTIONS[index](fields, cat, dep)


def replay(log: list[Envelope]) -> ComplaintState:
    """What any consumer rebuilds from the topic: records parsed back, folded in order."""
    return fold(ComplaintState("c-1"), [from_record(to_record(env).value) for env in log])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(opening=first, script=steps)
def test_sequences_have_no_gaps_and_replay_reproduces_the_state(
    directory_fixture: Directory,  # noqa: F811
    opening: tuple[str, float, str | None, bool],
    script: list[tuple[int, str, int, str, str]],
) -> None:
    category, confidence, chosen, duplicate = opening
    now = T0
    state = ComplaintState("c-1")
    log: list[Envelope] = []
    submit = c.SubmitComplaint(
        command_id="cmd-0",
        complaint_id="c-1",
        actor=CITIZEN,
        tracking_code="HH-2345-67",
        description="มีปัญหา",
        language="th",
        location=Location(lat=12.5684, lon=99.9577),
        category=chosen,
        reporter_token_hash=token_hash(TOKEN),
    )
    ctx = Context(
        directory=directory_fixture,
        now=now,
        classification=Classification(category=category, confidence=confidence, model_version="p"),
        duplicate_of="c-0" if duplicate else None,
    )
    accepted = 0
    for n, step in enumerate([None, *script]):
        command: c.Command
        if step is None:
            command, context = submit, ctx
        else:
            index, who, hours, cat, dep = step
            now += timedelta(hours=hours)
            command = build(index, who, state, n, cat, dep)
            context = Context(directory_fixture, now)
        assert replay(log) == state  # the state decide sees is the log's fold
        outcome = handle(command, state, context)
        if isinstance(outcome, Refusal):
            continue
        accepted += 1
        envelopes, after = outcome
        assert [env.sequence for env in envelopes] == list(
            range(state.version + 1, state.version + 1 + len(envelopes))
        )
        log += envelopes
        state = after
    assert accepted >= 1
    assert [env.sequence for env in log] == list(range(1, len(log) + 1))
    assert replay(log) == state
    assert state.exists
