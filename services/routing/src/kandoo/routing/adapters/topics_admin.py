"""Creating whatever topic of ours is missing (department feeds come and go)."""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from kandoo.events.topics import Topics


async def ensure_topics(
    bootstrap: str,
    topics: Topics,
    departments: list[str],
    partitions: int,
    replication: int = 1,
    min_insync: int = 1,
) -> None:
    """Create what is missing, with `replication` copies of which `min_insync` must have a
    write before it is acknowledged (settings: 3 and 2 on a cluster, 1 on one node)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        insync = {"min.insync.replicas": str(min_insync)}
        missing = [
            NewTopic(s.name, s.partitions, replication, topic_configs=s.config() | insync)
            for s in topics.specs(departments, partitions)
            if s.name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
