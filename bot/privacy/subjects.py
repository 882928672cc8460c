"""Who a request is about: a :class:`DataSubject` from a conversation (the person asking in the chat) or from what a
person tells the data-protection officer (a ticket reference or a phone number)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.privacy.registry import DataSubject
from bot.store import Store
from bot.tickets import parse_reference, phones


async def of_conversation(store: Store, conversation_id: str) -> DataSubject:
    """The person writing in this conversation: only what this conversation filed or follows. A chat user proves
    nothing else about themselves, so a phone number they typed does not open other records (someone else's
    request at a day centre given with the same number)."""
    return DataSubject(conversation_ids=frozenset({conversation_id}))


async def _phones_given(store: Store, subject: DataSubject) -> set[str]:
    """The phone numbers given with the subject's tickets (filed from their conversations or recorded for them)."""
    query = {"$or": [{"conversation_id": {"$in": sorted(subject.conversation_ids)}},
                     {"reference": {"$in": sorted(subject.references)}}], "citizen.phone": {"$exists": True}}
    found = set()
    async for t in store.tickets.find(query, {"citizen.phone": 1}):
        if phone := phones.normalise((t.get("citizen") or {}).get("phone")):
            found.add(phone)
    return found


async def _known_by_phones(store: Store, numbers: Iterable[str], conversation_ids: Iterable[str] = (),
                           references: Iterable[str] = ()) -> DataSubject:
    """The person with these phone numbers: every ticket given with one of them (in whatever form it was stored)
    and the conversations those tickets came from or that shared one of them as a contact."""
    numbers, conversation_ids, references = set(numbers), set(conversation_ids), set(references)
    async for t in store.tickets.find({"citizen.phone": {"$exists": True}},
                                      {"reference": 1, "conversation_id": 1, "citizen.phone": 1}):
        if phones.normalise(t["citizen"].get("phone")) in numbers:
            references.add(t["reference"])
            if t.get("conversation_id"):
                conversation_ids.add(t["conversation_id"])
    async for m in store.messages.find({"contact_phone": {"$ne": None, "$exists": True}},
                                       {"conversation_id": 1, "contact_phone": 1}):
        if phones.normalise(m.get("contact_phone")) in numbers:
            conversation_ids.add(m["conversation_id"])
    return DataSubject(frozenset(conversation_ids), frozenset(numbers), frozenset(references))


async def find(store: Store, query: str) -> DataSubject | None:
    """A person by a ticket reference or by a phone number (the DPO has checked who is asking); ``None`` when no
    record matches. A reference brings the ticket's conversation and the phone numbers given with that person's
    tickets; a phone finds every ticket given with it and the conversations those tickets came from, so a person
    known only by the phone they left at a day centre has all their requests found."""
    reference = parse_reference(query)
    if reference:
        ticket = await store.tickets.find_one({"reference": reference}, {"conversation_id": 1})
        if ticket is None:
            return None
        start = DataSubject(conversation_ids=frozenset({ticket["conversation_id"]} if ticket.get("conversation_id")
                                                       else ()), references=frozenset({reference}))
        return await _known_by_phones(store, await _phones_given(store, start), start.conversation_ids,
                                      start.references)
    phone = phones.normalise(query)
    if phone is None:
        return None
    subject = await _known_by_phones(store, {phone})
    return subject if subject.conversation_ids or subject.references else None
