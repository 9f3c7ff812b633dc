"""The labelled reports in data/classify: one file per category, one report per line.

Every seventh line of each file is the validation split, never trained on.
"""

from __future__ import annotations

import json
from pathlib import Path

from kandoo.routing.classify.model import Example

VALIDATION_EVERY = 7


def read_reports(directory: Path) -> tuple[list[Example], list[Example]]:
    """(train, validation) from `<directory>/reports/<category>.txt`."""
    train: list[Example] = []
    validation: list[Example] = []
    for path in sorted((directory / "reports").glob("*.txt")):
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
        for index, text in enumerate(t for t in lines if t and not t.startswith("#")):
            split = validation if index % VALIDATION_EVERY == VALIDATION_EVERY - 1 else train
            split.append(Example(text, path.stem))
    return train, validation


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
