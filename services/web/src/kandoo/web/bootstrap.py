"""`build(settings)`: the web service's parts, wired once; `start()`/`stop()`/`ready()`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import httpx
from pymongo import AsyncMongoClient

from kandoo.events.directory import Directory, load_directory
from kandoo.web.adapters.accounts import Accounts, Doc, Sessions
from kandoo.web.adapters.apis import IntakeApi, ReportingApi
from kandoo.web.domain.staff import Throttle
from kandoo.web.settings import WebSettings


@dataclass
class Web:
    settings: WebSettings
    directory: Directory
    intake: IntakeApi
    reporting: ReportingApi
    clients: tuple[httpx.AsyncClient, ...]
    mongo: AsyncMongoClient[Doc]
    accounts: Accounts
    sessions: Sessions

    async def start(self) -> None:
        """Nothing to open: the HTTP clients and the database connect on first use."""

    async def stop(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients))
        await self.mongo.close()

    async def ready(self) -> bool:
        """Ready when both APIs answer their readiness probes."""
        found = await asyncio.gather(self.intake.ready(), self.reporting.ready())
        return all(found)


def build(settings: WebSettings) -> Web:
    timeout = httpx.Timeout(settings.api_timeout_s, connect=3.0)
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
    intake = httpx.AsyncClient(base_url=settings.intake_url, timeout=timeout, limits=limits)
    reporting = httpx.AsyncClient(base_url=settings.reporting_url, timeout=timeout, limits=limits)
    mongo: AsyncMongoClient[Doc] = AsyncMongoClient(settings.mongodb_url, tz_aware=True)
    db = mongo[settings.mongodb_db]
    throttle = Throttle(
        settings.lockout_after,
        timedelta(minutes=settings.lockout_minutes),
        timedelta(seconds=settings.login_delay_s),
    )
    lifetime = timedelta(hours=settings.session_hours)
    return Web(
        settings,
        load_directory(settings.directory),
        IntakeApi(intake),
        ReportingApi(reporting),
        (intake, reporting),
        mongo,
        Accounts(db, throttle),
        Sessions(db, lifetime, timedelta(minutes=settings.idle_minutes)),
    )
