"""The one aiohttp application: webhooks, web chat, staff dashboard, health (design.md section 1).

Dependencies are created once here, kept on the app under ``web.AppKey`` s, and closed at clean-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from bot.alerts import setup_alerts
from bot.channels.base import ChannelAdapter
from bot.channels.telegram import TelegramAdapter
from bot.channels.viber import ViberAdapter
from bot.channels.webchat import WebChatAdapter
from bot.core.events import EventBus
from bot.core.metrics import StageTimes
from bot.core.services import Services
from bot.core.settings import Settings
from bot.dashboard import setup_dashboard
from bot.guide import photos as guide_photos
from bot.guide import sights as guide_sights
from bot.handoff.release import setup_release
from bot.open311.api import setup_open311
from bot.outbox import Outbox, OutboxSettings
from bot.outbox.limits import Limit
from bot.pipeline import Pipeline
from bot.privacy.web import setup_privacy
from bot.rasa.client import NluClient
from bot.store import Store, open_configured_store
from bot.tickets.geocoding import setup_geocoding
from handlers import alerts, complaints, handoff, municipal, privacy, tourism
from handlers.conversation import ConversationHandler
from handlers.registry import HandlerRegistry

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything created at start-up, for tests and the command line."""

    settings: Settings
    store: Store
    services: Services
    pipeline: Pipeline
    nlu: NluClient
    bus: EventBus
    adapters: dict[str, ChannelAdapter]
    http: aiohttp.ClientSession
    outbox: Outbox


RUNTIME = web.AppKey("runtime", Runtime)


async def create_app(settings: Settings, *, nlu_url: str | None = None, nlu_token: str | None = None,
                     store: Store | None = None) -> web.Application:
    """Build the app. ``nlu_url``/``nlu_token`` override RASA_URL/RASA_TOKEN (``bot.py run`` starts Rasa itself);
    ``store`` lets tests share one in-process database across app restarts."""
    nlu_url = nlu_url or settings.rasa_url
    token = nlu_token or (settings.rasa_token.get_secret_value() if settings.rasa_token else None)
    if not nlu_url or not token:
        raise ValueError("no Rasa server: set RASA_URL and RASA_TOKEN, or let `bot.py run` start one")

    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[security_headers])
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=settings.max_concurrent_updates + 16))
    if store is None:
        store = await open_configured_store(settings)
    bus = EventBus(store=store, poll_s=settings.events_poll_s)
    nlu = NluClient(nlu_url, token, timeout_s=settings.nlu_timeout_s, session=http)
    adapters: dict[str, ChannelAdapter] = {}
    times = StageTimes()
    outbox = Outbox(store, adapters, bus, outbox_settings(settings), times)
    services = Services(settings=settings, store=store, outbox=outbox)
    services.extras["nlu"] = nlu  # the dashboard's model page swaps models through it (bot/rasa/promotion.py)
    conversation = ConversationHandler()
    registry = HandlerRegistry(conversation, [tourism.create_handler(services), complaints.create_handler(services),
                                              alerts.create_handler(), privacy.create_handler(services),
                                              handoff.create_handler(), municipal.create_handler(services)])
    pipeline = Pipeline(services, nlu, registry, bus, adapters, times, outbox=outbox,
                        conversation_lease_s=settings.conversation_lease_s)
    adapters["telegram"] = TelegramAdapter(settings, pipeline, http, store=store)
    adapters["viber"] = ViberAdapter(settings, pipeline, http, store=store)
    adapters["webchat"] = WebChatAdapter(settings, pipeline, store, bus)
    for adapter in adapters.values():
        adapter.add_routes(app)

    runtime = Runtime(settings, store, services, pipeline, nlu, bus, adapters, http, outbox)
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/", home)
    setup_dashboard(app, services, bus)
    setup_open311(app, services)
    guide_photos.add_routes(app, store)
    setup_privacy(app, services)
    setup_geocoding(app, services)
    app.cleanup_ctx.append(_lifecycle)
    setup_alerts(app, services)  # after _lifecycle: its scheduler stops before the store closes
    setup_release(app, services, bus)  # taken-over chats left idle go back to the bot (likewise after _lifecycle)
    return app


def outbox_settings(settings: Settings) -> OutboxSettings:
    limits = OutboxSettings()
    # a small burst: a broadcast keeps to the rate instead of running ahead and drawing 429s (bench_alerts.py)
    rate = settings.telegram_rate_per_s
    limits.channel_limits["telegram"] = Limit(per_s=rate, burst=max(1.0, rate / 10))
    for channel in ("telegram", "viber"):
        limits.chat_limits[channel] = Limit(per_s=settings.chat_rate_per_s, burst=5)
    return OutboxSettings(max_attempts=settings.outbox_max_attempts, lease_s=settings.outbox_lease_s,
                          backoff_s=settings.outbox_backoff_s, poll_s=settings.outbox_poll_s,
                          channel_limits=limits.channel_limits, chat_limits=limits.chat_limits)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    rt = app[RUNTIME]
    await rt.bus.start()
    await guide_sights.seed_if_empty(rt.store)  # first start: data/pois.yaml becomes the guide's catalogue
    await rt.nlu.warm_up()
    for adapter in rt.adapters.values():
        try:
            await adapter.start()
        except Exception:
            log.exception("channel failed to start", extra={"channel": adapter.name})
    with contextlib.suppress(Exception):
        await rt.pipeline.recover()
    recovery = asyncio.create_task(rt.pipeline.recovery_loop(), name="recovery")
    await rt.outbox.start()
    with contextlib.suppress(Exception):
        await rt.outbox.poll()  # entries left by a previous run or by other instances
    yield
    # graceful shutdown: stop taking messages, finish in-flight ones and their sends, then close connections
    recovery.cancel()
    await rt.pipeline.drain()
    await rt.outbox.close()
    await rt.bus.close()
    for adapter in rt.adapters.values():
        with contextlib.suppress(Exception):
            await adapter.close()
    await rt.http.close()
    await rt.store.close()


@web.middleware
async def security_headers(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


async def home(_request: web.Request) -> web.Response:
    raise web.HTTPFound("/chat")


async def healthz(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    store_ok = await rt.store.ping()
    nlu = await rt.nlu.status()
    body = {
        "status": "ok" if store_ok and nlu.get("ok") else "degraded",
        "store": {"ok": store_ok, "demo": rt.store.demo},
        "nlu": nlu,
        "channels": {name: getattr(a, "enabled", True) for name, a in rt.adapters.items()},
        "pending": rt.pipeline.pending,
        "outbox": rt.outbox.pending,
        "events": rt.bus.mode,
    }
    return web.json_response(body, status=200 if store_ok else 503)


LOOPBACK = frozenset({"127.0.0.1", "::1"})
FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def metrics_allowed(request: web.Request, token: str | None) -> bool:
    """Operators only: a request from this machine that no proxy forwarded, or one with the metrics token."""
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    return request.remote in LOOPBACK and not any(h in request.headers for h in FORWARDED)


async def metrics(request: web.Request) -> web.Response:
    """Per-stage timings (no personal data), for operators (:func:`metrics_allowed`; 404 to anyone else).
    ``?reset=1`` clears the windows (used by the benchmark)."""
    rt = request.app[RUNTIME]
    token = rt.settings.metrics_token.get_secret_value() if rt.settings.metrics_token else None
    if not metrics_allowed(request, token):
        raise web.HTTPNotFound()
    summary = rt.pipeline.times.summary()
    if request.query.get("reset") == "1":
        rt.pipeline.times.reset()
    return web.json_response(summary)
