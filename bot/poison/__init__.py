"""Poison messages: bounded retries of an INBOUND message whose processing fails, then a dead letter (issue 10).

A stored inbound message counts its processing ``attempts`` (incremented by the pipeline's atomic claim). When
processing raises, :func:`record_failure` puts it back to ``received`` with ``next_attempt_at`` (exponential
backoff from ``RETRY_BACKOFF_S``) and its ``last_error``; the recovery sweep takes it again once it is due
(:func:`due`). After ``MAX_ATTEMPTS`` it becomes ``failed`` — a dead letter: kept with its error, shown to staff
at ``/staff/failed`` with a "retry" action (:func:`retry`), and the person gets one apology. No message is retried
forever and none is lost. Outbound dead letters are the outbox's (``bot/outbox/``), not these.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import DESCENDING

from bot.core.models import utcnow
from bot.store import Store

MAX_BACKOFF_S = 3600.0
MAX_ERROR_CHARS = 500
FAILED = "failed"


def backoff_s(attempts: int, base_s: float) -> float:
    """Wait before attempt ``attempts + 1``: base, 2×base, 4×base … at most an hour."""
    return min(MAX_BACKOFF_S, base_s * 2 ** max(0, attempts - 1))


def describe(exc: BaseException) -> str:
    """What staff see of an error: its type and message, short (no traceback, no payload)."""
    text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_CHARS].encode("utf-8", "replace").decode("utf-8")


def due(now: datetime) -> dict[str, Any]:
    """Filter part: a ``received`` message that is not waiting for its backoff."""
    return {"$or": [{"next_attempt_at": None}, {"next_attempt_at": {"$lte": now}}]}


async def record_failure(store: Store, msg_id: str, error: str, *, max_attempts: int, base_s: float) -> bool:
    """After a failed attempt: back to ``received`` with a backoff, or ``failed`` once the attempts are used up.
    True if the message has just become a dead letter."""
    doc = await store.messages.find_one({"_id": msg_id}, {"attempts": 1, "status": 1})
    if doc is None or doc.get("status") == FAILED:
        return False
    attempts = doc.get("attempts") or 0
    now = utcnow()
    if attempts >= max_attempts:
        result = await store.messages.update_one(
            {"_id": msg_id, "status": {"$ne": FAILED}},
            {"$set": {"status": FAILED, "last_error": error, "failed_at": now, "next_attempt_at": None}})
        return result.modified_count == 1
    await store.messages.update_one(
        {"_id": msg_id, "status": {"$in": ["received", "processing"]}},
        {"$set": {"status": "received", "last_error": error,
                  "next_attempt_at": now + timedelta(seconds=backoff_s(attempts, base_s))}})
    return False


async def mark_failed(store: Store, msg_id: str, error: str, *, expected_status: str) -> bool:
    """Make a message a dead letter at once (it cannot even be read back, or it used up its attempts without
    ever finishing); True if this call did it."""
    result = await store.messages.update_one(
        {"_id": msg_id, "status": expected_status},
        {"$set": {"status": FAILED, "last_error": error[:MAX_ERROR_CHARS], "failed_at": utcnow(),
                  "next_attempt_at": None}})
    return result.modified_count == 1


async def retry(store: Store, msg_id: str, *, actor: str) -> bool:
    """Staff's "retry": a dead letter goes back to ``received`` with fresh attempts; the recovery sweep takes it.
    False if it is not (or no longer) a dead letter."""
    result = await store.messages.update_one(
        {"_id": msg_id, "direction": "in", "status": FAILED},
        {"$set": {"status": "received", "attempts": 0, "next_attempt_at": None, "retried_by": actor,
                  "retried_at": utcnow()}})
    return result.modified_count == 1


async def dead_letters(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    """The newest inbound dead letters, for the dashboard."""
    cursor = store.messages.find({"direction": "in", "status": FAILED}).sort(
        [("failed_at", DESCENDING), ("_id", DESCENDING)]).limit(limit)
    return [doc async for doc in cursor]


async def count(store: Store) -> int:
    return await store.messages.count_documents({"direction": "in", "status": FAILED})
