"""The tourism office edits the guide (issue 13): /staff/guide over real HTTP on the whole service (webhooks,
pipeline, fake Bot API), and the bot's next answer shows the edit. Button presses and shared locations need no NLU,
so the service points at a closed NLU port."""

from __future__ import annotations

import html as html_lib
import io
import os
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from PIL import Image

from bot.channels.webchat import COOKIE
from bot.guide.hours import Opening
from bot.staff.accounts import create_staff
from tests.fixtures.dashboard import PASSWORD, StaffClient, staff_login
from tests.fixtures.service import Service, free_port
from tests.fixtures.viber import FakeViberApi, message_callback, signed, text_message


@pytest.fixture
async def service(make_service: Any) -> Service:
    svc = await make_service(nlu_url=f"http://127.0.0.1:{free_port()}", nlu_token="unused",
                             staff_map_tiles_url=None, public_url="https://bot.example.test",
                             max_body_bytes=4 * 1024 * 1024)
    await create_staff(svc.store, "eleni", "tourism", [], PASSWORD)
    await create_staff(svc.store, "kostas", "operator", [], PASSWORD)
    return svc


async def staff(service: Service, username: str) -> StaffClient:
    """Logged in to the full service (PUBLIC_URL https: Secure cookies)."""
    return await staff_login(service.url, username)


async def press(service: Service, user: int, payload: str, *, lang: str = "en") -> list[Any]:
    before = len(service.fake_telegram.sent(user))
    assert (await service.telegram(service.tg.callback(user, payload, language_code=lang))).status == 200
    await service.idle()
    await service.fake_telegram.wait_for(user, count=before + 1)
    return [c for c in service.fake_telegram.sent(user)[before:] if c.method != "answerCallbackQuery"]


def said(calls: list[Any]) -> str:
    return "\n".join(c.body["text"] for c in calls if c.method == "sendMessage")


def edit_form(html: str) -> dict[str, str]:
    """The edit page's fields as a browser would post them (inputs, textareas, selected options, ticked boxes)."""
    form = html[html.index('id="sight-form"'):html.index("</form>", html.index('id="sight-form"'))]
    out: dict[str, str] = {}
    for m in re.finditer(r'<input name="([a-z0-9_]+)"[^>]*?value="([^"]*)"', form):
        out[m.group(1)] = m.group(2)
    for m in re.finditer(r'<input type="checkbox" name="([a-z0-9_]+)"[^>]*?value="1"( checked)?', form):
        if m.group(2):
            out[m.group(1)] = "1"
    for m in re.finditer(r'<textarea name="([a-z0-9_]+)"[^>]*>(.*?)</textarea>', form, re.S):
        out[m.group(1)] = m.group(2)
    for m in re.finditer(r'<select name="([a-z0-9_]+)".*?</select>', form, re.S):
        sel = re.search(r'<option value="([^"]*)" selected>', m.group(0))
        out[m.group(1)] = sel.group(1) if sel else ""
    return {k: html_lib.unescape(v) for k, v in out.items()}


async def test_only_tourism_and_admin_edit_the_guide(service: Service) -> None:
    operator = await staff(service, "kostas")
    status, _, _ = await operator.get("/staff/guide")
    assert status == 403
    status, _, _ = await operator.post("/staff/guide/balos/visibility", {"hidden": "1"})
    assert status == 403
    tourism = await staff(service, "eleni")
    status, page, _ = await tourism.get("/staff/guide")
    assert status == 200 and "Μπάλος" in page and 'href="/staff/guide"' in page  # in the menu too
    await operator.close()
    await tourism.close()


async def test_an_edit_is_audited_and_in_the_bots_next_answer(service: Service) -> None:
    client = await staff(service, "eleni")
    assert "Freshly checked" not in said(await press(service, 9101, "tour:info:balos"))
    status, page, _ = await client.get("/staff/guide/balos")
    assert status == 200
    form = edit_form(page)
    assert form["name_el"] == "Μπάλος" and form["category"] == "beach"
    form |= {"description_en": "Freshly checked by the tourism office: take water and a hat.",
             "tickets_el": "Τέλος εισόδου στο φυλάκιο.", "tickets_en": "Entry fee at the gate.",
             "rank": "2", "lat": "35.5800", "lon": "23.5900"}
    status, _, resp = await client.post("/staff/guide/balos", form)
    assert status == 303 and "done=guide_saved" in resp.headers["Location"]

    text = said(await press(service, 9101, "tour:info:balos"))
    assert "Freshly checked by the tourism office: take water and a hat." in text
    assert "🎟 Tickets: Entry fee at the gate." in text
    assert "mlat=35.58000&mlon=23.59000" in text  # the new pin
    entry = await service.store.audit.find_one({"action": "guide.update", "target": "balos"})
    assert entry is not None and entry["actor"] == "staff:eleni"
    assert {"description", "practical", "rank", "lat", "lon"} <= set(entry["details"]["fields"])
    await client.close()


@pytest.mark.parametrize("change,error", [
    ({"lat": "40.1"}, "outside the regional unit"),
    ({"name_en": ""}, "name"),
    ({"opening_editor": "yaml",
      "opening": "seasons: [{from: \"04-01\", to: \"10-31\", days: [mon], open: \"18:00\", close: \"09:00\"}]"},
     "closes"),
    ({"opening_editor": "yaml", "opening": "seasons: [oops"}, "opening hours"),
    ({"season_0_open": "18:00", "season_0_close": "09:00"}, "closes"),  # the form, checked by the same model
    ({"season_1_from": "02-30", "season_1_to": "03-31", "season_1_mon": "1", "season_1_open": "09:00",
      "season_1_close": "12:00"}, "MM-DD"),
    ({"season_0_mon": "", "season_0_tue": "", "season_0_wed": "", "season_0_thu": "", "season_0_fri": "",
      "season_0_sat": "", "season_0_sun": ""}, "days"),
    ({"access_el": "Μόνο ελληνικά"}, "practical.access.en"),
])
async def test_invalid_edits_are_refused_with_a_reason_and_change_nothing(service: Service, change: dict[str, str],
                                                                          error: str) -> None:
    client = await staff(service, "eleni")
    _, page, _ = await client.get("/staff/guide/maritime_museum")
    before = await service.store.sights.find_one({"_id": "maritime_museum"})
    status, page, _ = await client.post("/staff/guide/maritime_museum", edit_form(page) | change)
    assert status == 400 and 'id="form-error"' in page and error in page
    assert await service.store.sights.find_one({"_id": "maritime_museum"}) == before
    await client.close()


async def test_structured_hours_edited_in_the_dashboard_are_the_bots_answer(service: Service) -> None:
    client = await staff(service, "eleni")
    _, page, _ = await client.get("/staff/guide/war_museum")
    hours = ('seasons: [{from: "01-01", to: "12-31", days: [mon, tue, wed, thu, fri, sat, sun], open: "10:00", '
             'close: "14:00"}]\nverified: true')
    status, _, _ = await client.post("/staff/guide/war_museum",
                                     edit_form(page) | {"opening_editor": "yaml", "opening": hours})
    assert status == 303
    service.runtime.services.clock = lambda: datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # 12:00 in Athens
    text = said(await press(service, 9102, "tour:info:war_museum"))
    assert "🕘 Today: Open now until 14:00." in text
    await client.close()


async def test_the_hours_form_shows_the_seasons_and_saves_the_same_structure(service: Service) -> None:
    """The tourism office's common case without YAML: open on winter Tuesdays too, later closing, a closed day."""
    client = await staff(service, "eleni")
    _, page, _ = await client.get("/staff/guide/archaeological_museum")
    form = edit_form(page)
    # the page shows the file's two seasons and an empty third one
    assert (form["season_0_from"], form["season_0_to"], form["season_0_open"], form["season_0_close"],
            form["season_0_last_entry"]) == ("04-01", "10-31", "08:00", "20:00", "19:40")
    assert (form["season_1_from"], form["season_1_to"]) == ("11-01", "03-31") and "season_1_tue" not in form
    assert form["season_1_mon"] == "1" and form["season_2_from"] == "" and form["closed_12_25"] == "1"
    assert form["opening_editor"] == "form" and "opening_verified" not in form
    form |= {"season_1_tue": "1", "season_1_close": "16:00", "season_1_last_entry": "15:40", "closed_10_28": "1",
             "opening_closed_other": "11-08", "opening_verified": "1"}
    status, _, _ = await client.post("/staff/guide/archaeological_museum", form)
    assert status == 303
    doc = await service.store.sights.find_one({"_id": "archaeological_museum"})
    assert doc is not None
    opening = Opening.model_validate(doc["opening"])  # the structure the file and the YAML write
    winter = opening.seasons[1]
    assert winter.days == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert (f"{winter.close:%H:%M}", f"{winter.last_entry:%H:%M}") == ("16:00", "15:40")  # type: ignore[str-format]
    assert opening.closed_on == ("01-01", "03-25", "05-01", "easter_sunday", "12-25", "12-26", "10-28", "11-08")
    assert opening.verified is True and len(opening.seasons) == 2  # the empty row added nothing
    # and the bot answers from it: a winter Tuesday is open now
    service.runtime.services.clock = lambda: datetime(2026, 12, 8, 12, 0, tzinfo=UTC)  # 14:00 in Athens
    text = said(await press(service, 9105, "tour:info:archaeological_museum"))
    assert "🕘 Today: Open now until 16:00 (last entry 15:40)." in text
    await client.close()


async def test_an_unchanged_hours_form_changes_nothing_and_an_empty_one_removes_the_hours(service: Service) -> None:
    client = await staff(service, "eleni")
    _, page, _ = await client.get("/staff/guide/maritime_museum")
    before = await service.store.sights.find_one({"_id": "maritime_museum"})
    status, _, _ = await client.post("/staff/guide/maritime_museum", edit_form(page))
    assert status == 303
    after = await service.store.sights.find_one({"_id": "maritime_museum"})
    assert after is not None and before is not None and after["opening"] == before["opening"]
    entry = await service.store.audit.find_one({"action": "guide.update", "target": "maritime_museum"})
    assert entry is not None and entry["details"]["fields"] == []  # nothing changed, nothing claimed
    empty = {k: v for k, v in edit_form(page).items() if not k.startswith(("season_", "closed_"))}
    status, _, _ = await client.post("/staff/guide/maritime_museum", empty)
    assert status == 303
    after = await service.store.sights.find_one({"_id": "maritime_museum"})
    assert after is not None and "opening" not in after
    await client.close()


async def test_hide_without_deleting_and_show_again(service: Service) -> None:
    client = await staff(service, "eleni")
    await client.get("/staff/guide/old_harbour")
    status, _, _ = await client.post("/staff/guide/old_harbour/visibility", {"hidden": "1"})
    assert status == 303
    listing = said(await press(service, 9103, "tour:more:culture:0"))
    assert "Venetian Harbour" not in listing
    assert await service.store.sights.find_one({"_id": "old_harbour"}) is not None  # kept
    _, page, _ = await client.get("/staff/guide")
    assert 'id="sight-old_harbour" class="muted"' in page
    await client.post("/staff/guide/old_harbour/visibility", {"hidden": "0"})
    assert "Venetian Harbour" in said(await press(service, 9103, "tour:more:culture:0"))
    actions = [e["action"] async for e in service.store.audit.find({"target": "old_harbour"})]
    assert actions == ["guide.hide", "guide.show"]
    await client.close()


async def test_unverified_fields_are_listed_and_ticked_one_by_one(service: Service) -> None:
    client = await staff(service, "eleni")
    _, page, _ = await client.get("/staff/guide")
    row = page[page.index('id="check-old_harbour"'):]
    row = row[:row.index("</tr>")]
    assert 'data-field="position"' in row and 'data-field="hours"' in row  # approximate pin, unconfirmed hours
    status, _, _ = await client.post("/staff/guide/old_harbour/verify", {"field": "position"})
    assert status == 303
    _, page, _ = await client.get("/staff/guide")
    row = page[page.index('id="check-old_harbour"'):]
    row = row[:row.index("</tr>")]
    assert 'data-field="position"' not in row and 'data-field="hours"' in row
    doc = await service.store.sights.find_one({"_id": "old_harbour"})
    assert doc is not None and "position_verified" not in doc  # True is the default: stored as the file writes it
    status, _, _ = await client.post("/staff/guide/old_harbour/verify", {"field": "nonsense"})
    assert status == 400
    await client.close()


async def test_the_boats_are_on_the_list_to_check_and_kept_through_an_edit(service: Service) -> None:
    client = await staff(service, "eleni")
    _, page, _ = await client.get("/staff/guide")
    row = page[page.index('id="check-balos"'):]
    row = row[:row.index("</tr>")]
    assert 'data-field="bus"' in row and 'data-field="boat"' in row  # the seasonal KTEL bus and the boats
    _, html, _ = await client.get("/staff/guide/balos")
    form = edit_form(html) | {"description_en": "The famous lagoon, edited."}
    status, _, _ = await client.post("/staff/guide/balos", form)
    assert status == 303
    doc = await service.store.sights.find_one({"_id": "balos"})
    assert doc is not None and doc["boat"]["board_at"] == "kissamos_port"  # the form has no boat fields: kept
    status, _, _ = await client.post("/staff/guide/balos/verify", {"field": "boat"})
    assert status == 303
    doc = await service.store.sights.find_one({"_id": "balos"})
    assert doc is not None and doc["boat"]["verified"] is True and doc["bus"].get("verified") is not True
    await client.close()


def jpeg(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


async def viber_pictures(service: Service, fake_viber: FakeViberApi, payload: str) -> list[str]:
    uid = "guide-viber-01=="
    before = len(fake_viber.calls_to("send_message"))
    body, headers = signed(message_callback(text_message(f"btn:{payload}"), user_id=uid, language="en"))
    async with service.http.post(service.viber_url, data=body, headers=headers) as resp:
        assert resp.status == 200
    await service.idle()
    calls = [c for c in fake_viber.calls_to("send_message")[before:] if c.body.get("receiver") == uid]
    return [c.body["media"] for c in calls if c.body["type"] == "picture"]


async def webchat_images(service: Service, payload: str) -> list[str]:
    async with service.http.get(f"{service.url}/chat") as page:
        session = page.cookies[COOKIE].value
    ws = await service.http.ws_connect(f"{service.url}/chat/ws",
                                       headers={"Cookie": f"{COOKIE}={session}", "Origin": service.url})
    try:
        assert (await ws.receive_json(timeout=10))["type"] == "history"
        await ws.send_json({"type": "button", "id": str(uuid.uuid4()), "payload": payload})
        while True:
            frame = await ws.receive_json(timeout=10)
            if frame["type"] == "reply" and frame["reply"].get("image"):
                return [frame["reply"]["image"]]
    finally:
        await ws.close()


async def test_a_photo_is_resized_served_with_caching_and_sent_with_the_card(service: Service,
                                                                             fake_viber: FakeViberApi) -> None:
    client = await staff(service, "eleni")
    await client.get("/staff/guide/elafonisi")
    form = aiohttp.FormData()
    form.add_field("csrf_token", client.csrf)
    form.add_field("photo", jpeg(3000, 2000), filename="elafonisi.jpg", content_type="image/jpeg")
    async with client.session.post(f"{service.url}/staff/guide/elafonisi/photos", data=form,
                                   allow_redirects=False) as resp:
        assert resp.status == 303 and "done=guide_photo_added" in resp.headers["Location"]
    doc = await service.store.sights.find_one({"_id": "elafonisi"})
    assert doc is not None and len(doc["photos"]) == 1
    photo_id = doc["photos"][0]

    sizes = {}
    for size, side in (("thumb", 320), ("card", 1024), ("large", 1600)):
        async with service.http.get(f"{service.url}/guide/photos/{photo_id}/{size}.jpg") as resp:
            assert resp.status == 200 and resp.content_type == "image/jpeg"
            assert "immutable" in resp.headers["Cache-Control"] and resp.headers["ETag"]
            sizes[size] = Image.open(io.BytesIO(await resp.read())).size
            etag = resp.headers["ETag"]
        assert max(sizes[size]) == side
    async with service.http.get(f"{service.url}/guide/photos/{photo_id}/card.jpg",
                                headers={"If-None-Match": etag.replace("large", "card")}) as resp:
        assert resp.status == 304
    async with service.http.get(f"{service.url}/guide/photos/{'0' * 24}/card.jpg") as resp:
        assert resp.status == 404

    card_url = f"https://bot.example.test/guide/photos/{photo_id}/card.jpg"
    calls = await press(service, 9104, "tour:info:elafonisi")
    [photo] = [c for c in calls if c.method == "sendPhoto"]
    assert photo.body["photo"] == card_url  # Telegram
    assert await viber_pictures(service, fake_viber, "tour:info:elafonisi") == [card_url]  # Viber picture message
    # the web chat's page is served by this service: the same origin, whatever address the visitor used
    assert await webchat_images(service, "tour:info:elafonisi") == [f"/guide/photos/{photo_id}/card.jpg"]

    async with client.session.post(f"{service.url}/staff/guide/elafonisi/photos/{photo_id}/remove",
                                   data={"csrf_token": client.csrf}, allow_redirects=False) as resp:
        assert resp.status == 303
    calls = await press(service, 9104, "tour:info:elafonisi")
    assert not [c for c in calls if c.method == "sendPhoto"]
    async with service.http.get(f"{service.url}/guide/photos/{photo_id}/card.jpg") as resp:
        assert resp.status == 404
    await client.close()


async def test_a_file_that_is_not_a_photo_is_refused(service: Service) -> None:
    client = await staff(service, "eleni")
    await client.get("/staff/guide/elafonisi")
    form = aiohttp.FormData()
    form.add_field("csrf_token", client.csrf)
    form.add_field("photo", b"%PDF-1.4 not a photo", filename="x.jpg", content_type="image/jpeg")
    async with client.session.post(f"{service.url}/staff/guide/elafonisi/photos", data=form,
                                   allow_redirects=False) as resp:
        assert resp.status == 303 and "error=guide_bad_photo" in resp.headers["Location"]
    doc = await service.store.sights.find_one({"_id": "elafonisi"})
    assert doc is not None and not doc.get("photos")
    await client.close()


def noisy_jpeg(width: int, height: int) -> bytes:
    """A photo as a phone takes it: noise compresses badly, so it weighs megabytes."""
    buf = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buf, "JPEG", quality=92)
    return buf.getvalue()


async def test_a_phone_sized_photo_over_the_body_limit_is_accepted_for_staff(service: Service) -> None:
    data = noisy_jpeg(3000, 2200)
    assert len(data) > service.settings.max_body_bytes  # over MAX_BODY_BYTES: the staff upload allows more
    client = await staff(service, "eleni")
    await client.get("/staff/guide/balos")
    form = aiohttp.FormData()
    form.add_field("csrf_token", client.csrf)
    form.add_field("photo", data, filename="balos.jpg", content_type="image/jpeg")
    async with client.session.post(f"{service.url}/staff/guide/balos/photos", data=form,
                                   allow_redirects=False) as resp:
        assert resp.status == 303 and "done=guide_photo_added" in resp.headers["Location"]
    doc = await service.store.sights.find_one({"_id": "balos"})
    assert doc is not None and len(doc["photos"]) == 1
