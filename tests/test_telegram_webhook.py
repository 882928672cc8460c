"""The Telegram channel over HTTP: the real app, the fake Bot API, the real Rasa server."""

from __future__ import annotations

import asyncio
import json

from pymongo.errors import ServerSelectionTimeoutError

from bot.core.i18n import Texts
from tests.fakes.telegram import UpdateFactory
from tests.fixtures.people import TelegramPerson
from tests.fixtures.service import TELEGRAM_SECRET, Service, free_port


async def _count(service: Service, **query: object) -> int:
    return await service.store.messages.count_documents(query)


async def test_greek_message_is_answered_in_greek_and_stored_with_its_nlu_result(service: Service) -> None:
    calls = await service.say(4242, "Καλημέρα σας!")
    assert calls[0].body["text"] == Texts("el")("system.welcome")
    await service.idle()
    stored = await service.store.messages.find_one({"conversation_id": "telegram:4242", "direction": "in"})
    assert stored["text"] == "Καλημέρα σας!"
    assert stored["status"] == "answered"
    assert stored["nlu"]["intent"]["name"] == "greet"
    assert stored["intent"] == "greet"
    out = await service.store.messages.find_one({"conversation_id": "telegram:4242", "direction": "out"})
    assert out["text"] == calls[0].body["text"] and out["status"] == "sent"


async def test_english_message_is_answered_in_english(service: Service) -> None:
    calls = await service.say(5151, "Hello there, good morning", language_code="en")
    assert calls[0].body["text"] == Texts("en")("system.welcome")


async def test_wrong_or_missing_secret_is_refused_and_nothing_is_stored(service: Service) -> None:
    update = service.tg.message(77, "Καλημέρα")
    assert (await service.telegram(update, secret="not-the-secret")).status == 403
    assert (await service.telegram(update, secret=None)).status == 403
    assert (await service.telegram(update, secret=TELEGRAM_SECRET + "x")).status == 403
    await service.idle()
    assert await _count(service) == 0
    assert service.fake_telegram.sent(77) == []


async def test_invalid_json_and_non_updates_get_400_and_nothing_is_stored(service: Service) -> None:
    assert (await service.telegram(b'{"update_id": 1, "message": ')).status == 400
    assert (await service.telegram(b"[1, 2, 3]")).status == 400
    assert (await service.telegram({"message": {"text": "no update id"}})).status == 400
    assert (await service.telegram(b"\xff\xfe not utf-8")).status == 400
    assert await _count(service) == 0


async def test_body_over_one_mebibyte_gets_413_and_nothing_is_stored(service: Service) -> None:
    update = service.tg.message(88, "α" * (600 * 1024))  # 1.2 MB of UTF-8
    assert len(json.dumps(update, ensure_ascii=False).encode()) > 1024 * 1024
    resp = await service.telegram(json.dumps(update, ensure_ascii=False).encode())
    assert resp.status == 413
    assert await _count(service) == 0


async def test_unknown_update_types_are_acknowledged_and_ignored(service: Service) -> None:
    poll = {"update_id": 990001, "poll": {"id": "1", "question": "?", "options": [], "total_voter_count": 0,
                                          "is_closed": False, "is_anonymous": True, "type": "regular",
                                          "allows_multiple_answers": False}}
    member = {"update_id": 990002, "my_chat_member": {
        "chat": {"id": 31, "type": "private"}, "from": UpdateFactory.user(31), "date": 1764000000,
        "old_chat_member": {"status": "member", "user": UpdateFactory.user(7000000001)},
        "new_chat_member": {"status": "kicked", "user": UpdateFactory.user(7000000001), "until_date": 0}}}
    future_type = {"update_id": 990003, "some_future_update": {"anything": True}}
    pinned = service.tg.message(31, None, pinned_message={"message_id": 1, "date": 1764000000,
                                                          "chat": {"id": 31, "type": "private"}})
    group = service.tg.message(31, "Καλημέρα", chat={"id": -100123, "type": "group", "title": "Γειτονιά"})
    for update in (poll, member, future_type, pinned, group):
        resp = await service.telegram(update)
        assert resp.status == 200
    await service.idle()
    assert await _count(service) == 0
    assert service.fake_telegram.sent(31) == [] and service.fake_telegram.sent(-100123) == []


async def test_a_retried_update_is_processed_once(service: Service) -> None:
    update = service.tg.message(6060, "Γεια σας")
    responses = await asyncio.gather(*(service.telegram(update) for _ in range(3)))
    assert [r.status for r in responses] == [200, 200, 200]
    await service.idle()
    await asyncio.sleep(0.2)
    assert await _count(service, direction="in") == 1
    assert len(service.fake_telegram.sent(6060, "sendMessage")) == 1


async def test_messages_of_one_chat_are_answered_in_order(service: Service) -> None:
    texts = ["/start", "/help", "/language en", "/help", "/language el", "/cancel"]
    for text in texts:  # each POST returns before its message is processed: the queue must keep the order
        assert (await service.telegram(service.tg.message(7070, text))).status == 200
    calls = await service.fake_telegram.wait_for(7070, count=len(texts), method="sendMessage")
    el, en = Texts("el"), Texts("en")
    assert [c.body["text"] for c in calls] == [
        el("system.welcome"), el("system.help"), en("system.language_set"), en("system.help"),
        el("system.language_set"), el("system.nothing_to_cancel"),
    ]


async def test_chats_are_processed_concurrently_and_all_answered(service: Service) -> None:
    chats = list(range(9100, 9140))
    await asyncio.gather(*(service.telegram(service.tg.message(c, "/start")) for c in chats))
    await service.idle()
    for chat in chats:
        assert len(await service.fake_telegram.wait_for(chat, method="sendMessage")) == 1


async def test_button_press_is_routed_and_the_callback_answered(service: Service) -> None:
    resp = await service.telegram(service.tg.callback(8080, "menu:language", language_code="el"))
    assert resp.status == 200
    calls = await service.fake_telegram.wait_for(8080, method="sendMessage")
    assert calls[0].body["text"] == Texts("en")("system.language_set")
    for _ in range(50):
        if service.fake_telegram.sent(method="answerCallbackQuery"):
            break
        await asyncio.sleep(0.05)
    assert service.fake_telegram.sent(method="answerCallbackQuery")
    conv = await service.store.conversations.find_one({"_id": "telegram:8080"})
    assert conv["language"] == "en" and conv["language_locked"] is True


async def test_store_outage_answers_503_and_the_retry_is_processed(service: Service, monkeypatch) -> None:
    store = service.runtime.store

    async def down(*_a: object, **_k: object) -> None:
        raise ServerSelectionTimeoutError("no servers available")

    update = service.tg.message(1212, "Καλημέρα")
    with monkeypatch.context() as m:
        m.setattr(store.messages, "insert_one", down)
        m.setattr(store.db, "command", down)
        assert (await service.telegram(update)).status == 503
        async with service.http.get(f"{service.url}/healthz") as resp:
            health = await resp.json()
        assert resp.status == 503 and health["store"]["ok"] is False and health["status"] == "degraded"
    assert await _count(service) == 0
    assert (await service.telegram(update)).status == 200  # Telegram retries the same update
    calls = await service.fake_telegram.wait_for(1212, method="sendMessage")
    assert calls[0].body["text"] == Texts("el")("system.welcome")


async def test_rasa_outage_still_answers_with_the_menu_and_stores_the_message(make_service) -> None:
    service: Service = await make_service(nlu_url=f"http://127.0.0.1:{free_port()}", nlu_token="t")
    calls = await service.say(1313, "Δεν ανάβει η λάμπα στην Αποκορώνου")
    assert calls[0].body["text"] == Texts("el")("system.nlu_down")
    keyboard = calls[0].reply_markup["inline_keyboard"]
    assert any(b["callback_data"] == "menu:report" for row in keyboard for b in row)
    stored = await service.store.messages.find_one({"conversation_id": "telegram:1313", "direction": "in"})
    assert stored["text"] == "Δεν ανάβει η λάμπα στην Αποκορώνου"
    assert "error" in stored["nlu"]
    async with service.http.get(f"{service.url}/healthz") as resp:
        health = await resp.json()
    assert resp.status == 200 and health["status"] == "degraded" and health["nlu"]["ok"] is False


async def test_a_message_accepted_before_a_crash_is_answered_after_restart(service: Service, monkeypatch) -> None:
    pipeline = service.runtime.pipeline
    monkeypatch.setattr(pipeline, "_enqueue", lambda *a, **k: None)  # the process dies right after storing
    assert (await service.telegram(service.tg.message(1414, "Καλημέρα"))).status == 200
    assert await _count(service, status="received") == 1
    await service.restart()
    calls = await service.fake_telegram.wait_for(1414, method="sendMessage")
    assert calls[0].body["text"] == Texts("el")("system.welcome")
    await service.idle()
    assert await _count(service, status="received") == 0


async def test_graceful_shutdown_finishes_in_flight_messages(service: Service) -> None:
    chats = list(range(9500, 9510))
    for chat in chats:
        assert (await service.telegram(service.tg.message(chat, "Καλημέρα"))).status == 200
    await service.stop()  # immediately: the messages are still being processed
    for chat in chats:
        assert len(service.fake_telegram.sent(chat, "sendMessage")) == 1
    assert await _count(service, status="received") == 0


async def test_webhook_is_registered_with_the_secret_at_start(service: Service) -> None:
    calls = service.fake_telegram.sent(method="setWebhook")
    assert calls, "setWebhook was not called"
    body = calls[-1].body
    assert body["url"] == "https://bot.example.test/webhooks/telegram"
    assert body["secret_token"] == TELEGRAM_SECRET
    assert set(json.loads(body["allowed_updates"]) if isinstance(body["allowed_updates"], str)
               else body["allowed_updates"]) == {"message", "callback_query"}


async def test_long_polling_when_no_public_url(make_service) -> None:
    # generous deadlines (NLU answer, reply) instead of the 3 s and 15 s a loaded machine can exceed
    service: Service = await make_service(public_url=None, nlu_timeout_s=30.0)
    fake = service.fake_telegram
    assert fake.sent(method="deleteWebhook")
    fake.queue_update(service.tg.message(1515, "Γεια σας"))
    calls = await fake.wait_for(1515, method="sendMessage", wait_s=60)
    assert [c.body["text"] for c in calls] == [Texts("el")("system.welcome")]
    fake.queue_update(service.tg.message(1515, "/help"))  # the offset moved on: the first is not handled twice
    await fake.wait_for(1515, count=2, method="sendMessage", wait_s=60)
    await service.idle()
    assert [c.body["text"] for c in fake.sent(1515, "sendMessage")] == [Texts("el")("system.welcome"),
                                                                       Texts("el")("system.help")]


async def test_location_photo_and_contact_are_translated(service: Service) -> None:
    for update in (service.tg.location(1616, 35.5138, 24.0180), service.tg.photo(1616, caption="Λακκούβα"),
                   service.tg.contact(1616, "+306900000000")):
        assert (await service.telegram(update)).status == 200
    await service.idle()
    docs = await service.store.messages.find({"conversation_id": "telegram:1616", "direction": "in"}).to_list()
    assert docs[0]["location"] == {"lat": 35.5138, "lon": 24.018}
    assert docs[1]["attachments"][0]["file_id"].startswith("AgAC") and docs[1]["attachments"][0]["size"] == 84_000
    assert docs[1]["text"] == "Λακκούβα"
    assert docs[2]["status"] in ("answered", "processed")
    assert docs[2]["contact_phone"] is None  # not kept on the message once handled (personal data)


async def test_a_shared_contact_reaches_the_handler(service: Service, monkeypatch) -> None:
    seen: list[str | None] = []
    conversation = service.runtime.pipeline.registry.conversation
    original = conversation.handle

    async def spy(turn):  # type: ignore[no-untyped-def]
        seen.append(turn.inbound.contact_phone)
        return await original(turn)

    monkeypatch.setattr(conversation, "handle", spy)
    assert (await service.telegram(service.tg.contact(1717, "+306911111111"))).status == 200
    await service.idle()
    assert seen == ["+306911111111"]


async def test_a_database_failure_mid_processing_leaves_the_message_for_recovery(service: Service,
                                                                                  monkeypatch, caplog) -> None:
    from bot import conversations

    original = conversations.save_turn
    failures = []

    async def flaky(*args: object, **kwargs: object) -> None:
        if not failures:
            failures.append(1)
            raise ServerSelectionTimeoutError("primary stepped down")
        await original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(conversations, "save_turn", flaky)
    assert (await service.telegram(service.tg.message(1818, "Καλημέρα"))).status == 200
    await service.idle()
    assert await _count(service, status="processing") == 1  # claimed, never finished
    assert any(r.getMessage() == "processing failed" for r in caplog.records)
    assert await service.runtime.pipeline.recover() == 0  # its claim has not expired yet
    assert await service.runtime.pipeline.recover(lease_s=0) == 1  # what the recovery loop does after the lease
    calls = await service.fake_telegram.wait_for(1818, method="sendMessage")
    assert calls[-1].body["text"] == Texts("el")("system.welcome")
    await service.idle()
    assert await _count(service, status="received") == 0 and await _count(service, status="processing") == 0


async def test_two_instances_recovering_at_once_answer_a_message_once(make_service, monkeypatch) -> None:
    first: Service = await make_service()
    second: Service = await make_service(store=first.store)  # another instance on the same database
    monkeypatch.setattr(first.runtime.pipeline, "_enqueue", lambda *a, **k: None)  # stored, then the crash
    assert (await first.telegram(first.tg.message(2020, "Καλημέρα"))).status == 200
    monkeypatch.undo()
    counts = await asyncio.gather(first.runtime.pipeline.recover(), second.runtime.pipeline.recover())
    assert counts == [1, 1]  # both found it; the atomic claim lets only one answer
    await first.idle()
    await second.idle()
    await asyncio.sleep(0.2)
    assert len(first.fake_telegram.sent(2020, "sendMessage")) == 1
    assert await _count(first, status="answered") == 1


async def test_a_failing_handler_gets_an_apology_not_silence(service: Service, monkeypatch) -> None:
    conversation = service.runtime.pipeline.registry.conversation

    async def broken(turn):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    monkeypatch.setattr(conversation, "command", broken)
    calls = await service.say(1919, "/start")
    assert calls[0].body["text"] == Texts("el")("system.error")


VOICE = {"file_id": "AwACAgQAAxkBAAIBVoice", "file_unique_id": "AgADVoice", "duration": 14, "mime_type": "audio/ogg",
         "file_size": 52_000}
STICKER = {"file_id": "CAACAgIAAxkBAAIBSticker", "file_unique_id": "AgADSticker", "width": 512, "height": 512,
           "is_animated": False, "is_video": False, "type": "regular", "emoji": "👍"}


async def test_a_voice_message_or_a_sticker_gets_one_answer_in_the_persons_language(service: Service) -> None:
    """QA F31: not silence. The reply says what the bot reads, in the person's language, once per message (a
    retried update too); the file is never fetched and its id is not stored."""
    el, en = Texts("el"), Texts("en")
    voice = service.tg.message(3101, None, voice=VOICE)
    responses = await asyncio.gather(*(service.telegram(voice) for _ in range(2)))  # Telegram retries the webhook
    assert [r.status for r in responses] == [200, 200]
    await service.idle()
    sent = service.fake_telegram.sent(3101, "sendMessage")
    assert [c.body["text"] for c in sent] == [el("system.cannot_hear")]
    assert "reply_markup" in sent[0].body  # with the menu: one tap to a report or a person
    await service.telegram(service.tg.message(3102, None, sticker=STICKER, language_code="en"))
    await service.idle()
    assert [c.body["text"] for c in service.fake_telegram.sent(3102, "sendMessage")] == [en("system.cannot_read")]
    assert service.fake_telegram.sent(method="getFile") == []  # nothing downloaded
    stored = [d async for d in service.store.messages.find({"direction": "in", "channel": "telegram"})]
    assert sorted(d["unreadable"] for d in stored) == ["sticker", "voice"]
    assert "AwACAgQAAxkBAAIBVoice" not in repr(stored) and "CAACAgIAAxkBAAIBSticker" not in repr(stored)


async def test_a_voice_message_in_the_middle_of_a_report_keeps_the_report(service: Service) -> None:
    el = Texts("el")
    maria = TelegramPerson(service, 3103)
    await maria.say("Δεν ανάβει η λάμπα στην Αποκορώνου 12")
    await maria.unreadable(voice=VOICE)
    assert maria.texts[0] == el("system.cannot_hear")
    # no menu in a report: its question follows (the 📍 key the question had shown is taken away meanwhile)
    assert maria.last[0].reply_markup in (None, {"remove_keyboard": True})
    assert maria.texts[1].startswith(el("complaints.resume")) and "«Αποκορώνου 12»" in maria.texts[1]
    assert (await maria.conversation())["flow"]["name"] == "complaints"
