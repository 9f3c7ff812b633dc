"""The web service's app: the pages, their static files, the language toggle, probes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from kandoo.runtime.observe import service_registry
from kandoo.web.bootstrap import Web, build
from kandoo.web.domain.i18n import LANGUAGES
from kandoo.web.entrypoints import public, report, staff, staff_admin, staff_auth, track
from kandoo.web.entrypoints.context import LANG_COOKIE, render, set_cookie, words_for
from kandoo.web.settings import PACKAGE, WebSettings

VENDOR_FILES = {
    "leaflet": "leaflet/dist",
    "htmx": "htmx.org/dist",
}
"""What of node_modules is served (under /static/vendor/<name>/): the libraries' dist only."""


def create_app(settings: WebSettings, web: Web | None = None) -> FastAPI:
    web = web or build(settings)
    registry = service_registry()
    pages = Counter("kandoo_web_pages", "Pages served", ["page", "status"], registry=registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await web.start()
        try:
            yield
        finally:
            await web.stop()

    app = FastAPI(
        title="Kandoo web",
        description="Citizen pages: report, track, map, transparency.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.web = web
    app.add_middleware(GZipMiddleware, minimum_size=800)
    app.mount("/static/app", StaticFiles(directory=PACKAGE / "static"), name="static")
    vendor = Path(settings.vendor_dir)
    for name, folder in VENDOR_FILES.items():
        where = vendor / folder
        if not where.is_dir():
            raise RuntimeError(f"{where} is missing: run `make setup` (npm ci in services/web)")
        app.mount(f"/static/vendor/{name}", StaticFiles(directory=where), name=f"vendor-{name}")
    app.include_router(report.router)
    app.include_router(track.router)
    app.include_router(public.router)
    app.include_router(staff_auth.router)
    app.include_router(staff.router)
    app.include_router(staff_admin.router)

    @app.middleware("http")
    async def count(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        route = request.scope.get("route")
        pages.labels(getattr(route, "path", "other"), str(response.status_code)).inc()
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path.startswith("/staff"):
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.get("/lang/{language}")
    async def switch_language(request: Request, language: str, next: str = "/") -> Response:
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        if language in LANGUAGES:
            set_cookie(request, response, LANG_COOKIE, language)
        return response

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        ok = await web.ready()
        return JSONResponse({"ready": ok}, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(staff_auth.NeedLogin)
    async def need_login(request: Request, exc: staff_auth.NeedLogin) -> Response:
        return staff_auth.login_redirect(exc)

    @app.exception_handler(staff_auth.Refused)
    async def refused(request: Request, exc: staff_auth.Refused) -> Response:
        """A 403 page in the staff member's language (404 and 503 as their own)."""
        status = {"not_found_title": 404, "service_unavailable": 503}.get(exc.reason, 403)
        if exc.me is not None:  # signed in: the page keeps the console's navigation
            values = exc.me.values(reason=exc.reason)
            return render(request, "staff/refused.html", exc.me.words, values, status)
        values = {"reason": exc.reason, "me": None, "csrf": ""}
        return render(request, "staff/refused.html", words_for(request), values, status)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        words = words_for(request)
        if exc.status_code == 404:
            return render(request, "error.html", words, {"message": words("not_found_title")}, 404)
        return render(request, "error.html", words, {"message": exc.detail}, exc.status_code)

    return app
