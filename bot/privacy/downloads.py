"""One-time, expiring, unguessable download links for a person's data export (``downloads`` collection).

Telegram gets the file uploaded (``sendDocument``); Viber's file message and the web chat need a URL:
``/privacy/download/<token>``. The token (32 random bytes) is never stored, only its SHA-256; the first download
consumes it and drops the content at once; an unused link expires after :data:`TTL` and the retention job deletes
it. A ``HEAD`` request (a messenger checking the file) does not consume it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument

from bot.core.models import utcnow
from bot.store import Store

TTL = timedelta(hours=1)
PATH = "/privacy/download/"
WEBCHAT_PATH = "/chat/download/"  # under the web chat's cookie path: the browser sends the session cookie


@dataclass(frozen=True, slots=True)
class Download:
    name: str
    content_type: str
    content: bytes


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(store: Store, conversation_id: str | None, name: str, content: bytes,
                 content_type: str = "application/json") -> str:
    """Store the file and return the token of its link."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    await store.downloads.insert_one({"_id": _key(token), "conversation_id": conversation_id, "name": name,
                                      "content_type": content_type, "content": content, "size": len(content),
                                      "created_at": now, "expires_at": now + TTL, "used_at": None,
                                      "bound": bound_to_session(conversation_id)})
    return token


def bound_to_session(conversation_id: str | None) -> bool:
    """A web-chat export is fetched only with that chat's cookie (:data:`WEBCHAT_PATH`), never by the bare link:
    on a shared computer at a day centre or a library the link stays in the browser's history."""
    return bool(conversation_id and conversation_id.startswith("webchat:"))


def _live(token: str, conversation_id: str | None = None) -> dict[str, Any]:
    """The link's file if unused and unexpired: with ``conversation_id``, only that chat's file; without it, only a
    file that is not bound to a web-chat session."""
    query: dict[str, Any] = {"_id": _key(token), "used_at": None, "expires_at": {"$gt": utcnow()}}
    if conversation_id is None:
        query["bound"] = {"$ne": True}
    else:
        query["conversation_id"] = conversation_id
    return query


def _download(doc: dict[str, Any] | None) -> Download | None:
    if doc is None:
        return None
    return Download(doc["name"], doc["content_type"], bytes(doc["content"]))


async def peek(store: Store, token: str, conversation_id: str | None = None) -> Download | None:
    """The file, if its link is still valid, without consuming it."""
    return _download(await store.downloads.find_one(_live(token, conversation_id)))


async def take(store: Store, token: str, conversation_id: str | None = None) -> Download | None:
    """The file, consuming the link (atomic: two requests at once get it once); ``None`` if used or expired, or
    (web chat) asked without that chat's session."""
    doc = await store.downloads.find_one_and_update(
        _live(token, conversation_id), {"$set": {"used_at": utcnow()}, "$unset": {"content": ""}},
        return_document=ReturnDocument.BEFORE)
    return _download(doc)


def url(token: str, public_url: str | None) -> str:
    return f"{public_url or ''}{PATH}{token}"
