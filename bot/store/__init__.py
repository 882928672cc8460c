"""MongoDB access through PyMongo's asyncio API (design.md section 4).

``open_configured_store(settings)`` returns a :class:`Store` on a real server (``MONGODB_URI``) or, in demo mode and in
tests (``open_store(None, name)``),
on the in-process stand-in ``pymongo_async_mock`` (same API, nothing persists). Each concept has its own module:
``conversations``, ``messages``, ``counters`` here; tickets, staff and audit in theirs. An inbound message's
``_id`` is "<channel>:<platform message id>", so a platform's retry cannot be stored twice; every message has a
``seq`` (an ObjectId made at insert, increasing within a process) that orders same-millisecond messages.
Everything MongoDB-specific that the code relies on (unique indexes, atomic counters, update operators) is
exercised by ``tests/test_store_contract.py``, which also runs against a real server when ``MONGODB_URI`` is set.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import PyMongoError

if TYPE_CHECKING:
    from bot.core.settings import Settings

log = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """The database did not answer: webhooks answer 503 so the platform retries."""


def inbound_message_key(channel: str, platform_message_id: str) -> str:
    """The ``_id`` of an inbound message: the primary key makes a platform's retry a DuplicateKeyError."""
    return f"{channel}:{platform_message_id}"


def outbound_message_key() -> str:
    return f"out:{ObjectId()}"


class Store:
    def __init__(self, client: Any, db: Any, *, demo: bool) -> None:
        self.client = client
        self.db = db
        self.demo = demo
        self.conversations = db["conversations"]
        self.messages = db["messages"]
        self.counters = db["counters"]
        self.tickets = db["tickets"]
        self.webchat_photos = db["webchat_photos"]  # photos sent from the web chat page (bot/channels/webchat.py)
        self.geocodes = db["geocodes"]  # cached geocoder answers by normalised query (bot/tickets/geocoding.py)
        self.staff = db["staff"]
        self.audit = db["audit"]
        self.downloads = db["downloads"]  # one-time links to a person's data export (bot/privacy/downloads.py)
        self.sights = db["sights"]  # the guide's catalogue (bot/guide/sights.py)
        self.sight_photos = db["sight_photos"]  # its photos, resized (bot/guide/photos.py)
        self.nlu_labels = db["nlu_labels"]  # labelled messages for the NLU (bot/rasa/labels.py)
        self.outbox = db["outbox"]  # bot/outbox/: outbound messages until sent (dead letters stay)
        self.leases = db["leases"]  # bot/store/leases.py: one holder at a time across instances
        self.events = db["events"]  # bot/core/events.py: cross-instance notifications (kept minutes)
        self._local_instances = 0

    def attach(self) -> None:
        """An instance (a pipeline) of this process works on this store (see :attr:`shared`)."""
        self._local_instances += 1

    def detach(self) -> None:
        self._local_instances = max(0, self._local_instances - 1)

    @property
    def shared(self) -> bool:
        """Whether other instances may work on the same data: always on a server; with the in-process stand-in
        only when several instances of this process share it (the multi-instance tests)."""
        return not self.demo or self._local_instances > 1

    async def ensure_indexes(self) -> None:
        await self.messages.create_index(
            [("conversation_id", ASCENDING), ("created_at", DESCENDING), ("seq", DESCENDING)], name="by_conversation")
        await self.messages.create_index([("status", ASCENDING), ("created_at", ASCENDING)], name="by_status")
        await self.conversations.create_index([("last_activity", DESCENDING)], name="recent")
        await self.tickets.create_index([("reference", ASCENDING)], unique=True, name="reference")
        await self.tickets.create_index([("conversation_id", ASCENDING), ("created_at", DESCENDING)],
                                        name="by_conversation")
        await self.tickets.create_index([("category", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)],
                                        name="by_category_status")
        await self.staff.create_index([("username", ASCENDING)], unique=True, name="username")
        await self.audit.create_index([("at", DESCENDING)], name="recent")
        await self.outbox.create_index([("status", ASCENDING), ("order", ASCENDING)], name="live")
        await self.outbox.create_index([("channel", ASCENDING), ("chat_id", ASCENDING), ("status", ASCENDING),
                                        ("order", ASCENDING)], name="by_chat")
        await self.outbox.create_index([("batch", ASCENDING), ("status", ASCENDING), ("order", ASCENDING)],
                                       name="by_batch")  # broadcast batches (bot/outbox/)
        await self.events.create_index([("at", ASCENDING)], name="recent")
        await self.nlu_labels.create_index([("labelled_at", DESCENDING)], name="recent")
        await self.nlu_labels.create_index([("conversation_id", ASCENDING)], name="by_conversation")

    async def ping(self) -> bool:
        try:
            await self.db.command("ping")
        except PyMongoError as exc:
            log.warning("store ping failed", extra={"error": str(exc)})
            return False
        return True

    async def next_sequence(self, name: str) -> int:
        """An atomic counter: concurrent callers never get the same number."""
        doc = await self.counters.find_one_and_update(
            {"_id": name}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        return int(doc["seq"])

    async def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close is not None and not self.demo:
            await close()


async def open_store(uri: str | None, db_name: str, *, timeout_s: float = 5.0) -> Store:
    if uri:
        from pymongo import AsyncMongoClient

        ms = int(timeout_s * 1000)
        client = AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms,
                                  socketTimeoutMS=ms, appname="chania-bot")
        store = Store(client, client[db_name], demo=False)
    else:
        from pymongo_async_mock import AsyncMongoMockClient

        from bot.store import standin

        standin.install_id_lookup()
        standin.install_yielding()
        client = AsyncMongoMockClient(tz_aware=True)
        store = Store(client, client[db_name], demo=True)
    await store.ensure_indexes()
    return store


async def open_configured_store(settings: Settings) -> Store:
    """The store the settings name: the server at ``MONGODB_URI``, or the in-process stand-in when it is unset."""
    uri = settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None
    return await open_store(uri, settings.mongodb_db, timeout_s=settings.store_timeout_s)
