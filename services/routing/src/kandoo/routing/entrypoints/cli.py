"""`kandoo-routing run` and `kandoo-routing state <complaint-id>`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
import time
from pathlib import Path

from kandoo.events.topics import Topics
from kandoo.routing.bootstrap import build
from kandoo.routing.classify.data import read_heldout, read_jsonl
from kandoo.routing.classify.evaluate import evaluate, triage_threshold
from kandoo.routing.classify.learn import corrections_from_log, load_or_train, train_and_save
from kandoo.routing.settings import RoutingSettings
from kandoo.runtime.heap import settle_heap
from kandoo.runtime.loop import run as run_on_uvloop
from kandoo.runtime.service import configure_logging, serve


async def run(settings: RoutingSettings) -> int:
    return await serve(build(settings), f"routing {settings.instance_id}", settle_heap)


async def show_state(settings: RoutingSettings, complaint_id: str) -> int:
    state = await build(settings).processor.state_of(complaint_id)
    if not state.exists:
        print(f"no events for complaint {complaint_id}", file=sys.stderr)
        return 1
    print(json.dumps(dataclasses.asdict(state), ensure_ascii=False, indent=2, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kandoo-routing", description="Kandoo routing service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="decide commands and write the complaint log")
    state = sub.add_parser("state", help="print a complaint's state folded from the log")
    state.add_argument("complaint_id")
    tr = sub.add_parser("train", help="train the classifier and write a versioned artifact")
    tr.add_argument(
        "--from-log", action="store_true", help="add the admins' recategorisations in the log"
    )
    sub.add_parser("classify", help='JSON lines {"text": ...} on stdin -> predictions on stdout')
    ev = sub.add_parser(
        "evaluate", help="accuracy, macro-F1, per-category F1, confusion, triage threshold"
    )
    ev.add_argument(
        "file", type=Path, nargs="?", help='JSON lines {"text", "category"} (default: --heldout)'
    )
    ev.add_argument(
        "--heldout", action="store_true", help="the held-apart set, data/classify/heldout"
    )
    args = parser.parse_args(argv)
    if args.command in ("train", "classify", "evaluate"):
        return classifier_command(args, RoutingSettings())
    configure_logging("routing")
    settings = RoutingSettings()
    if args.command == "run":
        with contextlib.suppress(KeyboardInterrupt):
            return run_on_uvloop(run(settings))
        return 0
    return asyncio.run(show_state(settings, args.complaint_id))


def classifier_command(args: argparse.Namespace, settings: RoutingSettings) -> int:
    data, models = Path(settings.classify_data), Path(settings.model_dir)
    if args.command == "train":
        started = time.perf_counter()
        extra = []
        if args.from_log:
            topic = Topics(settings.topic_prefix).events
            extra = asyncio.run(corrections_from_log(settings.kafka_bootstrap, topic))
        model = train_and_save(data, models, extra)
        print(
            f"{model.version}: {model.examples} examples ({len(extra)} corrections from the log) "
            f"in {time.perf_counter() - started:.1f}s -> {models}"
        )
        return 0
    started = time.perf_counter()
    model = load_or_train(data, models)
    loaded = time.perf_counter() - started
    if args.command == "evaluate":
        where = args.file if args.file and not args.heldout else data / "heldout"
        examples = read_jsonl(args.file) if where == args.file else read_heldout(data)
        threshold = triage_threshold(settings.triage_below, model.triage_below)
        report = evaluate(model, examples, threshold)
        print(f"model {model.version} (loaded in {loaded:.2f}s), {where}: {len(examples)} texts")
        origin = (
            "KANDOO_TRIAGE_BELOW"
            if settings.triage_below is not None
            else "chosen on the validation split when trained"
            if model.triage_below is not None
            else "the default: none was measured"
        )
        print(f"triage threshold {threshold:.2f} ({origin})")
        print(report.text())
        return 0
    for line in sys.stdin:
        if not line.strip():
            continue
        text = json.loads(line).get("text", "")
        got = model.predict(text)
        out = {
            "category": got.category,
            "confidence": got.confidence,
            "model_version": got.model_version,
        }
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
