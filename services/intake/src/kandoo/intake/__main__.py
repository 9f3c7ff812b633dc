"""`python -m kandoo.intake` (or `kandoo-intake`): serve the write API with uvicorn."""

from __future__ import annotations

import sys

from kandoo.intake.entrypoints.app import create_app
from kandoo.intake.settings import IntakeSettings
from kandoo.runtime.heap import settle_heap
from kandoo.runtime.service import configure_logging, serve_http


def main() -> int:
    configure_logging("intake")
    settings = IntakeSettings()
    app = create_app(settings)
    settle_heap()  # collections were the long tail of the latency under load
    return serve_http(app, settings.host, settings.port, settings.trusted_proxies)


if __name__ == "__main__":
    sys.exit(main())
