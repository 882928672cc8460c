"""Demo-mode and test store: mongomock (through pymongo_async_mock) with two fixes.

1. **Lookups by ``_id``.** mongomock answers every query by scanning all documents, ``{"_id": value}`` included, so
   the bot's per-message updates by primary key got slower with every stored message (8 ms per update after 2,000
   messages). MongoDB answers them from the ``_id`` index; ``install_id_lookup`` makes mongomock do the same: a filter
   with an exact ``_id`` value (``{"_id": k}``, ``{"_id": k, "status": "received"}``) reads the one candidate document
   from mongomock's own ``_id``-keyed store and applies the whole filter to it; ``{"_id": {"$in": [...]}}`` reads one
   candidate per key (a broadcast looks up its recipients' conversations 500 at a time). Every other filter goes
   through mongomock's scan unchanged.
2. **Yielding to the event loop.** pymongo_async_mock calls mongomock synchronously inside ``async def`` methods, so
   two store operations started with ``asyncio.gather`` never interleaved and a read-then-write race could never
   show in a test. ``install_yielding`` makes every collection operation and every cursor step give the loop a
   turn before and after it runs, a seeded random number of times (``STANDIN_SEED``, default 12), so that other
   tasks run between a read and the write that depends on it, as they do against a real server. One operation
   itself stays atomic, as one MongoDB command is.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

from mongomock.collection import Collection
from mongomock.filtering import filter_applies

_original = Collection._iter_documents

# Every async operation of pymongo_async_mock's collection (see its source) plus the ones defined on the class.
_COLLECTION_OPERATIONS = (
    "bulk_write", "count_documents", "create_index", "create_indexes", "delete_many", "delete_one", "distinct",
    "drop", "drop_index", "drop_indexes", "estimated_document_count", "find_one", "find_one_and_delete",
    "find_one_and_replace", "find_one_and_update", "index_information", "insert_many", "insert_one",
    "replace_one", "update_many", "update_one", "aggregate", "list_indexes",
)
_CURSOR_OPERATIONS = ("next", "__anext__", "to_list")
MAX_YIELDS = 3


def _exact(value: Any) -> bool:
    return not isinstance(value, (dict, list, re.Pattern))  # not an operator, an array or a regex


def _iter_documents(self: Collection, filter: Any) -> Iterator[dict[str, Any]]:
    if isinstance(filter, dict) and "_id" in filter:
        key = filter["_id"]
        store = self._store
        if _exact(key):
            if key not in store:
                return iter(())
            doc = store[key]
            return iter((doc,)) if filter_applies(filter, doc) else iter(())
        if isinstance(key, dict) and list(key) == ["$in"] and isinstance(key["$in"], list) and \
                all(_exact(k) for k in key["$in"]):  # {"_id": {"$in": [k1, k2 …]}}: one read per key
            docs = [store[k] for k in dict.fromkeys(key["$in"]) if k in store]
            return iter([d for d in docs if filter_applies(filter, d)])
    return _original(self, filter)


def install_id_lookup() -> None:
    """Idempotent."""
    Collection._iter_documents = _iter_documents  # type: ignore[method-assign]


_random = random.Random(int(os.environ.get("STANDIN_SEED", "12")))


async def _give_way() -> None:
    for _ in range(1 + _random.randrange(MAX_YIELDS)):
        await asyncio.sleep(0)


def _yielding(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        await _give_way()
        try:
            return await method(self, *args, **kwargs)
        finally:
            await _give_way()

    wrapper.__standin_yielding__ = True  # type: ignore[attr-defined]
    return wrapper


def install_yielding(seed: int | None = None) -> None:
    """Idempotent; ``seed`` re-seeds the order of interleavings (a failing run can be repeated)."""
    import pymongo_async_mock as pam

    if seed is not None:
        _random.seed(seed)
    for cls, names in ((pam.AsyncMongoMockCollection, _COLLECTION_OPERATIONS),
                       (pam.AsyncCursor, _CURSOR_OPERATIONS), (pam.AsyncCommandCursor, _CURSOR_OPERATIONS)):
        for name in names:
            method = getattr(cls, name, None)
            if method is None or getattr(method, "__standin_yielding__", False):
                continue
            setattr(cls, name, _yielding(method))
