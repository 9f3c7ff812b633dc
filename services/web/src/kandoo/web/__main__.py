"""`python -m kandoo.web` (or `kandoo-web`): serve the pages with uvicorn."""

from __future__ import annotations

import sys

import uvicorn

from kandoo.runtime.service import configure_logging
from kandoo.web.entrypoints.app import create_app
from kandoo.web.settings import WebSettings


def main() -> int:
    configure_logging()
    settings = WebSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
