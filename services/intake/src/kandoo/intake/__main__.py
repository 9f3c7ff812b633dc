"""`python -m kandoo.intake` (or `kandoo-intake`): serve the write API with uvicorn."""

from __future__ import annotations

import gc
import sys

from kandoo.intake.entrypoints.app import create_app
from kandoo.intake.settings import IntakeSettings
from kandoo.runtime.service import serve_http


def main() -> int:
    settings = IntakeSettings()
    app = create_app(settings)
    # Fewer young-generation collections, and none over what start-up built: they were
    # the long tail of the latency under load.
    gc.set_threshold(50_000, 20, 100)
    gc.freeze()
    return serve_http(app, settings.host, settings.port, settings.trusted_proxies)


if __name__ == "__main__":
    sys.exit(main())
