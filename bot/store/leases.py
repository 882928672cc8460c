"""Leases in MongoDB: one holder at a time across every instance, taken back when the holder dies.

A lease is one document of ``leases``: ``{"_id": name, "holder": <instance>, "until": <UTC>}``. Taking it is one
atomic ``find_one_and_update`` with ``upsert``: the filter matches the document only if it is free (expired) or
already ours; when it is held by another instance the filter matches nothing, the upsert tries to insert a second
document with the same ``_id`` and the primary key refuses it (``DuplicateKeyError``): the lease is busy. A holder
that crashes stops renewing and its lease expires after ``ttl_s``. Releasing sets ``until`` to now and keeps the
holder, so the next taker learns whether someone else held it last (``Lease.previous``).

Used for the per-conversation lease of the pipeline (two instances never process two messages of one chat at once).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from bot.core.models import utcnow


@dataclass
class Lease:
    name: str
    previous: str | None  # who held it before us: None (never held), our own instance id, or another's


class Leases:
    def __init__(self, collection: Any, holder: str, *, ttl_s: float = 30.0, wait_s: float = 0.05) -> None:
        self.collection = collection
        self.holder = holder
        self.ttl_s = ttl_s
        self.wait_s = wait_s

    async def try_take(self, name: str) -> Lease | None:
        """Take (or renew) the lease; None when another instance holds it."""
        now = utcnow()
        try:
            before = await self.collection.find_one_and_update(
                {"_id": name, "$or": [{"holder": self.holder}, {"until": {"$lte": now}}]},
                {"$set": {"holder": self.holder, "until": now + timedelta(seconds=self.ttl_s)}},
                upsert=True, return_document=ReturnDocument.BEFORE)
        except DuplicateKeyError:
            return None
        return Lease(name, before["holder"] if before else None)

    async def release(self, name: str) -> None:
        await self.collection.update_one({"_id": name, "holder": self.holder}, {"$set": {"until": utcnow()}})

    @contextlib.asynccontextmanager
    async def hold(self, name: str, timeout_s: float | None = None) -> AsyncIterator[Lease]:
        """Wait for the lease (``TimeoutError`` after ``timeout_s``), hold it for the block, release it."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while (lease := await self.try_take(name)) is None:
            if deadline is not None and loop.time() > deadline:
                raise TimeoutError(f"lease {name!r} is held by another instance")
            await asyncio.sleep(self.wait_s)
        try:
            yield lease
        finally:
            await self.release(name)
