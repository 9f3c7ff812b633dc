"""Messages from the Jinja2 templates in messages.yaml, in the recipient's language."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

import jinja2
import yaml

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701 - plain text
_RAW: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(
    resources.files("kandoo.notify.domain").joinpath("messages.yaml").read_text(encoding="utf-8")
)
_TEMPLATES = {
    (name, lang): (_ENV.from_string(parts["title"]), _ENV.from_string(parts["body"]))
    for name, by_lang in _RAW.items()
    for lang, parts in by_lang.items()
}


def has_template(name: str) -> bool:
    return (name, "en") in _TEMPLATES


def render(name: str, language: str, values: Mapping[str, Any]) -> tuple[str, str]:
    """(title, body) of template `name` in `language` (English when it has no such text)."""
    title, body = _TEMPLATES.get((name, language)) or _TEMPLATES[(name, "en")]
    return title.render(**values), body.render(**values)
