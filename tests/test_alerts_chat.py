"""Subscribing to area alerts in the chat, end to end: the real app over HTTP, the real Rasa server, the fake Bot
API and Viber API. What the resident sees, and what is stored (only after explicit consent)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core.i18n import Texts
from tests.fixtures.people import ViberPerson
from tests.fixtures.service import Service
from tests.fixtures.viber import location_message, text_message

pytestmark = pytest.mark.rasa
EL, EN = Texts("el"), Texts("en")


def buttons(call: Any) -> dict[str, str]:
    """label → callback data of a Telegram message's inline keyboard."""
    markup = call.reply_markup or {}
    return {b["text"]: b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row}


SHOWN = ("sendMessage", "editMessageText")


def shown(service: Service, user: int) -> list[Any]:
    """What the resident's chat shows, in order: messages sent and messages edited in place."""
    return [c for c in service.fake_telegram.sent(user) if c.method in SHOWN]


def message_id(call: Any) -> int:
    """The id of the message a call showed: a sent message's new id, or the id of the message it edited."""
    return int(call.body["message_id"]) if call.method == "editMessageText" else call.result["message_id"]


async def press(service: Service, user: int, data: str, *, on: Any = None, count: int = 1,
                lang: str = "el") -> list[Any]:
    """Taps the button ``data`` on the bot's message ``on`` (a message nobody knows when None) and returns what
    the chat shows next."""
    before = len(shown(service, user))
    update = service.tg.callback(user, data, language_code=lang,
                                 message_id=None if on is None else message_id(on))
    resp = await service.telegram(update)
    assert resp.status == 200
    await service.idle()
    for _ in range(100):  # the outbox sends after the turn: wait for what the tap shows

        if len(shown(service, user)) >= before + count:
            break
        await asyncio.sleep(0.05)
    return shown(service, user)[before:]


async def test_a_greek_resident_subscribes_to_two_areas_and_stops(rasa_server: Any, service: Service) -> None:
    user = 7101
    sent = await service.say(user, "Ειδοποιήσεις", count=2)
    assert sent[0].body["text"] == EL("alerts.intro")
    area_buttons = buttons(sent[1])
    assert area_buttons["Χαλέπα"] == "alr:area:chalepa" and area_buttons["Σούδα"] == "alr:area:souda"
    assert not any(label.startswith("✅") for label in area_buttons)

    picker = sent[1]
    [toggled] = await press(service, user, "alr:area:chalepa", on=picker)  # the picker changes in place
    assert toggled.method == "editMessageText" and message_id(toggled) == message_id(picker)
    assert "✅ Χαλέπα" in buttons(toggled)
    [typed] = await service.say(user, "σουδα")  # a typed area name, unaccented, toggles it too: a new picker
    assert typed.method == "sendMessage" and {"✅ Χαλέπα", "✅ Σούδα"} <= set(buttons(typed))

    [kinds] = await press(service, user, "alr:areas_done", on=typed)
    assert kinds.method == "editMessageText" and message_id(kinds) == message_id(typed)
    assert kinds.body["text"] == EL("alerts.pick_kinds")
    assert all(label.startswith("✅") for label, data in buttons(kinds).items() if data.startswith("alr:kind:"))
    [kinds] = await press(service, user, "alr:kind:civil_protection", on=kinds)
    assert EL("alerts.kinds.civil_protection") in buttons(kinds)  # now without the tick

    [confirm] = await press(service, user, "alr:kinds_done", on=kinds)
    assert confirm.method == "editMessageText" and message_id(confirm) == message_id(typed)
    assert "Χαλέπα" in confirm.body["text"] and "Δ.Ε. Σούδας" in confirm.body["text"]
    assert "πολιτική προστασία" not in confirm.body["text"].lower()
    assert await service.store.db["alert_subscriptions"].find_one({"_id": f"telegram:{user}"}) is None  # not yet
    sent_methods = [c.method for c in shown(service, user)]
    assert sent_methods.count("sendMessage") == 3 and sent_methods.count("editMessageText") == 4  # 3 messages only

    [done] = await press(service, user, "alr:confirm", on=confirm)  # a new message: the consent stays readable
    assert done.method == "sendMessage"
    assert done.body["text"].startswith("Έγινε!")
    doc = await service.store.db["alert_subscriptions"].find_one({"_id": f"telegram:{user}"})
    assert doc["areas"] == ["souda", "chalepa"] and doc["point"] is None
    assert doc["kinds"] == ["water", "power", "roads", "waste"]
    assert doc["chat_id"] == str(user) and doc["consent"]["language"] == "el" and doc["consent"]["given_at"]

    [again] = await service.say(user, "ειδοποιησεις")  # already subscribed: shown, with change/stop
    assert again.body["text"].startswith("Λαμβάνετε ήδη") and "alr:stop" in buttons(again).values()

    [stopped] = await service.say(user, "/stop")
    assert stopped.body["text"] == EL("alerts.stopped")
    assert await service.store.db["alert_subscriptions"].find_one({"_id": f"telegram:{user}"}) is None
    [nothing] = await service.say(user, "/stop")
    assert nothing.body["text"] == EL("alerts.nothing_to_stop")


async def test_cancel_stores_nothing_and_old_buttons_are_inert(rasa_server: Any, service: Service) -> None:
    user = 7102
    await service.say(user, "/alerts", count=2, language_code="en")
    [toggled] = await press(service, user, "alr:area:old_town", lang="en")  # on a message Telegram cannot edit
    assert toggled.method == "sendMessage" and "✅ Old Town" in buttons(toggled)  # (gone, too old): sent anew
    assert service.fake_telegram.refused[-1].method == "editMessageText"
    [cancelled] = await press(service, user, "alr:cancel", lang="en")
    assert cancelled.body["text"] == EN("alerts.cancelled")
    [stale] = await press(service, user, "alr:confirm", lang="en")
    assert stale.body["text"] == EN("alerts.stale")
    assert await service.store.db["alert_subscriptions"].count_documents({}) == 0


async def test_a_visitor_on_viber_subscribes_around_a_shared_location(rasa_server: Any, fake_viber: Any,
                                                                      service: Service) -> None:
    uid = "alerts-viber-user=="
    visitor = ViberPerson(service, fake_viber, uid, "en")

    async def send(message: dict[str, Any]) -> list[dict[str, Any]]:
        return [c.body for c in await visitor.send(message)]

    def press_viber(payload: str) -> dict[str, Any]:
        return text_message(f"btn:{payload}")

    shown = await send(text_message("alerts"))
    assert shown[0]["text"] == EN("alerts.intro")
    assert any(b["ActionBody"] == "btn:alr:locate" for b in shown[-1]["keyboard"]["Buttons"])
    await send(press_viber("alr:locate"))
    [radius] = await send(location_message(35.5185, 24.0400))  # in Halepa
    assert radius["text"] == EN("alerts.pick_radius")
    [areas] = await send(press_viber("alr:radius:3000"))
    assert any("around your location (3 km)" in b["Text"] for b in areas["keyboard"]["Buttons"])
    await send(press_viber("alr:areas_done"))
    [confirm] = await send(press_viber("alr:kinds_done"))
    assert "around your location (3 km)" in confirm["text"]
    [done] = await send(press_viber("alr:confirm"))
    assert done["text"].startswith("Done!")
    doc = await service.store.db["alert_subscriptions"].find_one({"_id": f"viber:{uid}"})
    assert doc["point"] == {"lat": 35.5185, "lon": 24.04} and doc["radius_m"] == 3000 and doc["areas"] == []
    assert doc["consent"]["language"] == "en"
