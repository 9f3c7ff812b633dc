"""The duplicate index: same category, within 50 m, open, submitted in the last 14 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kandoo.events.envelope import envelope
from kandoo.events.events import ComplaintClassified, ComplaintResolved
from kandoo.events.values import Actor, Classification, Role
from kandoo.routing.domain.duplicates import SpatialIndex

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
METRE = 1 / 111_320  # degrees of latitude


def index_with_one() -> SpatialIndex:
    index = SpatialIndex()
    index.add("c-0", "road", 12.5684, 99.9577, NOW)
    return index


def test_a_report_within_50_m_of_the_same_category_is_found() -> None:
    found = index_with_one().find("road", 12.5684 + 30 * METRE, 99.9577, NOW)
    assert found is not None
    assert found[0] == "c-0"
    assert 29 < found[1] < 31


def test_farther_than_50_m_or_another_category_is_not_a_duplicate() -> None:
    index = index_with_one()
    assert index.find("road", 12.5684 + 60 * METRE, 99.9577, NOW) is None
    assert index.find("waste", 12.5684, 99.9577, NOW) is None


def test_a_complaint_older_than_14_days_is_not_an_original() -> None:
    assert index_with_one().find("road", 12.5684, 99.9577, NOW + timedelta(days=15)) is None


def test_resolved_complaints_leave_the_index_and_categories_follow_corrections() -> None:
    index = index_with_one()
    actor = Actor(id="x", role=Role.SYSTEM)
    guess = Classification(category="drainage", confidence=0.9, model_version="m")
    index.apply(
        envelope(
            ComplaintClassified(classification=guess, category="drainage", reason="classifier"),
            subject="c-0",
            sequence=2,
            time=NOW,
            actor=actor,
            causationid="x",
        )
    )
    assert index.find("drainage", 12.5684, 99.9577, NOW) is not None
    index.apply(
        envelope(
            ComplaintResolved(note="done"),
            subject="c-0",
            sequence=3,
            time=NOW,
            actor=actor,
            causationid="y",
        )
    )
    assert len(index) == 0
