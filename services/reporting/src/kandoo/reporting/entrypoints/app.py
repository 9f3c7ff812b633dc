"""Reporting's query API: complaints, tracking, department queues and statistics,
department health, public statistics, hotspots, and Open311 GeoReport v2 reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kandoo.reporting.bootstrap import Reporting, build
from kandoo.reporting.entrypoints import complaints, departments, open311, operations, public
from kandoo.reporting.entrypoints.deps import ApiError
from kandoo.reporting.settings import ReportingSettings
from kandoo.runtime import open311 as o311

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
    async def _api_error(request: Request, exc: ApiError) -> Response:
        path = request.url.path
        if path.startswith("/open311/"):
            described = f"{exc.message}: {exc.fields[0]['field']}" if exc.fields else exc.message
            return o311.error(exc.status, described, o311.format_of(path))
        body = {"code": exc.code, "message": exc.message, "fields": exc.fields}
        return JSONResponse(body, exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        path, errors = request.url.path, exc.errors()
        where = [".".join(str(p) for p in e["loc"] if p not in ("query", "path")) for e in errors]
        if path.startswith("/open311/"):  # the spec's answer to a bad parameter is 400
            text = "; ".join(f"{w}: {e['msg']}" for w, e in zip(where, errors, strict=True))
            return o311.error(400, text, o311.format_of(path))
        fields = [{"field": w, "reason": e["msg"]} for w, e in zip(where, errors, strict=True)]
        return JSONResponse(
            {"code": "invalid", "message": "Invalid request", "fields": fields}, 422
        )

    return app
