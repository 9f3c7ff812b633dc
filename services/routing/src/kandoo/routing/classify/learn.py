"""Where models come from: the labelled data, the admins' corrections in the log, and the
newest artifact on disk."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from kandoo.routing.classify.data import read_reports, training_files
from kandoo.routing.classify.evaluate import choose_threshold
from kandoo.routing.classify.model import Example, TrainedModel, load, newest, save, train
from kandoo.runtime.kafka_io import behind, wait_for_assignment

log = logging.getLogger("kandoo.routing.classify")
CORRECTION_WEIGHT = 5.0
"""An admin's recategorisation counts as much as five written examples: it is a real
report from Hua Hin, labelled by the person who acted on it."""


async def corrections_from_log(bootstrap: str, topic: str) -> list[Example]:
    """For every ComplaintRecategorized, that complaint's text with the admin's category."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        isolation_level="read_committed",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    texts: dict[str, str] = {}
    labels: dict[str, str] = {}
    try:
        ends = await consumer.end_offsets(await wait_for_assignment(consumer))
        while await behind(consumer, ends):
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batch.values():
                for r in records:
                    kind = dict(r.headers or ()).get("ce_type", b"").decode()
                    if kind not in ("complaint.submitted", "complaint.recategorized"):
                        continue
                    event = json.loads(r.value)
                    data = event.get("data") or {}
                    if kind == "complaint.submitted":
                        texts[event["subject"]] = data.get("description", "")
                    else:
                        labels[event["subject"]] = data["category"]  # the latest word wins
    finally:
        await consumer.stop()
    return [
        Example(texts[cid], category, CORRECTION_WEIGHT)
        for cid, category in sorted(labels.items())
        if texts.get(cid)
    ]


def train_and_save(data_dir: Path, model_dir: Path, extra: Sequence[Example] = ()) -> TrainedModel:
    """Train on the training split (and `extra`), choose the triage threshold from the
    precision measured on the validation split, and write the artifact."""
    examples, validation = read_reports(data_dir)
    model = train([*examples, *extra])
    if validation:
        predictions = model.predict_many([e.text for e in validation])
        chosen = choose_threshold(predictions, [e.category for e in validation])
        model.triage_below = chosen.threshold
    path = save(model, model_dir)
    log.info("trained %s (%d corrections): %s", model.version, len(extra), path)
    return model


def load_or_train(data_dir: Path, model_dir: Path) -> TrainedModel:
    """The newest artifact; trained from the labelled data first if there is none, or if
    the labelled data changed after it was made (new reports reach the model by
    themselves)."""
    found = newest(model_dir)
    files = training_files(data_dir)
    changed = max((f.stat().st_mtime for f in files), default=0.0)
    if found is not None and found.stat().st_mtime >= changed:
        return load(found)
    why = "no classifier artifact" if found is None else "the labelled data is newer than"
    log.info("%s %s: training one from %s", why, found or model_dir, data_dir)
    return train_and_save(data_dir, model_dir)
