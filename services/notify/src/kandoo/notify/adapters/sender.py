"""Sending one message through Apprise, with a timeout."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, quote, unquote, urlsplit

import apprise

from kandoo.notify.adapters import tls
from kandoo.notify.adapters.line_push import SCHEME as LINE_SCHEME
from kandoo.notify.adapters.line_push import LinePusher
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
    """Apprise, one notification at a time, with a timeout; (ok, reason). LINE pushes
    (`line-push://`) go through line-bot-sdk instead, with the delivery's retry key."""

    def __init__(self, timeout_s: float, relay: str = "", line: LinePusher | None = None) -> None:
        self.timeout_s, self.relay, self.line = timeout_s, relay, line
        tls.install()  # no CA bundle parsed for plain SMTP (kandoo.notify.adapters.tls)

    async def send(
        self, url: str, title: str, body: str, delivery_id: str = ""
    ) -> tuple[bool, str | None]:
        if scheme(url) == LINE_SCHEME:
            return await self._push(url, body, delivery_id)
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

    async def _push(self, url: str, body: str, delivery_id: str) -> tuple[bool, str | None]:
        if self.line is None:
            return False, "LINE is not connected (KANDOO_LINE_CHANNEL_ACCESS_TOKEN)"
        try:
            return await asyncio.wait_for(self.line.push(url, body, delivery_id), self.timeout_s)
        except TimeoutError:
            return False, f"no answer from LINE within {self.timeout_s:.0f}s"

    async def close(self) -> None:
        if self.line is not None:
            await self.line.close()
