"""The JSON Schema of every event and command: the contract department systems read."""

from __future__ import annotations

import json
from typing import Any

from kandoo.events.commands import COMMAND_TYPES
from kandoo.events.envelope import Envelope
from kandoo.events.events import EVENT_TYPES
from kandoo.events.roster import ROSTER_EVENT_TYPES


def contract_schema() -> dict[str, Any]:
    """One document: the envelope, each event's `data` by type (complaints' and the
    roster's, on `directory.events`), each command by kind."""
    envelope = Envelope.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Kandoo complaint events and commands",
        "envelope": envelope,
        "events": {
            t: {"dataversion": cls.VERSION, "data": cls.model_json_schema()}
            for t, cls in sorted(EVENT_TYPES.items())
        },
        "directory_events": {
            t: {"dataversion": cls.VERSION, "data": cls.model_json_schema()}
            for t, cls in sorted(ROSTER_EVENT_TYPES.items())
        },
        "commands": {
            cls.__name__: cls.model_json_schema()
            for cls in sorted(COMMAND_TYPES, key=lambda cls: cls.__name__)
        },
    }


def render() -> str:
    """The schema document as committed in docs/events.schema.json."""
    return json.dumps(contract_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
