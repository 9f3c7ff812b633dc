"""`make run` starts every service at once; on a fresh broker routing creates the topics
only when it starts. Notify started first must not sit idle until its next metadata
refresh (five minutes by default)."""

from __future__ import annotations

from pathlib import Path

from kandoo.notify.bootstrap import build
from tests.conftest import Servers
from tests.integration.notify.conftest import (
    SmtpSink,
    WebhookSink,
    drop_database,
    eventually,
    notify_settings,
)
from tests.integration.notify.test_notify import _assert, submit_en
from tests.integration.routing.conftest import running_routing


async def test_notify_started_before_the_topics_exist_tells_the_admins_within_seconds(
    servers: Servers, unique: str, sink_directory: tuple[SmtpSink, WebhookSink, Path]
) -> None:
    smtp, web, directory = sink_directory
    await web.start()
    settings = notify_settings(servers, unique, directory, smtp.port)
    notifier = build(settings)
    await notifier.start()  # the topics do not exist yet
    try:
        async with running_routing(servers, unique) as (_, client):  # creates them
            complaint = submit_en("early@example.com")
            assert (await client.call(complaint))["outcome"] == "accepted"
            await eventually(lambda: _assert(len(web.to("eng-admin-1")) == 1), wait_s=30)
            assert web.to("eng-admin-1")[0]["title"] == f"เรื่องใหม่ {complaint.tracking_code}"
    finally:
        await notifier.stop()
        await drop_database(settings)
        await web.stop()
