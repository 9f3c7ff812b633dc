"""Reporting's query API: complaints, tracking, department queues and statistics,
department health, public statistics, hotspots, and Open311 GeoReport v2 reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kandoo.reporting.bootstrap import Reporting, build
from kandoo.reporting.entrypoints import complaints, departments, open311, operations, public
from kandoo.reporting.entrypoints.deps import ApiError
from kandoo.reporting.settings import ReportingSettings

ROUTERS = (complaints, departments, public, open311, operations)


def create_app(settings: ReportingSettings | None = None, r: Reporting | None = None) -> FastAPI:
    found = r or build(settings or ReportingSettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.reporting = found
        if r is None:  # built here, so run here
            await found.start()
        try:
            yield
        finally:
            if r is None:
                await found.stop()

    name = found.directory.municipality.name_en
    app = FastAPI(
        title="Kandoo reporting",
        version="1",
        description=f"Read models of {name}'s complaints: queues, statistics, hotspots, "
        "and Open311 GeoReport v2 reads. Errors: {code, message, fields}, in the language "
        "of Accept-Language (Thai unless it asks for English).",
        lifespan=lifespan,
    )
    app.state.reporting = found
    for module in ROUTERS:
        app.include_router(module.router)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        if request.url.path.startswith("/open311/"):
            return JSONResponse([{"code": exc.status, "description": exc.message}], exc.status)
        body = {"code": exc.code, "message": exc.message, "fields": exc.fields}
        return JSONResponse(body, exc.status)

    return app
