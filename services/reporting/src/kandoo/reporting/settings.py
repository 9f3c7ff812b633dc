"""Reporting's settings: `KANDOO_*` environment variables."""

from __future__ import annotations

import socket

from pydantic import Field

from kandoo.events.config import ServiceSettings

PROJECTION_VERSION = 3
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

    @property
    def group_id(self) -> str:
        return f"{self.topic_prefix}kandoo-reporting-v{PROJECTION_VERSION}"
