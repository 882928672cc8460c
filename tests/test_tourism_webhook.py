"""One nearby-sights exchange end to end in each channel (one list message and one pin per page): the real app
over HTTP, fake Telegram and Viber APIs.

A shared location needs no NLU (the pipeline does not parse an empty text, and a bare location outside any flow is
routed to ``tourist_nearby``), so these tests point the service at a closed NLU port: they check the webhook →
pipeline → tourism handler → adapter path, not Rasa.
"""

from __future__ import annotations

import html
from typing import Any

from bot.core.geo import haversine_m
from bot.core.i18n import Texts
from bot.core.models import GeoPoint
from bot.guide.catalogue import KINDS, Catalogue
from tests.fixtures.people import ViberPerson
from tests.fixtures.service import Service, free_port
from tests.fixtures.viber import FakeViberApi, location_message, text_message

HARBOUR = GeoPoint(35.5175, 24.0180)


def nearest(origin: GeoPoint, n: int) -> list[Any]:
    pois = Catalogue.load().of(KINDS["nearby"])
    return sorted(pois, key=lambda p: haversine_m(origin, p.point))[:n]


async def _service(make_service: Any) -> Service:
    return await make_service(nlu_url=f"http://127.0.0.1:{free_port()}", nlu_token="unused")


async def test_telegram_location_gets_venues_of_the_nearest_sights_and_more_pages(make_service: Any) -> None:
    service = await _service(make_service)
    user = 6101
    expected = nearest(HARBOUR, 10)

    resp = await service.telegram(service.tg.location(user, HARBOUR.lat, HARBOUR.lon))
    assert resp.status == 200
    await service.idle()
    [venue] = await service.fake_telegram.wait_for(user, count=1, method="sendVenue")  # one pin: the nearest
    assert (float(venue.body["latitude"]), float(venue.body["longitude"])) == (expected[0].lat, expected[0].lon)
    assert venue.body["title"] == expected[0].name.el  # Greek user, Greek names
    assert " · " in venue.body["address"]  # "10 μ. · Μνημείο"
    [listing] = service.fake_telegram.sent(user, "sendMessage")
    assert listing.body["text"].startswith(Texts("el")("tourism.title_nearby", first=1, last=5, total=85))
    assert all(p.name.el in listing.body["text"] for p in expected[:5])
    keyboard = [b for row in listing.reply_markup["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in keyboard][:5] == [f"tour:info:{p.id}" for p in expected[:5]]
    more = next(b["callback_data"] for b in keyboard if b["callback_data"].startswith("tour:more:"))

    resp = await service.telegram(service.tg.callback(user, more))
    assert resp.status == 200
    await service.idle()
    venues = await service.fake_telegram.wait_for(user, count=2, method="sendVenue")
    assert venues[1].body["title"] == expected[5].name.el
    page2 = service.fake_telegram.sent(user, "sendMessage")[1].body["text"]
    assert all(f"{n}. {p.name.el}" in page2 for n, p in enumerate(expected[5:10], start=6))
    stored = await service.store.conversations.find_one({"_id": f"telegram:{user}"})
    assert stored is not None and stored.get("flow") is None


async def test_viber_location_gets_pins_of_the_nearest_sights_and_the_more_button_works(
        make_service: Any, fake_viber: FakeViberApi) -> None:
    service = await _service(make_service)
    uid = "tourist-viber-01=="
    expected = nearest(HARBOUR, 10)

    send = ViberPerson(service, fake_viber, uid, "en").send

    calls = await send(location_message(HARBOUR.lat, HARBOUR.lon))
    locations = [c.body for c in calls if c.body["type"] == "location"]
    assert [(b["location"]["lat"], b["location"]["lon"]) for b in locations] == [(expected[0].lat, expected[0].lon)]
    assert [c.body["type"] for c in calls] == ["text", "location"]  # the list, then the top result's pin
    texts = [c.body["text"] for c in calls if c.body["type"] == "text"]
    assert all(p.name.en in "\n".join(texts) for p in expected[:5])  # English user: English names
    assert sum(t.count("https://www.openstreetmap.org/") for t in texts) >= 5
    keyboard = calls[-1].body["keyboard"]["Buttons"]  # the keyboard rides on the last message only
    assert all("keyboard" not in c.body for c in calls[:-1])
    more = next(b for b in keyboard if b["ActionBody"].startswith("btn:tour:more:"))
    assert more["Text"] == html.escape(Texts("en")("tourism.button_more"), quote=False)

    calls = await send(text_message(more["ActionBody"]))
    locations = [c.body for c in calls if c.body["type"] == "location"]
    assert [(b["location"]["lat"], b["location"]["lon"]) for b in locations] == [(expected[5].lat, expected[5].lon)]
    assert all(p.name.en in calls[0].body["text"] for p in expected[5:10])
