"""Reporting's settings: `KANDOO_*` environment variables."""

from __future__ import annotations

import socket

from pydantic import Field

from kandoo.events.config import ServiceSettings

PROJECTION_VERSION = 5
"""Bump when the read models' shape changes: a new consumer group replays the log from the
start into a database of the new version's own (the old one can be dropped after)."""


class ReportingSettings(ServiceSettings):
    port: int = Field(default=8002, validation_alias="PORT")
    host: str = "127.0.0.1"
    mongodb_db: str = f"kandoo_reporting_v{PROJECTION_VERSION}"
    instance_id: str = Field(default_factory=socket.gethostname)
    max_batch: int = 2000
    project: bool = True
    """Run the projector in this process (off for an API-only replica)."""
    hotspot_max_age_s: float = 5.0
    """How old the open complaints' hotspots may be when served: the areas' documents are
    kept in memory and refreshed in the background when a reader finds them older (0: read
    them every time)."""
    stats_history_max_age_s: float = 600.0
    """How old the statistics of past months may be when served from memory (they change
    only when a report of a past month is routed late, from triage; 0: read every time)."""
    hotspot_history_max_age_s: float = 60.0
    """The same for the closed complaints' hotspots (the map's "all"), which change only
    when a complaint closes or reopens."""
    poison_threshold: int = 3
    """A record failing this many times with the same error (alone) goes to `<topic>.dlq`."""

    @property
    def group_id(self) -> str:
        return f"{self.topic_prefix}kandoo-reporting-v{PROJECTION_VERSION}"
