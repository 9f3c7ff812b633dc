"""The classifier learns from admins' corrections in the log (`train --from-log`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer

from kandoo.routing.bootstrap import build
from kandoo.routing.classify.learn import corrections_from_log, train_and_save
from kandoo.routing.classify.model import newest
from tests.conftest import Servers, TopicFactory
from tests.integration.routing.conftest import Client, FakeClock, routing_settings, submit

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "data" / "classify"


def event(subject: str, sequence: int, etype: str, data: Mapping[str, object]) -> bytes:
    body = {
        "specversion": "1.0",
        "id": f"{subject}-{sequence}",
        "source": "kandoo/routing",
        "type": etype,
        "subject": subject,
        "time": datetime.now(UTC).isoformat(),
        "sequence": sequence,
        "causationid": "c",
        "correlationid": "c",
        "actor": {"id": "eng-admin-1", "role": "dept_admin", "department": "engineering"},
        "dataversion": 1,
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False).encode()


async def test_a_recategorisation_in_the_log_changes_the_prediction_for_a_similar_text(
    servers: Servers, make_topic: TopicFactory, tmp_path: Path
) -> None:
    text = "มีปลาตายลอยเป็นแพในบึงสาธารณะหลังหมู่บ้าน"
    similar = "มีปลาตายลอยเป็นแพในบึงสาธารณะท้ายหมู่บ้าน"
    before = train_and_save(DATA, tmp_path / "before")
    first = before.predict(similar).category
    correct = "drainage" if first != "drainage" else "beach"

    topic = await make_topic("complaints.events", partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
    await producer.start()
    try:
        submitted = {"description": text, "tracking_code": "HH-TEST-00"}
        for value, kind in (
            (event("c-1", 1, "complaint.submitted", submitted), b"complaint.submitted"),
            (
                event(
                    "c-1",
                    5,
                    "complaint.recategorized",
                    {"previous_category": first, "category": correct},
                ),
                b"complaint.recategorized",
            ),
        ):
            await producer.send_and_wait(topic, value, key=b"c-1", headers=[("ce_type", kind)])
    finally:
        await producer.stop()

    corrections = await corrections_from_log(servers.kafka_bootstrap, topic)
    assert [(c.text, c.category) for c in corrections] == [(text, correct)]
    after = train_and_save(DATA, tmp_path / "after", corrections)
    assert after.version != before.version
    assert newest(tmp_path / "after") is not None
    assert after.predict(similar).category == correct


async def test_routing_classifies_with_the_newest_model_and_records_its_version(
    servers: Servers, unique: str, tmp_path: Path
) -> None:
    model = train_and_save(DATA, tmp_path)
    settings = routing_settings(
        servers, unique, classifier="model", model_dir=str(tmp_path), classify_data=str(DATA)
    )
    processor = build(settings, clock=FakeClock())
    await processor.start()
    client = Client(servers, processor.topics)
    await client.start()
    try:
        command = submit("น้ำประปาไม่ไหลมาสองวันแล้ว ทั้งซอย", lat=12.5600, lon=99.9500)
        result = await client.call(command)
        assert result["outcome"] == "accepted"
        classified = [
            e for e in await client.events(at_least=3) if e.type == "complaint.classified"
        ]
        assert classified[0].data.classification.model_version == model.version  # type: ignore[union-attr]
        assert classified[0].data.classification.method == "model"  # type: ignore[union-attr]
        assert classified[0].data.category == "water_supply"  # type: ignore[union-attr]
    finally:
        await client.stop()
        await processor.stop()
