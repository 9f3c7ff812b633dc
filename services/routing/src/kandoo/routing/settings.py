"""Routing's settings: `KANDOO_*` environment variables."""

from __future__ import annotations

import socket
from typing import Literal

from pydantic import Field, model_validator

from kandoo.events.config import ServiceSettings


class RoutingSettings(ServiceSettings):
    instance_id: str = Field(default_factory=socket.gethostname)
    group_id: str = "routing"
    partitions: int = 6
    port: int = Field(default=8003, validation_alias="PORT")
    host: str = "127.0.0.1"
    triage_below: float | None = None
    """Below this confidence a report goes to the clerk's triage; unset: the threshold the
    model was given when trained (chosen from measured precision), else 0.6."""
    override_reporter_from: float = 0.9
    deadline_period_s: float = 60.0
    max_batch: int = 500
    batch_linger_ms: float = 5.0
    """After the first commands of a batch, wait this long for more (fewer transactions)."""
    classifier: Literal["model", "keyword-baseline"] = "model"
    """The trained model (newest artifact in `model_dir`), or the keyword baseline."""
    model_dir: str = ".cache/models"
    classify_data: str = "data/classify"
    crash_before_commit: bool = False
    """Test hook: SIGKILL ourselves after producing a batch, before committing it."""

    @model_validator(mode="after")
    def _crash_hook_only_in_tests(self) -> RoutingSettings:
        if self.crash_before_commit and self.env == "production":
            raise ValueError("KANDOO_CRASH_BEFORE_COMMIT is a test hook, refused in production")
        return self

    def group(self) -> str:
        """The consumer group of `complaints.commands`, whose offsets each transaction commits."""
        return f"{self.topic_prefix}{self.group_id}"
