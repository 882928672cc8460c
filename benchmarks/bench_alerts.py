"""Benchmark: one area notice to N subscribers (default 10,000) through the real service in this process.

    .venv/bin/python benchmarks/bench_alerts.py [-n 10000] [--limit 30] [--seconds 20] [--viber 10000]
                                                [--no-broadcast]

Starts the app (demo store, no NLU needed) against a fake Bot API on loopback that enforces Telegram's limit the
way Telegram does (about ``--limit`` messages per second per bot; above it a 429 with ``retry_after``), seeds N
subscribers, then prints: the time to queue the notice (one outbox entry per subscriber), the send rate held over
``--seconds`` seconds against the limit and how many 429s it drew, and the process's memory (peak RSS before and
after queuing, and at the end). Sending all 10,000 at 30/s takes about 5.5 minutes: ``--seconds 0`` waits for all.

``--viber N`` adds N Viber subscribers (every fifth in English) and the fake Viber API of the tests
(``tests/fixtures/viber.py``), keeping Viber's broadcast limit (above 500 calls in 10 s: status 12): it prints the
calls made (``broadcast_message``, ``send_message``), the time until every Viber subscriber had the notice and the
rate. ``--no-broadcast`` sends the Viber entries one by one with ``send_message`` instead, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from collections import deque
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.alerts import broadcast, notices  # noqa: E402
from bot.alerts.areas import alert_areas  # noqa: E402
from bot.alerts.subscriptions import CONSENT_VERSION  # noqa: E402
from bot.app import RUNTIME, create_app  # noqa: E402
from bot.channels.viber import ViberAdapter  # noqa: E402
from bot.core.models import utcnow  # noqa: E402
from bot.core.settings import Settings  # noqa: E402
from tests.fixtures.service import TELEGRAM_SECRET, TELEGRAM_TOKEN, VIBER_TOKEN, free_port  # noqa: E402
from tests.fixtures.viber import FakeViberApi  # noqa: E402


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class LimitedBotApi:
    """sendMessage answered like Telegram: ok under ``limit`` per second, 429 with retry_after above it."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.window: deque[float] = deque()
        self.sent: list[float] = []
        self.refused = 0
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method in ("getMe", "setWebhook", "deleteWebhook"):
            return web.json_response({"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "b",
                                                             "username": "b"} if method == "getMe" else True})
        now = time.monotonic()
        while self.window and now - self.window[0] > 1.0:
            self.window.popleft()
        if len(self.window) >= self.limit:
            self.refused += 1
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry "
                                      "after 1", "parameters": {"retry_after": 1}}, status=429)
        self.window.append(now)
        self.sent.append(now)
        body = await request.json() if request.content_type == "application/json" else dict(await request.post())
        return web.json_response({"ok": True, "result": {
            "message_id": len(self.sent), "date": int(time.time()), "text": body.get("text", ""),
            "chat": {"id": int(body.get("chat_id", 0)), "type": "private"}}})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"


async def seed_viber(store: Any, n: int, now: Any) -> None:
    uids = [f"VbR{i:06d}==" for i in range(1, n + 1)]
    await store.conversations.insert_many([
        {"_id": f"viber:{u}", "channel": "viber", "user_id": u, "chat_id": u, "language": "en" if i % 5 == 0 else "el",
         "paused": False, "last_activity": now} for i, u in enumerate(uids, 1)])
    await store.db["alert_subscriptions"].insert_many([
        {"_id": f"viber:{u}", "channel": "viber", "chat_id": u, "areas": ["chania"], "point": None, "radius_m": 1000,
         "kinds": ["water"], "consent": {"given_at": now, "version": CONSENT_VERSION, "language": "el"}}
        for u in uids])


async def main(n: int, limit: float, seconds: float, viber: int, no_broadcast: bool) -> None:
    api = LimitedBotApi(limit)
    await api.start()
    fake_viber = FakeViberApi()
    await fake_viber.start()
    fake_viber.broadcast_window = (500, 10.0)  # Viber's documented broadcast limit
    if no_broadcast:
        ViberAdapter.broadcast_size = 1  # the outbox then sends every Viber entry alone
    settings = Settings(_env_file=None, port=free_port(), public_url="https://bot.example.test",  # type: ignore[call-arg]
                        telegram_token=TELEGRAM_TOKEN, telegram_webhook_secret=TELEGRAM_SECRET,
                        telegram_api_url=api.url, viber_token=VIBER_TOKEN if viber else None,
                        viber_api_url=fake_viber.url, mongodb_uri=None, log_level="WARNING")
    app = await create_app(settings, nlu_url=f"http://127.0.0.1:{free_port()}", nlu_token="unused")  # noqa: S106
    rt = app[RUNTIME]  # not started yet: the outbox sends nothing while the notice is queued
    store = rt.store
    now = utcnow()
    if n:
        await store.conversations.insert_many([
            {"_id": f"telegram:{i}", "channel": "telegram", "user_id": str(i), "chat_id": str(i),
             "language": "en" if i % 5 == 0 else "el", "paused": False, "last_activity": now}
            for i in range(1, n + 1)])
        await store.db["alert_subscriptions"].insert_many([
            {"_id": f"telegram:{i}", "channel": "telegram", "chat_id": str(i), "areas": ["chania"], "point": None,
             "radius_m": 1000, "kinds": ["water"], "consent": {"given_at": now, "version": CONSENT_VERSION,
                                                                  "language": "el"}}
            for i in range(1, n + 1)])
    if viber:
        await seed_viber(store, viber, now)
    draft = notices.Draft(kind="water", areas=["old_town"], title_el="Διακοπή νερού", body_el="Βλάβη.",
                          title_en="Water cut", body_en="A fault.", valid_from=now,
                          valid_until=now + timedelta(hours=4))
    notice = await notices.create(store, draft, alert_areas(), author="staff:bench", two_person=True)

    rss_before = _rss_mib()
    started = time.perf_counter()
    count = await broadcast.queue(rt.services, notice)
    queue_s = time.perf_counter() - started
    print(f"queued {count} recipients in {queue_s:.2f} s ({count / queue_s:.0f}/s); peak RSS {rss_before:.0f} MiB "
          f"before queuing, {_rss_mib():.0f} MiB after (the in-process store holds the 2 x {count} new documents)")

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()  # starts the service, its outbox sender among it
    begin = time.monotonic()
    deadline = begin + seconds if seconds > 0 else float("inf")
    viber_done: float | None = None
    while time.monotonic() < deadline and (len(api.sent) < n or viber_done is None):
        if viber_done is None and len(fake_viber.deliveries) >= viber:
            viber_done = time.perf_counter() - started  # the outbox sends while the notice is being queued
        await asyncio.sleep(0.05 if viber_done is None else 0.5)
    elapsed = time.monotonic() - begin
    if viber:
        got = len(fake_viber.deliveries)
        took = viber_done if viber_done is not None else time.perf_counter() - started
        broadcasts, singles = len(fake_viber.calls_to("broadcast_message")), len(fake_viber.calls_to("send_message"))
        print(f"viber: {got} of {viber} subscribers had the notice {took:.2f} s after queuing began "
              f"({got / took:.0f}/s) in "
              f"{broadcasts} broadcast_message and {singles} send_message calls; "
              f"{fake_viber.rate_limited} answered tooManyRequests"
              + (" (one by one: --no-broadcast)" if no_broadcast else ""))
        times: dict[str, Any] = rt.outbox.times.summary()
        bc, one = times["broadcast"], times["send"]
        print(f"  time in the platform calls: broadcast {bc['n']} x {bc['mean_ms']} ms, send {one['n']} x "
              f"{one['mean_ms']} ms (the rest is the in-process store)")
    if n:
        steady = [t for t in api.sent if t - begin >= 2.0]  # after the first burst
        steady_rate = len(steady) / max(0.001, elapsed - 2.0)
        print(f"telegram: sent {len(api.sent)} of {n} in {elapsed:.1f} s: {len(api.sent) / elapsed:.1f}/s overall, "
              f"{steady_rate:.1f}/s after the first 2 s, against a limit of {limit:g}/s; 429s drawn: {api.refused}")
    print(f"peak RSS of the process: {_rss_mib():.0f} MiB")
    report: dict[str, Any] = await broadcast.report(rt.services, notice["_id"])
    print(f"delivery report: {report}")
    await runner.cleanup()
    if api.runner is not None:
        await api.runner.cleanup()
    await fake_viber.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--viber", type=int, default=0, help="Viber subscribers as well (broadcast_message)")
    parser.add_argument("--no-broadcast", action="store_true", help="send the Viber ones with send_message")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.limit, args.seconds, args.viber, args.no_broadcast))
