"""`make run` starts every service at once; on a fresh broker routing creates the topics
only when it starts. Reporting started first must not sit idle until its next metadata
refresh (five minutes by default)."""

from __future__ import annotations

from kandoo.reporting.bootstrap import build
from kandoo.routing.bootstrap import build as build_routing
from tests.conftest import Servers
from tests.integration.reporting.conftest import caught_up, reporting_settings
from tests.integration.routing.conftest import Client, FakeClock, routing_settings, submit


async def test_reporting_started_before_the_topics_exist_projects_within_seconds(
    servers: Servers, unique: str
) -> None:
    reporting = build(reporting_settings(servers, unique))
    await reporting.start()  # the topics do not exist yet
    processor, _ = build_routing(routing_settings(servers, unique), clock=FakeClock())
    await processor.start()  # creates them
    client = Client(servers, processor.topics)
    await client.start()
    try:
        result = await client.call(submit())
        assert result["outcome"] == "accepted"
        await caught_up(reporting, len(result["events"]), wait_s=30)
    finally:
        await client.stop()
        await processor.stop()
        await reporting.stop()
