"""The durable outbox: every outbound message leaves through here (design.md section 6).

For everyone else, two calls on ``services.outbox`` (an :class:`Outbox`, the ``Outbox`` protocol of
``bot/services.py``)::

    await services.outbox.send_to(conversation_id, [Reply(...)], sender="staff:maria")   # one conversation
    await services.outbox.enqueue(conversation_ids, [Reply(...)], sender="alerts", kind="broadcast")  # many

Both only WRITE: each reply becomes one entry of the ``outbox`` collection (and one outbound document of
``messages``, the transcript, ``status: "queued"``) and they return at once; an unknown conversation raises
``LookupError`` in ``send_to`` and is skipped (counted) by ``enqueue``. A bot reply is written by the pipeline with
:meth:`Outbox.add` before it marks the inbound message handled, under a key made from the inbound message
(``out:<inbound id>:<n>``), so a turn processed again after a crash cannot queue its replies twice.

Sending is a loop that every instance runs. An entry goes ``pending`` → ``sending`` (an atomic claim that sets
``owner`` and ``lease_until``; a crashed sender's lease expires and another instance claims the entry again) →
``sent`` (``platform_message_ids`` stored) | ``dead`` (a dead letter: a permanent refusal, or ``max_attempts``
failures; staff see them at ``/staff/outbox`` and can retry) | ``undeliverable`` (no channel: assisted intake).
A failure waits ``retry_after`` when the platform gave one (Telegram 429), else an exponential backoff, and is
retried. The transcript document follows: ``queued`` → ``sent`` | ``failed`` | ``undeliverable``.

Order: the entries of one chat are sent one after another in the order they were written (``order``), across
instances too: an entry is claimed only by the chat's lane, which waits while an earlier entry is being sent or
waits for its retry. Rate limits (``limits.py``) pace each chat and each channel.

Exactly once: an entry is claimed by one sender at a time and marked ``sent`` right after the platform answers.
The one window left is a crash between the platform accepting a message and that mark: after the lease the entry
is sent again (at least once, never silently lost); Telegram and Viber offer no idempotency key to close it.

How an instance learns of work: its own writes wake its sender at once; every ``poll_s`` it also reads the live
entries (``pending``/``sending``) to pick up those of other instances, retries that fell due and expired leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, PyMongoError

from bot import conversations
from bot.channels.base import ChannelAdapter, SendError
from bot.events import EventBus
from bot.metrics import StageTimes
from bot.models import Reply, as_utc, utcnow
from bot.outbox.limits import Limit, RateLimits
from bot.store import Store, outbound_message_key

log = logging.getLogger(__name__)

LIVE = ("pending", "sending")
FINAL = ("sent", "dead", "undeliverable")
CHANNEL_LIMITS = {"telegram": Limit(per_s=30, burst=30), "viber": Limit(per_s=25, burst=25)}
CHAT_LIMITS = {"telegram": Limit(per_s=1, burst=5), "viber": Limit(per_s=1, burst=5)}
KEEP_FINISHED_S = 24 * 3600  # a turn processed again after a crash finds its entries for this long
TRANSCRIPT_STATUS = {"sent": "sent", "dead": "failed", "undeliverable": "undeliverable"}


@dataclass
class OutboxSettings:
    max_attempts: int = 5
    lease_s: float = 60.0
    backoff_s: float = 1.0
    max_backoff_s: float = 300.0
    poll_s: float = 1.0
    channel_limits: dict[str, Limit] = field(default_factory=lambda: dict(CHANNEL_LIMITS))
    chat_limits: dict[str, Limit] = field(default_factory=lambda: dict(CHAT_LIMITS))


def order_key(at: datetime, seq: ObjectId) -> str:
    """The order of a chat's entries across instances: the time written (under the conversation lease, one
    instance at a time), then ``seq`` for ties within one process. An ObjectId alone orders only within one
    process: its middle bytes are random per process."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%f}|{seq}"


class Outbox:
    def __init__(self, store: Store, adapters: Mapping[str, ChannelAdapter], bus: EventBus,
                 settings: OutboxSettings | None = None, times: StageTimes | None = None) -> None:
        self.store = store
        self.adapters = adapters
        self.bus = bus
        self.settings = settings or OutboxSettings()
        self.times = times or StageTimes()
        self.owner = bus.instance
        self.limits = RateLimits(self.settings.channel_limits, self.settings.chat_limits)
        self._lanes: dict[tuple[str, str], deque[Any]] = {}
        self._lane_tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._closing = False

    # ---------------------------------------------------------------- writing (what everyone else calls)
    async def send_to(self, conversation_id: str, replies: list[Reply], *, sender: str = "bot") -> list[str]:
        """Queue replies to one conversation (a staff reply, a status notification); returns the entry ids."""
        conv = await conversations.get(self.store, conversation_id)
        if conv is None:
            raise LookupError(f"unknown conversation {conversation_id!r}")
        entries = self.entries(conv.id, conv.channel, conv.chat_id, replies, sender=sender, kind="message")
        await self.add(entries)
        return [e["_id"] for e in entries]

    async def enqueue(self, conversation_ids: Iterable[str], replies: list[Reply], *, sender: str,
                      kind: str = "broadcast", batch: int = 500) -> dict[str, int]:
        """Queue the same replies to many conversations (area alerts). Returns ``{"queued": n, "unknown": m}``."""
        ids = list(dict.fromkeys(conversation_ids))
        queued = unknown = 0
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            found = {d["_id"]: d async for d in self.store.conversations.find(
                {"_id": {"$in": chunk}}, {"channel": 1, "chat_id": 1})}
            entries: list[dict[str, Any]] = []
            for cid in chunk:
                doc = found.get(cid)
                if doc is None:
                    unknown += 1
                    continue
                entries += self.entries(cid, doc["channel"], doc["chat_id"], replies, sender=sender, kind=kind)
                queued += 1
            await self.add(entries)
        return {"queued": queued, "unknown": unknown}

    def entries(self, conversation_id: str, channel: str, chat_id: str, replies: Sequence[Reply], *, sender: str,
                kind: str = "reply", source: str | None = None) -> list[dict[str, Any]]:
        """Outbox entries for replies (not written yet). With ``source`` (the inbound message) the keys are
        ``out:<source>:<n>``: writing them again is a no-op."""
        now = utcnow()
        return [{
            "_id": f"out:{source}:{n}" if source else outbound_message_key(), "seq": (seq := ObjectId()),
            "order": order_key(now, seq),
            "conversation_id": conversation_id, "channel": channel, "chat_id": chat_id, "sender": sender,
            "kind": kind, "reply": reply.to_doc(), "text": reply.text, "status": "pending", "attempts": 0,
            "due_at": now, "owner": None, "lease_until": None, "created_at": now, "source": source,
            "platform_message_ids": [], "last_error": None,
        } for n, reply in enumerate(replies)]

    async def add(self, entries: list[dict[str, Any]]) -> None:
        """Write entries (idempotent on their keys), their transcript documents, publish them, wake the sender."""
        if not entries:
            return
        fresh = await self._insert(self.store.outbox, entries)
        transcript = [{
            "_id": e["_id"], "seq": e["seq"], "platform_message_id": e["_id"], "conversation_id": e["conversation_id"],
            "channel": e["channel"], "direction": "out", "sender": e["sender"], "text": e["text"],
            "reply": e["reply"], "status": "queued", "created_at": e["created_at"],
        } for e in entries]
        await self._insert(self.store.messages, transcript)
        for e in entries:
            if e["_id"] in fresh:
                self.bus.publish({"type": "message", "conversation_id": e["conversation_id"], "channel": e["channel"],
                                  "direction": "out", "sender": e["sender"], "text": e["text"],
                                  "created_at": e["created_at"].isoformat()})
        self.wake([e for e in entries if e["_id"] in fresh])

    @staticmethod
    async def _insert(collection: Any, docs: list[dict[str, Any]]) -> set[Any]:
        """Insert, skipping documents whose key exists already; returns the keys inserted now."""
        try:
            await collection.insert_many([dict(d) for d in docs], ordered=False)
        except BulkWriteError as exc:
            if any(err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
                raise
            taken = {docs[err["index"]]["_id"] for err in exc.details["writeErrors"]}
            return {d["_id"] for d in docs} - taken
        return {d["_id"] for d in docs}

    # ---------------------------------------------------------------- the sender
    async def start(self) -> None:
        self._poller = asyncio.create_task(self._poll_loop(), name="outbox-poll")

    async def close(self, timeout_s: float = 10.0) -> None:
        """Finish what is being sent (an entry not sent by then is left to the lease)."""
        self._closing = True
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        lanes = list(self._lane_tasks.values())
        if lanes:
            _done, pending = await asyncio.wait(lanes, timeout=timeout_s)
            for task in pending:
                task.cancel()

    def kill(self) -> None:
        """Stop at once, as a crash would (tests): claimed entries stay ``sending`` until their lease expires."""
        self._closing = True
        for task in [self._poller, *self._lane_tasks.values()]:
            if task is not None:
                task.cancel()

    def wake(self, entries: list[dict[str, Any]]) -> None:
        if self._closing:
            return  # another instance (or this one after its restart) sends them
        for entry in sorted(entries, key=lambda e: e["order"]):
            lane = (entry["channel"], entry["chat_id"])
            queue = self._lanes.setdefault(lane, deque())
            item = (entry["order"], entry["_id"])
            if item in queue:
                continue
            queue.append(item)
            if lane not in self._lane_tasks:
                self._lane_tasks[lane] = asyncio.create_task(self._run_lane(lane), name=f"outbox:{lane}")

    async def _run_lane(self, lane: tuple[str, str]) -> None:
        queue = self._lanes[lane]
        try:
            while queue and not self._closing:
                try:
                    if self.store.shared and await self._earlier_first(lane, queue):
                        continue
                    await self._deliver(queue[0][1])
                except PyMongoError as exc:  # the store is away: the poller brings the entries back later
                    log.warning("outbox: store error", extra={"entry": str(queue[0][1]), "error": str(exc)})
                    await asyncio.sleep(1.0)
                    queue.clear()
                    break
                queue.popleft()
        finally:
            del self._lane_tasks[lane]
            if queue and not self._closing:
                self._lane_tasks[lane] = asyncio.create_task(self._run_lane(lane))
            else:
                self._lanes.pop(lane, None)

    async def _earlier_first(self, lane: tuple[str, str], queue: deque[tuple[str, Any]]) -> bool:
        """With other instances about: live entries of this chat written before the lane's head (by another
        instance, so not in this lane) go first. True when some were put in front."""
        cursor = self.store.outbox.find({"channel": lane[0], "chat_id": lane[1], "status": {"$in": LIVE},
                                         "order": {"$lt": queue[0][0]}}, {"order": 1}).sort("order", 1)
        earlier = [(d["order"], d["_id"]) async for d in cursor]
        earlier = [item for item in earlier if item not in queue]
        queue.extendleft(reversed(earlier))
        return bool(earlier)

    async def _deliver(self, entry_id: Any) -> None:
        """Send one entry, or wait while another sender has it; returns once it is final (or gone)."""
        while True:
            doc = await self.store.outbox.find_one({"_id": entry_id})
            if doc is None or doc["status"] in FINAL:
                return
            now = utcnow()
            if doc["status"] == "sending" and doc.get("lease_until") and as_utc(doc["lease_until"]) > now:
                await asyncio.sleep(min(0.2, (as_utc(doc["lease_until"]) - now).total_seconds()))
                continue  # another instance is sending it
            if doc["status"] == "pending" and as_utc(doc["due_at"]) > now:
                await asyncio.sleep(min(self.settings.poll_s, (as_utc(doc["due_at"]) - now).total_seconds()))
                continue  # a retry, not due yet
            await self.limits.acquire(doc["channel"], doc["chat_id"])
            claimed = await self._claim(entry_id)
            if claimed is not None and await self._send(claimed):
                return
            # not claimed (another sender was quicker) or to be retried: look again; later entries wait

    async def _claim(self, entry_id: Any) -> dict[str, Any] | None:
        now = utcnow()
        return await self.store.outbox.find_one_and_update(
            {"_id": entry_id, "$or": [{"status": "pending", "due_at": {"$lte": now}},
                                      {"status": "sending", "lease_until": {"$lte": now}}]},
            {"$set": {"status": "sending", "owner": self.owner,
                      "lease_until": now + timedelta(seconds=self.settings.lease_s)}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER)

    async def _send(self, entry: dict[str, Any]) -> bool:
        """Send a claimed entry; True when it is final (sent, dead, undeliverable), False when to be retried."""
        stages: dict[str, float] = {}
        adapter = self.adapters.get(entry["channel"])
        if adapter is None:  # assisted intake, or a channel this instance does not serve
            await self._finish(entry, "undeliverable")
            return True
        try:
            with self.times.measure("send", stages):
                reply = replace(Reply.from_doc(entry["reply"]), message_key=str(entry["_id"]))
                ids = await adapter.send(entry["chat_id"], [reply])
        except SendError as exc:
            return await self._failed(entry, exc)
        except Exception as exc:  # a bug in an adapter must not stop the lane
            log.exception("outbox: adapter crashed", extra={"entry": str(entry["_id"])})
            return await self._failed(entry, SendError(f"{type(exc).__name__}: {exc}"))
        await self._finish(entry, "sent", platform_message_ids=ids)
        self.times.counters["sent"] = self.times.counters.get("sent", 0) + 1
        self.times.record(stages)
        return True

    async def _failed(self, entry: dict[str, Any], exc: SendError) -> bool:
        attempts = entry["attempts"]
        log.warning("send failed", extra={"conversation": entry["conversation_id"], "entry": str(entry["_id"]),
                                          "attempt": attempts, "error": str(exc)})
        if exc.permanent or attempts >= self.settings.max_attempts:
            await self._finish(entry, "dead", last_error=str(exc))
            self.times.counters["dead"] = self.times.counters.get("dead", 0) + 1
            return True
        if exc.retry_after is not None:
            wait = exc.retry_after
        else:
            wait = min(self.settings.max_backoff_s, self.settings.backoff_s * 2 ** (attempts - 1))
            wait *= random.uniform(0.8, 1.2)  # several instances do not retry in step
        await self.store.outbox.update_one(
            {"_id": entry["_id"], "owner": self.owner, "status": "sending"},
            {"$set": {"status": "pending", "owner": None, "lease_until": None, "last_error": str(exc),
                      "due_at": utcnow() + timedelta(seconds=wait)}})
        self.times.counters["retried"] = self.times.counters.get("retried", 0) + 1
        return False

    async def _finish(self, entry: dict[str, Any], status: str, *, platform_message_ids: list[str] | None = None,
                      last_error: str | None = None) -> None:
        now = utcnow()
        done: dict[str, Any] = {"status": status, "finished_at": now, "lease_until": None}
        if status != "dead":  # the transcript keeps the message; the entry is needed only against a re-run
            done["expires_at"] = now + timedelta(seconds=KEEP_FINISHED_S)
        if last_error is not None:  # a sent entry keeps the error of its last failed attempt, if any
            done["last_error"] = last_error
        if platform_message_ids is not None:
            done["platform_message_ids"] = platform_message_ids
        await self.store.outbox.update_one({"_id": entry["_id"], "owner": self.owner, "status": "sending"},
                                           {"$set": done})
        transcript: dict[str, Any] = {"status": TRANSCRIPT_STATUS[status], "sent_at": now}
        if platform_message_ids:
            transcript["platform_message_id"] = platform_message_ids[0]
            transcript["platform_message_ids"] = platform_message_ids
        await self.store.messages.update_one({"_id": entry["_id"]}, {"$set": transcript})

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.poll_s)
            with contextlib.suppress(PyMongoError):
                await self.poll()

    async def poll(self, limit: int = 1000) -> int:
        """Hand the live entries (of any instance) to their chats' lanes, in order; returns how many."""
        cursor = self.store.outbox.find({"status": {"$in": LIVE}}).sort("order", 1).limit(limit)
        live = [doc async for doc in cursor]
        self.wake(live)
        return len(live)

    # ---------------------------------------------------------------- staff and tests
    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self.store.outbox.find({"status": "dead"}).sort("finished_at", -1).limit(limit)
        return [doc async for doc in cursor]

    async def retry(self, entry_id: str) -> bool:
        """Send a dead letter again (staff action): back to ``pending`` with a fresh count of attempts."""
        doc = await self.store.outbox.find_one_and_update(
            {"_id": entry_id, "status": "dead"},
            {"$set": {"status": "pending", "attempts": 0, "due_at": utcnow(), "owner": None, "last_error": None}},
            return_document=ReturnDocument.AFTER)
        if doc is None:
            return False
        await self.store.messages.update_one({"_id": entry_id}, {"$set": {"status": "queued"}})
        self.wake([doc])
        return True

    async def wait_final(self, entry_ids: list[Any], timeout_s: float = 30.0) -> bool:
        """Wait until these entries are final (sent, dead, undeliverable); False on time-out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        for entry_id in entry_ids:
            while (doc := await self.store.outbox.find_one({"_id": entry_id}, {"status": 1})) is not None \
                    and doc["status"] in LIVE:
                if loop.time() > deadline:
                    return False
                await asyncio.sleep(0.02)
        return True

    async def idle(self, timeout_s: float = 30.0) -> None:
        """Wait until no entry is live anywhere in the store (sent, dead or undeliverable): tests, benchmarks."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        polled = loop.time()
        while self._lane_tasks or await self.store.outbox.count_documents({"status": {"$in": LIVE}}, limit=1):
            if loop.time() > deadline:
                live = await self.store.outbox.find({"status": {"$in": LIVE}},
                                                    {"channel": 1, "status": 1, "attempts": 1, "due_at": 1}).to_list(3)
                raise TimeoutError(f"outbox entries still live: {live} lanes={list(self._lane_tasks)[:3]}")
            if self._lane_tasks:
                await asyncio.wait(list(self._lane_tasks.values()), timeout=0.05)
            else:
                await asyncio.sleep(0.05)
                if loop.time() - polled > 0.5:  # entries of a stopped instance, due retries
                    polled = loop.time()
                    await self.poll()

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._lanes.values())
