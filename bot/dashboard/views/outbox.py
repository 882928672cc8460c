"""Dead letters of the outbox (role ``monitor``): messages to residents that could not be delivered after every
attempt, or that the platform refused for good (bot blocked, Viber user unsubscribed). Staff see why and may send
one again (``POST /staff/outbox/{id}/retry``: a fresh count of attempts, audited as ``outbox.retry``)."""

from __future__ import annotations

from aiohttp import web

from bot.dashboard.core import PREFIX, error_page, render, requires, see_other, services_of
from bot.dashboard.core import record as audit

PAGE = f"{PREFIX}/outbox"


@requires("monitor")
async def dead_letters(request: web.Request) -> web.StreamResponse:
    outbox = services_of(request).outbox
    entries = await outbox.dead_letters(limit=200)  # type: ignore[attr-defined]
    return render(request, "outbox.html", {"entries": entries, "flash": request.query.get("done", "")})


@requires("monitor")
async def retry(request: web.Request) -> web.StreamResponse:
    entry_id = request.match_info["entry_id"]
    if not await services_of(request).outbox.retry(entry_id):  # type: ignore[attr-defined]
        return error_page(request, 404, "errors.not_found")
    await audit(request, "outbox.retry", target=entry_id)
    raise see_other(PAGE, done="retried")
