"""``POST requests``: a request from another system becomes a ticket (channel ``open311``) through
:func:`bot.tickets.create_ticket`, after every field is checked (all invalid fields are reported at once).

Stored: category (from ``service_code``), the answers to its attributes (``attribute[code]``, checked against the
service definition in ``data/categories.yaml``; ``attributes`` on the ticket), description, position
(``lat``/``long``, inside the municipality) and/or ``address_string`` (placed on the map by the geocoder when one
is configured, and refused when it names a place outside the municipality), ``media_url`` as a photo awaiting staff
approval, and — for a call-back only — the name and a valid phone number. ``email``, ``device_id`` and
``account_id`` are not stored (the municipality does not need them to do the work). The ticket records which key
filed it (``open311.key_id``, ``open311.client``). The same duplicate check as the chat runs: an open ticket of
the category nearby is named in ``service_notice`` and kept on the new ticket as ``possible_duplicate_of`` for
staff to decide.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot import tickets
from bot.core.i18n import Texts
from bot.core.models import GeoPoint, Language
from bot.core.services import Services
from bot.open311.formats import parse_w3c
from bot.open311.keys import ApiKey
from bot.tickets import phones
from bot.tickets.boundary import municipality
from bot.tickets.categories import Attribute, Category, categories
from bot.tickets.geocoding import geocoder_of

MAX_ADDRESS = 300
MAX_NAME = 100
MAX_URL = 2000
MAX_ATTRIBUTE = {"string": 200, "text": 2000}


class Invalid(ValueError):
    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(errors[0][1])
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Created:
    reference: str
    service_code: str
    notice: str | None


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _position(fields: Mapping[str, str], texts: Texts, errors: list[tuple[int, str]]) -> GeoPoint | None:
    lat_s, lon_s = fields.get("lat", "").strip(), fields.get("long", "").strip()
    if not lat_s and not lon_s:
        return None
    if not lat_s or not lon_s:
        errors.append((400, texts("open311.errors.lat_long_pair")))
        return None
    lat, lon = _number(lat_s), _number(lon_s)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        errors.append((400, texts("open311.errors.lat_long")))
        return None
    point = GeoPoint(lat=lat, lon=lon)
    if not municipality().contains(point):
        errors.append((400, texts("open311.errors.outside")))
        return None
    return point


def _citizen(fields: Mapping[str, str], texts: Texts, errors: list[tuple[int, str]]) -> dict[str, str]:
    citizen: dict[str, str] = {}
    name = " ".join(" ".join((fields.get("first_name", ""), fields.get("last_name", ""))).split())
    if len(name) > MAX_NAME:
        errors.append((400, texts("open311.errors.too_long", field="first_name/last_name", max=MAX_NAME)))
    elif name:
        citizen["name"] = name
    phone = fields.get("phone", "").strip()
    if phone:
        if (e164 := phones.normalise(phone[:40])) is None:
            errors.append((400, texts("open311.errors.phone")))
        else:
            citizen["phone"] = e164
    return citizen


def _media(fields: Mapping[str, str], texts: Texts, errors: list[tuple[int, str]]) -> list[dict[str, Any]]:
    url = fields.get("media_url", "").strip()
    if not url:
        return []
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        errors.append((400, texts("open311.errors.media_url")))
        return []
    return [{"file_id": None, "url": url, "size": None, "approved": False}]


def _attribute_value(attribute: Attribute, value: str, texts: Texts, errors: list[tuple[int, str]]) -> Any:
    field = f"attribute[{attribute.code}]"
    if attribute.datatype in ("singlevaluelist", "multivaluelist"):
        if value not in {v.key for v in attribute.values}:
            errors.append((400, texts("open311.errors.attribute_value", field=field, value=value[:40],
                                      allowed=", ".join(v.key for v in attribute.values))))
        return value
    if attribute.datatype == "number":
        if (number := _number(value)) is None:
            errors.append((400, texts("open311.errors.attribute_number", field=field)))
        return number
    if attribute.datatype == "datetime":
        at = parse_w3c(value)
        if at is None:
            errors.append((400, texts("open311.errors.date", field=field)))
        return at
    if len(value) > MAX_ATTRIBUTE[attribute.datatype]:
        errors.append((400, texts("open311.errors.too_long", field=field, max=MAX_ATTRIBUTE[attribute.datatype])))
    return value


def _attributes(category: Category, given: Mapping[str, list[str]], texts: Texts,
                errors: list[tuple[int, str]]) -> dict[str, Any]:
    """The answers to the category's attributes (the service definition), checked; ``{code: value}``."""
    known = {a.code for a in category.attributes}
    for code in sorted(set(given) - known):
        errors.append((400, texts("open311.errors.attribute_unknown", field=f"attribute[{code[:40]}]",
                                  code=category.service_code)))
    answers: dict[str, Any] = {}
    for attribute in category.attributes:
        values = [v.strip() for v in given.get(attribute.code, ()) if v.strip()]
        if not values:
            if attribute.required:
                errors.append((400, texts("open311.errors.required", field=f"attribute[{attribute.code}]")))
            continue
        if attribute.datatype != "multivaluelist" and len(values) > 1:
            errors.append((400, texts("open311.errors.attribute_single", field=f"attribute[{attribute.code}]")))
            continue
        checked = [_attribute_value(attribute, v, texts, errors) for v in values]
        answers[attribute.code] = checked if attribute.datatype == "multivaluelist" else checked[0]
    return answers


def attribute_answers(ticket: Mapping[str, Any], lang: Language) -> list[tuple[str, str]]:
    """The ticket's answers to its category's attributes as (question, answer) in ``lang``, for staff."""
    category = categories().get(ticket.get("category") or "")
    given = ticket.get("attributes") or {}
    out: list[tuple[str, str]] = []
    for attribute in category.attributes if category else ():
        if attribute.code not in given:
            continue
        names = {v.key: v.name.get(lang) for v in attribute.values}
        value = given[attribute.code]
        values = value if isinstance(value, list) else [value]
        out.append((attribute.description.get(lang), ", ".join(names.get(str(v), str(v)) for v in values)))
    return out


async def create_request_from_form(services: Services, fields: Mapping[str, str], texts: Texts, *,
                                   key: ApiKey, attributes: Mapping[str, list[str]] | None = None) -> Created:
    """Check the form of a ``POST requests`` and file the ticket; :class:`Invalid` with every error."""
    errors: list[tuple[int, str]] = []
    code = fields.get("service_code", "").strip()
    category = categories().by_service_code(code) if code else None
    if not code:
        errors.append((400, texts("open311.errors.required", field="service_code")))
    elif category is None:
        errors.append((400, texts("open311.errors.unknown_service_code", code=code)))
    point = _position(fields, texts, errors)
    address = " ".join(fields.get("address_string", "").split())
    if len(address) > MAX_ADDRESS:
        errors.append((400, texts("open311.errors.too_long", field="address_string", max=MAX_ADDRESS)))
    elif address and point is None and municipality().outside_place_named(address) is not None:
        errors.append((400, texts("open311.errors.outside")))
    if not fields.get("lat", "").strip() and not fields.get("long", "").strip() and not address:
        message = "open311.errors.address_id" if fields.get("address_id", "").strip() else "open311.errors.location"
        errors.append((400, texts(message)))
    description = fields.get("description", "").strip()
    if len(description) > tickets.MAX_DESCRIPTION:
        errors.append((400, texts("open311.errors.too_long", field="description", max=tickets.MAX_DESCRIPTION)))
    citizen = _citizen(fields, texts, errors)
    photos = _media(fields, texts, errors)
    answers = _attributes(category, attributes or {}, texts, errors) if category else {}
    if errors or category is None:
        raise Invalid(errors)

    settings = services.settings
    if point is None and address and (geocoder := geocoder_of(services)) is not None:
        place = await geocoder.locate(address, texts.lang)  # None when not found: the typed address stays
        point = place.point if place else None
    nearby = await tickets.find_nearby_open(services, category.intent, point, radius_m=settings.duplicate_radius_m,
                                            days=settings.duplicate_days) if point else []
    ticket = await tickets.create_ticket(
        services, category=category.intent, description=description, channel="open311", language=texts.lang,
        location=point, address=address or None, photos=photos, citizen=citizen, actor=f"api_key:{key.name}")
    extra: dict[str, Any] = {"open311": {"key_id": key.id, "client": key.name}}
    if answers:
        extra["attributes"] = answers
    notice = None
    if nearby:
        extra["possible_duplicate_of"] = nearby[0]["reference"]
        notice = texts("open311.notice.possible_duplicate", reference=nearby[0]["reference"])
    await services.store.tickets.update_one({"reference": ticket["reference"]}, {"$set": extra})
    return Created(ticket["reference"], category.service_code, notice)
