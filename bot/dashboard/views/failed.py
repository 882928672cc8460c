"""Dead letters: inbound messages whose processing failed every attempt (``bot/poison``), with their error and a
"retry" action (CSRF-protected by the dashboard's middleware, audited)."""

from __future__ import annotations

from aiohttp import web

from bot import poison
from bot.dashboard.core import PREFIX, error_page, render, requires, see_other, services_of, staff_of
from bot.dashboard.core import record as audit
from bot.store import shapes

LIST_LIMIT = 100


@requires("monitor")
async def failed_list(request: web.Request) -> web.StreamResponse:
    store = services_of(request).store
    messages = [shapes.message(doc) for doc in await poison.dead_letters(store, LIST_LIMIT)]
    return render(request, "failed.html", {"messages": messages,
                                           "total": await poison.count(store), "limit": LIST_LIMIT})


@requires("monitor")
async def retry(request: web.Request) -> web.StreamResponse:
    msg_id = request.match_info["message_id"]
    store = services_of(request).store
    doc = await store.messages.find_one({"_id": msg_id, "direction": "in"}, {"status": 1, "last_error": 1})
    if doc is None:
        return error_page(request, 404, "errors.not_found")
    if not await poison.retry(store, msg_id, actor=staff_of(request).actor):
        raise see_other(f"{PREFIX}/failed", error="not_failed")
    await audit(request, "message.retry", target=msg_id, error=str(doc.get("last_error") or "")[:200])
    raise see_other(f"{PREFIX}/failed", done="retry_queued")
