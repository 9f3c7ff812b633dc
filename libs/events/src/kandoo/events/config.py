"""Settings every service shares, read from `KANDOO_*` environment variables.

Each service subclasses `ServiceSettings` with its own fields. Development defaults are
named as such and refused when `KANDOO_ENV=production`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused in production


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KANDOO_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongodb_url: str = "mongodb://127.0.0.1:27017/"
    topic_prefix: str = ""
    directory: str = "deploy/config/directory.yaml"
    jwt_secret: str = DEV_SECRET
    replication_factor: int = 1
    """Copies of each topic's partitions: 3 on a cluster of three brokers, 1 on one node."""
    min_insync_replicas: int = 1
    """Copies that must have a write before it counts (with acks=all): 2 on a cluster of
    three, so one broker can be lost without losing an acknowledged report."""
    keys_mongodb_db: str = "kandoo_keys"
    """The key store of personal data (one key per complaint and person): intake writes
    keys, notify and reporting read them, an erasure deletes them. A database of its own,
    so it can live elsewhere (production: a KMS or Vault, see the README)."""
    public_url: str = "http://127.0.0.1:8080"
    """The one address citizens, staff, LINE and Open311 clients use (the gateway): every
    link in an answer or a message starts with it."""

    @model_validator(mode="after")
    def _no_development_defaults_in_production(self) -> ServiceSettings:
        if self.env == "production" and (
            self.jwt_secret == DEV_SECRET or len(self.jwt_secret) < 32
        ):
            raise ValueError(
                "KANDOO_JWT_SECRET is the development default or shorter than 32 characters: "
                "set a long random secret in production"
            )
        return self
