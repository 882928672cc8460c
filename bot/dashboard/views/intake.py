"""Assisted intake (KAPI/KIFI): staff record a request on behalf of a person without a phone or computer.

It creates the same kind of ticket as the chatbot (channel ``assisted``, no conversation) and shows a printable
receipt, in the person's language, with the reference and how to ask about it.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from bot import tickets as ticket_service
from bot.categories import categories
from bot.dashboard.core import PREFIX, error_page, render, requires, services_of, staff_of
from bot.dashboard.core import record as audit
from bot.dashboard.i18n import texts_for
from bot.models import LANGUAGES
from bot.tickets import MAX_DESCRIPTION, parse_reference

MAX_NAME = 100
MAX_ADDRESS = 300
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()./-]{5,22}$")
FIELDS = ("name", "phone", "address", "category", "description", "language")


def validate(form: dict[str, str]) -> dict[str, str]:
    """Field name → error key (``intake.errors.*``); empty when the form is valid."""
    errors: dict[str, str] = {}
    if not form["name"]:
        errors["name"] = "required"
    elif len(form["name"]) > MAX_NAME:
        errors["name"] = "too_long"
    if form["phone"] and not PHONE_RE.match(form["phone"]):
        errors["phone"] = "bad_phone"
    if not form["address"]:
        errors["address"] = "required"
    elif len(form["address"]) > MAX_ADDRESS:
        errors["address"] = "too_long"
    if form["category"] not in categories():
        errors["category"] = "required"
    if not form["description"]:
        errors["description"] = "required"
    elif len(form["description"]) > MAX_DESCRIPTION:
        errors["description"] = "too_long"
    if form["language"] not in LANGUAGES:
        errors["language"] = "required"
    return errors


def _context(form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {"form": form, "errors": errors, "categories": list(categories()), "max_description": MAX_DESCRIPTION,
            "max_name": MAX_NAME, "max_address": MAX_ADDRESS}


@requires("intake")
async def intake_form(request: web.Request) -> web.StreamResponse:
    form = dict.fromkeys(FIELDS, "")
    form["language"] = "el"
    return render(request, "intake.html", _context(form, {}))


@requires("intake")
async def intake_submit(request: web.Request) -> web.StreamResponse:
    posted = await request.post()
    form = {k: " ".join(str(posted.get(k, "")).split()) if k != "description" else str(posted.get(k, "")).strip()
            for k in FIELDS}
    errors = validate(form)
    if errors:
        return render(request, "intake.html", _context(form, errors), status=400)
    member = staff_of(request)
    citizen = {"name": form["name"], **({"phone": form["phone"]} if form["phone"] else {})}
    ticket = await ticket_service.create_ticket(
        services_of(request), category=form["category"], description=form["description"], channel="assisted",
        language=form["language"], conversation_id=None, address=form["address"], citizen=citizen,  # type: ignore[arg-type]
        actor=member.actor,
    )
    await audit(request, "intake.create", target=ticket["reference"], category=form["category"])
    raise web.HTTPSeeOther(f"{PREFIX}/intake/{ticket['reference']}/receipt")


@requires("intake")
async def receipt(request: web.Request) -> web.StreamResponse:
    ref = parse_reference(request.match_info["reference"])
    ticket = await ticket_service.get_ticket(services_of(request), ref) if ref else None
    if ticket is None or ticket.get("channel") != "assisted":
        return error_page(request, 404, "errors.not_found")
    return render(request, "receipt.html", {"ticket": ticket, "rt": texts_for(ticket.get("language"))})
