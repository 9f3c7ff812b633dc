"""A citizen who said "me too" and left a contact is told of progress like the reporter."""

from __future__ import annotations

from pathlib import Path

from kandoo.events.directory import load_directory
from kandoo.notify.domain.case import Case, evolve_case
from kandoo.notify.domain.rules import ContactChannels, load_rules, recipients

ROOT = Path(__file__).resolve().parents[3]
CHANNELS = ContactChannels(email="mailto://smtp.test/?to={email}", sms="sms://gw/{phone}")


def supported(contact: dict[str, object]) -> dict[str, object]:
    return {
        "type": "complaint.supported",
        "data": {"supporter_key": "k" * 64, "supporter": contact},
    }


def test_supporters_with_a_contact_get_the_reporters_progress_messages() -> None:
    case = Case("c-1", tracking_code="HH-AAAA-AA", contact={"phone": "0811111111"})
    evolve_case(case, supported({"email": "neighbour@example.com"}))
    evolve_case(case, supported({"anonymous": True, "email": "hidden@example.com"}))
    evolve_case(case, supported({}))
    rules = load_rules(ROOT / "deploy" / "config" / "notifications.yaml")
    directory = load_directory(ROOT / "deploy" / "config" / "directory.yaml")
    progress = next(r for r in rules.rules if r.name == "reporter_progress")
    event = {"type": "complaint.resolved", "data": {"note": "ซ่อมแล้ว"}}
    got = recipients(progress, event, case, directory, CHANNELS)
    assert [(r.id, r.urls) for r in got] == [
        ("reporter", ("sms://gw/0811111111",)),
        ("supporter:1", ("mailto://smtp.test/?to=neighbour@example.com",)),
    ]
