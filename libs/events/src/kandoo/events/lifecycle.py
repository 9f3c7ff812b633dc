"""The lifecycle in one call: decide, wrap the events in envelopes, evolve the state.

Routing calls `handle` for every command; tests call it through `testing.given`.
"""

from __future__ import annotations

from kandoo.events.commands import Command
from kandoo.events.decide import Context, decide
from kandoo.events.envelope import Envelope, envelope
from kandoo.events.events import Event
from kandoo.events.refusals import Refusal
from kandoo.events.state import ComplaintState, fold


def stamp(
    events: list[Event],
    state: ComplaintState,
    command: Command,
    ctx: Context,
    source: str = "kandoo/routing",
) -> list[Envelope]:
    """Envelopes for new events: sequences continue `state.version` with no gap."""
    return [
        envelope(
            data,
            subject=command.complaint_id,
            sequence=state.version + offset,
            time=ctx.now,
            actor=command.actor,
            causationid=command.command_id,
            correlationid=command.correlation_id,
            source=source,
        )
        for offset, data in enumerate(events, start=1)
    ]


def handle(
    command: Command, state: ComplaintState, ctx: Context
) -> tuple[list[Envelope], ComplaintState] | Refusal:
    """Decide `command` on `state`: the new envelopes and the state after them, or a refusal."""
    decision = decide(command, state, ctx)
    if isinstance(decision, Refusal):
        return decision
    envelopes = stamp(decision, state, command, ctx)
    return envelopes, fold(state, envelopes)
