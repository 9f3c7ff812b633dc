"""`python -m kandoo.events schema [PATH]`: write the JSON Schema of events and commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kandoo.events.schema import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kandoo.events")
    sub = parser.add_subparsers(dest="command", required=True)
    schema = sub.add_parser("schema", help="write the JSON Schema of every event and command")
    schema.add_argument("path", nargs="?", default="docs/events.schema.json")
    args = parser.parse_args(argv)
    Path(args.path).write_text(render(), encoding="utf-8")
    print(f"wrote {args.path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
