"""Typed addresses on the map: a Nominatim geocoder (self-hosted or public) through geopy, optional.

* ``GEOCODER_URL`` (e.g. ``https://nominatim.openstreetmap.org``) enables it; unset, reports keep the typed text and
  the person is asked for a pin. ``GEOCODER_USER_AGENT`` names the service, as Nominatim's usage policy asks.
* geopy's :class:`~geopy.adapters.AioHTTPAdapter` keeps the event loop free; its
  :class:`~geopy.extra.rate_limiter.AsyncRateLimiter` keeps to one request per second (``GEOCODER_MIN_DELAY_S``).
* Searches are bounded to the municipality's bounding box (``viewbox`` + ``bounded=1``, ``countrycodes=gr``) and an
  answer outside the municipality's outline counts as not found.
* Answers (found or not) are cached in the ``geocodes`` collection by the normalised query, so the same street is
  asked once; the cache holds no person: only the query text and the place.
* Any failure (timeout, HTTP error, bad JSON) is "not found": the report is never blocked by the geocoder.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from geopy.adapters import AioHTTPAdapter
from geopy.exc import GeopyError
from geopy.extra.rate_limiter import AsyncRateLimiter
from geopy.geocoders import Nominatim
from pymongo.errors import PyMongoError

from bot.core.models import GeoPoint, utcnow
from bot.store import Store
from bot.tickets.boundary import Municipality, municipality
from nlu.chania_text import normalize

log = logging.getLogger(__name__)

MAX_QUERY = 200
CITY_SUFFIX = "Χανιά"  # added to a bare street name so Nominatim looks in the right town


@dataclass(frozen=True, slots=True)
class Place:
    point: GeoPoint
    display_name: str


def cache_key(query: str) -> str:
    return normalize(query)[:MAX_QUERY]


class Geocoder:
    def __init__(self, url: str, user_agent: str, store: Store, *, timeout_s: float = 5.0,
                 min_delay_s: float = 1.0, area: Municipality | None = None) -> None:
        parts = urlsplit(url)
        self.store = store
        self.area = area or municipality()
        self._nominatim = Nominatim(domain=parts.netloc + parts.path.rstrip("/"), scheme=parts.scheme,
                                    user_agent=user_agent, timeout=timeout_s, adapter_factory=AioHTTPAdapter)
        self._geocode = AsyncRateLimiter(self._nominatim.geocode, min_delay_seconds=min_delay_s, max_retries=0,
                                         swallow_exceptions=False)
        south, west, north, east = self.area.bounds
        self._viewbox = [(north, west), (south, east)]
        self._open = False
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        if self._open:
            self._open = False
            await self._nominatim.__aexit__(None, None, None)

    async def locate(self, query: str, language: str = "el") -> Place | None:
        """The place a typed address names inside the municipality, or None (not found, or no answer)."""
        key = cache_key(query)
        if not key:
            return None
        try:
            cached = await self.store.geocodes.find_one({"_id": key})
        except PyMongoError:
            cached = None
        if cached is not None:
            return _place(cached)
        found = await self._ask(query, language)
        doc: dict[str, Any] = {"_id": key, "at": utcnow(), "found": found is not None}
        if found is not None:
            doc |= {"lat": found.point.lat, "lon": found.point.lon, "display_name": found.display_name}
        try:
            await self.store.geocodes.replace_one({"_id": key}, doc, upsert=True)
        except PyMongoError:
            log.warning("geocoder cache unavailable")
        return found

    async def _ask(self, query: str, language: str) -> Place | None:
        text = query.strip()[:MAX_QUERY]
        if "χανι" not in normalize(text) and "chani" not in normalize(text):
            text = f"{text}, {CITY_SUFFIX}"
        try:
            async with self._lock:  # one at a time: the rate limiter spaces them by its delay
                if not self._open:
                    await self._nominatim.__aenter__()
                    self._open = True
                location = await self._geocode(text, exactly_one=True, viewbox=self._viewbox, bounded=True,
                                               country_codes="gr", language=language, addressdetails=False)
        except (GeopyError, TimeoutError, OSError, ValueError) as exc:
            log.warning("geocoder failed", extra={"error": type(exc).__name__})
            return None
        if location is None:
            return None
        point = GeoPoint(float(location.latitude), float(location.longitude))
        if not self.area.contains(point):
            return None
        return Place(point, str(location.address or text)[:300])


def _place(doc: dict[str, Any]) -> Place | None:
    if not doc.get("found"):
        return None
    return Place(GeoPoint(doc["lat"], doc["lon"]), doc.get("display_name") or "")


EXTRA = "geocoder"  # services.extras key


def geocoder_of(services: Any) -> Geocoder | None:
    return services.extras.get(EXTRA)


def setup_geocoding(app: Any, services: Any) -> None:
    """With ``GEOCODER_URL`` set: the geocoder on ``services.extras``, closed when the app stops."""
    s = services.settings
    if not s.geocoder_url:
        return
    geocoder = Geocoder(s.geocoder_url, s.geocoder_user_agent, services.store, timeout_s=s.geocoder_timeout_s,
                        min_delay_s=s.geocoder_min_delay_s)
    services.extras[EXTRA] = geocoder

    async def close(_app: Any) -> None:
        await geocoder.close()

    app.on_cleanup.append(close)
