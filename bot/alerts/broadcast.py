"""Delivering a notice: every subscriber it reaches gets one message, in their language, through the durable outbox
(:mod:`bot.outbox`, which keeps to the platforms' rate limits, retries and keeps dead letters).

Each recipient's outbox entry has a fixed key (``out:alert:<notice>:<conversation>:0``), so queuing a notice again
after a crash or a restart in the middle adds only the entries that are missing: the rest is sent exactly once.
The entries of one notice in one language share a batch key (``alert:<notice>:<language>``): on Viber the outbox
sends them with ``broadcast_message``, up to 300 people per call, instead of one ``send_message`` each (Telegram
has no broadcast call: its entries go one by one).
:func:`report` counts the entries of a notice by outcome — queued, sent, failed, blocked — for the dashboard; an
entry refused because the person blocked the bot (or left the Viber chat) unsubscribes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from pymongo.errors import PyMongoError

from bot.alerts import notices, subscriptions
from bot.alerts.areas import AreaCatalogue, alert_areas
from bot.core.i18n import Texts
from bot.core.models import Language, Reply, as_utc, utcnow
from bot.core.services import Services
from bot.tickets import local_time

log = logging.getLogger(__name__)

BATCH = 500
SENDER = "alerts"
# how the platforms say "this person does not want messages from the bot any more" (Telegram 403; Viber status 6,
# 5 and 11 — the names bot/channels/viber.py puts in its errors — or the person's unsubscribed callback)
BLOCKED_MARKERS = ("blocked by the user", "user is deactivated", "receivernotsubscribed", "receivernosuitabledevice",
                   "receivernotregistered", "viber user has unsubscribed", "bot can't initiate conversation",
                   "chat not found")


def source_key(notice_id: Any, conversation_id: str) -> str:
    return f"alert:{notice_id}:{conversation_id}"


def batch_key(notice_id: Any, lang: Language) -> str:
    """The entries that get the same message: one notice in one language."""
    return f"alert:{notice_id}:{lang}"


def period_text(notice: dict[str, Any], lang: Language) -> str:
    t = Texts(lang)
    start, end = local_time(as_utc(notice["valid_from"])), local_time(as_utc(notice["valid_until"]))
    fmt = "%d/%m %H:%M"
    end_text = end.strftime("%H:%M") if end.date() == start.date() else end.strftime(fmt)
    return t("alerts.period", start=start.strftime(fmt), end=end_text)


def areas_text(notice: dict[str, Any], lang: Language, catalogue: AreaCatalogue) -> str:
    return ", ".join(a.name(lang) for a in (catalogue.get(i) for i in notice["areas"]) if a is not None)


def message(notice: dict[str, Any], lang: Language, catalogue: AreaCatalogue | None = None) -> Reply:
    catalogue = catalogue or alert_areas()
    title, body = notices.text_for(notice, lang)
    return Reply(Texts(lang)("alerts.notice", title=title, body=body, period=period_text(notice, lang),
                             areas=areas_text(notice, lang, catalogue)))


async def recipients(services: Services, notice: dict[str, Any]) -> dict[str, int]:
    """How many subscribers a notice would reach, per channel (the dashboard's preview)."""
    counts: dict[str, int] = {}
    async for sub in subscriptions.matching(services.store, alert_areas(), notice["areas"], notice["kind"]):
        counts[sub.channel] = counts.get(sub.channel, 0) + 1
    return counts


async def queue(services: Services, notice: dict[str, Any]) -> int:
    """Write one outbox entry per recipient (idempotent). Returns the number of recipients."""
    catalogue = alert_areas()
    store, outbox = services.store, services.outbox
    replies = {lang: message(notice, lang, catalogue) for lang in ("el", "en")}
    total = 0
    batch: list[subscriptions.Subscription] = []

    async def flush() -> None:
        convs = {d["_id"]: d async for d in store.conversations.find(
            {"_id": {"$in": [s.conversation_id for s in batch]}}, {"language": 1})}
        entries: list[dict[str, Any]] = []
        for sub in batch:
            lang: Language = "en" if (convs.get(sub.conversation_id) or {}).get("language") == "en" else "el"
            for entry in outbox.entries(sub.conversation_id, sub.channel, sub.chat_id, [replies[lang]], sender=SENDER,
                                        kind="broadcast", source=source_key(notice["_id"], sub.conversation_id),
                                        batch=batch_key(notice["_id"], lang)):
                entry["notice_id"] = notice["_id"]
                entries.append(entry)
        await outbox.add(entries)
        batch.clear()

    async for sub in subscriptions.matching(store, catalogue, notice["areas"], notice["kind"]):
        batch.append(sub)
        total += 1
        if len(batch) >= BATCH:
            await flush()
    if batch:
        await flush()
    return total


def _blocked(entry: dict[str, Any]) -> bool:
    error = (entry.get("last_error") or "").lower()
    return any(marker in error for marker in BLOCKED_MARKERS)


async def report(services: Services, notice_id: Any) -> dict[str, int]:
    """Outcome of every recipient's message: ``queued`` (waiting or being sent), ``sent``, ``failed``,
    ``blocked``."""
    counts = {"queued": 0, "sent": 0, "failed": 0, "blocked": 0}
    cursor = services.store.db["outbox"].find({"notice_id": notice_id}, {"status": 1, "last_error": 1})
    async for entry in cursor:
        status = entry.get("status")
        if status == "sent":
            counts["sent"] += 1
        elif status in ("dead", "undeliverable"):
            counts["blocked" if _blocked(entry) else "failed"] += 1
        else:
            counts["queued"] += 1
    return counts


async def unsubscribe_blocked(services: Services) -> int:
    """Delete the subscriptions of people whose alert could not be delivered because they blocked the bot."""
    removed = 0
    cursor = services.store.db["outbox"].find({"kind": "broadcast", "status": "dead", "unsubscribed": {"$ne": True}},
                                        {"conversation_id": 1, "last_error": 1})
    async for entry in cursor:
        if _blocked(entry) and await subscriptions.stop(services.store, entry["conversation_id"]):
            removed += 1
        await services.store.db["outbox"].update_one({"_id": entry["_id"]}, {"$set": {"unsubscribed": True}})
    return removed


async def run_due(services: Services) -> int:
    """Queue every scheduled notice whose time has come (any instance may run this: the claim is atomic)."""
    done = 0
    await notices.release_stale(services.store, utcnow() - timedelta(minutes=5))
    while (notice := await notices.claim_due(services.store)) is not None:
        count = await queue(services, notice)
        await notices.mark_queued(services.store, notice["_id"], count)
        log.info("alert queued", extra={"notice": str(notice["_id"]), "recipients": count})
        done += 1
    return done


async def scheduler_loop(services: Services, every_s: float = 5.0) -> None:
    """The service's background task: queue due notices, unsubscribe people who blocked the bot."""
    while True:
        with contextlib.suppress(PyMongoError):
            await run_due(services)
            await unsubscribe_blocked(services)
        await asyncio.sleep(every_s)
