"""`python -m kandoo.intake` (or `kandoo-intake`): serve the write API with uvicorn."""

from __future__ import annotations

import gc
import sys

import uvicorn

from kandoo.intake.entrypoints.app import create_app
from kandoo.intake.settings import IntakeSettings


def main() -> int:
    settings = IntakeSettings()
    app = create_app(settings)
    # Fewer young-generation collections, and none over what start-up built: they were
    # the long tail of the latency under load.
    gc.set_threshold(50_000, 20, 100)
    gc.freeze()
    uvicorn.run(
        app,
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
