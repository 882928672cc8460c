"""One and two instances of the service with the peers' harness (../shared/peers: fake_botapi.py, bench_webhook.py).

    .venv/bin/python benchmarks/bench_instances.py [-n 1000] [-c 1,16] [--instances 1,2]

For each instance count it starts ``serve``: N real apps (each with its own pipeline, outbox sender, events reader
and leases) on their own loopback ports around ONE store, and a round-robin front on one port standing in for the
proxy (also with one instance, so both runs pay it). The peers' ``bench_webhook.py`` drives the front; afterwards
the fake Bot API's calls give ``duplicated``: (chat, text) pairs sent more than once.

Honest limits: no MongoDB server can run here, and the in-process stand-in cannot be shared between processes, so
the instances share one process and one core; this measures what the coordination (leases, claims, outbox polling,
events) costs and that nothing is lost or sent twice, not how throughput grows with machines.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PEERS = Path(os.environ.get("PEERS_DIR", "/work/shared/peers"))  # the peers' harness (fake Bot API, client)

from benchmarks.bench_service import wait_http  # noqa: E402
from tests.fixtures.service import TELEGRAM_SECRET, TELEGRAM_TOKEN, free_port  # noqa: E402


async def serve(instances: int, port: int, telegram_api: str, rasa_url: str, rasa_token: str) -> None:
    from bot.app import create_app
    from bot.core.settings import Settings
    from bot.store import open_store

    store = await open_store(None, "bench_instances")
    runners, urls = [], []
    for _ in range(instances):
        settings = Settings(_env_file=None, port=free_port(), public_url="https://bot.example.test",  # type: ignore[call-arg]
                            telegram_token=TELEGRAM_TOKEN, telegram_webhook_secret=TELEGRAM_SECRET,
                            telegram_api_url=telegram_api, log_level="WARNING",
                            telegram_rate_per_s=10_000)  # the fake Bot API has no limit: measure the service
        app = await create_app(settings, nlu_url=rasa_url, nlu_token=rasa_token, store=store)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", settings.port).start()
        runners.append(runner)
        urls.append(f"http://127.0.0.1:{settings.port}")
    turn = itertools.cycle(urls)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))

    async def front(request: web.Request) -> web.Response:  # round robin, like the proxy of deploy/Caddyfile
        body = await request.read()
        async with http.post(next(turn) + request.path_qs, data=body, headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")}) as r:
            return web.Response(status=r.status, body=await r.read(), content_type="application/json")

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"instances": len(urls)})

    proxy = web.Application()
    proxy.router.add_post("/webhooks/telegram", front)
    proxy.router.add_get("/healthz", healthz)
    proxy_runner = web.AppRunner(proxy, access_log=None)
    await proxy_runner.setup()
    await web.TCPSite(proxy_runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    outbox = {s: await store.outbox.count_documents({"status": s}) for s in ("sent", "dead", "pending", "sending")}
    retried = await store.outbox.count_documents({"attempts": {"$gt": 1}})
    print(json.dumps({"outbox": outbox, "retried": retried}), flush=True)
    await proxy_runner.cleanup()
    await http.close()
    for runner in runners:
        await runner.cleanup()


async def drive(args: argparse.Namespace) -> None:
    from bot.rasa.server import RasaServer, ensure_model, ensure_nlu_env

    await asyncio.to_thread(ensure_nlu_env)
    rasa = RasaServer(await asyncio.to_thread(ensure_model))
    await rasa.start()
    fake_port = free_port()
    fake = await asyncio.create_subprocess_exec(sys.executable, str(PEERS / "fake_botapi.py"), str(fake_port), "-",
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fake_url = f"http://127.0.0.1:{fake_port}"
    rows = []
    try:
        await wait_http(f"{fake_url}/_health")
        for n in [int(x) for x in args.instances.split(",")]:
            port = free_port()
            server = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "serve", "--instances", str(n), "--port", str(port), "--telegram-api",
                fake_url, "--rasa-url", rasa.url, "--rasa-token", rasa.token, stdout=subprocess.PIPE)
            try:
                await wait_http(f"http://127.0.0.1:{port}/healthz")
                async with aiohttp.ClientSession() as http, http.get(f"{fake_url}/_calls?since=0&brief=1") as r:
                    since = (await r.json())["next"]
                bench = await asyncio.create_subprocess_exec(
                    sys.executable, str(PEERS / "bench_webhook.py"), "--label", f"chania-bot-x{n}",
                    "--webhook", f"http://127.0.0.1:{port}/webhooks/telegram", "--fake-api", fake_url,
                    "-n", str(args.n), "-c", args.c, "--header", f"X-Telegram-Bot-Api-Secret-Token: {TELEGRAM_SECRET}",
                    stdout=subprocess.PIPE)
                stdout = (await bench.communicate())[0].decode()
                async with aiohttp.ClientSession() as http, \
                        http.get(f"{fake_url}/_calls?since={since}&method=sendMessage") as r:
                    calls = (await r.json()).get("calls", [])
                pairs = Counter((str(c.get("chat_id")), (c.get("body") or c.get("params") or {}).get("text"))
                                for c in calls)
                duplicated = sum(k - 1 for k in pairs.values() if k > 1)
            finally:
                server.send_signal(signal.SIGTERM)
                stats = (await asyncio.wait_for(server.communicate(), 60))[0].decode()
            for line in stdout.splitlines():
                if line and not line.startswith("#") and not line.startswith("system"):
                    rows.append(f"{line}  duplicated={duplicated}  store={stats.strip().splitlines()[-1]}")
            print(stdout, file=sys.stderr)
    finally:
        fake.terminate()
        await fake.wait()
        await rasa.stop()
    print("system updates/s p50_ms p95_ms lost")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    s = sub.add_parser("serve")
    s.add_argument("--instances", type=int, default=1)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--telegram-api", required=True)
    s.add_argument("--rasa-url", required=True)
    s.add_argument("--rasa-token", required=True)
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("-c", default="1,16")
    parser.add_argument("--instances", default="1,2")
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if args.command == "serve":
        asyncio.run(serve(args.instances, args.port, args.telegram_api, args.rasa_url, args.rasa_token))
    else:
        asyncio.run(drive(args))


if __name__ == "__main__":
    main()
