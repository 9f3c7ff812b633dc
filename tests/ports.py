"""Ports for the servers a test starts.

Below Linux's ephemeral range (32768-60999), where the kernel picks the local port of
every outgoing connection: a port taken from there (binding port 0) can be handed to
one of the many connections the services open before the server that was to listen on
it starts (the gateway is started last), and that server fails with 'address in use'.
20000-26999 holds none of the project's own (8000-8004, 9092, 17117, 19092-19293, 27117,
29092-29093)."""

from __future__ import annotations

import random
import socket

LOW, HIGH = 20000, 26999
_given: set[int] = set()


def free_port() -> int:
    """A port nobody listens on now and this session has not handed out before."""
    for _ in range(1000):
        port = random.randint(LOW, HIGH)
        if port in _given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError(f"no free port in {LOW}-{HIGH}")
