"""Notices: what notify did about an event, on `notifications.events` (key: complaint id).

A notice is a CloudEvents 1.0 envelope like the complaint events, without a per-complaint
sequence: deliveries are not part of the lifecycle, only of the complaint's timeline. It
names the recipient by role and id, never by address: the log keeps no contact data.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import Field

from kandoo.events.envelope import KafkaRecord, dumps
from kandoo.events.ids import new_event_id
from kandoo.events.values import Frozen

NOTICE_TYPES = ("notification.sent", "notification.failed", "notification.dead_lettered")
NoticeType = Literal["notification.sent", "notification.failed", "notification.dead_lettered"]


class Delivery(Frozen):
    """One attempt to tell one recipient about one event, through one channel."""

    event_id: str = Field(description="The complaint event that caused the message")
    event_type: str = Field(description="Its type, e.g. complaint.resolved")
    rule: str = Field(description="The notification rule that matched")
    recipient: str = Field(description="'reporter', or a staff id such as 'eng-admin-1'")
    recipient_role: str = Field(description="reporter, dept_admin, supervisor, clerk, mayor")
    channel: str = Field(description="Apprise scheme used: mailto, json, line, ...")
    language: str = Field(description="Language of the message: th or en")
    attempt: int = Field(ge=1, description="1 for the first try")
    reason: str | None = Field(default=None, description="Why it failed, when it did")


class Notice(Frozen):
    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=new_event_id)
    source: str = "kandoo/notify"
    type: NoticeType
    subject: str = Field(description="The complaint id")
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: Delivery

    def to_record(self) -> KafkaRecord:
        return KafkaRecord(
            key=self.subject.encode(),
            value=dumps(self.model_dump(mode="json")),
            headers=(("ce_type", self.type.encode()), ("ce_id", self.id.encode())),
        )

    @classmethod
    def from_record(cls, value: bytes) -> Notice:
        return cls.model_validate(json.loads(value))
