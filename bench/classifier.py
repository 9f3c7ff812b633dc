"""The classifier: training time, load time, accuracy and macro-F1 on the validation split
and on the held-apart set, the triage threshold chosen on the validation split with its
precision on the held-apart set, and the latency of one prediction (p50/p99 over every
validation and held-apart text, repeated).

    uv run python bench/classifier.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from kandoo.routing.classify.data import read_heldout, read_reports
from kandoo.routing.classify.evaluate import choose_threshold, evaluate
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
    heldout = read_heldout(DATA)
    predictions = model.predict_many([e.text for e in validation])
    chosen = choose_threshold(predictions, [e.category for e in validation])
    apart = evaluate(model, heldout, chosen.threshold)
    latencies = []
    for _ in range(5):
        for e in [*validation, *heldout]:
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
    print(
        f"held-apart ({len(heldout)} texts in other voices): accuracy {apart.accuracy:.3f}, "
        f"macro-F1 {apart.macro_f1:.3f}"
    )
    if apart.triage is not None:
        print(
            f"triage threshold {chosen.threshold:.2f} (validation precision "
            f"{chosen.precision:.3f}): held-apart {apart.triage.routed_share:.0%} routed "
            f"without triage, precision {apart.triage.precision:.3f}"
        )
    print(f"prediction latency p50 {statistics.median(latencies):.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
