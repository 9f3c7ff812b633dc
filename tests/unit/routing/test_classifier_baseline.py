"""The keyword baseline and the emergency rules in front of any classifier."""

from __future__ import annotations

from pathlib import Path

from kandoo.events.directory import load_directory
from kandoo.routing.domain.classifier import KeywordBaselineClassifier, RuleFirst

DIRECTORY = load_directory(Path(__file__).resolve().parents[3] / "deploy/config/directory.yaml")


def test_emergency_words_decide_whatever_the_model_says() -> None:
    got = RuleFirst(DIRECTORY, KeywordBaselineClassifier()).predict(
        "มีต้นไม้ล้มทับ สายไฟขาด ห้อยลงมาบนถนน", "th"
    )
    assert (got.category, got.method, got.confidence) == ("safety", "rule", 1.0)


def test_longer_keywords_win_over_the_words_inside_them() -> None:
    got = KeywordBaselineClassifier().predict("ไฟส่องสว่างดับ เสาไฟหน้าบ้าน", "th")
    assert got.category == "streetlight"
    assert got.method == "keyword-baseline"


def test_a_text_with_no_keyword_is_other_with_no_confidence() -> None:
    got = KeywordBaselineClassifier().predict("สวัสดีครับ", "th")
    assert (got.category, got.confidence) == ("other", 0.0)
