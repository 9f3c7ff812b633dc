"""Personal data in the log, sealed with a key per complaint and person (crypto-shredding).

Intake seals a reporter's (or supporter's) contact before the command leaves it: the name,
phone, e-mail, LINE user id and the channel's own reference become one AES-GCM ciphertext
under a key of that complaint and person, and the contact keeps only what is not personal
(`anonymous`, and which kinds of address exist: `reach`). Routing copies it into the event
as it came; notify and reporting open it with the key when they must (to send, to show the
owning department). Erasure deletes the key: the log keeps its events, and their personal
fields can never be read again, in a rebuild, an `as-of` database or an export.

Keys live in a store of their own (`KeyStore`: a MongoDB collection here, one document per
complaint; production would hold them in a KMS or Vault, see the README's "Personal data").
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

from bson.binary import Binary
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kandoo.events.values import ReporterContact

VERSION = "v1"
PERSONAL = ("name", "phone", "email", "line_user_id", "channel_reference")
"""The fields sealed: what names or reaches a person."""
REACH = {"email": "email", "phone": "phone", "line_user_id": "line"}
REPORTER = "reporter"
ERASED: dict[str, Any] = {"erased": True}


def supporter_key_name(supporter_key: str) -> str:
    """The key of one supporter of a complaint (a field name: no dots)."""
    return f"s_{supporter_key}"


def _aad(complaint_id: str, name: str) -> bytes:
    # Binds a ciphertext to its complaint and person: it cannot be moved to another.
    return f"{complaint_id}|{name}".encode()


def personal_fields(contact: ReporterContact, channel_reference: str | None) -> dict[str, str]:
    """What of a contact (and the channel's reference) names or reaches a person."""
    plain = {f: getattr(contact, f, None) for f in PERSONAL[:-1]}
    plain["channel_reference"] = channel_reference
    return {k: v for k, v in plain.items() if v}


def seal(
    contact: ReporterContact,
    key: bytes,
    complaint_id: str,
    name: str,
    channel_reference: str | None = None,
) -> ReporterContact:
    """The contact as the log keeps it: its personal fields as one ciphertext."""
    personal = personal_fields(contact, channel_reference)
    if not personal:
        return ReporterContact(anonymous=contact.anonymous)
    nonce = os.urandom(12)
    data = json.dumps(personal, ensure_ascii=False).encode()
    sealed = AESGCM(key).encrypt(nonce, data, _aad(complaint_id, name))
    blob = base64.urlsafe_b64encode(nonce + sealed).decode()
    return ReporterContact(
        anonymous=contact.anonymous,
        reach=tuple(sorted(REACH[f] for f in REACH if personal.get(f))),
        sealed=f"{VERSION}.{name}.{blob}",
    )


def sealed_name(contact: Mapping[str, Any]) -> str | None:
    """The key a stored contact was sealed with; None when it holds no ciphertext."""
    sealed = contact.get("sealed")
    if not isinstance(sealed, str) or not sealed.startswith(f"{VERSION}."):
        return None
    return sealed.split(".", 2)[1]


def unseal(contact: Mapping[str, Any], key: bytes | None, complaint_id: str) -> dict[str, Any]:
    """The contact with its personal fields readable again, or `{"erased": True}` (and its
    `anonymous`) once its key is gone. A contact that holds no ciphertext (written before
    sealing, or anonymous) is returned as it is."""
    name = sealed_name(contact)
    if contact.get("erased"):
        return dict(ERASED)
    if name is None:
        return dict(contact)
    if key is None:
        return ERASED | {"anonymous": bool(contact.get("anonymous"))}
    raw = base64.urlsafe_b64decode(str(contact["sealed"]).split(".", 2)[2])
    try:
        data = AESGCM(key).decrypt(raw[:12], raw[12:], _aad(complaint_id, name))
    except InvalidTag:
        return ERASED | {"anonymous": bool(contact.get("anonymous"))}
    opened: dict[str, Any] = json.loads(data)
    return {"anonymous": bool(contact.get("anonymous"))} | opened


def without_personal_data(contact: Mapping[str, Any]) -> dict[str, Any]:
    """What anyone may see of a contact: whether it was anonymous, erased, and by which
    kinds of address the person can be reached (never the addresses)."""
    out: dict[str, Any] = {"anonymous": bool(contact.get("anonymous"))}
    if contact.get("erased"):
        out["erased"] = True
    reach = contact.get("reach") or [REACH[f] for f in REACH if contact.get(f)]
    out["reach"] = list(reach)
    return out


class KeyStore:
    """The keys, one document per complaint: `{_id: complaint id, keys: {name: key}, v}`.

    Only `_id` lookups and single-document updates guarded by the version `v`: what
    FerretDB answers well, and MongoDB too."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._keys = db["complaint_keys"]

    async def key(self, complaint_id: str, name: str) -> bytes | None:
        doc = await self._keys.find_one({"_id": complaint_id})
        found = (doc or {}).get("keys", {}).get(name)
        return bytes(found) if found is not None else None

    async def key_for_sealing(self, complaint_id: str, name: str) -> bytes:
        """The person's key, made on first use; the same key for a retried request."""
        while True:
            doc = await self._keys.find_one({"_id": complaint_id})
            if doc is not None and name in doc.get("keys", {}):
                return bytes(doc["keys"][name])
            new = AESGCM.generate_key(bit_length=256)
            if doc is None:
                try:
                    await self._keys.insert_one(
                        {"_id": complaint_id, "keys": {name: Binary(new)}, "v": 1}
                    )
                    return new
                except DuplicateKeyError:
                    continue  # another request made the document first: read it again
            done = await self._keys.update_one(
                {"_id": complaint_id, "v": doc.get("v", 0)},
                {"$set": {f"keys.{name}": Binary(new)}, "$inc": {"v": 1}},
            )
            if done.modified_count == 1:
                return new

    async def forget(self, complaint_id: str, names: tuple[str, ...] | None = None) -> None:
        """Erase: the named keys of the complaint (every key when None), for ever."""
        if names is None:
            await self._keys.delete_one({"_id": complaint_id})
            return
        unset: dict[str, Any] = {f"keys.{n}": "" for n in names}
        await self._keys.update_one({"_id": complaint_id}, {"$unset": unset, "$inc": {"v": 1}})

    async def open(self, complaint_id: str, contact: Mapping[str, Any]) -> dict[str, Any]:
        """`unseal` with the key from the store (one `_id` read; none for a plain contact)."""
        name = sealed_name(contact)
        key = await self.key(complaint_id, name) if name else None
        return unseal(contact, key, complaint_id)
