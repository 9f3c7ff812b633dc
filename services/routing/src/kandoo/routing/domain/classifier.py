"""The classifier interface routing depends on, and a keyword baseline behind it.

`KeywordBaselineClassifier` is a stand-in, named as such, until the trained model of the
classifier issue plugs in behind the same `Classifier.predict`. Directory keyword rules
(emergencies) win over any model and are recorded as `method: rule`.
"""

from __future__ import annotations

import re
from collections import Counter
from importlib import resources
from typing import Protocol

import yaml

from kandoo.events.directory import Directory
from kandoo.events.values import Classification


class Classifier(Protocol):
    def predict(self, text: str, language: str) -> Classification:
        """Category, calibrated confidence and model version for a report's text."""
        ...


class RuleFirst:
    """Directory keyword rules first, then the wrapped classifier."""

    def __init__(self, directory: Directory, inner: Classifier) -> None:
        self._rules = [(r.category, tuple(k.lower() for k in r.keywords)) for r in directory.rules]
        self._inner = inner

    @property
    def triage_below(self) -> float | None:
        """The wrapped classifier's measured triage threshold, if it has one."""
        return getattr(self._inner, "triage_below", None)

    def predict(self, text: str, language: str) -> Classification:
        lowered = text.lower()
        for category, keywords in self._rules:
            if any(k in lowered for k in keywords):
                return Classification(
                    category=category,
                    confidence=1.0,
                    model_version="directory-rules",
                    method="rule",
                )
        return self._inner.predict(text, language)


class KeywordBaselineClassifier:
    """Counts category keywords in the text: a baseline, not the product's classifier."""

    VERSION = "keyword-baseline-1"

    def __init__(self, keywords: dict[str, list[str]] | None = None) -> None:
        if keywords is None:
            raw = resources.files("kandoo.routing.domain").joinpath("baseline_keywords.yaml")
            keywords = yaml.safe_load(raw.read_text(encoding="utf-8"))
        self._category_of = {w.lower(): cat for cat, words in keywords.items() for w in words}
        # Longest first, so "ไฟถนน" counts for street lights before "ถนน" counts for roads.
        alternatives = sorted(self._category_of, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(w) for w in alternatives))

    def predict(self, text: str, language: str) -> Classification:
        scores = Counter(self._category_of[m] for m in self._pattern.findall(text.lower()))
        total = sum(scores.values())
        best = max(scores, key=lambda cat: scores[cat]) if scores else "other"
        if total == 0:
            return Classification(
                category="other",
                confidence=0.0,
                model_version=self.VERSION,
                method="keyword-baseline",
            )
        # A share of the keyword hits, shrunk towards uncertainty when hits are few.
        confidence = scores[best] / total * min(1.0, 0.5 + 0.25 * scores[best])
        return Classification(
            category=best,
            confidence=round(confidence, 4),
            model_version=self.VERSION,
            method="keyword-baseline",
        )
