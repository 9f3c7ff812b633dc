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

    mongodb_db: str = "kandoo_web"
    """The web service's own database: staff accounts and their sessions."""
    session_hours: float = 10.0
    """A staff session ends this long after login (a working day), or at logout."""
    idle_minutes: float = 60.0
    """...or after this long without a page."""
    staff_token_minutes: float = 15.0
    """Lifetime of the token the console mints for each call to intake and reporting."""
    lockout_after: int = 5
    """Failed logins in a row that lock an account (the clerk unlocks it, or time does)."""
    lockout_minutes: float = 15.0
    login_delay_s: float = 1.0
    """The wait after a first failed login; it doubles with each failure (at most 30 s)."""

    @property
    def secure_cookies(self) -> bool:
        return self.env == "production"

    @property
    def secure_staff_cookies(self) -> bool:
        """The staff session cookie is Secure everywhere but development (browsers keep
        Secure cookies of http://127.0.0.1, so tests run with it too)."""
        return self.env != "development"
