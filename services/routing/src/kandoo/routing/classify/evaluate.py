"""Accuracy, macro-F1, per-category F1, a confusion matrix, a reliability check, and the
triage threshold: the lowest confidence at which the reports the classifier routes by
itself are right at least `TARGET_PRECISION` of the time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from kandoo.routing.classify.model import Example, TrainedModel

TARGET_PRECISION = 0.97
"""Of the reports routed without a person (confidence at or above the triage threshold),
the share that must be right."""
THRESHOLDS = [round(0.30 + i / 100, 2) for i in range(70)]  # 0.30 ... 0.99
FALLBACK_THRESHOLD = 0.6
"""When no threshold reaches the target precision (or none was measured)."""


def triage_threshold(configured: float | None, measured: float | None) -> float:
    """The threshold routing uses: KANDOO_TRIAGE_BELOW if set, else the model's measured
    one, else the fallback."""
    if configured is not None:
        return configured
    return measured if measured is not None else FALLBACK_THRESHOLD


@dataclass(frozen=True)
class AtThreshold:
    threshold: float
    routed_share: float
    """Of all reports, the share at or above the threshold (routed without triage)."""
    precision: float
    """Of those, the share classified right."""


def at_threshold(
    predictions: Sequence[tuple[str, float]], truth: Sequence[str], threshold: float
) -> AtThreshold:
    routed = [(p, t) for (p, c), t in zip(predictions, truth, strict=True) if c >= threshold]
    right = sum(p == t for p, t in routed)
    return AtThreshold(
        threshold,
        len(routed) / len(truth) if truth else 0.0,
        right / len(routed) if routed else 1.0,
    )


def choose_threshold(
    predictions: Sequence[tuple[str, float]],
    truth: Sequence[str],
    target: float = TARGET_PRECISION,
) -> AtThreshold:
    """The lowest threshold whose routed reports are right at least `target` of the time
    (the most reports routed without a person at that precision)."""
    for threshold in THRESHOLDS:
        found = at_threshold(predictions, truth, threshold)
        if found.precision >= target:
            return found
    return at_threshold(predictions, truth, THRESHOLDS[-1])


@dataclass
class Report:
    accuracy: float
    macro_f1: float
    per_category: dict[str, float]
    labels: list[str]
    confusion: list[list[int]]
    confident_share: float
    confident_accuracy: float
    triage: AtThreshold | None = None
    """This set's figures at the threshold given to `evaluate` (the model's)."""

    def text(self) -> str:
        lines = [
            f"accuracy  {self.accuracy:.3f}",
            f"macro-F1  {self.macro_f1:.3f}",
            f"confidence >= 0.9: {self.confident_share:.0%} of texts, "
            f"accuracy {self.confident_accuracy:.3f}",
        ]
        if self.triage is not None:
            t = self.triage
            lines.append(
                f"triage threshold {t.threshold:.2f}: {t.routed_share:.0%} of texts routed "
                f"without triage, precision {t.precision:.3f} (target {TARGET_PRECISION})"
            )
        lines += [
            "",
            "per-category F1:",
        ]
        lines += [f"  {cat:<14} {f1:.3f}" for cat, f1 in sorted(self.per_category.items())]
        width = max(len(x) for x in self.labels)
        short = [x[:5] for x in self.labels]
        lines += ["", "confusion (rows: true, columns: predicted):"]
        lines.append(" " * (width + 2) + " ".join(f"{s:>5}" for s in short))
        for label, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{label:<{width}}  " + " ".join(f"{n:>5}" for n in row))
        return "\n".join(lines)


def evaluate(
    model: TrainedModel, examples: Sequence[Example], threshold: float | None = None
) -> Report:
    predictions = model.predict_many([e.text for e in examples])
    truth = [e.category for e in examples]
    guessed = [p for p, _ in predictions]
    labels = sorted(set(truth) | set(guessed))
    confident = [(p, t) for (p, c), t in zip(predictions, truth, strict=True) if c >= 0.9]
    return Report(
        accuracy=float(accuracy_score(truth, guessed)),
        macro_f1=float(f1_score(truth, guessed, average="macro", zero_division=0)),
        per_category=dict(
            zip(
                labels,
                (
                    float(x)
                    for x in f1_score(truth, guessed, labels=labels, average=None, zero_division=0)
                ),
                strict=True,
            )
        ),
        labels=labels,
        confusion=confusion_matrix(truth, guessed, labels=labels).tolist(),
        confident_share=len(confident) / len(examples) if examples else 0.0,
        confident_accuracy=(
            sum(p == t for p, t in confident) / len(confident) if confident else 1.0
        ),
        triage=None if threshold is None else at_threshold(predictions, truth, threshold),
    )
