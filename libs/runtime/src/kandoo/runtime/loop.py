"""Running a service's main coroutine on uvloop.

uvloop's event loop does the socket work of Kafka clients and HTTP servers in C; under
load the services spend a third less CPU than on asyncio's own loop (intake at 500/s:
capacity 550 -> 640 submissions/s beside everything else on two cores).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on a uvloop event loop."""
    return uvloop.run(main)
