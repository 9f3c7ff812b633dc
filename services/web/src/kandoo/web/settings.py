"""The web service's settings: `KANDOO_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from kandoo.events.config import ServiceSettings

PACKAGE = Path(__file__).resolve().parent
SERVICE_ROOT = PACKAGE.parents[2]
"""services/web: package.json and the node_modules `make setup` installs."""


class WebSettings(ServiceSettings):
    port: int = Field(default=8000, validation_alias="PORT")
    host: str = "127.0.0.1"
    intake_url: str = "http://127.0.0.1:8001"
    reporting_url: str = "http://127.0.0.1:8002"
    trusted_proxies: str = "127.0.0.1"
    """Addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (the gateway's)."""
    map_tiles_url: str = ""
    """An OpenStreetMap-compatible tile URL (`https://.../{z}/{x}/{y}.png`); empty in
    development and tests: the map shows the outline and pins on a plain background."""
    map_attribution: str = "© OpenStreetMap contributors"
    vendor_dir: str = str(SERVICE_ROOT / "node_modules")
    """Where `npm ci` put htmx and Leaflet; served under /static/vendor/."""
    api_timeout_s: float = 15.0
    max_photo_bytes: int = 10 * 1024 * 1024
    """As intake's: a bigger file is refused here before it is sent on."""

    @property
    def secure_cookies(self) -> bool:
        return self.env == "production"
