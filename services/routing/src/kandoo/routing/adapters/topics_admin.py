"""Creating whatever topic of ours is missing (department feeds come and go)."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from kandoo.events.topics import Topics
from kandoo.runtime.poison import TRANSIENT


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
        existing = set(await _listed(admin))
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


async def _listed(admin: AIOKafkaAdminClient, wait_s: float = 60.0) -> list[str]:
    """The cluster's topics; a broker still starting (or just back) is waited for."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        try:
            return list(await admin.list_topics())
        except TRANSIENT:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.5)
