"""The labelled reports in data/classify: one file per category, one report per line.

Training data: `reports/<category>.txt` (the first batch) and `batches/<batch>/<category>.txt`
(later batches, each described in data/classify/SOURCES.md). Every seventh line of each
file is the validation split, never trained on. `heldout/<category>.txt` is the
held-apart set: written before any tuning in other voices, never trained on, read only
by `evaluate --heldout`.
"""

from __future__ import annotations

import json
from pathlib import Path

from kandoo.routing.classify.model import Example

VALIDATION_EVERY = 7


def _lines(path: Path) -> list[str]:
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    return [t for t in lines if t and not t.startswith("#")]


def training_files(directory: Path) -> list[Path]:
    """Every file of labelled training reports: the first batch, then the later ones."""
    return [
        *sorted((directory / "reports").glob("*.txt")),
        *sorted(directory.glob("batches/*/*.txt")),
    ]


def read_reports(directory: Path) -> tuple[list[Example], list[Example]]:
    """(train, validation) from the training files."""
    train: list[Example] = []
    validation: list[Example] = []
    for path in training_files(directory):
        for index, text in enumerate(_lines(path)):
            split = validation if index % VALIDATION_EVERY == VALIDATION_EVERY - 1 else train
            split.append(Example(text, path.stem))
    return train, validation


def read_heldout(directory: Path) -> list[Example]:
    """The held-apart set, `heldout/<category>.txt`."""
    return [
        Example(text, path.stem)
        for path in sorted((directory / "heldout").glob("*.txt"))
        for text in _lines(path)
    ]


def read_jsonl(path: Path) -> list[Example]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(Example(row["text"], row["category"]))
    return out


def write_jsonl(path: Path, examples: list[Example]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for e in examples:
            f.write(json.dumps({"text": e.text, "category": e.category}, ensure_ascii=False) + "\n")
