"""Complaint tickets: creation with a reference number, status life cycle, notes, duplicates (design.md section 4).

The contract shared with the staff dashboard is /tmp/tickets-contract.md (summarised here):
a ticket is one document of ``store.tickets`` with a unique ``reference`` ``CHA-<year>-<6 digits>`` taken from the
store's atomic counter ``ticket-<year>``; ``status`` is one of :data:`STATUSES` and every change is appended to
``history`` (time, actor, note) in the same atomic update that sets it. :func:`change_status` is the one function
that changes a status; it tells the resident on their channel, in the ticket's language, with the note.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from bot.core.geo import EARTH_RADIUS_M, haversine_m
from bot.core.i18n import Texts
from bot.core.models import Attachment, GeoPoint, Language, Reply, as_utc, utcnow
from bot.core.services import Services
from bot.tickets.categories import categories as all_categories
from nlu.chania_text import normalize

log = logging.getLogger(__name__)

STATUSES: tuple[str, ...] = ("new", "acknowledged", "in_progress", "resolved", "rejected", "duplicate", "referred")
OPEN_STATUSES: tuple[str, ...] = ("new", "acknowledged", "in_progress")
CHANNELS: tuple[str, ...] = ("telegram", "viber", "webchat", "assisted", "open311")
MAX_DESCRIPTION = 2000
MAX_NOTE = 2000
LOCAL_TZ = ZoneInfo("Europe/Athens")
REFERENCE_PREFIX = "CHA"
_REFERENCE_RE = re.compile(r"\bCHA[\s_-]*(\d{4})[\s_-]*(\d{1,6})\b", re.IGNORECASE)


# --- references -------------------------------------------------------------------------------------------------

def format_reference(year: int, seq: int) -> str:
    return f"{REFERENCE_PREFIX}-{year:04d}-{seq:06d}"


def parse_reference(text: str) -> str | None:
    """The reference in ``text`` in its canonical form, tolerant of case and separators: ``cha 2026 123`` →
    ``CHA-2026-000123``; ``None`` when there is none."""
    m = _REFERENCE_RE.search(text or "")
    return format_reference(int(m.group(1)), int(m.group(2))) if m else None


def local_time(at: datetime) -> datetime:
    """A stored (UTC) time in Europe/Athens, for display."""
    return as_utc(at).astimezone(LOCAL_TZ)


def geojson_point(point: GeoPoint) -> dict[str, Any]:
    if not (-90 <= point.lat <= 90 and -180 <= point.lon <= 180):
        raise ValueError(f"not a position on Earth: {point}")
    return {"type": "Point", "coordinates": [point.lon, point.lat]}


def ticket_point(ticket: Mapping[str, Any]) -> GeoPoint | None:
    loc = ticket.get("location")
    if not loc:
        return None
    lon, lat = loc["coordinates"]
    return GeoPoint(lat=lat, lon=lon)


# --- creation and reading ---------------------------------------------------------------------------------------

def _photo_doc(photo: Attachment | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(photo, Attachment):
        return {"file_id": photo.file_id, "url": photo.url, "size": photo.size}
    doc = {"file_id": photo.get("file_id"), "url": photo.get("url"), "size": photo.get("size")}
    if photo.get("data"):  # uploaded at assisted intake: kept in the ticket (bot/tickets/photos.py)
        doc |= {"data": photo["data"], "content_type": photo.get("content_type")}
    return doc


def _citizen_doc(citizen: Mapping[str, Any] | None) -> dict[str, str]:
    # only what the work needs: a name (assisted intake) and a call-back phone given with consent
    return {k: str(citizen[k]) for k in ("name", "phone") if citizen and citizen.get(k)}


async def create_ticket(
    services: Services,
    *,
    category: str,
    description: str,
    channel: str,
    language: Language,
    conversation_id: str | None = None,
    location: GeoPoint | None = None,
    address: str | None = None,
    photos: Iterable[Attachment | Mapping[str, Any]] = (),
    citizen: Mapping[str, Any] | None = None,
    actor: str = "citizen",
    report_nonce: str | None = None,
    report_started_at: datetime | None = None,
    attributes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Store a new ticket (status ``new``) with the next reference number and return the document.

    ``report_nonce`` is the chat flow's nonce: a button of that finished flow can then name the ticket it made.
    ``report_started_at`` is when that flow began: the ticket's page shows staff of a department the messages of
    this report only, not the person's whole chat."""
    cat = all_categories().get(category)
    if cat is None:
        raise ValueError(f"unknown category {category!r}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if language not in ("el", "en"):
        raise ValueError(f"unknown language {language!r}")
    now = utcnow()
    doc: dict[str, Any] = {
        "category": cat.intent,
        "department": cat.department,
        "service_code": cat.service_code,
        "description": (description or "").strip()[:MAX_DESCRIPTION],
        "location": geojson_point(location) if location else None,
        "address": (address or "").strip()[:300] or None,
        "address_key": address_key(address),
        "photos": [_photo_doc(p) for p in photos],
        "channel": channel,
        "language": language,
        "conversation_id": conversation_id,
        "citizen": _citizen_doc(citizen),
        "status": "new",
        "history": [{"status": "new", "at": now, "actor": actor, "note": ""}],
        "notes": [],
        "duplicate_of": None,
        "report_nonce": report_nonce,
        "report_started_at": as_utc(report_started_at) if report_started_at else None,
        **({"attributes": dict(attributes)} if attributes else {}),  # answers to the category's questions
        "created_at": now,
        "updated_at": now,
    }
    year = now.astimezone(LOCAL_TZ).year
    for _ in range(5):
        seq = await services.store.next_sequence(f"ticket-{year}")
        doc["reference"] = format_reference(year, seq)
        doc.pop("_id", None)
        try:
            await services.store.tickets.insert_one(doc)
        except DuplicateKeyError:  # a counter behind the data (e.g. restored backup): take the next number
            log.warning("ticket reference already taken", extra={"reference": doc["reference"]})
            continue
        log.info("ticket created", extra={"reference": doc["reference"], "category": category,
                                          "conversation_id": conversation_id})
        return doc
    raise RuntimeError("could not allocate a free ticket reference")


async def get_ticket(services: Services, reference: str) -> dict[str, Any] | None:
    ref = parse_reference(reference) or reference
    return await services.store.tickets.find_one({"reference": ref})


async def tickets_of_conversation(services: Services, conversation_id: str, limit: int = 5) -> list[dict[str, Any]]:
    """That conversation's most recent tickets, newest first."""
    cursor = services.store.tickets.find({"conversation_id": conversation_id}).sort(
        [("created_at", DESCENDING), ("reference", DESCENDING)]  # BSON times are in ms: the reference breaks ties
    )
    return await cursor.limit(limit).to_list(limit)


def address_key(address: str | None) -> str | None:
    """An address as compared for duplicates: no accents or case, no "οδός"/"street", single spaces
    ("Αποκορώνου 10", "αποκορωνου  10", "οδός Αποκορώνου 10" meet)."""
    if not address:
        return None
    words = [w for w in re.findall(r"\w+", normalize(address)) if w not in _STREET_WORDS]
    return " ".join(words) or None


_STREET_WORDS = frozenset({"οδοσ", "οδου", "οδο", "οδ", "odos", "odou", "odo", "street", "st", "road", "rd"})


async def find_open_at_address(services: Services, category: str, address: str, *, days: int = 30
                               ) -> list[dict[str, Any]]:
    """Open tickets of ``category`` filed in the last ``days`` days at the same typed address (no point to compare:
    no geocoder, or it did not find the place), newest first."""
    key = address_key(address)
    if key is None:
        return []
    cursor = services.store.tickets.find({
        "category": category, "status": {"$in": list(OPEN_STATUSES)}, "address_key": key,
        "created_at": {"$gte": utcnow() - timedelta(days=days)}}).sort("created_at", -1).limit(5)
    return [t async for t in cursor]


async def find_nearby_open(
    services: Services, category: str, point: GeoPoint, *, radius_m: float = 50, days: int = 30
) -> list[dict[str, Any]]:
    """Open tickets of ``category`` filed in the last ``days`` days within ``radius_m`` metres, nearest first.

    A bounding box on the coordinates narrows the query (works on MongoDB and on the stand-in, which has no
    geo operators); the exact great-circle distance decides.
    """
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(point.lat)), 1e-6)
    query = {
        "category": category,
        "status": {"$in": list(OPEN_STATUSES)},
        "created_at": {"$gte": utcnow() - timedelta(days=days)},
        "location.coordinates.0": {"$gte": point.lon - dlon, "$lte": point.lon + dlon},
        "location.coordinates.1": {"$gte": point.lat - dlat, "$lte": point.lat + dlat},
    }
    found = []
    async for ticket in services.store.tickets.find(query):
        where = ticket_point(ticket)
        if where is not None and (dist := haversine_m(point, where)) <= radius_m:
            found.append((dist, ticket))
    found.sort(key=lambda pair: pair[0])
    return [t for _, t in found]


# --- changes ----------------------------------------------------------------------------------------------------

def _history_entry(status: str, actor: str, note: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "at": utcnow(), "actor": actor, "note": (note or "").strip()[:MAX_NOTE], **extra}


async def _update(services: Services, reference: str, update: dict[str, Any],
                  extra_filter: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    return await services.store.tickets.find_one_and_update(
        {"reference": reference, **(extra_filter or {})}, update, return_document=ReturnDocument.AFTER
    )


async def change_status(services: Services, reference: str, status: str, *, actor: str,
                        note: str = "") -> dict[str, Any]:
    """Set the status, append it to the history (one atomic update) and notify the resident.

    ``ValueError`` for an unknown status, ``LookupError`` for an unknown reference.
    """
    return await _set_status(services, reference, status, actor=actor, note=note)


async def mark_duplicate(services: Services, reference: str, of_reference: str, *, actor: str,
                         note: str = "") -> dict[str, Any]:
    """Close ``reference`` as a duplicate of ``of_reference`` (which must exist) and notify the resident."""
    if reference == of_reference:
        raise ValueError("a ticket cannot duplicate itself")
    if await services.store.tickets.find_one({"reference": of_reference}, {"_id": 1}) is None:
        raise LookupError(f"no ticket {of_reference}")
    return await _set_status(services, reference, "duplicate", actor=actor, note=note,
                             extra_set={"duplicate_of": of_reference})


async def _set_status(services: Services, reference: str, status: str, *, actor: str, note: str,
                      extra_set: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    entry = _history_entry(status, actor, note)
    ticket = await _update(services, reference, {
        "$set": {"status": status, "updated_at": entry["at"], **(extra_set or {})},
        "$push": {"history": entry},
    })
    if ticket is None:
        raise LookupError(f"no ticket {reference}")
    log.info("ticket status changed", extra={"reference": reference, "status": status, "actor": actor})
    await notify_resident(services, ticket, entry["note"])
    return ticket


def status_notification(ticket: Mapping[str, Any], note: str, language: Language | None = None, *,
                        follower: bool = False) -> Reply:
    """The message that tells the resident (or a follower) about the ticket's current status, in the ticket's
    language (a follower's own language)."""
    texts = Texts(language or ticket.get("language") or "el")
    cat = all_categories().get(ticket["category"])
    lines = [texts("tickets.notify_follower" if follower else "tickets.notify", ref=ticket["reference"],
                   category=cat.name(texts.lang) if cat else "", status=texts(f"tickets.status.{ticket['status']}"))]
    if ticket["status"] == "duplicate" and ticket.get("duplicate_of"):
        lines.append(texts("tickets.notify_duplicate", other=ticket["duplicate_of"]))
    if note:
        lines.append(texts("tickets.notify_note", note=note))
    return Reply("\n".join(lines))


async def notify_resident(services: Services, ticket: Mapping[str, Any], note: str = "") -> bool:
    """Send the status notification through the outbox; ``False`` when there is nobody to tell (assisted intake)
    or delivery failed (the status change itself stands, the failure is logged).

    Followers (residents who chose to follow this ticket instead of filing a duplicate) are told too, in their
    own language, without the note: staff write the note to the person who filed the report.
    """
    delivered = False
    conversation_id = ticket.get("conversation_id")
    if conversation_id:
        delivered = await _send(services, ticket, conversation_id, status_notification(ticket, note))
    for follower in ticket.get("followers") or ():
        lang = follower.get("language") or ticket.get("language") or "el"
        await _send(services, ticket, follower["conversation_id"], status_notification(ticket, "", lang, follower=True))
    return delivered


async def _send(services: Services, ticket: Mapping[str, Any], conversation_id: str, reply: Reply) -> bool:
    try:
        await services.outbox.send_to(conversation_id, [reply])
    except Exception:  # delivery is the outbox's business; a staff action must not fail because of it
        log.exception("status notification failed", extra={"reference": ticket["reference"],
                                                           "conversation_id": conversation_id})
        return False
    return True


async def follow_ticket(services: Services, reference: str, conversation_id: str,
                        language: Language) -> dict[str, Any]:
    """Add a conversation to the ticket's ``followers`` (once): it gets the status notifications too.

    ``followers`` is ``[{"conversation_id": ..., "language": ..., "at": datetime}]``, an addition to the contract's
    document. ``LookupError`` for an unknown reference.
    """
    ticket = await _update(
        services, reference,
        {"$push": {"followers": {"conversation_id": conversation_id, "language": language, "at": utcnow()}}},
        extra_filter={"followers.conversation_id": {"$ne": conversation_id}},
    )
    if ticket is None:
        ticket = await services.store.tickets.find_one({"reference": reference})
        if ticket is None:
            raise LookupError(f"no ticket {reference}")
    return ticket


async def tickets_followed_by(services: Services, conversation_id: str, limit: int = 5) -> list[dict[str, Any]]:
    """Tickets that conversation follows (filed by someone else), most recent first."""
    cursor = services.store.tickets.find({"followers.conversation_id": conversation_id}).sort(
        [("created_at", DESCENDING), ("reference", DESCENDING)]
    )
    return await cursor.limit(limit).to_list(limit)


def is_follower(ticket: Mapping[str, Any], conversation_id: str) -> bool:
    return any(f.get("conversation_id") == conversation_id for f in ticket.get("followers") or ())


async def reassign(services: Services, reference: str, department: str, *, actor: str,
                   note: str = "") -> dict[str, Any]:
    """Move the ticket to another department; recorded in the history (status unchanged, ``department`` set)."""
    if all_categories().department(department) is None:
        raise ValueError(f"unknown department {department!r}")
    for _ in range(5):
        current = await services.store.tickets.find_one({"reference": reference}, {"status": 1})
        if current is None:
            raise LookupError(f"no ticket {reference}")
        entry = _history_entry(current["status"], actor, note, department=department)
        ticket = await _update(
            services, reference,
            {"$set": {"department": department, "updated_at": entry["at"]}, "$push": {"history": entry}},
            extra_filter={"status": current["status"]},  # the entry names the status it was made under
        )
        if ticket is not None:
            log.info("ticket reassigned", extra={"reference": reference, "department": department, "actor": actor})
            return ticket
    raise RuntimeError(f"ticket {reference} kept changing; try again")


async def add_note(services: Services, reference: str, text: str, *, actor: str) -> dict[str, Any]:
    """Append an internal staff note (never shown to the resident)."""
    text = (text or "").strip()[:MAX_NOTE]
    if not text:
        raise ValueError("empty note")
    at = utcnow()
    ticket = await _update(services, reference, {
        "$set": {"updated_at": at}, "$push": {"notes": {"at": at, "actor": actor, "text": text}},
    })
    if ticket is None:
        raise LookupError(f"no ticket {reference}")
    return ticket
