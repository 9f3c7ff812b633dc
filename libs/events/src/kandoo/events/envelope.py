"""The CloudEvents 1.0 envelope (structured JSON mode) and its Kafka record form.

Record key: the complaint id. Value: UTF-8 JSON, Thai text as is (no \\u escapes).
Headers: `ce_type` and `ce_id`, so consumers can skip records without parsing them.
An event type this code does not know is kept as `UnknownEvent` with its raw data:
older consumers must survive newer producers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_core import to_json

from kandoo.events.events import EVENT_TYPES, Event
from kandoo.events.ids import new_event_id
from kandoo.events.upcasting import upcast
from kandoo.events.values import Actor, Frozen


class UnknownEvent(Frozen):
    """An event of a type this code does not know yet, kept as it came."""

    type: str
    raw: dict[str, Any]


class Envelope(Frozen):
    """One event with its CloudEvents attributes and Kandoo extensions."""

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=new_event_id, description="UUIDv7 of the event")
    source: str = Field(description="The service that wrote it, e.g. 'kandoo/routing'")
    type: str = Field(description="Event type, e.g. 'complaint.submitted'")
    subject: str = Field(description="The complaint id")
    time: datetime = Field(description="When it happened (UTC)")
    datacontenttype: Literal["application/json"] = "application/json"
    sequence: int = Field(ge=1, description="Per complaint: 1, 2, 3... with no gaps")
    causationid: str = Field(description="The command that caused it")
    correlationid: str = Field(description="Trace id across services")
    actor: Actor = Field(description="Who caused it, with role and department")
    dataversion: int = Field(ge=1, description="Schema version of `data`")
    data: Event | UnknownEvent = Field(description="The event's data")

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone")
        return value.astimezone(UTC)

    def to_json(self) -> dict[str, Any]:
        """The structured-mode JSON object."""
        out = self.model_dump(mode="json", exclude={"data"})
        data = self.data
        out["data"] = data.raw if isinstance(data, UnknownEvent) else data.model_dump(mode="json")
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Envelope:
        """Parse a structured-mode object, upcasting older data and keeping unknown types."""
        attrs = dict(obj)
        raw = attrs.pop("data", None) or {}
        event_type = attrs.get("type", "")
        model = EVENT_TYPES.get(event_type)
        data: Event | UnknownEvent
        if model is None:
            data = UnknownEvent(type=event_type, raw=raw)
        else:
            version = int(attrs.get("dataversion", 1))
            data = model.model_validate(upcast(event_type, version, raw))
            attrs["dataversion"] = model.VERSION
        return cls.model_validate({**attrs, "data": data})


def envelope(
    data: Event,
    *,
    subject: str,
    sequence: int,
    time: datetime,
    actor: Actor,
    causationid: str,
    correlationid: str | None = None,
    source: str = "kandoo/routing",
) -> Envelope:
    """Wrap event data in its envelope, type and version taken from the event class.

    The parts are already valid (the event validated itself, `time` is UTC-aware), so the
    envelope is built without validating again: this is routing's hot path.
    """
    assert time.tzinfo is not None, "event time must be timezone-aware"
    return Envelope.model_construct(
        specversion="1.0",
        id=new_event_id(),
        datacontenttype="application/json",
        source=source,
        type=data.TYPE,
        subject=subject,
        time=time,
        sequence=sequence,
        causationid=causationid,
        correlationid=correlationid or causationid,
        actor=actor,
        dataversion=data.VERSION,
        data=data,
    )


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """What goes on the wire: key, value and headers, as aiokafka takes and gives them."""

    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON with non-ASCII text kept as is (pydantic-core's fast encoder)."""
    return to_json(obj)


def to_record(env: Envelope) -> KafkaRecord:
    """The Kafka record of an event: key complaint id, JSON value, ce_type/ce_id headers."""
    return KafkaRecord(
        key=env.subject.encode(),
        value=dumps(env.to_json()),
        headers=(("ce_type", env.type.encode()), ("ce_id", env.id.encode())),
    )


def from_record(value: bytes) -> Envelope:
    """Parse an event record's value."""
    return Envelope.from_json(json.loads(value))
