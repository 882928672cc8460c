"""The Viber adapter over real HTTP: signed callbacks in (aiohttp test server), sends out to a fake Viber API.

The adapter is mounted on a minimal aiohttp app with a recording Intake; the end-to-end tests through the whole
service are at the bottom.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from viberbot.api.messages import get_message

from bot.channels.base import SendError
from bot.channels.viber import ViberAdapter
from bot.core.models import Button, GeoPoint, Pin, Reply
from bot.core.settings import Settings
from bot.store import Store
from tests.fakes.intake import RecordingIntake
from tests.fixtures.store import open_test_store
from tests.fixtures.viber import (
    VIBER_TEST_TOKEN,
    VIBER_USER_ID,
    FakeViberApi,
    contact_message,
    conversation_started,
    delivered,
    failed,
    location_message,
    message_callback,
    next_token,
    picture_message,
    seen,
    sign,
    signed,
    subscribed,
    text_message,
    unsubscribed,
    webhook_check,
)

ONE_MIB = 1024 * 1024


def make_settings(fake: FakeViberApi, **kw: Any) -> Settings:
    return Settings(_env_file=None, viber_token=VIBER_TEST_TOKEN, viber_api_url=fake.url, **kw)  # type: ignore[call-arg]


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest_asyncio.fixture
async def store() -> Store:
    return await open_test_store("viber_adapter_test")


class Harness:
    def __init__(self, adapter: ViberAdapter, client: Any, intake: RecordingIntake, fake: FakeViberApi) -> None:
        self.adapter, self.client, self.intake, self.fake = adapter, client, intake, fake

    async def post(self, payload: dict[str, Any]) -> aiohttp.ClientResponse:
        body, headers = signed(payload)
        return await self.client.post("/webhooks/viber", data=body, headers=headers)


@pytest_asyncio.fixture
async def viber(aiohttp_client: Any, fake_viber: FakeViberApi, http: aiohttp.ClientSession,
                store: Store) -> Harness:
    settings = make_settings(fake_viber)
    intake = RecordingIntake()
    adapter = ViberAdapter(settings, intake, http, store=store, timeout_s=2.0)
    app = web.Application(client_max_size=settings.max_body_bytes)
    adapter.add_routes(app)
    client = await aiohttp_client(app)
    return Harness(adapter, client, intake, fake_viber)


# ---------------------------------------------------------------------- authentication and bad input
async def test_signed_greek_text_is_accepted_and_mapped(viber: Harness) -> None:
    token = next_token()
    resp = await viber.post(message_callback(text_message("Δεν ανάβει η λάμπα στην οδό Χάληδων"), token=token))
    assert resp.status == 200
    [inbound] = viber.intake.accepted
    assert inbound.channel == "viber"
    assert inbound.message_id == str(token)
    assert inbound.user_id == inbound.chat_id == VIBER_USER_ID
    assert inbound.text == "Δεν ανάβει η λάμπα στην οδό Χάληδων"
    assert inbound.language_hint == "el"
    assert inbound.button is None and inbound.location is None and inbound.attachments == ()


@pytest.mark.parametrize("signature", ["", "0" * 64, sign(b"something else"), sign(b"x", "another-token")])
async def test_wrong_or_missing_signature_is_403_and_nothing_accepted(viber: Harness, signature: str) -> None:
    body, headers = signed(message_callback(text_message("Γεια σας")))
    headers["X-Viber-Content-Signature"] = signature
    resp = await viber.client.post("/webhooks/viber", data=body, headers=headers)
    assert resp.status == 403
    assert viber.intake.calls == 0


async def test_signature_is_checked_over_the_raw_bytes(viber: Harness) -> None:
    """The same JSON re-serialised differently (spaces) no longer matches the signature."""
    payload = message_callback(text_message("λακκούβα"))
    _body, headers = signed(payload)
    respaced = json.dumps(payload, ensure_ascii=False, indent=1).encode()
    resp = await viber.client.post("/webhooks/viber", data=respaced, headers=headers)
    assert resp.status == 403
    assert viber.intake.calls == 0


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"[1, 2]", b""])
async def test_invalid_json_with_a_valid_signature_is_400(viber: Harness, raw: bytes) -> None:
    resp = await viber.client.post("/webhooks/viber", data=raw, headers={"X-Viber-Content-Signature": sign(raw)})
    assert resp.status == 400
    assert viber.intake.calls == 0


async def test_body_over_one_mib_is_413_and_nothing_accepted(viber: Harness) -> None:
    payload = message_callback(text_message("α" * ONE_MIB))
    body, headers = signed(payload)
    assert len(body) > ONE_MIB
    resp = await viber.client.post("/webhooks/viber", data=body, headers=headers)
    assert resp.status == 413
    assert viber.intake.calls == 0


async def test_message_without_sender_is_400(viber: Harness) -> None:
    payload = message_callback(text_message("Γεια"))
    del payload["sender"]
    resp = await viber.post(payload)
    assert resp.status == 400
    assert viber.intake.accepted == []


async def test_location_out_of_range_is_400(viber: Harness) -> None:
    resp = await viber.post(message_callback(location_message(135.0, 24.0)))
    assert resp.status == 400
    assert viber.intake.accepted == []


# ---------------------------------------------------------------------- store down, retries
async def test_store_down_answers_503_and_every_retry_reaches_the_pipeline_with_the_same_key(viber: Harness) -> None:
    payload = message_callback(text_message("Δεν μάζεψαν τα σκουπίδια"))
    viber.intake.down = True
    resp = await viber.post(payload)
    assert resp.status == 503
    assert viber.intake.accepted == []
    viber.intake.down = False
    assert (await viber.post(payload)).status == 200
    viber.intake.duplicates.add(viber.intake.accepted[0].message_id)  # the pipeline has it now
    resp = await viber.post(payload)  # Viber retries once more
    assert resp.status == 200  # a duplicate is still a success for Viber, or it would retry for ever
    first, second = viber.intake.accepted
    assert first.message_id == second.message_id == str(payload["message_token"])  # the pipeline's key: stable
    assert [i.text for i in viber.intake.accepted] == ["Δεν μάζεψαν τα σκουπίδια"] * 2
    assert viber.intake.calls == 3


# ---------------------------------------------------------------------- callbacks that are only acknowledged
@pytest.mark.parametrize("payload", [failed(desc=None), failed(), delivered(), seen(), webhook_check(),
                                     {"event": "client_status", "timestamp": 1, "user_id": VIBER_USER_ID},
                                     {"timestamp": 1}],
                         ids=["failed-without-desc", "failed", "delivered", "seen", "webhook", "unknown", "no-event"])
async def test_acknowledged_callbacks_answer_200_and_accept_nothing(viber: Harness, payload: dict[str, Any]) -> None:
    resp = await viber.post(payload)
    assert resp.status == 200
    assert viber.intake.calls == 0


# ---------------------------------------------------------------------- each inbound kind
async def test_location_message_becomes_a_geopoint(viber: Harness) -> None:
    resp = await viber.post(message_callback(location_message(35.5138, 24.0180, "Πλατεία 1866"), language="en-GB"))
    assert resp.status == 200
    [inbound] = viber.intake.accepted
    assert inbound.location == GeoPoint(35.5138, 24.0180)
    assert inbound.language_hint == "en-GB"
    assert inbound.text == ""


async def test_picture_message_becomes_a_photo_attachment(viber: Harness) -> None:
    url = "https://dl-media.viber.com/1/share/2/long/vibes/icon/image/0x0/95e0/abc.jpg?dlid=x"
    resp = await viber.post(message_callback(picture_message(url, size=171232, text="λακκούβα εδώ")))
    assert resp.status == 200
    [inbound] = viber.intake.accepted
    [att] = inbound.attachments
    assert (att.kind, att.url, att.size) == ("photo", url, 171232)
    assert inbound.text == "λακκούβα εδώ"


async def test_picture_without_size(viber: Harness) -> None:
    await viber.post(message_callback(picture_message("https://dl-media.viber.com/x.jpg", size=None)))
    assert viber.intake.accepted[0].attachments[0].size is None


async def test_contact_message_gives_the_phone(viber: Harness) -> None:
    await viber.post(message_callback(contact_message("+306912345678")))
    [inbound] = viber.intake.accepted
    assert inbound.contact_phone == "+306912345678"


async def test_button_press_comes_back_as_button_and_typed_text_stays_text(viber: Harness) -> None:
    await viber.post(message_callback(text_message("btn:menu:report")))
    await viber.post(message_callback(text_message("menu:report")))
    await viber.post(message_callback(text_message("DEN MAZEPSAN TA SKOUPIDIA")))
    pressed, typed, greeklish = viber.intake.accepted
    assert (pressed.button, pressed.text) == ("menu:report", "")
    assert (typed.button, typed.text) == (None, "menu:report")
    assert (greeklish.button, greeklish.text) == (None, "DEN MAZEPSAN TA SKOUPIDIA")


async def test_sticker_is_accepted_as_an_empty_message(viber: Harness) -> None:
    await viber.post(message_callback({"type": "sticker", "sticker_id": 46105}))
    [inbound] = viber.intake.accepted
    assert inbound.text == "" and inbound.button is None


# ---------------------------------------------------------------------- conversation_started, (un)subscribed
@pytest.mark.parametrize(("lang", "expected"), [("el", "Δήμου Χανίων"), ("el-GR", "Δήμου Χανίων"),
                                                ("en", "Municipality of Chania"), ("de", "Municipality of Chania")])
async def test_conversation_started_answers_a_welcome_in_the_users_language(
        viber: Harness, store: Store, lang: str, expected: str) -> None:
    resp = await viber.post(conversation_started(language=lang))
    assert resp.status == 200
    body = await resp.json()
    assert body["type"] == "text"
    assert expected in body["text"]
    assert body["sender"]["name"] == "Δήμος Χανίων"
    assert "auth_token" not in body and "receiver" not in body
    assert get_message(body).validate()
    assert viber.intake.calls == 0
    assert await store.conversations.count_documents({}) == 0  # nothing stored about the visitor


async def test_unsubscribed_user_gets_no_messages_until_they_write_again(viber: Harness, store: Store) -> None:
    await store.conversations.insert_one({"_id": f"viber:{VIBER_USER_ID}", "channel": "viber",
                                          "user_id": VIBER_USER_ID, "chat_id": VIBER_USER_ID})
    assert (await viber.post(unsubscribed())).status == 200
    assert (await store.conversations.find_one({"_id": f"viber:{VIBER_USER_ID}"}))["unsubscribed"] is True
    with pytest.raises(SendError, match="unsubscribed"):
        await viber.adapter.send(VIBER_USER_ID, [Reply("Ενημέρωση για την αναφορά σας")])
    assert viber.fake.calls_to("send_message") == []

    assert (await viber.post(subscribed())).status == 200
    assert (await store.conversations.find_one({"_id": f"viber:{VIBER_USER_ID}"}))["unsubscribed"] is False
    await viber.adapter.send(VIBER_USER_ID, [Reply("Ενημέρωση")])
    assert len(viber.fake.calls_to("send_message")) == 1

    await viber.post(unsubscribed())
    await viber.post(message_callback(text_message("γεια")))
    assert (await store.conversations.find_one({"_id": f"viber:{VIBER_USER_ID}"}))["unsubscribed"] is False


async def test_unsubscribe_of_an_unknown_user_stores_nothing(viber: Harness, store: Store) -> None:
    assert (await viber.post(unsubscribed(user_id="unknownUser0=="))).status == 200
    assert await store.conversations.count_documents({}) == 0


# ---------------------------------------------------------------------- sending
def _sent(fake: FakeViberApi) -> list[dict[str, Any]]:
    return [c.body for c in fake.calls_to("send_message")]


async def test_send_text_with_buttons_renders_a_keyboard_and_uses_the_auth_header(viber: Harness) -> None:
    await viber.adapter.send(VIBER_USER_ID, [Reply("Τι θέλετε να κάνετε;", buttons=(
        Button("📝 Αναφορά προβλήματος", "menu:report"), Button("A & B <b>", "menu:x")))])
    [call] = viber.fake.calls_to("send_message")
    assert call.headers["X-Viber-Auth-Token"] == VIBER_TEST_TOKEN
    assert "auth_token" not in call.body and VIBER_TEST_TOKEN not in json.dumps(call.body)
    assert call.body["receiver"] == VIBER_USER_ID
    assert call.body["sender"] == {"name": "Δήμος Χανίων"}
    assert call.body["type"] == "text" and call.body["text"] == "Τι θέλετε να κάνετε;"
    buttons = call.body["keyboard"]["Buttons"]
    assert call.body["keyboard"]["Type"] == "keyboard"
    assert [(b["ActionType"], b["ActionBody"]) for b in buttons] == [("reply", "btn:menu:report"),
                                                                    ("reply", "btn:menu:x")]
    assert buttons[0]["Text"] == "📝 Αναφορά προβλήματος"
    assert buttons[1]["Text"] == "A &amp; B &lt;b&gt;"  # Viber renders button text as HTML
    assert "min_api_version" not in call.body
    assert get_message(call.body).validate()


async def test_request_location_and_contact_need_api_version_3(viber: Harness) -> None:
    await viber.adapter.send(VIBER_USER_ID, [Reply("Πού βρίσκεται το πρόβλημα;", request_location=True),
                                             Reply("Where is it?", request_location=True, request_contact=True)])
    greek, english = _sent(viber.fake)
    assert greek["min_api_version"] == 3
    [picker] = greek["keyboard"]["Buttons"]
    assert picker["ActionType"] == "location-picker"
    assert "τοποθεσίας" in picker["Text"]  # the label follows the language of the reply
    kinds = [b["ActionType"] for b in english["keyboard"]["Buttons"]]
    assert kinds == ["location-picker", "share-phone"]
    assert english["keyboard"]["Buttons"][0]["Text"] == "📍 Send my location"


async def test_pin_gives_text_with_map_link_then_a_location_carrying_the_keyboard(viber: Harness) -> None:
    pin = Pin("Φάρος Χανίων", 35.5197, 24.0164, "Ενετικό Λιμάνι")
    await viber.adapter.send(VIBER_USER_ID, [Reply("Ο Φάρος είναι 600 μ. από εσάς.", location=pin,
                                                   buttons=(Button("Κι άλλα", "tourism:more"),))])
    text, location = _sent(viber.fake)
    assert text["type"] == "text"
    assert pin.map_url in text["text"] and "Φάρος Χανίων, Ενετικό Λιμάνι" in text["text"]
    assert "keyboard" not in text
    assert location["type"] == "location"
    assert location["location"] == {"lat": 35.5197, "lon": 24.0164}
    assert location["keyboard"]["Buttons"][0]["ActionBody"] == "btn:tourism:more"
    assert get_message(location).validate()


async def test_image_becomes_a_picture_message(viber: Harness) -> None:
    url = "https://www.chania.gr/images/lighthouse.jpg"
    await viber.adapter.send(VIBER_USER_ID, [Reply("Ο Φάρος", image=url)])
    text, picture = _sent(viber.fake)
    assert text["text"] == "Ο Φάρος"
    assert (picture["type"], picture["media"]) == ("picture", url)
    assert get_message(picture).validate()


@pytest.mark.parametrize(("status", "http_status"), [(6, 200), (5, 200), (0, 500)])
async def test_viber_error_or_http_error_raises_send_error(viber: Harness, status: int, http_status: int) -> None:
    viber.fake.fail_next(status=status, http_status=http_status)
    with pytest.raises(SendError):
        await viber.adapter.send(VIBER_USER_ID, [Reply("Γεια")])


async def test_slow_viber_api_raises_send_error_after_the_timeout(viber: Harness, http: aiohttp.ClientSession,
                                                                  fake_viber: FakeViberApi) -> None:
    adapter = ViberAdapter(make_settings(fake_viber), RecordingIntake(), http, timeout_s=0.2)
    fake_viber.delay_s = 1.0
    with pytest.raises(SendError, match="timed out"):
        await adapter.send(VIBER_USER_ID, [Reply("Γεια")])


async def test_unreachable_api_raises_send_error(http: aiohttp.ClientSession, fake_viber: FakeViberApi) -> None:
    settings = Settings(_env_file=None, viber_token=VIBER_TEST_TOKEN,  # type: ignore[call-arg]
                        viber_api_url="http://127.0.0.1:9/pa")
    with pytest.raises(SendError):
        await ViberAdapter(settings, RecordingIntake(), http).send(VIBER_USER_ID, [Reply("Γεια")])


# ---------------------------------------------------------------------- start
async def test_start_sets_the_webhook_when_public_url_is_set(http: aiohttp.ClientSession,
                                                            fake_viber: FakeViberApi) -> None:
    adapter = ViberAdapter(make_settings(fake_viber, public_url="https://bot.chania.gr/"), RecordingIntake(), http)
    await adapter.start()
    [call] = fake_viber.calls_to("set_webhook")
    assert call.body["url"] == "https://bot.chania.gr/webhooks/viber"
    assert set(call.body["event_types"]) >= {"delivered", "seen", "failed", "subscribed", "unsubscribed",
                                             "conversation_started"}
    assert call.headers["X-Viber-Auth-Token"] == VIBER_TEST_TOKEN
    assert "auth_token" not in call.body
    assert call.body["send_name"] is False and call.body["send_photo"] is False


async def test_start_without_public_url_registers_nothing(http: aiohttp.ClientSession,
                                                          fake_viber: FakeViberApi) -> None:
    await ViberAdapter(make_settings(fake_viber), RecordingIntake(), http).start()
    assert fake_viber.calls == []


async def test_start_survives_a_refused_set_webhook(http: aiohttp.ClientSession, fake_viber: FakeViberApi,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    fake_viber.fail_next(status=1, message="invalidUrl")
    adapter = ViberAdapter(make_settings(fake_viber, public_url="https://bot.chania.gr"), RecordingIntake(), http)
    with caplog.at_level(logging.ERROR, logger="bot.channels.viber"):
        await adapter.start()  # logged, not raised: Viber keeps the previous registration
    assert len(fake_viber.calls_to("set_webhook")) == 1
    [record] = [r for r in caplog.records if r.getMessage() == "viber set_webhook failed"]
    assert "invalidUrl" in record.error  # the operator can see why in the log
    assert adapter.enabled  # the channel still works: a reply goes out
    assert await adapter.send(VIBER_USER_ID, [Reply("Καλημέρα")]) is not None
    assert fake_viber.calls_to("send_message")[-1].body["receiver"] == VIBER_USER_ID


async def test_without_a_token_the_webhook_is_404_and_nothing_is_sent(aiohttp_client: Any, http: aiohttp.ClientSession,
                                                                      fake_viber: FakeViberApi) -> None:
    settings = Settings(_env_file=None, viber_api_url=fake_viber.url, public_url="https://bot.chania.gr")  # type: ignore[call-arg]
    intake = RecordingIntake()
    adapter = ViberAdapter(settings, intake, http)
    assert adapter.enabled is False
    app = web.Application()
    adapter.add_routes(app)
    client = await aiohttp_client(app)
    body, headers = signed(message_callback(text_message("Γεια")))
    assert (await client.post("/webhooks/viber", data=body, headers=headers)).status == 404
    await adapter.start()
    with pytest.raises(SendError):
        await adapter.send(VIBER_USER_ID, [Reply("Γεια")])
    assert intake.calls == 0 and fake_viber.calls == []


# ---------------------------------------------------------------------- end to end: the whole service
# ``service`` (tests/fixtures/service.py) runs the real app on a loopback port with the real Rasa server and the fake
# Viber API above; ``make_service(nlu_url=<closed port>)`` the same with Rasa down.
from bot.core.i18n import Texts  # noqa: E402
from tests.fixtures.service import Service, free_port  # noqa: E402

EL = Texts("el")


async def _post(service: Service, payload: dict[str, Any]) -> aiohttp.ClientResponse:
    body, headers = signed(payload)
    async with service.http.post(service.viber_url, data=body, headers=headers) as resp:
        await resp.read()
        return resp


@pytest.mark.rasa
async def test_e2e_greek_greeting_is_answered_through_the_viber_api(service: Service,
                                                                    fake_viber: FakeViberApi) -> None:
    [registration] = await fake_viber.wait_for("set_webhook")  # at start, since PUBLIC_URL is set
    assert registration.body["url"] == f"{service.settings.public_url}/webhooks/viber"
    assert registration.headers["X-Viber-Auth-Token"] == VIBER_TEST_TOKEN

    token = next_token()
    resp = await _post(service, message_callback(text_message("Καλημέρα σας!"), token=token))
    assert resp.status == 200
    await service.idle()
    [call] = await fake_viber.wait_for("send_message")
    assert call.headers["X-Viber-Auth-Token"] == VIBER_TEST_TOKEN and "auth_token" not in call.body
    assert call.body["receiver"] == VIBER_USER_ID
    assert call.body["text"] == EL("system.welcome")
    assert "btn:menu:report" in [b["ActionBody"] for b in call.body["keyboard"]["Buttons"]]
    stored_in = await service.store.messages.find_one({"conversation_id": f"viber:{VIBER_USER_ID}",
                                                       "direction": "in"})
    assert stored_in["platform_message_id"] == str(token)
    assert stored_in["intent"] == "greet" and stored_in["status"] == "answered"
    stored_out = await service.store.messages.find_one({"conversation_id": f"viber:{VIBER_USER_ID}",
                                                        "direction": "out"})
    assert stored_out["status"] == "sent"

    # pressing the menu button comes back as the text "btn:menu:report" and reaches the menu handler
    await _post(service, message_callback(text_message("btn:menu:report")))
    await service.idle()
    calls = await fake_viber.wait_for("send_message", 2)
    assert calls[1].body["text"] == EL("menu.report_prompt")


async def test_e2e_rasa_down_still_answers_in_greek(fake_viber: FakeViberApi, make_service: Any) -> None:
    service = await make_service(nlu_url=f"http://127.0.0.1:{free_port()}", nlu_token="t")
    assert (await _post(service, message_callback(text_message("Δεν ανάβει η λάμπα στην οδό Χάληδων")))).status == 200
    await service.idle()
    [call] = await fake_viber.wait_for("send_message")
    assert call.body["text"] == EL("system.nlu_down")
    assert "btn:menu:report" in [b["ActionBody"] for b in call.body["keyboard"]["Buttons"]]


@pytest.mark.rasa
async def test_e2e_retried_callback_is_processed_once(service: Service, fake_viber: FakeViberApi) -> None:
    payload = message_callback(text_message("Καλημέρα"))
    first = await _post(service, payload)
    retries = await asyncio.gather(*(_post(service, payload) for _ in range(3)))  # Viber retries, even at once
    assert first.status == 200 and all(r.status == 200 for r in retries)
    await service.idle()
    assert await service.store.messages.count_documents({"direction": "in"}) == 1
    assert await service.store.messages.count_documents({"direction": "out"}) == 1
    assert len(fake_viber.calls_to("send_message")) == 1


@pytest.mark.rasa
async def test_e2e_unsubscribed_user_is_not_messaged(service: Service, fake_viber: FakeViberApi) -> None:
    await _post(service, message_callback(text_message("Γεια σας")))
    await service.idle()
    await fake_viber.wait_for("send_message")
    assert (await _post(service, unsubscribed())).status == 200
    await service.runtime.pipeline.send_to(f"viber:{VIBER_USER_ID}", [Reply("Ενημέρωση για την αναφορά σας")])
    await service.idle()
    assert len(fake_viber.calls_to("send_message")) == 1  # nothing new went out
    last = await service.store.messages.find_one({"direction": "out", "text": "Ενημέρωση για την αναφορά σας"})
    assert last["status"] == "failed"


@pytest.mark.rasa
async def test_e2e_welcome_and_refused_callbacks_store_nothing(service: Service, fake_viber: FakeViberApi) -> None:
    body, headers = signed(message_callback(text_message("Γεια")), token="not-the-token")
    async with service.http.post(service.viber_url, data=body, headers=headers) as resp:
        assert resp.status == 403
    body, headers = signed(conversation_started(language="el"))
    async with service.http.post(service.viber_url, data=body, headers=headers) as resp:
        assert resp.status == 200
        welcome = await resp.json()
    assert welcome["text"].startswith(EL("system.welcome"))
    await service.idle()
    assert await service.store.messages.count_documents({}) == 0
    assert await service.store.conversations.count_documents({}) == 0
    assert fake_viber.calls_to("send_message") == []


# ---------------------------------------------------------------------- broadcast_message
async def test_broadcast_sends_one_call_with_the_token_in_the_header_and_maps_the_failed_list(viber: Harness) -> None:
    receivers = [f"Rcv{n}==" for n in range(5)]
    viber.fake.fail_receiver("Rcv1==", status=6, message="Not subscribed")
    viber.fake.fail_receiver("Rcv2==", status=5, message="Not found")
    viber.fake.fail_receiver("Rcv3==", status=12, message="Too many requests")
    result = await viber.adapter.broadcast(receivers, Reply("📢 Διακοπή νερού στη Σούδα"))
    [call] = viber.fake.calls_to("broadcast_message")
    assert call.body["broadcast_list"] == receivers and call.body["type"] == "text"
    assert call.body["text"] == "📢 Διακοπή νερού στη Σούδα" and call.body["sender"]["name"]
    assert call.headers["X-Viber-Auth-Token"] == VIBER_TEST_TOKEN and "auth_token" not in call.body
    assert len(result.platform_message_ids) == 1
    assert sorted(result.failed) == ["Rcv1==", "Rcv2==", "Rcv3=="]
    assert result.failed["Rcv1=="].permanent and "receiverNotSubscribed" in str(result.failed["Rcv1=="])
    assert result.failed["Rcv2=="].permanent and "receiverNotRegistered" in str(result.failed["Rcv2=="])
    assert not result.failed["Rcv3=="].permanent  # worth a retry on its own


async def test_broadcast_skips_people_who_unsubscribed_and_refuses_what_viber_would(viber: Harness,
                                                                                    store: Store) -> None:
    await store.conversations.insert_one({"_id": "viber:Left==", "channel": "viber", "user_id": "Left==",
                                          "chat_id": "Left==", "unsubscribed": True})
    result = await viber.adapter.broadcast(["Left==", "Stays=="], Reply("Ενημέρωση"))
    assert viber.fake.calls_to("broadcast_message")[0].body["broadcast_list"] == ["Stays=="]
    assert result.failed["Left=="].permanent and "unsubscribed" in str(result.failed["Left=="])
    with pytest.raises(SendError) as too_many:
        await viber.adapter.broadcast([f"R{n}" for n in range(301)], Reply("Ενημέρωση"))
    assert too_many.value.permanent
    with pytest.raises(SendError) as too_big:  # Viber takes 30 kB per request
        await viber.adapter.broadcast([f"R{n}" for n in range(300)], Reply("Α" * 14_000))  # 28 kB + the ids
    assert too_big.value.permanent
    viber.fake.fail_next(status=20, message="broadcastNotAllowed")
    with pytest.raises(SendError) as refused:
        await viber.adapter.broadcast(["Stays=="], Reply("Ενημέρωση"))
    assert refused.value.permanent
    viber.fake.fail_next(http_status=429, message="Too Many Requests", retry_after=2)
    with pytest.raises(SendError) as limited:
        await viber.adapter.broadcast(["Stays=="], Reply("Ενημέρωση"))
    assert not limited.value.permanent and limited.value.retry_after == 2.0
    assert len(viber.fake.calls_to("broadcast_message")) == 3  # the refused ones never left the adapter
