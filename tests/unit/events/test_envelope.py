"""Events on the wire: CloudEvents envelopes as Kafka records, Thai text byte for byte."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from kandoo.events import events as e
from kandoo.events.envelope import Envelope, UnknownEvent, envelope, from_record, to_record
from kandoo.events.ids import tracking_code, uuid7
from kandoo.events.values import Classification, Location, ReporterContact
from tests.unit.events.conftest import CLOCK_TOWER, ENGINEERING_ADMIN, T0, submitted

THAI = "ถนนพังใกล้ตลาดโต้รุ่งหัวหิน 🛵💥 น้ำท่วมขัง"
SAMPLES: dict[type[e.Event], e.Event] = {
    e.ComplaintSubmitted: submitted(),
    e.ComplaintClassified: e.ComplaintClassified(
        classification=Classification(category="road", confidence=0.91, model_version="m-ก"),
        category="road",
        reason="classifier",
    ),
    e.ComplaintRouted: e.ComplaintRouted(
        department="engineering", reason="category", acknowledge_by=T0, resolve_by=T0
    ),
    e.ComplaintMarkedDuplicate: e.ComplaintMarkedDuplicate(original_id="c-0", distance_m=12.5),
    e.ComplaintAcknowledged: e.ComplaintAcknowledged(department="engineering"),
    e.ComplaintAssigned: e.ComplaintAssigned(assignee="ทีมช่าง 🔧"),
    e.ComplaintRecategorized: e.ComplaintRecategorized(
        previous_category="road", category="drainage"
    ),
    e.ComplaintRerouted: e.ComplaintRerouted(
        previous_department="engineering",
        department="public_health",
        reason=THAI,
        acknowledge_by=T0,
        resolve_by=T0,
    ),
    e.ComplaintForwarded: e.ComplaintForwarded(agency="pwa", note=THAI),
    e.ComplaintLocationCorrected: e.ComplaintLocationCorrected(
        previous=CLOCK_TOWER, location=Location(lat=12.57, lon=99.96, address_text=THAI)
    ),
    e.NoteAdded: e.NoteAdded(text=THAI, public=False),
    e.ComplaintResolved: e.ComplaintResolved(note=THAI, photos=("ab" * 32,)),
    e.ComplaintRejected: e.ComplaintRejected(reason=THAI),
    e.ComplaintReopened: e.ComplaintReopened(reason=THAI, acknowledge_by=T0, resolve_by=T0),
    e.ComplaintClosed: e.ComplaintClosed(reason="auto"),
    e.ComplaintRated: e.ComplaintRated(rating=5, comment="ขอบคุณค่ะ 🙏"),
    e.ComplaintSupported: e.ComplaintSupported(
        supporter_key="b" * 64, supporter=ReporterContact(phone="0899999999")
    ),
    e.SlaBreached: e.SlaBreached(stage="acknowledge", department="engineering", due=T0),
    e.ComplaintEscalated: e.ComplaintEscalated(
        level=1, to="supervisor:engineering", reason="sla_acknowledge", department="engineering"
    ),
    e.ReporterDataErased: e.ReporterDataErased(reason="PDPA มาตรา 33"),
}


def test_there_is_a_sample_of_every_event_type() -> None:
    assert set(SAMPLES) == set(e.EVENT_TYPES.values())


@pytest.mark.parametrize("data", SAMPLES.values(), ids=lambda d: d.TYPE)
def test_every_event_round_trips_through_a_kafka_record(data: e.Event) -> None:
    env = envelope(
        data, subject="c-1", sequence=3, time=T0, actor=ENGINEERING_ADMIN, causationid="cmd-1"
    )
    record = to_record(env)
    assert record.key == b"c-1"
    assert record.header("ce_type") == data.TYPE.encode()
    assert record.header("ce_id") == env.id.encode()
    back = from_record(record.value)
    assert back == env
    assert to_record(back).value == record.value  # byte for byte


def test_thai_text_is_stored_as_utf8_not_escaped() -> None:
    env = envelope(
        e.NoteAdded(text=THAI),
        subject="c-1",
        sequence=1,
        time=T0,
        actor=ENGINEERING_ADMIN,
        causationid="cmd-1",
    )
    value = to_record(env).value
    assert THAI.encode() in value
    assert b"\\u" not in value


def test_the_envelope_is_cloudevents_structured_json() -> None:
    env = envelope(
        e.ComplaintClosed(reason="auto"),
        subject="c-1",
        sequence=7,
        time=T0 + timedelta(hours=7),
        actor=ENGINEERING_ADMIN,
        causationid="cmd-9",
    )
    obj = json.loads(to_record(env).value)
    assert obj["specversion"] == "1.0"
    assert obj["type"] == "complaint.closed"
    assert obj["subject"] == "c-1"
    assert obj["datacontenttype"] == "application/json"
    assert obj["time"] == "2026-11-01T16:00:00Z"
    assert uuid.UUID(obj["id"]).version == 7
    assert {"sequence", "causationid", "correlationid", "actor", "dataversion"} <= set(obj)


def test_an_unknown_event_type_is_kept_as_raw_data() -> None:
    obj = {
        "specversion": "1.0",
        "id": str(uuid7()),
        "source": "kandoo/future",
        "type": "complaint.teleported",
        "subject": "c-1",
        "time": "2027-01-01T00:00:00Z",
        "datacontenttype": "application/json",
        "sequence": 4,
        "causationid": "x",
        "correlationid": "x",
        "actor": {"id": "s", "role": "system"},
        "dataversion": 1,
        "data": {"to": "เกาะเต่า"},
    }
    env = Envelope.from_json(obj)
    assert env.data == UnknownEvent(type="complaint.teleported", raw={"to": "เกาะเต่า"})
    written = json.loads(to_record(env).value)
    assert written == obj | {"actor": {"id": "s", "role": "system", "department": None}}


def test_a_version_1_submission_is_read_as_version_2() -> None:
    current = envelope(
        submitted(), subject="c-1", sequence=1, time=T0, actor=ENGINEERING_ADMIN, causationid="x"
    ).to_json()
    v1 = {**current, "dataversion": 1}
    v1["data"] = {k: v for k, v in current["data"].items() if k != "channel"}
    env = Envelope.from_json(v1)
    assert env.dataversion == 2
    assert isinstance(env.data, e.ComplaintSubmitted)
    assert env.data.channel == "web"


def test_reporter_contact_is_apart_from_the_public_report() -> None:
    data = submitted()
    public = data.model_dump(exclude={"reporter", "reporter_token_hash"})
    assert "0812345678" not in json.dumps(public, ensure_ascii=False)
    assert data.reporter == ReporterContact(name="สมศรี", phone="0812345678")


def test_uuid7_is_time_ordered() -> None:
    first, second = uuid7(1_700_000_000_000), uuid7(1_700_000_000_001)
    assert first.version == 7
    assert first < second


def test_tracking_codes_are_short_unambiguous_and_stable() -> None:
    code = tracking_code("c-1")
    assert code == tracking_code("c-1")
    assert code.startswith("HH-")
    assert len(code) == len("HH-7K4P-2Q")
    assert not set(code[3:].replace("-", "")) & set("01OIL U")
