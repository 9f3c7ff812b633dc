"""`make bench`: run every benchmark under bench/, print one table, and write it with the
date and the machine's facts to docs/benchmarks.md.

Each benchmark is a script `bench/<name>.py` that prints its figures, one line each; this
runner runs them one after another (the machine has two cores: never in parallel).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ORDER = [
    "intake",
    "end_to_end",
    "routing",
    "rebuild",
    "classifier",
    "duplicate_index_memory",
    "gateway_latency",
    "read_api",
]
MORE_RUNS = {"intake": [["--only-routing"]]}
"""Scripts run again with these arguments after their default run."""
NOISE = ("Failed fetch offsets", "Unclosed", "consumer:", "producer:", "Traceback")


def machine() -> list[str]:
    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    go = subprocess.run(["go", "version"], capture_output=True, text=True, check=False)
    sys.path.insert(0, str(ROOT / "deploy" / "local"))
    import localservers

    return [
        f"cores: {os.cpu_count()}, {platform.machine()}, {platform.platform()}",
        f"Python {platform.python_version()}, "
        f"{(java.stderr.splitlines() or ['java ?'])[0]}, {go.stdout.strip() or 'go ?'}",
        f"Apache Kafka {localservers.KAFKA_VERSION} (KRaft, single node), "
        "FerretDB 1.24.2 (SQLite, our build), all on this machine beside the services",
    ]


def main() -> int:
    scripts = {p.stem: p for p in HERE.glob("*.py") if p.stem not in {"run_all", "__init__"}}
    names = [n for n in ORDER if n in scripts] + sorted(set(scripts) - set(ORDER))
    facts = machine()
    print("\n".join(facts))
    rows: list[tuple[str, list[str]]] = []
    failed = 0
    runs = [(name, args) for name in names for args in [[], *MORE_RUNS.get(name, [])]]
    for name, args in runs:
        title = " ".join([name, *args])
        print(f"\n== {title}", flush=True)
        done = subprocess.run(
            [sys.executable, str(scripts[name]), *args], capture_output=True, text=True, check=False
        )
        lines = [ln for ln in done.stdout.splitlines() if ln and not ln.startswith(NOISE)]
        print("\n".join(lines), flush=True)
        if done.returncode != 0:
            failed += 1
            lines.append(f"exit code {done.returncode}: {done.stderr.strip()[-300:]}")
        rows.append((title, lines))
    table = ["| benchmark | figures |", "|---|---|"]
    table += [f"| {name} | {'<br>'.join(lines)} |" for name, lines in rows]
    print("\n" + "\n".join(table))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = [f"# Benchmarks ({when})", "", "Written by `make bench`.", ""]
    text += [f"- {fact}" for fact in facts] + [""] + table + [""]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(text), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
