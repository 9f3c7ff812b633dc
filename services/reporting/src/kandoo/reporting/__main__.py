"""`python -m kandoo.reporting`: the reporting service (API and projector)."""

from kandoo.reporting.entrypoints.cli import main

raise SystemExit(main(["run"]))
