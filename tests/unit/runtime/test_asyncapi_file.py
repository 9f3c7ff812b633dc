"""docs/asyncapi.yaml is what `python -m kandoo.runtime.asyncapi` writes today, and it
describes every topic of the platform."""

from __future__ import annotations

from pathlib import Path

import yaml

from kandoo.events.topics import Topics
from kandoo.runtime.asyncapi import document

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.yaml"


def test_the_committed_asyncapi_document_is_fresh() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == document(), (
        "docs/asyncapi.yaml is stale: run `uv run python -m kandoo.runtime.asyncapi`"
    )


def test_every_topic_has_a_channel_with_a_described_payload() -> None:
    doc = yaml.safe_load(document())
    assert doc["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in doc["channels"].values()}
    assert {s.name for s in Topics().specs([])} <= addresses
    assert "complaints.routed.{department}" in addresses
    schemas = doc["components"]["schemas"]
    for name in ("Envelope", "Notice", "CommandResult", "DepartmentFeedRecord", "SubmitComplaint"):
        assert name in schemas, name
    feed = schemas["DepartmentFeedRecord"]["properties"]
    assert "reporter" not in feed
    assert "photos" in feed
