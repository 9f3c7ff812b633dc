"""Write train.jsonl and validation.jsonl from reports/ (every seventh line validates).

uv run python data/classify/split.py
"""

from pathlib import Path

from kandoo.routing.classify.data import read_reports, write_jsonl

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    train, validation = read_reports(HERE)
    write_jsonl(HERE / "train.jsonl", train)
    write_jsonl(HERE / "validation.jsonl", validation)
    print(f"train {len(train)}, validation {len(validation)}")
