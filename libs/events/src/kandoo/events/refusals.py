"""Refusals: why `decide` said no, with a code, an HTTP status and Thai and English text.

The texts live in `refusals.yaml` beside this module, not in code.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

_MESSAGES: dict[str, dict[str, Any]] = yaml.safe_load(
    resources.files("kandoo.events").joinpath("refusals.yaml").read_text(encoding="utf-8")
)
REFUSAL_CODES = frozenset(_MESSAGES)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A command the lifecycle does not allow, and why."""

    code: str
    message_th: str
    message_en: str
    http_status: int

    def message(self, language: str) -> str:
        return self.message_th if language == "th" else self.message_en


def refuse(code: str, **params: object) -> Refusal:
    """The refusal `code` with its texts filled in from `params`."""
    entry = _MESSAGES[code]
    return Refusal(
        code=code,
        message_th=str(entry["th"]).format(**params),
        message_en=str(entry["en"]).format(**params),
        http_status=int(entry["http"]),
    )
