"""A report by LINE chat, as a conversation per LINE user: pure, no I/O.

Text starts a report (more text adds to it); the bot asks for the location with LINE's
location button, and accepts a location message at any time (its address becomes the
address text); then up to five photos with camera and camera-roll buttons; "ส่งเรื่องเลย" /
"send" (or the fifth photo) submits. "ยกเลิก" / "cancel" ends the conversation. The
language follows the user's messages: Thai unless they write English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

MAX_PHOTOS = 5
MAX_DESCRIPTION = 4000
CANCEL_WORDS = frozenset({"ยกเลิก", "cancel", "stop"})
SEND_WORDS = frozenset({"ส่งเรื่องเลย", "ส่งเลย", "ส่ง", "send now", "send", "done", "ไม่มีรูป"})
THAI = re.compile("[\u0e00-\u0e7f]")
LATIN = re.compile("[A-Za-z]")

Step = Literal["location", "description", "photos"]


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    address: str | None = None


@dataclass(frozen=True)
class Conversation:
    """What one LINE user has told us so far of the report they are making."""

    user_id: str
    language: str = "th"
    description: str = ""
    place: Place | None = None
    photos: tuple[str, ...] = ()
    started_at: datetime | None = None

    def to_doc(self) -> dict[str, Any]:
        place = self.place
        return {
            "language": self.language,
            "description": self.description,
            "place": None if place is None else [place.lat, place.lon, place.address],
            "photos": list(self.photos),
            "started_at": self.started_at,
        }

    @classmethod
    def from_doc(cls, user_id: str, doc: dict[str, Any]) -> Conversation:
        raw = doc.get("place")
        place = Place(float(raw[0]), float(raw[1]), raw[2]) if raw else None
        return cls(
            user_id=user_id,
            language=str(doc.get("language") or "th"),
            description=str(doc.get("description") or ""),
            place=place,
            photos=tuple(doc.get("photos") or ()),
            started_at=doc.get("started_at"),
        )


@dataclass(frozen=True)
class Reply:
    """One message back: a words key (with values) and the quick-reply buttons to offer."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    """What one message does: the conversation after it (None: ended), the replies, and
    whether the report is complete and must be submitted now."""

    conversation: Conversation | None
    replies: tuple[Reply, ...] = ()
    submit: bool = False
    refused_outside: bool = False


def language_of(text: str, current: str) -> str:
    """Thai unless they write English (Latin letters and no Thai)."""
    if THAI.search(text):
        return "th"
    if LATIN.search(text):
        return "en"
    return current


def _next_question(c: Conversation) -> Turn:
    if c.place is None:
        return Turn(c, (Reply("line_ask_location", buttons=("location", "cancel")),))
    if not c.description:
        return Turn(c, (Reply("line_ask_description"),))
    return Turn(c, (Reply("line_ask_photos", buttons=("camera", "roll", "send", "cancel")),))


def _fresh(user_id: str, now: datetime, language: str = "th") -> Conversation:
    return Conversation(user_id=user_id, language=language, started_at=now)


def on_text(c: Conversation | None, user_id: str, text: str, now: datetime) -> Turn:
    words = text.strip()
    language = language_of(words, c.language if c else "th")
    if words.lower() in CANCEL_WORDS:
        return Turn(None, (Reply("line_cancelled"),) if c else ())
    if c is not None and words.lower() in SEND_WORDS:
        c = replace(c, language=language)
        if c.place is not None and c.description:
            return Turn(c, submit=True)
        return _next_question(c)
    c = c or _fresh(user_id, now, language)
    joined = f"{c.description}\n{words}" if c.description else words
    return _next_question(replace(c, language=language, description=joined[:MAX_DESCRIPTION]))


def on_location(
    c: Conversation | None, user_id: str, place: Place, inside: bool, now: datetime
) -> Turn:
    c = c or _fresh(user_id, now)
    if not inside:
        again = Reply("line_ask_location", buttons=("location", "cancel"))
        return Turn(c, (Reply("outside_jurisdiction"), again), refused_outside=True)
    return _next_question(replace(c, place=place))


def on_photo(c: Conversation | None, user_id: str, sha256: str | None, now: datetime) -> Turn:
    c = c or _fresh(user_id, now)
    if sha256 is None:
        return Turn(c, (Reply("line_photo_failed"),))
    photos = c.photos if sha256 in c.photos else (*c.photos, sha256)
    c = replace(c, photos=photos[:MAX_PHOTOS])
    if len(c.photos) >= MAX_PHOTOS and c.place is not None and c.description:
        return Turn(c, submit=True)
    if c.place is None or not c.description:
        return _next_question(c)
    buttons = ("camera", "roll", "send", "cancel")
    return Turn(c, (Reply("line_photo_received", {"n": len(c.photos)}, buttons),))
