"""``/status/<token>``: a ticket's public status page, opened from the QR code of an assisted-intake receipt.

No login: the random token (``bot/intake/status_link.py``) is the key. The page shows the reference, category,
status and the notes sent to the resident with status changes (redacted of phone numbers, e-mails, ΑΦΜ/ΑΜΚΑ and the
resident's name) — never the name, phone, address, description, photos or the staff's internal notes. Greek or English
(``?lang=``; the ticket's language by default), from the residents' catalogue ``status_page.*``.
"""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

from bot.core.i18n import Texts
from bot.core.models import LANGUAGES
from bot.core.services import Services
from bot.dashboard.core import TEMPLATES_DIR, fmt_time, static_url
from bot.intake.status_link import STATUS_PATH, TOKEN_RE
from bot.privacy.redaction import redact_text
from bot.tickets.categories import categories

SERVICES = web.AppKey("public_status_services", Services)
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.filters["dt"] = fmt_time
_ENV.globals["static"] = static_url
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow", "X-Frame-Options": "DENY",
}


def public_updates(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """Status changes with the note the resident was sent; reassignments and internal notes are left out."""
    name = (ticket.get("citizen") or {}).get("name")
    names = (name,) if name else ()
    return [{"at": e["at"], "status": e.get("status"), "note": redact_text(e.get("note") or "", names)}
            for e in ticket.get("history") or () if not e.get("department")]


async def status_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    lang_q = request.query.get("lang", "")
    ticket = None
    if TOKEN_RE.match(token):
        ticket = await request.app[SERVICES].store.tickets.find_one(
            {"status_token": token}, {"reference": 1, "category": 1, "status": 1, "history": 1, "language": 1,
                                      "created_at": 1, "updated_at": 1, "citizen.name": 1})
    lang = lang_q if lang_q in LANGUAGES else (ticket or {}).get("language") or "el"
    t = Texts(lang)
    cat = categories().get(ticket["category"]) if ticket else None
    body = _ENV.get_template("public_status.html").render(
        texts=t, lang=lang, ticket=ticket, category=cat.name(lang) if cat else "",
        updates=public_updates(ticket) if ticket else [], other_lang="en" if lang == "el" else "el",
        path=STATUS_PATH + token)
    return web.Response(text=body, content_type="text/html", status=200 if ticket else 404, headers=HEADERS)


def setup(app: web.Application, services: Services) -> None:
    app[SERVICES] = services
    app.router.add_get(STATUS_PATH + "{token}", status_page)
