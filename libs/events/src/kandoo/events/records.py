"""Records routing writes beside the event log, as models: the command results intake
waits for and the department feeds. Routing builds them as plain dicts on its hot path;
a test holds those dicts to these models, and the AsyncAPI document publishes them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from kandoo.events.values import Location


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventRef(_Record):
    type: str
    sequence: int
    id: str


class CommandAccepted(_Record):
    """Routing's answer on `complaints.command-results` when the lifecycle accepted."""

    command_id: str
    complaint_id: str
    outcome: Literal["accepted"]
    events: list[EventRef] = Field(description="The events the command caused, in order")
    status: str | None
    department: str | None
    tracking_code: str | None
    duplicate_of: str | None


class CommandRefused(_Record):
    """Routing's answer when the lifecycle refused: the reason in Thai and English."""

    command_id: str
    complaint_id: str
    outcome: Literal["refused"]
    code: str = Field(description="e.g. 'not_allowed', 'already_resolved'")
    http_status: int = Field(description="What intake answers the caller: 403, 409...")
    message_th: str
    message_en: str


class CommandResult(RootModel[CommandAccepted | CommandRefused]):
    """One record per command, keyed by command id: accepted or refused."""


class DepartmentFeedRecord(_Record):
    """A department's view of a complaint after each change that concerns it, keyed by
    complaint id. No reporter name, phone, e-mail or LINE id."""

    complaint_id: str
    tracking_code: str | None
    version: int = Field(description="The complaint's sequence after this change")
    event_type: str
    event_id: str
    time: str = Field(description="ISO 8601, UTC")
    status: str | None
    category: str | None
    department: str | None
    assignee: str | None
    description: str | None
    language: str | None
    location: Location | None
    photos: list[str] = Field(description="SHA-256 of each photo: GET /v1/photos/{sha256}")
    acknowledge_by: str | None
    resolve_by: str | None
    escalation_level: int
    duplicate_of: str | None
