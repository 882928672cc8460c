"""A person's own data in the chat, over the real app: the privacy notice, /mydata on Telegram, Viber and the web
chat (a file, a one-time link), and /forget with its confirmation, checked by scanning every collection.

Harness: tests/fixtures/service.py (real app on loopback, fake Bot API and Viber API, real Rasa server).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import tickets
from bot.alerts import subscriptions
from bot.core.i18n import Texts
from bot.core.models import GeoPoint
from bot.core.services import Services
from bot.privacy.erase import ERASED
from bot.staff import stats
from tests.fakes.telegram import Call
from tests.fixtures.service import Service
from tests.fixtures.viber import FakeViberApi, message_callback, signed, text_message

pytestmark = pytest.mark.rasa

EL, EN = Texts("el"), Texts("en")
MARIA, NIKOS = 7310455, 7310466  # Telegram user ids (= chat ids) of two residents
MARIA_PHONE, NIKOS_PHONE = "+306944123456", "+306977654321"
PLATEIA = GeoPoint(35.5138, 24.0180)


async def say(service: Service, user_id: int, text: str, lang: str = "el") -> list[Call]:
    before = len(service.fake_telegram.sent(user_id))
    resp = await service.telegram(service.tg.message(user_id, text, language_code=lang))
    assert resp.status == 200
    await service.idle()
    return service.fake_telegram.sent(user_id)[before:]


async def press(service: Service, user_id: int, payload: str) -> list[Call]:
    before = len(service.fake_telegram.sent(user_id))
    resp = await service.telegram(service.tg.callback(user_id, payload))
    assert resp.status == 200
    await service.idle()
    return service.fake_telegram.sent(user_id)[before:]


def texts_of(calls: list[Call]) -> list[str]:
    return [c.body["text"] for c in calls if c.method == "sendMessage"]


def payloads(call: Call) -> list[str]:
    return [b["callback_data"] for row in (call.reply_markup or {}).get("inline_keyboard", []) for b in row]


async def two_residents(service: Service) -> dict[str, Any]:
    """Maria and Nikos chat with the bot; each files a ticket (with a call-back phone), Maria follows Nikos's."""
    services: Services = service.runtime.services
    await say(service, MARIA, "Καλημέρα σας!")
    await say(service, NIKOS, "Καλημέρα")
    maria_ticket = await tickets.create_ticket(
        services, category="complaint_lighting", description="Δεν ανάβει η λάμπα έξω από το σπίτι μου, Μαρία",
        channel="telegram", language="el", conversation_id=f"telegram:{MARIA}", location=PLATEIA,
        photos=[{"file_id": "AgACAgQAAxkBAAIBmaria", "size": 84000}], citizen={"phone": MARIA_PHONE})
    nikos_ticket = await tickets.create_ticket(
        services, category="complaint_roads", description="Λακκούβα στην Κισσάμου, Νίκος Β.",
        channel="telegram", language="el", conversation_id=f"telegram:{NIKOS}", location=PLATEIA,
        citizen={"phone": NIKOS_PHONE})
    await tickets.follow_ticket(services, nikos_ticket["reference"], f"telegram:{MARIA}", "el")
    for uid in (MARIA, NIKOS):  # both subscribed to area notices
        await subscriptions.save(service.store, subscriptions.Subscription(
            f"telegram:{uid}", "telegram", str(uid), point=PLATEIA), consent_language="el")
    return {"maria": maria_ticket["reference"], "nikos": nikos_ticket["reference"]}


async def everything_stored(service: Service) -> str:
    """Every document of every collection, as one text to search."""
    db = service.store.db
    docs = []
    for name in await db.list_collection_names():
        docs += [doc async for doc in db[name].find({})]
    return json.dumps(docs, default=str, ensure_ascii=False)


# --- notice ------------------------------------------------------------------------------------------------------

async def test_the_first_reply_of_a_new_conversation_links_the_notice(make_service: Any) -> None:
    service = await make_service(privacy_notice_first_message=True, dpo_email="dpo@chania.example")
    first = texts_of(await say(service, MARIA, "Καλημέρα σας!"))
    url = "https://bot.example.test/privacy?lang=el"
    assert first == [f"{EL('system.welcome')}\n\n{EL('privacy.notice_short', url=url)}"]
    assert texts_of(await say(service, MARIA, "Καλημέρα ξανά")) == [EL("system.welcome")]  # only once
    english = texts_of(await say(service, NIKOS, "Hello there, good morning", lang="en"))
    assert english[0].endswith(EN("privacy.notice_short", url="https://bot.example.test/privacy?lang=en"))

    async with service.http.get(f"{service.url}/privacy") as resp:
        page = await resp.text()
        assert resp.status == 200 and resp.content_type == "text/html"
    assert EL("privacy.page.rights_h") in page and "dpo@chania.example" in page
    assert "365 ημέρες" in page and "730 ημέρες" in page
    assert "Δήμος Χανίων" in page
    async with service.http.get(f"{service.url}/chat", params={"lang": "en"}) as resp:  # the web chat links it
        assert f'href="/privacy?lang=en">{EN("webchat.privacy_link")}</a>' in await resp.text()
    async with service.http.get(f"{service.url}/privacy", params={"lang": "en"}) as resp:
        page = await resp.text()
    assert EN("privacy.page.rights_h") in page and "Hellenic Data Protection Authority" in page


async def test_the_photo_and_phone_questions_state_their_purpose() -> None:
    assert "συνεργείο" in EL("complaints.ask_photo", max_mb=10) and "crew" in EN("complaints.ask_photo", max_mb=10)
    assert "διαγράφεται όταν κλείσει" in EL("complaints.ask_consent")
    assert "deleted when the report is closed" in EN("complaints.ask_consent")


# --- access and portability ---------------------------------------------------------------------------------------

async def test_telegram_mydata_sends_a_summary_and_a_file_with_exactly_her_data(service: Service) -> None:
    refs = await two_residents(service)
    calls = await say(service, MARIA, "Τα δεδομένα μου")
    [summary] = texts_of(calls)
    assert summary.startswith(EL("privacy.export.title"))
    assert refs["maria"] in summary and refs["nikos"] in summary  # filed and followed
    assert EL("privacy.export.other", name=EL("privacy.export.names.alert_subscriptions"), n=1) in summary
    [upload] = [c for c in calls if c.method == "sendDocument"]
    name, content = upload.files["document"]
    assert name.startswith("chania-mydata-") and name.endswith(".json")
    data = json.loads(content)

    assert [c["_id"] for c in data["conversations"]] == [f"telegram:{MARIA}"]
    assert {m["conversation_id"] for m in data["messages"]} == {f"telegram:{MARIA}"}
    assert "Καλημέρα σας!" in [m.get("text") for m in data["messages"]]
    [filed] = data["tickets_filed"]
    assert filed["reference"] == refs["maria"] and filed["citizen"] == {"phone": MARIA_PHONE}
    assert "followers" not in filed
    [followed] = data["tickets_followed"]
    assert set(followed) == {"reference", "category", "status", "followed_since"}
    [subscription] = data["alert_subscriptions"]
    assert subscription["_id"] == f"telegram:{MARIA}" and subscription["consent"]["language"] == "el"
    text = content.decode()
    for other in (str(NIKOS), NIKOS_PHONE, "Νίκος", "Κισσάμου"):  # nothing of Nikos, not even his ticket's text
        assert other not in text, other

    # the link behind the upload was consumed by it
    [stored] = await service.store.downloads.find({}).to_list(None)
    assert stored["used_at"] is not None and "content" not in stored


async def test_greeklish_and_the_menu_button_reach_the_export(service: Service) -> None:
    await say(service, MARIA, "Καλημέρα σας!")
    calls = await say(service, MARIA, "ta dedomena mou")
    assert [c.method for c in calls] == ["sendMessage", "sendDocument"]
    [welcome] = await say(service, MARIA, "Καλημέρα")
    assert "privacy:menu" in payloads(welcome)  # the main menu's entry
    menu = await press(service, MARIA, "privacy:menu")
    assert payloads(menu[0]) == ["privacy:mydata", "privacy:forget"]
    menu = await say(service, MARIA, "/privacy")
    assert payloads(menu[0]) == ["privacy:mydata", "privacy:forget"]
    calls = await press(service, MARIA, "privacy:mydata")
    assert "sendDocument" in [c.method for c in calls]


async def test_viber_gets_a_file_message_whose_link_works_once(service: Service, fake_viber: FakeViberApi) -> None:
    body, headers = signed(message_callback(text_message("my data"), language="en"))
    async with service.http.post(service.viber_url, data=body, headers=headers) as resp:
        assert resp.status == 200
    await service.idle()
    sent = await fake_viber.wait_for("send_message", count=2)
    files = [c.body for c in sent if c.body.get("type") == "file"]
    assert len(files) == 1
    url = files[0]["media"]
    assert url.startswith("https://bot.example.test/privacy/download/") and files[0]["file_name"].endswith(".json")
    local = url.replace("https://bot.example.test", service.url)
    async with service.http.head(local) as resp:  # a check does not use the link up
        assert resp.status == 200
    async with service.http.get(local) as resp:
        assert resp.status == 200 and "attachment" in resp.headers["Content-Disposition"]
        data = json.loads(await resp.read())
    assert [c["_id"] for c in data["conversations"]] == ["viber:01234567890A="]
    async with service.http.get(local) as resp:
        assert resp.status == 410
    async with service.http.get(f"{service.url}/privacy/download/not-a-real-token") as resp:
        assert resp.status == 410


async def test_webchat_gets_a_download_link(service: Service) -> None:
    from bot.channels.webchat import COOKIE
    from tests.test_webchat import _open, receive

    session, ws = await _open(service)
    await receive(ws, "history")
    await ws.send_json({"type": "message", "id": "mydata-000001", "text": "/mydata", "lang": "el-GR"})
    reply = (await receive(ws, "reply"))["reply"]
    while not reply.get("document"):  # the web chat's greeting may come first
        reply = (await receive(ws, "reply"))["reply"]
    assert reply["text"].startswith(EL("privacy.export.title"))
    link = reply["document"]["url"]
    assert link.startswith("/chat/download/")  # under the chat's cookie path
    token = link.rsplit("/", 1)[1]
    # QA F26: the bare link (a shared computer's history), another browser's session, the public path: refused
    other = "x" * len(session)
    for url, cookie in ((link, None), (link, other), (f"/privacy/download/{token}", session)):
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
        async with service.http.get(service.url + url, headers=headers) as resp:
            assert resp.status == 410, url
    async with service.http.get(service.url + link, headers={"Cookie": f"{COOKIE}={session}"}) as resp:
        assert resp.status == 200
        data = json.loads(await resp.read())
    assert data["conversations"][0]["channel"] == "webchat"
    async with service.http.get(service.url + link, headers={"Cookie": f"{COOKIE}={session}"}) as resp:
        assert resp.status == 410  # once
    await ws.close()


# --- erasure -----------------------------------------------------------------------------------------------------

async def test_forget_asks_first_and_then_leaves_no_trace_of_her(service: Service) -> None:
    refs = await two_residents(service)
    services: Services = service.runtime.services
    # staff approved Maria's photo for publication (only the lamp post); her description was not marked
    await service.store.tickets.update_one({"reference": refs["maria"]}, {"$set": {"photos.0.approved": True}})
    before = await stats.ticket_stats(service.store)

    [prompt] = await say(service, MARIA, "Διαγραφή")
    assert "Η διαγραφή δεν αναιρείται" in prompt.body["text"] and refs["maria"] in prompt.body["text"]
    assert payloads(prompt) == ["privacy:forget_yes", "privacy:forget_no"]
    assert await service.store.conversations.count_documents({"_id": f"telegram:{MARIA}"}) == 1  # nothing yet

    # she is told that her area alerts go too, and what she follows, in words (QA F5)
    assert EL("privacy.forget.confirm_alerts", areas="γύρω από το σημείο που στείλατε") in prompt.body["text"]
    assert "Δεν θα παρακολουθείτε πια την αναφορά που ακολουθείτε." in prompt.body["text"]

    [done] = texts_of(await press(service, MARIA, "privacy:forget_yes"))
    assert EL("privacy.forget.kept", refs=refs["maria"]) in done
    assert EL("privacy.forget.done_alerts") in done
    assert "Δεν παρακολουθείτε πια την αναφορά που ακολουθούσατε." in done
    stored = await everything_stored(service)
    for trace in (f"telegram:{MARIA}", str(MARIA), MARIA_PHONE, MARIA_PHONE[3:], "Μαρία"):
        assert trace not in stored, trace

    ticket = await tickets.get_ticket(services, refs["maria"])
    assert ticket["conversation_id"] is None and ticket["citizen"] == {}
    assert ticket["description"] == ERASED and len(ticket["photos"]) == 1  # the approved photo stays
    nikos = await tickets.get_ticket(services, refs["nikos"])
    assert nikos["followers"] == [] and nikos["citizen"] == {"phone": NIKOS_PHONE}  # Nikos keeps his data
    assert await service.store.messages.count_documents({"conversation_id": f"telegram:{NIKOS}"}) >= 2
    assert await subscriptions.get(service.store, f"telegram:{MARIA}") is None
    assert await subscriptions.get(service.store, f"telegram:{NIKOS}") is not None
    after = await stats.ticket_stats(service.store)
    assert after.per_category == before.per_category and after.open_now == before.open_now == 2

    # a status change on her old ticket goes to nobody
    await tickets.change_status(services, refs["maria"], "resolved", actor="staff:eleni", note="Άλλαξε η λάμπα")
    assert texts_of(service.fake_telegram.sent(MARIA))[-1] == done

    # the old "yes" button of the prompt does nothing now; she starts a new conversation
    [again] = texts_of(await press(service, MARIA, "privacy:forget_yes"))
    assert again == EL("privacy.forget.expired")


async def test_forget_by_typing_yes_or_no(service: Service) -> None:
    await say(service, MARIA, "Hello", lang="en")
    [prompt] = texts_of(await say(service, MARIA, "forget me", lang="en"))
    assert prompt.startswith(EN("privacy.forget.confirm", messages=2, followed=0, tickets="—").split("\n")[0])
    assert texts_of(await say(service, MARIA, "no", lang="en")) == [EN("privacy.forget.cancelled")]
    assert await service.store.conversations.count_documents({"_id": f"telegram:{MARIA}"}) == 1
    await say(service, MARIA, "/forget")
    [done] = texts_of(await say(service, MARIA, "ναι"))  # one Greek word does not switch the chat to Greek
    assert done.startswith("Erased: the conversation and 9 messages.")  # 5 in, 4 out, this "ναι" included
    assert f"telegram:{MARIA}" not in await everything_stored(service)


async def test_forget_and_mydata_count_in_greek_and_name_the_alert_areas(service: Service) -> None:
    """QA F5: «1 μήνυμα», not «1 μηνύματα»; no «αναφορές (0)» sentence; the area alerts named in the prompt."""
    [mydata] = texts_of(await say(service, NIKOS, "/mydata"))
    assert "• 1 μήνυμα (δικό σας ή του βοηθού)" in mydata and "1 μηνύματα" not in mydata
    [prompt] = texts_of(await say(service, MARIA, "/forget"))
    assert prompt == "\n".join(["Να διαγράψω τα δεδομένα σας;", "• Θα σβηστούν η συνομιλία και το μήνυμά σας (1).",
                                "Η διαγραφή δεν αναιρείται."])
    await say(service, MARIA, "οχι")
    await subscriptions.save(service.store, subscriptions.Subscription(
        f"telegram:{MARIA}", "telegram", str(MARIA), areas=["chalepa", "souda"]), consent_language="el")
    [prompt] = texts_of(await say(service, MARIA, "διαγραφή"))
    assert "όλα τα μηνύματά σας (5)" in prompt and "(0)" not in prompt and "αναφορές" not in prompt
    assert "• Σβήνεται και η εγγραφή σας στις ειδοποιήσεις περιοχής (Χαλέπα, Σούδα): δεν θα λαμβάνετε" in prompt
    [done] = texts_of(await say(service, MARIA, "ναι"))
    assert done.startswith("Διαγράφηκαν η συνομιλία και 7 μηνύματα.\nΗ εγγραφή σας στις ειδοποιήσεις περιοχής")
    assert " 0 " not in done and "παρακολουθείτε" not in done
    [prompt] = texts_of(await say(service, 7310477, "forget me", lang="en"))  # an English-speaking visitor
    assert prompt == "Shall I erase your data?\n• Your conversation and your message (1) will be deleted.\n" \
                     "Erasure cannot be undone."
