"""The launcher's CPU priorities: reporting and notify run only on otherwise idle CPU."""

from __future__ import annotations

import os
import subprocess
import sys

from kandoo.runtime.priority import BACKGROUND, preexec_for, yield_cpu

# The policy of the main thread and of a thread started later (a client's I/O thread).
PROBE = """
import os, threading
seen = [os.sched_getscheduler(0)]
t = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
t.start(); t.join()
print(*seen)
"""


def policies_of(service: str) -> list[int]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        preexec_fn=preexec_for(service),
        capture_output=True,
        text=True,
        check=True,
    )
    return [int(p) for p in out.stdout.split()]


def test_reporting_and_notify_run_at_idle_priority_threads_included() -> None:
    assert sorted(BACKGROUND) == ["notify", "reporting"]
    for service in BACKGROUND:
        assert policies_of(service) == [os.SCHED_IDLE, os.SCHED_IDLE]


def test_the_write_path_keeps_the_ordinary_priority() -> None:
    for service in ("intake", "routing"):
        assert preexec_for(service) is None
        assert policies_of(service) == [os.SCHED_OTHER, os.SCHED_OTHER]


def test_where_idle_priority_is_forbidden_the_service_still_starts_at_the_lowest_nice() -> None:
    def refused(*_: object) -> None:
        raise PermissionError("not in this sandbox")

    def in_a_sandbox() -> None:  # runs in the forked child only
        os.sched_setscheduler = refused
        yield_cpu()

    out = subprocess.run(
        [sys.executable, "-c", "import os; print(os.sched_getscheduler(0), os.nice(0))"],
        preexec_fn=in_a_sandbox,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [str(os.SCHED_OTHER), "19"]
