"""End-to-end benchmark: N Telegram webhook updates through the running service, and in the same run the raw
Rasa ``/model/parse`` throughput on the same server.

    .venv/bin/python benchmarks/bench_service.py [-n 1000] [-c 1,16] [--model nlu/models/....tar.gz]

It starts a Rasa server (nlu/.venv, trained model), the fake Telegram Bot API of the tests, and ``bot.py run``
as a separate process in webhook mode (demo store), then prints, per concurrency level: updates/s, end-to-end
p50/p95 latency (POST start → the reply's sendMessage reaching the fake Bot API), the POST round trip, the
service's own per-stage times from ``GET /metrics`` (NLU, store, handler, send), and raw parse throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.rasa.server import RasaServer, ensure_model, ensure_nlu_env  # noqa: E402
from tests.fakes.telegram import FakeBotApi, UpdateFactory  # noqa: E402
from tests.fixtures.service import TELEGRAM_SECRET, TELEGRAM_TOKEN, free_port  # noqa: E402

TEXTS = [
    "Δεν ανάβει η λάμπα στην Αποκορώνου", "den mazepsan ta skoupidia sti Nea Xora", "Καλημέρα",
    "Έχει μεγάλη λακκούβα στην οδό Χάληδων", "There is a water leak on Tzanakaki street", "Hello",
    "ΤΡΕΧΕΙ ΝΕΡΟ ΣΤΟ ΠΕΖΟΔΡΟΜΙΟ ΣΤΗ ΧΑΛΕΠΑ", "Where can I swim near Chania?", "ευχαριστώ πολύ",
    "how do I get to the airport", "Σκυλιά αδέσποτα στα Κουνουπιδιανά", "what can I see near me",
    "Παρκαρισμένο αυτοκίνητο στη ράμπα αναπήρων στην πλατεία Αγοράς", "is the Samaria gorge open?",
    "θόρυβος από μπαρ στα Σπλάντζια όλη νύχτα", "the bins are overflowing near the market",
]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(q * len(values) + 0.5) - 1))]


async def wait_http(url: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                    if resp.status < 500:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.5)
    raise TimeoutError(url)


async def run_level(http: aiohttp.ClientSession, fake: FakeBotApi, webhook: str, n: int, conc: int,
                    factory: UpdateFactory) -> dict[str, float]:
    chats = random.sample(range(10**9, 2 * 10**9), n)
    starts: dict[str, float] = {}
    posts: list[float] = []
    queue = list(enumerate(chats))
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}

    async def worker() -> None:
        while queue:
            i, chat = queue.pop()
            update = factory.message(chat, TEXTS[i % len(TEXTS)], language_code=random.choice(["el", "en"]))
            t0 = time.time()
            starts[str(chat)] = t0
            async with http.post(webhook, json=update, headers=headers) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            posts.append((time.time() - t0) * 1000)

    first = time.time()
    await asyncio.gather(*(worker() for _ in range(conc)))
    deadline = time.time() + 120
    while time.time() < deadline:
        firsts = {}
        for call in fake.calls:
            if call.method == "sendMessage" and call.chat_id in starts and call.chat_id not in firsts:
                firsts[call.chat_id] = call.at
        if len(firsts) == n:
            break
        await asyncio.sleep(0.1)
    lat = [(firsts[c] - starts[c]) * 1000 for c in firsts]
    last = max(firsts.values()) if firsts else time.time()
    return {"updates_per_s": len(firsts) / (last - first), "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95),
            "post_p50_ms": pct(posts, 0.5), "post_p95_ms": pct(posts, 0.95), "lost": n - len(firsts)}


async def raw_parse(http: aiohttp.ClientSession, url: str, token: str, n: int, conc: int) -> dict[str, float]:
    lat: list[float] = []
    todo = list(range(n))

    async def worker() -> None:
        while todo:
            i = todo.pop()
            t0 = time.perf_counter()
            async with http.post(f"{url}/model/parse", params={"token": token},
                                 json={"text": TEXTS[i % len(TEXTS)]}) as resp:
                await resp.read()
            lat.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return {"parses_per_s": n / (time.perf_counter() - t0), "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95)}


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("-c", default="1,16")
    ap.add_argument("--model", type=Path)
    args = ap.parse_args()
    levels = [int(c) for c in args.c.split(",")]

    ensure_nlu_env()
    model = args.model or ensure_model()
    fake = FakeBotApi()
    await fake.start()
    rasa = RasaServer(model, port=free_port())
    await rasa.start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "VIBER_"))} | {
        "PORT": str(port), "RASA_URL": rasa.url, "RASA_TOKEN": rasa.token, "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "TELEGRAM_API_URL": fake.url,
        "PUBLIC_URL": "https://bot.example.test", "LOG_LEVEL": "WARNING",
    }
    service = await asyncio.create_subprocess_exec(sys.executable, "bot.py", "run", "--demo", cwd=ROOT, env=env,
                                                   stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_http(f"{base}/healthz")
        factory = UpdateFactory()
        results = []
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as http:
            for conc in levels:
                warm = await run_level(http, fake, f"{base}/webhooks/telegram", 20, conc, factory)  # noqa: F841
                async with http.get(f"{base}/metrics", params={"reset": "1"}):
                    pass
                fake.reset()
                level = await run_level(http, fake, f"{base}/webhooks/telegram", args.n, conc, factory)
                async with http.get(f"{base}/metrics") as resp:
                    stages = await resp.json()
                parse = await raw_parse(http, rasa.url, rasa.token, args.n, conc)
                results.append({"concurrency": conc, **level, "stages": stages, "raw_parse": parse})
        print("system updates/s p50_ms p95_ms lost")
        for r in results:
            c = r["concurrency"]
            print(f"chania-bot/c{c} {r['updates_per_s']:.1f} {r['p50_ms']:.1f} {r['p95_ms']:.1f} {r['lost']}")
            print(f"rasa-nlu-parse/c{c} {r['raw_parse']['parses_per_s']:.1f} {r['raw_parse']['p50_ms']:.1f} "
                  f"{r['raw_parse']['p95_ms']:.1f} 0")
        for r in results:
            st = r["stages"]
            ratio = r["updates_per_s"] / r["raw_parse"]["parses_per_s"]
            print(f"# c{r['concurrency']}: service/raw-parse throughput = {ratio:.2f}; POST p50 "
                  f"{r['post_p50_ms']:.1f} ms p95 {r['post_p95_ms']:.1f} ms")
            print("#   stage        n   mean_ms  p50_ms  p95_ms")
            for stage in ("nlu", "store", "handler", "send", "total", "overhead"):
                s = st[stage]
                print(f"#   {stage:<8} {s['n']:>6} {s['mean_ms']:>8.2f} {s['p50_ms']:>7.2f} {s['p95_ms']:>7.2f}")
            print(f"#   service time over the NLU call (per message, total - nlu), p95: "
                  f"{st['overhead']['p95_ms']:.1f} ms")
        print("# json " + json.dumps(results))
    finally:
        os.killpg(service.pid, signal.SIGTERM)
        await asyncio.wait_for(service.wait(), 30)
        await rasa.stop()
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
