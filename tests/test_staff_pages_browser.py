"""The staff pages in a real headless Chromium, as the QA round of session 2 found them (qa-findings.md): a photo
and a location arriving live in a taken-over chat (F14), the ticket search's hint at 1280 px (F11)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image

from tests.test_dashboard_browser import TIMEOUT, eventually, log_in

pytestmark = pytest.mark.browser


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 120, 60)).save(out, "JPEG")
    return out.getvalue()


async def test_a_photo_and_a_location_arrive_live_as_a_thumbnail_and_a_map_link(page: Any,
                                                                                 staff_service: Any) -> None:
    service, uid = staff_service, 6671
    await service.say(uid, "Θέλω να μιλήσω με υπάλληλο, πλημμύρισε το υπόγειο")
    await log_in(page, service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await page.goto(f"{service.url}/staff/conversations/telegram%3A{uid}")
    await page.click("#take-over")
    await page.wait_for_selector("#reply-form", timeout=TIMEOUT)
    await page.locator("body[data-live='1']").wait_for(state="attached", timeout=TIMEOUT)

    update = service.tg.photo(uid, file_size=5000, caption="έτσι είναι το υπόγειο")
    service.fake_telegram.files[update["message"]["photo"][-1]["file_id"]] = _jpeg()
    await service.telegram(service.tg.location(uid, 35.51120, 24.03310))
    await service.telegram(update)
    link = page.locator("#transcript li.msg.in p.shared-location a.map-link")
    await link.wait_for(timeout=TIMEOUT)
    assert await link.get_attribute("href") == ("https://www.openstreetmap.org/?mlat=35.51120&mlon=24.03310"
                                                "#map=18/35.51120/24.03310")
    assert "35,51120; 24,03310" in await page.locator("#transcript p.shared-location").inner_text()
    img = page.locator("#transcript li.msg.in", has_text="έτσι είναι το υπόγειο").locator("ul.thumbs img")
    await img.wait_for(timeout=TIMEOUT)
    # the photo really loaded, through this service (the CSP allows no other host)
    assert await eventually(page, "(() => { const i = document.querySelector('#transcript ul.thumbs img');"
                                  " return i && i.complete && i.naturalWidth; })()") == 120
    assert (await img.get_attribute("src")).startswith(f"/staff/conversations/telegram%3A{uid}/photos/")

    # after a reload: the same, with the area's name from the boundary data
    await page.reload()
    place = await page.locator("#transcript p.shared-location").inner_text()
    assert "Χαλέπα" in place
    assert await eventually(page, "(() => { const i = document.querySelector('#transcript ul.thumbs img');"
                                  " return i && i.complete && i.naturalWidth; })()") == 120
    assert page.problems == [] and page.failed == []


async def test_the_ticket_search_hint_is_not_cut_at_1280_px(page: Any, staff_service: Any) -> None:
    await page.set_viewport_size({"width": 1280, "height": 900})
    await log_in(page, staff_service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await page.goto(f"{staff_service.url}/staff/tickets")
    for hint in ("Αριθμός, όνομα, περιγραφή ή διεύθυνση", "Reference, name, description or address"):
        if hint.startswith("Reference"):
            await page.click("form.lang-switch button[value=en]")
            await page.wait_for_url(re.compile(r"/staff/tickets$"), timeout=TIMEOUT)
        assert await page.locator("#ticket-search").get_attribute("placeholder") == hint
        # the hint's width in the box's own font against the room inside the box
        room, needed = await page.evaluate("""(() => {
            const box = document.getElementById('ticket-search'), style = getComputedStyle(box);
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = style.font;
            const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return [room, ctx.measureText(box.placeholder).width];
        })()""")
        assert needed <= room, (hint, needed, room)
    assert page.problems == [] and page.failed == []
