"""`make run` starts every service at once; on a fresh broker routing creates the topics
only when it starts. Reporting started first must not sit idle until its next metadata
refresh (five minutes by default)."""

from __future__ import annotations

from kandoo.reporting.bootstrap import build
from tests.conftest import Servers
from tests.integration.reporting.conftest import caught_up, reporting_settings
from tests.integration.routing.conftest import running_routing, submit


async def test_reporting_started_before_the_topics_exist_projects_within_seconds(
    servers: Servers, unique: str
) -> None:
    reporting = build(reporting_settings(servers, unique))
    await reporting.start()  # the topics do not exist yet
    try:
        async with running_routing(servers, unique) as (_, client):  # creates them
            result = await client.call(submit())
            assert result["outcome"] == "accepted"
            await caught_up(reporting, len(result["events"]), wait_s=30)
    finally:
        await reporting.stop()
