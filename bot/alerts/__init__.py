"""Area alerts (issue 15): residents subscribe to areas and kinds of notice in the chat (``handlers/alerts.py``);
staff with the ``broadcaster`` role publish notices in the dashboard (``bot/dashboard/views/alerts.py``); delivery
goes through the durable outbox (:mod:`bot.alerts.broadcast`); the notices in force are public at ``/alerts``,
``/alerts/feed.atom`` and ``/alerts.json`` (:mod:`bot.alerts.public`).

Modules: ``areas`` (the subscribable areas, ``data/alert_areas.geojson``), ``kinds``, ``subscriptions``,
``notices`` (their life cycle), ``broadcast`` (recipients, queuing, the delivery report, the scheduler).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from bot.alerts import broadcast, notices, public, subscriptions
from bot.core.services import Services


def setup_alerts(app: web.Application, services: Services) -> None:
    """Public routes, indexes at start, and the scheduler that queues due notices (on every instance; the claim
    of a notice is atomic)."""
    public.add_routes(app, services)

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        await subscriptions.ensure_indexes(services.store)
        await notices.ensure_indexes(services.store)
        task = asyncio.create_task(broadcast.scheduler_loop(services), name="alerts-scheduler")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(lifecycle)
