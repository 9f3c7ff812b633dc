"""The values a message template is filled with: names in the recipient's language, due
times in the municipality's local time, the tracking link."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kandoo.events.directory import Directory
from kandoo.notify.domain.case import Case

STAGES = {"acknowledge": ("การรับเรื่อง", "acknowledge"), "resolve": ("การแก้ไข", "resolve")}
"""SLA stages as a breach message names them, in Thai and English."""


def _named(th: str, en: str, language: str) -> str:
    return th if language == "th" else en


def local_minute(moment: str, directory: Directory) -> str:
    """An ISO time as people read it here: local date and time to the minute."""
    return (
        datetime.fromisoformat(moment)
        .astimezone(directory.municipality.zone)
        .strftime("%Y-%m-%d %H:%M")
    )


def message_values(
    event: Mapping[str, Any], case: Case, language: str, directory: Directory, track_url: str
) -> dict[str, Any]:
    """What the templates of messages.yaml may use for this event and recipient."""
    data = event.get("data") or {}
    dept = directory.department(
        str(data.get("agency") or data.get("department") or case.department or "")
    )
    category = directory.category(case.category or "")
    due = data.get("acknowledge_by") or case.acknowledge_by or ""
    text = data.get("text") or data.get("note") or data.get("reason") or ""
    if event["type"] == "complaint.sla_breached":
        text = _named(*STAGES.get(str(data.get("stage")), ("", "")), language)
    return {
        "code": case.tracking_code,
        "link": f"{track_url}/{case.tracking_code}",
        "department": _named(dept.name_th, dept.name_en, language)
        if dept
        else case.department or "",
        "category": _named(category.name_th, category.name_en, language) if category else "",
        "text": text,
        "level": data.get("level", ""),
        "to": data.get("to", ""),
        "due": local_minute(str(due), directory) if due else "",
    }
