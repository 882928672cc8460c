"""Staff dashboard benchmark: page times over real HTTP with a populated store, the live-event fan-out latency
to many open monitors, and the cost of an argon2 login.

    .venv/bin/python benchmarks/bench_dashboard.py [--tickets 2000] [--conversations 500] [--messages 5000]
                                                    [--subscribers 1,10,50] [--events 200]

It runs the dashboard as the tests do (``setup_dashboard`` on an aiohttp server on 127.0.0.1, the in-process
MongoDB stand-in, a recording outbox), fills the store with synthetic tickets, conversations and messages (bulk
inserts, so seeding time is not measured), and prints per page the median / p95 of the full HTTP round trip.
The in-process store is much slower than MongoDB on large scans, so the page times are an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.events import EventBus  # noqa: E402
from bot.core.models import utcnow  # noqa: E402
from bot.core.services import Services  # noqa: E402
from bot.staff.accounts import authenticate  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.tickets import STATUSES, format_reference  # noqa: E402
from bot.tickets.categories import categories  # noqa: E402
from tests.fixtures.dashboard import PASSWORD, Dashboard, RecordingOutbox, dashboard_settings  # noqa: E402

WORDS = ["λάμπα", "σκουπίδια", "λακκούβα", "διαρροή", "δέντρο", "σκύλος", "θόρυβος", "αυτοκίνητο", "Χαλέπα",
         "Νέα Χώρα", "Σπλάντζια", "Αποκορώνου", "Κουνουπιδιανά", "Σούδα", "leak", "rubbish"]


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("condition not met")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def seed(store: object, n_tickets: int, n_convs: int, n_messages: int) -> None:
    rnd = random.Random(7)
    now = utcnow()
    cats = list(categories())
    tickets = []
    for i in range(1, n_tickets + 1):
        cat = rnd.choice(cats)
        created = now - timedelta(hours=rnd.uniform(0, 24 * 7 * 12))
        status = rnd.choice(STATUSES)
        history = [{"status": "new", "at": created, "actor": "citizen", "note": ""}]
        if status != "new":
            history.append({"status": status, "at": created + timedelta(hours=rnd.uniform(1, 200)),
                            "actor": "staff:bench", "note": ""})
        tickets.append({
            "reference": format_reference(now.year, i), "category": cat.intent, "department": cat.department,
            "service_code": cat.service_code, "description": " ".join(rnd.choices(WORDS, k=8)),
            "location": {"type": "Point", "coordinates": [24.0 + rnd.random() / 10, 35.5 + rnd.random() / 20]},
            "address": rnd.choice(WORDS), "photos": [], "channel": rnd.choice(["telegram", "viber", "webchat"]),
            "language": rnd.choice(["el", "en"]), "conversation_id": f"telegram:{rnd.randrange(n_convs)}",
            "citizen": {}, "status": status, "history": history, "notes": [], "duplicate_of": None,
            "created_at": created, "updated_at": history[-1]["at"]})
    await store.tickets.insert_many(tickets)  # type: ignore[attr-defined]
    convs = [{"_id": f"telegram:{i}", "channel": "telegram", "user_id": str(i), "chat_id": str(i),
              "language": rnd.choice(["el", "en"]), "flow": None, "paused": rnd.random() < 0.05,
              "last_activity": now - timedelta(minutes=rnd.uniform(0, 60 * 24 * 30)),
              "last_text": " ".join(rnd.choices(WORDS, k=6)), "last_intent": rnd.choice(cats).intent,
              "last_confidence": rnd.random()} for i in range(n_convs)]
    await store.conversations.insert_many(convs)  # type: ignore[attr-defined]
    msgs = [{"conversation_id": f"telegram:{rnd.randrange(n_convs)}", "channel": "telegram",
             "direction": rnd.choice(["in", "out"]), "platform_message_id": f"m{i}", "text": rnd.choice(WORDS),
             "created_at": now - timedelta(hours=rnd.uniform(0, 24 * 7 * 12)),
             "nlu": {"intent": {"name": "complaint_waste", "confidence": rnd.random()}}} for i in range(n_messages)]
    await store.messages.insert_many(msgs)  # type: ignore[attr-defined]


async def seed_media_conversation(store: object, n_geocodes: int = 2000) -> str:
    """One chat of 300 messages, 50 with a shared location and 50 with a photo, and a geocoder cache of
    ``n_geocodes`` streets: the conversation page looks up the nearest street for each location."""
    rnd = random.Random(11)
    now = utcnow()
    conv_id = "telegram:bench-media"
    await store.conversations.insert_one({"_id": conv_id, "channel": "telegram", "user_id": "bench-media",  # type: ignore[attr-defined]
                                          "chat_id": "bench-media", "language": "el", "last_activity": now})
    await store.geocodes.insert_many([  # type: ignore[attr-defined]
        {"_id": f"street {i}", "found": True, "lat": 35.50 + rnd.random() * 0.03, "lon": 24.00 + rnd.random() * 0.05,
         "display_name": f"{rnd.randrange(1, 99)}, {rnd.choice(WORDS).capitalize()}, Χανιά"}
        for i in range(n_geocodes)])
    msgs = []
    for i in range(300):
        doc: dict[str, object] = {"_id": f"telegram:media{i}", "conversation_id": conv_id, "channel": "telegram",
                                  "direction": "in", "text": rnd.choice(WORDS), "attachments": [],
                                  "created_at": now - timedelta(minutes=300 - i)}
        if i % 6 == 0:
            doc["location"] = {"lat": 35.50 + rnd.random() * 0.03, "lon": 24.00 + rnd.random() * 0.05}
        elif i % 6 == 3:
            doc["attachments"] = [{"kind": "photo", "file_id": f"AgAD{i}", "url": None, "size": 80_000}]
        msgs.append(doc)
    await store.messages.insert_many(msgs)  # type: ignore[attr-defined]
    return conv_id


async def time_pages(d: Dashboard, repeat: int) -> None:
    client = await d.login("bench", "operator")
    media = await seed_media_conversation(d.store)
    pages = [
        ("monitor (100 newest of all conversations)", "/staff/monitor"),
        ("monitor, low confidence filter", "/staff/monitor?low=1"),
        ("tickets, first page", "/staff/tickets"),
        ("tickets, open + category", "/staff/tickets?status=open&category=complaint_waste"),
        ("tickets, Greek search without accents", "/staff/tickets?q=λακκουβα"),
        ("tickets, a person's name", "/staff/tickets?q=παπαδακη"),
        ("tickets, receipt digits", "/staff/tickets?q=000005"),
        ("ticket detail", "/staff/tickets/" + format_reference(utcnow().year, 1)),
        ("conversation, 300 msgs, 50 locations, 50 photos", "/staff/conversations/" + media.replace(":", "%3A")),
        ("CSV export, all tickets", "/staff/tickets.csv"),
        ("stats, 12 weeks", "/staff/stats"),
    ]
    print(f"\npage round trips over HTTP ({repeat} runs each), ms:")
    print(f"  {'page':45} {'median':>8} {'p95':>8} {'bytes':>9}")
    for name, path in pages:
        times = []
        size = 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            status, body, _ = await client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            assert status == 200, (path, status)
            size = len(body.encode())
        print(f"  {name:45} {statistics.median(times):8.1f} {pct(times, 95):8.1f} {size:9d}")


async def time_fanout(d: Dashboard, subscribers: list[int], events: int) -> None:
    client = await d.login("live", "operator")
    print(f"\nlive events: publish → received by every open monitor ({events} events per row), ms:")
    print(f"  {'monitors':>8} {'p50':>8} {'p95':>8} {'max':>8}")
    for n in subscribers:
        streams = [await client.session.get(d.url + "/staff/events") for _ in range(n)]
        await until(lambda n=n: d.bus.subscriber_count >= n)
        for s in streams:  # skip the greeting
            while (await s.content.readline()).strip():
                pass
        latencies: list[float] = []
        for i in range(events):
            t0 = time.perf_counter()
            d.bus.publish({"type": "message", "conversation_id": f"telegram:{i}", "channel": "telegram",
                           "direction": "in", "text": "Δεν ανάβει η λάμπα", "intent": "complaint_lighting",
                           "confidence": 0.9, "language": "el", "created_at": utcnow().isoformat(), "paused": False})

            async def receive(stream: object, t0: float = t0) -> float:
                while True:
                    line = await stream.content.readline()  # type: ignore[attr-defined]
                    if line.startswith(b"data:"):
                        return (time.perf_counter() - t0) * 1000

            latencies.extend(await asyncio.gather(*(receive(s) for s in streams)))
        for s in streams:
            s.close()
        print(f"  {n:8d} {pct(latencies, 50):8.2f} {pct(latencies, 95):8.2f} {max(latencies):8.2f}")
        await until(lambda: d.bus.subscriber_count == 0)


async def time_login(store: object, repeat: int = 10) -> None:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = await authenticate(store, "bench", PASSWORD)  # type: ignore[arg-type]
        times.append((time.perf_counter() - t0) * 1000)
        assert result.status == "ok"
    print(f"\nargon2id login check (RFC 9106 low-memory defaults, in a thread), {repeat} runs: "
          f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=2000)
    ap.add_argument("--conversations", type=int, default=500)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--subscribers", default="1,10,50")
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    store = await open_store(None, "bench_dashboard")
    bus = EventBus()
    d = Dashboard(Services(settings=dashboard_settings(), store=store, outbox=RecordingOutbox(store, bus)), bus,
                  RecordingOutbox(store, bus))
    t0 = time.perf_counter()
    await seed(store, args.tickets, args.conversations, args.messages)
    print(f"store (in-process stand-in): {args.tickets} tickets, {args.conversations} conversations, "
          f"{args.messages} messages (seeded in {time.perf_counter() - t0:.1f} s)")
    await d.start()
    try:
        await time_pages(d, args.repeat)
        await time_fanout(d, [int(x) for x in args.subscribers.split(",")], args.events)
        await time_login(store)
    finally:
        await d.close()


if __name__ == "__main__":
    asyncio.run(main())
