"""Fuzz both webhooks and the web-chat socket with hostile and malformed input; print counts by status.

    .venv/bin/python benchmarks/fuzz_webhooks.py [-n 7000] [--seed 1] [--channels telegram,viber,webchat]

It starts the real app in this process on a loopback port (demo store), the tests' fake Telegram Bot API and fake
Viber API, and no Rasa (NLU unreachable: every accepted message gets the menu, which is enough to exercise storing,
processing and answering). Each channel gets the issue's input classes (``tests/fixtures/hostile.py``
``known_cases``) and then random mutations of realistic updates up to N payloads, sent one at a time with a valid
Telegram secret, a valid Viber signature (over the exact body), or on an open web-chat socket. Telegram also gets
secret headers that are not valid UTF-8 (raw HTTP).

Printed per channel: payloads sent, answers by HTTP status (web chat: ack / error code / socket closed / no answer),
4xx answers for which something was stored anyway, 5xx causes (first line of the logged exception, by count),
background processing failures, and inbound messages left unfinished (received/processing) once the pipeline
is idle, i.e. retried by the recovery sweep; then whether a normal message is still answered.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import random
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import RUNTIME, create_app  # noqa: E402
from bot.channels.webchat import COOKIE  # noqa: E402
from bot.core.settings import Settings  # noqa: E402
from tests.fakes.telegram import FakeBotApi  # noqa: E402
from tests.fixtures import hostile  # noqa: E402
from tests.fixtures.service import TELEGRAM_SECRET, TELEGRAM_TOKEN, VIBER_TOKEN, free_port  # noqa: E402
from tests.fixtures.viber import FakeViberApi, sign  # noqa: E402


class ErrorCauses(logging.Handler):
    """Collects the exceptions aiohttp and the pipeline log, by type and message."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.causes: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            self.causes[f"{record.getMessage()[:30]}: {type(exc).__name__}: {str(exc)[:70]}"] += 1


def payloads(channel: str, n: int, rnd: random.Random) -> list[tuple[str, Any]]:
    cases = [(name, value) for name, value in hostile.known_cases(channel)]
    while len(cases) < n:
        cases.append(("random", hostile.generate(channel, rnd)))
    return cases[:n]


class Fuzz:
    def __init__(self, app: web.Application, url: str, port: int) -> None:
        self.app = app
        self.rt = app[RUNTIME]
        self.url = url
        self.port = port
        self.http = aiohttp.ClientSession()

    @property
    def accepted(self) -> int:
        return self.rt.pipeline.times.counters["accepted"]

    async def telegram(self, cases: list[tuple[str, Any]]) -> dict[str, Any]:
        statuses: collections.Counter[str] = collections.Counter()
        stored_4xx = 0
        url = f"{self.url}/webhooks/telegram"
        for _name, value in cases:
            before = self.accepted
            async with self.http.post(url, data=hostile.body(value), headers={
                    "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}) as r:
                await r.read()
                statuses[str(r.status)] += 1
                stored_4xx += 400 <= r.status < 500 and self.accepted > before
        for secret in (b"\xff\xfe", b"s\xc3(", TELEGRAM_SECRET.encode() + b"\x80"):
            status = await hostile.raw_post(self.port, "/webhooks/telegram",
                                    {b"X-Telegram-Bot-Api-Secret-Token": secret}, b'{"update_id": 1}')
            statuses[str(status)] += 1
        return {"sent": len(cases) + 3, "statuses": statuses, "stored_on_4xx": stored_4xx}

    async def viber(self, cases: list[tuple[str, Any]]) -> dict[str, Any]:
        statuses: collections.Counter[str] = collections.Counter()
        stored_4xx = 0
        url = f"{self.url}/webhooks/viber"
        for _name, value in cases:
            data = hostile.body(value)
            before = self.accepted
            async with self.http.post(url, data=data, headers={
                    "X-Viber-Content-Signature": sign(data), "Content-Type": "application/json"}) as r:
                await r.read()
                statuses[str(r.status)] += 1
                stored_4xx += 400 <= r.status < 500 and self.accepted > before
        return {"sent": len(cases), "statuses": statuses, "stored_on_4xx": stored_4xx}

    async def _socket(self) -> aiohttp.ClientWebSocketResponse:
        async with self.http.get(f"{self.url}/chat") as page:
            session = page.cookies[COOKIE].value
        ws = await self.http.ws_connect(f"{self.url}/chat/ws", headers={"Cookie": f"{COOKIE}={session}",
                                                                         "Origin": self.url})
        await ws.receive_json(timeout=5)  # history
        return ws

    async def webchat(self, cases: list[tuple[str, Any]]) -> dict[str, Any]:
        statuses: collections.Counter[str] = collections.Counter()
        stored_4xx = 0
        ws: aiohttp.ClientWebSocketResponse | None = None
        for i, (_name, value) in enumerate(cases):
            if ws is None or ws.closed or i % 8 == 0:  # a fresh socket before the rate limit bites
                if ws is not None:
                    await ws.close()
                ws = await self._socket()
            before = self.accepted
            await ws.send_str(hostile.encode(value))
            outcome = "no answer"
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                try:
                    msg = await ws.receive(timeout=max(0.01, deadline - time.monotonic()))
                except TimeoutError:
                    break
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING,
                                aiohttp.WSMsgType.ERROR):
                    outcome = f"socket closed ({msg.data})"
                    break
                frame = msg.json()
                if frame.get("type") == "ack":
                    outcome = "ack"
                    break
                if frame.get("type") == "error":
                    outcome = f"error:{frame.get('code')}"
                    stored_4xx += self.accepted > before
                    break
            statuses[outcome] += 1
        if ws is not None:
            await ws.close()
        return {"sent": len(cases), "statuses": statuses, "stored_on_4xx": stored_4xx}

    async def normal_message_answered(self, fake_telegram: FakeBotApi) -> bool:
        before = len(fake_telegram.sent(4242, "sendMessage"))
        update = hostile.telegram_seeds(random.Random(4242))[0]
        update["message"]["chat"]["id"] = update["message"]["from"]["id"] = 4242
        async with self.http.post(f"{self.url}/webhooks/telegram", json=update,
                                  headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}) as r:
            if r.status != 200:
                return False
        try:
            await fake_telegram.wait_for(4242, count=before + 1, method="sendMessage", wait_s=20)
        except AssertionError:
            return False
        return True

    async def unfinished(self, channel: str) -> int:
        return await self.rt.store.messages.count_documents(
            {"direction": "in", "channel": channel, "status": {"$in": ["received", "processing"]}})


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=7000, help="payloads per channel")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--channels", default="telegram,viber,webchat")
    args = ap.parse_args()

    causes = ErrorCauses()
    logging.getLogger().handlers[:] = [causes]  # only the count of each cause is printed
    logging.getLogger().setLevel(logging.ERROR)
    fake_telegram, fake_viber = FakeBotApi(), FakeViberApi()
    await fake_telegram.start()
    await fake_viber.start()
    port = free_port()
    settings = Settings(_env_file=None, port=port, public_url="https://bot.example.test",  # type: ignore[call-arg]
                        telegram_token=TELEGRAM_TOKEN, telegram_webhook_secret=TELEGRAM_SECRET,
                        telegram_api_url=fake_telegram.url, viber_token=VIBER_TOKEN, viber_api_url=fake_viber.url,
                        mongodb_uri=None, nlu_timeout_s=0.5, log_level="ERROR")
    closed = f"http://127.0.0.1:{free_port()}"
    app = await create_app(settings, nlu_url=closed, nlu_token="none")  # noqa: S106
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fuzz = Fuzz(app, f"http://127.0.0.1:{port}", port)
    rnd = random.Random(args.seed)
    print(f"fuzz: {args.n} payloads per channel, seed {args.seed}")
    try:
        for channel in args.channels.split(","):
            causes.causes.clear()
            failed_before = fuzz.rt.pipeline.times.counters["failed"]
            t0 = time.perf_counter()
            result = await getattr(fuzz, channel)(payloads(channel, args.n, rnd))
            await fuzz.rt.pipeline.idle(timeout_s=120)
            seconds = time.perf_counter() - t0
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(result["statuses"].items()))
            print(f"\n{channel}: {result['sent']} payloads in {seconds:.1f} s  [{statuses}]")
            print(f"  4xx with something stored: {result['stored_on_4xx']}")
            print(f"  background processing failures: {fuzz.rt.pipeline.times.counters['failed'] - failed_before}")
            print(f"  inbound messages left unfinished (retried by recovery): {await fuzz.unfinished(channel)}")
            if causes.causes:
                print(f"  {len(causes.causes)} distinct logged errors:")
                for cause, count in causes.causes.most_common(30):
                    print(f"    {count:5d}  {cause}")
        print(f"\nnormal message answered afterwards: {await fuzz.normal_message_answered(fake_telegram)}")
    finally:
        await fuzz.http.close()
        await runner.cleanup()
        await fake_telegram.stop()
        await fake_viber.close()


if __name__ == "__main__":
    asyncio.run(main())
