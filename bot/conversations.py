"""Conversation documents: one per (channel, user), holding language, running flow and take-over state.

Document: ``_id`` "<channel>:<user_id>", channel, user_id, chat_id, language, language_locked, flow
({name, step, slots} or None), paused, unsubscribed, last_location {lat, lon} / last_location_at, last_activity,
last_text, last_intent, last_confidence, created_at. Only what the conversation needs: no names, no profiles.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from bot.core.models import GeoPoint, Inbound, Language, as_utc, utcnow
from bot.store import Store
from handlers.base import Conversation, FlowState


def conversation_id(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


def from_doc(doc: dict[str, Any]) -> Conversation:
    loc = doc.get("last_location")
    return Conversation(
        id=doc["_id"],
        channel=doc["channel"],
        user_id=doc["user_id"],
        chat_id=doc["chat_id"],
        language=doc.get("language") or "el",
        language_locked=bool(doc.get("language_locked")),
        flow=FlowState.from_doc(doc.get("flow")),
        paused=bool(doc.get("paused")),
        last_location=GeoPoint(loc["lat"], loc["lon"]) if loc else None,
        last_location_at=as_utc(at) if (at := doc.get("last_location_at")) else None,
        is_new=doc.get("created_at") is not None and doc.get("created_at") == doc.get("last_activity"),
    )


async def load_or_create(store: Store, inbound: Inbound, default_language: Language) -> Conversation:
    """Find the conversation of this inbound message, creating it on first contact (one atomic upsert)."""
    now = utcnow()
    doc = await store.conversations.find_one_and_update(
        {"_id": conversation_id(inbound.channel, inbound.user_id)},
        {
            "$set": {"chat_id": inbound.chat_id, "last_activity": now},
            "$setOnInsert": {
                "channel": inbound.channel, "user_id": inbound.user_id, "language": default_language,
                "language_locked": False, "flow": None, "paused": False, "created_at": now,
            },
        },
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    return from_doc(doc)


async def get(store: Store, conv_id: str) -> Conversation | None:
    doc = await store.conversations.find_one({"_id": conv_id})
    return from_doc(doc) if doc else None


async def save_turn(store: Store, conv: Conversation, *, text: str, intent: str | None,
                    confidence: float | None) -> None:
    """Persist what a turn changed: language, flow, last location and the monitor's summary fields."""
    fields: dict[str, Any] = {
        "language": conv.language,
        "language_locked": conv.language_locked,
        "flow": conv.flow.to_doc() if conv.flow else None,
        "last_text": text[:200],
        "last_intent": intent,
        "last_confidence": confidence,
        "last_activity": utcnow(),
    }
    if conv.last_location is not None:
        fields["last_location"] = {"lat": conv.last_location.lat, "lon": conv.last_location.lon}
        fields["last_location_at"] = conv.last_location_at
    await store.conversations.update_one({"_id": conv.id}, {"$set": fields})


async def set_paused(store: Store, conv_id: str, paused: bool) -> bool:
    """Staff take-over (True) or hand-back (False). Returns False for an unknown conversation."""
    result = await store.conversations.update_one({"_id": conv_id}, {"$set": {"paused": paused}})
    return result.matched_count == 1
