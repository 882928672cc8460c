"""Assisted intake (KAPI/KIFI): staff record a request on behalf of a person without a phone or computer.

It creates the same kind of ticket as the chatbot (channel ``assisted``, no conversation) with what a day centre
records: the centre and the clerk (``intake``), the place as typed and/or as a pin on the map, photos, a phone
number in E.164. The printable receipt, in the person's language, carries the department, the Citizen Service
Office's contact (settings) and a QR code to the ticket's public status page (``/status/<token>``).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot import tickets as ticket_service
from bot.alerts.areas import alert_areas
from bot.core.i18n import Texts
from bot.core.models import LANGUAGES, GeoPoint
from bot.core.settings import Settings
from bot.dashboard.core import CONFIG, PREFIX, error_page, render, requires, services_of, staff_of
from bot.dashboard.core import record as audit
from bot.dashboard.i18n import texts_for
from bot.intake import centres as centre_store
from bot.intake import status_link
from bot.staff.accounts import set_intake_centre
from bot.tickets import MAX_DESCRIPTION, parse_reference, phones, photos
from bot.tickets.boundary import municipality
from bot.tickets.categories import categories

MAX_NAME = 100
MAX_ADDRESS = 300
MAX_PHOTOS = 3
TEXT_FIELDS = ("name", "phone", "address", "category", "description", "language", "centre", "lat", "lon")


def _point(form: dict[str, str]) -> GeoPoint | str | None:
    """The pin, ``None`` without one, or an error key."""
    if not form["lat"] and not form["lon"]:
        return None
    try:
        lat, lon = float(form["lat"].replace(",", ".")), float(form["lon"].replace(",", "."))  # Greek comma too
    except ValueError:
        return "bad_pin"
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return "bad_pin"
    point = GeoPoint(lat, lon)
    return point if municipality().contains(point) else "pin_outside"


def validate(form: dict[str, str], active_centres: set[str]) -> dict[str, str]:
    """Field name → error key (``intake.errors.*``); empty when the form is valid."""
    errors: dict[str, str] = {}
    if not form["name"]:
        errors["name"] = "required"
    elif len(form["name"]) > MAX_NAME:
        errors["name"] = "too_long"
    if form["phone"] and phones.normalise(form["phone"]) is None:
        errors["phone"] = "bad_phone"
    point = _point(form)
    if isinstance(point, str):
        errors["pin"] = point
    if len(form["address"]) > MAX_ADDRESS:
        errors["address"] = "too_long"
    elif not form["address"] and point is None:
        errors["address"] = "place_required"
    if form["category"] not in categories():
        errors["category"] = "required"
    if not form["description"]:
        errors["description"] = "required"
    elif len(form["description"]) > MAX_DESCRIPTION:
        errors["description"] = "too_long"
    if form["language"] not in LANGUAGES:
        errors["language"] = "required"
    if form["centre"] not in active_centres:
        errors["centre"] = "required"
    return errors


async def _context(request: web.Request, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {"form": form, "errors": errors, "categories": list(categories()), "max_description": MAX_DESCRIPTION,
            "max_name": MAX_NAME, "max_address": MAX_ADDRESS, "max_photos": MAX_PHOTOS,
            "centres": await centre_store.all_centres(services_of(request).store, active_only=True),
            "tiles_url": request.config_dict[CONFIG].tiles_url or "",
            "centre_of_map": municipality_centre(), "areas_geojson": areas_geojson()}


def areas_geojson() -> dict[str, Any]:
    """Neighbourhoods and municipal units drawn on the intake map: orientation when there are no tiles."""
    return {"type": "FeatureCollection", "features": [a.geojson() for a in alert_areas().areas]}


def municipality_centre() -> GeoPoint:
    return GeoPoint(35.5138, 24.0180)  # Chania's old town: where the map opens before a pin is placed


@requires("intake")
async def intake_form(request: web.Request) -> web.StreamResponse:
    form = dict.fromkeys(TEXT_FIELDS, "")
    form["language"] = "el"
    form["centre"] = request.query.get("centre", "") or staff_of(request).intake_centre  # the clerk's last one
    return render(request, "intake.html", await _context(request, form, {}))


def _uploads(posted: Any) -> list[bytes]:
    files = []
    for field in posted.getall("photo", []):
        if isinstance(field, web.FileField):
            data = field.file.read(photos.MAX_BYTES + 1)
            if data:
                files.append(data)
    return files


@requires("intake")
async def intake_submit(request: web.Request) -> web.StreamResponse:
    posted = await request.post()
    form = {k: (" ".join(str(posted.get(k, "")).split()) if k != "description" else str(posted.get(k, "")).strip())
            for k in TEXT_FIELDS}
    services = services_of(request)
    active = {c.id: c for c in await centre_store.all_centres(services.store, active_only=True)}
    errors = validate(form, set(active))
    uploads = _uploads(posted)
    prepared = []
    if len(uploads) > MAX_PHOTOS:
        errors["photo"] = "too_many_photos"
    else:
        for data in uploads:
            try:
                prepared.append(await asyncio.to_thread(photos.prepare_upload, data))  # keeps the loop free
            except photos.BadUpload:
                errors["photo"] = "bad_photo"
                break
    if errors:
        return render(request, "intake.html", await _context(request, form, errors), status=400)
    member = staff_of(request)
    centre = active[form["centre"]]
    point = _point(form)
    phone = phones.normalise(form["phone"]) if form["phone"] else None
    citizen = {"name": form["name"], **({"phone": phone} if phone else {})}
    ticket = await ticket_service.create_ticket(
        services, category=form["category"], description=form["description"], channel="assisted",
        language=form["language"], conversation_id=None, address=form["address"] or None,  # type: ignore[arg-type]
        location=point if isinstance(point, GeoPoint) else None, photos=prepared, citizen=citizen,
        actor=member.actor,
    )
    intake = {"centre": centre.id, "centre_name": {"el": centre.name_el, "en": centre.name_en},
              "clerk": member.username}
    await set_intake_centre(services.store, member.username, centre.id)
    token = status_link.new_token()
    await services.store.tickets.update_one({"reference": ticket["reference"]},
                                            {"$set": {"intake": intake, "status_token": token}})
    await audit(request, "intake.create", target=ticket["reference"], category=form["category"], centre=centre.id,
                photos=len(prepared), pin=isinstance(point, GeoPoint))
    raise web.HTTPSeeOther(f"{PREFIX}/intake/{ticket['reference']}/receipt")


def public_base_url(request: web.Request, settings: Settings) -> str:
    """Where residents reach this service: ``PUBLIC_URL``, else the address the clerk's browser used."""
    return settings.public_url or f"{request.scheme}://{request.host}"


def office(settings: Settings, lang: str) -> dict[str, str]:
    hours = settings.citizen_office_hours_en if lang == "en" and settings.citizen_office_hours_en else \
        settings.citizen_office_hours
    return {"phone": settings.citizen_office_phone, "address": settings.citizen_office_address, "hours": hours}


@requires("intake")
async def receipt(request: web.Request) -> web.StreamResponse:
    ref = parse_reference(request.match_info["reference"])
    services = services_of(request)
    ticket = await ticket_service.get_ticket(services, ref) if ref else None
    if ticket is None or ticket.get("channel") != "assisted":
        return error_page(request, 404, "errors.not_found")
    lang = ticket.get("language") or "el"
    url = status_link.status_url(public_base_url(request, services.settings), ticket["status_token"]) \
        if ticket.get("status_token") else ""
    centre_name = ((ticket.get("intake") or {}).get("centre_name") or {})
    return render(request, "receipt.html", {
        "ticket": ticket, "rt": texts_for(lang), "resident": Texts(lang),
        "status_url": url, "qr": Markup(status_link.qr_svg(url)) if url else "",  # noqa: S704 - our own SVG
        "office": office(services.settings, lang), "centre_name": centre_name.get(lang) or centre_name.get("el"),
        "phone": phones.display((ticket.get("citizen") or {}).get("phone")),
    })
