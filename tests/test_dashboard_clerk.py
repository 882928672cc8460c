"""What a clerk sees (issue 13): button labels instead of payloads, intents in words only where NLU read the
message, one set of status names, reasons for closing a ticket, Greek formats. Over real HTTP: the whole service
(Telegram webhook, pipeline, stub NLU) for transcripts, the dashboard app for tickets."""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
from typing import Any

import aiohttp

from bot import tickets
from bot.i18n import Texts
from bot.models import GeoPoint
from tests.fixtures.dashboard import PASSWORD, Dashboard, StaffClient

EL, EN = Texts("el"), Texts("en")
HARBOUR = GeoPoint(35.5197, 24.0180)


async def press_and_wait(service: Any, uid: int, update: dict[str, Any]) -> list[Any]:
    before = len(service.fake_telegram.sent(uid, "sendMessage"))
    resp = await service.telegram(update)
    assert resp.status == 200
    await service.idle()
    return service.fake_telegram.sent(uid, "sendMessage")[before:]


def payload_of(calls: list[Any], label: str) -> str:
    for call in calls:
        for row in (call.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == label:
                    return button["callback_data"]
    raise AssertionError(f"no button {label!r} in {[c.body.get('text') for c in calls]}")


def inbound_items(page: str) -> list[str]:
    return re.findall(r'<li class="msg in".*?</li>', page, re.S)


async def staff_client(service: Any) -> StaffClient:
    """An operator logged in to the full service, whose PUBLIC_URL is https: its cookies are Secure, so the
    client treats the loopback address as a secure origin (as browsers treat 127.0.0.1)."""
    client = StaffClient(service.url, "operator")
    await client.session.close()
    client.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True,
                                                                        treat_as_secure_origin=[service.url]))
    status, _, _ = await client.login(PASSWORD)
    assert status == 303
    return client


async def test_transcript_shows_the_label_pressed_and_intents_only_where_nlu_read(staff_service_stub_nlu: Any,
                                                                                  stub_rasa: Any) -> None:
    service, uid = staff_service_stub_nlu, 8101
    await press_and_wait(service, uid, service.tg.message(uid, "Δεν ανάβει η λάμπα"))  # no place: the bot asks
    asked_photo = await press_and_wait(service, uid, service.tg.message(uid, "Αποκορώνου 12"))  # the answer
    no_photo = EL("complaints.skip_photo")
    payload = payload_of(asked_photo, no_photo)
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
    await press_and_wait(service, uid, service.tg.message(uid, "Αποκορώνου 12"))  # stub NLU: out_of_scope 0.31
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

async def new_ticket(d: Dashboard, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"category": "complaint_lighting", "description": "Σβηστή λάμπα στην Αποκορώνου",
                            "channel": "telegram", "language": "el", "conversation_id": "telegram:4242"}
    args.update(kw)
    return await tickets.create_ticket(d.services, **args)


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
    assert where[pinned["reference"]] == "📍 35,51970; 24,01800"  # not a bare pin: coordinates, decimal comma
    assert where[typed["reference"]] == "Πλατεία Αγοράς"
    assert "<td>Ιστοσελίδα</td>" in page and "<td>ΚΑΠΗ/ΚΗΦΗ</td>" in page
    _, none, _ = await op.get("/staff/tickets?from=01/01/2099")
    assert "Δεν βρέθηκαν αιτήματα." in none
    _, bad, _ = await op.get("/staff/tickets?from=32/01/2026")
    assert "Αγνοήθηκαν μη έγκυρα φίλτρα: from" in bad

    _, body, _ = await op.get("/staff/tickets.csv")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    by_ref = {r["Αριθμός"]: r for r in rows}
    assert by_ref[pinned["reference"]]["Κανάλι"] == "Ιστοσελίδα" and by_ref[typed["reference"]]["Κανάλι"] == "ΚΑΠΗ/ΚΗΦΗ"
    assert by_ref[pinned["reference"]]["Γλώσσα"] == "Ελληνικά"
    assert by_ref[pinned["reference"]]["Γεωγρ. μήκος"] == "24,018000"

    _, detail, _ = await op.get(f"/staff/tickets/{pinned['reference']}")
    assert '<p class="where" id="ticket-where">📍 35,51970; 24,01800</p>' in detail
    # in English: the English formats
    await op.post("/staff/language", {"lang": "en", "next": "/staff/tickets"})
    _, page, _ = await op.get("/staff/tickets")
    where = dict(re.findall(r'href="/staff/tickets/(CHA-[\d-]+)">.*?<td class="where">([^<]*)</td>', page, re.S))
    assert where[pinned["reference"]] == "📍 35.51970, 24.01800" and "<td>Web chat</td>" in page
