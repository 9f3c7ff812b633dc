"""The pages' two languages: Thai first, English by the toggle or the browser's
`Accept-Language`; any other language falls back to English (a tourist who reads neither
reads English more often than Thai)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("th", "en")
MESSAGES_FILE = Path(__file__).with_name("messages.yaml")


@cache
def messages() -> dict[str, dict[str, str]]:
    loaded: dict[str, dict[str, str]] = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
    return loaded


def negotiate(accept_language: str | None) -> str:
    """th or en from an `Accept-Language` header: the first of th/en by preference; a
    header naming only other languages gives English; no header gives Thai."""
    if not accept_language or not accept_language.strip():
        return "th"
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if quality > 0:
            ranked.append((-quality, position, primary))
    for _, _, primary in sorted(ranked):
        if primary in LANGUAGES:
            return primary
    return "en"


def choose(explicit: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page's language: `?lang=` first, then the toggle's cookie, then the browser."""
    for asked in (explicit, cookie):
        if asked in LANGUAGES:
            return str(asked)
    return negotiate(accept_language)


@dataclass(frozen=True)
class Words:
    """The words of one language, for templates: `t("key", n=3)`."""

    language: str

    @property
    def other(self) -> str:
        return "en" if self.language == "th" else "th"

    def __call__(self, key: str, **values: Any) -> str:
        entry = messages().get(key)
        if entry is None:
            return key
        text = entry.get(self.language) or entry["en"]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in messages()
