"""Notify's settings: `KANDOO_*` environment variables."""

from __future__ import annotations

import socket

from pydantic import Field, model_validator

from kandoo.events.config import ServiceSettings

DEV_EMAIL_URL = "mailto://127.0.0.1:1025?from=kandoo-dev@huahin.example&to={email}"
DEV_LINE_TOKEN = "development-line-access-token"  # noqa: S105 - refused in production
LINE_PUSH_URL = "line-push://{user_id}"


class NotifySettings(ServiceSettings):
    port: int = Field(default=8004, validation_alias="PORT")
    host: str = "127.0.0.1"
    instance_id: str = ""
    """This instance's name among notify's instances (default: host name and port): a
    delivery it was sending when it died is its own to recover at its restart; another
    instance's only once that one has stopped beating (`HEARTBEAT_DEAD_S`)."""
    mongodb_db: str = "kandoo_notify"
    group_id: str = "notify"
    rules: str = "deploy/config/notifications.yaml"
    email_url: str = DEV_EMAIL_URL
    """Apprise URL template for reporters' e-mail; `{email}` is replaced (URL-quoted)."""
    sms_url: str = ""
    """Apprise URL template for an SMS gateway, with `{phone}`; empty: no SMS."""
    line_url: str = LINE_PUSH_URL
    """Where a reporter who came by LINE is told: `line-push://{user_id}`, LINE push
    messages through line-bot-sdk with a retry key (empty: not by LINE)."""
    line_channel_access_token: str = DEV_LINE_TOKEN
    """The LINE channel's access token (the same as intake's). Empty: no LINE pushes."""
    line_api_url: str = "https://api.line.me"
    dev_mail_relay: str = ""
    """Development only: `host:port` of an SMTP catcher that gets every e-mail, the
    directory's staff addresses included (`make run` starts one). Refused in production."""
    max_attempts: int = 5
    backoff_base_s: float = 2.0
    backoff_max_s: float = 300.0
    send_timeout_s: float = 15.0
    concurrency: int = 16

    @model_validator(mode="after")
    def _instance_named(self) -> NotifySettings:
        if not self.instance_id:
            self.instance_id = f"{socket.gethostname()}:{self.port}"
        return self

    @model_validator(mode="after")
    def _no_dev_mail_relay_in_production(self) -> NotifySettings:
        if self.env == "production" and self.email_url == DEV_EMAIL_URL:
            raise ValueError("KANDOO_EMAIL_URL is the development relay: set the real one")
        if self.env == "production" and self.dev_mail_relay:
            raise ValueError("KANDOO_DEV_MAIL_RELAY diverts all e-mail: not in production")
        if self.env == "production" and self.line_channel_access_token == DEV_LINE_TOKEN:
            raise ValueError(
                "KANDOO_LINE_CHANNEL_ACCESS_TOKEN is the development placeholder: set the "
                "channel's own, or empty to send nothing by LINE"
            )
        return self

    def group(self) -> str:
        return f"{self.topic_prefix}{self.group_id}"
