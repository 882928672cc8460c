"""API keys of the systems that file requests over Open311 (``POST requests``).

An admin issues a key in the dashboard (``/staff/admin/api-keys``) with a name (the system or organisation it is
for) and a rate limit (requests per minute); the key is shown once and only its SHA-256 hash is stored (a key is
32 random bytes: a slow password hash would add nothing but latency). A revoked key stops working at once.

``open311_keys``: ``_id`` (hex id), ``name``, ``key_hash`` (unique), ``hint`` (the key's first characters, to tell
keys apart), ``rate_limit`` (per minute), ``created_at``, ``created_by``, ``revoked_at``, ``revoked_by``,
``last_used_at``, ``uses``.
``open311_key_usage``: one counter per key and minute (``_id`` ``<key id>:<minute>``, ``count``, ``expires_at``
with a TTL index), incremented atomically, so several instances share one limit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument

from bot.core.models import as_utc, utcnow
from bot.store import Store

KEYS = "open311_keys"
USAGE = "open311_key_usage"
KEY_PREFIX = "cha311_"
HINT_LENGTH = len(KEY_PREFIX) + 4
MAX_NAME = 80
MAX_RATE_LIMIT = 10_000
DEFAULT_RATE_LIMIT = 60


class ApiKeyError(ValueError):
    """Invalid key data; ``code`` names the problem (a key of the staff text catalogue's ``api_keys.errors``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    hint: str
    rate_limit: int
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None
    uses: int

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ApiKey:
        def aware(v: Any) -> datetime | None:
            return as_utc(v) if isinstance(v, datetime) else None

        return cls(id=str(doc["_id"]), name=doc["name"], hint=doc["hint"], rate_limit=int(doc["rate_limit"]),
                   created_at=as_utc(doc["created_at"]), created_by=doc.get("created_by") or "",
                   revoked_at=aware(doc.get("revoked_at")), last_used_at=aware(doc.get("last_used_at")),
                   uses=int(doc.get("uses") or 0))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def ensure_indexes(store: Store) -> None:
    await store.db[KEYS].create_index([("key_hash", ASCENDING)], unique=True, name="key_hash")
    await store.db[USAGE].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires")


async def issue(store: Store, name: str, rate_limit: int | str, *, actor: str) -> tuple[ApiKey, str]:
    """A new key: its record and the key itself (shown once, never stored)."""
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise ApiKeyError("name")
    try:
        limit = int(rate_limit)
    except (TypeError, ValueError):
        raise ApiKeyError("rate_limit") from None
    if not 1 <= limit <= MAX_RATE_LIMIT:
        raise ApiKeyError("rate_limit")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    doc = {"_id": str(ObjectId()), "name": name, "key_hash": hash_key(key), "hint": key[:HINT_LENGTH],
           "rate_limit": limit, "created_at": utcnow(), "created_by": actor, "revoked_at": None, "revoked_by": None,
           "last_used_at": None, "uses": 0}
    await store.db[KEYS].insert_one(doc)
    return ApiKey.from_doc(doc), key


async def revoke(store: Store, key_id: str, *, actor: str) -> ApiKey | None:
    """Revoke a key (once: a second revocation keeps the first time); ``None`` for an unknown id."""
    doc = await store.db[KEYS].find_one_and_update(
        {"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": utcnow(), "revoked_by": actor}},
        return_document=ReturnDocument.AFTER)
    if doc is None:
        doc = await store.db[KEYS].find_one({"_id": key_id})
    return ApiKey.from_doc(doc) if doc else None


async def list_keys(store: Store) -> list[ApiKey]:
    cursor = store.db[KEYS].find({}).sort([("created_at", DESCENDING)])
    return [ApiKey.from_doc(doc) async for doc in cursor]


async def authenticate(store: Store, key: str | None) -> ApiKey | None:
    """The active key ``key`` is, or ``None`` (unknown, revoked, missing)."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    doc = await store.db[KEYS].find_one({"key_hash": hash_key(key), "revoked_at": None})
    return ApiKey.from_doc(doc) if doc else None


async def take(store: Store, key: ApiKey, now: datetime | None = None) -> int | None:
    """Count one use of ``key`` in the current minute: ``None`` when within its limit, otherwise the seconds until
    the next minute (for ``Retry-After``)."""
    now = now or utcnow()
    minute = now.replace(second=0, microsecond=0)
    counter = await store.db[USAGE].find_one_and_update(
        {"_id": f"{key.id}:{minute:%Y%m%d%H%M}"},
        {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": minute + timedelta(minutes=2)}},
        upsert=True, return_document=ReturnDocument.AFTER)
    if int((counter or {}).get("count", 1)) > key.rate_limit:
        return max(1, 60 - now.second)
    await store.db[KEYS].update_one({"_id": key.id}, {"$set": {"last_used_at": now}, "$inc": {"uses": 1}})
    return None
