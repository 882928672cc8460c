"""The geocoder of typed addresses (bot/tickets/geocoding.py) against a fake Nominatim on loopback: the request it
makes (format, bounded viewbox, country, user agent), one request per second, the MongoDB cache, answers outside the
municipality, and failures that never block."""

from __future__ import annotations

import asyncio
from itertools import count, pairwise

import pytest

from bot.store import open_store
from bot.tickets.boundary import municipality
from bot.tickets.geocoding import Geocoder
from tests.fakes.nominatim import FakeNominatim

_ids = count(1)
KISSAMOU = (35.5135, 24.0105)



async def _geocoder(fake: FakeNominatim, min_delay_s: float = 0.0) -> Geocoder:
    store = await open_store(None, f"geocoding_{next(_ids)}")
    return Geocoder(fake.url, "chania-test/1.0 (tests)", store, timeout_s=2, min_delay_s=min_delay_s)


async def test_found_inside_the_municipality_with_the_right_request(nominatim: FakeNominatim) -> None:
    nominatim.add("κισσάμου 40", *KISSAMOU, "Κισσάμου, Χανιά, Δήμος Χανίων, 73131, Ελλάς")
    geocoder = await _geocoder(nominatim)
    place = await geocoder.locate("Κισσάμου 40")
    await geocoder.close()
    assert place is not None and (place.point.lat, place.point.lon) == pytest.approx(KISSAMOU)
    assert place.display_name.startswith("Κισσάμου, Χανιά")
    (req,) = nominatim.requests
    assert req.params["q"] == "Κισσάμου 40, Χανιά" and req.params["format"] == "json"
    assert req.params["bounded"] == "1" and req.params["countrycodes"] == "gr"
    south, west, north, east = municipality().bounds
    lon1, lat1, lon2, lat2 = (float(v) for v in req.params["viewbox"].split(","))
    assert (min(lat1, lat2), min(lon1, lon2), max(lat1, lat2), max(lon1, lon2)) == pytest.approx(
        (south, west, north, east))
    assert req.user_agent == "chania-test/1.0 (tests)"


async def test_cached_by_normalised_query(nominatim: FakeNominatim) -> None:
    nominatim.add("κισσάμου 40", *KISSAMOU, "Κισσάμου, Χανιά")
    geocoder = await _geocoder(nominatim)
    for spelling in ("Κισσάμου 40", "ΚΙΣΣΑΜΟΥ 40", "κισσαμου 40"):
        assert await geocoder.locate(spelling) is not None
    assert await geocoder.locate("Πουθενά 1") is None
    assert await geocoder.locate("πουθενα 1") is None  # a miss is cached too
    await geocoder.close()
    assert len(nominatim.requests) == 2
    doc = await geocoder.store.geocodes.find_one({"_id": "κισσαμου 40"})
    assert doc["found"] is True and set(doc) == {"_id", "at", "found", "lat", "lon", "display_name"}


async def test_one_request_per_second(nominatim: FakeNominatim) -> None:
    geocoder = await _geocoder(nominatim, min_delay_s=1.0)
    await asyncio.gather(*(geocoder.locate(f"Οδός {i}") for i in range(3)))
    await geocoder.close()
    times = sorted(r.at for r in nominatim.requests)
    assert len(times) == 3
    assert min(b - a for a, b in pairwise(times)) >= 0.95


async def test_outside_the_municipality_or_failing_is_not_found(nominatim: FakeNominatim) -> None:
    nominatim.add("ρεθύμνου", 35.3693, 24.4737, "Ρέθυμνο, Ελλάς")  # a Rethymno answer despite the box
    geocoder = await _geocoder(nominatim)
    assert await geocoder.locate("Ρεθύμνου 3") is None
    nominatim.status = 503
    assert await geocoder.locate("Χάληδων 10") is None
    await geocoder.close()
    stopped = await _geocoder(nominatim)
    await nominatim.stop()  # nobody listening
    assert await stopped.locate("Τζανακάκη 5") is None
    await stopped.close()
