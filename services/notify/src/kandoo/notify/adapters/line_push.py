"""LINE push messages through line-bot-sdk's Messaging API client, each with the
`X-Line-Retry-Key` LINE documents for safe retries: a UUID derived from the delivery's id,
so every attempt of one delivery (a retry after a timeout, or after notify was killed
mid-send) carries the same key and LINE shows the message once; LINE answers a repeat of
an accepted key with 409, which means it was sent."""

from __future__ import annotations

import uuid
from urllib.parse import unquote

from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    PushMessageRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException

SCHEME = "line-push"
"""`line-push://<LINE user id>`: the address notify gives a reporter who came by LINE."""
KEYS = uuid.UUID("6b616e64-6f6f-4c49-8e45-707573680001")
"""The namespace of retry keys (uuid5 of the delivery id)."""
MAX_TEXT = 5000


def retry_key(delivery_id: str) -> str:
    return str(uuid.uuid5(KEYS, delivery_id))


class LinePusher:
    def __init__(self, api_url: str, access_token: str) -> None:
        self.api_url, self._token = api_url.rstrip("/"), access_token
        self._client: AsyncApiClient | None = None  # made on first use: it needs the loop
        self._api: AsyncMessagingApi | None = None

    def _messaging(self) -> AsyncMessagingApi:
        if self._api is None:
            self._client = AsyncApiClient(Configuration(access_token=self._token))
            self._api = AsyncMessagingApi(self._client)
            self._api.line_base_path = self.api_url
        return self._api

    async def push(self, url: str, body: str, delivery_id: str) -> tuple[bool, str | None]:
        user_id = unquote(url.split("://", 1)[1]).strip("/")
        request = PushMessageRequest(to=user_id, messages=[TextMessage(text=body[:MAX_TEXT])])
        try:
            await self._messaging().push_message(request, x_line_retry_key=retry_key(delivery_id))
        except ApiException as exc:
            if exc.status == 409:  # this retry key was accepted before: it was sent
                return True, None
            return False, f"LINE answered {exc.status}"
        return True, None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
