"""Latency of live events between two instances (bot/core/events.py), polled mode on the in-process stand-in.

    .venv/bin/python benchmarks/bench_events.py [-n 300] [--poll 0.2]

Two EventBus instances share one store; A publishes an event every ``--every`` seconds, B's subscriber timestamps
its arrival. Prints p50/p95/max of publish → arrival. (A change stream on a replica set pushes instead of polling;
no server can run here to measure it.)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.events import EventBus
from bot.store import open_store


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(q * len(values) + 0.5) - 1))]


async def live(n: int, poll_s: float, every_s: float) -> None:
    store = await open_store(None, "bench_events_live")
    store.attach()
    store.attach()  # two instances of this process share the stand-in (Store.shared)
    a, b = EventBus(store=store, poll_s=poll_s), EventBus(store=store, poll_s=poll_s)
    await a.start()
    await b.start()
    latencies: list[float] = []

    async def receive(queue: asyncio.Queue) -> None:  # type: ignore[type-arg]
        while len(latencies) < n:
            event = await queue.get()
            latencies.append((time.perf_counter() - event["sent"]) * 1000)

    async with b.subscribe() as queue:
        receiver = asyncio.create_task(receive(queue))
        await asyncio.sleep(0.5)
        for i in range(n):
            a.publish({"type": "message", "conversation_id": f"telegram:{i}", "sent": time.perf_counter()})
            await asyncio.sleep(every_s)
        await asyncio.wait_for(receiver, 10)
    await a.close()
    await b.close()
    print(f"cross-instance events, mode={b.mode}, poll every {poll_s * 1000:.0f} ms, n={n}: "
          f"p50 {pct(latencies, 0.5):.1f} ms, p95 {pct(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--poll", type=float, default=0.2)
    parser.add_argument("--every", type=float, default=0.013)
    args = parser.parse_args()
    asyncio.run(live(args.n, args.poll, args.every))
