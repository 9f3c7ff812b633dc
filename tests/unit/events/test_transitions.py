"""Every command against every status: the events it causes, or the refusal code.

One row per command: the statuses where it is allowed and what it emits there; in every
other status it is refused with the code given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from kandoo.events import commands as c
from kandoo.events import events as e
from kandoo.events.directory import Directory
from kandoo.events.refusals import Refusal
from kandoo.events.testing import given
from kandoo.events.values import Actor, Location
from tests.unit.events.conftest import CLERK, ENGINEERING_ADMIN, HISTORIES, SYSTEM, T0, TOKEN

NEAR_PIER = Location(lat=12.5710, lon=99.9610)
STATUSES = tuple(HISTORIES)
WORKABLE = ("routed", "triage", "acknowledged", "in_progress", "reopened")
UNACKNOWLEDGED = ("routed", "triage", "reopened")


def staff_for(status: str) -> Actor:
    """Staff who may act on the complaint in this history: its admin, or the clerk."""
    return CLERK if status in ("triage", "forwarded", "duplicate") else ENGINEERING_ADMIN


def base(status: str, reporter: bool = False) -> dict[str, object]:
    return {
        "command_id": f"cmd-{status}",
        "complaint_id": "c-1",
        "actor": SYSTEM if reporter else staff_for(status),
        "reporter_token": TOKEN if reporter else None,
    }


@dataclass(frozen=True)
class Row:
    name: str
    make: Callable[[str], c.Command]
    allowed: dict[str, tuple[type[e.Event], ...]]
    refused_with: str = "invalid_transition"


def ack_then(*rest: type[e.Event]) -> dict[str, tuple[type[e.Event], ...]]:
    """Acting on an unacknowledged complaint acknowledges it first."""
    return {
        s: ((e.ComplaintAcknowledged, *rest) if s in UNACKNOWLEDGED else rest) for s in WORKABLE
    }


def reporter(status: str) -> dict[str, object]:
    return base(status) | {"actor": Actor(id="citizen-9", role="citizen"), "reporter_token": TOKEN}


ROWS = [
    Row(
        "acknowledge",
        lambda s: c.AcknowledgeComplaint(**base(s)),
        dict.fromkeys(UNACKNOWLEDGED, (e.ComplaintAcknowledged,)),
    ),
    Row(
        "assign",
        lambda s: c.AssignComplaint(**base(s), assignee="ทีม 3"),
        ack_then(e.ComplaintAssigned),
    ),
    Row(
        "recategorize",
        lambda s: c.RecategorizeComplaint(**base(s), category="drainage"),
        {
            s: (e.ComplaintRecategorized, e.ComplaintRerouted)
            if s == "triage"
            else (e.ComplaintRecategorized,)
            for s in WORKABLE
        },
    ),
    Row(
        "reroute",
        lambda s: c.RerouteComplaint(**base(s), department="public_health", reason="ขยะ"),
        dict.fromkeys(WORKABLE, (e.ComplaintRerouted,)),
    ),
    Row(
        "forward",
        lambda s: c.ForwardComplaint(**base(s), agency="pwa"),
        dict.fromkeys(WORKABLE, (e.ComplaintForwarded,)),
    ),
    Row(
        "correct location",
        lambda s: c.CorrectLocation(**base(s), location=NEAR_PIER),
        dict.fromkeys(WORKABLE, (e.ComplaintLocationCorrected,)),
    ),
    Row(
        "add note",
        lambda s: c.AddNote(**base(s), text="กำลังดำเนินการ"),
        {s: (e.NoteAdded,) for s in STATUSES if s not in ("closed", "duplicate")},
    ),
    Row(
        "resolve",
        lambda s: c.ResolveComplaint(**base(s), note="ซ่อมแล้ว"),
        ack_then(e.ComplaintResolved),
    ),
    Row(
        "reject",
        lambda s: c.RejectComplaint(**base(s), reason="ไม่ใช่พื้นที่เทศบาล"),
        dict.fromkeys(WORKABLE, (e.ComplaintRejected,)),
    ),
    Row(
        "mark duplicate",
        lambda s: c.MarkDuplicate(**base(s), original_id="c-0"),
        dict.fromkeys(WORKABLE, (e.ComplaintMarkedDuplicate,)),
    ),
    Row(
        "reopen (reporter)",
        lambda s: c.ReopenComplaint(**reporter(s), reason="ยังไม่ได้ซ่อม"),
        dict.fromkeys(("resolved", "closed"), (e.ComplaintReopened,)),
    ),
    Row(
        "close (reporter)",
        lambda s: c.CloseComplaint(**reporter(s)),
        {"resolved": (e.ComplaintClosed,)},
    ),
    Row(
        "rate (reporter)",
        lambda s: c.RateComplaint(**reporter(s), rating=5),
        dict.fromkeys(("resolved", "closed"), (e.ComplaintRated,)),
    ),
    Row(
        "check deadlines, nothing due",
        lambda s: c.CheckDeadlines(**base(s) | {"actor": SYSTEM}),
        dict.fromkeys(STATUSES, ()),
    ),
    Row(
        "erase reporter data",
        lambda s: c.EraseReporterData(**base(s) | {"actor": CLERK}, reason="PDPA"),
        dict.fromkeys(STATUSES, (e.ReporterDataErased,)),
    ),
]

CASES = [
    pytest.param(row, status, id=f"{row.name} when {status}") for row in ROWS for status in STATUSES
]


@pytest.mark.parametrize(("row", "status"), CASES)
def test_every_command_in_every_status(row: Row, status: str, directory: Directory) -> None:
    scenario = given(directory, "c-1", *HISTORIES[status]).at(T0).when(row.make(status))
    if status in row.allowed:
        scenario.then_types(*row.allowed[status])
    else:
        scenario.then_refused(row.refused_with)


@pytest.mark.parametrize("status", STATUSES)
def test_submitting_an_existing_complaint_is_refused(status: str, directory: Directory) -> None:
    from tests.unit.events.conftest import CLOCK_TOWER

    command = c.SubmitComplaint(
        **base(status),
        tracking_code="HH-2222-22",
        description="ซ้ำ",
        language="th",
        location=CLOCK_TOWER,
    )
    given(directory, "c-1", *HISTORIES[status]).at(T0).when(command).then_refused("already_exists")


def test_every_refusal_code_has_thai_and_english_text() -> None:
    from kandoo.events.refusals import REFUSAL_CODES, refuse

    for code in REFUSAL_CODES:
        values = {"status": "x", "department": "x", "category": "x", "days": 14, "person": "x"}
        refusal: Refusal = refuse(code, **values)
        assert refusal.message_th, code
        assert refusal.message_en, code
        assert refusal.message_th != refusal.message_en, code
        assert refusal.http_status in (403, 404, 409, 422), code
