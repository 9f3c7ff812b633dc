"""docs/events.schema.json is what `python -m kandoo.events schema` writes today."""

from __future__ import annotations

import json
from pathlib import Path

from kandoo.events.events import EVENT_TYPES
from kandoo.events.schema import render

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "events.schema.json"


def test_the_committed_schema_is_fresh() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "docs/events.schema.json is stale: run `uv run python -m kandoo.events schema`"
    )


def test_the_schema_documents_every_event_and_field_descriptions() -> None:
    schema = json.loads(render())
    assert set(schema["events"]) == set(EVENT_TYPES)
    submitted = schema["events"]["complaint.submitted"]["data"]["properties"]
    assert all("description" in field for field in submitted.values())
