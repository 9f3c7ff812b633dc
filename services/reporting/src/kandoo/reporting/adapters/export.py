"""Export the events of a time window for analysts: JSON lines, CSV or Parquet.

The window is found with `offsets_for_times`: a record is written after its event
happened, so the first record at or after `start` is where the window can begin; the end
is read a little past `end` (records written just after it) and every event is kept or
left out by its own `time`, so the file holds exactly the events with start <= time < end.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pymongo.asynchronous.database import AsyncDatabase

from kandoo.events.topics import Topics
from kandoo.reporting.adapters.log_reader import LogReader, Progress, Window, event_department
from kandoo.reporting.adapters.store import Doc, Meta, ReadModels
from kandoo.reporting.settings import ReportingSettings
from kandoo.runtime import personal
from kandoo.runtime.personal import KeyStore

Format = Literal["jsonl", "csv", "parquet"]
COLUMNS = (
    "id",
    "time",
    "type",
    "subject",
    "sequence",
    "department",
    "actor_id",
    "actor_role",
    "actor_department",
    "dataversion",
    "data",
)
WRITE_LAG = timedelta(minutes=5)
"""How long after an event its record may be written (routing's batches take milliseconds)."""


def row(body: dict[str, Any], department: str | None) -> dict[str, Any]:
    actor = body.get("actor") or {}
    return {
        "id": body.get("id"),
        "time": body.get("time"),
        "type": body.get("type"),
        "subject": body.get("subject"),
        "sequence": body.get("sequence"),
        "department": department,
        "actor_id": actor.get("id"),
        "actor_role": actor.get("role"),
        "actor_department": actor.get("department"),
        "dataversion": body.get("dataversion"),
        "data": json.dumps(body.get("data") or {}, ensure_ascii=False),
    }


CONTACTS = ("reporter", "supporter")
PSEUDONYMS = ("reporter_token_hash", "supporter_key", "channel_reference")
"""Fields that single a person out without naming them: left out of every export."""


async def without_personal_data(body: dict[str, Any], keys: KeyStore | None) -> dict[str, Any]:
    """The event as an analyst gets it: contacts reduced to whether the person was
    anonymous, erased, and reachable by which kinds of address; with `keys` (the flag
    that includes personal data), the still-readable contacts opened instead."""
    data = body.get("data") or {}
    if not any(f in data for f in (*CONTACTS, *PSEUDONYMS)):
        return body
    data = {k: v for k, v in data.items() if k not in PSEUDONYMS}
    for f in CONTACTS:
        if isinstance(data.get(f), dict):
            contact = data[f]
            data[f] = (
                await keys.open(str(body["subject"]), contact)
                if keys is not None
                else personal.without_personal_data(contact)
            )
    return body | {"data": data}


async def export(
    settings: ReportingSettings,
    db: AsyncDatabase[Doc],
    start: datetime,
    end: datetime,
    out: Path,
    fmt: Format = "jsonl",
    types: set[str] | None = None,
    department: str | None = None,
    progress: Progress | None = None,
    keys: KeyStore | None = None,
) -> int:
    """Write the window's events to `out`; the number written. Without personal data
    unless `keys` is given (the readable contacts are then opened with them)."""
    topics = Topics(settings.topic_prefix)
    models = ReadModels(db, await Meta(db).current())
    known: dict[str, str] = {}
    bodies: list[tuple[dict[str, Any], str | None]] = []
    read = 0
    async with LogReader(settings, [topics.events]) as reader:
        ends = await reader.ends()
        window = Window(await reader.at(start, ends), await reader.at(end + WRITE_LAG, ends))
        async for batch in reader.read(window):
            read += len(batch)
            for record in batch:
                body = json.loads(record.value)
                dept = event_department(body, known)
                at = datetime.fromisoformat(str(body["time"]))
                if start <= at < end and (not types or body.get("type") in types):
                    bodies.append((await without_personal_data(body, keys), dept))
            if progress is not None:
                progress(read, window.total)
    # An event before the routing of its complaint (the submission) belongs to the
    # department the complaint went to: the window's last word, else the read model's.
    for subject in {str(b["subject"]) for b, dept in bodies if dept is None} - known.keys():
        doc = await models["complaints"].find_one({"_id": subject}, {"department": 1})
        if doc and doc.get("department"):
            known[subject] = str(doc["department"])
    bodies = [(b, d or known.get(str(b["subject"]))) for b, d in bodies]
    if department:
        bodies = [(b, d) for b, d in bodies if d == department]
    bodies.sort(key=lambda item: (str(item[0]["time"]), str(item[0]["id"])))
    WRITERS[fmt](out, bodies)
    return len(bodies)


def _jsonl(out: Path, bodies: list[tuple[dict[str, Any], str | None]]) -> None:
    with out.open("w", encoding="utf-8") as f:
        for body, _ in bodies:
            f.write(json.dumps(body, ensure_ascii=False) + "\n")


def _csv(out: Path, bodies: list[tuple[dict[str, Any], str | None]]) -> None:
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for body, dept in bodies:
            writer.writerow(row(body, dept))


def _parquet(out: Path, bodies: list[tuple[dict[str, Any], str | None]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [row(body, dept) for body, dept in bodies]
    table = pa.table(
        {
            "id": pa.array([r["id"] for r in rows], pa.string()),
            "time": pa.array(
                [datetime.fromisoformat(str(r["time"])) for r in rows], pa.timestamp("us", "UTC")
            ),
            "type": pa.array([r["type"] for r in rows], pa.string()),
            "subject": pa.array([r["subject"] for r in rows], pa.string()),
            "sequence": pa.array([r["sequence"] for r in rows], pa.int64()),
            "department": pa.array([r["department"] for r in rows], pa.string()),
            "actor_id": pa.array([r["actor_id"] for r in rows], pa.string()),
            "actor_role": pa.array([r["actor_role"] for r in rows], pa.string()),
            "actor_department": pa.array([r["actor_department"] for r in rows], pa.string()),
            "dataversion": pa.array([r["dataversion"] for r in rows], pa.int64()),
            "data": pa.array([r["data"] for r in rows], pa.string()),
        }
    )
    pq.write_table(table, out)


WRITERS: dict[str, Callable[[Path, list[tuple[dict[str, Any], str | None]]], None]] = {
    "jsonl": _jsonl,
    "csv": _csv,
    "parquet": _parquet,
}
