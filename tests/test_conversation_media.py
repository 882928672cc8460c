"""What a clerk sees of a shared location and a photo in a conversation (QA F14): a link to the map with the street
and area, a thumbnail that opens the photo through this service — never a platform URL in the staff page. Over
real HTTP: the whole service (Telegram webhook, pipeline, fake Bot API that serves files, stub NLU)."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image

from bot.core.models import Attachment, Inbound
from bot.staff.accounts import create_staff
from tests.fixtures.dashboard import PASSWORD, staff_login
from tests.fixtures.service import TELEGRAM_TOKEN

HALEPA = (35.51120, 24.03310)  # Ελευθερίου Βενιζέλου, Χαλέπα (inside the neighbourhood of data/alert_areas.geojson)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 90, 160)).save(out, "JPEG")
    return out.getvalue()


async def test_a_location_and_a_photo_sent_during_a_take_over_show_as_map_link_and_thumbnail(
        staff_service_stub_nlu: Any) -> None:
    service, uid = staff_service_stub_nlu, 8201
    conv_id = f"telegram:{uid}"
    jpeg = _jpeg()
    # the geocoder found this street before (its cache holds no person: the query and the place)
    await service.store.geocodes.insert_one({"_id": "ελευθεριου βενιζελου 45", "found": True, "lat": 35.51125,
                                             "lon": 24.03300, "display_name": "45, Ελευθερίου Βενιζέλου, Χαλέπα, "
                                                                              "Χανιά, Περιφέρεια Κρήτης, Ελλάδα"})
    await service.telegram(service.tg.message(uid, "θελω να μιλησω με υπαλληλο"))
    await service.idle()
    client = await staff_login(service.url, "operator")
    try:
        _, page, _ = await client.get(f"/staff/conversations/telegram%3A{uid}")
        _, page, _ = await client.post(f"/staff/conversations/telegram%3A{uid}/take-over", {})
        photo_update = service.tg.photo(uid, file_size=len(jpeg), caption="ετσι ειναι το υπογειο")
        file_id = photo_update["message"]["photo"][-1]["file_id"]  # the largest size, the one the adapter keeps
        service.fake_telegram.files[file_id] = jpeg
        assert (await service.telegram(service.tg.location(uid, *HALEPA))).status == 200
        assert (await service.telegram(photo_update)).status == 200
        await service.idle()
        # a web-chat photo is an upload this service already serves (same origin): linked as it is
        web_chat_photo = "/chat/photos/tok-abcdefghijklmnopqrstuvwx"
        await service.runtime.pipeline.accept(Inbound(
            channel="webchat", user_id="w-1", chat_id="w-1", message_id="w-1:up-1",
            attachments=(Attachment(kind="photo", url=web_chat_photo, size=51_000),)))
        await service.idle()

        status, page, _ = await client.get(f"/staff/conversations/telegram%3A{uid}")
        assert status == 200
        (place,) = re.findall(r'<p class="extra shared-location">.*?</p>', page, re.S)
        assert 'href="https://www.openstreetmap.org/?mlat=35.51120&amp;mlon=24.03310#map=18/35.51120/24.03310"' in place
        assert ">Ελευθερίου Βενιζέλου 45</a>" in place and "Χαλέπα" in place and "35,51120; 24,03310" in place
        assert 'rel="noopener noreferrer"' in place
        stored = await service.store.messages.find_one({"conversation_id": conv_id, "attachments.0": {"$exists": 1}})
        src = f"/staff/conversations/telegram%3A{uid}/photos/{stored['_id'].replace(':', '%3A')}/0"
        assert f'<a href="{src}" target="_blank" rel="noopener"><img src="{src}" alt="Φωτογραφία 1"' in page
        assert "Συνημμένα" not in page and TELEGRAM_TOKEN not in page and file_id not in page
        assert "ετσι ειναι το υπογειο" in page

        async with client.session.get(service.url + src) as got:  # the service fetched it from the Bot API
            assert got.status == 200 and got.headers["Content-Type"] == "image/jpeg" and await got.read() == jpeg
        # only this conversation's inbound photos: another message id, an index past the end → 404
        assert (await client.get(src.replace("/0", "/1")))[0] == 404
        other = src.replace(f"telegram%3A{uid}/", "webchat%3Aw-1/")
        assert (await client.get(other))[0] == 404
        # the web-chat photo: its own same-origin address on the page, and the proxy route sends there
        _, web_page, _ = await client.get("/staff/conversations/webchat%3Aw-1")
        assert f'<img src="{web_chat_photo}"' in web_page
        async with client.session.get(service.url + "/staff/conversations/webchat%3Aw-1/photos/webchat%3Aw-1%3Aup-1/0",
                                      allow_redirects=False) as got:
            assert got.status == 303 and got.headers["Location"] == web_chat_photo
        # a Viber "photo" on another host is never fetched nor linked: the page says where it is, the proxy refuses
        await service.runtime.pipeline.accept(Inbound(
            channel="viber", user_id="v-1", chat_id="v-1", message_id="v-msg-1",
            attachments=(Attachment(kind="photo", url="https://attacker.example/p.jpg", size=40_960),)))
        await service.idle()
        _, viber_page, _ = await client.get("/staff/conversations/viber%3Av-1")
        assert "attacker.example" not in viber_page and "Φωτογραφία 1 (40 KB) στο Viber" in viber_page
        assert (await client.get("/staff/conversations/viber%3Av-1/photos/viber%3Av-msg-1/0"))[0] == 502
    finally:
        await client.close()

    # not logged in, or a role without the monitor (a department): no photo
    async with service.http.get(service.url + src, allow_redirects=False) as got:
        assert got.status == 303 and got.headers["Location"].startswith("/staff/login")
    await create_staff(service.store, "fotismos", "department", ["lighting"], PASSWORD)
    dept = await staff_login(service.url, "fotismos")
    try:
        assert (await dept.get(src))[0] == 403
    finally:
        await dept.close()
