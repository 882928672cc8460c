"""Notices the municipality broadcasts (``alert_notices``): written by a ``broadcaster`` in Greek and English,
aimed at areas, of one kind, valid for a period, optionally sent at a later time.

Life cycle: ``draft`` → ``awaiting_approval`` (civil-protection notices, when ``ALERTS_TWO_PERSON_APPROVAL`` is on —
all of them, or only those to the whole municipality with ``ALERTS_APPROVAL_SCOPE=whole_municipality``: a second
member must approve) → ``scheduled`` → ``queued`` (every recipient's
message is in the outbox: :mod:`bot.alerts.broadcast`), or ``cancelled``. Every step is a conditional update on the
status, so two clicks or two instances cannot move a notice twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument

from bot.alerts.areas import AreaCatalogue, alert_areas
from bot.alerts.kinds import KINDS, KINDS_FOR_CATEGORY
from bot.core.models import GeoPoint, Language, as_utc, utcnow
from bot.store import Store

STATUSES: tuple[str, ...] = ("draft", "awaiting_approval", "scheduled", "queued", "cancelled")
TITLE_MAX, BODY_MAX = 120, 1000


class NoticeError(ValueError):
    """A notice that cannot be saved or moved; ``code`` is a key of the staff catalogue's ``alerts.errors``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def collection(store: Store) -> Any:
    return store.db["alert_notices"]


@dataclass(slots=True)
class Draft:
    kind: str
    areas: list[str]
    title_el: str
    body_el: str
    title_en: str
    body_en: str
    valid_from: datetime
    valid_until: datetime
    send_at: datetime | None = None

    def check(self, catalogue: AreaCatalogue) -> None:
        if self.kind not in KINDS:
            raise NoticeError("bad_kind")
        if not catalogue.valid(self.areas):
            raise NoticeError("no_area")
        if not self.title_el.strip() or not self.body_el.strip():
            raise NoticeError("greek_required")
        if bool(self.title_en.strip()) != bool(self.body_en.strip()):
            raise NoticeError("english_incomplete")
        if max(len(self.title_el), len(self.title_en)) > TITLE_MAX or \
                max(len(self.body_el), len(self.body_en)) > BODY_MAX:
            raise NoticeError("too_long")
        if self.valid_until <= self.valid_from:
            raise NoticeError("bad_period")


ApprovalScope = Literal["civil_protection", "whole_municipality"]


def needs_approval(kind: str, areas: list[str], catalogue: AreaCatalogue, *, two_person: bool,
                   scope: ApprovalScope = "civil_protection") -> bool:
    """A civil-protection notice needs a second person: every one (the default — leaving one unit out of "the whole
    municipality" must not skip the check), or only one to the whole municipality."""
    if not two_person or kind != "civil_protection":
        return False
    return scope == "civil_protection" or catalogue.covers_whole_municipality(areas)


async def create(store: Store, draft: Draft, catalogue: AreaCatalogue, *, author: str,
                 two_person: bool, scope: ApprovalScope = "civil_protection") -> dict[str, Any]:
    draft.check(catalogue)
    now = utcnow()
    areas = catalogue.valid(draft.areas)
    doc = {
        "kind": draft.kind, "areas": areas,
        "title": {"el": draft.title_el.strip(), "en": draft.title_en.strip()},
        "body": {"el": draft.body_el.strip(), "en": draft.body_en.strip()},
        "valid_from": draft.valid_from, "valid_until": draft.valid_until, "send_at": draft.send_at,
        "status": "draft", "needs_approval": needs_approval(draft.kind, areas, catalogue, two_person=two_person,
                                                           scope=scope),
        "created_by": author, "created_at": now, "history": [{"at": now, "by": author, "status": "draft"}],
    }
    result = await collection(store).insert_one(doc)
    doc["_id"] = result.inserted_id
    return doc


def parse_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


async def get(store: Store, notice_id: str) -> dict[str, Any] | None:
    oid = parse_id(notice_id)
    return await collection(store).find_one({"_id": oid}) if oid else None


async def _move(store: Store, notice_id: ObjectId, from_: tuple[str, ...], to: str, actor: str,
                extra: dict[str, Any] | None = None, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    now = utcnow()
    doc = await collection(store).find_one_and_update(
        {"_id": notice_id, "status": {"$in": list(from_)}, **(condition or {})},
        {"$set": {"status": to, **(extra or {})}, "$push": {"history": {"at": now, "by": actor, "status": to}}},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        raise NoticeError("wrong_state")
    return doc


async def submit(store: Store, notice: dict[str, Any], actor: str) -> dict[str, Any]:
    """The author sends it: to a second person first if it needs approval, else scheduled."""
    to = "awaiting_approval" if notice.get("needs_approval") else "scheduled"
    return await _move(store, notice["_id"], ("draft",), to, actor)


async def approve(store: Store, notice: dict[str, Any], actor: str) -> dict[str, Any]:
    """A second member (never the author) approves: the notice is scheduled."""
    if actor == notice.get("created_by"):
        raise NoticeError("own_notice")
    return await _move(store, notice["_id"], ("awaiting_approval",), "scheduled", actor,
                       {"approved_by": actor, "approved_at": utcnow()}, {"created_by": {"$ne": actor}})


async def cancel(store: Store, notice: dict[str, Any], actor: str) -> dict[str, Any]:
    return await _move(store, notice["_id"], ("draft", "awaiting_approval", "scheduled"), "cancelled", actor)


async def claim_due(store: Store, now: datetime | None = None) -> dict[str, Any] | None:
    """Atomically take one scheduled notice whose time has come (``queuing``); ``None`` when there is none."""
    now = now or utcnow()
    return await collection(store).find_one_and_update(
        {"status": "scheduled", "$or": [{"send_at": None}, {"send_at": {"$lte": now}}]},
        {"$set": {"status": "queuing", "queuing_since": now}},
        sort=[("created_at", 1)], return_document=ReturnDocument.AFTER,
    )


async def mark_queued(store: Store, notice_id: ObjectId, count: int) -> None:
    now = utcnow()
    await collection(store).update_one(
        {"_id": notice_id},
        {"$set": {"status": "queued", "queued_at": now, "recipients": count},
         "$push": {"history": {"at": now, "by": "system", "status": "queued"}}})


async def release_stale(store: Store, older_than: datetime) -> int:
    """A notice left ``queuing`` by a crashed instance goes back to ``scheduled``; queuing again is safe because
    each recipient's outbox entry has a fixed key."""
    result = await collection(store).update_many({"status": "queuing", "queuing_since": {"$lte": older_than}},
                                                 {"$set": {"status": "scheduled"}})
    return result.modified_count


async def active(store: Store, now: datetime | None = None) -> list[dict[str, Any]]:
    """Notices sent and still valid, newest first (the public page, the feed, the JSON endpoint)."""
    now = now or utcnow()
    cursor = collection(store).find({"status": "queued", "valid_until": {"$gt": now}}).sort("valid_from", -1)
    return [doc async for doc in cursor]


async def active_at(store: Store, catalogue: AreaCatalogue, point: GeoPoint | None, area_id: str | None,
                    category: str, now: datetime | None = None) -> dict[str, Any] | None:
    """A valid notice that may explain a complaint of ``category`` at a place (a point, or a named area)."""
    kinds = KINDS_FOR_CATEGORY.get(category)
    if not kinds:
        return None
    now = now or utcnow()
    for notice in await active(store, now):
        if notice["kind"] not in kinds or as_utc(notice["valid_from"]) > now:
            continue
        areas = [a for a in (catalogue.get(i) for i in notice["areas"]) if a is not None]
        if point is not None and any(a.contains(point) for a in areas):
            return notice
        if area_id is not None and area_id in catalogue.reach(notice["areas"]):
            return notice
    return None


async def explaining(store: Store, point: GeoPoint | None, address: str | None,
                     category: str) -> dict[str, Any] | None:
    """A notice in force that may explain a complaint just filed, at its pin or at the area its address names."""
    catalogue = alert_areas()
    area = catalogue.named_in(address) if address and point is None else None
    if point is None and area is None:
        return None
    return await active_at(store, catalogue, point, area.id if area else None, category)


def text_for(notice: dict[str, Any], lang: Language) -> tuple[str, str]:
    """Title and body in ``lang``; Greek where the English was left empty."""
    title, body = notice["title"], notice["body"]
    if lang == "en" and title.get("en") and body.get("en"):
        return title["en"], body["en"]
    return title["el"], body["el"]


async def ensure_indexes(store: Store) -> None:
    await collection(store).create_index([("status", 1), ("send_at", 1)], name="by_status")
