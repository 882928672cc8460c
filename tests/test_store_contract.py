"""The MongoDB behaviours the code relies on. Runs against the in-process stand-in always, and against a real
server too when ``MONGODB_URI`` is set: ``MONGODB_URI=mongodb://host:27017 ./test.sh tests/test_store_contract.py``
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from bot.store import Store, inbound_message_key, open_store

BACKENDS = ["stand-in"] + (["mongodb"] if os.environ.get("MONGODB_URI") else [])


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    name = f"contract_{uuid.uuid4().hex[:12]}"
    uri = os.environ["MONGODB_URI"] if request.param == "mongodb" else None
    s = await open_store(uri, name, timeout_s=5)
    yield s
    if uri:
        await s.client.drop_database(name)
    await s.close()


async def test_ping(store: Store) -> None:
    assert await store.ping() is True


async def test_an_inbound_message_key_is_stored_once(store: Store) -> None:
    doc = {"_id": inbound_message_key("telegram", "u1"), "channel": "telegram", "platform_message_id": "u1"}
    await store.messages.insert_one(dict(doc))
    with pytest.raises(DuplicateKeyError):
        await store.messages.insert_one(dict(doc))
    await store.messages.insert_one({"_id": inbound_message_key("viber", "u1"), "channel": "viber"})
    assert await store.messages.count_documents({}) == 2


async def test_lookups_by_id_match_a_scan(store: Store) -> None:
    """The stand-in answers exact ``_id`` filters from its key index (bot/store/standin.py): same answers."""
    await store.messages.insert_many([{"_id": f"k{i}", "n": i} for i in range(50)])
    assert (await store.messages.find_one({"_id": "k7"}))["n"] == 7
    assert await store.messages.find_one({"_id": "missing"}) is None
    assert [d["n"] async for d in store.messages.find({"_id": {"$in": ["k1", "k2"]}}).sort("n", 1)] == [1, 2]
    by_keys = store.messages.find({"_id": {"$in": ["k5", "missing", "k5", "k40", "k41"]}, "n": {"$lt": 41}})
    assert sorted([d["n"] async for d in by_keys]) == [5, 40]  # each key once, the rest of the filter applied
    assert await store.messages.count_documents({"_id": {"$in": []}}) == 0
    result = await store.messages.update_one({"_id": "k9"}, {"$set": {"seen": True}})
    assert result.matched_count == 1 and (await store.messages.find_one({"seen": True}))["_id"] == "k9"
    assert (await store.messages.update_one({"_id": "nope"}, {"$set": {"x": 1}})).matched_count == 0
    claimed = await store.messages.find_one_and_update({"_id": "k3", "n": 3}, {"$set": {"claimed": True}})
    assert claimed is not None and claimed["n"] == 3
    assert await store.messages.find_one_and_update({"_id": "k3", "n": 4}, {"$set": {"claimed": True}}) is None


async def test_atomic_counter_never_repeats_under_concurrency(store: Store) -> None:
    numbers = await asyncio.gather(*(store.next_sequence("ticket-2026") for _ in range(60)))
    assert sorted(numbers) == list(range(1, 61))
    assert await store.next_sequence("ticket-2027") == 1


async def test_upsert_with_set_on_insert_and_return_after(store: Store) -> None:
    now = datetime.now(UTC)
    update = {"$set": {"chat_id": "1", "last_activity": now}, "$setOnInsert": {"language": "el", "paused": False}}
    first = await store.conversations.find_one_and_update({"_id": "telegram:1"}, update, upsert=True,
                                                          return_document=ReturnDocument.AFTER)
    assert first["language"] == "el" and first["chat_id"] == "1"
    await store.conversations.update_one({"_id": "telegram:1"}, {"$set": {"language": "en"}})
    second = await store.conversations.find_one_and_update({"_id": "telegram:1"}, update, upsert=True,
                                                           return_document=ReturnDocument.AFTER)
    assert second["language"] == "en"  # $setOnInsert does not touch an existing document
    assert second["last_activity"].tzinfo is not None  # tz_aware client: datetimes come back in UTC
    assert await store.conversations.count_documents({}) == 1


async def test_push_and_set_in_one_update(store: Store) -> None:
    await store.tickets.insert_one({"reference": "CHA-2026-000001", "status": "new", "history": []})
    await store.tickets.update_one(
        {"reference": "CHA-2026-000001"},
        {"$set": {"status": "acknowledged"}, "$push": {"history": {"status": "acknowledged", "note": "ok"}}},
    )
    doc = await store.tickets.find_one({"reference": "CHA-2026-000001"})
    assert doc["status"] == "acknowledged" and doc["history"] == [{"status": "acknowledged", "note": "ok"}]
    with pytest.raises(DuplicateKeyError):
        await store.tickets.insert_one({"reference": "CHA-2026-000001"})


async def test_sorted_queries_and_aggregation(store: Store) -> None:
    base = datetime(2026, 11, 1, tzinfo=UTC)
    await store.messages.insert_many([
        {"channel": "telegram", "platform_message_id": f"m{i}", "conversation_id": "telegram:9",
         "direction": "in", "status": "received" if i % 2 else "answered", "created_at": base.replace(day=i + 1)}
        for i in range(6)
    ])
    received = await store.messages.find({"status": "received"}).sort("created_at", 1).to_list()
    assert [d["platform_message_id"] for d in received] == ["m1", "m3", "m5"]
    cursor = await store.messages.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}])
    assert [(d["_id"], d["n"]) async for d in cursor] == [("answered", 3), ("received", 3)]


# --- what bot/tickets.py relies on (complaints) ---------------------------------------------------------------

async def test_tickets_created_concurrently_get_unique_references(store: Store) -> None:
    from bot import tickets
    from bot.core.services import Services
    from bot.core.settings import Settings

    services = Services(settings=Settings(_env_file=None), store=store, outbox=None)  # type: ignore[arg-type,call-arg]
    made = await asyncio.gather(*(
        tickets.create_ticket(services, category="complaint_roads", description=f"#{i}", channel="telegram",
                              language="el", conversation_id=f"telegram:{i}")
        for i in range(40)
    ))
    refs = {t["reference"] for t in made}
    assert len(refs) == 40 and await store.tickets.count_documents({}) == 40
    assert sorted(int(r[-6:]) for r in refs) == list(range(1, 41))


async def test_conditional_push_adds_an_array_entry_once(store: Store) -> None:
    await store.tickets.insert_one({"reference": "CHA-2026-000002"})  # no "followers" field yet
    query = {"reference": "CHA-2026-000002", "followers.conversation_id": {"$ne": "viber:x"}}
    update = {"$push": {"followers": {"conversation_id": "viber:x", "language": "en"}}}
    first = await store.tickets.find_one_and_update(query, update, return_document=ReturnDocument.AFTER)
    assert first["followers"] == [{"conversation_id": "viber:x", "language": "en"}]
    assert await store.tickets.find_one_and_update(query, update, return_document=ReturnDocument.AFTER) is None
    assert await store.tickets.count_documents({"followers.conversation_id": "viber:x"}) == 1


async def test_range_query_on_geojson_coordinates_by_array_index(store: Store) -> None:
    await store.tickets.insert_many([
        {"reference": "CHA-2026-000010", "location": {"type": "Point", "coordinates": [24.0180, 35.5197]}},
        {"reference": "CHA-2026-000011", "location": {"type": "Point", "coordinates": [24.0800, 35.4870]}},
        {"reference": "CHA-2026-000012", "location": None},
    ])
    box = {"location.coordinates.0": {"$gte": 24.0, "$lte": 24.05},
           "location.coordinates.1": {"$gte": 35.5, "$lte": 35.55}}
    assert [d["reference"] async for d in store.tickets.find(box)] == ["CHA-2026-000010"]


async def test_sort_on_two_keys_with_limit(store: Store) -> None:
    same = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    await store.tickets.insert_many([{"reference": f"CHA-2026-{i:06d}", "conversation_id": "telegram:5",
                                      "created_at": same} for i in (21, 23, 22)])
    cursor = store.tickets.find({"conversation_id": "telegram:5"}).sort([("created_at", -1), ("reference", -1)])
    assert [d["reference"] for d in await cursor.limit(2).to_list(2)] == ["CHA-2026-000023", "CHA-2026-000022"]


async def test_open311_key_usage_counter_counts_every_use_once(store: Store) -> None:
    from bot.open311 import keys

    await keys.ensure_indexes(store)  # includes a TTL index (expireAfterSeconds=0 on expires_at)
    key, _ = await keys.issue(store, "Δοκιμή", 1000, actor="staff:test")
    now = datetime.now(UTC).replace(second=15, microsecond=0)  # a past time would expire at once (TTL)
    minute = now.replace(second=0)
    results = await asyncio.gather(*(keys.take(store, key, now) for _ in range(20)))
    assert results == [None] * 20
    counter = await store.db[keys.USAGE].find_one({"_id": f"{key.id}:{minute:%Y%m%d%H%M}"})
    assert counter["count"] == 20
    assert counter["expires_at"].replace(tzinfo=UTC) == minute + timedelta(minutes=2)
    doc = await store.db[keys.KEYS].find_one({"_id": key.id})
    assert doc["uses"] == 20


async def test_open311_key_hash_is_unique(store: Store) -> None:
    from bot.open311 import keys

    await keys.ensure_indexes(store)
    doc = {"name": "a", "key_hash": keys.hash_key("cha311_x"), "hint": "cha311_x", "rate_limit": 1}
    await store.db[keys.KEYS].insert_one({"_id": "k1", **doc})
    with pytest.raises(DuplicateKeyError):
        await store.db[keys.KEYS].insert_one({"_id": "k2", **doc})


async def test_open311_public_filter_and_photo_flag_by_array_index(store: Store) -> None:
    from bot.open311.publication import PUBLIC_FILTER

    await store.tickets.insert_many([
        {"reference": "R1", "channel": "telegram", "photos": [{"url": "/a"}, {"url": "/b"}]},
        {"reference": "R2", "channel": "assisted"},
        {"reference": "R3", "channel": "viber", "private": True},
        {"reference": "R4", "channel": "viber", "private": False},
    ])
    public = sorted([d["reference"] async for d in store.tickets.find(PUBLIC_FILTER)])
    assert public == ["R1", "R4"]  # an absent "private" counts as not private
    result = await store.tickets.update_one({"reference": "R1", "photos.1": {"$exists": True}},
                                            {"$set": {"photos.1.approved": True}})
    assert result.matched_count == 1
    result = await store.tickets.update_one({"reference": "R1", "photos.2": {"$exists": True}},
                                            {"$set": {"photos.2.approved": True}})
    assert result.matched_count == 0
    doc = await store.tickets.find_one({"reference": "R1"})
    assert doc["photos"] == [{"url": "/a"}, {"url": "/b", "approved": True}]


async def test_guide_catalogue_replace_upsert_delete_nin_and_version_counter(store: Store) -> None:
    """bot/guide/sights.py: replace_one(upsert) per sight, delete_many($nin) of the ones a new file dropped, an
    upserted $set+$inc version document, find_one sorted on seq descending for the next position."""
    for i, sid in enumerate(["a", "b", "c"]):
        await store.sights.replace_one({"_id": sid}, {"_id": sid, "seq": i, "rank": 1}, upsert=True)
    await store.sights.replace_one({"_id": "b"}, {"_id": "b", "seq": 1, "rank": 9}, upsert=True)
    await store.sights.delete_many({"_id": {"$nin": ["a", "b"]}})
    assert [d["_id"] async for d in store.sights.find({}).sort([("seq", 1)])] == ["a", "b"]
    assert (await store.sights.find_one({"_id": "b"}))["rank"] == 9
    assert (await store.sights.find_one({}, {"seq": 1}, sort=[("seq", -1)]))["_id"] == "b"
    for _ in range(2):
        await store.counters.update_one({"_id": "guide_catalogue"},
                                        {"$set": {"transport": {"hubs": []}}, "$inc": {"version": 1}}, upsert=True)
    meta = await store.counters.find_one_and_update({"_id": "guide_catalogue"}, {"$inc": {"version": 1}},
                                                    return_document=ReturnDocument.AFTER)
    assert meta["version"] == 3 and meta["transport"] == {"hubs": []}


# --- concurrency: the stand-in interleaves operations, so a race shows here as it would on a server ----------------

async def test_a_read_then_write_counter_loses_updates(store: Store) -> None:
    """The control for the atomic tests above and below: the same work done as a read and a separate write must
    go wrong under ``gather``. If it did not, the stand-in would be hiding races (bot/store/standin.py)."""
    await store.counters.insert_one({"_id": "racy", "seq": 0})

    async def racy_next() -> int:
        doc = await store.counters.find_one({"_id": "racy"})
        await store.counters.update_one({"_id": "racy"}, {"$set": {"seq": doc["seq"] + 1}})
        return doc["seq"] + 1

    numbers = await asyncio.gather(*(racy_next() for _ in range(60)))
    assert len(set(numbers)) < 60


async def test_a_conversation_lease_has_one_holder_and_expires(store: Store) -> None:
    from bot.store.leases import Leases

    instances = [Leases(store.leases, f"instance-{n}", ttl_s=30) for n in range(6)]
    taken = await asyncio.gather(*(lease.try_take("conversation:telegram:1") for lease in instances))
    holders = [lease.holder for lease, got in zip(instances, taken, strict=True) if got is not None]
    assert len(holders) == 1
    winner = next(lease for lease in instances if lease.holder == holders[0])
    assert (await winner.try_take("conversation:telegram:1")) is not None  # the holder may renew it
    other = next(lease for lease in instances if lease.holder != holders[0])
    assert await other.try_take("conversation:telegram:1") is None
    await winner.release("conversation:telegram:1")
    after = await other.try_take("conversation:telegram:1")
    assert after is not None and after.previous == winner.holder  # the next holder learns who had it

    crashed = Leases(store.leases, "crashed", ttl_s=0.05)
    assert await crashed.try_take("conversation:viber:2") is not None  # then never released
    assert await other.try_take("conversation:viber:2") is None
    await asyncio.sleep(0.1)
    assert (await other.try_take("conversation:viber:2")).previous == "crashed"


async def test_held_leases_never_overlap(store: Store) -> None:
    from bot.store.leases import Leases

    inside: list[str] = []
    overlaps = 0

    async def work(lease: Leases) -> None:
        nonlocal overlaps
        for _ in range(5):
            async with lease.hold("conversation:webchat:x", timeout_s=20):
                inside.append(lease.holder)
                overlaps += len(inside) > 1
                await asyncio.sleep(0.002)
                inside.remove(lease.holder)

    await asyncio.gather(*(work(Leases(store.leases, f"i{n}", ttl_s=30, wait_s=0.001)) for n in range(4)))
    assert overlaps == 0


async def test_an_outbox_entry_is_claimed_by_one_sender(store: Store) -> None:
    now = datetime.now(UTC)
    await store.outbox.insert_one({"_id": "out:1", "status": "pending", "due_at": now - timedelta(seconds=1),
                                   "attempts": 0})

    async def claim(owner: str) -> Any:
        return await store.outbox.find_one_and_update(
            {"_id": "out:1", "$or": [{"status": "pending", "due_at": {"$lte": now}},
                                     {"status": "sending", "lease_until": {"$lte": now}}]},
            {"$set": {"status": "sending", "owner": owner, "lease_until": now + timedelta(seconds=60)},
             "$inc": {"attempts": 1}}, return_document=ReturnDocument.AFTER)

    claims = await asyncio.gather(*(claim(f"s{n}") for n in range(8)))
    assert len([c for c in claims if c is not None]) == 1
    assert (await store.outbox.find_one({"_id": "out:1"}))["attempts"] == 1


async def test_a_batch_claim_gives_each_entry_to_one_sender_and_batch_null_matches_a_missing_field(
        store: Store) -> None:
    """What Outbox._claim_batch relies on: update_many with ``$in`` + ``$or`` claims each document atomically, the
    claim id finds the ones one sender won; ``{"batch": None}`` (the lanes' query) matches entries without it."""
    from bson import ObjectId

    now = datetime.now(UTC)
    await store.outbox.insert_many([{"_id": f"out:b{n}", "batch": "alert:1:el", "status": "pending",
                                     "due_at": now - timedelta(seconds=1), "attempts": 0, "order": f"{n:03}"}
                                    for n in range(40)] + [{"_id": "out:old", "status": "pending", "order": "999"}])
    claimable = {"$or": [{"status": "pending", "due_at": {"$lte": now}},
                         {"status": "sending", "lease_until": {"$lte": now}}]}

    async def claim(owner: str) -> list[Any]:
        ids = [d["_id"] async for d in store.outbox.find({"batch": "alert:1:el", **claimable}, {"_id": 1})
               .sort("order", 1).limit(30)]
        token = ObjectId()
        await store.outbox.update_many({"_id": {"$in": ids}, **claimable},
                                       {"$set": {"status": "sending", "owner": owner, "claim": token,
                                                 "lease_until": now + timedelta(seconds=60)}, "$inc": {"attempts": 1}})
        return [d["_id"] async for d in store.outbox.find({"_id": {"$in": ids}, "claim": token, "owner": owner})]

    everyone: list[Any] = []
    for _ in range(4):  # rounds of four concurrent senders, until nothing is left to claim
        won = await asyncio.gather(*(claim(f"s{n}") for n in range(4)))
        assert all(len(ids) <= 30 for ids in won)
        everyone += [i for ids in won for i in ids]
    assert sorted(everyone) == sorted(f"out:b{n}" for n in range(40))  # each entry once, none left out
    assert await store.outbox.count_documents({"attempts": 1}) == 40
    assert [d["_id"] async for d in store.outbox.find({"batch": None})] == ["out:old"]


async def test_insert_many_unordered_reports_the_duplicates_and_keeps_the_rest(store: Store) -> None:
    """What Outbox.add relies on to make writing a turn's replies twice a no-op."""
    from pymongo.errors import BulkWriteError

    await store.outbox.insert_one({"_id": "out:a:0"})
    with pytest.raises(BulkWriteError) as err:
        await store.outbox.insert_many([{"_id": "out:a:0"}, {"_id": "out:a:1"}], ordered=False)
    assert [(e["index"], e["code"]) for e in err.value.details["writeErrors"]] == [(0, 11000)]
    assert await store.outbox.count_documents({}) == 2
async def test_waiting_for_staff_null_matches_a_missing_field_and_ne_null_finds_the_queue(store: Store) -> None:
    """bot/handoff: ``{"waiting_since": None}`` sets the time once (also on documents older than the field);
    ``{"$ne": None}`` with a sort lists the queue; ``find_one_and_update`` returns the document before."""
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    await store.conversations.insert_many([{"_id": "old", "paused": False}, {"_id": "b", "waiting_since": None},
                                           {"_id": "c", "paused": True, "waiting_since": None}])
    for conv_id, at in (("old", t0 + timedelta(minutes=5)), ("b", t0), ("old", t0 + timedelta(minutes=9))):
        await store.conversations.update_one({"_id": conv_id, "waiting_since": None}, {"$set": {"waiting_since": at}})
    queue = [d["_id"] async for d in store.conversations.find(
        {"waiting_since": {"$ne": None}, "paused": {"$ne": True}}).sort([("waiting_since", 1), ("_id", 1)])]
    assert queue == ["b", "old"]
    doc = await store.conversations.find_one({"_id": "old"})
    assert doc["waiting_since"].replace(tzinfo=UTC) == t0 + timedelta(minutes=5)  # the first request kept its place
    before = await store.conversations.find_one_and_update({"_id": "old"},
                                                           {"$set": {"paused": True, "waiting_since": None}})
    assert before["paused"] is False


async def test_a_take_over_is_won_once_in_null_matches_a_missing_holder(store: Store) -> None:
    """bot/handoff.staff_joined: ``{"held_by": {"$in": [None, me]}}`` matches a chat nobody holds (the field missing
    or null) or one I hold already, never a colleague's; of two take-overs at once exactly one wins."""
    await store.conversations.insert_many([{"_id": "free"}, {"_id": "released", "held_by": None},
                                           {"_id": "race", "held_by": None}])

    async def take(conv_id: str, actor: str) -> dict[str, Any] | None:
        return await store.conversations.find_one_and_update({"_id": conv_id, "held_by": {"$in": [None, actor]}},
                                                             {"$set": {"held_by": actor}})

    assert await take("free", "staff:admin") is not None
    assert await take("free", "staff:admin") is not None  # mine already: taking it again is fine
    assert await take("free", "staff:maria") is None
    assert await take("released", "staff:maria") is not None
    won = await asyncio.gather(take("race", "staff:admin"), take("race", "staff:maria"))
    assert sum(doc is not None for doc in won) == 1
    holders = {d["_id"]: d["held_by"] async for d in store.conversations.find({})}
    assert holders == {"free": "staff:admin", "released": "staff:maria",
                       "race": "staff:admin" if won[0] is not None else "staff:maria"}


async def test_claim_counts_attempts_and_due_filter_matches_missing_or_past_retry_times(store: Store) -> None:
    """The pipeline's claim ($set + $inc in one find_one_and_update) and bot.poison.due (null matches a missing
    field; $lte on a datetime) as the recovery sweep uses them."""
    from bot import poison

    now = datetime.now(UTC)
    await store.messages.insert_many([
        {"_id": "m-new", "status": "received"},
        {"_id": "m-due", "status": "received", "next_attempt_at": now - timedelta(seconds=1), "attempts": 1},
        {"_id": "m-later", "status": "received", "next_attempt_at": now + timedelta(minutes=5), "attempts": 2},
        {"_id": "m-cleared", "status": "received", "next_attempt_at": None, "attempts": 0},
    ])
    due = {d["_id"] async for d in store.messages.find({"status": "received", **poison.due(now)})}
    assert due == {"m-new", "m-due", "m-cleared"}
    for expected in (1, 2):
        claimed = await store.messages.find_one_and_update(
            {"_id": "m-new", "status": "received"}, {"$set": {"status": "processing"}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER)
        assert claimed["attempts"] == expected
        await store.messages.update_one({"_id": "m-new"}, {"$set": {"status": "received"}})
    assert await poison.retry(store, "m-due", actor="staff:x") is False  # not a dead letter
    await store.messages.update_one({"_id": "m-due"}, {"$set": {"status": "failed", "direction": "in"}})
    assert await poison.retry(store, "m-due", actor="staff:x") is True
    assert await poison.retry(store, "m-due", actor="staff:y") is False  # a second click does nothing
    assert (await store.messages.find_one({"_id": "m-due"}))["attempts"] == 0


async def test_privacy_queries_retention_filters_and_one_time_download(store: Store) -> None:
    """What bot/privacy relies on: the retention job's $elemMatch (status $in + time $lt) and "photos.0" $exists
    filters, $unset of a nested field, erasure's $pull of a follower by $in, and the one-time download link
    (find_one_and_update returning the document BEFORE a $set + $unset, so a second take finds nothing)."""
    from bot.privacy import downloads
    from bot.privacy.registry import CLOSED_STATUSES

    now = datetime.now(UTC)
    old, recent = now - timedelta(days=800), now - timedelta(days=10)
    await store.tickets.insert_many([
        {"reference": "T1", "status": "resolved", "photos": [{"file_id": "a"}],
         "citizen": {"name": "Α", "phone": "+30"},
         "history": [{"status": "new", "at": old}, {"status": "resolved", "at": old}],
         "followers": [{"conversation_id": "telegram:1"}, {"conversation_id": "telegram:2"}]},
        {"reference": "T2", "status": "resolved", "photos": [], "history": [{"status": "resolved", "at": old}]},
        {"reference": "T3", "status": "resolved", "photos": [{"file_id": "b"}],
         "history": [{"status": "new", "at": old}, {"status": "resolved", "at": recent}]},
        {"reference": "T4", "status": "in_progress", "photos": [{"file_id": "c"}],
         "history": [{"status": "resolved", "at": old}, {"status": "in_progress", "at": recent}]},
    ])
    cutoff = now - timedelta(days=730)
    query = {"status": {"$in": list(CLOSED_STATUSES)}, "photos.0": {"$exists": True},
             "history": {"$elemMatch": {"status": {"$in": list(CLOSED_STATUSES)}, "at": {"$lt": cutoff}}}}
    assert [t["reference"] async for t in store.tickets.find(query)] == ["T1"]

    await store.tickets.update_one({"reference": "T1"}, {"$unset": {"citizen.phone": ""}})
    await store.tickets.update_one({"reference": "T1"},
                                   {"$pull": {"followers": {"conversation_id": {"$in": ["telegram:1"]}}}})
    t1 = await store.tickets.find_one({"reference": "T1"})
    assert t1["citizen"] == {"name": "Α"} and t1["followers"] == [{"conversation_id": "telegram:2"}]

    token = await downloads.create(store, "telegram:1", "export.json", b'{"a": 1}')
    assert (await downloads.peek(store, token)).content == b'{"a": 1}'  # type: ignore[union-attr]
    taken = await downloads.take(store, token)
    assert taken is not None and taken.content == b'{"a": 1}'
    assert await downloads.take(store, token) is None and await downloads.peek(store, token) is None
    assert "content" not in await store.downloads.find_one({})


async def test_staff_page_queries_shared_media_search_by_name_and_reference_digits(store: Store) -> None:
    """The queries of the staff side (QA F10, F14): a bounding box on the geocoder cache's lat/lon, the messages
    with a location or a photo since a time, a regular expression on ``citizen.name`` and one anchored at the end
    of the reference, each combined with ``$or``."""
    from bot.core.models import GeoPoint
    from bot.dashboard.shared_media import nearest_street
    from bot.dashboard.ticket_filters import TicketFilter
    from bot.handoff import shared_with_staff
    from bot.staff.accounts import StaffMember

    await store.geocodes.insert_many([
        {"_id": "a", "found": True, "lat": 35.51125, "lon": 24.03300, "display_name": "45, Βενιζέλου, Χαλέπα"},
        {"_id": "b", "found": True, "lat": 35.52000, "lon": 24.03300, "display_name": "Μακριά"},
        {"_id": "c", "found": False},
    ])
    assert await nearest_street(store, GeoPoint(35.51120, 24.03310)) == "Βενιζέλου 45"
    assert await nearest_street(store, GeoPoint(35.40000, 24.03310)) == ""

    since = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    base = {"conversation_id": "telegram:1", "direction": "in", "status": "paused", "channel": "telegram",
            "user_id": "1", "chat_id": "1", "text": "", "received_at": since}
    await store.messages.insert_many([
        base | {"_id": "m0", "message_id": "0", "created_at": since - timedelta(minutes=1),
                "location": {"lat": 35.0, "lon": 24.0}, "attachments": []},  # before the take-over
        base | {"_id": "m1", "message_id": "1", "created_at": since + timedelta(minutes=1),
                "location": {"lat": 35.5112, "lon": 24.0331}, "attachments": []},
        base | {"_id": "m2", "message_id": "2", "created_at": since + timedelta(minutes=2), "location": None,
                "attachments": [{"kind": "photo", "file_id": "F1", "url": None, "size": 10}]},
        base | {"_id": "m3", "message_id": "3", "created_at": since + timedelta(minutes=3), "location": None,
                "attachments": [], "text": "ευχαριστώ"},
    ])
    location, photos = await shared_with_staff(store, "telegram:1", since)
    assert location == GeoPoint(35.5112, 24.0331) and [p.file_id for p in photos] == ["F1"]

    await store.tickets.insert_many([
        {"reference": "CHA-2026-000005", "department": "technical", "citizen": {"name": "Ευαγγελία Παπαδάκη"},
         "description": "Σπασμένες πλάκες", "address": "Βενιζέλου 45"},
        {"reference": "CHA-2026-000015", "department": "lighting", "citizen": {}, "description": "Λάμπα",
         "address": "Αποκορώνου 12"},
    ])
    member = StaffMember(username="op", role="operator")
    dept = StaffMember(username="d", role="department", departments=("lighting",))

    async def refs(q: str, who: StaffMember = member) -> list[str]:
        query = TicketFilter.from_query({"q": q}).mongo(who)
        return sorted([t["reference"] async for t in store.tickets.find(query)])

    assert await refs("παπαδακη") == ["CHA-2026-000005"]
    assert await refs("5") == ["CHA-2026-000005"] and await refs("000015") == ["CHA-2026-000015"]
    assert await refs("12") == ["CHA-2026-000015"] and await refs("4") == []  # whole numbers (lookarounds)
    assert await refs("παπαδακη", dept) == []
