"""Caller-facing texts in Thai and English (texts live in messages.yaml)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

_TEXTS: dict[str, dict[str, str]] = yaml.safe_load(
    resources.files("kandoo.intake.domain").joinpath("messages.yaml").read_text(encoding="utf-8")
)


def text(code: str, language: str, **params: Any) -> str:
    entry = _TEXTS[code]
    return entry.get(language, entry["en"]).format(**params)


def language_of(accept_language: str | None, explicit: str | None = None) -> str:
    """th or en: the request's own `language` first, then Accept-Language, else Thai."""
    if explicit in ("th", "en"):
        return explicit
    if accept_language:
        first = accept_language.split(",")[0].strip().lower()
        if first.startswith("en"):
            return "en"
    return "th"
