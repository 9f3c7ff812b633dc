"""Which services yield the CPU when they share a machine: the write path first.

Intake and routing answer a citizen who is waiting; reporting and notify read the same
facts from Kafka and may apply them a little later without losing any (their offsets are
committed only after their work is done). On one machine (`make run`, the benchmarks) the
launcher starts reporting and notify at Linux's SCHED_IDLE: they get the CPU the write
path leaves, and a waking intake or routing takes a core from them at once. (The write
path still pays something for busy neighbours: figures in docs/decisions/0009.)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

BACKGROUND = frozenset({"reporting", "notify"})
"""Services that catch up from Kafka; nobody waits on them while a report is submitted."""


def yield_cpu() -> None:
    """Run this process (and every thread it starts later) only when the CPU is otherwise
    idle. For `subprocess.Popen(preexec_fn=...)`: it runs in the child before `exec`."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or a sandbox that forbids it
        with contextlib.suppress(OSError):
            os.nice(19)  # the lowest ordinary priority is the nearest thing; else as is


def preexec_for(service: str) -> Callable[[], None] | None:
    """The `preexec_fn` that starts `service` at its priority (None: the ordinary one)."""
    return yield_cpu if service in BACKGROUND else None
