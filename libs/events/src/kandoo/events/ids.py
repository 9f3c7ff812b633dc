"""Identifiers: UUIDv7 for events, deterministic UUIDv5 for natural keys, tracking codes."""

from __future__ import annotations

import hashlib
import random
import time
import uuid

KANDOO_NAMESPACE = uuid.UUID("6f1c1d1e-7a53-4c1b-9d0e-4b616e646f6f")
# Crockford-like alphabet without 0/O, 1/I/L, U: readable aloud over the phone in Thai too.
_random = random.Random()  # noqa: S311 - ids, not secrets
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def uuid7(unix_ms: int | None = None) -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): 48-bit milliseconds, then randomness."""
    return uuid.UUID(int=uuid7_int(unix_ms))


def uuid7_int(unix_ms: int | None = None) -> int:
    """The 128 bits of a UUIDv7."""
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    # Event ids need uniqueness and order, not secrecy: the fast generator will do.
    rand_a = _random.getrandbits(12)
    rand_b = _random.getrandbits(62)
    return (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b


def new_event_id() -> str:
    """A UUIDv7 as text, built without the `uuid.UUID` round trip (hot path of routing)."""
    h = f"{uuid7_int():032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def stable_id(*parts: str) -> str:
    """A UUIDv5 from natural-key parts: the same parts always give the same id."""
    return str(uuid.uuid5(KANDOO_NAMESPACE, "\x1f".join(parts)))


def tracking_code(complaint_id: str, prefix: str = "HH", attempt: int = 0) -> str:
    """A short code for the reporter, `HH-7K4P-2Q`, derived from the complaint id.

    Six characters of a 30-letter alphabet give 729 million codes: among 300,000
    complaints some dozens would share one, so intake reserves each code before it hands
    it out and, on a clash with another complaint, takes the next `attempt` (the same
    complaint always walks the same sequence, so a retried submission finds its own code).
    """
    seed = complaint_id if attempt == 0 else f"{complaint_id}#{attempt}"
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    chars = []
    for _ in range(6):
        digest, index = divmod(digest, len(TRACKING_ALPHABET))
        chars.append(TRACKING_ALPHABET[index])
    code = "".join(chars)
    return f"{prefix}-{code[:4]}-{code[4:]}"


def token_hash(token: str) -> str:
    """SHA-256 of a reporter's tracking token: what the log keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()
