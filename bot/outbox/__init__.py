"""The durable outbox: every outbound message leaves through here (design.md section 6).

For everyone else, two calls on ``services.outbox`` (an :class:`Outbox`, the ``Outbox`` protocol of
``bot/core/services.py``)::

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
waits for its retry. Rate limits (``limits.py``) pace each chat and each channel. A broadcast batch's entry (below)
is the exception: it goes with its batch, not in its chat's order (an area alert does not answer anything).

Exactly once: an entry is claimed by one sender at a time and marked ``sent`` right after the platform answers.
The one window left is a crash between the platform accepting a message and that mark: after the lease the entry
is sent again (at least once, never silently lost); Telegram and Viber offer no idempotency key to close it.

Broadcast batches: an entry written with a ``batch`` key (area alerts: one notice in one language) on a channel
whose adapter can broadcast (Viber's ``broadcast_message``, ``BroadcastAdapter``) is not sent by its chat's lane
but with the others of its batch: a batch runner claims up to ``broadcast_size`` due entries of the key at once
(each entry atomically, marked with one claim id and a lease), sends them in one call within the channel's
broadcast limit (``limits.BROADCAST_LIMITS``), then marks each entry: ``sent`` with the call's message token; a
receiver the platform reports gone becomes ``dead`` with that reason; any other receiver's failure goes back to
its chat's lane (``batch`` cleared) and is sent alone like any message. A call that fails as a whole is retried
(``retry_after`` or backoff) for the whole batch; one that cannot work as a broadcast (refused for the account,
or after ``max_attempts``) sends the batch's entries one by one. The entries stay one per recipient, so the
report per recipient, leases, restarts and keys work as for every entry; a batch of one is sent alone. While a
batch's entries are still being written (the newest is younger than ``batch_gather_s``) a call waits to be full.

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
from bot.channels.base import BroadcastAdapter, BroadcastResult, ChannelAdapter, SendError
from bot.core.events import EventBus
from bot.core.metrics import StageTimes
from bot.core.models import Reply, as_utc, utcnow
from bot.outbox.limits import BROADCAST_LIMITS, CHANNEL_LIMITS, CHAT_LIMITS, Limit, RateLimits
from bot.store import Store, outbound_message_key

log = logging.getLogger(__name__)

LIVE = ("pending", "sending")
FINAL = ("sent", "dead", "undeliverable")
__all__ = ["BROADCAST_LIMITS", "CHANNEL_LIMITS", "CHAT_LIMITS", "Limit", "Outbox", "OutboxSettings", "order_key"]
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
    broadcast_limits: dict[str, Limit] = field(default_factory=lambda: dict(BROADCAST_LIMITS))
    batch_gather_s: float = 1.0  # a batch not full yet waits while its entries are still being written


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
        self.limits = RateLimits(self.settings.channel_limits, self.settings.chat_limits,
                                 self.settings.broadcast_limits)
        self._lanes: dict[tuple[str, str], deque[Any]] = {}
        self._lane_tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._batch_tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
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
                kind: str = "reply", source: str | None = None, batch: str | None = None) -> list[dict[str, Any]]:
        """Outbox entries for replies (not written yet). With ``source`` (the inbound message) the keys are
        ``out:<source>:<n>``: writing them again is a no-op. With ``batch`` (a key shared by entries of the same
        message to many chats) the entry is sent in a broadcast call with the others of its batch, where its
        channel can broadcast; elsewhere the key is dropped."""
        now = utcnow()
        batch = batch if self._broadcaster(channel) is not None else None
        return [{
            "_id": f"out:{source}:{n}" if source else outbound_message_key(), "seq": (seq := ObjectId()),
            "order": order_key(now, seq),
            "conversation_id": conversation_id, "channel": channel, "chat_id": chat_id, "sender": sender,
            "kind": kind, "reply": reply.to_doc(), "text": reply.text, "status": "pending", "attempts": 0,
            "due_at": now, "owner": None, "lease_until": None, "created_at": now, "source": source,
            "platform_message_ids": [], "last_error": None, "batch": batch,
        } for n, reply in enumerate(replies)]

    def _broadcaster(self, channel: str) -> BroadcastAdapter | None:
        adapter = self.adapters.get(channel)
        if adapter is not None and getattr(adapter, "broadcast_size", 0) > 1 and getattr(adapter, "enabled", True):
            return adapter  # type: ignore[return-value]
        return None

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
        lanes = [*self._lane_tasks.values(), *self._batch_tasks.values()]
        if lanes:
            _done, pending = await asyncio.wait(lanes, timeout=timeout_s)
            for task in pending:
                task.cancel()

    def kill(self) -> None:
        """Stop at once, as a crash would (tests): claimed entries stay ``sending`` until their lease expires."""
        self._closing = True
        for task in [self._poller, *self._lane_tasks.values(), *self._batch_tasks.values()]:
            if task is not None:
                task.cancel()

    def wake(self, entries: list[dict[str, Any]]) -> None:
        if self._closing:
            return  # another instance (or this one after its restart) sends them
        for entry in sorted(entries, key=lambda e: e["order"]):
            if entry.get("batch"):
                key = (entry["channel"], entry["batch"])
                if key not in self._batch_tasks:
                    self._batch_tasks[key] = asyncio.create_task(self._run_batch(key), name=f"outbox:batch:{key}")
                continue
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

    # ---------------------------------------------------------------- broadcast batches
    async def _run_batch(self, key: tuple[str, str]) -> None:
        """Send the live entries of one batch, up to ``broadcast_size`` per call, until none is left (entries
        waiting for a retry or held by another instance's lease are waited for)."""
        channel, batch = key
        try:
            while not self._closing:
                try:
                    adapter = self._broadcaster(channel)
                    if adapter is None:  # the channel cannot broadcast here (any more): send them one by one
                        await self._unbatch({"channel": channel, "batch": batch, "status": "pending"})
                        return
                    ids = await self._due_in_batch(channel, batch, adapter.broadcast_size)
                    if 0 < len(ids) < adapter.broadcast_size and await self._still_written(channel, batch):
                        await asyncio.sleep(self.settings.batch_gather_s)  # the notice is being queued: fuller calls
                        continue
                    if ids:
                        await self.limits.acquire_broadcast(channel)
                    claimed = await self._claim_batch(ids)
                    if claimed:
                        await self._send_batch(adapter, claimed)
                        continue
                    wait = await self._batch_wait(channel, batch)
                    if wait is None:
                        return
                    await asyncio.sleep(wait)
                except PyMongoError as exc:  # the store is away: the poller brings the entries back later
                    log.warning("outbox: store error", extra={"batch": batch, "error": str(exc)})
                    await asyncio.sleep(1.0)
                    return
        finally:
            del self._batch_tasks[key]

    def _claimable(self, now: datetime) -> dict[str, Any]:
        return {"$or": [{"status": "pending", "due_at": {"$lte": now}},
                        {"status": "sending", "lease_until": {"$lte": now}}]}

    async def _due_in_batch(self, channel: str, batch: str, size: int) -> list[Any]:
        query = {"channel": channel, "batch": batch, **self._claimable(utcnow())}
        return [d["_id"] async for d in self.store.outbox.find(query, {"_id": 1}).sort("order", 1).limit(size)]

    async def _still_written(self, channel: str, batch: str) -> bool:
        """Entries of the batch were written in the last ``batch_gather_s``: more are likely coming."""
        newest = await self.store.outbox.find_one({"channel": channel, "batch": batch, "status": "pending"},
                                                  {"created_at": 1}, sort=[("order", -1)])
        since = utcnow() - timedelta(seconds=self.settings.batch_gather_s)
        return newest is not None and as_utc(newest["created_at"]) > since

    async def _claim_batch(self, ids: list[Any]) -> list[dict[str, Any]]:
        """Claim these entries of a batch: each one atomically (another sender's claim of the same entry fails
        its filter), all marked with one claim id that finds the ones this call won."""
        if not ids:
            return []
        now = utcnow()
        claim = ObjectId()
        await self.store.outbox.update_many(
            {"_id": {"$in": ids}, **self._claimable(now)},
            {"$set": {"status": "sending", "owner": self.owner, "claim": claim,
                      "lease_until": now + timedelta(seconds=self.settings.lease_s)}, "$inc": {"attempts": 1}})
        return [d async for d in self.store.outbox.find({"_id": {"$in": ids}, "claim": claim, "status": "sending",
                                                         "owner": self.owner}).sort("order", 1)]

    async def _batch_wait(self, channel: str, batch: str) -> float | None:
        """Seconds until an entry of the batch may be claimable (a retry's due time, another's lease); None when
        none is live."""
        query = {"channel": channel, "batch": batch}
        retry = await self.store.outbox.find_one(query | {"status": "pending"}, {"due_at": 1}, sort=[("due_at", 1)])
        held = await self.store.outbox.find_one(query | {"status": "sending"}, {"lease_until": 1},
                                                sort=[("lease_until", 1)])
        now = utcnow()
        times = [as_utc(retry["due_at"])] if retry is not None else []
        if held is not None:
            times.append(as_utc(held["lease_until"]) if held.get("lease_until") else now)
        if not times:
            return None
        return min(self.settings.poll_s, max(0.01, (min(times) - now).total_seconds()))

    async def _send_batch(self, adapter: BroadcastAdapter, claimed: list[dict[str, Any]]) -> None:
        if len(claimed) == 1:  # one call either way: send_message (a failure is retried with the batch)
            await self.limits.acquire(claimed[0]["channel"], claimed[0]["chat_id"])
            await self._send(claimed[0])
            return
        reply = Reply.from_doc(claimed[0]["reply"])
        ids = [e["_id"] for e in claimed]
        stages: dict[str, float] = {}
        try:
            with self.times.measure("broadcast", stages):
                result = await adapter.broadcast([e["chat_id"] for e in claimed], reply)
        except SendError as exc:
            log.warning("broadcast failed", extra={"batch": claimed[0]["batch"], "receivers": len(claimed),
                                                    "attempt": claimed[0]["attempts"], "error": str(exc)})
            if exc.permanent or claimed[0]["attempts"] >= self.settings.max_attempts:
                await self._unbatch({"_id": {"$in": ids}, "owner": self.owner, "status": "sending"}, error=str(exc))
                return
            wait = exc.retry_after if exc.retry_after is not None else min(
                self.settings.max_backoff_s, self.settings.backoff_s * 2 ** (claimed[0]["attempts"] - 1))
            await self.store.outbox.update_many(
                {"_id": {"$in": ids}, "owner": self.owner, "status": "sending"},
                {"$set": {"status": "pending", "owner": None, "lease_until": None, "last_error": str(exc),
                          "due_at": utcnow() + timedelta(seconds=wait)}})
            self.times.counters["broadcast_retried"] = self.times.counters.get("broadcast_retried", 0) + 1
            return
        except Exception as exc:  # a bug in an adapter must not stop the batch: send them one by one
            log.exception("outbox: adapter crashed in broadcast", extra={"batch": claimed[0]["batch"]})
            await self._unbatch({"_id": {"$in": ids}, "owner": self.owner, "status": "sending"},
                                error=f"{type(exc).__name__}: {exc}")
            return
        self.times.record(stages)
        self.times.counters["broadcasts"] = self.times.counters.get("broadcasts", 0) + 1
        await self._finish_batch(claimed, result)

    async def _finish_batch(self, claimed: list[dict[str, Any]], result: BroadcastResult) -> None:
        now = utcnow()
        sent = [e["_id"] for e in claimed if e["chat_id"] not in result.failed]
        if sent:
            await self.store.outbox.update_many(
                {"_id": {"$in": sent}, "owner": self.owner, "status": "sending"},
                {"$set": {"status": "sent", "finished_at": now, "lease_until": None,
                          "expires_at": now + timedelta(seconds=KEEP_FINISHED_S),
                          "platform_message_ids": result.platform_message_ids}})
            transcript: dict[str, Any] = {"status": "sent", "sent_at": now}
            if result.platform_message_ids:
                transcript["platform_message_id"] = result.platform_message_ids[0]
                transcript["platform_message_ids"] = result.platform_message_ids
            await self.store.messages.update_many({"_id": {"$in": sent}}, {"$set": transcript})
            self.times.counters["sent"] = self.times.counters.get("sent", 0) + len(sent)
        retry: list[Any] = []
        for entry in claimed:
            exc = result.failed.get(entry["chat_id"])
            if exc is None:
                continue
            if exc.permanent:  # the person is gone: a dead letter whose reason the alerts report reads
                await self._finish(entry, "dead", last_error=str(exc))
                self.times.counters["dead"] = self.times.counters.get("dead", 0) + 1
            else:
                retry.append(entry["_id"])
        if retry:
            await self._unbatch({"_id": {"$in": retry}, "owner": self.owner, "status": "sending"},
                                error="; ".join(sorted({str(result.failed[e["chat_id"]]) for e in claimed
                                                        if e["_id"] in retry}))[:300])

    async def _unbatch(self, query: dict[str, Any], *, error: str | None = None) -> None:
        """Hand entries to their chats' lanes: sent one by one from now on (``batch`` cleared, due at once, a
        fresh count of attempts)."""
        changes: dict[str, Any] = {"batch": None, "status": "pending", "owner": None, "lease_until": None,
                                   "due_at": utcnow(), "attempts": 0}
        if error is not None:
            changes["last_error"] = error
        docs = [d async for d in self.store.outbox.find(query, {"_id": 1})]
        if not docs:
            return
        ids = [d["_id"] for d in docs]
        await self.store.outbox.update_many({"_id": {"$in": ids}, **{k: v for k, v in query.items() if k != "_id"}},
                                            {"$set": changes})
        self.times.counters["unbatched"] = self.times.counters.get("unbatched", 0) + len(ids)
        self.wake([d async for d in self.store.outbox.find({"_id": {"$in": ids}, "status": "pending"})])

    async def _earlier_first(self, lane: tuple[str, str], queue: deque[tuple[str, Any]]) -> bool:
        """With other instances about: live entries of this chat written before the lane's head (by another
        instance, so not in this lane) go first. True when some were put in front."""
        cursor = self.store.outbox.find({"channel": lane[0], "chat_id": lane[1], "status": {"$in": LIVE},
                                         "batch": None, "order": {"$lt": queue[0][0]}},
                                        {"order": 1}).sort("order", 1)
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
                reply = replace(Reply.from_doc(entry["reply"]), message_key=str(entry["_id"]),
                                sender=entry.get("sender"))
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
        while self._lane_tasks or self._batch_tasks or await self.store.outbox.count_documents(
                {"status": {"$in": LIVE}}, limit=1):
            if loop.time() > deadline:
                live = await self.store.outbox.find({"status": {"$in": LIVE}},
                                                    {"channel": 1, "status": 1, "attempts": 1, "due_at": 1}).to_list(3)
                raise TimeoutError(f"outbox entries still live: {live} lanes={list(self._lane_tasks)[:3]}")
            if self._lane_tasks or self._batch_tasks:
                await asyncio.wait([*self._lane_tasks.values(), *self._batch_tasks.values()], timeout=0.05)
            else:
                await asyncio.sleep(0.05)
                if loop.time() - polled > 0.5:  # entries of a stopped instance, due retries
                    polled = loop.time()
                    await self.poll()

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._lanes.values())
