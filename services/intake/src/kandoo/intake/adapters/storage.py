"""MongoDB: photos in GridFS (content-addressed), and idempotency keys.

Only what FerretDB 1.24 supports: unique indexes, find, insert; no transactions.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gridfs import AsyncGridFSBucket, NoFile
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kandoo.events.ids import tracking_code
from kandoo.intake.domain.photos import CleanPhoto
from kandoo.runtime.mongo import bulk


@dataclass(frozen=True)
class StoredPhoto:
    content: bytes
    content_type: str
    viewers: list[str]  # token hashes of reporters who may see it
    complaints: list[str]  # complaints it belongs to: their reporters and departments see it


class PhotoStore:
    """Photos addressed by SHA-256: the same photo twice is stored once."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db
        self._bucket = AsyncGridFSBucket(db, bucket_name="photos")

    async def put(
        self, photo: CleanPhoto, viewer_token_hash: str | None, complaint_id: str | None = None
    ) -> None:
        found = await self._db["photos.files"].find_one({"_id": photo.sha256}, {"_id": 1})
        if found is None:
            # A concurrent request may store the same bytes first: that is fine.
            with contextlib.suppress(DuplicateKeyError):
                await self._bucket.upload_from_stream_with_id(
                    photo.sha256,
                    photo.sha256,
                    photo.content,
                    metadata={"content_type": photo.content_type, "viewers": []},
                )
        if viewer_token_hash:
            await self._db["photos.files"].update_one(
                {"_id": photo.sha256}, {"$addToSet": {"metadata.viewers": viewer_token_hash}}
            )
        if complaint_id:
            await self._db["photos.files"].update_one(
                {"_id": photo.sha256}, {"$addToSet": {"metadata.complaints": complaint_id}}
            )

    async def allow(self, sha256: str, viewer_token_hash: str, complaint_id: str) -> None:
        """The reporter behind this token, and the complaint's department, may see a photo
        stored earlier."""
        await self._db["photos.files"].update_one(
            {"_id": sha256},
            {
                "$addToSet": {
                    "metadata.viewers": viewer_token_hash,
                    "metadata.complaints": complaint_id,
                }
            },
        )

    async def remove(self, sha256: str, by: str, reason: str) -> bool:
        """Delete a photo's bytes for good (faces, number plates); False if none stored.
        A note of the removal stays, so the photo's address answers "removed"."""
        try:
            await self._bucket.delete(sha256)
        except NoFile:
            return False
        note = {"by": by, "reason": reason, "at": datetime.now(UTC)}
        await self._db["photos_removed"].replace_one({"_id": sha256}, note, upsert=True)
        return True

    async def removed(self, sha256: str) -> bool:
        return await self._db["photos_removed"].find_one({"_id": sha256}) is not None

    async def get(self, sha256: str) -> StoredPhoto | None:
        try:
            stream = await self._bucket.open_download_stream(sha256)
        except NoFile:
            return None
        metadata = stream.metadata or {}
        content = await stream.read()
        return StoredPhoto(
            content,
            metadata.get("content_type", "image/jpeg"),
            metadata.get("viewers", []),
            metadata.get("complaints", []),
        )


class ComplaintDepartments:
    """Which department each complaint is with, from routing's answers: its staff may see
    the complaint's photos, other departments' may not."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._owners = db["complaint_departments"]
        self._known: OrderedDict[str, str] = OrderedDict()

    async def record(self, owners: dict[str, str]) -> None:
        changed = {c: d for c, d in owners.items() if self._known.get(c) != d}
        ops = [UpdateOne({"_id": c}, {"$set": {"d": d}}, upsert=True) for c, d in changed.items()]
        await bulk(self._owners, ops)
        for complaint_id, department in changed.items():
            self._known[complaint_id] = department
            if len(self._known) > 100_000:
                self._known.popitem(last=False)

    async def of(self, complaint_ids: list[str]) -> set[str]:
        out = set()
        for complaint_id in complaint_ids[:10]:
            found = await self._owners.find_one({"_id": complaint_id})
            if found is not None:
                out.add(str(found["d"]))
        return out


class TrackingCodes:
    """Tracking codes handed out, each to one complaint (a unique `_id`): no two
    complaints ever share one."""

    MAX_ATTEMPTS = 20

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._codes = db["tracking_codes"]

    async def reserve(self, complaint_id: str, prefix: str) -> str:
        """The complaint's code: the first of its sequence free or already its own."""
        for attempt in range(self.MAX_ATTEMPTS):
            code = tracking_code(complaint_id, prefix, attempt)
            try:
                await self._codes.insert_one({"_id": code, "complaint_id": complaint_id})
                return code
            except DuplicateKeyError:
                found = await self._codes.find_one({"_id": code})
                if found is not None and found.get("complaint_id") == complaint_id:
                    return code  # a retry of the same submission
        raise RuntimeError(f"no free tracking code for {complaint_id} in {self.MAX_ATTEMPTS}")


class ReporterTokens:
    """Each complaint's reporter token hash, written at submission: a photo staff add to a
    complaint (the "after" photo) is shown to the token that filed it."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._tokens = db["reporter_tokens"]

    async def put(self, complaint_id: str, token_hash: str) -> None:
        await self._tokens.replace_one({"_id": complaint_id}, {"h": token_hash}, upsert=True)

    async def holds(self, complaint_ids: list[str], token_hash: str) -> bool:
        for complaint_id in complaint_ids[:10]:
            found = await self._tokens.find_one({"_id": complaint_id})
            if found is not None and found.get("h") == token_hash:
                return True
        return False


class IdempotencyKeys:
    """An `Idempotency-Key` belongs to its caller (`scope`: the token's subject, the
    browser, the LINE channel) and to the first body it came with, and expires after
    `expiry` (checked on read: FerretDB has no TTL index). Each claim has a random
    generation: ids derived from it are the same for a retry, and new once the key has
    expired and is used again."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], expiry: timedelta) -> None:
        self._keys = db["idempotency_keys"]
        self._expiry = expiry

    async def claim(self, kind: str, scope: str, key: str, body: bytes) -> str | None:
        """The claim's generation if `key` is new, expired, or came with the same body
        before; None if the same caller sent another body with it."""
        digest = hashlib.sha256(body).hexdigest()
        doc_id = hashlib.sha256(f"{kind}\n{scope}\n{key}".encode()).hexdigest()
        now = datetime.now(UTC)
        fresh = {"body_sha256": digest, "at": now, "generation": uuid.uuid4().hex}
        for _ in range(3):
            found = await self._keys.find_one({"_id": doc_id})
            if found is None:
                try:
                    await self._keys.insert_one({"_id": doc_id, **fresh})
                    return str(fresh["generation"])
                except DuplicateKeyError:
                    continue  # the same key at the same moment: read the winner's
            at = found["at"].replace(tzinfo=UTC) if found.get("at") else now
            if now - at < self._expiry:
                same = found.get("body_sha256") == digest
                return str(found.get("generation", "")) if same else None
            replaced = await self._keys.replace_one({"_id": doc_id, "at": found["at"]}, fresh)
            if replaced.modified_count == 1:
                return str(fresh["generation"])
        return None


class Open311Tokens:
    """Tokens given to Open311 clients whose request was not decided within the wait:
    `GET tokens/{token}` turns one into the service request id."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._tokens = db["open311_tokens"]

    async def put(self, token: str, complaint_id: str) -> None:
        await self._tokens.replace_one({"_id": token}, {"complaint_id": complaint_id}, upsert=True)

    async def get(self, token: str) -> str | None:
        found = await self._tokens.find_one({"_id": token})
        return str(found["complaint_id"]) if found else None
