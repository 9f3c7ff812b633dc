"""Identifiers: UUIDv7 for events, deterministic UUIDv5 for natural keys, tracking codes."""

from __future__ import annotations

import hashlib
import os
import time
import uuid

KANDOO_NAMESPACE = uuid.UUID("6f1c1d1e-7a53-4c1b-9d0e-4b616e646f6f")
# Crockford-like alphabet without 0/O, 1/I/L, U: readable aloud over the phone in Thai too.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def uuid7(unix_ms: int | None = None) -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): 48-bit milliseconds, then randomness."""
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    rand_a = int.from_bytes(os.urandom(2), "big") & 0xFFF
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def stable_id(*parts: str) -> str:
    """A UUIDv5 from natural-key parts: the same parts always give the same id."""
    return str(uuid.uuid5(KANDOO_NAMESPACE, "\x1f".join(parts)))


def tracking_code(complaint_id: str, prefix: str = "HH") -> str:
    """A short code for the reporter, `HH-7K4P-2Q`, derived from the complaint id.

    Six characters of a 30-letter alphabet give 729 million codes; the reporting read
    model keeps a unique index on it, and intake retries with a fresh id on a clash.
    """
    digest = int.from_bytes(hashlib.sha256(complaint_id.encode()).digest()[:8], "big")
    chars = []
    for _ in range(6):
        digest, index = divmod(digest, len(TRACKING_ALPHABET))
        chars.append(TRACKING_ALPHABET[index])
    code = "".join(chars)
    return f"{prefix}-{code[:4]}-{code[4:]}"


def token_hash(token: str) -> str:
    """SHA-256 of a reporter's tracking token: what the log keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()
