"""LINE's platform as intake uses it: replies through line-bot-sdk's Messaging API client,
image content from the data API; and what intake keeps of LINE chats in MongoDB (each
user's conversation, with its expiry checked on read: FerretDB has no TTL index; and the
webhook events already worked, by `webhookEventId`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    CameraAction,
    CameraRollAction,
    Configuration,
    LocationAction,
    MessageAction,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException
from pymongo.asynchronous.database import AsyncDatabase

from kandoo.intake.domain.line_talk import Conversation

MAX_CONTENT_BYTES = 10 * 1024 * 1024


class LineUnavailable(Exception):
    """LINE's API did not answer as it should."""


def buttons(labels: dict[str, str], wanted: tuple[str, ...]) -> QuickReply | None:
    """LINE quick-reply buttons: location, camera, camera roll, send, cancel."""
    if not wanted:
        return None
    make = {
        "location": lambda: LocationAction(label=labels["location"]),
        "camera": lambda: CameraAction(label=labels["camera"]),
        "roll": lambda: CameraRollAction(label=labels["roll"]),
        "send": lambda: MessageAction(label=labels["send"], text=labels["send"]),
        "cancel": lambda: MessageAction(label=labels["cancel"], text=labels["cancel"]),
    }
    return QuickReply(items=[QuickReplyItem(action=make[w]()) for w in wanted])


class LinePlatform:
    def __init__(self, api_url: str, data_api_url: str, access_token: str) -> None:
        self._client = AsyncApiClient(Configuration(access_token=access_token))
        self._api = AsyncMessagingApi(self._client)
        self._api.line_base_path = api_url.rstrip("/")  # LINE's own host unless told
        self._data = httpx.AsyncClient(
            base_url=data_api_url.rstrip("/"),
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=httpx.Timeout(10.0, connect=3.0),
        )

    async def reply(self, reply_token: str, messages: list[TextMessage]) -> None:
        """Answer a webhook event (its reply token is single-use and short-lived)."""
        try:
            await self._api.reply_message(
                ReplyMessageRequest(reply_token=reply_token, messages=messages[:5])
            )
        except ApiException as exc:
            raise LineUnavailable(f"reply refused: {exc.status}") from exc

    async def content(self, message_id: str) -> bytes:
        """The bytes of an image the user sent (fetched at once: LINE keeps them briefly)."""
        try:
            answer = await self._data.get(f"/v2/bot/message/{message_id}/content")
        except httpx.HTTPError as exc:
            raise LineUnavailable(str(exc)) from exc
        if answer.status_code != 200 or len(answer.content) > MAX_CONTENT_BYTES:
            raise LineUnavailable(f"content answer {answer.status_code}")
        return answer.content

    async def close(self) -> None:
        await self._client.close()
        await self._data.aclose()


class LineChats:
    """Each LINE user's conversation, and the webhook events already worked for them, in
    one document: a conversation and the event that moved it are written together, so an
    event read again after a crash is recognised and not worked twice."""

    KEEP_EVENTS = 50

    def __init__(self, db: AsyncDatabase[dict[str, Any]], lifetime: timedelta) -> None:
        self._conversations = db["line_conversations"]
        self.lifetime = lifetime

    async def load(self, user_id: str, now: datetime) -> tuple[Conversation | None, list[str]]:
        """The user's conversation (None: none going) and the ids of events worked."""
        found = await self._conversations.find_one({"_id": user_id})
        if found is None:
            return None, []
        expires = found.get("expires_at")
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=now.tzinfo)
        if expires is None or expires <= now:
            await self._conversations.delete_one({"_id": user_id})
            return None, []
        events = [str(e) for e in found.get("events") or []]
        if found.get("finished"):
            return None, events
        return Conversation.from_doc(user_id, found), events

    async def keep(
        self, user_id: str, conversation: Conversation | None, events: list[str], now: datetime
    ) -> None:
        """The conversation after an event (None: finished or cancelled), with that event."""
        state = conversation.to_doc() if conversation else {"finished": True}
        doc = state | {"events": events[-self.KEEP_EVENTS :], "expires_at": now + self.lifetime}
        await self._conversations.replace_one({"_id": user_id}, doc, upsert=True)
