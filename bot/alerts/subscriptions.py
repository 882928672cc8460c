"""Residents' subscriptions to area notices: one document per conversation in ``alert_subscriptions``.

``_id`` is the conversation id; ``areas`` (ids of :mod:`bot.alerts.areas`), or a shared ``point`` with
``radius_m``, or both; ``kinds`` (:data:`bot.alerts.kinds.KINDS`); ``consent`` records when and in which language
the person agreed, and to which version of the text. Nothing is sent without a subscription, and a subscription
exists only after that explicit consent; ``stop`` deletes it (nothing about the person is kept).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bot.alerts.areas import AreaCatalogue
from bot.alerts.kinds import KINDS
from bot.core.models import GeoPoint, Language, utcnow
from bot.store import Store

CONSENT_VERSION = "alerts-consent-1"
DEFAULT_RADIUS_M = 1000
RADII_M: tuple[int, ...] = (500, 1000, 3000)


def collection(store: Store) -> Any:
    return store.db["alert_subscriptions"]


@dataclass(slots=True)
class Subscription:
    conversation_id: str
    channel: str
    chat_id: str
    areas: list[str] = field(default_factory=list)
    point: GeoPoint | None = None
    radius_m: int = DEFAULT_RADIUS_M
    kinds: list[str] = field(default_factory=lambda: list(KINDS))

    def reached_by(self, catalogue: AreaCatalogue, notice_areas: list[str], kind: str) -> bool:
        """Does a notice of ``kind`` to ``notice_areas`` reach this subscriber?"""
        if kind not in self.kinds:
            return False
        if set(self.areas) & catalogue.reach(notice_areas):
            return True
        if self.point is not None:
            return any(area.near(self.point, self.radius_m)
                       for area_id in notice_areas if (area := catalogue.get(area_id)) is not None)
        return False

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Subscription:
        point = doc.get("point")
        return cls(conversation_id=doc["_id"], channel=doc["channel"], chat_id=doc["chat_id"],
                   areas=list(doc.get("areas") or ()),
                   point=GeoPoint(point["lat"], point["lon"]) if isinstance(point, dict) else None,
                   radius_m=int(doc.get("radius_m") or DEFAULT_RADIUS_M), kinds=list(doc.get("kinds") or ()))


async def get(store: Store, conversation_id: str) -> Subscription | None:
    doc = await collection(store).find_one({"_id": conversation_id})
    return Subscription.from_doc(doc) if doc else None


async def save(store: Store, sub: Subscription, *, consent_language: Language) -> None:
    """Create or replace the subscription; the consent is recorded each time the person confirms."""
    now = utcnow()
    await collection(store).update_one(
        {"_id": sub.conversation_id},
        {"$set": {"channel": sub.channel, "chat_id": sub.chat_id, "areas": sub.areas,
                  "point": {"lat": sub.point.lat, "lon": sub.point.lon} if sub.point else None,
                  "radius_m": sub.radius_m, "kinds": sub.kinds, "updated_at": now,
                  "consent": {"given_at": now, "version": CONSENT_VERSION, "language": consent_language}},
         "$setOnInsert": {"created_at": now}},
        upsert=True,
    )


async def stop(store: Store, conversation_id: str) -> bool:
    """Delete the subscription; ``True`` if there was one."""
    result = await collection(store).delete_one({"_id": conversation_id})
    return result.deleted_count > 0


async def matching(store: Store, catalogue: AreaCatalogue, notice_areas: list[str],
                   kind: str) -> AsyncIterator[Subscription]:
    """Every subscription a notice reaches. Narrowed in MongoDB by kind, then by area or a point in Python (a
    point's radius is measured against the areas' outlines)."""
    cursor = collection(store).find({"kinds": kind, "$or": [{"areas": {"$in": sorted(catalogue.reach(notice_areas))}},
                                                            {"point": {"$ne": None}}]})
    async for doc in cursor:
        sub = Subscription.from_doc(doc)
        if sub.reached_by(catalogue, notice_areas, kind):
            yield sub


async def ensure_indexes(store: Store) -> None:
    await collection(store).create_index("kinds", name="by_kind")
