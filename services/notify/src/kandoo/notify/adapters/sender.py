"""Sending one message through Apprise, with a timeout."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, quote, unquote, urlsplit

import apprise

from kandoo.notify.adapters import tls
from kandoo.notify.domain.delivery import scheme


def via_relay(url: str, relay: str) -> str:
    """An e-mail URL sent through a development SMTP catcher instead, to the same address;
    other URLs unchanged."""
    if scheme(url) not in ("mailto", "mailtos"):
        return url
    parts = urlsplit(url)
    to = parse_qs(parts.query).get("to")
    address = to[0] if to else f"{unquote(parts.username or '')}@{parts.hostname or ''}"
    return f"mailto://{relay}?from=kandoo-dev@huahin.example&to={quote(address, safe='@')}"


class Sender:
    """Apprise, one notification at a time, with a timeout; (ok, reason)."""

    def __init__(self, timeout_s: float, relay: str = "") -> None:
        self.timeout_s, self.relay = timeout_s, relay
        tls.install()  # no CA bundle parsed for plain SMTP (kandoo.notify.adapters.tls)

    async def send(self, url: str, title: str, body: str) -> tuple[bool, str | None]:
        if self.relay:
            url = via_relay(url, self.relay)
        target = apprise.Apprise()
        if not target.add(url):
            return False, f"not an Apprise URL this build supports: {scheme(url)}://"
        try:
            ok = await asyncio.wait_for(target.async_notify(title=title, body=body), self.timeout_s)
        except TimeoutError:
            return False, f"no answer within {self.timeout_s:.0f}s"
        return (True, None) if ok else (False, f"{scheme(url)} sink refused or failed")
