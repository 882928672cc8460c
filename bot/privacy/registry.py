"""Every MongoDB collection that holds personal data of residents, in one place (design.md section 6).

For each collection the registry says what it holds, how to find one person's documents in it (a filter built from
a :class:`DataSubject`), what erasure does to them, and the retention rules the daily job applies. Export, erasure,
the staff's data-protection pages and the retention job all read this list and nothing else, so a collection that is
not here is invisible to them: **a new collection with personal data adds its entry here**, with its retention rule
(``tests/test_privacy_registry.py`` checks that every collection of the store is either registered or declared free
of personal data in :data:`NOT_PERSONAL`).

A person is known by the conversations they wrote from (``<channel>:<user id>``), the phone numbers they gave
(E.164) and the references of tickets recorded for them without a conversation (assisted intake). A ticket given with
one of their phone numbers is theirs: a person known only by the phone they left at a day centre is found by it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bot.store import Store

CLOSED_STATUSES: tuple[str, ...] = ("resolved", "rejected", "duplicate", "referred")

Filter = dict[str, Any]


@dataclass(frozen=True, slots=True)
class DataSubject:
    """One person, as the store knows them."""

    conversation_ids: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()  # E.164, only as checked by the data-protection officer
    references: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.conversation_ids or self.phones or self.references)


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """What becomes due ``period`` days after the time in a document's ``age_field``, and what happens to it.

    ``period`` names the setting that holds the number of days (``RETENTION_*`` in ``bot/core/settings.py``).
    ``due`` adds conditions to the age filter (e.g. "has photos"). ``action`` is ``"delete"`` or an update
    document built at run time (``now`` → update); the update must make the document no longer due, so that a
    second run finds nothing. ``since_closed``: the age counts from the moment the ticket was closed (found in its
    history) instead of a stored field. ``keep``: the ``_id`` s that stay although due (e.g. conversations that an
    open ticket still reports to).
    """

    name: str
    period: str | None  # None: due as soon as the time in age_field has passed
    age_field: str
    action: Literal["delete"] | Callable[[datetime], Mapping[str, Any]]
    due: Filter = field(default_factory=dict)
    since_closed: bool = False
    keep: Callable[[Store], Awaitable[set[Any]]] | None = None


@dataclass(frozen=True, slots=True)
class PersonalDataCollection:
    name: str
    holds: str
    find: Callable[[DataSubject], Filter]
    erase: Literal["delete", "tickets", "audit"]
    retention: tuple[RetentionRule, ...] = ()


def _in(values: frozenset[str]) -> Filter:
    return {"$in": sorted(values)}


def _conversations(s: DataSubject) -> Filter:
    return {"_id": _in(s.conversation_ids)}


def _messages(s: DataSubject) -> Filter:
    return {"conversation_id": _in(s.conversation_ids)}


def _tickets(s: DataSubject) -> Filter:
    return {"$or": [{"conversation_id": _in(s.conversation_ids)}, {"reference": _in(s.references)},
                    {"citizen.phone": _in(s.phones)}, {"followers.conversation_id": _in(s.conversation_ids)}]}


def filed_by(s: DataSubject, ticket: Mapping[str, Any]) -> bool:
    """The person filed the ticket (from their conversation, recorded for them, or given with their phone), as
    opposed to following it: export lists it as theirs and erasure pseudonymises it."""
    return (ticket.get("conversation_id") in s.conversation_ids or ticket.get("reference") in s.references
            or (ticket.get("citizen") or {}).get("phone") in s.phones)


def _downloads(s: DataSubject) -> Filter:
    return {"conversation_id": _in(s.conversation_ids)}


def _leases(s: DataSubject) -> Filter:
    return {"_id": _in(frozenset(f"conversation:{c}" for c in s.conversation_ids))}


def _events(s: DataSubject) -> Filter:
    return {"event.conversation_id": _in(s.conversation_ids)}


def _audit(s: DataSubject) -> Filter:
    return {"target": _in(s.conversation_ids | s.references)}


async def _conversations_still_needed(store: Store) -> set[Any]:
    """Conversations that an open ticket reports to (filed or followed) or that an area-alert subscription sends to:
    inactive for long, but still the way to reach the person."""
    keep: set[Any] = set()
    async for t in store.tickets.find({"status": {"$nin": list(CLOSED_STATUSES)}},
                                      {"conversation_id": 1, "followers.conversation_id": 1}):
        keep.add(t.get("conversation_id"))
        keep.update(f.get("conversation_id") for f in t.get("followers") or ())
    keep.update([s["_id"] async for s in store.db["alert_subscriptions"].find({}, {"_id": 1})])
    keep.discard(None)
    return keep


def _photos_removed(now: datetime) -> Mapping[str, Any]:
    return {"$set": {"photos": [], "retention.photos_removed_at": now}}


def _phone_removed(now: datetime) -> Mapping[str, Any]:
    return {"$unset": {"citizen.phone": ""}, "$set": {"retention.phone_removed_at": now}}


REGISTRY: tuple[PersonalDataCollection, ...] = (
    PersonalDataCollection(
        name="conversations",
        holds="chat id, language, the running flow (its slots may hold a phone number or a place), last text and "
              "last location",
        find=_conversations,
        erase="delete",
        retention=(RetentionRule("inactive conversations", "retention_messages_days", "last_activity", "delete",
                                 keep=_conversations_still_needed),),
    ),
    PersonalDataCollection(
        name="messages",
        holds="every message in and out: text, photos, shared location and phone, NLU result",
        find=_messages,
        erase="delete",
        retention=(RetentionRule("messages", "retention_messages_days", "created_at", "delete"),),
    ),
    PersonalDataCollection(
        name="tickets",
        holds="tickets filed (description, photos, address, location, name and call-back phone) or followed",
        find=_tickets,
        erase="tickets",
        retention=(
            RetentionRule("ticket photos", "retention_photos_days", "closed", _photos_removed,
                          due={"photos.0": {"$exists": True}}, since_closed=True),
            RetentionRule("call-back phone numbers", "retention_phone_days", "closed", _phone_removed,
                          due={"citizen.phone": {"$exists": True}}, since_closed=True),
        ),
    ),
    PersonalDataCollection(
        name="alert_subscriptions",
        holds="area-alert subscriptions: chat id, the areas or the shared spot and radius chosen, the kinds of "
              "notice, when consent was given (bot/alerts/subscriptions.py)",
        find=_conversations,
        erase="delete",
        # kept while the person is subscribed: /stop, erasure, or the platform reporting that the person blocked
        # the bot deletes it (bot/alerts/broadcast.py)
    ),
    PersonalDataCollection(
        name="webchat_photos",
        holds="photos sent from the web chat page (re-encoded, no EXIF), by conversation (bot/channels/webchat.py)",
        find=_messages,
        erase="delete",
        retention=(RetentionRule("web chat photos", "retention_photos_days", "created_at", "delete"),),
    ),
    PersonalDataCollection(
        name="downloads",
        holds="a person's data export behind a one-time link, for an hour at most",
        find=_downloads,
        erase="delete",
        retention=(RetentionRule("expired export links", None, "expires_at", "delete"),),
    ),
    PersonalDataCollection(
        name="outbox",
        holds="outbound messages until sent (chat id, the reply's text and buttons, platform message ids, the last "
              "delivery error); dead letters until staff retry them (bot/outbox/)",
        find=_messages,
        erase="delete",
        retention=(RetentionRule("sent outbox entries", None, "expires_at", "delete"),
                   RetentionRule("dead letters", "retention_messages_days", "created_at", "delete",
                                 due={"status": "dead"})),
    ),
    PersonalDataCollection(
        name="events",
        holds="live-monitor and web-chat notifications between instances (message texts), minutes old at most "
              "(bot/core/events.py)",
        find=_events,
        erase="delete",
        retention=(RetentionRule("cross-instance events", None, "expires_at", "delete"),),
    ),
    PersonalDataCollection(
        name="leases",
        holds="which instance processes a conversation now: the conversation id and a time (bot/store/leases.py)",
        find=_leases,
        erase="delete",
        retention=(RetentionRule("expired leases", None, "until", "delete"),),
    ),
    PersonalDataCollection(
        name="nlu_labels",
        holds="labelled messages for training the NLU: the message text (phones and e-mails masked), its intent "
              "and marked names, who labelled it; copied (masked) into nlu/data/reviewed.yml and "
              "nlu/tests/reviewed_holdout.tsv by `bot.py export-nlu`, which rewrites both from this collection "
              "alone, so erased or expired labels leave them on the next export",
        find=_messages,
        erase="delete",
        retention=(RetentionRule("NLU labels", "retention_messages_days", "created_at", "delete"),),
    ),
    PersonalDataCollection(
        name="audit",
        holds="staff actions naming a conversation or a ticket (who saw or changed what, and when)",
        find=_audit,
        erase="audit",
        retention=(RetentionRule("audit entries", "retention_audit_days", "at", "delete"),),
    ),
)

# Collections of the store that hold no personal data of residents (staff accounts are the staff's own data,
# managed by the admin pages).
# Open311's API keys name the system or organisation they were issued to; their usage counters are counts.
NOT_PERSONAL: frozenset[str] = frozenset({"counters", "staff", "alert_notices", "open311_keys", "open311_key_usage",
                                          "sights", "sight_photos",
                                          "intake_centres",  # the KAPI/KIFI list (bot/intake/centres.py)
                                          # geocoder answers by normalised query text: a street and its point,
                                          # with no conversation, phone or ticket (bot/tickets/geocoding.py)
                                          "geocodes"})


def collection(name: str) -> PersonalDataCollection:
    for entry in REGISTRY:
        if entry.name == name:
            return entry
    raise KeyError(name)
