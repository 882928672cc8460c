"""Conversation events across every instance: the staff dashboard's live monitor and the web chat's live replies.

``publish(event, topic=...)`` hands the event at once to this instance's subscribers (each has its own bounded
queue, so a slow browser never blocks the bot) and, when the bus has a store, writes it to the ``events``
collection, from which every other instance reads it and hands it to its own subscribers. Topics:

* ``"monitor"`` (default): ``{"type": "message", "conversation_id": ..., ...}`` after each stored inbound or
  outbound message, ``{"type": "conversation", ...}`` on state changes (the dashboard's server-sent events).
* ``"webchat"``: ``{"chat_id": ..., "frames": [...]}``, reply frames for a web-chat visitor, pushed by whichever
  instance holds the visitor's socket (``bot/channels/webchat.py``).

How other instances learn of an event (``mode``):

* ``"change_stream"`` on a replica set (production): ``events.watch()``, pushed by the server as the insert commits.
* ``"poll"`` where there is no change stream (a stand-alone server, and the in-process stand-in used by the demo and
  the tests): each instance reads ``{"at": {"$gt": last - overlap}}`` every ``poll_s`` seconds. The overlap covers
  inserts that commit after a later one (two instances, clock skew); ids already seen are skipped.
* ``"local"``: no store (unit tests): in-process only.

Events are notifications, not records: the store keeps the messages themselves. Each instance deletes events older
than ``keep_s``; a browser that reconnects reloads the page's data from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from pymongo.errors import OperationFailure, PyMongoError

from bot.core.models import as_utc, utcnow

log = logging.getLogger(__name__)

MONITOR = "monitor"
WEBCHAT = "webchat"


class EventBus:
    def __init__(self, queue_size: int = 256, *, store: Any = None, poll_s: float = 0.2, overlap_s: float = 2.0,
                 keep_s: float = 600.0) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._queue_size = queue_size
        self.store = store
        self.instance = uuid.uuid4().hex[:12]
        self.poll_s, self.overlap_s, self.keep_s = poll_s, overlap_s, keep_s
        self.mode = "local"
        self._outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._seen: OrderedDict[Any, None] = OrderedDict()
        self._tasks: list[asyncio.Task[None]] = []

    # ---------------------------------------------------------------- publishing and subscribing
    def publish(self, event: dict[str, Any], *, topic: str = MONITOR) -> None:
        self._deliver(topic, event)
        # the stand-in of a single instance has nobody to tell: no write (see Store.shared)
        if self.store is not None and self._tasks and self.store.shared:
            self._outgoing.put_nowait({"topic": topic, "origin": self.instance, "event": event})

    def _deliver(self, topic: str, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            with contextlib.suppress(asyncio.QueueFull):  # a stalled subscriber misses events, never blocks us
                queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str = MONITOR) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._queue_size)
        self._subscribers.setdefault(topic, set()).add(queue)
        try:
            yield queue
        finally:
            self._subscribers[topic].discard(queue)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers.get(MONITOR, ()))

    # ---------------------------------------------------------------- across instances
    async def start(self) -> None:
        """Begin sharing events through the store (no-op without one)."""
        if self.store is None or self._tasks:
            return
        self.mode = "poll" if self.store.demo else await self._probe_change_stream()
        self._tasks = [asyncio.create_task(self._write_loop(), name="events-writer"),
                       asyncio.create_task(self._read_loop(), name=f"events-{self.mode}")]
        log.info("cross-instance events", extra={"mode": self.mode, "instance": self.instance})

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    async def _probe_change_stream(self) -> str:
        try:
            async with await self.store.events.watch(max_await_time_ms=1):
                return "change_stream"
        except (OperationFailure, NotImplementedError, AttributeError):  # stand-alone server: no change streams
            return "poll"

    async def _write_loop(self) -> None:
        while True:
            batch = [await self._outgoing.get()]
            while not self._outgoing.empty():
                batch.append(self._outgoing.get_nowait())
            now = utcnow()
            expires = now + timedelta(seconds=self.keep_s)
            try:
                await self.store.events.insert_many([doc | {"at": now, "expires_at": expires} for doc in batch],
                                                    ordered=True)
            except PyMongoError as exc:  # the live views miss these events; nothing else depends on them
                log.warning("events not shared", extra={"count": len(batch), "error": str(exc)})

    async def _read_loop(self) -> None:
        while True:
            try:
                if self.mode == "change_stream":
                    await self._follow_change_stream()
                else:
                    await self._poll()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again shortly
                log.warning("events reader restarting", extra={"error": str(exc)})
                await asyncio.sleep(1.0)

    async def _follow_change_stream(self) -> None:
        pipeline = [{"$match": {"operationType": "insert", "fullDocument.origin": {"$ne": self.instance}}}]
        async with await self.store.events.watch(pipeline) as stream:
            async for change in stream:
                self._receive(change["fullDocument"])

    async def _poll(self) -> None:
        since = utcnow() - timedelta(seconds=self.overlap_s)
        last_purge = utcnow()
        while True:
            cursor = self.store.events.find({"at": {"$gt": since - timedelta(seconds=self.overlap_s)},
                                             "origin": {"$ne": self.instance}}).sort("at", 1)
            async for doc in cursor:
                since = max(since, as_utc(doc["at"]))
                self._receive(doc)
            now = utcnow()
            if (now - last_purge).total_seconds() > 60:
                last_purge = now
                await self.store.events.delete_many({"at": {"$lt": now - timedelta(seconds=self.keep_s)}})
            await asyncio.sleep(self.poll_s)

    def _receive(self, doc: dict[str, Any]) -> None:
        if doc["_id"] in self._seen or doc.get("origin") == self.instance:
            return
        self._seen[doc["_id"]] = None
        if len(self._seen) > 10_000:
            self._seen.popitem(last=False)
        self._deliver(doc.get("topic", MONITOR), doc["event"])
