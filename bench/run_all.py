"""`make bench`: run every benchmark under bench/ and print its figures.

Each benchmark is a script `bench/<name>.py` that prints its own table; this runner runs
them one after another (the machine has two cores: never in parallel).
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in {"run_all.py", "__init__.py"})
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    if not scripts:
        print("no benchmarks yet: they arrive with the services (bench/<name>.py)")
        return 0
    failed = 0
    for script in scripts:
        print(f"\n== {script.stem}", flush=True)
        failed += subprocess.run([sys.executable, str(script)], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
