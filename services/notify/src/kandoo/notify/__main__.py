"""`python -m kandoo.notify`: the notify service."""

from kandoo.notify.cli import main

raise SystemExit(main(["run"]))
