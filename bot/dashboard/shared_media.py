"""What a resident shared in a chat, as the staff see it in a transcript: a location as a link to the map with the
nearest known street and the area it falls in, a photo as a thumbnail that opens the photo.

- The map link is an OpenStreetMap URL (a link the clerk opens, never loaded into the staff page).
- The street is the nearest place in the geocoder's cache (``geocodes``, :mod:`bot.tickets.geocoding`) within
  :data:`STREET_RADIUS_M`; the area is the neighbourhood or municipal unit of ``data/alert_areas.geojson``.
- A photo's address is its own same-origin URL (web chat uploads) or this service's proxy
  (:func:`photo_path`, served by ``monitor.message_photo`` through :mod:`bot.tickets.photos`): the staff's
  browser never loads a Telegram or Viber URL.
"""

from __future__ import annotations

import math
from typing import Any

from pymongo.errors import PyMongoError

from bot.alerts.areas import alert_areas
from bot.dashboard.core import PREFIX, url_quote
from bot.geo import haversine_m
from bot.models import GeoPoint, Language
from bot.settings import Settings
from bot.store import Store
from bot.tickets import photos

STREET_RADIUS_M = 80.0
_DEGREES_PER_M = 1 / 111_000


def osm_url(lat: float, lon: float) -> str:
    return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=18/{lat:.5f}/{lon:.5f}"


def street_of(display_name: str) -> str:
    """``25, Ελευθερίου Βενιζέλου, Χαλέπα, Χανιά, …`` → ``Ελευθερίου Βενιζέλου 25``."""
    parts = [p.strip() for p in display_name.split(",") if p.strip()]
    number = ""
    for part in parts:
        if any(ch.isalpha() for ch in part):
            return f"{part} {number}".strip()
        number = number or part
    return ""


async def nearest_street(store: Store, point: GeoPoint) -> str:
    """The nearest street the geocoder has found before, within :data:`STREET_RADIUS_M`; "" when none."""
    d_lat = STREET_RADIUS_M * _DEGREES_PER_M
    d_lon = d_lat / max(0.1, math.cos(math.radians(point.lat)))
    query = {"found": True, "lat": {"$gte": point.lat - d_lat, "$lte": point.lat + d_lat},
             "lon": {"$gte": point.lon - d_lon, "$lte": point.lon + d_lon}}
    best, best_m = "", STREET_RADIUS_M
    try:
        async for doc in store.geocodes.find(query, {"lat": 1, "lon": 1, "display_name": 1}).limit(200):
            metres = haversine_m(point, GeoPoint(doc["lat"], doc["lon"]))
            street = street_of(str(doc.get("display_name") or ""))
            if street and metres <= best_m:
                best, best_m = street, metres
    except PyMongoError:
        return ""
    return best


def area_of(point: GeoPoint, lang: Language) -> str:
    areas = alert_areas().at(point)  # the neighbourhood first, then its unit
    return areas[0].name(lang) if areas else ""


def photo_path(conversation_id: str, message_id: str, index: int) -> str:
    return f"{PREFIX}/conversations/{url_quote(conversation_id)}/photos/{url_quote(message_id)}/{index}"


def photo_views(message: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    """Each photo of a message: ``src`` (None when it cannot be fetched) and its size in kB."""
    out = []
    for i, a in enumerate(message.get("attachments") or ()):
        if a.get("kind") != "photo":
            continue
        src = photos.local_url(a)
        if src is None and message.get("_id") and photos.can_fetch(a, message.get("channel"), settings):
            src = photo_path(str(message.get("conversation_id")), str(message["_id"]), i)
        out.append({"src": src, "size_kb": round((a.get("size") or 0) / 1024)})
    return out


async def with_media(messages: list[dict[str, Any]], store: Store, settings: Settings, lang: Language,
                     *, show_photos: bool = True) -> list[dict[str, Any]]:
    """The transcript with ``place`` (map link, street, area) on shared locations and ``photos`` on photos."""
    out = []
    for m in messages:
        extra: dict[str, Any] = {}
        loc = m.get("location")
        if loc:
            point = GeoPoint(loc["lat"], loc["lon"])
            extra["place"] = {"map": osm_url(point.lat, point.lon), "street": await nearest_street(store, point),
                              "area": area_of(point, lang)}
        if show_photos and m.get("attachments"):
            extra["photos"] = photo_views(m, settings)
        out.append({**m, **extra} if extra else m)
    return out
