"""Issue 9, typed addresses on the map: the real service over the Telegram webhook with the real Rasa server and a
fake Nominatim on loopback (GEOCODER_URL). Found → shown back with a map pin to confirm, then the duplicate check
runs on that point; not found or failing → the text is kept, a pin is asked for, the report goes on."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import tickets
from bot.geo import EARTH_RADIUS_M
from bot.i18n import Texts
from bot.models import GeoPoint
from tests.fakes.nominatim import FakeNominatim
from tests.fixtures.people import TelegramPerson, finish

pytestmark = pytest.mark.rasa

EL, EN = Texts("el"), Texts("en")
KISSAMOU_40 = GeoPoint(35.5135, 24.0105)


@pytest.fixture
async def nominatim() -> AsyncIterator[FakeNominatim]:
    fake = FakeNominatim()
    await fake.start()
    yield fake
    await fake.stop()


async def _service(make_service: Any, nominatim: FakeNominatim) -> Any:
    return await make_service(geocoder_url=nominatim.url, geocoder_min_delay_s=0.0)



async def test_found_address_is_confirmed_with_a_pin_and_checked_for_duplicates(make_service: Any,
                                                                              nominatim: FakeNominatim) -> None:
    nominatim.add("κισσάμου 40", KISSAMOU_40.lat, KISSAMOU_40.lon, "Κισσάμου, Χανιά, Δήμος Χανίων, 73131, Ελλάς")
    service = await _service(make_service, nominatim)
    nearby = GeoPoint(KISSAMOU_40.lat + math.degrees(15 / EARTH_RADIUS_M), KISSAMOU_40.lon)
    other = await tickets.create_ticket(service.runtime.services, category="complaint_roads", description="λακκούβα",
                                        channel="viber", language="el", conversation_id="viber:x", location=nearby)
    eleni = TelegramPerson(service, 9301)
    await eleni.say("Μεγάλη λακκούβα στην Κισσάμου 40")
    assert EL("complaints.confirm_place", place="«Κισσάμου 40»") in eleni.texts
    await eleni.say("ναι")
    assert eleni.texts == [EL("complaints.geo_confirm", place="Κισσάμου, Χανιά, Δήμος Χανίων, 73131, Ελλάς")]
    (venue,) = [c for c in service.fake_telegram.sent(9301) if c.method == "sendVenue"]
    assert (float(venue.body["latitude"]), float(venue.body["longitude"])) == pytest.approx(
        (KISSAMOU_40.lat, KISSAMOU_40.lon))
    await eleni.say("ναι")
    assert other["reference"] in eleni.seen and "15 μ." in eleni.seen  # the duplicate check ran on the point
    await eleni.press(EL("complaints.new_anyway"))
    ref = await finish(eleni, EL)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Κισσάμου 40"
    assert ticket["location"]["coordinates"] == pytest.approx([KISSAMOU_40.lon, KISSAMOU_40.lat])
    assert nominatim.requests[0].params["q"] == "Κισσάμου 40, Χανιά"


async def test_declined_result_keeps_the_text_and_asks_for_a_pin(make_service: Any,
                                                                nominatim: FakeNominatim) -> None:
    nominatim.add("χάληδων 10", 35.5160, 24.0170, "Χάληδων, Χανιά, Ελλάς")
    service = await _service(make_service, nominatim)
    john = TelegramPerson(service, 9302, lang="en")
    await john.say("The street light at Chalidon 10 is out")
    await john.say("yes")
    assert john.texts == [EN("complaints.geo_confirm", place="Χάληδων, Χανιά, Ελλάς")]
    await john.say("no")
    assert john.texts == [EN("complaints.geo_declined"), EN("complaints.ask_photo", max_mb=10)]
    ref = await finish(john, EN)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Χάληδων 10" and ticket["location"] is None


@pytest.mark.parametrize("status", [503, 200])
async def test_geocoder_failing_or_not_finding_never_blocks(make_service: Any, nominatim: FakeNominatim,
                                                            status: int) -> None:
    nominatim.status = status  # 200 with no place known: an empty list, Nominatim's "not found"
    service = await _service(make_service, nominatim)
    maria = TelegramPerson(service, 9303)
    await maria.say("Σπασμένο πεζοδρόμιο στη Τζανακάκη 12")
    await maria.say("ναι")
    assert maria.texts == [EL("complaints.geo_not_found", place="«Τζανακάκη 12»"),
                           EL("complaints.ask_photo", max_mb=10)]
    ref = await finish(maria, EL)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Τζανακάκη 12"
