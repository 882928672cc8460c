"""The registry of collections holding personal data: complete, and its filters find one person's documents only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from bot.core.settings import Settings
from bot.privacy.registry import NOT_PERSONAL, REGISTRY, DataSubject, collection
from bot.store import Store, open_store


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = await open_store(None, f"registry_{uuid.uuid4().hex[:8]}")
    yield s
    await s.close()


def store_collections(store: Store) -> set[str]:
    return {value.name for value in vars(store).values() if type(value).__name__.endswith("Collection")}


async def test_every_collection_of_the_store_is_registered_or_declared_free_of_personal_data(store: Store) -> None:
    names = store_collections(store)
    assert {"conversations", "messages", "tickets", "audit"} <= names  # the check looks at the real attributes
    registered = {entry.name for entry in REGISTRY}
    assert names - NOT_PERSONAL <= registered, f"not registered: {sorted(names - NOT_PERSONAL - registered)}"
    assert not registered & NOT_PERSONAL


def test_every_retention_rule_names_a_configurable_period() -> None:
    periods = {name for name in Settings.model_fields if name.startswith("retention_")}
    assert periods
    for entry in REGISTRY:
        for rule in entry.retention:
            assert rule.period is None or rule.period in periods, (entry.name, rule.name)


async def test_filters_find_exactly_one_persons_documents(store: Store) -> None:
    me, other = "telegram:111", "telegram:222"
    await store.conversations.insert_many([{"_id": me}, {"_id": other}])
    await store.messages.insert_many([{"_id": "m1", "conversation_id": me}, {"_id": "m2", "conversation_id": other}])
    await store.tickets.insert_many([
        {"reference": "CHA-2026-000001", "conversation_id": me, "followers": []},
        {"reference": "CHA-2026-000002", "conversation_id": other, "followers": [{"conversation_id": me}]},
        {"reference": "CHA-2026-000003", "conversation_id": other, "followers": []},
        {"reference": "CHA-2026-000004", "conversation_id": None, "channel": "assisted"},
    ])
    await store.audit.insert_many([{"target": me}, {"target": other}, {"target": "CHA-2026-000004"}])
    subject = DataSubject(conversation_ids=frozenset({me}), references=frozenset({"CHA-2026-000004"}))

    async def found(name: str) -> list[dict]:
        return await store.db[name].find(collection(name).find(subject), {"_id": 0}).to_list(None)

    assert await found("conversations") == [{}]  # one document (its _id projected away)
    assert len(await found("messages")) == 1
    assert sorted(t["reference"] for t in await found("tickets")) == [
        "CHA-2026-000001", "CHA-2026-000002", "CHA-2026-000004"]
    assert sorted(a["target"] for a in await found("audit")) == ["CHA-2026-000004", me]
