"""Talking to a person: the waiting-for-staff queue, take-over and hand-back as the resident lives them.

A conversation asks for staff (intent ``talk_to_human``): its document gets ``waiting_since`` (UTC) and the live
monitor lists it in the waiting queue, oldest first. When a staff member takes it over, the resident is told who
("Μαρία — Δήμος Χανίων"), the bot stops answering and ``waiting_since`` is cleared; staff replies carry the same
signature. One staff member holds a chat at a time: the take-over is one conditional update (``held_by`` unset or
already the same member), ``held_by_name`` is what staff pages show, ``held_active_at`` the holder's last take-over
or reply (the idle release of :mod:`bot.handoff.release` reads it). At hand-back the resident is told the bot is
back, and a report left half-way is not resumed as if nothing happened: the conversation's flow is put on hold
(``handlers/handoff.py`` asks whether to continue it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from bot.core.i18n import Texts
from bot.core.models import Attachment, Button, GeoPoint, Inbound, Reply, as_utc, utcnow
from bot.core.services import Services
from bot.handoff.hours import LOCAL_TZ, OfficeHours
from bot.store import Store

HOLD_FLOW = "handoff"  # the flow that holds a report left half-way while staff talked (handlers/handoff.py)
QUEUE_LIMIT = 50


def office_hours(services: Services) -> OfficeHours:
    s = services.settings
    return OfficeHours.from_text(s.office_days, s.office_hours)


def signature_name(member: Any) -> str:
    """The name residents see for a staff member: the display name the admin or the member set; "" when none
    (never the login: it is half of a credential and means nothing to a resident)."""
    return (getattr(member, "display_name", "") or "").strip()


def signature(member: Any, language: str) -> str:
    """"Μαρία — Δήμος Χανίων"; without a display name the generic "Υπάλληλος του Δήμου Χανίων"."""
    t = Texts(_lang(language))
    name = signature_name(member)
    return t("handoff.signature", name=name) if name else t("handoff.staff_unnamed")


def sign(text: str, member: Any, language: str) -> str:
    """A staff reply as the resident reads it: the text, then the signature."""
    return f"{text}\n\n{signature(member, language)}"


def _lang(language: Any) -> Any:
    return language if language in ("el", "en") else "el"


async def request_staff(store: Store, conversation_id: str, now: datetime | None = None) -> datetime:
    """Put the conversation in the waiting queue (once: asking again keeps its place). Returns since when."""
    now = now or utcnow()
    await store.conversations.update_one({"_id": conversation_id, "waiting_since": None},
                                         {"$set": {"waiting_since": now}})
    doc = await store.conversations.find_one({"_id": conversation_id}, projection={"waiting_since": 1})
    since = (doc or {}).get("waiting_since")
    return as_utc(since) if since else now


async def waiting_queue(store: Store, limit: int = QUEUE_LIMIT) -> list[dict[str, Any]]:
    """Conversations waiting for staff, the longest waiting first."""
    cursor = store.conversations.find({"waiting_since": {"$ne": None}, "paused": {"$ne": True}}).sort(
        [("waiting_since", ASCENDING), ("_id", ASCENDING)]).limit(limit)
    return [doc async for doc in cursor]


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a taken-over chat, as staff pages show it."""
    actor: str
    name: str
    since: datetime | None

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Holder:
        since = doc.get("paused_at")
        return cls(str(doc.get("held_by") or ""), str(doc.get("held_by_name") or doc.get("held_by") or ""),
                   as_utc(since) if isinstance(since, datetime) else None)


def staff_label(member: Any) -> str:
    """The name other staff see for the holder: the display name, else the login."""
    return signature_name(member) or str(getattr(member, "username", "") or "")


async def staff_joined(services: Services, conversation_id: str, member: Any) -> Holder | None:
    """Take-over: the bot stops, the queue forgets the conversation, the resident is told who is answering.

    Atomic: only when nobody holds the chat or ``member`` already does. Returns who holds it afterwards (``member``,
    or the colleague who holds it already: then nothing changes), None when there is no such conversation."""
    now = utcnow()
    doc = await services.store.conversations.find_one_and_update(
        {"_id": conversation_id, "held_by": {"$in": [None, member.actor]}},
        {"$set": {"paused": True, "waiting_since": None, "held_by": member.actor,
                  "held_by_name": staff_label(member), "held_active_at": now}})
    if doc is None:
        other = await services.store.conversations.find_one({"_id": conversation_id})
        return Holder.of(other) if other is not None else None
    if not doc.get("paused"):  # since when staff hold it: what the resident sends them from then on is kept apart
        await services.store.conversations.update_one({"_id": conversation_id}, {"$set": {"paused_at": now}})
        doc["paused_at"] = now
        t = Texts(_lang(doc.get("language")))
        name = signature_name(member)
        joined = t("handoff.staff_joined", name=name) if name else t("handoff.staff_joined_unnamed")
        await services.outbox.send_to(conversation_id, [Reply(joined)])
    return Holder.of(doc | {"held_by": member.actor, "held_by_name": staff_label(member)})


async def staff_active(store: Store, conversation_id: str, member: Any) -> None:
    """The holder replied: the idle release counts from now."""
    await store.conversations.update_one({"_id": conversation_id, "held_by": member.actor},
                                         {"$set": {"held_active_at": utcnow()}})


async def bot_back(services: Services, conversation_id: str, only_if: dict[str, Any] | None = None) -> bool:
    """Hand-back: the bot answers again and says so; a report left half-way waits for the resident's yes.

    ``only_if``: a further condition on the conversation (the idle release's), checked in the same atomic update
    that ends the take-over, so two instances never hand one chat back twice."""
    released = {"paused": False, "waiting_since": None, "held_by": None, "held_by_name": None, "held_active_at": None}
    doc = await services.store.conversations.find_one_and_update({"_id": conversation_id, **(only_if or {})},
                                                                 {"$set": released})
    if doc is None:
        return False
    flow = doc.get("flow")
    hold = bool(flow) and flow.get("name") != HOLD_FLOW
    if hold:  # ``since``: the take-over; a location or photos sent to staff after it are offered to the report
        await services.store.conversations.update_one({"_id": conversation_id}, {"$set": {"flow": {
            "name": HOLD_FLOW, "step": "continue?", "slots": {"held": flow, "since": doc.get("paused_at")}}}})
    if doc.get("paused"):
        t = Texts(_lang(doc.get("language")))
        replies = [Reply(t("handoff.bot_back"))]
        if hold or (flow and flow.get("name") == HOLD_FLOW):
            held = flow.get("slots", {}).get("held") if flow.get("name") == HOLD_FLOW else flow
            replies.append(continue_question(t, (held or {}).get("name")))
        await services.outbox.send_to(conversation_id, replies)
    return True


async def shared_with_staff(store: Store, conversation_id: str, since: datetime | None,
                            ) -> tuple[GeoPoint | None, list[Attachment]]:
    """What the resident sent while staff held the chat (since ``since``): the last location shared and the
    photos, oldest first."""
    query: dict[str, Any] = {"conversation_id": conversation_id, "direction": "in", "status": "paused",
                             "$or": [{"location": {"$ne": None}}, {"attachments.0": {"$exists": True}}]}
    if since is not None:
        query["created_at"] = {"$gte": since}
    location: GeoPoint | None = None
    photos: list[Attachment] = []
    async for doc in store.messages.find(query).sort([("created_at", ASCENDING), ("seq", ASCENDING)]).limit(50):
        shared = Inbound.from_doc(doc)
        location = shared.location or location
        photos += [a for a in shared.attachments if a.kind == "photo"]
    return location, photos


def continue_question(t: Texts, held_flow: str | None) -> Reply:
    """Whether to go on with what the resident left half-way: a report, or another flow named in its words."""
    if held_flow == "complaints" or not t.has(f"handoff.held.{held_flow}"):
        return Reply(t("handoff.continue_report"), buttons=(Button(t("handoff.continue_yes"), "human:continue"),
                                                            Button(t("handoff.continue_no"), "human:drop")))
    return Reply(t("handoff.continue_other", what=t(f"handoff.held.{held_flow}")),
                 buttons=(Button(t("handoff.continue_other_yes"), "human:continue"),
                          Button(t("handoff.continue_no"), "human:drop")))


def days_text(t: Texts, days: frozenset[int]) -> str:
    """ "Monday–Friday" for a run of days, "Monday, Wednesday" otherwise."""
    ordered = sorted(days)
    names = [t(f"handoff.weekday.{d}") for d in ordered]
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{names[0]}–{names[-1]}"
    return ", ".join(names)


def when_text(t: Texts, at: datetime) -> str:
    """ "Tuesday 02/12 at 08:00" in the conversation's language."""
    local = at.astimezone(LOCAL_TZ)
    day = t(f"handoff.weekday.{local.weekday()}")
    return t("handoff.when", day=day, date=local.strftime("%d/%m"), time=local.strftime("%H:%M"))
