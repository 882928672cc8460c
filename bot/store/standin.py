"""Demo-mode and test store: mongomock (through pymongo_async_mock) with one performance fix.

mongomock answers every query by scanning all documents, ``{"_id": value}`` included, so the bot's per-message
updates by primary key got slower with every stored message (8 ms per update after 2,000 messages). MongoDB answers
them from the ``_id`` index; ``install_id_lookup`` makes mongomock do the same: a filter with an exact ``_id`` value
(``{"_id": k}``, ``{"_id": k, "status": "received"}``) reads the one candidate document from mongomock's own
``_id``-keyed store and applies the whole filter to it. Every other filter goes through mongomock's scan unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mongomock.collection import Collection
from mongomock.filtering import filter_applies

_original = Collection._iter_documents


def _iter_documents(self: Collection, filter: Any) -> Iterator[dict[str, Any]]:
    if isinstance(filter, dict) and "_id" in filter:
        key = filter["_id"]
        if not isinstance(key, (dict, list, re.Pattern)):  # an exact value, not {"$in": …}, an operator or a regex
            store = self._store
            if key not in store:
                return iter(())
            doc = store[key]
            return iter((doc,)) if filter_applies(filter, doc) else iter(())
    return _original(self, filter)


def install_id_lookup() -> None:
    """Idempotent."""
    Collection._iter_documents = _iter_documents  # type: ignore[method-assign]
