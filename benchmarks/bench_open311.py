"""Open311 benchmark: GeoReport v2 read and write times over real HTTP with a populated store.

    .venv/bin/python benchmarks/bench_open311.py [--tickets 2000] [--reads 200] [--posts 200]

It runs the Open311 sub-app with the dashboard as the tests do (``tests/fixtures/open311.py``: aiohttp on
127.0.0.1, the in-process MongoDB stand-in), seeds synthetic tickets (bulk insert, not measured; a tenth private or
assisted, so the public filter has work to do), and prints median / p95 of the full HTTP round trip for: a page of
100 requests in JSON and XML, filtered lists, one request by id, and POST requests (key check, rate-limit counter,
validation, duplicate check, ticket insert, audit). The stand-in scans on every query, so these are upper bounds
for a MongoDB with indexes; the store's share is printed separately for the list query.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.events import EventBus  # noqa: E402
from bot.core.models import utcnow  # noqa: E402
from bot.core.services import Services  # noqa: E402
from bot.open311.publication import PUBLIC_FILTER  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.tickets import LOCAL_TZ, STATUSES, format_reference  # noqa: E402
from bot.tickets.categories import categories  # noqa: E402
from tests.fixtures.dashboard import RecordingOutbox, dashboard_settings  # noqa: E402
from tests.fixtures.open311 import Open311Server  # noqa: E402

WORDS = ["λάμπα", "σκουπίδια", "λακκούβα", "διαρροή", "δέντρο", "σκύλος", "θόρυβος", "Χαλέπα", "Σπλάντζια",
         "τηλ. 6912345678", "leak", "rubbish"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def seed(store: Any, n: int) -> None:
    rnd = random.Random(11)
    now = utcnow()
    cats = list(categories())
    year = now.astimezone(LOCAL_TZ).year
    docs = []
    for i in range(1, n + 1):
        cat = rnd.choice(cats)
        created = now - timedelta(minutes=rnd.randint(0, 60 * 24 * 120))
        status = rnd.choice(STATUSES)
        docs.append({
            "reference": format_reference(year, i), "category": cat.intent, "department": cat.department,
            "service_code": cat.service_code, "description": " ".join(rnd.choices(WORDS, k=8)),
            "location": {"type": "Point", "coordinates": [24.0 + rnd.random() * 0.05, 35.50 + rnd.random() * 0.03]},
            "address": None, "photos": [], "channel": "assisted" if i % 20 == 0 else rnd.choice(("telegram", "viber")),
            "private": i % 20 == 10, "language": "el", "conversation_id": None, "citizen": {}, "status": status,
            "history": [{"status": "new", "at": created, "actor": "citizen", "note": ""},
                        {"status": status, "at": created, "actor": "staff:x", "note": "ενημέρωση 2821012345"}],
            "notes": [], "duplicate_of": None, "created_at": created, "updated_at": created,
        })
    await store.tickets.insert_many(docs)
    await store.counters.update_one({"_id": f"ticket-{year}"}, {"$set": {"seq": n}}, upsert=True)


async def timed(label: str, n: int, call: Callable[[int], Awaitable[int]], rows: list[tuple[Any, ...]]) -> None:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        status = await call(i)
        times.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise SystemExit(f"{label}: HTTP {status}")
    rows.append((label, n, statistics.median(times), pct(times, 95), n / (sum(times) / 1000)))


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=2000)
    ap.add_argument("--reads", type=int, default=200)
    ap.add_argument("--posts", type=int, default=200)
    args = ap.parse_args()

    store = await open_store(None, "bench_open311")
    bus = EventBus()
    services = Services(settings=dashboard_settings(public_url="http://bot.example.test"), store=store,
                        outbox=RecordingOutbox(store, bus))
    server = Open311Server(services, bus, RecordingOutbox(store, bus))
    await server.start()
    await seed(store, args.tickets)
    key = await server.key("bench", rate_limit=10_000)
    v2 = "/open311/v2"
    rows: list[tuple[Any, ...]] = []
    refs = [format_reference(utcnow().astimezone(LOCAL_TZ).year, i) for i in range(1, args.tickets + 1) if i % 10]

    async def get(path: str, **params: Any) -> int:
        return (await server.get(path, **params))[0]

    await timed("GET requests.json (page of 100)", args.reads, lambda i: get(f"{v2}/requests.json",
                page=str(1 + i % 5), page_size="100"), rows)
    await timed("GET requests.xml (page of 100)", args.reads, lambda i: get(f"{v2}/requests.xml",
                page=str(1 + i % 5), page_size="100"), rows)
    await timed("GET requests.json?status=open&service_code", args.reads,
                lambda i: get(f"{v2}/requests.json", status="open", service_code="CHA-LIGHT,CHA-WASTE"), rows)
    await timed("GET requests/{id}.json", args.reads, lambda i: get(f"{v2}/requests/{refs[i % len(refs)]}.json"),
                rows)
    await timed("GET services.xml", args.reads, lambda i: get(f"{v2}/services.xml"), rows)

    async def post(i: int) -> int:
        form = {"api_key": key, "service_code": "CHA-ROAD", "lat": f"{35.51 + (i % 50) * 0.0005:.5f}",
                "long": "24.02", "description": f"Λακκούβα αρ. {i}"}
        return (await server.post(f"{v2}/requests.json", form))[0]

    await timed("POST requests.json", args.posts, post, rows)

    store_times = []
    for _ in range(min(args.reads, 50)):
        t0 = time.perf_counter()
        await store.tickets.count_documents(PUBLIC_FILTER)
        await store.tickets.find(PUBLIC_FILTER).sort([("created_at", -1), ("reference", -1)]).limit(100).to_list(100)
        store_times.append((time.perf_counter() - t0) * 1000)
    await server.close()

    print(f"tickets in store: {args.tickets} (+{args.posts} posted)")
    print(f"{'operation':46} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7}")
    for label, n, p50, p95, rate in rows:
        print(f"{label:46} {n:5d} {p50:8.1f} {p95:8.1f} {rate:7.1f}")
    print(f"{'  of which store (count + page of 100)':46} {len(store_times):5d} {statistics.median(store_times):8.1f} "
          f"{pct(store_times, 95):8.1f}")


if __name__ == "__main__":
    asyncio.run(main())
