"""The audit log: one document per staff action (design.md section 4, ``audit`` collection).

Document: ``at`` (UTC), ``actor`` ("staff:<username>", or "anonymous" for a failed login), ``action`` (a dotted
name from :data:`ACTIONS`), ``target`` (ticket reference, conversation id, username … or None), ``details`` (small
dict: the new status, the note's length, never a password), ``ip``.
Reads of personal data (opening a conversation or a ticket) are logged too: the log answers "who saw what".
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pymongo import DESCENDING

from bot.core.models import utcnow
from bot.store import Store

log = logging.getLogger(__name__)

ACTIONS: tuple[str, ...] = (
    "login.ok", "login.failed", "login.locked", "logout", "language",
    "account.password",
    "account.display_name",
    "staff.create", "staff.update", "staff.password", "staff.unlock",
    "conversation.view", "conversation.take_over", "conversation.hand_back", "conversation.reply",
    "ticket.view", "ticket.status", "ticket.reassign", "ticket.note", "ticket.duplicate", "ticket.export",
    "intake.create", "centre.create", "centre.update",
    "message.retry",
    "alert.create", "alert.send", "alert.approve", "alert.cancel",
    "privacy.retention", "privacy.search", "privacy.export", "privacy.erase", "privacy.review",
    "ticket.private", "ticket.photo_approval",
    "api_key.issue", "api_key.revoke",
    "outbox.retry",
    "guide.update", "guide.hide", "guide.show", "guide.verify", "guide.photo_add", "guide.photo_remove",
    "open311.create", "open311.invalid", "open311.rate_limited", "open311.key_rejected",
    "nlu.label", "nlu.promote", "nlu.rollback",
)


def actor_of(username: str) -> str:
    return f"staff:{username}"


async def record(store: Store, actor: str, action: str, *, target: str | None = None,
                 details: dict[str, Any] | None = None, ip: str | None = None) -> None:
    """Append one entry. Unknown action names are a programming error."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    doc = {"at": utcnow(), "actor": actor, "action": action, "target": target, "details": details or {}, "ip": ip}
    await store.audit.insert_one(doc)
    log.info("audit", extra={"actor": actor, "action": action, "target": target})


async def recent(store: Store, *, actor: str | None = None, action: str | None = None, target: str | None = None,
                 before: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first, optionally filtered by exact actor / action prefix / target."""
    query: dict[str, Any] = {}
    if actor:
        query["actor"] = actor
    if action:
        query["action"] = action if "." in action else {"$in": [a for a in ACTIONS if a.split(".")[0] == action]}
    if target:
        query["target"] = target
    if before is not None:
        query["at"] = {"$lt": before}
    cursor = store.audit.find(query, {"_id": 0}).sort("at", DESCENDING).limit(limit)
    return [doc async for doc in cursor]
