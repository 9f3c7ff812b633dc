"""`python -m kandoo.notify`: the notify service."""

from kandoo.notify.entrypoints.cli import main

raise SystemExit(main(["run"]))
