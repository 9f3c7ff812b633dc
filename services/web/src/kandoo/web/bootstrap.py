"""`build(settings)`: the web service's parts, wired once; `start()`/`stop()`/`ready()`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from kandoo.events.directory import Directory, load_directory
from kandoo.web.adapters.apis import IntakeApi, ReportingApi
from kandoo.web.settings import WebSettings


@dataclass
class Web:
    settings: WebSettings
    directory: Directory
    intake: IntakeApi
    reporting: ReportingApi
    clients: tuple[httpx.AsyncClient, ...]

    async def start(self) -> None:
        """Nothing to open: the HTTP clients connect on first use."""

    async def stop(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients))

    async def ready(self) -> bool:
        """Ready when both APIs answer their readiness probes."""
        found = await asyncio.gather(self.intake.ready(), self.reporting.ready())
        return all(found)


def build(settings: WebSettings) -> Web:
    timeout = httpx.Timeout(settings.api_timeout_s, connect=3.0)
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
    intake = httpx.AsyncClient(base_url=settings.intake_url, timeout=timeout, limits=limits)
    reporting = httpx.AsyncClient(base_url=settings.reporting_url, timeout=timeout, limits=limits)
    return Web(
        settings,
        load_directory(settings.directory),
        IntakeApi(intake),
        ReportingApi(reporting),
        (intake, reporting),
    )
