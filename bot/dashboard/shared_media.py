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
from bot.core.geo import haversine_m
from bot.core.models import GeoPoint, Language
from bot.core.settings import Settings
from bot.dashboard.core import PREFIX, url_quote
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


def _box(points: list[GeoPoint]) -> dict[str, Any]:
    d_lat = STREET_RADIUS_M * _DEGREES_PER_M
    d_lon = d_lat / max(0.1, min(math.cos(math.radians(p.lat)) for p in points))
    return {"found": True,
            "lat": {"$gte": min(p.lat for p in points) - d_lat, "$lte": max(p.lat for p in points) + d_lat},
            "lon": {"$gte": min(p.lon for p in points) - d_lon, "$lte": max(p.lon for p in points) + d_lon}}


async def nearest_streets(store: Store, points: list[GeoPoint]) -> list[str]:
    """For each point, the nearest street the geocoder has found before within :data:`STREET_RADIUS_M` ("" when
    none): one query for the box around all of them, then a grid of cells about the radius wide."""
    if not points:
        return []
    cell = STREET_RADIUS_M * _DEGREES_PER_M * 2  # degrees; a point's candidates are in its cell and the next ones
    grid: dict[tuple[int, int], list[tuple[GeoPoint, str]]] = {}
    try:
        async for doc in store.geocodes.find(_box(points), {"lat": 1, "lon": 1, "display_name": 1}).limit(20_000):
            street = street_of(str(doc.get("display_name") or ""))
            if street:
                key = (math.floor(doc["lat"] / cell), math.floor(doc["lon"] / cell))
                grid.setdefault(key, []).append((GeoPoint(doc["lat"], doc["lon"]), street))
    except PyMongoError:
        return [""] * len(points)
    out = []
    for point in points:
        row, col = math.floor(point.lat / cell), math.floor(point.lon / cell)
        candidates = [c for dr in (-1, 0, 1) for dc in (-1, 0, 1) for c in grid.get((row + dr, col + dc), ())]
        best, best_m = "", STREET_RADIUS_M
        for where, street in candidates:
            metres = haversine_m(point, where)
            if metres <= best_m:
                best, best_m = street, metres
        out.append(best)
    return out


async def nearest_street(store: Store, point: GeoPoint) -> str:
    """The nearest street the geocoder has found before, within :data:`STREET_RADIUS_M`; "" when none."""
    return (await nearest_streets(store, [point]))[0]


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
    points = [GeoPoint(m["location"]["lat"], m["location"]["lon"]) for m in messages if m.get("location")]
    streets = iter(await nearest_streets(store, points))
    out = []
    for m in messages:
        extra: dict[str, Any] = {}
        loc = m.get("location")
        if loc:
            point = GeoPoint(loc["lat"], loc["lon"])
            extra["place"] = {"map": osm_url(point.lat, point.lon), "street": next(streets),
                              "area": area_of(point, lang)}
        if show_photos and m.get("attachments"):
            extra["photos"] = photo_views(m, settings)
        out.append({**m, **extra} if extra else m)
    return out
