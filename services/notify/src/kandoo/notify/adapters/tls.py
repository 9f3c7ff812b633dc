"""Apprise's e-mail plugin reads the system's CA bundle only when it makes a TLS connection.

Apprise 2.2 (`apprise.plugins.email.smtp`) calls `ssl.create_default_context()` for every
SMTP connection, plain ones included. That parses ~140 CA certificates: ~20 ms of CPU
per e-mail here, 70% of notify's CPU under load, spent for nothing on a plain-SMTP
relay (`make run`'s mail catcher, an internal relay). `install()` gives that module a
context that loads the same CAs when it is first used to wrap a socket: TLS connections
(SMTPS, STARTTLS) are verified exactly as before, plain ones pay nothing.
"""

from __future__ import annotations

import logging
import ssl
from types import ModuleType
from typing import Any

log = logging.getLogger("kandoo.notify")


class LazyCAContext(ssl.SSLContext):
    """`ssl.create_default_context()` for a server's certificate, with the default CAs
    loaded at the first `wrap_socket` rather than at creation."""

    _cas_loaded = False

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        if not self._cas_loaded and self.verify_mode != ssl.CERT_NONE:
            self.load_default_certs(ssl.Purpose.SERVER_AUTH)
            self._cas_loaded = True
        return super().wrap_socket(*args, **kwargs)


class _SSLForApprise(ModuleType):
    """The `ssl` module as apprise's SMTP code sees it: the same, but for the context."""

    def __getattr__(self, name: str) -> Any:
        return getattr(ssl, name)

    @staticmethod
    def create_default_context(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        if args or kwargs:  # a purpose or CA files: not what apprise asks; do as asked
            return ssl.create_default_context(*args, **kwargs)
        return LazyCAContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, check_hostname


def install() -> bool:
    """Give apprise's SMTP module the lazy context; False (logged) if its layout changed."""
    from apprise.plugins.email import smtp

    current = getattr(smtp, "ssl", None)
    if isinstance(current, _SSLForApprise):
        return True
    if current is not ssl or not hasattr(smtp, "AppriseSMTPController"):
        log.warning("apprise's SMTP module is not as expected: every e-mail loads the CAs")
        return False
    smtp.ssl = _SSLForApprise("ssl")  # type: ignore[attr-defined]
    return True
