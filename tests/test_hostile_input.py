"""Hostile and malformed input through the real service (issue 10): both webhooks with a valid secret and signature,
and the web-chat socket. The issue's input classes one by one, then property-based runs (hypothesis, derandomized)
over generated payloads — well-formed, malformed and adversarial (``tests/fixtures/hostile.py``). Every answer is
below 500, nothing is stored for a 4xx, a bad frame gets an error frame on a socket that stays open, and the
service still answers normal messages afterwards.

One service (real app, real Rasa, fake Bot API and Viber API) serves the whole module, as one running instance
would serve a stream of hostile input.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.webchat import COOKIE, WELCOME_ID, chat_id_for
from bot.core.models import utcnow
from bot.core.settings import Settings
from bot.store import open_store
from tests.fakes.telegram import FakeBotApi
from tests.fixtures import hostile
from tests.fixtures.service import TELEGRAM_SECRET, TELEGRAM_TOKEN, VIBER_TOKEN, Service, free_port
from tests.fixtures.viber import FakeViberApi, conversation_started, message_callback, sign, signed, text_message

pytestmark = pytest.mark.rasa
STORABLE = {"text NUL"}  # a NUL inside a text value: BSON strings hold it (only keys cannot)

FUZZ = settings(derandomize=True, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
# Replacement values drawn by hypothesis itself, besides the fixed adversarial ones of tests/fixtures/hostile.py.
JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=40))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def svc(rasa_server: Any, fake_telegram: FakeBotApi) -> AsyncIterator[Service]:
    viber = FakeViberApi()
    await viber.start()
    config = Settings(_env_file=None, port=free_port(), public_url="https://bot.example.test",  # type: ignore[call-arg]
                      telegram_token=TELEGRAM_TOKEN, telegram_webhook_secret=TELEGRAM_SECRET,
                      telegram_api_url=fake_telegram.url, viber_token=VIBER_TOKEN, viber_api_url=viber.url,
                      mongodb_uri=None)
    service = Service(config, fake_telegram, viber, rasa_server.url, rasa_server.token,
                      await open_store(None, "hostile_input"))
    await service.start()
    yield service
    await service.close()
    await viber.close()


async def stored_inbound(svc: Service) -> int:
    """Inbound messages stored, less the web chat's own greeting of a first visit (a "/start" it files itself when
    a new visitor's socket opens: the Chat helper below opens new ones as it goes)."""
    return await svc.store.messages.count_documents(
        {"direction": "in", "message_id": {"$not": re.compile(f":{WELCOME_ID}$")}})


async def post(svc: Service, channel: str, data: bytes) -> int:
    if channel == "telegram":
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}
    else:
        headers = {"X-Viber-Content-Signature": sign(data), "Content-Type": "application/json"}
    async with svc.http.post(f"{svc.url}/webhooks/{channel}", data=data, headers=headers) as resp:
        await resp.read()
        return resp.status


async def check_webhook(svc: Service, channel: str, payload: Any) -> int:
    """POST one payload; no 5xx, and a 4xx stores nothing."""
    before = await stored_inbound(svc)
    status = await post(svc, channel, hostile.body(payload))
    assert status < 500, f"{status} for {hostile.encode(payload)[:300]}"
    if status >= 400:
        assert await stored_inbound(svc) == before, f"stored despite {status}: {hostile.encode(payload)[:300]}"
    return status


# how long a frame's answer may take: the pipeline answering the earlier frames shares the event loop, and a loaded
# machine (the whole suite, other sessions) slows it; a generous deadline, not a measurement
ANSWER_WAIT_S = 60.0
# a socket nobody has read for longer than this is renewed: the server's heartbeat (30 s) closes one that does not
# answer its pings, and the module's Telegram and Viber fuzz runs take minutes between two web-chat frames
IDLE_RENEW_S = 10.0


class Chat:
    """One visitor's web-chat socket, renewed every few frames (the per-socket rate limit allows 10 at once)."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.frames = 0
        self.used_at = 0.0

    async def socket(self) -> aiohttp.ClientWebSocketResponse:
        idle = time.monotonic() - self.used_at > IDLE_RENEW_S
        if self.ws is None or self.ws.closed or self.frames >= 8 or idle:  # closed: by the heartbeat during a wait
            if self.ws is not None:
                await self.ws.close()
            async with self.svc.http.get(f"{self.svc.url}/chat") as page:
                session = page.cookies[COOKIE].value
            self.ws = await self.svc.http.ws_connect(f"{self.svc.url}/chat/ws", headers={
                "Cookie": f"{COOKIE}={session}", "Origin": self.svc.url})
            assert (await self.ws.receive_json(timeout=ANSWER_WAIT_S))["type"] == "history"
            self.frames = 0
        self.frames += 1
        return self.ws

    async def send(self, frame: str) -> dict[str, Any]:
        """Send a frame; the ack or error frame that answers it (replies pushed meanwhile are skipped)."""
        ws = await self.socket()
        await ws.send_str(frame)
        deadline = time.monotonic() + ANSWER_WAIT_S
        while True:
            msg = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
            assert msg.type == aiohttp.WSMsgType.TEXT, f"socket {msg.type.name} after {frame[:200]!r}"
            answer = msg.json()
            if answer["type"] in ("ack", "error"):
                self.used_at = time.monotonic()
                return answer


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def chat(svc: Service) -> AsyncIterator[Chat]:
    visitor = Chat(svc)
    yield visitor
    if visitor.ws is not None:
        await visitor.ws.close()


async def check_frame(svc: Service, chat: Chat, payload: Any) -> dict[str, Any]:
    before = await stored_inbound(svc)
    answer = await chat.send(hostile.encode(payload))
    if answer["type"] == "error":
        assert answer["code"] in ("invalid", "too_long"), answer
        assert answer["message"]  # a text for the person, in the page's language
        assert await stored_inbound(svc) == before
    return answer


# ---------------------------------------------------------------------- the issue's classes, one by one
@pytest.mark.parametrize(("name", "payload"), hostile.known_cases("telegram"), ids=[n for n, _ in
                                                                                   hostile.known_cases("telegram")])
async def test_telegram_class_of_the_issue(svc: Service, name: str, payload: Any) -> None:
    status = await check_webhook(svc, "telegram", payload)
    assert status in (200, 400), name


@pytest.mark.parametrize(("name", "payload"), hostile.known_cases("viber"), ids=[n for n, _ in
                                                                                hostile.known_cases("viber")])
async def test_viber_class_of_the_issue(svc: Service, name: str, payload: Any) -> None:
    status = await check_webhook(svc, "viber", payload)
    assert status in (200, 400), name


@pytest.mark.parametrize(("name", "payload"), hostile.known_cases("webchat"), ids=[n for n, _ in
                                                                                  hostile.known_cases("webchat")])
async def test_webchat_class_of_the_issue_gets_an_error_frame(svc: Service, chat: Chat, name: str,
                                                              payload: Any) -> None:
    answer = await check_frame(svc, chat, payload)
    assert answer["type"] == ("ack" if name in STORABLE else "error"), name


async def test_wrong_types_inside_a_telegram_message_are_400_not_stored(svc: Service) -> None:
    update = svc.tg.location(3131, 35.51, 24.02)
    update["message"]["location"]["latitude"] = "35.5"
    assert await check_webhook(svc, "telegram", update) == 400
    assert await svc.store.messages.find_one({"conversation_id": "telegram:3131"}) is None


@pytest.mark.parametrize("secret", [b"\xff\xfe", b"s\xc3(", TELEGRAM_SECRET.encode() + b"\x80"])
async def test_secret_header_that_is_not_utf8_is_403(svc: Service, secret: bytes) -> None:
    status = await hostile.raw_post(svc.settings.port, "/webhooks/telegram",
                                    {b"X-Telegram-Bot-Api-Secret-Token": secret}, b'{"update_id": 1}')
    assert status == 403


async def test_unknown_but_well_formed_update_types_are_200_and_ignored(svc: Service) -> None:
    before = await stored_inbound(svc)
    edited = svc.tg.message(3232, "διόρθωση")
    edited["edited_message"] = edited.pop("message")
    for update in (edited, {"update_id": 77, "poll": {"id": "1", "question": "?", "options": []}}):
        async with svc.http.post(f"{svc.url}/webhooks/telegram", json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}) as resp:
            assert resp.status == 200
            assert (await resp.json())["ignored"] is True
    assert await stored_inbound(svc) == before


# ---------------------------------------------------------------------- Viber replay window, conversation_started
@pytest.mark.parametrize("offset_s", [-600, 600])
async def test_viber_callback_outside_the_replay_window_is_403_and_not_stored(svc: Service, offset_s: int) -> None:
    callback = message_callback(text_message("Δεν μάζεψαν τα σκουπίδια"), user_id=f"replay{offset_s}==")
    callback["timestamp"] = int((time.time() + offset_s) * 1000)
    body, headers = signed(callback, fresh=False)
    async with svc.http.post(svc.viber_url, data=body, headers=headers) as resp:
        assert resp.status == 403
    assert await svc.store.messages.find_one({"conversation_id": f"viber:replay{offset_s}=="}) is None
    callback["timestamp"] = int((time.time() - 60) * 1000)  # a minute late is within the window
    body, headers = signed(callback, fresh=False)
    async with svc.http.post(svc.viber_url, data=body, headers=headers) as resp:
        assert resp.status == 200
    assert await svc.store.messages.find_one({"conversation_id": f"viber:replay{offset_s}=="}) is not None


async def test_repeated_conversation_started_welcomes_once(svc: Service) -> None:
    uid = "opens-twice=="

    async def started() -> dict[str, Any]:
        body, headers = signed(conversation_started(user_id=uid, language="el"))
        async with svc.http.post(svc.viber_url, data=body, headers=headers) as resp:
            assert resp.status == 200
            return await resp.json()

    first, again = await started(), await started()
    assert first["text"] == again["text"] and "Δήμου Χανίων" in first["text"]  # nothing known yet: same answer
    assert await svc.store.conversations.find_one({"_id": f"viber:{uid}"}) is None
    body, headers = signed(message_callback(text_message("Γεια σας"), user_id=uid))
    async with svc.http.post(svc.viber_url, data=body, headers=headers) as resp:
        assert resp.status == 200
    await svc.idle()
    assert await started() == {}  # she has talked to the bot: no second welcome


async def test_webchat_history_survives_broken_stored_messages(svc: Service) -> None:
    async with svc.http.get(f"{svc.url}/chat") as page:
        session = page.cookies[COOKIE].value
    cid, now = f"webchat:{chat_id_for(session)}", utcnow()
    broken = [{"text": 5}, {"buttons": [1, {"label": None}]}, {"location": {"lat": "x"}}, {"document": {"name": 1}},
              "x", [1], {"text": "Καλημέρα", "buttons": [{"label": "Ναι", "payload": "yes"}]}]
    await svc.store.messages.insert_many(
        [{"_id": f"out:broken{i}", "conversation_id": cid, "direction": "out", "created_at": now, "reply": r}
         for i, r in enumerate(broken)]
        + [{"_id": f"webchat:{cid}:in", "conversation_id": cid, "direction": "in", "text": {"a": 1}, "location": "x",
            "button": ["x"], "created_at": now}])
    ws = await svc.http.ws_connect(f"{svc.url}/chat/ws", headers={"Cookie": f"{COOKIE}={session}",
                                                                   "Origin": svc.url})
    history = await ws.receive_json(timeout=5)
    assert history["type"] == "history"
    assert "Καλημέρα" in [m["reply"]["text"] for m in history["messages"] if m["direction"] == "out"]
    await ws.send_str('{"type": "message", "id": "after-broken-1", "text": "Γεια σας"}')
    while (answer := await ws.receive_json(timeout=10))["type"] not in ("ack", "error"):
        pass
    assert answer["type"] == "ack"
    await ws.close()


# ---------------------------------------------------------------------- property-based runs
@pytest.mark.timeout(900)  # hundreds of generated inputs: longer than the suite's 90 s per test
@settings(FUZZ, max_examples=1000)
@given(rnd=st.randoms(use_true_random=False), extra=st.lists(JSON_VALUES, max_size=2))
async def test_telegram_webhook_never_fails_on_generated_updates(svc: Service, rnd: Any, extra: list[Any]) -> None:
    await check_webhook(svc, "telegram", hostile.generate("telegram", rnd, extra=tuple(extra)))


@pytest.mark.timeout(900)  # hundreds of generated inputs: longer than the suite's 90 s per test
@settings(FUZZ, max_examples=1000)
@given(rnd=st.randoms(use_true_random=False), extra=st.lists(JSON_VALUES, max_size=2))
async def test_viber_webhook_never_fails_on_generated_callbacks(svc: Service, rnd: Any, extra: list[Any]) -> None:
    await check_webhook(svc, "viber", hostile.generate("viber", rnd, extra=tuple(extra)))


@pytest.mark.timeout(900)  # hundreds of generated inputs: longer than the suite's 90 s per test
@settings(FUZZ, max_examples=600)
@given(rnd=st.randoms(use_true_random=False), extra=st.lists(JSON_VALUES, max_size=2))
async def test_webchat_socket_answers_every_generated_frame(svc: Service, chat: Chat, rnd: Any,
                                                           extra: list[Any]) -> None:
    await check_frame(svc, chat, hostile.generate("webchat", rnd, extra=tuple(extra)))


@pytest.mark.timeout(300)  # first the fuzz runs' replies drain: thousands, in order, to the one fuzzed chat
async def test_normal_messages_are_still_answered_after_the_hostile_input(svc: Service) -> None:
    await svc.idle()
    replies = await svc.say(5151, "Δεν ανάβει η λάμπα στην Αποκορώνου")
    assert replies and replies[0].body["text"]
    sent_before = len(svc.fake_viber.calls_to("send_message"))
    body, headers = signed(message_callback(text_message("Καλημέρα"), user_id="after-fuzz=="))
    async with svc.http.post(svc.viber_url, data=body, headers=headers) as resp:
        assert resp.status == 200
    await svc.fake_viber.wait_for("send_message", count=sent_before + 1)
    # a new visitor's socket: the fuzzing visitor's may have been closed by the heartbeat while replies drained
    visitor = Chat(svc)
    ack = await visitor.send('{"type": "message", "id": "after-fuzz-1", "text": "Where can I swim near Chania?"}')
    assert ack == {"type": "ack", "id": "after-fuzz-1", "duplicate": False}
    assert visitor.ws is not None
    await visitor.ws.close()
    await svc.idle()
    unfinished = await svc.store.messages.count_documents({"direction": "in",
                                                           "status": {"$in": ["received", "processing"]}})
    assert unfinished == 0
