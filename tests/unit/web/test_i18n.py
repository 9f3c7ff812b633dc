"""The pages' language: Thai first, English by choice or by the browser, English for
everyone else; every message in both languages."""

from __future__ import annotations

import pytest

from kandoo.web.domain.i18n import Words, choose, messages, negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "th"),
        ("", "th"),
        ("th-TH,th;q=0.9,en;q=0.8", "th"),
        ("en-GB,en;q=0.9,th;q=0.5", "en"),
        ("fr-FR,fr;q=0.9", "en"),
        ("de;q=0.9,th;q=0.8", "th"),
        ("zh-CN,en;q=0.2,th;q=0.7", "th"),
        ("th;q=0", "en"),
    ],
)
def test_the_browsers_language_picks_thai_or_english(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_the_toggle_wins_over_the_browser_and_the_query_over_both() -> None:
    assert choose(None, "en", "th") == "en"
    assert choose("th", "en", "en") == "th"
    assert choose("xx", None, "en") == "en"


def test_every_message_is_in_both_languages_with_the_same_fields() -> None:
    for key, entry in messages().items():
        assert set(entry) == {"th", "en"}, key
        fields = [
            {part.split("}")[0] for part in entry[lang].split("{")[1:]} for lang in ("th", "en")
        ]
        assert fields[0] == fields[1], key
    assert Words("en")("supporters", n=3) == "3 other people see it too"
