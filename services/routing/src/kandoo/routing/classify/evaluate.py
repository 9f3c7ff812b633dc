"""Accuracy, macro-F1, per-category F1, a confusion matrix, and a reliability check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from kandoo.routing.classify.model import Example, TrainedModel


@dataclass
class Report:
    accuracy: float
    macro_f1: float
    per_category: dict[str, float]
    labels: list[str]
    confusion: list[list[int]]
    confident_share: float
    confident_accuracy: float

    def text(self) -> str:
        lines = [
            f"accuracy  {self.accuracy:.3f}",
            f"macro-F1  {self.macro_f1:.3f}",
            f"confidence >= 0.9: {self.confident_share:.0%} of texts, "
            f"accuracy {self.confident_accuracy:.3f}",
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


def evaluate(model: TrainedModel, examples: Sequence[Example]) -> Report:
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
    )
