"""`python -m kandoo.web` (or `kandoo-web`): serve the pages with uvicorn."""

from __future__ import annotations

import sys

from kandoo.runtime.service import configure_logging, serve_http
from kandoo.web.entrypoints.app import create_app
from kandoo.web.settings import WebSettings


def main() -> int:
    configure_logging()
    settings = WebSettings()
    app = create_app(settings)
    return serve_http(app, settings.host, settings.port, settings.trusted_proxies)


if __name__ == "__main__":
    sys.exit(main())
