"""Default statistics ranges end on the municipality's today, not UTC's."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from kandoo.reporting.entrypoints.periods import days

BANGKOK = ZoneInfo("Asia/Bangkok")


def test_after_five_in_the_evening_utc_hua_hin_is_already_tomorrow() -> None:
    evening = datetime(2026, 12, 1, 17, 5, tzinfo=UTC)  # 00:05 on the 2nd in Hua Hin
    assert days(None, None, "th", evening, BANGKOK) == ("2026-11-02", "2026-12-02")
    morning = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert days(None, None, "th", morning, BANGKOK)[1] == "2026-12-01"
