"""Two and three real instances of the app, each on its own loopback port, sharing one store (the stand-in, or the
server of MONGODB_URI), driven over HTTP: per-chat order, exactly-once replies, the live monitor and the web chat
across instances, an instance killed in the middle of a send."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.channels.webchat import COOKIE
from bot.core.i18n import Texts
from bot.core.models import Inbound, Reply
from bot.staff.accounts import create_staff
from tests.fixtures.dashboard import PASSWORD, StaffClient
from tests.fixtures.service import Service

EL, EN = Texts("el"), Texts("en")
MakeService = Callable[..., Awaitable[Service]]


async def _instances(make_service: MakeService, n: int, **settings: Any) -> list[Service]:
    first = await make_service(**settings)
    return [first] + [await make_service(store=first.store, **settings) for _ in range(n - 1)]


async def _all_idle(instances: list[Service]) -> None:
    for _ in range(2):  # one instance's work may wake another's (a reply written by A, sent by B)
        for svc in instances:
            await svc.idle()


async def test_the_atomic_claim_lets_one_of_two_instances_process_a_message(make_service: MakeService,
                                                                            monkeypatch) -> None:
    """Below the conversation lease: two pipelines processing the same stored message at the same moment."""
    a, b = await _instances(make_service, 2)
    monkeypatch.setattr(a.runtime.pipeline, "_enqueue", lambda *args, **kw: None)  # stored, never queued
    assert (await a.telegram(a.tg.message(6001, "/start"))).status == 200
    monkeypatch.undo()
    doc = await a.store.messages.find_one({"conversation_id": "telegram:6001", "direction": "in"})
    inbound = Inbound.from_doc(doc)
    await asyncio.gather(a.runtime.pipeline._process(doc["_id"], inbound),
                         b.runtime.pipeline._process(doc["_id"], inbound))
    await _all_idle([a, b])
    processed = [svc.runtime.pipeline.times.counters["processed"] for svc in (a, b)]
    assert sorted(processed) == [0, 1]  # one of them ran the turn (and the handler) at all
    assert len(a.fake_telegram.sent(6001, "sendMessage")) == 1
    assert await a.store.outbox.count_documents({"conversation_id": "telegram:6001"}) == 1


async def test_one_chat_is_answered_in_order_across_three_instances(make_service: MakeService) -> None:
    instances = await _instances(make_service, 3)
    texts = ["/start", "/help", "/language en", "/help", "/language el", "/cancel"]
    tg = instances[0].tg  # one Telegram: one sequence of update ids
    for n, text in enumerate(texts):  # the proxy sends each webhook to another instance
        assert (await instances[n % 3].telegram(tg.message(6002, text))).status == 200
    await _all_idle(instances)
    calls = instances[0].fake_telegram.sent(6002, "sendMessage")
    assert [c.body["text"] for c in calls] == [
        EL("system.welcome"), EL("system.help"), EN("system.language_set"), EN("system.help"),
        EL("system.language_set"), EL("system.nothing_to_cancel"),
    ]


async def test_many_chats_on_two_instances_each_in_order(make_service: MakeService) -> None:
    a, b = await _instances(make_service, 2)
    chats = range(6100, 6110)
    for text in ("/start", "/language en", "/help"):
        await asyncio.gather(*((a if c % 2 else b).telegram(a.tg.message(c, text)) for c in chats))
        await asyncio.gather(*((b if c % 2 else a).telegram(a.tg.message(c, "/cancel")) for c in chats))
    await _all_idle([a, b])
    for chat in chats:
        assert [c.body["text"] for c in a.fake_telegram.sent(chat, "sendMessage")] == [
            EL("system.welcome"), EL("system.nothing_to_cancel"), EN("system.language_set"),
            EN("system.nothing_to_cancel"), EN("system.help"), EN("system.nothing_to_cancel")]


async def test_a_retried_update_on_every_instance_at_once_is_answered_once(make_service: MakeService) -> None:
    instances = await _instances(make_service, 3)
    update = instances[0].tg.message(6003, "/start")
    answers = await asyncio.gather(*(svc.telegram(update) for svc in instances for _ in range(3)))
    assert [r.status for r in answers] == [200] * 9
    await _all_idle(instances)
    assert len(instances[0].fake_telegram.sent(6003, "sendMessage")) == 1
    assert await instances[0].store.messages.count_documents({"conversation_id": "telegram:6003"}) == 2


async def test_a_clerk_on_a_sees_live_a_message_handled_by_b(make_service: MakeService) -> None:
    a, b = await _instances(make_service, 2, staff_map_tiles_url=None, public_url=None)  # http: cookies not Secure
    await create_staff(a.store, "operator", "operator", [], PASSWORD)
    clerk = StaffClient(a.url, "operator")
    try:
        assert (await clerk.login())[0] == 303
        async with clerk.session.get(f"{a.url}/staff/events") as stream:
            assert stream.status == 200
            await stream.content.readuntil(b": connected\n\n")
            assert (await b.telegram(a.tg.message(6004, "/start"))).status == 200
            events = []
            async with asyncio.timeout(10):
                while len(events) < 2:
                    line = (await stream.content.readline()).decode()
                    if line.startswith("data: "):
                        events.append(json.loads(line[6:]))
        assert [(e["direction"], e["conversation_id"]) for e in events] == [("in", "telegram:6004"),
                                                                            ("out", "telegram:6004")]
        assert events[0]["text"] == "/start" and events[1]["text"] == EL("system.welcome")
        assert a.runtime.bus.mode == "poll"  # the stand-in has no change streams
    finally:
        await clerk.close()


async def _webchat(service: Service, session: aiohttp.ClientSession) -> tuple[str, aiohttp.ClientWebSocketResponse]:
    async with session.get(f"{service.url}/chat") as resp:
        cookie = resp.cookies[COOKIE].value
    ws = await session.ws_connect(f"{service.url}/chat/ws", headers={"Origin": service.url,
                                                                     "Cookie": f"{COOKIE}={cookie}"})
    assert (await ws.receive_json())["type"] == "history"
    return cookie, ws


async def _reply_with(ws: aiohttp.ClientWebSocketResponse, text: str) -> dict[str, Any]:
    """The reply frame with this text (the page may get others first: the greeting)."""
    async with asyncio.timeout(10):
        while True:
            frame = await ws.receive_json()
            if frame["type"] == "reply" and frame["reply"]["text"] == text:
                return frame["reply"]


async def test_a_staff_reply_sent_by_a_reaches_the_web_chat_socket_held_by_b(make_service: MakeService) -> None:
    a, b = await _instances(make_service, 2)
    async with aiohttp.ClientSession() as http:
        _cookie, ws = await _webchat(b, http)
        await ws.send_json({"type": "button", "id": "multi-0000001", "payload": "menu:report", "lang": "el-GR"})
        await _reply_with(ws, EL("menu.report_prompt"))
        await _all_idle([a, b])
        conv = (await a.store.conversations.find_one({"channel": "webchat"}))["_id"]
        b.runtime.outbox.kill()  # B sends nothing more: the entry below is sent by A's outbox
        await a.runtime.services.outbox.send_to(conv, [Reply("Καλησπέρα, είμαι η Μαρία από τον Δήμο.")],
                                                sender="staff:maria")
        reply = await _reply_with(ws, "Καλησπέρα, είμαι η Μαρία από τον Δήμο.")
        await ws.close()
    assert reply["buttons"] == []
    entry = await a.store.outbox.find_one({"sender": "staff:maria"})
    assert entry["status"] == "sent" and entry["owner"] == a.runtime.outbox.owner


async def test_an_instance_killed_mid_send_leaves_the_reply_to_another_once(make_service: MakeService) -> None:
    a, b = await _instances(make_service, 2)
    b.runtime.outbox.kill()
    a.fake_telegram.delay_s = 1.0  # A's send is on the wire when A dies
    assert (await a.telegram(a.tg.message(6005, "/start"))).status == 200
    for _ in range(500):  # until A has claimed the entry and is sending it
        if await a.store.outbox.find_one({"conversation_id": "telegram:6005", "status": "sending"}):
            break
        await asyncio.sleep(0.02)
    await a.kill()
    a.fake_telegram.delay_s = 0.0
    c = await make_service(store=a.store)  # the instance still running (B stopped sending above: a fresh one)
    await c.idle()  # its sender takes the entry once A's lease (2 s here) has expired
    [call] = c.fake_telegram.sent(6005, "sendMessage")
    assert call.body["text"] == EL("system.welcome")
    entry = await c.store.outbox.find_one({"conversation_id": "telegram:6005"})
    assert entry["status"] == "sent" and entry["owner"] == c.runtime.outbox.owner and entry["attempts"] == 2


async def test_a_killed_instance_s_unprocessed_message_is_answered_by_another(make_service: MakeService,
                                                                              monkeypatch) -> None:
    a, b = await _instances(make_service, 2)
    monkeypatch.setattr(a.runtime.pipeline, "_enqueue", lambda *args, **kw: None)  # stored, then the crash
    assert (await a.telegram(a.tg.message(6006, "/help"))).status == 200
    await a.kill()
    monkeypatch.undo()
    assert await b.runtime.pipeline.recover() == 1
    await b.idle()
    assert [c.body["text"] for c in b.fake_telegram.sent(6006, "sendMessage")] == [EL("system.help")]
