"""The tourism office edits a sight in a real headless Chromium (Debian's package, Playwright) and the bot's next
answer over the Telegram webhook shows the change: the text typed and the pin moved on the map (no tiles: the
map still takes clicks)."""

from __future__ import annotations

from typing import Any

import pytest

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
