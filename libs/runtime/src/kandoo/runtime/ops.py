"""`kandoo-ops`: what an operator does by hand.

    kandoo-ops dlq list complaints.events          # the dead letters of a topic
    kandoo-ops dlq list complaints.events --json   # one JSON object per line
    kandoo-ops dlq replay complaints.commands      # put them back where they came from
    kandoo-ops dlq replay complaints.events --offset 3 --offset 7

A dead letter keeps its record's key and value as they were, and headers saying the error,
the source topic, partition and offset, the service that gave up and when
(`kandoo.runtime.poison`). Replaying sends the record again to its source topic, keyed as
before, with a `replayed_from` header; consumers are idempotent (command ids, event
sequences), so a record replayed twice is applied once. Settings as the services':
`KANDOO_KAFKA_BOOTSTRAP`, `KANDOO_TOPIC_PREFIX`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from kandoo.events.config import ServiceSettings
from kandoo.events.topics import DLQ_SUFFIX, dlq_topic


@dataclass(frozen=True)
class DeadLetter:
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    def summary(self) -> dict[str, Any]:
        h = self.headers
        return {
            "offset": self.offset,
            "key": (self.key or b"").decode(errors="replace"),
            "source": f"{h.get('source_topic', '?')}[{h.get('source_partition', '?')}]"
            f"@{h.get('source_offset', '?')}",
            "service": h.get("service"),
            "failed_at": h.get("failed_at"),
            "error": h.get("error"),
            "bytes": len(self.value),
            "replayed_from": h.get("replayed_from"),
        }


def dlq_name(prefix: str, topic: str) -> str:
    """The dead-letter topic of `topic` (given with or without the prefix or `.dlq`)."""
    name = topic if topic.startswith(prefix) else f"{prefix}{topic}"
    return name if name.endswith(DLQ_SUFFIX) else dlq_topic(name)


async def dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    """Every record of a dead-letter topic now, from the beginning to its end."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        fetch_max_bytes=8 * 2**20,
        max_partition_fetch_bytes=8 * 2**20,
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[DeadLetter] = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for r in records:
                    headers = {k: v.decode(errors="replace") for k, v in r.headers}
                    out.append(DeadLetter(r.offset, r.key, r.value or b"", headers))
        return sorted(out, key=lambda d: d.offset)
    finally:
        await consumer.stop()


async def replay(bootstrap: str, letters: list[DeadLetter], dlq: str) -> int:
    """Each dead letter back to its source topic; the number sent."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, max_request_size=8 * 2**20
    )
    await producer.start()
    try:
        for letter in letters:
            source = letter.headers.get("source_topic") or dlq.removesuffix(DLQ_SUFFIX)
            headers = [("replayed_from", f"{dlq}@{letter.offset}".encode())]
            await producer.send_and_wait(source, letter.value, letter.key, headers=headers)
    finally:
        await producer.stop()
    return len(letters)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kandoo-ops", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="area", required=True)
    dlq = sub.add_parser("dlq", help="dead letters: list them, replay them after a fix")
    verbs = dlq.add_subparsers(dest="verb", required=True)
    listing = verbs.add_parser("list", help="the dead letters of a topic")
    listing.add_argument("topic", help="e.g. complaints.events (its .dlq is read)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    again = verbs.add_parser("replay", help="send dead letters back to their source topic")
    again.add_argument("topic")
    again.add_argument("--offset", type=int, action="append", help="only these (repeatable)")
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    topic = dlq_name(settings.topic_prefix, args.topic)
    letters = asyncio.run(dead_letters(settings.kafka_bootstrap, topic))
    if args.verb == "list":
        for letter in letters:
            line = letter.summary()
            if args.json:
                print(json.dumps(line, ensure_ascii=False))
            else:
                print(
                    f"{line['offset']:>6}  {line['source']}  {line['service']}  "
                    f"{line['failed_at']}  {line['error']}"
                )
        print(f"{len(letters)} dead letters in {topic}", file=sys.stderr)
        return 0
    chosen = [d for d in letters if not args.offset or d.offset in args.offset]
    sent = asyncio.run(replay(settings.kafka_bootstrap, chosen, topic))
    print(f"{sent} dead letters of {topic} replayed to their source topics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
