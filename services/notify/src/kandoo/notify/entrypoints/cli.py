"""`kandoo-notify run`: the notify service."""

from __future__ import annotations

import argparse

from kandoo.notify.bootstrap import build
from kandoo.notify.settings import NotifySettings
from kandoo.runtime.loop import run as run_on_uvloop
from kandoo.runtime.service import configure_logging, serve


def main(argv: list[str] | None = None) -> int:
    configure_logging("notify")
    parser = argparse.ArgumentParser(prog="kandoo-notify", description=__doc__)
    parser.add_argument("command", choices=["run"], nargs="?", default="run")
    parser.parse_args(argv)
    return run_on_uvloop(serve(build(NotifySettings()), "notify"))
