"""Who a request is about: a :class:`DataSubject` from a conversation (the person asking in the chat) or from what a
person tells the data-protection officer (a ticket reference or a phone number)."""

from __future__ import annotations

from bot.privacy.registry import DataSubject
from bot.store import Store
from bot.tickets import parse_reference, phones


async def _phones_of(store: Store, query: dict) -> frozenset[str]:
    found = set()
    async for t in store.tickets.find({**query, "citizen.phone": {"$exists": True}}, {"citizen.phone": 1}):
        if phone := phones.normalise((t.get("citizen") or {}).get("phone")):
            found.add(phone)
    return frozenset(found)


async def of_conversation(store: Store, conversation_id: str) -> DataSubject:
    """The person writing in this conversation: only what this conversation filed or follows (a chat user proves
    nothing else about themselves, so a phone number they typed does not open other records)."""
    return DataSubject(conversation_ids=frozenset({conversation_id}),
                       phones=await _phones_of(store, {"conversation_id": conversation_id}))


async def find(store: Store, query: str) -> DataSubject | None:
    """A person by a ticket reference or by a phone number (the DPO has checked who is asking); ``None`` when no
    record matches. A phone finds every ticket given with it and the conversations those tickets came from."""
    reference = parse_reference(query)
    if reference:
        ticket = await store.tickets.find_one({"reference": reference}, {"conversation_id": 1, "citizen": 1})
        if ticket is None:
            return None
        if ticket.get("conversation_id"):
            subject = await of_conversation(store, ticket["conversation_id"])
            return DataSubject(subject.conversation_ids, subject.phones, frozenset({reference}))
        phone = phones.normalise((ticket.get("citizen") or {}).get("phone"))
        return DataSubject(phones=frozenset({phone} if phone else ()), references=frozenset({reference}))
    phone = phones.normalise(query)
    if phone is None:
        return None
    conversation_ids, references = set(), set()
    async for t in store.tickets.find({"citizen.phone": {"$exists": True}},
                                      {"reference": 1, "conversation_id": 1, "citizen.phone": 1}):
        if phones.normalise(t["citizen"].get("phone")) == phone:
            references.add(t["reference"])
            if t.get("conversation_id"):
                conversation_ids.add(t["conversation_id"])
    async for m in store.messages.find({"contact_phone": {"$ne": None, "$exists": True}},
                                       {"conversation_id": 1, "contact_phone": 1}):
        if phones.normalise(m.get("contact_phone")) == phone:
            conversation_ids.add(m["conversation_id"])
    if not (conversation_ids or references):
        return None
    return DataSubject(frozenset(conversation_ids), frozenset({phone}), frozenset(references))
