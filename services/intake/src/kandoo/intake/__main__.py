"""`python -m kandoo.intake` (or `kandoo-intake`): serve the write API with uvicorn."""

from __future__ import annotations

import sys

import uvicorn

from kandoo.intake.entrypoints.app import create_app
from kandoo.intake.settings import IntakeSettings


def main() -> int:
    settings = IntakeSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        proxy_headers=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
