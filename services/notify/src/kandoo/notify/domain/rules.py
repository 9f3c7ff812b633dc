"""Who must be told about an event, from the rules in deploy/config/notifications.yaml.

Pure: the event, what notify knows of the complaint (`Case`), the directory and the rules
in; the recipients (with their Apprise URLs and language) out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from kandoo.events.directory import Directory, Person
from kandoo.events.values import STAFF_ROLES
from kandoo.notify.domain.case import Case


@dataclass(frozen=True)
class Rule:
    name: str
    events: frozenset[str]
    to: str
    only_staff_public_notes: bool = False


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    digest_at: str = "08:00"
    """Local time (the directory's zone) of each day's digest."""

    def matching(self, event_type: str) -> list[Rule]:
        return [r for r in self.rules if event_type in r.events]


def load_rules(path: str | Path) -> Rules:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    rules = tuple(
        Rule(
            name=r["name"],
            events=frozenset(r["events"]),
            to=r["to"],
            only_staff_public_notes=bool(r.get("only_staff_public_notes", False)),
        )
        for r in raw["rules"]
    )
    digest = raw.get("digest") or {}
    return Rules(rules, str(digest.get("at", "08:00")))


@dataclass(frozen=True)
class Recipient:
    id: str  # "reporter" or a staff id
    role: str
    language: str
    urls: tuple[str, ...]


@dataclass(frozen=True)
class ContactChannels:
    """Apprise URL templates for reporters' contacts (from settings)."""

    email: str = ""
    sms: str = ""
    line: str = ""

    def urls(self, contact: Mapping[str, Any]) -> tuple[str, ...]:
        if contact.get("anonymous") or contact.get("erased"):
            return ()
        out = []
        if self.email and contact.get("email"):
            out.append(self.email.replace("{email}", quote(str(contact["email"]), safe="@")))
        if self.sms and contact.get("phone"):
            out.append(self.sms.replace("{phone}", quote(str(contact["phone"]), safe="+")))
        if self.line and contact.get("line_user_id"):
            out.append(self.line.replace("{user_id}", quote(str(contact["line_user_id"]))))
        return tuple(out)


def person(p: Person, role: str) -> Recipient:
    return Recipient(p.id, role, p.language, tuple(p.notify))


def _admins(directory: Directory, code: str | None) -> list[Recipient]:
    dept = directory.department(code or "")
    return [person(a, "dept_admin") for a in dept.active_admins()] if dept else []


def _supervisor(directory: Directory, code: str | None) -> list[Recipient]:
    dept = directory.department(code or "")
    return [person(dept.supervisor, "supervisor")] if dept and dept.supervisor else []


def recipients(
    rule: Rule,
    event: Mapping[str, Any],
    case: Case,
    directory: Directory,
    channels: ContactChannels,
) -> list[Recipient]:
    data = event.get("data") or {}
    department = data.get("department") or case.department
    if rule.to == "department_admins":
        return _admins(directory, department)
    if rule.to == "supervisor":
        return _supervisor(directory, department)
    if rule.to == "escalation":
        target = str(data.get("to", ""))
        extra = (
            _supervisor(directory, target.split(":", 1)[1])
            if target.startswith("supervisor:")
            else _admins(directory, target) + _supervisor(directory, target)
        )
        seen: dict[str, Recipient] = {}
        for r in _admins(directory, department) + extra:
            seen.setdefault(r.id, r)
        return list(seen.values())
    if rule.to == "reporter":
        if rule.only_staff_public_notes:
            actor = event.get("actor") or {}
            if actor.get("role") not in STAFF_ROLES or not data.get("public", True):
                return []
        people = [("reporter", case.contact)]
        people += [(f"supporter:{i}", c) for i, c in enumerate(case.supporters, 1)]
        found = [(who, channels.urls(contact)) for who, contact in people]
        return [Recipient(who, "reporter", case.language, urls) for who, urls in found if urls]
    raise ValueError(f"rule {rule.name}: unknown recipient kind {rule.to!r}")
