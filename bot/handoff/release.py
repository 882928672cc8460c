"""A taken-over chat is never left silent (QA F37): after ``HANDOFF_IDLE_RELEASE_MIN`` minutes without a take-over or
a reply of the staff member holding it, or once the office has closed since then, the bot takes the chat back
through the ordinary hand-back (the resident reads «Μιλάτε ξανά με τον ψηφιακό βοηθό» and is asked about a report
left half-way). Runs on every instance every ``HANDOFF_RELEASE_POLL_S`` seconds; each release is one conditional
update, so two instances never hand a chat back twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from pymongo.errors import PyMongoError

from bot import handoff
from bot.core.events import EventBus
from bot.core.models import utcnow
from bot.core.services import Services
from bot.staff import audit

log = logging.getLogger(__name__)

ACTOR = "system:handoff-release"
BATCH = 100


def release_cutoff(services: Services, now: datetime) -> datetime:
    """Chats whose holder was last active at or before this are released: the idle limit, or the last closing of
    the office, whichever is later."""
    closing = handoff.office_hours(services).last_closing(now)
    minutes = services.settings.handoff_idle_release_min
    return max(closing, now - timedelta(minutes=minutes)) if minutes > 0 else closing


def _due(cutoff: datetime) -> dict[str, Any]:
    return {"paused": True, "$or": [{"held_active_at": {"$lte": cutoff}},
                                    {"held_active_at": None, "paused_at": {"$lte": cutoff}}]}


async def release_idle(services: Services, bus: EventBus | None = None, now: datetime | None = None) -> list[str]:
    """Hand back every chat due; returns their ids."""
    due = _due(release_cutoff(services, now or utcnow()))
    ids = [d["_id"] async for d in services.store.conversations.find(due, projection={"_id": 1}).limit(BATCH)]
    released = []
    for conv_id in ids:
        if not await handoff.bot_back(services, conv_id, only_if=due):
            continue  # another instance, or the holder, was first
        released.append(conv_id)
        await audit.record(services.store, ACTOR, "conversation.hand_back", target=conv_id,
                           details={"reason": "idle"})
        if bus is not None:
            bus.publish({"type": "conversation", "conversation_id": conv_id, "paused": False, "by": ACTOR})
        log.info("taken-over chat released", extra={"conversation_id": conv_id})
    return released


async def release_loop(services: Services, bus: EventBus | None = None) -> None:
    while True:
        try:
            await release_idle(services, bus)
        except PyMongoError:
            log.warning("hand-back of idle chats skipped: database unavailable")
        except Exception:
            log.exception("hand-back of idle chats failed")
        await asyncio.sleep(services.settings.handoff_release_poll_s)


def setup_release(app: web.Application, services: Services, bus: EventBus | None = None) -> None:
    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(release_loop(services, bus), name="handoff-release")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(lifecycle)
