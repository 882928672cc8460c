"""What a clerk sees (issue 13): button labels instead of payloads, intents in words only where NLU read the
message, one set of status names, reasons for closing a ticket, Greek formats. Over real HTTP: the whole service
(Telegram webhook, pipeline, stub NLU) for transcripts, the dashboard app for tickets."""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image

from bot import tickets
from bot.core.events import EventBus
from bot.core.i18n import Texts
from bot.core.models import GeoPoint
from bot.core.services import Services
from bot.intake import status_link
from bot.store import open_store
from tests.fixtures.dashboard import (
    Dashboard,
    RecordingOutbox,
    StaffClient,
    dashboard_settings,
    new_ticket,
    staff_login,
)
from tests.fixtures.people import button_payload

EL, EN = Texts("el"), Texts("en")
HARBOUR = GeoPoint(35.5197, 24.0180)


async def press_and_wait(service: Any, uid: int, update: dict[str, Any]) -> list[Any]:
    before = len(service.fake_telegram.sent(uid, "sendMessage"))
    resp = await service.telegram(update)
    assert resp.status == 200
    await service.idle()
    return service.fake_telegram.sent(uid, "sendMessage")[before:]


def inbound_items(page: str) -> list[str]:
    return re.findall(r'<li class="msg in".*?</li>', page, re.S)


async def staff_client(service: Any) -> StaffClient:
    """The operator logged in to the full service (PUBLIC_URL https: Secure cookies)."""
    return await staff_login(service.url, "operator")


async def test_transcript_shows_the_label_pressed_and_intents_only_where_nlu_read(staff_service_stub_nlu: Any,
                                                                                  stub_rasa: Any) -> None:
    service, uid = staff_service_stub_nlu, 8101
    await press_and_wait(service, uid, service.tg.message(uid, "Δεν ανάβει η λάμπα"))  # no place: the bot asks
    asked_pin = await press_and_wait(service, uid, service.tg.message(uid, "Αποκορώνου 12"))  # the answer
    no_photo = EL("complaints.no_pin")  # the next question's button: "continue without a pin"
    payload = button_payload(asked_pin, no_photo)
    assert payload != no_photo  # a payload, not a label: the page must show the label
    await press_and_wait(service, uid, service.tg.callback(uid, payload))
    stored = await service.store.messages.find_one({"conversation_id": f"telegram:{uid}", "button": payload})
    assert stored["button_label"] == no_photo and stored.get("intent") is None
    assert stub_rasa.texts[-2:] == ["Δεν ανάβει η λάμπα", "Αποκορώνου 12"]  # the press never went to NLU

    client = await staff_client(service)
    try:
        status, page, _ = await client.get(f"/staff/conversations/telegram%3A{uid}")
    finally:
        await client.close()
    assert status == 200
    typed, answered, pressed = inbound_items(page)[:3]
    # the typed complaint: its intent in words, the code in a tooltip, the confidence in Greek
    assert '<span class="intent" title="complaint_lighting">Φωτισμός</span>' in typed and "87%" in typed
    # the press: what the person saw, no payload anywhere, no intent
    assert f"«{htmllib.escape(no_photo)}»" in pressed
    assert 'class="nlu"' not in pressed and 'class="intent"' not in pressed
    assert payload not in page and "cmp:" not in page
    # the bot's offer is listed with its labels
    assert f'<span class="offer">{htmllib.escape(no_photo)}</span>' in page
    # the typed answer to "where is it?" was not read as an intent
    assert "Εκτός θεμάτων" not in answered and "out_of_scope" not in answered
    assert "Απάντηση σε ερώτηση του bot" in answered


async def test_an_answer_to_the_bots_question_shows_no_intent(staff_service_stub_nlu: Any) -> None:
    service, uid = staff_service_stub_nlu, 8102
    await press_and_wait(service, uid, service.tg.message(uid, "Δεν ανάβει η λάμπα"))  # no place: the bot asks
    conv = await service.store.conversations.find_one({"_id": f"telegram:{uid}"})
    assert conv["flow"] is not None
    await press_and_wait(service, uid, service.tg.message(uid, "Αποκορώνου 12"))  # stub NLU: out_of_scope, unsure
    answer = await service.store.messages.find_one({"conversation_id": f"telegram:{uid}", "text": "Αποκορώνου 12"})
    assert answer["answered_prompt"] is True and answer["intent"] is None
    assert answer["nlu"]["intent"]["name"] == "out_of_scope"  # kept for the annotators, not shown as the intent
    conv = await service.store.conversations.find_one({"_id": f"telegram:{uid}"})
    assert conv["last_intent"] is None and conv["last_text"] == "Αποκορώνου 12"

    client = await staff_client(service)
    try:
        _, page, _ = await client.get(f"/staff/conversations/telegram%3A{uid}")
        _, monitor, _ = await client.get("/staff/monitor")
    finally:
        await client.close()
    typed, answered = inbound_items(page)[:2]
    assert 'title="complaint_lighting"' in typed
    assert "Εκτός θεμάτων" not in answered and "out_of_scope" not in answered
    assert "Απάντηση σε ερώτηση του bot" in answered
    row = re.search(rf'<tr data-id="telegram:{uid}".*?</tr>', monitor, re.S).group(0)
    assert '<td class="intent">—</td>' in row
    names = re.search(r"data-intent-names='([^']+)'", monitor).group(1)
    assert json.loads(htmllib.unescape(names))["tourist_sight_info"] == "Ερώτηση για αξιοθέατο"  # for live.js


# ---------------------------------------------------------------- tickets

async def seed_conversation(d: Dashboard, conv_id: str, language: str) -> None:
    channel, chat = conv_id.split(":")
    await d.store.conversations.insert_one({"_id": conv_id, "channel": channel, "user_id": chat, "chat_id": chat,
                                            "language": language})


async def test_one_set_of_status_names_for_residents_and_staff() -> None:
    from bot.dashboard.i18n import StaffTexts

    for lang in ("el", "en"):
        for status in tickets.STATUSES:
            assert StaffTexts(lang).status(status) == Texts(lang)(f"tickets.status.{status}")
    assert EL("tickets.status.new") == "Καταχωρίστηκε"
    assert EL("tickets.status.referred") == "Διαβιβάστηκε σε άλλο φορέα"


async def test_rejecting_needs_a_reason_sent_in_the_residents_language(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard, "viber:en1", "en")
    t = await new_ticket(dashboard, channel="viber", language="en", conversation_id="viber:en1")
    op = await dashboard.login("op", "operator")
    path = f"/staff/tickets/{t['reference']}"
    _, page, _ = await op.get(path)
    assert EL("status_reasons.rejected.private_property") in page  # the ready-made reasons, in the clerk's Greek
    for status in ("rejected", "referred"):
        _, _, resp = await op.post(path + "/status", {"status": status, "note": "   "})
        assert resp.headers["Location"].endswith("error=reason_required")
    _, _, resp = await op.post(path + "/duplicate", {"of": t["reference"].replace("000001", "000002")})
    assert "error=" in resp.headers["Location"]
    _, _, resp = await op.post(path + "/status", {"status": "rejected", "reason": "power"})  # a referral's reason
    assert resp.headers["Location"].endswith("error=bad_status")
    stored = await tickets.get_ticket(dashboard.services, t["reference"])
    assert stored["status"] == "new" and dashboard.outbox.sent == []  # nothing changed, nobody told

    _, _, resp = await op.post(path + "/status", {"status": "rejected", "reason": "private_property",
                                                  "note": "Ο ιδιοκτήτης ειδοποιήθηκε."})
    assert resp.headers["Location"].endswith("done=status_changed")
    (conv_id, replies, _), = dashboard.outbox.sent
    assert conv_id == "viber:en1"
    text = replies[0].text
    assert EN("tickets.status.rejected") in text and EN("status_reasons.rejected.private_property") in text
    assert "Ο ιδιοκτήτης ειδοποιήθηκε." in text  # the clerk's own words go as written
    stored = await tickets.get_ticket(dashboard.services, t["reference"])
    assert stored["status"] == "rejected"
    assert stored["history"][-1]["note"].startswith(EN("status_reasons.rejected.private_property"))
    audit = await dashboard.store.audit.find_one({"action": "ticket.status"})
    assert audit["details"]["reason"] == "private_property"
    # the clerk's note alone is a reason too
    _, _, resp = await op.post(path + "/status", {"status": "referred", "note": "Αφορά τη ΔΕΥΑΧ."})
    assert resp.headers["Location"].endswith("done=status_changed")


async def test_duplicate_with_a_ready_made_reason(dashboard: Dashboard) -> None:
    await seed_conversation(dashboard, "telegram:4242", "el")
    first = await new_ticket(dashboard)
    second = await new_ticket(dashboard)
    op = await dashboard.login("op", "operator")
    path = f"/staff/tickets/{second['reference']}"
    _, _, resp = await op.post(path + "/duplicate", {"of": first["reference"]})
    assert resp.headers["Location"].endswith("error=reason_required")
    _, _, resp = await op.post(path + "/duplicate", {"of": first["reference"], "reason": "same_problem"})
    assert resp.headers["Location"].endswith("done=marked_duplicate")
    text = dashboard.outbox.sent[-1][1][0].text
    assert EL("status_reasons.duplicate.same_problem") in text and first["reference"] in text


async def test_greek_formats_where_column_and_translated_channels(dashboard: Dashboard) -> None:
    pinned = await new_ticket(dashboard, location=HARBOUR, channel="webchat", conversation_id=None)
    typed = await new_ticket(dashboard, address="Πλατεία Αγοράς", channel="assisted", conversation_id=None)
    op = await dashboard.login("op", "operator")
    _, page, _ = await op.get("/staff/tickets?from=01/01/2020&to=31/12/2099")
    assert 'value="01/01/2020"' in page and 'value="31/12/2099"' in page  # dd/mm/yyyy, kept as typed
    assert 'type="date"' not in page
    assert f'<td class="ref"><a href="/staff/tickets/{pinned["reference"]}">' in page
    where = dict(re.findall(r'href="/staff/tickets/(CHA-[\d-]+)">.*?<td class="where">([^<]*)</td>', page, re.S))
    assert where[pinned["reference"]] == "Παλιά Πόλη (σημείο στον χάρτη: 35,51970; 24,01800)"  # the area, decimal comma
    assert where[typed["reference"]] == "Πλατεία Αγοράς"
    assert "<td>Ιστοσελίδα</td>" in page and "<td>ΚΑΠΗ/ΚΗΦΗ</td>" in page
    _, none, _ = await op.get("/staff/tickets?from=01/01/2099")
    assert "Δεν βρέθηκαν αιτήματα." in none
    _, bad, _ = await op.get("/staff/tickets?from=32/01/2026")
    assert "Αγνοήθηκαν μη έγκυρα φίλτρα: from" in bad

    _, body, _ = await op.get("/staff/tickets.csv")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))  # Greek: decimal commas
    by_ref = {r["Αριθμός"]: r for r in rows}
    assert by_ref[pinned["reference"]]["Κανάλι"] == "Ιστοσελίδα" and by_ref[typed["reference"]]["Κανάλι"] == "ΚΑΠΗ/ΚΗΦΗ"
    assert by_ref[pinned["reference"]]["Γλώσσα"] == "Ελληνικά"
    assert by_ref[pinned["reference"]]["Γεωγρ. μήκος"] == "24,018000"

    _, detail, _ = await op.get(f"/staff/tickets/{pinned['reference']}")
    assert '<p class="where" id="ticket-where">Παλιά Πόλη (σημείο στον χάρτη: 35,51970; 24,01800)</p>' in detail
    # in English: the English formats
    await op.post("/staff/language", {"lang": "en", "next": "/staff/tickets"})
    _, page, _ = await op.get("/staff/tickets")
    where = dict(re.findall(r'href="/staff/tickets/(CHA-[\d-]+)">.*?<td class="where">([^<]*)</td>', page, re.S))
    assert where[pinned["reference"]] == "Old Town (point on the map: 35.51970, 24.01800)"
    assert "<td>Web chat</td>" in page


# ---------------------------------------------------------------- assisted intake (KAPI/KIFI)

OFFICE = {"citizen_office_phone": "28213 41600", "citizen_office_address": "Κυδωνίας 29, Χανιά",
          "citizen_office_hours": "Δευτέρα–Παρασκευή 08:00–14:00", "citizen_office_hours_en": "Mon–Fri 08:00–14:00"}
SPLANTZIA = GeoPoint(35.5167, 24.0203)


@pytest.fixture
async def intake_dashboard() -> AsyncIterator[Dashboard]:
    """The dashboard with the Citizen Service Office's contact set (it goes on every receipt)."""
    store = await open_store(None, "intake_test")
    bus = EventBus()
    outbox = RecordingOutbox(store, bus)
    d = Dashboard(Services(settings=dashboard_settings(**OFFICE), store=store, outbox=outbox), bus, outbox)
    await d.start()
    yield d
    await d.close()


def photo_bytes(size: tuple[int, int] = (3000, 2000), fmt: str = "JPEG", noise: bool = False) -> bytes:
    img = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: must not survive
    exif[0x8825] = {2: (35.0, 30.0, 0.0)}  # a GPS position: must not survive
    out = io.BytesIO()
    img.save(out, fmt, **({"exif": exif.tobytes()} if fmt == "JPEG" else {}))
    return out.getvalue()


async def post_intake(client: StaffClient, fields: dict[str, str],
                      files: list[tuple[str, bytes]] = ()) -> tuple[int, str, aiohttp.ClientResponse]:
    if not client.csrf:
        await client.get("/staff/intake")
    form = aiohttp.FormData()
    form.add_field("csrf_token", client.csrf)
    for k, v in fields.items():
        form.add_field(k, v)
    for name, data in files:
        form.add_field("photo", data, filename=name, content_type="image/jpeg")
    async with client.session.post(client.base + "/staff/intake", data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp


INTAKE = {"name": "Ελένη Μαρκάκη", "phone": "691 234 5678", "address": "Πλατεία Σπλάντζιας",
          "category": "complaint_lighting", "description": "Σβηστή κολόνα φωτισμού δίπλα στο πλάτανο.",
          "language": "el", "centre": "kapi-chania-centre"}


async def test_intake_with_centre_pin_photo_and_phone_then_receipt_and_public_status(
        intake_dashboard: Dashboard) -> None:
    d = intake_dashboard
    clerk = await d.login("maria", "operator")
    _, form_page, _ = await clerk.get("/staff/intake")
    assert '<option value="kapi-souda">ΚΑΠΗ Σούδας</option>' in form_page  # seeded from data/centres.yaml
    assert 'id="intake-map"' in form_page and 'data-tiles=""' in form_page  # the map works without tiles
    big = photo_bytes(noise=True)
    assert len(big) > 1024 * 1024  # above the app's 1 MiB body limit: intake accepts photos from phones
    fields = {**INTAKE, "lat": f"{SPLANTZIA.lat}".replace(".", ","), "lon": f"{SPLANTZIA.lon}"}  # Greek comma too
    status, _, resp = await post_intake(clerk, fields, [("kolona.jpg", big)])
    assert status == 303, status
    ref = re.fullmatch(r"/staff/intake/(CHA-\d{4}-\d{6})/receipt", resp.headers["Location"]).group(1)
    t = await tickets.get_ticket(d.services, ref)
    assert t["citizen"] == {"name": "Ελένη Μαρκάκη", "phone": "+306912345678"}  # E.164
    assert tickets.ticket_point(t) == SPLANTZIA and t["address"] == "Πλατεία Σπλάντζιας"
    assert t["intake"] == {"centre": "kapi-chania-centre", "clerk": "maria",
                           "centre_name": {"el": "ΚΑΠΗ Χανίων (κέντρο)", "en": "KAPI Chania (centre)"}}
    assert len(t["status_token"]) >= 22 and ref not in t["status_token"]
    (photo,) = t["photos"]
    assert photo["content_type"] == "image/jpeg" and photo["size"] == len(photo["data"])
    with Image.open(io.BytesIO(photo["data"])) as kept:
        assert max(kept.size) == 1600 and kept.size == (1600, 1067)  # resized, proportions kept
        assert dict(kept.getexif()) == {}  # no camera make, no GPS position

    _, listing, _ = await clerk.get("/staff/tickets")
    assert '<td class="where">Πλατεία Σπλάντζιας</td>' in listing and ref in listing
    _, csv_body, _ = await clerk.get("/staff/tickets.csv")
    assert ref in csv_body and "6912345678" not in csv_body  # no personal data in the export
    # the ticket page: the place recorded, the centre, the clerk, the phone as Greeks write it, the photo
    _, page, _ = await clerk.get(f"/staff/tickets/{ref}")
    assert '<dd id="ticket-centre">ΚΑΠΗ Χανίων (κέντρο)</dd>' in page and '<dd id="ticket-clerk">maria</dd>' in page
    assert '<dd class="ref" id="ticket-phone">691 234 5678</dd>' in page
    assert '<p class="where" id="ticket-where">Πλατεία Σπλάντζιας</p>' in page
    assert f'data-lat="{SPLANTZIA.lat}"' in page
    src = re.search(rf'<img src="(/staff/tickets/{ref}/photos/0)"', page).group(1)
    async with clerk.session.get(clerk.base + src) as img:
        assert img.status == 200 and img.content_type == "image/jpeg"
        assert await img.read() == bytes(photo["data"])

    # the receipt: department, the office's contact, the centre, a QR code of the status link
    _, receipt, _ = await clerk.get(resp.headers["Location"])
    assert f'<dd id="receipt-department">{categories_department_name(t["department"])}</dd>' in receipt
    assert "28213 41600" in receipt and "Κυδωνίας 29, Χανιά" in receipt and "Δευτέρα–Παρασκευή 08:00–14:00" in receipt
    assert '<dd id="receipt-centre">ΚΑΠΗ Χανίων (κέντρο)</dd>' in receipt and "691 234 5678" in receipt
    link = re.search(r'<span class="link" id="receipt-link">([^<]+)</span>', receipt).group(1)
    assert link == f"{d.url}/status/{t['status_token']}"
    assert status_link.qr_svg(link) in receipt  # the QR code carries exactly the printed link

    # the public status page: no login, status and public notes only, no personal data
    await tickets.change_status(d.services, ref, "in_progress", actor="staff:maria",
                                note="Κυρία Μαρκάκη, το συνεργείο θα περάσει αύριο. Πληροφορίες: 6987654321")
    await tickets.add_note(d.services, ref, "Εσωτερικό: ο κ. Παπαδάκης είναι ο ηλεκτρολόγος", actor="staff:maria")
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(link) as resp:
            public = await resp.text()
            assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
            assert "noindex" in resp.headers["X-Robots-Tag"]
        async with anonymous.get(link + "?lang=en") as resp:
            english = await resp.text()
        async with anonymous.get(f"{d.url}/status/{'x' * 22}") as resp:
            assert resp.status == 404 and "Δεν βρέθηκε αίτημα" in await resp.text()
        async with anonymous.get(f"{d.url}/status/{ref}") as resp:
            assert resp.status == 404  # the sequential reference alone opens nothing
    assert ref in public and "Σε εξέλιξη" in public and "το συνεργείο θα περάσει αύριο." in public
    for private in ("Ελένη", "Μαρκάκη", "6912345678", "691 234 5678", "6987654321", "Σπλάντζιας", "κολόνα",
                    "Παπαδάκης", "maria", "ΚΑΠΗ"):
        assert private not in public, private
    assert "In progress" in english and "Street lighting" in english


def categories_department_name(department: str) -> str:
    from bot.tickets.categories import categories

    return categories().department(department).name("el")


async def test_intake_errors_keep_what_was_typed_and_store_nothing(intake_dashboard: Dashboard) -> None:
    d = intake_dashboard
    clerk = await d.login("maria", "operator")
    athens = {"lat": "37.9755", "lon": "23.7348"}
    cases = [
        ({**INTAKE, "address": ""}, "Γράψτε τη διεύθυνση ή βάλτε πινέζα στον χάρτη."),
        ({**INTAKE, **athens}, "Το σημείο είναι εκτός Δήμου Χανίων."),
        ({**INTAKE, "lat": "35.5", "lon": ""}, "Μη έγκυρες συντεταγμένες."),
        ({**INTAKE, "phone": "12345"}, "Μη έγκυρος αριθμός τηλεφώνου"),
        ({**INTAKE, "centre": "kapi-atlantis"}, "Υποχρεωτικό πεδίο."),
    ]
    for fields, message in cases:
        status, page, _ = await post_intake(clerk, fields)
        assert status == 400 and message in page, message
        assert "Σβηστή κολόνα φωτισμού δίπλα στο πλάτανο." in page
    status, page, _ = await post_intake(clerk, INTAKE, [("notes.jpg", b"not a photo at all")])
    assert status == 400 and "δεν είναι φωτογραφία" in page
    status, page, _ = await post_intake(clerk, INTAKE, [(f"p{i}.jpg", photo_bytes((40, 30))) for i in range(4)])
    assert status == 400 and "Έως 3 φωτογραφίες." in page
    assert await d.store.tickets.count_documents({}) == 0
    # only an address, no pin: fine; an English receipt shows the office hours in English
    status, _, resp = await post_intake(clerk, {**INTAKE, "language": "en", "phone": ""})
    assert status == 303
    _, receipt, _ = await clerk.get(resp.headers["Location"])
    assert "Mon–Fri 08:00–14:00" in receipt and "KAPI Chania (centre)" in receipt


async def test_admin_keeps_the_centre_list(intake_dashboard: Dashboard) -> None:
    d = intake_dashboard
    clerk = await d.login("maria", "operator")
    assert (await clerk.get("/staff/admin/centres"))[0] == 403
    admin = await d.login("boss", "admin")
    _, page, _ = await admin.get("/staff/admin/centres")
    assert "ΚΑΠΗ Νέας Χώρας" in page
    _, _, resp = await admin.post("/staff/admin/centres", {"id": "kapi-galatas", "kind": "kapi",
                                                            "name_el": "ΚΑΠΗ Γαλατά", "name_en": "KAPI Galatas"})
    assert resp.headers["Location"].endswith("done=centre_saved")
    _, _, resp = await admin.post("/staff/admin/centres", {"id": "kapi-galatas", "kind": "kapi", "name_el": "x"})
    assert "error=centre_exists" in resp.headers["Location"]
    _, _, resp = await admin.post("/staff/admin/centres", {"id": "Κ", "kind": "kapi", "name_el": "x"})
    assert "error=centre_invalid" in resp.headers["Location"]
    _, form_page, _ = await clerk.get("/staff/intake")
    assert '<option value="kapi-galatas">ΚΑΠΗ Γαλατά</option>' in form_page
    # hidden, not deleted: gone from the form, refused at intake, kept in the list
    _, _, resp = await admin.post("/staff/admin/centres/kapi-galatas", {"kind": "kapi", "name_el": "ΚΑΠΗ Γαλατά",
                                                                        "name_en": "KAPI Galatas"})
    assert resp.headers["Location"].endswith("done=centre_saved")
    _, form_page, _ = await clerk.get("/staff/intake")
    assert "kapi-galatas" not in form_page
    status, _, _ = await post_intake(clerk, {**INTAKE, "centre": "kapi-galatas"})
    assert status == 400
    assert (await d.store.db["intake_centres"].find_one({"_id": "kapi-galatas"}))["active"] is False
    assert await d.store.audit.find_one({"action": "centre.update", "target": "kapi-galatas"})


async def test_clerk_finds_an_intake_by_the_persons_name_or_the_receipts_digits(intake_dashboard: Dashboard) -> None:
    """QA F10: an elderly resident comes back without the receipt and says her name, or reads out "000005"."""
    d = intake_dashboard
    clerk = await d.login("eleni.kapi", "operator")
    _, form_page, _ = await clerk.get("/staff/intake")
    assert "selected>" not in form_page.split('id="intake-centre"')[1].split("</select>")[0]  # no centre yet
    halepa = {**INTAKE, "name": "Ευαγγελία Παπαδάκη", "phone": "", "centre": "kapi-chalepa",
              "category": "complaint_roads", "address": "Ελευθερίου Βενιζέλου 45, Χαλέπα",
              "description": "Σπασμένες πλάκες στο πεζοδρόμιο μπροστά στο ΚΑΠΗ."}
    refs = []
    for fields in (INTAKE, halepa):
        status, _, resp = await post_intake(clerk, fields)
        assert status == 303
        refs.append(re.fullmatch(r"/staff/intake/(CHA-\d{4}-(\d{6}))/receipt", resp.headers["Location"]).groups())
    (markaki, _), (papadaki, papadaki_seq) = refs
    # the next intake starts at the centre of her last one (per account)
    _, form_page, _ = await clerk.get("/staff/intake")
    assert '<option value="kapi-chalepa" selected>' in form_page
    other = await d.login("maria", "operator")
    _, form_page, _ = await other.get("/staff/intake")
    assert '<option value="kapi-chalepa" selected>' not in form_page

    async def found(q: str, who: StaffClient = clerk) -> list[str]:
        status, page, _ = await who.get("/staff/tickets", params={"q": q})
        assert status == 200
        return re.findall(r'<a href="/staff/tickets/(CHA-\d{4}-\d{6})">', page)

    for said in ("Παπαδάκη", "παπαδακη", "ΠΑΠΑΔΑΚΗ", "Ευαγγελία Παπαδάκη", papadaki_seq, str(int(papadaki_seq))):
        assert await found(said) == [papadaki], said
    assert await found("Μαρκάκη") == [markaki]
    assert await found("45") == [papadaki]  # a bare number also finds the house number in the address
    assert await found("4") == []  # a whole number: not the 4 of "45" nor of CHA-…-000004
    assert await found("999999") == []
    # the existing visibility rules: a department that does not own the ticket finds nothing by the name
    lighting = await d.login("fotismos", "department", ("lighting",))
    roads = await d.login("dromoi", "department", ("technical",))
    assert await found("Παπαδάκη", lighting) == [] and await found(papadaki_seq, lighting) == []
    assert await found("παπαδακη", roads) == [papadaki]
