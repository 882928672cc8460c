"""Server-side staff sessions.

The browser holds only a random token (256 bits, ``secrets.token_urlsafe``) in an HttpOnly, SameSite=Lax cookie
scoped to ``/staff`` (Secure when PUBLIC_URL is https). The store keeps the token's SHA-256, never the token, in
the ``staff_sessions`` collection: ``_id`` (hash), username, csrf (the session's CSRF token), created_at,
last_seen, expires_at (absolute limit; a TTL index removes old documents on MongoDB). A session ends at logout,
after :data:`IDLE` without requests, at :data:`ABSOLUTE` after login, or when the account's password is changed
or the account disabled. A fresh token is issued at every login (no session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING

from bot.core.models import utcnow
from bot.store import Store

COOKIE = "chania_staff"
PRE_COOKIE = "chania_staff_pre"  # CSRF token of the login and language forms, before a session exists
LANG_COOKIE = "chania_staff_lang"
IDLE = timedelta(hours=8)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # write last_seen at most this often


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def new_token() -> str:
    return secrets.token_urlsafe(32)


class SessionStore:
    def __init__(self, store: Store) -> None:
        self.collection = store.db["staff_sessions"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0, name="ttl")
        await self.collection.create_index([("username", ASCENDING)], name="by_user")

    async def create(self, username: str) -> tuple[str, dict[str, Any]]:
        token = new_token()
        now = utcnow()
        doc = {"_id": _hash(token), "username": username, "csrf": new_token(), "created_at": now,
               "last_seen": now, "expires_at": now + ABSOLUTE}
        await self.collection.insert_one(doc)
        return token, doc

    async def load(self, token: str, *, now: datetime | None = None) -> dict[str, Any] | None:
        """The live session of that token, or ``None`` (unknown, expired or idle too long: then deleted)."""
        if not token or len(token) > 128:
            return None
        now = now or utcnow()
        doc = await self.collection.find_one({"_id": _hash(token)})
        if doc is None:
            return None
        if _aware(doc["expires_at"]) <= now or _aware(doc["last_seen"]) + IDLE <= now:
            await self.collection.delete_one({"_id": doc["_id"]})
            return None
        if now - _aware(doc["last_seen"]) >= TOUCH_EVERY:
            await self.collection.update_one({"_id": doc["_id"]}, {"$set": {"last_seen": now}})
        return doc

    async def delete(self, token: str) -> None:
        await self.collection.delete_one({"_id": _hash(token)})

    async def delete_for_user(self, username: str, *, except_token: str | None = None) -> int:
        query: dict[str, Any] = {"username": username}
        if except_token:
            query["_id"] = {"$ne": _hash(except_token)}
        result = await self.collection.delete_many(query)
        return result.deleted_count
