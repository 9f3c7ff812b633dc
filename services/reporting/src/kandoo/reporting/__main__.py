"""`python -m kandoo.reporting`: the reporting service (API and projector)."""

from kandoo.reporting.cli import main

raise SystemExit(main(["run"]))
