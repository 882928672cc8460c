"""End to end in a real headless Chromium (Debian's package, driven by Playwright): the whole service with its
Telegram webhook and the fake Bot API, and the staff dashboard as staff use it."""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import pytest
from PIL import Image

from bot import tickets
from bot.core.i18n import Texts
from bot.core.models import GeoPoint, utcnow
from bot.dashboard.i18n import StaffTexts
from bot.staff.accounts import create_staff
from bot.tickets.categories import categories
from tests.fixtures.dashboard import PASSWORD

pytestmark = pytest.mark.browser

XSS_SCRIPT = "<script>window.__pwned = 1; alert('script')</script>"
XSS_IMG = "<img src=x onerror=\"window.__pwned = 2; alert('img')\">"
TIMEOUT = 10_000  # ms, for waits in the page
STAFF_EL = StaffTexts("el")


async def log_in(page: Any, service: Any, username: str = "operator", password: str = PASSWORD) -> None:
    await page.goto(f"{service.url}/staff/")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login-submit")


async def open_live(page: Any, url: str) -> None:
    """Open a page with a live stream and wait until the stream is connected."""
    await page.goto(url)
    await page.locator("body[data-live='1']").wait_for(state="attached", timeout=TIMEOUT)


async def eventually(page: Any, expression: str, timeout_s: float = TIMEOUT / 1000) -> Any:
    """Poll an expression from here (``page.wait_for_function`` would need eval, which the CSP forbids)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not (value := await page.evaluate(expression)):
        assert asyncio.get_running_loop().time() < deadline, f"not true in time: {expression}"
        await asyncio.sleep(0.05)
    return value


async def bot_messages(service: Any, chat_id: int) -> list[str]:
    return [c.body.get("text", "") for c in service.fake_telegram.sent(chat_id, "sendMessage")]


async def test_login_wrong_password_then_right_then_logout(page: Any, staff_service: Any) -> None:
    await log_in(page, staff_service, password="wrong password")
    await page.wait_for_selector("#login-error", timeout=TIMEOUT)
    assert "Λάθος όνομα χρήστη ή κωδικός" in await page.inner_text("#login-error")
    await page.fill("#password", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    assert await page.get_attribute("html", "lang") == "el"
    assert "Συνομιλίες σε πραγματικό χρόνο" in await page.inner_text("h1")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["chania_staff"]["httpOnly"] and cookies["chania_staff"]["sameSite"] == "Lax"
    assert await page.evaluate("document.cookie") == ""  # nothing readable by scripts
    # switch to English and back
    await page.click("button[name=lang][value=en]")
    await page.wait_for_selector("html[lang=en]", timeout=TIMEOUT)
    assert "Live conversations" in await page.inner_text("h1")
    await page.click("button[name=lang][value=el]")
    await page.wait_for_selector("html[lang=el]", timeout=TIMEOUT)
    # the statistics page draws its charts with the vendored Chart.js under the strict CSP
    await page.goto(f"{staff_service.url}/staff/stats")
    await eventually(page, "window.Chart && Object.keys(window.Chart.instances).length === 5")
    await page.click("#logout")
    await page.wait_for_url(re.compile(r"/staff/login$"), timeout=TIMEOUT)
    await page.goto(f"{staff_service.url}/staff/monitor")
    assert "/staff/login" in page.url
    assert page.problems == []
    assert page.failed == [(401, "/staff/login")]  # only the wrong password's answer


async def test_new_telegram_message_appears_live_in_the_monitor(page: Any, staff_service: Any) -> None:
    await log_in(page, staff_service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await open_live(page, f"{staff_service.url}/staff/monitor")
    assert await page.locator("#live-conversations tbody tr").count() == 0
    response = await staff_service.telegram(staff_service.tg.message(5551, "Δεν ανάβει η λάμπα στην Αποκορώνου 12"))
    assert response.status == 200
    row = page.locator('#live-conversations tbody tr[data-id="telegram:5551"]')
    await row.locator("td.text", has_text="Δεν ανάβει η λάμπα").wait_for(timeout=TIMEOUT)
    await staff_service.idle()
    stored = await staff_service.store.messages.find_one({"conversation_id": "telegram:5551", "direction": "in"})
    assert stored["nlu"]["intent"]["name"] == "complaint_lighting"  # the real model's answer, shown as it is
    assert await row.locator("td.intent").inner_text() == "Φωτισμός"  # the intent in words, the code on hover
    assert await row.locator("td.intent").get_attribute("title") == "complaint_lighting"
    assert await row.locator("td.confidence").inner_text() == f"{round(stored['confidence'] * 100)}%"
    assert await row.locator("td.channel").inner_text() == "Telegram"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", await row.locator("td.time").inner_text())
    # the bot answered; the row keeps showing what the resident said
    await staff_service.fake_telegram.wait_for(5551, method="sendMessage")
    assert await row.locator("td.text").inner_text() == "Δεν ανάβει η λάμπα στην Αποκορώνου 12"
    assert page.problems == [] and page.failed == []


async def test_low_confidence_filter_shows_only_unsure_messages(page: Any, staff_service_stub_nlu: Any) -> None:
    service = staff_service_stub_nlu
    await log_in(page, service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await open_live(page, f"{service.url}/staff/monitor?low=1")
    await service.telegram(service.tg.message(5552, "Δεν μάζεψαν τα σκουπίδια"))  # stub: 0.91
    await service.telegram(service.tg.message(5553, "Τι καιρό θα κάνει αύριο;"))  # stub: below the threshold
    await page.locator('tr[data-id="telegram:5553"] td.confidence.low').wait_for(timeout=TIMEOUT)
    await service.idle()
    await asyncio.sleep(0.3)
    assert await page.locator('tr[data-id="telegram:5552"]').count() == 0
    assert page.problems == [] and page.failed == []


async def test_take_over_staff_reply_reaches_telegram_and_hand_back(page: Any, staff_service: Any) -> None:
    uid = 6661
    await staff_service.say(uid, "Δεν ανάβει η λάμπα στη Χαλέπα")  # the bot answers this one
    await log_in(page, staff_service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await page.click(f'tr[data-id="telegram:{uid}"] a')
    await page.wait_for_url(re.compile(r"/staff/conversations/telegram%3A6661$"), timeout=TIMEOUT)
    await page.click("#take-over")
    await page.wait_for_selector("#reply-form", timeout=TIMEOUT)
    await page.locator("body[data-live='1']").wait_for(state="attached", timeout=TIMEOUT)
    conv = await staff_service.store.conversations.find_one({"_id": f"telegram:{uid}"})
    assert conv["paused"] is True

    # the resident writes again: the message shows up live, and the bot keeps quiet
    before = len(await bot_messages(staff_service, uid))
    await staff_service.telegram(staff_service.tg.message(uid, "Είναι κανείς εκεί; Θέλω να μιλήσω με άνθρωπο"))
    await page.locator("#transcript li.msg.in", has_text="Θέλω να μιλήσω με άνθρωπο").wait_for(timeout=TIMEOUT)
    await staff_service.idle()
    assert len(await bot_messages(staff_service, uid)) == before

    reply = "Καλησπέρα, είμαι η Μαρία από τον Δήμο. Το συνεργείο θα περάσει αύριο."
    await page.fill("#reply-text", reply)
    await page.click("#reply-send")
    await page.wait_for_selector(".flash.ok", timeout=TIMEOUT)
    calls = await staff_service.fake_telegram.wait_for(uid, count=before + 1, method="sendMessage")
    assert calls[-1].body["text"].startswith(reply)  # then the staff signature (conversation issue)
    await staff_service.idle()  # the outbox marks it sent once the platform has answered
    stored = await staff_service.store.messages.find_one({"conversation_id": f"telegram:{uid}",
                                                          "text": calls[-1].body["text"]})
    assert stored["sender"] == "staff:operator" and stored["status"] == "sent"
    assert await page.locator("#transcript li.msg.out", has_text="είμαι η Μαρία").count() == 1

    await page.click("#hand-back")
    await page.wait_for_selector("#take-over", timeout=TIMEOUT)
    await staff_service.say(uid, "Ευχαριστώ")  # the bot answers again
    assert page.problems == [] and page.failed == []
    audit = [a["action"] async for a in staff_service.store.audit.find({"target": f"telegram:{uid}"})]
    assert {"conversation.take_over", "conversation.reply", "conversation.hand_back"} <= set(audit)


async def test_status_change_notifies_the_resident(page: Any, staff_service: Any) -> None:
    uid = 7771
    await staff_service.say(uid, "Καλημέρα")
    ticket = await tickets.create_ticket(
        staff_service.runtime.services, category="complaint_lighting", description="Σβηστή λάμπα, Ενετικό λιμάνι",
        channel="telegram", language="el", conversation_id=f"telegram:{uid}", location=GeoPoint(35.5197, 24.0180))
    before = len(await bot_messages(staff_service, uid))
    await log_in(page, staff_service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await page.goto(f"{staff_service.url}/staff/tickets?q=ενετικο λιμανι")
    await page.click(f"text={ticket['reference']}")
    await page.wait_for_selector("#ticket-map .leaflet-marker-icon", timeout=TIMEOUT)  # the pin, served locally
    await page.select_option("#new-status", "resolved")
    await page.fill("#status-note", "Η λάμπα αντικαταστάθηκε σήμερα.")
    await page.click("#status-submit")
    await page.wait_for_selector(".flash.ok", timeout=TIMEOUT)
    assert await page.inner_text("#ticket-status") == "Επιλύθηκε"
    assert "Η λάμπα αντικαταστάθηκε σήμερα." in await page.inner_text("#timeline")
    calls = await staff_service.fake_telegram.wait_for(uid, count=before + 1, method="sendMessage")
    text = calls[-1].body["text"]
    assert ticket["reference"] in text and "Η λάμπα αντικαταστάθηκε σήμερα." in text
    assert page.problems == []


OFFICE = {"citizen_office_phone": "28213 41600", "citizen_office_address": "Κυδωνίας 29, 731 35 Χανιά",
          "citizen_office_hours": "Δευτέρα–Παρασκευή 08:00–14:00"}


@pytest.fixture
async def intake_service(make_service: Any, stub_rasa: Any) -> Any:
    """The whole service with the Citizen Service Office's contact set, no map tiles (an intranet), an operator."""
    service = await make_service(nlu_url=stub_rasa.url, nlu_token="stub-token", staff_map_tiles_url=None, **OFFICE)
    await create_staff(service.store, "operator", "operator", [], PASSWORD)
    return service


def a_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (90, 140, 60)).save(out, "JPEG")
    return out.getvalue()


async def test_assisted_intake_with_pin_and_photo_prints_a_one_page_receipt(page: Any, intake_service: Any,
                                                                             tmp_path: Any) -> None:
    service = intake_service
    await log_in(page, service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await page.click("nav >> text=Καταγραφή αιτήματος")
    assert await page.evaluate("getComputedStyle(document.body).fontSize") == "20px"  # large type
    await page.select_option("#intake-centre", "kapi-souda")
    await page.fill("#intake-name", "Ευαγγελία Μαρκάκη")
    await page.fill("#intake-phone", "6944 123 456")
    await page.select_option("#intake-category", "complaint_roads")
    await page.fill("#intake-description", "Σπασμένο πεζοδρόμιο μπροστά στο φαρμακείο· δυσκολεύομαι να περπατήσω.")
    # no address typed: a pin on the map (no tiles here: the blank map still takes the pin)
    await page.locator("#intake-map").click(position={"x": 200, "y": 120})
    await page.wait_for_selector("#intake-map .leaflet-marker-icon", timeout=TIMEOUT)
    lat, lon = float(await page.input_value("#intake-lat")), float(await page.input_value("#intake-lon"))
    assert 35.4 < lat < 35.6 and 23.9 < lon < 24.2
    await page.set_input_files("#intake-photo", files=[{"name": "pezodromio.jpg", "mimeType": "image/jpeg",
                                                        "buffer": a_photo()}])
    await page.click("#intake-submit")
    await page.wait_for_selector("#receipt-reference", timeout=TIMEOUT)
    ref = await page.inner_text("#receipt-reference")
    stored = await tickets.get_ticket(service.runtime.services, ref)
    assert stored["citizen"] == {"name": "Ευαγγελία Μαρκάκη", "phone": "+306944123456"}
    point = tickets.ticket_point(stored)
    assert abs(point.lat - lat) < 1e-5 and abs(point.lon - lon) < 1e-5 and stored["address"] is None
    assert len(stored["photos"]) == 1 and stored["intake"]["centre"] == "kapi-souda"
    receipt = await page.inner_text("#receipt")
    department = categories().department(stored["department"]).name("el")
    for expected in ("Απόδειξη καταχώρισης αιτήματος", "Ευαγγελία Μαρκάκη", "694 412 3456", "ΚΑΠΗ Σούδας",
                     department, "28213 41600", "Κυδωνίας 29, 731 35 Χανιά", "Δευτέρα–Παρασκευή 08:00–14:00",
                     f"https://bot.example.test/status/{stored['status_token']}", f"«{ref}»"):
        assert expected in receipt, expected
    assert await page.locator("#receipt-qr svg path").count() == 1
    # printing: only the receipt, on one A5 page
    await page.emulate_media(media="print")
    assert not await page.is_visible(".topbar") and not await page.is_visible("#print-receipt")
    pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
    (tmp_path / "receipt.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # one page
    assert re.search(rb"/MediaBox \[0 0 4(19|20)(\.\d+)? 59[45](\.\d+)?\]", pdf)  # A5: 148 x 210 mm
    await page.emulate_media(media="screen")
    # the ticket page shows the place recorded (the pin), the centre, the photo
    await page.click("text=Το αίτημα")
    await page.wait_for_selector("#ticket-map .leaflet-marker-icon", timeout=TIMEOUT)
    assert await page.inner_text("#ticket-centre") == "ΚΑΠΗ Σούδας"
    assert re.search(r"[Σσ]ημείο στον χάρτη: 35,\d{5}; 2[34],\d{5}", await page.inner_text("#ticket-where"))
    await eventually(page, "document.querySelector('ul.photos img') && "
                           "document.querySelector('ul.photos img').naturalWidth === 1200")
    # the QR code's page, as the resident opens it on a phone
    await page.goto(f"{service.url}/status/{stored['status_token']}")
    assert await page.inner_text("#status-now") == "Καταχωρίστηκε"
    assert "Μαρκάκη" not in await page.content()
    assert page.problems == [] and page.failed == []


async def test_rejecting_asks_for_a_reason_in_the_browser(page: Any, intake_service: Any) -> None:
    service = intake_service
    uid = 7781
    await service.say(uid, "Καλημέρα")
    ticket = await tickets.create_ticket(
        service.runtime.services, category="complaint_parking", description="Παρκαρισμένο στη ράμπα",
        channel="telegram", language="el", conversation_id=f"telegram:{uid}")
    before = len(await bot_messages(service, uid))
    await log_in(page, service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await page.goto(f"{service.url}/staff/tickets/{ticket['reference']}")
    await page.select_option("#new-status", "rejected")
    # only the reasons for rejecting are offered, and without one the note is required
    visible = await page.evaluate("""Array.from(document.querySelectorAll('#status-reason optgroup'))
        .filter(g => !g.disabled).map(g => g.dataset.status)""")
    assert visible == ["rejected"]
    assert await page.evaluate("document.getElementById('status-note').required") is True
    await page.click("#status-submit")
    assert await page.evaluate("document.getElementById('status-form').checkValidity()") is False
    assert await page.inner_text("#ticket-status") == "Καταχωρίστηκε"  # not sent
    await page.select_option("#status-reason", "private_property")
    assert await page.evaluate("document.getElementById('status-note').required") is False
    await page.click("#status-submit")
    await page.wait_for_selector(".flash.ok", timeout=TIMEOUT)
    assert await page.inner_text("#ticket-status") == "Απορρίφθηκε"
    calls = await service.fake_telegram.wait_for(uid, count=before + 1, method="sendMessage")
    assert Texts("el")("status_reasons.rejected.private_property") in calls[-1].body["text"]
    assert page.problems == []


async def test_script_and_img_payloads_are_shown_as_text(page: Any, staff_service: Any) -> None:
    uid = 8881
    conv_id = f"telegram:{uid}"
    # staff already took this conversation over, so the bot's answers do not replace the monitor's last message
    await staff_service.store.conversations.insert_one({
        "_id": conv_id, "channel": "telegram", "user_id": str(uid), "chat_id": str(uid), "language": "el",
        "language_locked": False, "flow": None, "paused": True, "last_activity": utcnow(), "created_at": utcnow()})
    await log_in(page, staff_service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await open_live(page, f"{staff_service.url}/staff/monitor")
    first = f"Λάμπα {XSS_SCRIPT} {XSS_IMG}"
    await staff_service.telegram(staff_service.tg.message(uid, first))
    cell = page.locator(f'tr[data-id="{conv_id}"] td.text')  # already listed (empty): the live event fills it
    await page.locator(f'tr[data-id="{conv_id}"] td.text', has_text="Λάμπα").wait_for(timeout=TIMEOUT)
    assert await cell.inner_text() == first  # inserted live, as text

    await open_live(page, f"{staff_service.url}/staff/conversations/telegram%3A{uid}")
    assert await page.locator("#transcript li.msg.in p.text").first.inner_text() == first  # server-rendered
    second = f"{XSS_IMG}{XSS_SCRIPT} δεύτερο"
    await staff_service.telegram(staff_service.tg.message(uid, second))
    await page.locator("#transcript li.msg.in p.text", has_text="δεύτερο").wait_for(timeout=TIMEOUT)
    assert await page.locator("#transcript li.msg.in p.text").last.inner_text() == second  # appended live
    await staff_service.idle()
    await page.wait_for_timeout(300)
    assert await page.evaluate("window.__pwned") is None
    assert await page.locator("img[src=x]").count() == 0 and await page.locator("main script").count() == 0
    assert page.dialogs == [] and page.problems == [] and page.failed == []
    assert await bot_messages(staff_service, uid) == []  # taken over: the bot stayed quiet


async def test_annotator_marks_an_entity_by_dragging_over_the_text_and_corrects_the_intent(
        page: Any, staff_service: Any) -> None:
    """A resident's message goes through the real NLU; in the review queue an annotator drags over a street name,
    marks it as a place, corrects the intent and saves: the label has the span, the phone number never showed."""
    from bot.staff.accounts import create_staff

    said = "Στη Χαλέπα τα βράδια δεν βλέπουμε πού πατάμε, πάρτε με στο 6912345678"
    await staff_service.say(7771, said)
    stored = await staff_service.store.messages.find_one({"conversation_id": "telegram:7771", "direction": "in"})
    assert stored is not None and stored["nlu"]
    await create_staff(staff_service.store, "anna", "annotator", [], PASSWORD)
    await log_in(page, staff_service, username="anna")
    await page.wait_for_url(re.compile(r"/staff/nlu/review$"), timeout=TIMEOUT)
    item = page.locator(f"article[data-message-id='{stored['_id']}']")
    text = item.locator(".nlu-text")
    assert "6912345678" not in await text.inner_text() and "☎•••" in await text.inner_text()

    # select "Χαλέπα" with the mouse: press before its first letter, drag to after its last
    box = await text.bounding_box()
    assert box is not None
    span = await page.evaluate(
        """([sel, word]) => {
            const el = document.querySelector(sel); const node = el.firstChild;
            const i = node.textContent.indexOf(word); const r = document.createRange();
            r.setStart(node, i); r.setEnd(node, i + 1); const a = r.getBoundingClientRect();
            r.setStart(node, i + word.length - 1); r.setEnd(node, i + word.length); const b = r.getBoundingClientRect();
            return [a.left + 1, a.top + a.height / 2, b.right - 1, b.top + b.height / 2];
        }""", [f"article[data-message-id='{stored['_id']}'] .nlu-text", "Χαλέπα"])
    await page.mouse.move(span[0], span[1])
    await page.mouse.down()
    await page.mouse.move(span[2], span[3], steps=8)
    await page.mouse.up()
    await item.locator("button.mark[data-entity='location']").click()
    assert "Χαλέπα" in await item.locator("ul.entities").inner_text()
    await item.locator("select[name=intent]").select_option("complaint_lighting")
    await item.locator("button.save").click()
    await page.wait_for_url(re.compile(r"done=nlu_"), timeout=TIMEOUT)
    assert not page.problems, page.problems

    label = await staff_service.store.nlu_labels.find_one({"_id": stored["_id"]})
    assert label is not None and label["intent"] == "complaint_lighting" and label["by"] == "staff:anna"
    assert [(e["entity"], e["value"]) for e in label["entities"]] == [("location", "Χαλέπα")]
    assert "6912345678" not in label["text"]


# A stand-in for the Web Audio API, installed before the page's scripts: counts the tones the monitor plays.
TONE_SPY = """
window.__tones = [];
window.AudioContext = function () {
  this.currentTime = 0; this.destination = {};
  this.createOscillator = function () {
    var osc = { frequency: {}, connect: function () {}, stop: function () {} };
    osc.start = function () { window.__tones.push(osc.frequency.value); };
    return osc;
  };
  this.createGain = function () { return { gain: {}, connect: function () {} }; };
};
"""


async def test_a_request_for_a_person_rings_and_counts_in_the_monitors_waiting_queue(page: Any,
                                                                                     staff_service: Any) -> None:
    await page.add_init_script(TONE_SPY)
    await log_in(page, staff_service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await open_live(page, f"{staff_service.url}/staff/monitor")
    badge = page.locator("#waiting-count")
    assert await badge.is_hidden() and await page.evaluate("window.__tones.length") == 0
    assert await page.locator("#waiting-empty").is_visible()
    await staff_service.telegram(staff_service.tg.message(5571, "θελω να μιλησω με υπαλληλο"))  # unaccented
    await page.locator('#waiting-list li[data-id="telegram:5571"]').wait_for(timeout=TIMEOUT)
    assert await badge.inner_text() == "1" and await badge.get_attribute("aria-label") == "1 σε αναμονή"
    assert await page.evaluate("window.__tones") == [880]  # one tone for the new request
    assert await page.title() == f"(1) {STAFF_EL('monitor.title')} · {STAFF_EL('app.municipality')}"
    assert await page.locator("#waiting-empty").is_hidden()
    item = await page.locator('#waiting-list li[data-id="telegram:5571"]').inner_text()
    assert item.split(" · ")[1:3] == ["Telegram", "Ελληνικά"]  # like the rows the server draws, by name
    await staff_service.telegram(staff_service.tg.message(5572, "I want to talk to a person please",
                                                          language_code="en"))
    await page.locator('#waiting-list li[data-id="telegram:5572"]').wait_for(timeout=TIMEOUT)
    assert await badge.inner_text() == "2" and await page.evaluate("window.__tones.length") == 2
    await staff_service.idle()
    # the same person asking again while waiting: no second tone, no second entry
    await staff_service.telegram(staff_service.tg.message(5571, "θέλω να μιλήσω με άνθρωπο"))
    await staff_service.idle()
    await asyncio.sleep(0.3)  # the event, if any, has reached the page by now
    assert await page.locator("#waiting-list li").count() == 2 and await page.evaluate("window.__tones.length") == 2
    assert page.problems == [] and page.failed == []


async def test_the_live_monitor_shows_who_took_a_chat_over_and_a_second_take_over_is_refused(
        page: Any, staff_service: Any) -> None:
    """QA F36 in the browser: a colleague takes the chat over; the open monitor's row names her without a reload,
    and this operator's own take-over is refused naming her."""
    from bot.staff.accounts import set_display_name
    from tests.fixtures.dashboard import staff_login

    uid = 6662
    await staff_service.say(uid, "Θέλω να μιλήσω με υπάλληλο")
    await create_staff(staff_service.store, "maria", "operator", [], PASSWORD)
    await set_display_name(staff_service.store, "maria", "Μαρία")
    maria = await staff_login(staff_service.url, "maria")
    await log_in(page, staff_service)
    await page.wait_for_url(re.compile(r"/staff/monitor$"), timeout=TIMEOUT)
    await page.locator("body[data-live='1']").wait_for(state="attached", timeout=TIMEOUT)
    row = page.locator(f'tr[data-id="telegram:{uid}"]')
    assert await row.locator("td.state .holder").count() == 0
    status, _, _ = await maria.post(f"/staff/conversations/telegram%3A{uid}/take-over")
    assert status == 303
    await row.locator("td.state .holder", has_text="Μαρία").wait_for(timeout=TIMEOUT)  # live, no reload
    assert STAFF_EL("monitor.paused") in await row.locator("td.state").inner_text()

    await row.locator("a").click()
    await page.wait_for_url(re.compile(rf"/staff/conversations/telegram%3A{uid}$"), timeout=TIMEOUT)
    assert "Μαρία" in await page.locator("#held-by").inner_text()
    assert await page.locator("#reply-form").count() == 0 and await page.locator("#take-over").count() == 0
    # both have the page open with «Ανάληψη»; Μαρία presses first (as in QA's m04 shot)
    await maria.post(f"/staff/conversations/telegram%3A{uid}/hand-back")
    await page.reload()
    await maria.post(f"/staff/conversations/telegram%3A{uid}/take-over")
    await page.click("#take-over")
    await page.wait_for_selector("#held-by-other", timeout=TIMEOUT)
    assert "Μαρία" in await page.locator("#held-by-other").inner_text()
    assert await page.locator(".flash.ok").count() == 0 and await page.locator("#reply-form").count() == 0
    await maria.post(f"/staff/conversations/telegram%3A{uid}/hand-back")
    await page.reload()
    await page.click("#take-over")
    await page.wait_for_selector("#reply-form", timeout=TIMEOUT)
    assert "operator" in await page.locator("#held-by").inner_text()  # no display name: the login, for staff
    await maria.close()
    assert page.problems == [] and page.failed == []
