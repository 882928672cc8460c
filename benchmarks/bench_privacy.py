"""Personal-data benchmark: redaction throughput, and export / erasure / retention times on a populated store.

    .venv/bin/python benchmarks/bench_privacy.py [--texts 5000] [--people 200] [--messages 20] [--tickets 2]

Redaction runs ``redact_text`` over Greek and English complaint texts (a third with a phone, an e-mail or an
ΑΦΜ/ΑΜΚΑ) and prints texts per second. The store part seeds the in-process MongoDB stand-in (bulk inserts, not
measured) with ``--people`` conversations, each with ``--messages`` messages and ``--tickets`` tickets, half of
everything back-dated beyond the retention periods, then times one person's export, one erasure, and a retention
run (and a second, idempotent one). The stand-in scans every document per query, so these are upper bounds for
MongoDB.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.models import utcnow  # noqa: E402
from bot.core.settings import Settings  # noqa: E402
from bot.privacy import erase, export, retention, subjects  # noqa: E402
from bot.privacy.redaction import redact_text  # noqa: E402
from bot.store import Store, open_store  # noqa: E402

TEXTS = (
    "Δεν ανάβει η λάμπα στην Αποκορώνου 45, πάρτε με στο 6912345678",
    "Δεν μάζεψαν τα σκουπίδια στη Νέα Χώρα εδώ και τρεις μέρες",
    "Λακκούβα στην Κισσάμου μπροστά στο φαρμακείο, email maria.p@example.gr",
    "The street light on Chalidon street is out since Monday",
    "ΑΦΜ 123456789, ΑΜΚΑ 01018012345 για την ταυτοποίηση",
    "Σκύλοι αδέσποτοι στο πάρκο της Αγοράς, κάθε βράδυ",
)


def bench_redaction(n: int) -> None:
    texts = [random.choice(TEXTS) for _ in range(n)]
    start = time.perf_counter()
    for t in texts:
        redact_text(t)
    elapsed = time.perf_counter() - start
    print(f"redact_text: {n} texts in {elapsed:.2f} s = {n / elapsed:,.0f} texts/s "
          f"({elapsed / n * 1e6:.0f} µs each)")


async def seed(store: Store, people: int, messages: int, tickets: int) -> None:
    now = utcnow()
    convs, msgs, tks = [], [], []
    seq = 0
    for p in range(people):
        old = p % 2 == 0
        age = timedelta(days=800 if old else 10)
        cid = f"telegram:{100000 + p}"
        convs.append({"_id": cid, "channel": "telegram", "user_id": str(100000 + p), "chat_id": str(100000 + p),
                      "created_at": now - age, "last_activity": now - age})
        msgs += [{"_id": f"telegram:{p}-{m}", "conversation_id": cid, "direction": "in", "text": random.choice(TEXTS),
                  "created_at": now - age} for m in range(messages)]
        for _ in range(tickets):
            seq += 1
            closed = now - age
            tks.append({"reference": f"CHA-2026-{seq:06d}", "category": "complaint_lighting", "conversation_id": cid,
                        "description": random.choice(TEXTS), "photos": [{"file_id": f"f{seq}"}],
                        "citizen": {"phone": f"+30694{p:07d}"}, "status": "resolved" if old else "new",
                        "history": [{"status": "new", "at": closed}] + ([{"status": "resolved", "at": closed}]
                                                                       if old else []),
                        "created_at": closed, "updated_at": closed, "followers": []})
    await store.conversations.insert_many(convs)
    await store.messages.insert_many(msgs)
    await store.tickets.insert_many(tks)


async def bench_store(people: int, messages: int, tickets: int) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    store = await open_store(None, "bench_privacy")
    await seed(store, people, messages, tickets)
    print(f"store: {people} conversations, {people * messages} messages, {people * tickets} tickets "
          f"(half back-dated 800 days)")
    times = []
    for p in range(1, 21, 2):  # recent people (odd indexes are not back-dated)
        start = time.perf_counter()
        subject = await subjects.of_conversation(store, f"telegram:{100000 + p}")
        data = await export.export_subject(store, subject, settings)
        export.export_json(data)
        times.append(time.perf_counter() - start)
    print(f"export of one person: median {statistics.median(times) * 1000:.0f} ms over {len(times)} "
          f"({len(data['messages'])} messages, {len(data['tickets_filed'])} tickets each)")
    start = time.perf_counter()
    subject = await subjects.find(store, "+306940000001")
    report = await erase.erase_subject(store, subject)  # type: ignore[arg-type]
    print(f"find by phone + erase one person: {(time.perf_counter() - start) * 1000:.0f} ms "
          f"({report.deleted['messages']} messages deleted, {len(report.tickets_kept)} tickets pseudonymised)")
    for run in ("first", "second"):
        start = time.perf_counter()
        outcomes = await retention.run_retention(store, settings)
        done = {f"{o.collection}/{o.rule}": o.done for o in outcomes if o.done}
        print(f"retention, {run} run: {time.perf_counter() - start:.2f} s, changed {done or 'nothing'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=2)
    args = parser.parse_args()
    random.seed(14)
    bench_redaction(args.texts)
    asyncio.run(bench_store(args.people, args.messages, args.tickets))


if __name__ == "__main__":
    main()
