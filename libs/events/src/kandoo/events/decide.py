"""`decide(command, state, context)`: the events a command causes, or why it is refused.

Pure: the directory, the classification of a new report, a nearby open complaint and the
current time all come in `Context`. The rules:

- Statuses move as in DESIGN.md: submitted -> triage | routed -> acknowledged ->
  in_progress -> resolved -> closed; rejected; forwarded; reopened -> in_progress;
  duplicate (terminal, the reporter follows the original).
- Staff of the owning department, the clerk, or a supervisor acknowledge, assign,
  recategorize, reroute, forward, resolve (with a note) and reject (with a reason).
- The reporter, proven by the tracking token, adds notes, rates once after resolution
  (1-5), closes a resolved complaint, and reopens within 14 days of its resolution.
- Routing sets acknowledge-by and resolve-by from the category's SLA; a department with
  no active admin escalates to the clerk at once; outside agencies get it forwarded.
- `CheckDeadlines` breaches each stage once and escalates: supervisor, clerk, mayor's
  office; a resolved complaint silent for 7 days closes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kandoo.events import commands as c
from kandoo.events.directory import MAYOR_OFFICE, Directory
from kandoo.events.events import (
    ComplaintAcknowledged,
    ComplaintAssigned,
    ComplaintClassified,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintForwarded,
    ComplaintLocationCorrected,
    ComplaintMarkedDuplicate,
    ComplaintRated,
    ComplaintRecategorized,
    ComplaintRejected,
    ComplaintReopened,
    ComplaintRerouted,
    ComplaintResolved,
    ComplaintRouted,
    ComplaintSubmitted,
    ComplaintSupported,
    Event,
    NoteAdded,
    ReporterDataErased,
    SlaBreached,
)
from kandoo.events.ids import token_hash
from kandoo.events.refusals import Refusal, refuse
from kandoo.events.state import ComplaintState
from kandoo.events.values import OPEN_STATUSES, Actor, Classification, Role, Status

REOPEN_WINDOW = timedelta(days=14)
AUTO_CLOSE_AFTER = timedelta(days=7)
AWAITING_ACK = frozenset({Status.ROUTED, Status.TRIAGE, Status.REOPENED})
WORKABLE = OPEN_STATUSES - {Status.SUBMITTED}

Decision = list[Event] | Refusal


@dataclass(frozen=True, slots=True)
class Context:
    """Everything `decide` may know besides the command and the complaint's state."""

    directory: Directory
    now: datetime
    classification: Classification | None = None
    duplicate_of: str | None = None
    duplicate_distance_m: float | None = None
    triage_below: float = 0.6
    """A classifier's guess under this confidence sends a report to triage."""
    override_reporter_from: float = 0.9
    """The classifier overrides the reporter's category only from this confidence."""


def decide(command: c.Command, state: ComplaintState, ctx: Context) -> Decision:
    """The events `command` causes on `state`, or the refusal, by the rules above."""
    if isinstance(command, c.SubmitComplaint):
        return _submit(command, state, ctx)
    if not state.exists:
        return refuse("not_found")
    handler = _HANDLERS[type(command)]
    return handler(command, state, ctx)


# --- who may act -----------------------------------------------------------------------


def is_staff_of(actor: Actor, department: str | None) -> bool:
    """Admins of the department, any clerk, a supervisor of it (or of all), the system."""
    match actor.role:
        case Role.CLERK | Role.SYSTEM:
            return True
        case Role.DEPT_ADMIN:
            return actor.department is not None and actor.department == department
        case Role.SUPERVISOR:
            return actor.department in (None, department)
    return False


def is_reporter(command: c.CommandBase, state: ComplaintState) -> bool:
    return (
        command.reporter_token is not None
        and state.reporter_token_hash is not None
        and token_hash(command.reporter_token) == state.reporter_token_hash
    )


def _staff_refusal(command: c.CommandBase, state: ComplaintState) -> Refusal | None:
    if is_staff_of(command.actor, state.department):
        return None
    if command.actor.role is Role.DEPT_ADMIN and state.department is not None:
        return refuse("wrong_department", department=state.department)
    return refuse("forbidden")


def _staff_may(
    command: c.CommandBase, state: ComplaintState, allowed: frozenset[Status]
) -> Refusal | None:
    """Why staff may not act here: not theirs, or not in a status that allows it."""
    return _staff_refusal(command, state) or _status_refusal(state, allowed)


def _status_refusal(state: ComplaintState, allowed: frozenset[Status]) -> Refusal | None:
    if state.status in allowed:
        return None
    return refuse("invalid_transition", status=state.status)


# --- new reports -----------------------------------------------------------------------


def _submit(cmd: c.SubmitComplaint, state: ComplaintState, ctx: Context) -> Decision:
    directory = ctx.directory
    if state.exists:
        return refuse("already_exists")
    if not directory.inside(cmd.location.lat, cmd.location.lon):
        return refuse("outside_jurisdiction")
    if cmd.category is not None and directory.category(cmd.category) is None:
        return refuse("unknown_category", category=cmd.category)
    guess = ctx.classification or Classification(
        category=cmd.category or "other", confidence=0.0, model_version="none", method="none"
    )
    category, reason = retained_category(cmd.category, guess, ctx)
    events: list[Event] = [
        ComplaintSubmitted(
            tracking_code=cmd.tracking_code,
            description=cmd.description,
            language=cmd.language,
            location=cmd.location,
            category_chosen=cmd.category,
            channel=cmd.channel,
            channel_reference=cmd.channel_reference,
            photos=cmd.photos,
            reporter=cmd.reporter,
            reporter_token_hash=cmd.reporter_token_hash,
        ),
        ComplaintClassified(classification=guess, category=category, reason=reason),
    ]
    if ctx.duplicate_of is not None:
        events.append(
            ComplaintMarkedDuplicate(
                original_id=ctx.duplicate_of, distance_m=ctx.duplicate_distance_m
            )
        )
        return events
    unsure = reason == "classifier" and guess.confidence < ctx.triage_below
    if unsure or category == "other":
        triage = directory.triage
        events.append(
            ComplaintRouted(
                department=triage.department,
                triage=True,
                reason="triage",
                acknowledge_by=ctx.now + timedelta(hours=triage.acknowledge_hours),
                resolve_by=ctx.now + timedelta(hours=triage.resolve_hours),
            )
        )
        return events + _no_admin_escalation(triage.department, ctx)
    department, why = directory.department_for(category, cmd.location.lat, cmd.location.lon)
    return events + _send_to(department, category, why, ctx, previous=None)


def retained_category(chosen: str | None, guess: Classification, ctx: Context) -> tuple[str, str]:
    """The category a new report keeps, and why: a rule, the reporter's choice (unless the
    classifier is confident otherwise), or the classifier's guess."""
    if guess.method == "rule":
        return guess.category, "rule"
    if chosen is not None and not (
        guess.category != chosen and guess.confidence >= ctx.override_reporter_from
    ):
        return chosen, "reporter_choice"
    return guess.category, "classifier"


def _deadlines(category: str | None, ctx: Context) -> tuple[datetime, datetime]:
    found = ctx.directory.category(category or "other")
    ack, res = (
        (found.acknowledge_hours, found.resolve_hours)
        if found
        else (ctx.directory.triage.acknowledge_hours, ctx.directory.triage.resolve_hours)
    )
    return ctx.now + timedelta(hours=ack), ctx.now + timedelta(hours=res)


def _send_to(
    department: str, category: str | None, why: str, ctx: Context, previous: str | None
) -> list[Event]:
    """Route (or reroute) to a department, forward to an outside agency, escalate if unstaffed."""
    found = ctx.directory.department(department)
    if found is not None and found.external:
        return [ComplaintForwarded(agency=department, note=f"automatic: {why}")]
    acknowledge_by, resolve_by = _deadlines(category, ctx)
    routed: Event
    if previous is None:
        routed = ComplaintRouted(
            department=department,
            reason=why,
            acknowledge_by=acknowledge_by,
            resolve_by=resolve_by,
        )
    else:
        routed = ComplaintRerouted(
            previous_department=previous,
            department=department,
            reason=why,
            acknowledge_by=acknowledge_by,
            resolve_by=resolve_by,
        )
    return [routed, *_no_admin_escalation(department, ctx)]


def _no_admin_escalation(department: str, ctx: Context) -> list[Event]:
    if ctx.directory.has_active_admin(department):
        return []
    return [
        ComplaintEscalated(
            level=2,
            to=ctx.directory.escalation_clerk,
            reason="no_active_admin",
            department=department,
        )
    ]


# --- staff actions ---------------------------------------------------------------------


def _acknowledge(cmd: c.AcknowledgeComplaint, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _staff_may(cmd, state, AWAITING_ACK):
        return refusal
    return [ComplaintAcknowledged(department=state.department or "")]


def _acknowledged_first(state: ComplaintState) -> list[Event]:
    """Acting on an unacknowledged complaint acknowledges it, so time-to-ack is recorded."""
    if state.status in AWAITING_ACK:
        return [ComplaintAcknowledged(department=state.department or "")]
    return []


def _assign(cmd: c.AssignComplaint, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _staff_may(cmd, state, WORKABLE):
        return refusal
    return [*_acknowledged_first(state), ComplaintAssigned(assignee=cmd.assignee)]


def _recategorize(cmd: c.RecategorizeComplaint, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _staff_may(cmd, state, WORKABLE):
        return refusal
    if ctx.directory.category(cmd.category) is None:
        return refuse("unknown_category", category=cmd.category)
    if cmd.category == state.category and state.status is not Status.TRIAGE:
        return refuse("same_category", category=cmd.category)
    events: list[Event] = [
        ComplaintRecategorized(previous_category=state.category or "other", category=cmd.category)
    ]
    assert state.location is not None
    department, why = ctx.directory.department_for(
        cmd.category, state.location.lat, state.location.lon
    )
    if department != state.department or state.status is Status.TRIAGE:
        events += _send_to(department, cmd.category, f"recategorized: {why}", ctx, state.department)
    return events


def _reroute(cmd: c.RerouteComplaint, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _staff_may(cmd, state, WORKABLE):
        return refusal
    if ctx.directory.department(cmd.department) is None:
        return refuse("unknown_department", department=cmd.department)
    if cmd.department == state.department and state.status is not Status.TRIAGE:
        return refuse("same_department", department=cmd.department)
    return _send_to(cmd.department, state.category, cmd.reason, ctx, state.department)


def _forward(cmd: c.ForwardComplaint, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _staff_may(cmd, state, WORKABLE):
        return refusal
    agency = ctx.directory.department(cmd.agency)
    if agency is None or not agency.external:
        return refuse("not_an_agency", department=cmd.agency)
    return [ComplaintForwarded(agency=cmd.agency, note=cmd.note)]


def _resolve(cmd: c.ResolveComplaint, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _staff_may(cmd, state, WORKABLE):
        return refusal
    if not cmd.note.strip():
        return refuse("note_required")
    return [*_acknowledged_first(state), ComplaintResolved(note=cmd.note, photos=cmd.photos)]


def _reject(cmd: c.RejectComplaint, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _staff_may(cmd, state, WORKABLE):
        return refusal
    if not cmd.reason.strip():
        return refuse("reason_required")
    return [ComplaintRejected(reason=cmd.reason)]


def _mark_duplicate(cmd: c.MarkDuplicate, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _staff_may(cmd, state, WORKABLE):
        return refusal
    if cmd.original_id == state.complaint_id:
        return refuse("duplicate_of_self")
    return [ComplaintMarkedDuplicate(original_id=cmd.original_id)]


# --- staff or reporter -----------------------------------------------------------------


def _reporter_or_staff(cmd: c.CommandBase, state: ComplaintState) -> Refusal | None:
    """Why neither the reporter (by token) nor staff of the owning department is asking."""
    if is_reporter(cmd, state) or is_staff_of(cmd.actor, state.department):
        return None
    return _staff_refusal(cmd, state) or refuse("forbidden")


def _correct_location(cmd: c.CorrectLocation, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _reporter_or_staff(cmd, state):
        return refusal
    refusal = _status_refusal(state, OPEN_STATUSES)
    if refusal:
        return refusal
    if not ctx.directory.inside(cmd.location.lat, cmd.location.lon):
        return refuse("outside_jurisdiction")
    assert state.location is not None
    return [ComplaintLocationCorrected(previous=state.location, location=cmd.location)]


def _add_note(cmd: c.AddNote, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _reporter_or_staff(cmd, state):
        return refusal
    reporter = is_reporter(cmd, state)
    if state.status in (Status.CLOSED, Status.DUPLICATE):
        return refuse("invalid_transition", status=state.status)
    return [NoteAdded(text=cmd.text, public=True if reporter else cmd.public)]


def _reopen(cmd: c.ReopenComplaint, state: ComplaintState, ctx: Context) -> Decision:
    staff = cmd.actor.role in (Role.CLERK, Role.SUPERVISOR, Role.SYSTEM)
    if not (staff or is_reporter(cmd, state)):
        return refuse("not_reporter")
    refusal = _status_refusal(state, frozenset({Status.RESOLVED, Status.CLOSED}))
    if refusal:
        return refusal
    if state.resolved_at is None or ctx.now - state.resolved_at > REOPEN_WINDOW:
        return refuse("reopen_window_passed", days=REOPEN_WINDOW.days)
    acknowledge_by, resolve_by = _deadlines(state.category, ctx)
    return [
        ComplaintReopened(reason=cmd.reason, acknowledge_by=acknowledge_by, resolve_by=resolve_by)
    ]


def _close(cmd: c.CloseComplaint, state: ComplaintState, ctx: Context) -> Decision:
    if refusal := _reporter_or_staff(cmd, state):
        return refusal
    reporter = is_reporter(cmd, state)
    refusal = _status_refusal(state, frozenset({Status.RESOLVED}))
    if refusal:
        return refusal
    return [ComplaintClosed(reason="reporter" if reporter else "staff")]


def _rate(cmd: c.RateComplaint, state: ComplaintState, ctx: Context) -> Decision:
    if not is_reporter(cmd, state):
        return refuse("not_reporter")
    refusal = _status_refusal(state, frozenset({Status.RESOLVED, Status.CLOSED}))
    if refusal:
        return refusal
    if state.rated:
        return refuse("already_rated")
    return [ComplaintRated(rating=cmd.rating, comment=cmd.comment)]


def _erase(cmd: c.EraseReporterData, state: ComplaintState, ctx: Context) -> Decision:
    if not (cmd.actor.role in (Role.CLERK, Role.SYSTEM) or is_reporter(cmd, state)):
        return refuse("forbidden")
    if state.erased:
        return refuse("already_erased")
    return [ReporterDataErased(reason=cmd.reason)]


def _support(cmd: c.SupportComplaint, state: ComplaintState, ctx: Context) -> Decision:
    """Any citizen, once, on an open report that is not their own."""
    if state.status not in OPEN_STATUSES:
        return refuse("not_open", status=state.status)
    if is_reporter(cmd, state):
        return refuse("own_report")
    if cmd.supporter_key in state.supporters:
        return refuse("already_supported")
    return [ComplaintSupported(supporter_key=cmd.supporter_key, supporter=cmd.supporter)]


# --- deadlines -------------------------------------------------------------------------


def _check_deadlines(cmd: c.CheckDeadlines, state: ComplaintState, ctx: Context) -> Decision:
    if cmd.actor.role is not Role.SYSTEM:
        return refuse("forbidden")
    if state.status is Status.RESOLVED:
        return _auto_close(state, ctx)
    if state.status not in WORKABLE:
        return []
    for stage, due, pending in (
        ("acknowledge", state.acknowledge_by, AWAITING_ACK),
        ("resolve", state.resolve_by, WORKABLE),
    ):
        if state.status in pending and due and ctx.now > due and stage not in state.breached:
            department = state.department or ""
            breach = SlaBreached(stage=stage, department=department, due=due)
            return [breach, *_escalate(state, ctx, f"sla_{stage}")]
    if state.next_escalation_at is not None and ctx.now >= state.next_escalation_at:
        return _escalate(state, ctx, "still_silent")
    return []


def _escalate(state: ComplaintState, ctx: Context, reason: str) -> list[Event]:
    """One level up the chain: the department's supervisor, the clerk, the mayor's office."""
    department = state.department or ""
    level = state.escalation_level + 1
    found = ctx.directory.department(department)
    if level == 1 and (found is None or found.supervisor is None):
        level = 2
    if level > 3:
        return []
    to = {1: f"supervisor:{department}", 2: ctx.directory.escalation_clerk, 3: MAYOR_OFFICE}[level]
    category = ctx.directory.category(state.category or "other")
    wait = timedelta(hours=category.acknowledge_hours if category else 24)
    return [
        ComplaintEscalated(
            level=level,
            to=to,
            reason=reason,
            department=department,
            next_escalation_at=ctx.now + wait if level < 3 else None,
        )
    ]


def _auto_close(state: ComplaintState, ctx: Context) -> Decision:
    if state.last_event_at is not None and ctx.now - state.last_event_at >= AUTO_CLOSE_AFTER:
        return [ComplaintClosed(reason="auto")]
    return []


Handler = Callable[[Any, ComplaintState, Context], Decision]
_HANDLERS: dict[type[c.CommandBase], Handler] = {
    c.AcknowledgeComplaint: _acknowledge,
    c.AssignComplaint: _assign,
    c.RecategorizeComplaint: _recategorize,
    c.RerouteComplaint: _reroute,
    c.ForwardComplaint: _forward,
    c.CorrectLocation: _correct_location,
    c.AddNote: _add_note,
    c.ResolveComplaint: _resolve,
    c.RejectComplaint: _reject,
    c.ReopenComplaint: _reopen,
    c.CloseComplaint: _close,
    c.RateComplaint: _rate,
    c.MarkDuplicate: _mark_duplicate,
    c.SupportComplaint: _support,
    c.CheckDeadlines: _check_deadlines,
    c.EraseReporterData: _erase,
}
