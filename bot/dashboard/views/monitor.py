"""Live monitor of conversations, one conversation's transcript with NLU results, take-over, staff replies, hand-back.

Live updates are server-sent events (``GET /staff/events``) fed by the pipeline's :class:`~bot.core.events.EventBus`;
the page's script (``static/js/live.js``) inserts them with ``textContent`` only, never as HTML.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime
from typing import Any

from aiohttp import web
from pymongo import DESCENDING

from bot import handoff
from bot.core.models import LANGUAGES, Reply, as_utc, utcnow
from bot.dashboard.core import (
    BUS,
    CONFIG,
    PHOTO_HTTP,
    PREFIX,
    error_page,
    render,
    requires,
    see_other,
    services_of,
    staff_of,
    texts_of,
    url_quote,
)
from bot.dashboard.core import record as audit
from bot.dashboard.shared_media import with_media
from bot.store import shapes
from bot.tickets import CHANNELS, photos, tickets_of_conversation
from bot.transcript import label_presses

log = logging.getLogger(__name__)

MONITOR_LIMIT = 100
TRANSCRIPT_LIMIT = 300
MAX_REPLY = 4000  # Telegram's limit is 4096 characters
HEARTBEAT_S = 15.0
POLL_S = 0.5  # how often an idle stream checks that the browser is still there
STREAMS = web.AppKey("staff_streams", set)  # the running event-stream tasks, cancelled at shutdown
MONITOR_CHANNELS = tuple(c for c in CHANNELS if c not in ("assisted", "open311"))  # not conversations


def monitor_filters(query: Any) -> dict[str, str]:
    """The monitor's filters from the query string; unknown values are dropped."""
    f = {
        "channel": query.get("channel", ""),
        "language": query.get("language", ""),
        "intent": query.get("intent", "")[:64],
        "low": "1" if query.get("low") == "1" else "",
        "paused": "1" if query.get("paused") == "1" else "",
    }
    if f["channel"] not in MONITOR_CHANNELS:
        f["channel"] = ""
    if f["language"] not in LANGUAGES:
        f["language"] = ""
    return f


def conversation_query(f: dict[str, str], low_confidence: float) -> dict[str, Any]:
    q: dict[str, Any] = {}
    if f["channel"]:
        q["channel"] = f["channel"]
    if f["language"]:
        q["language"] = f["language"]
    if f["intent"]:
        q["last_intent"] = f["intent"]
    if f["low"]:
        q["last_confidence"] = {"$lt": low_confidence}
    if f["paused"]:
        q["paused"] = True
    return q


def waiting_rows(docs: list[dict[str, Any]], now: datetime) -> list[tuple[dict[str, Any], int | None, str]]:
    """The waiting queue as (conversation, minutes waited, ISO time waited since), through the shapes coercion: a
    ``waiting_since`` that is not a time (an old or hand-edited document) shows as "—", never breaks the page."""
    rows = []
    for doc in docs:
        conv = shapes.conversation(doc)
        since = conv["waiting_since"]
        if since is None:
            rows.append((conv, None, ""))
            continue
        since = as_utc(since)
        rows.append((conv, max(0, int((now - since).total_seconds() // 60)), since.isoformat()))
    return rows


@requires("monitor")
async def monitor(request: web.Request) -> web.StreamResponse:
    store = services_of(request).store
    config = request.config_dict[CONFIG]
    f = monitor_filters(request.query)
    cursor = store.conversations.find(conversation_query(f, config.low_confidence)).sort(
        [("last_activity", DESCENDING), ("_id", DESCENDING)]).limit(MONITOR_LIMIT)
    rows = [shapes.conversation(doc) async for doc in cursor]
    intents = sorted({i for i in await store.conversations.distinct("last_intent") if isinstance(i, str)}
                     | ({f["intent"]} if f["intent"] else set()))
    waiting = waiting_rows(await handoff.waiting_queue(store), utcnow())
    return render(request, "monitor.html", {
        "rows": rows, "filters": f, "intents": intents, "channels": MONITOR_CHANNELS, "languages": LANGUAGES,
        "low_confidence": config.low_confidence, "limit": MONITOR_LIMIT, "waiting": waiting,
    })


async def _conversation_or_404(request: web.Request) -> dict[str, Any] | None:
    conv_id = request.match_info["conversation_id"]
    return await services_of(request).store.conversations.find_one({"_id": conv_id})


@requires("monitor")
async def conversation(request: web.Request) -> web.StreamResponse:
    conv = await _conversation_or_404(request)
    if conv is None:
        return error_page(request, 404, "errors.not_found")
    conv = shapes.conversation(conv)
    services = services_of(request)
    cursor = services.store.messages.find({"conversation_id": conv["_id"]}).sort(
        [("created_at", DESCENDING), ("seq", DESCENDING)]).limit(TRANSCRIPT_LIMIT)
    messages = label_presses([shapes.message(doc) async for doc in cursor][::-1])
    messages = await with_media(messages, services.store, services.settings, texts_of(request).lang)
    tickets = [shapes.ticket(t) for t in await tickets_of_conversation(services, conv["_id"], limit=10)]
    await audit(request, "conversation.view", target=conv["_id"])
    return render(request, "conversation.html", {
        "conv": conv, "messages": messages, "tickets": tickets, "max_reply": MAX_REPLY,
        "low_confidence": request.config_dict[CONFIG].low_confidence,
    })


@requires("monitor")
async def message_photo(request: web.Request) -> web.StreamResponse:
    """A photo the resident sent in this conversation, fetched by the service (the staff's browser loads no
    platform URL); a web-chat upload is already served by this service and is redirected to."""
    conv_id = request.match_info["conversation_id"]
    doc = await services_of(request).store.messages.find_one(
        {"_id": request.match_info["message_id"], "conversation_id": conv_id, "direction": "in"})
    index = int(request.match_info["index"])
    attachments = shapes.message(doc).get("attachments") if doc is not None else []
    if index >= len(attachments) or attachments[index].get("kind") != "photo":
        return error_page(request, 404, "errors.not_found")
    photo = attachments[index]
    if (local := photos.local_url(photo)) is not None:
        raise web.HTTPSeeOther(local)
    try:
        data, kind = await photos.fetch(request.config_dict[PHOTO_HTTP], photo, doc.get("channel"),
                                        services_of(request).settings)
    except photos.PhotoUnavailable as exc:
        log.info("photo unavailable", extra={"conversation_id": conv_id, "reason": str(exc)})
        return error_page(request, 502, "errors.photo_unavailable")
    return web.Response(body=data, content_type=kind)


def _publish_state(request: web.Request, conv_id: str, paused: bool, held_by_name: str = "") -> None:
    request.config_dict[BUS].publish({"type": "conversation", "conversation_id": conv_id, "paused": paused,
                                      "by": staff_of(request).actor, "held_by_name": held_by_name})


@requires("monitor")
async def take_over(request: web.Request) -> web.StreamResponse:
    """One staff member holds a chat: a colleague's take-over is refused and the page says who holds it."""
    conv = await _conversation_or_404(request)
    if conv is None:
        return error_page(request, 404, "errors.not_found")
    member = staff_of(request)
    here = f"{PREFIX}/conversations/{url_quote(conv['_id'])}"
    holder = await handoff.staff_joined(services_of(request), conv["_id"], member)
    if holder is None:
        return error_page(request, 404, "errors.not_found")
    if holder.actor != member.actor:
        raise see_other(here, error="held_by_other")
    _publish_state(request, conv["_id"], True, holder.name)
    await audit(request, "conversation.take_over", target=conv["_id"])
    raise see_other(here, done="taken_over")


@requires("monitor")
async def hand_back(request: web.Request) -> web.StreamResponse:
    """Only the holder hands a chat back (or an admin: ``release_any``), checked in the same atomic update."""
    conv = await _conversation_or_404(request)
    if conv is None:
        return error_page(request, 404, "errors.not_found")
    member = staff_of(request)
    here = f"{PREFIX}/conversations/{url_quote(conv['_id'])}"
    only_if = None if member.can("release_any") else {"held_by": {"$in": [None, member.actor]}}
    # the resident is told, and asked about a held report
    if not await handoff.bot_back(services_of(request), conv["_id"], only_if=only_if):
        raise see_other(here, error="hand_back_held_by_other")
    _publish_state(request, conv["_id"], False)
    await audit(request, "conversation.hand_back", target=conv["_id"], held_by=conv.get("held_by"))
    raise see_other(here, done="handed_back")


@requires("monitor")
async def reply(request: web.Request) -> web.StreamResponse:
    conv = await _conversation_or_404(request)
    if conv is None:
        return error_page(request, 404, "errors.not_found")
    here = f"{PREFIX}/conversations/{url_quote(conv['_id'])}"
    form = await request.post()
    text = form.get("text", "")
    text = text.strip() if isinstance(text, str) else ""
    if not text or len(text) > MAX_REPLY:
        raise see_other(here, error="reply_length")
    if not conv.get("paused"):
        raise see_other(here, error="not_taken_over")  # the bot would answer too: take over first
    services = services_of(request)
    member = staff_of(request)
    if conv.get("held_by") not in (None, member.actor):
        raise see_other(here, error="held_by_other")  # one voice per chat: the colleague holding it answers
    await handoff.staff_active(services.store, conv["_id"], member)
    signed = handoff.sign(text, member, conv.get("language") or "el")
    await services.outbox.send_to(conv["_id"], [Reply(text=signed)], sender=member.actor)
    sent = await services.store.messages.find_one(
        {"conversation_id": conv["_id"], "direction": "out", "sender": member.actor},
        sort=[("created_at", DESCENDING), ("seq", DESCENDING)])
    status = (sent or {}).get("status", "sent")
    await audit(request, "conversation.reply", target=conv["_id"], length=len(text), status=status)
    if status not in ("sent", "queued", None):  # queued: the outbox sends it (bot/outbox/), retrying if need be
        raise see_other(here, error="delivery_failed")
    raise see_other(here, done="reply_sent")


def _event_payload(event: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the pages use, as JSON-safe values."""
    keys = ("type", "conversation_id", "message_id", "channel", "direction", "sender", "text", "intent",
            "confidence", "language", "created_at", "paused", "attachments", "photos", "has_location", "location",
            "by", "held_by_name")
    return {k: event[k] for k in keys if k in event}


@requires("monitor")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: every message and conversation change, or those of one ``?conversation=``."""
    only = request.query.get("conversation") or None
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    streams: set[asyncio.Task[Any]] = request.config_dict[STREAMS]
    task = asyncio.current_task()
    assert task is not None
    streams.add(task)
    try:
        async with request.config_dict[BUS].subscribe() as queue:
            await response.write(b"retry: 2000\n: connected\n\n")
            idle = 0.0
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), POLL_S)
                except TimeoutError:
                    if request.transport is None or request.transport.is_closing():
                        break  # the browser went away: stop listening at once, not at the next write
                    idle += POLL_S
                    if idle >= HEARTBEAT_S:
                        idle = 0.0
                        await response.write(b": ping\n\n")  # keeps proxies from closing an idle stream
                    continue
                if only is not None and event.get("conversation_id") != only:
                    continue
                kind = event.get("type") if event.get("type") in ("message", "conversation") else "message"
                data = json.dumps(_event_payload(event), ensure_ascii=False, default=str)
                await response.write(f"event: {kind}\ndata: {data}\n\n".encode())
    except (ConnectionResetError, asyncio.CancelledError):
        pass  # the browser went away, or the service is stopping
    finally:
        streams.discard(task)
    return response


async def close_streams(app: web.Application) -> None:
    """``on_shutdown``: end the open event streams so the server can stop at once."""
    for task in list(app[STREAMS]):
        task.cancel()
    for task in list(app[STREAMS]):
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(task), 1)
