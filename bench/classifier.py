"""The classifier: training time, load time, validation accuracy and macro-F1, and the
latency of one prediction (p50/p99 over every validation text, repeated).

    uv run python bench/classifier.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from kandoo.routing.classify.data import read_reports
from kandoo.routing.classify.evaluate import evaluate
from kandoo.routing.classify.model import load, save, train

DATA = Path(__file__).resolve().parents[1] / "data" / "classify"


def main() -> None:
    examples, validation = read_reports(DATA)
    started = time.perf_counter()
    model = train(examples)
    trained_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = save(model, Path(tmp))
        started = time.perf_counter()
        model = load(path)
        model.predict("ไฟดับ")  # the first call loads PyThaiNLP's dictionary: part of loading
        loaded_s = time.perf_counter() - started
    report = evaluate(model, validation)
    latencies = []
    for _ in range(5):
        for e in validation:
            t = time.perf_counter()
            model.predict(e.text)
            latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"classifier {model.version}: {len(examples)} training, {len(validation)} validation")
    print(f"train {trained_s:.1f}s, load {loaded_s:.2f}s")
    print(f"accuracy {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}")
    print(
        f"confidence >= 0.9 on {report.confident_share:.0%} of texts, "
        f"accuracy there {report.confident_accuracy:.3f}"
    )
    print(f"prediction latency p50 {statistics.median(latencies):.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
