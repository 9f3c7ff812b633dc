"""The roster in the log: who administers which department.

`deploy/config/directory.yaml` is only the initial roster. Appointing and removing an
admin are commands (`AppointDepartmentAdmin`, `RemoveDepartmentAdmin`) that routing
decides here and writes as events on `directory.events`, one stream with the subject
`ROSTER_SUBJECT` and gapless sequences. Routing (escalation: "no active admin, to the
clerk") and reporting (department health) fold them over the YAML's directory.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from kandoo.events import commands as c
from kandoo.events.directory import Directory, Person
from kandoo.events.envelope import Envelope, UnknownEvent, envelope
from kandoo.events.events import Event
from kandoo.events.refusals import Refusal, refuse
from kandoo.events.values import Role

ROSTER_SUBJECT = "directory"
"""The `complaint_id` of roster commands and the subject of roster events."""

MAY_APPOINT = frozenset({Role.CLERK, Role.SUPERVISOR, Role.SYSTEM})
"""Who may change the roster: the clerk, supervisors (the mayor's office among them)."""


class DepartmentAdminAppointed(Event):
    TYPE = "directory.admin_appointed"

    department: str = Field(description="Department code")
    person_id: str = Field(description="Staff id, as in the tokens")
    name: str = Field(description="Name shown to colleagues")
    language: str = Field(default="th", description="Language of messages to this person")


class DepartmentAdminRemoved(Event):
    TYPE = "directory.admin_removed"

    department: str = Field(description="Department code")
    person_id: str = Field(description="Staff id, as in the tokens")
    reason: str = Field(default="", description="Why")


RosterEvent = DepartmentAdminAppointed | DepartmentAdminRemoved
ROSTER_EVENT_TYPES: dict[str, type[RosterEvent]] = {
    cls.TYPE: cls for cls in (DepartmentAdminAppointed, DepartmentAdminRemoved)
}
RosterCommand = c.AppointDepartmentAdmin | c.RemoveDepartmentAdmin


def decide_roster(command: RosterCommand, directory: Directory) -> RosterEvent | Refusal:
    """The event a roster command causes on the live directory, or why not."""
    if command.actor.role not in MAY_APPOINT:
        return refuse("forbidden")
    found = directory.department(command.department)
    if found is None or found.external:
        return refuse("unknown_department", department=command.department)
    active = {p.id for p in found.active_admins()}
    if isinstance(command, c.AppointDepartmentAdmin):
        if command.person_id in active:
            return refuse("already_admin", person=command.name)
        return DepartmentAdminAppointed(
            department=command.department,
            person_id=command.person_id,
            name=command.name,
            language=command.language,
        )
    if command.person_id not in active:
        return refuse("not_admin", person=command.person_id)
    return DepartmentAdminRemoved(
        department=command.department, person_id=command.person_id, reason=command.reason
    )


def apply_roster(directory: Directory, event: RosterEvent) -> Directory:
    """The directory after one roster event (appointing twice, or removing twice, is the
    same as once)."""
    found = directory.department(event.department)
    if found is None:
        return directory
    others = tuple(p for p in found.admins if p.id != event.person_id)
    if isinstance(event, DepartmentAdminAppointed):
        keep = next((p for p in found.admins if p.id == event.person_id), None)
        person = Person(
            id=event.person_id,
            name=event.name,
            language=event.language,
            notify=keep.notify if keep else (),
        )
        admins = (*others, person)
    else:
        admins = others
    changed = found.model_copy(update={"admins": admins})
    fields = {name: getattr(directory, name) for name in Directory.model_fields}
    fields["departments"] = tuple(
        changed if d.code == found.code else d for d in directory.departments
    )
    # Built anew, not `model_copy`: a copy would keep the old lookups cached on the instance.
    return Directory.model_construct(**fields)


def roster_envelope(
    event: RosterEvent, command: RosterCommand, sequence: int, now: datetime
) -> Envelope:
    return envelope(
        event,
        subject=ROSTER_SUBJECT,
        sequence=sequence,
        time=now,
        actor=command.actor,
        causationid=command.command_id,
        correlationid=command.correlation_id,
    )


def roster_event(env: Envelope) -> RosterEvent | None:
    """The roster event in an envelope read from `directory.events` (None: not one)."""
    data = env.data
    if isinstance(data, DepartmentAdminAppointed | DepartmentAdminRemoved):
        return data
    if isinstance(data, UnknownEvent) and data.type in ROSTER_EVENT_TYPES:
        return ROSTER_EVENT_TYPES[data.type].model_validate(data.raw)
    return None


@dataclass
class LiveDirectory:
    """The directory with the roster's events applied, in their sequence; an event already
    applied (the writer's own, then read back) is skipped."""

    directory: Directory
    sequence: int = 0

    def apply(self, env: Envelope) -> bool:
        """Apply one event of `directory.events`; True if it changed anything."""
        event = roster_event(env)
        if event is None or env.sequence <= self.sequence:
            return False
        self.directory = apply_roster(self.directory, event)
        self.sequence = env.sequence
        return True
