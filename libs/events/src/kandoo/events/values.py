"""Small value objects that events, commands and the lifecycle share."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    """Base of every message: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(StrEnum):
    """Who may do what: the role claimed by the caller's token."""

    CITIZEN = "citizen"
    REPORTER = "reporter"  # a citizen proven by the complaint's tracking token
    DEPT_ADMIN = "dept_admin"
    SUPERVISOR = "supervisor"
    CLERK = "clerk"
    ANALYST = "analyst"
    SYSTEM = "system"


STAFF_ROLES = frozenset({Role.DEPT_ADMIN, Role.SUPERVISOR, Role.CLERK, Role.ANALYST, Role.SYSTEM})
"""Roles of the municipality's people and services, as opposed to citizens and reporters."""


class Status(StrEnum):
    """Where a complaint stands. `duplicate` is terminal: the reporter follows the original."""

    SUBMITTED = "submitted"
    TRIAGE = "triage"
    ROUTED = "routed"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    FORWARDED = "forwarded"
    REOPENED = "reopened"
    DUPLICATE = "duplicate"


OPEN_STATUSES = frozenset(
    {
        Status.SUBMITTED,
        Status.TRIAGE,
        Status.ROUTED,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.REOPENED,
    }
)


class Language(StrEnum):
    TH = "th"
    EN = "en"


class Channel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    LINE = "line"
    OPEN311 = "open311"
    PHONE = "phone"
    COUNTER = "counter"


class Actor(Frozen):
    """Who caused an event or sent a command."""

    id: str = Field(
        max_length=200,
        description="User id, 'anonymous', or the service name for system actors",
    )
    role: Role = Field(description="The role the actor acted in")
    department: str | None = Field(
        default=None,
        max_length=64,
        description="Department code of staff actors; none for citizens",
    )


class Location(Frozen):
    """A map pin (WGS84) with what the reporter typed about the place."""

    lat: float = Field(ge=-90, le=90, description="Latitude, WGS84 degrees")
    lon: float = Field(ge=-180, le=180, description="Longitude, WGS84 degrees")
    accuracy_m: float | None = Field(
        default=None, ge=0, description="Accuracy of the pin in metres, as the phone reports it"
    )
    address_text: str | None = Field(
        default=None, max_length=500, description="Address or landmark as the reporter wrote it"
    )


class ReporterContact(Frozen):
    """Personal data of the reporter, kept apart from the public report; erasable."""

    name: str | None = Field(default=None, max_length=200, description="Name, if given")
    phone: str | None = Field(default=None, max_length=40, description="Phone number, if given")
    email: str | None = Field(default=None, max_length=320, description="E-mail, if given")
    line_user_id: str | None = Field(default=None, max_length=100, description="LINE user id")
    anonymous: bool = Field(default=False, description="The reporter asked not to be contacted")
    reach: tuple[str, ...] = Field(
        default=(),
        description="In the log: which kinds of address the sealed contact holds (email, "
        "phone, line), never the addresses",
    )
    sealed: str | None = Field(
        default=None,
        max_length=4000,
        description="In the log: the personal fields (and the channel's reference) as one "
        "AES-GCM ciphertext under the complaint's key for this person, `v1.<key>.<base64>`; "
        "unreadable for ever once the key is erased",
    )

    def reachable(self) -> bool:
        """Whether anyone may tell this reporter anything."""
        plain = any((self.phone, self.email, self.line_user_id))
        return not self.anonymous and (plain or bool(self.reach))


class Guess(Frozen):
    """One of the classifier's best categories for a text."""

    category: str = Field(description="Category code from the directory")
    confidence: float = Field(ge=0, le=1, description="Its probability")


class Classification(Frozen):
    """What the classifier said of a report's text."""

    category: str = Field(description="Category code from the directory")
    confidence: float = Field(ge=0, le=1, description="Calibrated probability of `category`")
    model_version: str = Field(description="Version of the model or rule set that decided")
    method: str = Field(default="model", description="'model', 'rule' or 'keyword-baseline'")
    alternatives: tuple[Guess, ...] = Field(
        default=(),
        description="The model's top categories with their probabilities, best first (up "
        "to three): what the clerk chooses from when the model was unsure",
    )
