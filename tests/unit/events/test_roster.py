"""The roster in the log: appointing and removing admins, decided and folded purely."""

from __future__ import annotations

from datetime import UTC, datetime

from kandoo.events import commands as c
from kandoo.events.directory import Directory
from kandoo.events.envelope import from_record, to_record
from kandoo.events.refusals import Refusal
from kandoo.events.roster import (
    ROSTER_SUBJECT,
    DepartmentAdminAppointed,
    LiveDirectory,
    decide_roster,
    roster_envelope,
)
from kandoo.events.values import Actor, Role

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
CLERK = Actor(id="clerk-1", role=Role.CLERK, department="clerk")


def appoint(person: str = "sw-new", actor: Actor = CLERK) -> c.AppointDepartmentAdmin:
    return c.AppointDepartmentAdmin(
        command_id=f"appoint-{person}",
        complaint_id=ROSTER_SUBJECT,
        actor=actor,
        department="social_welfare",
        person_id=person,
        name="สมศรี ใจงาม",
    )


def remove(person: str) -> c.RemoveDepartmentAdmin:
    return c.RemoveDepartmentAdmin(
        command_id=f"remove-{person}",
        complaint_id=ROSTER_SUBJECT,
        actor=CLERK,
        department="social_welfare",
        person_id=person,
    )


def through_the_log(
    live: LiveDirectory, command: c.AppointDepartmentAdmin | c.RemoveDepartmentAdmin
) -> bool:
    """Decide on the live directory, write the event as a record, read it back, apply it."""
    event = decide_roster(command, live.directory)
    assert not isinstance(event, Refusal), event
    env = roster_envelope(event, command, live.sequence + 1, NOW)
    return live.apply(from_record(to_record(env).value))


def test_an_appointment_gives_a_department_without_admin_its_admin(directory: Directory) -> None:
    assert not directory.has_active_admin("social_welfare")
    live = LiveDirectory(directory)
    assert through_the_log(live, appoint())
    assert live.directory.has_active_admin("social_welfare")
    assert live.sequence == 1
    admins = live.directory.department("social_welfare").active_admins()  # type: ignore[union-attr]
    assert [(a.id, a.name) for a in admins] == [("sw-new", "สมศรี ใจงาม")]
    assert directory.has_active_admin("social_welfare") is False  # the YAML's stays as it was


def test_removing_the_last_admin_leaves_the_department_unstaffed(directory: Directory) -> None:
    live = LiveDirectory(directory)
    through_the_log(live, appoint())
    through_the_log(live, remove("sw-new"))
    assert not live.directory.has_active_admin("social_welfare")
    assert live.sequence == 2


def test_an_admin_on_leave_comes_back_with_their_contact(directory: Directory) -> None:
    live = LiveDirectory(directory)
    through_the_log(live, appoint("sw-admin-1"))
    person = live.directory.department("social_welfare").active_admins()[0]  # type: ignore[union-attr]
    assert person.id == "sw-admin-1"
    assert person.notify


def test_refusals_say_why(directory: Directory) -> None:
    live = LiveDirectory(directory)
    through_the_log(live, appoint())
    twice = decide_roster(appoint(), live.directory)
    assert isinstance(twice, Refusal)
    assert twice.code == "already_admin"
    gone = decide_roster(remove("nobody"), live.directory)
    assert isinstance(gone, Refusal)
    assert gone.code == "not_admin"
    admin = Actor(id="eng-1", role=Role.DEPT_ADMIN, department="engineering")
    denied = decide_roster(appoint("x", actor=admin), live.directory)
    assert isinstance(denied, Refusal)
    assert denied.http_status == 403
    unknown = appoint().model_copy(update={"department": "nowhere"})
    found = decide_roster(unknown, live.directory)
    assert isinstance(found, Refusal)
    assert found.code == "unknown_department"


def test_an_event_read_back_after_its_writer_applied_it_is_skipped(directory: Directory) -> None:
    writer = LiveDirectory(directory)
    event = decide_roster(appoint(), writer.directory)
    assert isinstance(event, DepartmentAdminAppointed)
    env = roster_envelope(event, appoint(), 1, NOW)
    assert writer.apply(env)
    assert not writer.apply(from_record(to_record(env).value))  # the follower's copy
    follower = LiveDirectory(directory)
    assert follower.apply(from_record(to_record(env).value))
    assert follower.directory == writer.directory
