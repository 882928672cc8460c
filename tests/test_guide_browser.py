"""The guide in a real headless Chromium (Debian's package, Playwright): the tourism office edits a sight and the
bot's next answer over the Telegram webhook shows the change (the text typed and the pin moved on the map; no tiles:
the map still takes clicks); a visitor on a phone in the web chat gets the nearby sights, a pin and a photo card."""

from __future__ import annotations

import io
import shutil
from typing import Any

import pytest
from PIL import Image

from bot.core.i18n import Texts
from bot.guide import photos, sights
from bot.guide.catalogue import KINDS, Catalogue
from bot.staff.accounts import create_staff
from tests.fixtures.dashboard import PASSWORD
from tests.fixtures.service import free_port

pytestmark = pytest.mark.browser
TIMEOUT = 10_000  # ms


async def test_editing_a_sight_in_the_browser_changes_the_bots_next_answer(page: Any, make_service: Any) -> None:
    service = await make_service(nlu_url=f"http://127.0.0.1:{free_port()}", nlu_token="unused",
                                 staff_map_tiles_url=None)
    await create_staff(service.store, "eleni", "tourism", [], PASSWORD)
    await page.goto(f"{service.url}/staff/")
    await page.fill("#username", "eleni")
    await page.fill("#password", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_url("**/staff/**", timeout=TIMEOUT)

    await page.goto(f"{service.url}/staff/guide")
    await page.click("#sight-balos a")
    await page.wait_for_url("**/staff/guide/balos", timeout=TIMEOUT)
    await page.locator("#sight-map .leaflet-marker-icon").wait_for(timeout=TIMEOUT)  # the pin, without tiles
    before = (await page.input_value("#lat"), await page.input_value("#lon"))
    await page.locator("#sight-map").scroll_into_view_if_needed()
    box = await page.locator("#sight-map").bounding_box()  # in the viewport, where the mouse clicks
    assert box["height"] > 100  # the map has a size (staff.css)
    await page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)  # up and to the left
    after = (await page.input_value("#lat"), await page.input_value("#lon"))
    assert after != before and float(after[0]) > float(before[0]) and float(after[1]) < float(before[1])
    await page.fill("#description-en", "Checked in December by the tourism office: the road is open again.")
    await page.click("#sight-save")
    await page.wait_for_url("**/staff/guide/balos?done=guide_saved", timeout=TIMEOUT)
    assert await page.locator(".flash.ok").count() == 1
    assert page.problems == []  # no script errors, no CSP violations

    user = 9201
    resp = await service.telegram(service.tg.callback(user, "tour:info:balos", language_code="en"))
    assert resp.status == 200
    await service.idle()
    [message] = await service.fake_telegram.wait_for(user, method="sendMessage")
    assert "Checked in December by the tourism office: the road is open again." in message.body["text"]
    [venue] = await service.fake_telegram.wait_for(user, method="sendVenue")
    assert (round(float(venue.body["latitude"]), 6), round(float(venue.body["longitude"]), 6)) == (
        float(after[0]), float(after[1]))


@pytest.mark.rasa
async def test_a_visitor_on_a_phone_in_the_old_town_gets_sights_a_pin_and_a_photo_card(make_service: Any) -> None:
    """English visitor, phone-sized Chromium, location in the old town: what is near, the pin's map link, then the
    card of Balos with its photo (same origin, loaded) and the boat from Kissamos."""
    service = await make_service()
    await sights.seed_if_empty(service.store)
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 160, 200)).save(buf, "JPEG")
    photo_id = await photos.add_photo(service.store, "balos", buf.getvalue())
    await sights.bump_version(service.store)
    en, total = Texts("en"), len(Catalogue.load().of(KINDS["nearby"]))
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (test.sh installs it)"
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = await browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844},
                                            geolocation={"latitude": 35.5153, "longitude": 24.0177},
                                            permissions=["geolocation"])
        page = await context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(f"{service.url}/chat")
        await page.locator(".msg.out").first.wait_for(timeout=TIMEOUT)  # the greeting

        await page.locator("#text").fill("what's near me?")
        await page.keyboard.press("Enter")
        await page.locator(".msg.out", has_text=en("tourism.ask_location")[:40]).wait_for(timeout=TIMEOUT)
        await page.locator("#locate").click()
        title = en("tourism.title_nearby", first=1, last=5, total=total)
        listing = page.locator(".msg.out", has_text=title)
        await listing.wait_for(timeout=TIMEOUT)
        text = await listing.inner_text()
        assert "1. Chania Old Town — 10 m" in text  # the location is in the old town itself
        pin = listing.locator("a.map")
        assert await pin.inner_text() == "📍 Chania Old Town — " + en("webchat.open_map")
        assert (await pin.get_attribute("href") or "").startswith("https://www.openstreetmap.org/?mlat=35.51530")

        async with page.expect_response(f"**/guide/photos/{photo_id}/card.jpg") as photo_response:
            await page.locator("#text").fill("tell me about Balos")
            await page.keyboard.press("Enter")
            card = page.locator(".msg.out", has_text="🏖 Balos Lagoon (Μπάλος)")
            await card.wait_for(timeout=TIMEOUT)
        assert (await photo_response.value).status == 200  # the photo is shown, from this service
        assert await card.locator("img").count() == 1
        assert en("tourism.boat_there", route="Kissamos (Kavonisi) – Gramvousa – Balos",
                  port="Kissamos Port (Kavonisi)") in await card.inner_text()
        await browser.close()
    assert problems == []  # no script error, no CSP violation, no image that fails to load
