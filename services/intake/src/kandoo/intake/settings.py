"""Intake's settings: `KANDOO_*` environment variables."""

from __future__ import annotations

from pydantic import Field, model_validator

from kandoo.events.config import ServiceSettings

DEV_OPEN311_KEY = "development-open311-key"  # refused in production


class IntakeSettings(ServiceSettings):
    port: int = Field(default=8001, validation_alias="PORT")
    host: str = "127.0.0.1"
    trusted_proxies: str = "127.0.0.1"
    """Addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (the gateway's),
    comma-separated; from anyone else the headers are ignored."""
    wait_budget_s: float = 3.0
    """How long a request waits for routing's answer before answering 202."""
    max_pending: int = 10_000
    """Requests waiting for an answer at once; beyond, callers get 202 at once."""
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photos: int = 5
    max_body_bytes: int = 52 * 1024 * 1024
    rate_per_minute_ip: int = 120
    rate_per_minute_token: int = 600
    rate_per_minute_address: int = 1200
    """Requests a minute from one address when they name their browsers (`X-Kandoo-Client`,
    sent by the web pages): each browser gets `rate_per_minute_ip`, the address as a whole
    this ceiling, so an office behind one address is not throttled as one citizen."""
    open311_api_keys: list[str] = Field(default_factory=lambda: [DEV_OPEN311_KEY])
    mongodb_db: str = "kandoo"

    @model_validator(mode="after")
    def _no_development_keys_in_production(self) -> IntakeSettings:
        if self.env == "production" and DEV_OPEN311_KEY in self.open311_api_keys:
            raise ValueError("KANDOO_OPEN311_API_KEYS holds the development key: set real keys")
        return self
