"""What Open311 publishes of a ticket (``/staff/tickets/{ref}/public``): the public record exactly as other systems
see it (redacted), the ``private`` flag (keep the ticket out of Open311: the resident asked, or staff decided), and
the approval of each photo for publication. Staff who may handle the ticket may change these; each change is
audited."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.dashboard.core import PREFIX, error_page, render, requires, see_other, services_of, staff_of
from bot.dashboard.core import record as audit
from bot.dashboard.views.tickets import find_visible_ticket as _ticket
from bot.dashboard.views.tickets import photo_views
from bot.open311.publication import is_public, public_request, set_photo_approved, set_private


def _here(ticket: dict[str, Any]) -> str:
    return f"{PREFIX}/tickets/{ticket['reference']}/public"


@requires("tickets")
async def public_view(request: web.Request) -> web.StreamResponse:
    ticket = await _ticket(request)
    if isinstance(ticket, web.Response):
        return ticket
    services = services_of(request)
    base = services.settings.public_url or f"{request.scheme}://{request.host}"
    record = public_request(ticket, staff_of(request).language, base)
    photos = [{**view, "approved": bool(p.get("approved"))}
              for view, p in zip(photo_views(ticket, services.settings), ticket.get("photos") or (), strict=True)]
    return render(request, "ticket_public.html", {
        "ticket": ticket, "record": record, "public": is_public(ticket),
        "assisted": ticket.get("channel") == "assisted", "photos": photos, "flash": request.query.get("done", ""),
    })


def _flag(form: Any, name: str) -> bool:
    return form.get(name) == "1"


@requires("tickets")
async def change_private(request: web.Request) -> web.StreamResponse:
    ticket = await _ticket(request)
    if isinstance(ticket, web.Response):
        return ticket
    private = _flag(await request.post(), "private")
    await set_private(services_of(request), ticket["reference"], private)
    await audit(request, "ticket.private", target=ticket["reference"], private=private)
    raise see_other(_here(ticket), done="saved")


@requires("tickets")
async def change_photo(request: web.Request) -> web.StreamResponse:
    ticket = await _ticket(request)
    if isinstance(ticket, web.Response):
        return ticket
    index = int(request.match_info["index"])
    approved = _flag(await request.post(), "approved")
    if not await set_photo_approved(services_of(request), ticket["reference"], index, approved):
        return error_page(request, 404, "errors.not_found")
    await audit(request, "ticket.photo_approval", target=ticket["reference"], photo=index, approved=approved)
    raise see_other(_here(ticket), done="saved")
