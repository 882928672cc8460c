"""What of a ticket is public over Open311, and the staff's say in it.

Public: tickets filed by residents on the chat channels or by another system over Open311, except assisted-intake
tickets (``channel == "assisted"``: a clerk filed them for a person in a day centre) and tickets marked ``private``
(the resident asked, or staff decided). Description, address and status notes are redacted of personal data
(phones, e-mails, ΑΦΜ, ΑΜΚΑ, names after "my name is" / "με λένε" …, and the reporter's own name wherever it
appears) by :func:`bot.privacy.redaction.redact_text`. A photo is public only once staff set
its ``approved`` flag; it is then served by ``/open311/v2/media/{reference}/{index}`` and nothing else is.

Fields added to the ticket document (``tickets`` collection): ``private`` (bool, absent = False) and, on each
entry of ``photos``, ``approved`` (bool, absent = False).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ReturnDocument

from bot.core.models import Language
from bot.core.services import Services
from bot.privacy.redaction import redact_text
from bot.tickets import OPEN_STATUSES, ticket_point
from bot.tickets.categories import categories

PUBLIC_FILTER: dict[str, Any] = {"channel": {"$ne": "assisted"}, "private": {"$ne": True}}
MEDIA_PATH = "/open311/v2/media/{reference}/{index}"


def is_public(ticket: Mapping[str, Any]) -> bool:
    return ticket.get("channel") != "assisted" and not ticket.get("private")


def open_or_closed(status: str) -> str:
    """The spec's two statuses: new/acknowledged/in_progress are ``open``, every other status ``closed``."""
    return "open" if status in OPEN_STATUSES else "closed"


def _reporter_names(ticket: Mapping[str, Any]) -> tuple[str, ...]:
    name = (ticket.get("citizen") or {}).get("name")
    return (name,) if name else ()


def status_note(ticket: Mapping[str, Any]) -> str | None:
    """The note of the latest status change (not of a reassignment), redacted; ``None`` when it has none."""
    for entry in reversed(ticket.get("history") or ()):
        if entry.get("department"):
            continue  # a reassignment: an internal matter
        note = (entry.get("note") or "").strip()
        return redact_text(note, _reporter_names(ticket)) if note else None
    return None


def approved_photos(ticket: Mapping[str, Any]) -> list[int]:
    return [i for i, p in enumerate(ticket.get("photos") or ()) if p.get("approved")]


def _redacted(text: str | None, ticket: Mapping[str, Any]) -> str | None:
    return redact_text(text, _reporter_names(ticket)) if text else None


def public_request(ticket: Mapping[str, Any], lang: Language, base_url: str) -> dict[str, Any]:
    """A ticket as a GeoReport v2 service request: every field of the spec, in the spec's order."""
    cat = categories().get(ticket["category"])
    department = categories().department(ticket.get("department") or "")
    point = ticket_point(ticket)
    photos = approved_photos(ticket)
    media = base_url + MEDIA_PATH.format(reference=ticket["reference"], index=photos[0]) if photos else None
    return {
        "service_request_id": ticket["reference"],
        "status": open_or_closed(ticket["status"]),
        "status_notes": status_note(ticket),
        "service_name": cat.name(lang) if cat else None,
        "service_code": ticket.get("service_code") or (cat.service_code if cat else None),
        "description": _redacted(ticket.get("description"), ticket),
        "agency_responsible": department.name(lang) if department else None,
        "service_notice": None,
        "requested_datetime": ticket["created_at"],
        "updated_datetime": ticket.get("updated_at") or ticket["created_at"],
        "expected_datetime": None,
        "address": _redacted(ticket.get("address"), ticket),
        "address_id": None,
        "zipcode": None,
        "lat": point.lat if point else None,
        "long": point.lon if point else None,
        "media_url": media,
    }


async def set_private(services: Services, reference: str, private: bool) -> dict[str, Any] | None:
    """Keep a ticket out of Open311 (or publish it again); the updated ticket, ``None`` for an unknown one."""
    return await services.store.tickets.find_one_and_update(
        {"reference": reference}, {"$set": {"private": private}}, return_document=ReturnDocument.AFTER)


async def set_photo_approved(services: Services, reference: str, index: int, approved: bool) -> bool:
    """Approve (or withdraw) photo ``index`` of a ticket for publication; ``False`` when there is no such photo."""
    result = await services.store.tickets.update_one(
        {"reference": reference, f"photos.{index}": {"$exists": True}},
        {"$set": {f"photos.{index}.approved": approved}})
    return result.matched_count == 1
