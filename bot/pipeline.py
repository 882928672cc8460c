"""The way a message travels (design.md section 1): store → NLU → conversation → handler → store → send.

``accept`` is all an adapter waits for: the inbound message is stored (idempotently: its ``_id`` is
"<channel>:<platform message id>") and queued, then the adapter answers the platform. Processing runs in the
background, concurrently across conversations and strictly in order within one. A stored message goes
``received`` → ``processing`` (claimed atomically, so one instance answers it) → ``answered``/``processed``;
messages caught by a crash or a database outage are picked up again by ``recover`` (at start-up and
periodically): no accepted message is lost. A message whose processing keeps failing is retried a bounded number of
times with a backoff and then becomes a ``failed`` dead letter that staff can retry (``bot/poison``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError, PyMongoError

from bot import conversations, poison, transcript
from bot.channels.base import ChannelAdapter
from bot.core import language
from bot.core.events import EventBus
from bot.core.i18n import Texts
from bot.core.metrics import StageTimes
from bot.core.models import Inbound, NluResult, Reply, utcnow
from bot.core.services import Services
from bot.outbox import Outbox
from bot.rasa.client import NluClient
from bot.store import StoreUnavailable, inbound_message_key
from bot.store.leases import Leases
from handlers.base import KEEP, Outcome, Turn
from handlers.privacy import with_first_contact_notice
from handlers.registry import HandlerRegistry

log = logging.getLogger(__name__)

MAX_TEXT_FOR_NLU = 2000


class Pipeline:
    def __init__(self, services: Services, nlu: NluClient, registry: HandlerRegistry, bus: EventBus,
                 adapters: Mapping[str, ChannelAdapter], times: StageTimes | None = None,
                 outbox: Outbox | None = None, conversation_lease_s: float = 30.0) -> None:
        self.services = services
        self.store = services.store
        self.nlu = nlu
        self.registry = registry
        self.bus = bus
        self.adapters = adapters
        self.times = times or StageTimes()
        self.outbox = outbox or Outbox(self.store, adapters, bus, times=self.times)
        # one instance at a time processes a conversation's messages (bot/store/leases.py)
        self.leases = Leases(self.store.leases, bus.instance, ttl_s=conversation_lease_s)
        self.store.attach()
        self._queues: dict[str, deque[tuple[str, Inbound]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._inflight: set[str] = set()
        self._limit = asyncio.Semaphore(services.settings.max_concurrent_updates)
        self._closing = False
        self._max_backlog = services.settings.max_backlog
        self._max_attempts = services.settings.max_attempts
        self._retry_backoff_s = services.settings.retry_backoff_s
        self._backlog_shrank = asyncio.Event()

    # ---------------------------------------------------------------- intake (what adapters call)
    async def accept(self, inbound: Inbound) -> bool:
        if self._closing:
            raise StoreUnavailable("shutting down")  # 503: the platform retries against the next instance
        conv_id = conversations.conversation_id(inbound.channel, inbound.user_id)
        doc = inbound.to_doc() | {
            "_id": inbound_message_key(inbound.channel, inbound.message_id),
            "seq": ObjectId(),  # insertion order, for same-millisecond ties in transcripts
            "conversation_id": conv_id,
            "direction": "in",
            "platform_message_id": inbound.message_id,
            "status": "received",
            "created_at": utcnow(),
        }
        try:
            result = await self.store.messages.insert_one(doc)
        except DuplicateKeyError:
            self.times.counters["duplicates"] += 1
            return False
        except PyMongoError as exc:
            raise StoreUnavailable(str(exc)) from exc
        self.times.counters["accepted"] += 1
        self._enqueue(conv_id, result.inserted_id, inbound)
        await self._backpressure()
        return True

    async def _backpressure(self, max_wait_s: float = 10.0) -> None:
        """Hold the platform's request while the backlog is long: Telegram and Viber send at most a few requests
        at once and wait for each answer, so this paces them to what NLU can parse instead of letting the queue
        (and every person's wait) grow. The message is already stored: a platform time-out loses nothing."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_wait_s
        while self.pending > self._max_backlog and loop.time() < deadline:
            self._backlog_shrank.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._backlog_shrank.wait(), deadline - loop.time())

    def _enqueue(self, conv_id: str, msg_id: str, inbound: Inbound) -> None:
        self._inflight.add(msg_id)
        self._queues.setdefault(conv_id, deque()).append((msg_id, inbound))
        if conv_id not in self._workers:
            self._workers[conv_id] = asyncio.create_task(self._drain(conv_id), name=f"conv:{conv_id}")

    async def _drain(self, conv_id: str) -> None:
        queue = self._queues[conv_id]
        try:
            while queue:
                msg_id, inbound = queue[0]
                try:
                    async with self._limit, self.leases.hold(f"conversation:{conv_id}"):
                        if self.store.shared:  # other instances may hold earlier messages of this chat
                            await self._process_earlier(conv_id, msg_id)
                        await self._process(msg_id, inbound)
                except Exception as exc:
                    # Never let one message stop the queue: retried later with a backoff, a dead letter at the end.
                    self.times.counters["failed"] += 1
                    log.exception("processing failed", extra={"conversation": conv_id, "message_id": str(msg_id)})
                    await self._after_failure(msg_id, inbound, exc)
                finally:
                    queue.popleft()
                    self._inflight.discard(msg_id)
                    self._backlog_shrank.set()
        finally:
            del self._workers[conv_id]
            if queue:  # enqueued between the last popleft and here: cannot happen without an await, but be safe
                self._workers[conv_id] = asyncio.create_task(self._drain(conv_id))
            else:
                del self._queues[conv_id]

    # ---------------------------------------------------------------- processing one message
    async def _process(self, msg_id: str, inbound: Inbound) -> None:
        stages: dict[str, float] = {}
        with self.times.measure("total", stages):
            with self.times.measure("store", stages):
                claimed = await self.store.messages.find_one_and_update(
                    {"_id": msg_id, "status": "received"},
                    {"$set": {"status": "processing", "claimed_at": utcnow()}, "$inc": {"attempts": 1}},
                    projection={"_id": 1},
                )
            if claimed is None:  # answered already, or another instance has it
                return
            nlu = await self._understand(inbound, stages)
            with self.times.measure("store", stages):
                default_language = language.from_hint(inbound.language_hint)
                conv = await conversations.load_or_create(self.store, inbound, default_language)
            if not conv.language_locked:
                conv.language = language.choose(inbound.text, current=conv.language, locked=False,
                                                hint=inbound.language_hint)
            if inbound.location is not None:
                conv.last_location, conv.last_location_at = inbound.location, inbound.received_at

            label = None
            if inbound.button is not None:  # what the person saw, for staff (the last offer of that payload)
                with self.times.measure("store", stages):
                    label = await transcript.button_label(self.store, conv.id, inbound.button)

            outcome = Outcome()
            if not conv.paused:
                with self.times.measure("handler", stages):
                    outcome = await self._run_handlers(inbound, nlu, conv)
            replies = outcome.replies
            # an answer to the bot's question was not read by NLU: no intent for it on the monitor
            intent = None if outcome.answered_prompt else nlu.intent

            with self.times.measure("store", stages):
                await conversations.save_turn(self.store, conv, text=inbound.text or label or "",
                                              intent=intent, confidence=nlu.confidence if nlu.ok and intent else None)
                done: dict[str, Any] = {
                    "nlu": nlu.raw or None, "intent": intent,
                    "confidence": nlu.confidence if intent else None,
                    "status": "answered" if replies else ("paused" if conv.paused else "processed"),
                    "processed_at": utcnow(),
                }
                if label:
                    done["button_label"] = label
                if outcome.answered_prompt:
                    done["answered_prompt"] = True
                if inbound.contact_phone:  # kept only until handled: a ticket keeps it if the person consented
                    done["contact_phone"] = None
                # the replies go to the outbox before the message is marked handled, under keys made from it: a
                # crash in between processes it again and cannot queue its replies twice (bot/outbox/)
                entries = self.outbox.entries(conv.id, conv.channel, conv.chat_id, replies, sender="bot",
                                              source=msg_id)
                # the live monitor shows the message, then the replies
                self._publish_in(conv, msg_id, inbound, intent, nlu.confidence, label)
                await self.outbox.add(entries)
                await self.store.messages.update_one({"_id": msg_id}, {"$set": done})
            if conv.after_turn:  # e.g. the erasure after /forget: once its confirmation has gone out
                await self.outbox.wait_final([e["_id"] for e in entries])
                for job in conv.after_turn:
                    await job()
        self.times.counters["processed"] += 1
        self.times.record(stages)

    async def _understand(self, inbound: Inbound, stages: dict[str, float]) -> NluResult:
        text = inbound.text.strip()
        if not text or inbound.button is not None or inbound.command is not None:
            return NluResult(intent=None, confidence=0.0, raw={}, ok=True)
        with self.times.measure("nlu", stages):
            return await self.nlu.parse(text[:MAX_TEXT_FOR_NLU])

    async def _run_handlers(self, inbound: Inbound, nlu: NluResult, conv: Any) -> Outcome:
        turn = Turn(inbound=inbound, nlu=nlu, conversation=conv, texts=Texts(conv.language), services=self.services)
        try:
            outcome: Outcome = await self.registry.dispatch(turn)
        except Exception:
            log.exception("handler failed", extra={"conversation": conv.id})
            return Outcome([Reply(turn.texts("system.error"))])
        if outcome.flow is not KEEP:
            conv.flow = outcome.flow
        outcome.replies = with_first_contact_notice(turn, outcome.replies)
        return outcome

    # ---------------------------------------------------------------- output (bot/outbox/ sends)
    async def send_to(self, conversation_id: str, replies: list[Reply], *, sender: str = "bot") -> list[str]:
        """The Outbox of bot/core/services.py (kept here for callers that hold the pipeline)."""
        return await self.outbox.send_to(conversation_id, replies, sender=sender)

    async def _process_earlier(self, conv_id: str, msg_id: str) -> None:
        """Messages of this chat stored before ``msg_id`` and not yet taken (they arrived at another instance
        whose queue has not reached them): processed first, so the chat is answered in order across instances."""
        this = await self.store.messages.find_one({"_id": msg_id}, {"created_at": 1})
        if this is None:
            return
        cursor = self.store.messages.find({"conversation_id": conv_id, "direction": "in", "status": "received",
                                           "created_at": {"$lt": this["created_at"]}}).sort([("created_at", 1),
                                                                                             ("seq", 1)])
        for doc in [d async for d in cursor]:
            await self._process(doc["_id"], Inbound.from_doc(doc))

    def _publish_in(self, conv: Any, msg_id: str, inbound: Inbound, intent: str | None, confidence: float,
                    label: str | None) -> None:
        where = inbound.location
        self.bus.publish({
            "type": "message", "conversation_id": conv.id, "message_id": msg_id, "channel": conv.channel,
            "direction": "in", "text": inbound.text or (f"[{label}]" if label else ""),
            "button": inbound.button is not None, "has_location": where is not None,
            "location": {"lat": where.lat, "lon": where.lon} if where is not None else None,
            "attachments": len(inbound.attachments),
            "photos": [i for i, a in enumerate(inbound.attachments) if a.kind == "photo"],
            "intent": intent, "confidence": confidence if intent else None,
            "language": conv.language, "paused": conv.paused, "created_at": inbound.received_at.isoformat(),
        })

    # ---------------------------------------------------------------- recovery and shutdown
    async def recover(self, older_than_s: float = 0.0, lease_s: float = 120.0) -> int:
        """Queue stored inbound messages that were never answered: still ``received`` (a crash between storing and
        processing, an outage) or ``processing`` for longer than ``lease_s`` (the instance died or its database
        write failed). A message is processed only by whoever claims it atomically (``received`` → ``processing``),
        so several instances recovering at once answer it once. Returns how many were queued."""
        now = utcnow()
        count = 0
        cursor = self.store.messages.find({"direction": "in", "$or": [
            {"status": "received", "created_at": {"$lte": now - timedelta(seconds=older_than_s)}, **poison.due(now)},
            {"status": "processing", "claimed_at": {"$lte": now - timedelta(seconds=lease_s)}},
        ]}).sort("created_at", 1)
        async for doc in cursor:
            if doc["_id"] in self._inflight:
                continue
            if doc["status"] == "processing":  # take back an expired claim, unless someone else just did
                if (doc.get("attempts") or 0) >= self._max_attempts:  # it never finished, every time: poison
                    if await poison.mark_failed(self.store, doc["_id"], "processing never finished (the instance "
                                                "stopped or hung)", expected_status="processing"):
                        await self._apologise(doc.get("conversation_id"), doc)
                    continue
                taken = await self.store.messages.find_one_and_update(
                    {"_id": doc["_id"], "status": "processing", "claimed_at": doc["claimed_at"]},
                    {"$set": {"status": "received"}}, projection={"_id": 1})
                if taken is None:
                    continue
            try:
                inbound = Inbound.from_doc(doc)
            except Exception as exc:  # a stored document that cannot be read back: never retried in a loop
                log.exception("stored message unreadable", extra={"message_id": str(doc.get("_id"))})
                if await poison.mark_failed(self.store, doc["_id"], f"unreadable: {poison.describe(exc)}",
                                            expected_status="received"):
                    await self._apologise(doc.get("conversation_id"), doc)
                continue
            self._enqueue(doc["conversation_id"], doc["_id"], inbound)
            count += 1
        if count:
            log.info("recovered unanswered messages", extra={"count": count})
        return count

    # ---------------------------------------------------------------- poison messages (bot/poison)
    async def _after_failure(self, msg_id: str, inbound: Inbound, exc: Exception) -> None:
        """A failed attempt: a backoff before the next one, or a dead letter and one apology to the person."""
        if isinstance(exc, PyMongoError | StoreUnavailable):
            # The database, not the message: left "processing" for recover() after the lease, and not counted.
            with contextlib.suppress(PyMongoError):
                await self.store.messages.update_one({"_id": msg_id, "attempts": {"$gt": 0}},
                                                     {"$inc": {"attempts": -1}})
            return
        try:
            dead = await poison.record_failure(self.store, msg_id, poison.describe(exc),
                                               max_attempts=self._max_attempts, base_s=self._retry_backoff_s)
        except PyMongoError:
            return  # left as it is: an expired claim is taken back by recover()
        if dead:
            log.warning("message is a dead letter", extra={"message_id": str(msg_id)})
            await self._apologise(conversations.conversation_id(inbound.channel, inbound.user_id),
                                  {"_id": msg_id, "channel": inbound.channel, "chat_id": inbound.chat_id,
                                   "text": inbound.text,
                                   "language_hint": inbound.language_hint})

    async def _apologise(self, conv_id: str | None, doc: Mapping[str, Any]) -> None:
        """One reply telling the person their message could not be handled (and was kept for staff)."""
        channel, chat_id = doc.get("channel"), doc.get("chat_id")
        if not (isinstance(conv_id, str) and isinstance(channel, str) and isinstance(chat_id, str)):
            return
        try:
            conv = await conversations.get(self.store, conv_id)
            hint, text = doc.get("language_hint"), doc.get("text")
            lang = conv.language if conv is not None else language.choose(
                text if isinstance(text, str) else "", current=None, locked=False,
                hint=hint if isinstance(hint, str) else None)
            # keyed on the conversation and the apology's text: two instances giving up at once queue it once
            await self.outbox.add(self.outbox.entries(conv_id, channel, chat_id, [Reply(Texts(lang)("poison.apology"))],
                                                      sender="bot", source=f"apology:{doc.get('_id')}"))
        except Exception:
            log.exception("apology not sent", extra={"conversation": conv_id})

    async def recovery_loop(self, every_s: float = 30.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            with contextlib.suppress(PyMongoError):
                await self.recover(older_than_s=every_s)

    async def drain(self, timeout_s: float = 20.0) -> None:
        """Graceful shutdown: refuse new messages, let in-flight ones finish."""
        if not self._closing:
            self.store.detach()
        self._closing = True
        workers = list(self._workers.values())
        if workers:
            _done, pending = await asyncio.wait(workers, timeout=timeout_s)
            for task in pending:
                task.cancel()

    async def idle(self, timeout_s: float = 30.0) -> None:
        """Wait until every queued message has been processed and every reply sent (tests, benchmarks)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self._workers:
            if loop.time() > deadline:
                raise TimeoutError(f"{self.pending} messages still pending")
            await asyncio.wait(list(self._workers.values()), timeout=max(0.01, deadline - loop.time()))
        await self.outbox.idle(timeout_s=max(0.1, deadline - loop.time()))

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())
