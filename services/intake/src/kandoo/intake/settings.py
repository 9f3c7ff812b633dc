"""Intake's settings: `KANDOO_*` environment variables."""

from __future__ import annotations

from pydantic import Field, model_validator

from kandoo.events.config import ServiceSettings

DEV_OPEN311_KEY = "development-open311-key"  # refused in production
DEV_LINE_SECRET = "development-line-channel-secret"  # noqa: S105 - refused in production
DEV_LINE_TOKEN = "development-line-access-token"  # noqa: S105 - refused in production


class IntakeSettings(ServiceSettings):
    port: int = Field(default=8001, validation_alias="PORT")
    host: str = "127.0.0.1"
    trusted_proxies: str = "127.0.0.1"
    """Addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (the gateway's),
    comma-separated; from anyone else the headers are ignored."""
    wait_budget_s: float = 3.0
    """How long a request waits for routing's answer before answering 202."""
    kafka_send_timeout_s: float = 4.0
    """A command (or a LINE event) the broker has not acknowledged by then is a 503 with
    Retry-After: the caller retries with the same Idempotency-Key."""
    idempotency_hours: float = 24.0
    """An Idempotency-Key answers its caller's retries for this long; used again after,
    it is a new request."""
    max_pending: int = 10_000
    """Requests waiting for an answer at once; beyond, callers get 202 at once."""
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photos: int = 5
    photo_decode_timeout_s: float = 10.0
    """A photo not decoded and re-encoded by then is refused (422 bad_photo)."""
    max_body_bytes: int = 52 * 1024 * 1024
    rate_per_minute_ip: int = 120
    rate_per_minute_token: int = 600
    rate_per_minute_address: int = 1200
    """Requests a minute from one address when they name their browsers (`X-Kandoo-Client`,
    sent by the web pages): each browser gets `rate_per_minute_ip`, the address as a whole
    this ceiling, so an office behind one address is not throttled as one citizen."""
    open311_api_keys: list[str] = Field(default_factory=lambda: [DEV_OPEN311_KEY])
    mongodb_db: str = "kandoo"
    line_channel_secret: str = DEV_LINE_SECRET
    """The LINE channel's secret (LINE Developers console, Basic settings): checks each
    webhook's X-Line-Signature. Empty: LINE is not connected (the webhook answers 404)."""
    line_channel_access_token: str = DEV_LINE_TOKEN
    """The channel's long-lived access token (Messaging API tab): replies and content."""
    line_api_url: str = "https://api.line.me"
    line_data_api_url: str = "https://api-data.line.me"
    """Where image content is fetched (`/v2/bot/message/{id}/content`)."""
    line_conversation_minutes: float = 30.0
    """A LINE conversation not finished within this is forgotten (checked on read)."""

    @model_validator(mode="after")
    def _no_development_keys_in_production(self) -> IntakeSettings:
        if self.env == "production" and DEV_OPEN311_KEY in self.open311_api_keys:
            raise ValueError("KANDOO_OPEN311_API_KEYS holds the development key: set real keys")
        placeholders = {DEV_LINE_SECRET, DEV_LINE_TOKEN}
        line = {self.line_channel_secret, self.line_channel_access_token}
        if self.env == "production" and line & placeholders:
            raise ValueError(
                "KANDOO_LINE_CHANNEL_SECRET / KANDOO_LINE_CHANNEL_ACCESS_TOKEN are the "
                "development placeholders: set the channel's own, or empty to leave LINE off"
            )
        return self

    @property
    def line_enabled(self) -> bool:
        return bool(self.line_channel_secret and self.line_channel_access_token)
