"""Staff accounts and sessions in the web service's own database (MongoDB protocol; read by
`_id` only, as FerretDB pushes down nothing else).

Passwords are kept as argon2id hashes (argon2-cffi's defaults: 64 MiB, 3 passes), hashed
and checked in a worker thread so a login never stalls the pages. A session is known here
by the SHA-256 of its cookie's value, so the database never holds a usable session id.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kandoo.events.values import Role
from kandoo.web.domain.staff import Staff, Throttle, new_secret

Doc = dict[str, Any]
HASHER = PasswordHasher()  # argon2id
DUMMY_HASH = HASHER.hash("not a password of anyone")
"""Checked against when the username is unknown: the answer takes as long either way."""


class AccountExists(Exception):
    pass


@dataclass(frozen=True)
class Attempt:
    """What became of a login: the staff member, or why not (a words key) and until when."""

    staff: Staff | None
    problem: str | None = None
    until: datetime | None = None


def _staff(doc: Doc) -> Staff:
    return Staff(
        username=str(doc["_id"]),
        name=str(doc.get("name", doc["_id"])),
        role=Role(doc["role"]),
        department=doc.get("department"),
        language=str(doc.get("language", "th")),
    )


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Accounts:
    def __init__(self, db: AsyncDatabase[Doc], throttle: Throttle) -> None:
        self._accounts = db["staff_accounts"]
        self.throttle = throttle

    async def create(
        self,
        username: str,
        name: str,
        role: Role,
        department: str | None,
        password: str,
        language: str = "th",
        now: datetime | None = None,
    ) -> Staff:
        digest = await asyncio.to_thread(HASHER.hash, password)
        doc: Doc = {
            "_id": username,
            "name": name,
            "role": role.value,
            "department": department,
            "language": language,
            "password": digest,
            "failures": 0,
            "created_at": now or datetime.now(UTC),
        }
        try:
            await self._accounts.insert_one(doc)
        except DuplicateKeyError as exc:
            raise AccountExists(username) from exc
        return _staff(doc)

    async def get(self, username: str) -> Staff | None:
        found = await self._accounts.find_one({"_id": username}, {"password": 0})
        return _staff(found) if found else None

    async def all(self) -> list[tuple[Staff, datetime | None]]:
        """Every account with its lock (a municipality has tens of staff, not thousands)."""
        found = [d async for d in self._accounts.find({}, {"password": 0})]
        return sorted(
            ((_staff(d), _aware(d.get("locked_until"))) for d in found),
            key=lambda pair: (pair[0].department or "", pair[0].username),
        )

    async def login(self, username: str, password: str, now: datetime) -> Attempt:
        doc = await self._accounts.find_one({"_id": username})
        if doc is None:
            await asyncio.to_thread(_verify, DUMMY_HASH, password)
            return Attempt(None, "staff_login_failed")
        locked = _aware(doc.get("locked_until"))
        if locked is not None and locked > now:
            return Attempt(None, "staff_locked", locked)
        not_before = _aware(doc.get("not_before"))
        if not_before is not None and not_before > now:
            return Attempt(None, "staff_wait", not_before)
        if not await asyncio.to_thread(_verify, str(doc.get("password", "")), password):
            failures = int(doc.get("failures", 0)) + 1
            wait, lock = self.throttle.after_failure(failures, now)
            update: Doc = {"failures": failures, "not_before": wait, "locked_until": lock}
            await self._accounts.update_one({"_id": username}, {"$set": update})
            if lock is not None:
                return Attempt(None, "staff_locked", lock)
            return Attempt(None, "staff_login_failed")
        reset: Doc = {"failures": 0, "not_before": None, "locked_until": None, "last_login": now}
        await self._accounts.update_one({"_id": username}, {"$set": reset})
        return Attempt(_staff(doc))

    async def check_password(self, username: str, password: str) -> bool:
        doc = await self._accounts.find_one({"_id": username})
        return doc is not None and await asyncio.to_thread(
            _verify, str(doc.get("password", "")), password
        )

    async def set_password(self, username: str, password: str) -> None:
        digest = await asyncio.to_thread(HASHER.hash, password)
        await self._accounts.update_one({"_id": username}, {"$set": {"password": digest}})

    async def unlock(self, username: str) -> None:
        reset: Doc = {"failures": 0, "not_before": None, "locked_until": None}
        await self._accounts.update_one({"_id": username}, {"$set": reset})


def _verify(digest: str, password: str) -> bool:
    try:
        return HASHER.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Session:
    username: str
    csrf: str


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    def __init__(self, db: AsyncDatabase[Doc], lifetime: timedelta, idle: timedelta) -> None:
        self._sessions = db["staff_sessions"]
        self.lifetime, self.idle = lifetime, idle

    async def open(self, username: str, now: datetime) -> tuple[str, Session]:
        """A new session: (the cookie's value, the session)."""
        session_id, csrf = new_secret(), new_secret()
        doc: Doc = {
            "_id": _key(session_id),
            "username": username,
            "csrf": csrf,
            "expires_at": now + self.lifetime,
            "seen_at": now,
        }
        await self._sessions.insert_one(doc)
        return session_id, Session(username, csrf)

    async def get(self, session_id: str, now: datetime) -> Session | None:
        """The live session behind a cookie (None: unknown, ended or idle too long)."""
        found = await self._sessions.find_one({"_id": _key(session_id)})
        if found is None:
            return None
        expires, seen = _aware(found.get("expires_at")), _aware(found.get("seen_at"))
        if expires is None or expires <= now or seen is None or now - seen > self.idle:
            await self.close(session_id)
            return None
        if now - seen > timedelta(minutes=1):
            await self._sessions.update_one({"_id": _key(session_id)}, {"$set": {"seen_at": now}})
        return Session(str(found["username"]), str(found["csrf"]))

    async def close(self, session_id: str) -> None:
        await self._sessions.delete_one({"_id": _key(session_id)})
