"""Talking to a person: the waiting-for-staff queue, take-over and hand-back as the resident lives them.

A conversation asks for staff (intent ``talk_to_human``): its document gets ``waiting_since`` (UTC) and the live
monitor lists it in the waiting queue, oldest first. When a staff member takes it over, the resident is told who
("Μαρία — Δήμος Χανίων"), the bot stops answering and ``waiting_since`` is cleared; staff replies carry the same
signature. At hand-back the resident is told the bot is back, and a report left half-way is not resumed as if
nothing happened: the conversation's flow is put on hold (``handlers/handoff.py`` asks whether to continue it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from bot.handoff.hours import LOCAL_TZ, OfficeHours
from bot.i18n import Texts
from bot.models import Attachment, Button, GeoPoint, Inbound, Reply, as_utc, utcnow
from bot.services import Services
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


async def staff_joined(services: Services, conversation_id: str, member: Any) -> bool:
    """Take-over: the bot stops, the queue forgets the conversation, the resident is told who is answering."""
    doc = await services.store.conversations.find_one_and_update(
        {"_id": conversation_id}, {"$set": {"paused": True, "waiting_since": None}})
    if doc is None:
        return False
    if not doc.get("paused"):  # since when staff hold it: what the resident sends them from then on is kept apart
        await services.store.conversations.update_one({"_id": conversation_id}, {"$set": {"paused_at": utcnow()}})
        t = Texts(_lang(doc.get("language")))
        name = signature_name(member)
        joined = t("handoff.staff_joined", name=name) if name else t("handoff.staff_joined_unnamed")
        await services.outbox.send_to(conversation_id, [Reply(joined)])
    return True


async def bot_back(services: Services, conversation_id: str) -> bool:
    """Hand-back: the bot answers again and says so; a report left half-way waits for the resident's yes."""
    doc = await services.store.conversations.find_one({"_id": conversation_id})
    if doc is None:
        return False
    flow = doc.get("flow")
    update: dict[str, Any] = {"paused": False, "waiting_since": None}
    hold = bool(flow) and flow.get("name") != HOLD_FLOW
    if hold:  # ``since``: the take-over; a location or photos sent to staff after it are offered to the report
        update["flow"] = {"name": HOLD_FLOW, "step": "continue?",
                          "slots": {"held": flow, "since": doc.get("paused_at")}}
    await services.store.conversations.update_one({"_id": conversation_id}, {"$set": update})
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
