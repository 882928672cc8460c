"""The web chat over real HTTP and real WebSockets: the page, the socket handshake checks, frames in and out.

First the adapter on a minimal aiohttp app with a recording Intake and the in-process store; the end-to-end
conversation through the whole service is at the bottom.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from bson import ObjectId

from bot.channels import webchat
from bot.channels.webchat import COOKIE, WebChatAdapter, chat_id_for
from bot.core.models import Button, Pin, Reply
from bot.core.settings import Settings
from bot.store import Store
from bot.tickets.categories import categories
from tests.fakes.intake import RecordingIntake
from tests.fixtures.store import open_test_store


class Chat:
    """The adapter on a test server, and a way to open the page and its socket like a browser does."""

    def __init__(self, adapter: WebChatAdapter, client: Any, intake: RecordingIntake, store: Store) -> None:
        self.adapter, self.client, self.intake, self.store = adapter, client, intake, store

    @property
    def origin(self) -> str:
        return str(self.client.make_url("/")).rstrip("/")

    async def open_page(self, lang: str | None = None) -> tuple[aiohttp.ClientResponse, str]:
        self.client.session.cookie_jar.clear()  # a new visitor each time
        resp = await self.client.get("/chat", params={"lang": lang} if lang else None)
        assert resp.status == 200
        return resp, resp.cookies[COOKIE].value

    async def connect(self, session: str, *, origin: str | None = "same") -> aiohttp.ClientWebSocketResponse:
        self.client.session.cookie_jar.clear()  # only the cookie given here
        headers = {"Cookie": f"{COOKIE}={session}"}
        if origin is not None:
            headers["Origin"] = self.origin if origin == "same" else origin
        ws = await self.client.ws_connect("/chat/ws", headers=headers)
        return ws


def typed(intake: RecordingIntake) -> list[Any]:
    """What the visitor sent: without the /start that a first visit's empty history sends for the greeting."""
    return [i for i in intake.accepted if not i.message_id.endswith(f":{webchat.WELCOME_ID}")]


async def receive(ws: aiohttp.ClientWebSocketResponse, kind: str | None = None) -> dict[str, Any]:
    while True:
        frame = await asyncio.wait_for(ws.receive_json(), 10)
        if kind is None or frame["type"] == kind:
            return frame


@pytest_asyncio.fixture
async def chat(aiohttp_client: Any) -> Chat:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    store = await open_test_store("webchat_test")
    intake = RecordingIntake()
    adapter = WebChatAdapter(settings, intake, store)
    app = web.Application(client_max_size=settings.max_body_bytes)
    adapter.add_routes(app)
    client = await aiohttp_client(app)
    return Chat(adapter, client, intake, store)


@pytest_asyncio.fixture
async def session_ws(chat: Chat) -> AsyncIterator[tuple[str, aiohttp.ClientWebSocketResponse]]:
    _resp, session = await chat.open_page()
    ws = await chat.connect(session)
    assert (await receive(ws))["type"] == "history"
    yield session, ws
    await ws.close()


# ---------------------------------------------------------------------- the page
async def test_page_is_greek_by_default_with_english_switch(chat: Chat) -> None:
    resp, session = await chat.open_page()
    html = await resp.text()
    assert '<html lang="el">' in html
    assert "Δήμος Χανίων — ψηφιακός βοηθός" in html
    assert '<label for="text">Το μήνυμά σας</label>' in html
    assert 'href="/chat?lang=en"' in html and ">English<" in html
    english = await (await chat.client.get("/chat", params={"lang": "en"})).text()
    assert '<html lang="en">' in english and "Municipality of Chania — digital assistant" in english
    assert 'href="/chat?lang=el"' in english
    assert len(session) == 43


async def test_page_cookie_is_httponly_lax_and_kept_on_later_visits(chat: Chat) -> None:
    resp, session = await chat.open_page()
    header = resp.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/chat" in header
    again = await chat.client.get("/chat", headers={"Cookie": f"{COOKIE}={session}"})
    assert again.cookies[COOKIE].value == session
    forged = await chat.client.get("/chat", headers={"Cookie": f"{COOKIE}=short"})
    assert forged.cookies[COOKIE].value != "short"


async def test_page_has_no_inline_script_and_a_strict_csp(chat: Chat) -> None:
    resp, _ = await chat.open_page()
    html = await resp.text()
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attrs, body in scripts:
        assert 'src="/chat/static/' in attrs or 'type="application/json"' in attrs
        if "src=" in attrs:
            assert body.strip() == ""
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html  # no CDN
    texts = json.loads(re.search(r'<script type="application/json" id="texts">(.*?)</script>', html, re.S)[1])
    assert texts["send"] == "Αποστολή"


async def test_static_assets_are_served(chat: Chat) -> None:
    html = await (await chat.client.get("/chat")).text()
    for url, ctype in ((re.search(r'src="([^"]+\.js[^"]*)"', html)[1], "javascript"),
                       (re.search(r'href="([^"]+\.css[^"]*)"', html)[1], "text/css")):
        resp = await chat.client.get(url)
        assert resp.status == 200
        assert ctype in resp.headers["Content-Type"]
        assert len(await resp.read()) > 500


# ---------------------------------------------------------------------- the handshake
async def test_socket_without_the_cookie_is_refused(chat: Chat) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await chat.client.ws_connect("/chat/ws", headers={"Origin": chat.origin})
    assert err.value.status == 403


@pytest.mark.parametrize("origin", ["https://evil.example", "null", None, "http://127.0.0.1.evil.example"])
async def test_cross_origin_socket_is_refused(chat: Chat, origin: str | None) -> None:
    _resp, session = await chat.open_page()
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await chat.connect(session, origin=origin)
    assert err.value.status == 403
    assert chat.adapter.open_sockets == 0


async def test_public_url_origin_is_accepted(aiohttp_client: Any) -> None:
    settings = Settings(_env_file=None, public_url="https://bot.chania.gr")  # type: ignore[call-arg]
    adapter = WebChatAdapter(settings, RecordingIntake(), await open_test_store("webchat_origin"))
    app = web.Application()
    adapter.add_routes(app)
    client = await aiohttp_client(app)
    session = (await client.get("/chat")).cookies[COOKIE].value
    ws = await client.ws_connect("/chat/ws", headers={"Cookie": f"{COOKIE}={session}",
                                                      "Origin": "https://bot.chania.gr"})
    assert (await receive(ws))["type"] == "history"
    await ws.close()


async def test_too_many_open_windows_of_one_visitor_are_refused(chat: Chat) -> None:
    _r, session = await chat.open_page()
    sockets = [await chat.connect(session) for _ in range(webchat.MAX_SOCKETS_PER_CHAT)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await chat.connect(session)
    assert err.value.status == 429
    await sockets[0].close()
    await asyncio.sleep(0)  # let the server notice the close
    for _ in range(50):
        if chat.adapter.open_sockets < webchat.MAX_SOCKETS_PER_CHAT:
            break
        await asyncio.sleep(0.05)
    sockets[0] = await chat.connect(session)  # a closed window frees its place
    for ws in sockets:
        await ws.close()


# ---------------------------------------------------------------------- frames in
async def test_message_is_accepted_under_a_derived_chat_id_and_acknowledged(
        chat: Chat, session_ws: tuple[str, aiohttp.ClientWebSocketResponse]) -> None:
    session, ws = session_ws
    await ws.send_json({"type": "message", "id": "3f1c1e9a-0000-4000-8000-000000000001",
                        "text": "  Δεν ανάβει η λάμπα στην Αποκορώνου ", "lang": "el-GR"})
    ack = await receive(ws)
    assert ack == {"type": "ack", "id": "3f1c1e9a-0000-4000-8000-000000000001", "duplicate": False}
    [inbound] = typed(chat.intake)
    assert inbound.channel == "webchat"
    assert inbound.user_id == inbound.chat_id == chat_id_for(session) != session  # the cookie never leaves it
    assert inbound.text == "Δεν ανάβει η λάμπα στην Αποκορώνου"
    assert inbound.language_hint == "el-GR"
    assert inbound.message_id.endswith(":3f1c1e9a-0000-4000-8000-000000000001")


async def test_a_resent_frame_keeps_its_key_and_the_ack_says_what_the_pipeline_said(
        chat: Chat, session_ws: tuple[str, aiohttp.ClientWebSocketResponse]) -> None:
    """De-duplication itself is the pipeline's (test_e2e_english_visitor_and_resent_frame, on the real service)."""
    _session, ws = session_ws
    frame = {"type": "message", "id": "a1b2c3d4-resend", "text": "den mazepsan ta skoupidia", "lang": "en-US"}
    await ws.send_json(frame)
    assert (await receive(ws, "ack"))["duplicate"] is False
    chat.intake.duplicates.add(typed(chat.intake)[0].message_id)
    await ws.send_json(frame)  # resent after a reconnect
    assert (await receive(ws, "ack")) == {"type": "ack", "id": "a1b2c3d4-resend", "duplicate": True}
    first, second = typed(chat.intake)
    assert first.message_id == second.message_id and first.message_id.endswith(":a1b2c3d4-resend")


async def test_button_and_location_frames(chat: Chat, session_ws: tuple[str, aiohttp.ClientWebSocketResponse]) -> None:
    _session, ws = session_ws
    await ws.send_json({"type": "button", "id": "btn-00000001", "payload": "menu:report"})
    await receive(ws, "ack")
    await ws.send_json({"type": "location", "id": "loc-00000001", "lat": 35.5138, "lon": 24.018})
    await receive(ws, "ack")
    button, location = typed(chat.intake)
    assert (button.button, button.text) == ("menu:report", "")
    assert (location.location.lat, location.location.lon) == (35.5138, 24.018)


@pytest.mark.parametrize(("frame", "code", "has_id"), [
    ("{not json", "invalid", False),
    ("[1,2]", "invalid", False),
    (json.dumps({"type": "message", "id": "x", "text": "γεια"}), "invalid", False),  # id too short
    (json.dumps({"type": "message", "id": "abcd-1234", "text": "   "}), "invalid", True),
    (json.dumps({"type": "message", "id": "abcd-1234", "text": "α" * 2001}, ensure_ascii=False), "too_long", True),
    (json.dumps({"type": "message", "id": "abcd-1234", "text": "a" * 9000}), "too_long", False),
    (json.dumps({"type": "location", "id": "abcd-1234", "lat": 91, "lon": 24}), "invalid", True),
    (json.dumps({"type": "location", "id": "abcd-1234", "lat": True, "lon": 24}), "invalid", True),
    (json.dumps({"type": "button", "id": "abcd-1234", "payload": ""}), "invalid", True),
    (json.dumps({"type": "sticker", "id": "abcd-1234"}), "invalid", True),
])
async def test_bad_frames_get_clear_errors_and_nothing_is_accepted(
        chat: Chat, session_ws: tuple[str, aiohttp.ClientWebSocketResponse], frame: str, code: str,
        has_id: bool) -> None:
    _session, ws = session_ws
    await ws.send_str(frame)
    error = await receive(ws)
    assert error["type"] == "error" and error["code"] == code
    assert (error["id"] == "abcd-1234") if has_id else error["id"] is None
    assert error["message"]  # a sentence for the person, in the page's language
    assert typed(chat.intake) == []  # nothing of the bad frame (the first visit's greeting aside)
    await ws.send_json({"type": "message", "id": "after-error-1", "text": "γεια"})  # the socket still works
    assert (await receive(ws))["type"] == "ack"


async def test_binary_frame_is_an_error(chat: Chat, session_ws: tuple[str, aiohttp.ClientWebSocketResponse]) -> None:
    _session, ws = session_ws
    await ws.send_bytes(b"\x00\x01")
    assert (await receive(ws))["code"] == "invalid"


async def test_store_down_gives_unavailable_and_the_resend_is_accepted(
        chat: Chat, session_ws: tuple[str, aiohttp.ClientWebSocketResponse]) -> None:
    _session, ws = session_ws
    frame = {"type": "message", "id": "down-0000001", "text": "λακκούβα στη Χάληδων", "lang": "el"}
    chat.intake.down = True
    await ws.send_json(frame)
    error = await receive(ws)
    assert (error["type"], error["code"], error["id"]) == ("error", "unavailable", "down-0000001")
    assert "δεν είναι διαθέσιμη" in error["message"]
    chat.intake.down = False
    await ws.send_json(frame)
    assert (await receive(ws))["duplicate"] is False
    assert [i.text for i in typed(chat.intake)] == ["λακκούβα στη Χάληδων"]


async def test_flood_is_slowed_down(chat: Chat, session_ws: tuple[str, aiohttp.ClientWebSocketResponse],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webchat, "RATE_REFILL_S", 3600.0)  # no refill during the test: the count is exact
    _session, ws = session_ws
    for n in range(webchat.RATE_BURST + 3):
        await ws.send_json({"type": "message", "id": f"flood-{n:04d}", "text": f"μήνυμα {n}"})
    frames = [await receive(ws) for _ in range(webchat.RATE_BURST + 3)]
    assert [f["type"] for f in frames].count("ack") == webchat.RATE_BURST
    assert [f.get("code") for f in frames[-3:]] == ["slow_down"] * 3
    assert len(typed(chat.intake)) == webchat.RATE_BURST


# ---------------------------------------------------------------------- frames out
async def test_send_pushes_to_every_open_page_of_that_chat_only(chat: Chat) -> None:
    _r, mine = await chat.open_page()
    _r, other = await chat.open_page()
    tab1, tab2, stranger = (await chat.connect(mine), await chat.connect(mine), await chat.connect(other))
    for ws in (tab1, tab2, stranger):
        await receive(ws, "history")
    pin = Pin("Φάρος Χανίων", 35.5197, 24.0164)
    await chat.adapter.send(chat_id_for(mine), [
        Reply("Τι θέλετε να κάνετε;", buttons=(Button("📝 Αναφορά προβλήματος", "menu:report"),)),
        Reply("Ο Φάρος <b>", location=pin, image="https://www.chania.gr/f.jpg", request_location=True),
    ])
    for ws in (tab1, tab2):
        first, second = await receive(ws), await receive(ws)
        assert first["reply"]["buttons"] == [{"label": "📝 Αναφορά προβλήματος", "payload": "menu:report"}]
        assert second["reply"]["text"] == "Ο Φάρος <b>"  # the page shows it as text, never as HTML
        assert second["reply"]["location"]["map_url"] == pin.map_url
        assert second["reply"]["image"] == "https://www.chania.gr/f.jpg"
        assert second["reply"]["request_location"] is True
    await stranger.send_json({"type": "message", "id": "stranger-01", "text": "γεια"})
    assert (await receive(stranger))["type"] == "ack"  # and not one of the replies above
    for ws in (tab1, tab2, stranger):
        await ws.close()


async def test_send_with_no_open_page_reaches_no_other_visitor(chat: Chat,
                                                               session_ws: tuple[str, aiohttp.ClientWebSocketResponse]
                                                               ) -> None:
    """Nobody has this chat open: the send succeeds (the reply waits in the history) and no other visitor's page
    gets it; the same send to the open chat arrives."""
    session, ws = session_ws
    assert await chat.adapter.send(chat_id_for("x" * 43), [Reply("Ενημέρωση για την αναφορά σας")]) == []
    with pytest.raises(TimeoutError):
        await ws.receive_json(timeout=0.3)
    await chat.adapter.send(chat_id_for(session), [Reply("Η βλάβη αποκαταστάθηκε.")])
    assert (await receive(ws, "reply"))["reply"]["text"] == "Η βλάβη αποκαταστάθηκε."


async def test_history_shows_stored_messages_in_order_with_button_labels(chat: Chat) -> None:
    _r, session = await chat.open_page()
    conv = f"webchat:{chat_id_for(session)}"
    t0 = datetime(2026, 5, 14, 9, 0, tzinfo=UTC)
    menu = Reply("Τι θέλετε να κάνετε;", buttons=(Button("📝 Αναφορά προβλήματος", "menu:report"),))
    def doc(n: int, **fields: Any) -> dict[str, Any]:  # as the pipeline stores them
        return {"conversation_id": conv, "channel": "webchat", "platform_message_id": f"m{n}",
                "created_at": t0 + timedelta(seconds=n)} | fields

    await chat.store.messages.insert_many([
        doc(0, direction="in", text="γεια σας", button=None),
        doc(1, direction="out", sender="bot", text=menu.text, reply=menu.to_doc()),
        doc(2, direction="in", text="", button="menu:report"),
        doc(3, direction="in", text="", location={"lat": 35.5, "lon": 24.0}),
        doc(4, direction="out", sender="staff", text="Καλημέρα, από τον Δήμο",
            reply=Reply("Καλημέρα, από τον Δήμο").to_doc()),
        doc(5, direction="in", text="όχι δικό σας") | {"conversation_id": "webchat:someone-else"},
    ])
    ws = await chat.connect(session)
    history = (await receive(ws))["messages"]
    await ws.close()
    assert [(m["direction"], m["reply"]["text"] if "reply" in m else m["text"]) for m in history] == [
        ("in", "γεια σας"), ("out", "Τι θέλετε να κάνετε;"), ("in", "📝 Αναφορά προβλήματος"), ("in", ""),
        ("out", "Καλημέρα, από τον Δήμο")]
    assert history[3]["location"] is True
    assert history[4]["sender"] == "staff"


async def test_history_orders_same_millisecond_messages_by_insertion(chat: Chat) -> None:
    """A question and its answer are often stored in the same millisecond: ``seq`` (an ObjectId made at insert)
    keeps them in order, whatever their ``_id`` strings say."""
    _r, session = await chat.open_page()
    conv = f"webchat:{chat_id_for(session)}"
    at = datetime(2026, 5, 14, 9, 0, tzinfo=UTC)
    question = {"_id": f"{conv}:zz-client-id", "seq": ObjectId(), "conversation_id": conv, "channel": "webchat",
                "direction": "in", "text": "ερώτηση", "created_at": at}
    answer = {"_id": "out:000000000000000000000000", "seq": ObjectId(), "conversation_id": conv,
              "channel": "webchat", "direction": "out", "sender": "bot", "text": "απάντηση",
              "reply": Reply("απάντηση").to_doc(), "created_at": at}
    await chat.store.messages.insert_many([answer, question])  # stored in the other order on purpose
    ws = await chat.connect(session)
    history = (await receive(ws))["messages"]
    await ws.close()
    assert [m["direction"] for m in history] == ["in", "out"]


async def test_close_closes_open_sockets(chat: Chat) -> None:
    _r, session = await chat.open_page()
    ws = await chat.connect(session)
    await receive(ws, "history")
    assert chat.adapter.open_sockets == 1
    await chat.adapter.close()
    msg = await asyncio.wait_for(ws.receive(), 10)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await ws.close()


# ---------------------------------------------------------------------- end to end: the whole service
# The real app (tests/fixtures/service.py) with the real Rasa server; a real browser drives the page in the last test.
import shutil  # noqa: E402

from bot.core.i18n import Texts  # noqa: E402
from tests.fixtures.service import Service  # noqa: E402

EL, EN = Texts("el"), Texts("en")


async def _open(service: Service, accept_language: str = "el-GR,el;q=0.9"
                ) -> tuple[str, aiohttp.ClientWebSocketResponse]:
    async with service.http.get(f"{service.url}/chat", headers={"Accept-Language": accept_language}) as resp:
        assert resp.status == 200
        session = resp.cookies[COOKIE].value
        lang = re.search(r'<html lang="(el|en)"', await resp.text()).group(1)  # type: ignore[union-attr]
    return session, await _connect(service, session, lang)


async def _connect(service: Service, session: str, lang: str = "el") -> aiohttp.ClientWebSocketResponse:
    return await service.http.ws_connect(f"{service.url}/chat/ws?lang={lang}",
                                         headers={"Cookie": f"{COOKIE}={session}", "Origin": service.url})


@pytest.mark.rasa
async def test_e2e_webchat_conversation_over_a_real_websocket(service: Service) -> None:
    session, ws = await _open(service)
    assert (await receive(ws))["messages"] == []
    greeting = (await receive(ws, "reply"))["reply"]  # a first visit is greeted with the menu (issue 9)
    assert greeting["text"] == EL("system.welcome") and "menu:report" in [b["payload"] for b in greeting["buttons"]]
    await ws.send_json({"type": "message", "id": "e2e-00000001", "text": "Καλημέρα σας!", "lang": "el-GR"})
    assert (await receive(ws))["type"] == "ack"
    reply = (await receive(ws, "reply"))["reply"]
    assert reply["text"] == EL("system.welcome")
    report = next(b for b in reply["buttons"] if b["payload"] == "menu:report")
    await ws.send_json({"type": "button", "id": "e2e-00000002", "payload": report["payload"]})
    assert (await receive(ws, "reply"))["reply"]["text"] == EL("menu.report_prompt")
    await service.idle()
    await ws.close()

    conv = f"webchat:{chat_id_for(session)}"
    stored = await service.store.messages.find_one({"conversation_id": conv, "direction": "in",
                                                    "text": "Καλημέρα σας!"})
    assert stored["intent"] == "greet"
    assert await service.store.messages.count_documents({"conversation_id": conv, "direction": "in"}) == 3
    assert session not in json.dumps(await service.store.conversations.find_one({"_id": conv}), default=str)

    # a reply sent while no page is open (a staff message) waits in the history
    await service.runtime.pipeline.send_to(conv, [Reply("Η βλάβη αποκαταστάθηκε.")], sender="staff")
    await service.idle()  # sent (to no open page) by the outbox
    ws = await _connect(service, session)
    history = (await receive(ws))["messages"]
    await ws.close()
    assert [(m["direction"], m["reply"]["text"] if "reply" in m else m["text"]) for m in history] == [
        ("out", EL("system.welcome")), ("in", "Καλημέρα σας!"), ("out", EL("system.welcome")),
        ("in", report["label"]), ("out", EL("menu.report_prompt")), ("out", "Η βλάβη αποκαταστάθηκε.")]
    assert history[-1]["sender"] == "staff"


@pytest.mark.rasa
async def test_e2e_english_visitor_and_resent_frame(service: Service) -> None:
    _session, ws = await _open(service, accept_language="en-GB,en;q=0.9,de;q=0.5")
    await receive(ws, "history")
    assert (await receive(ws, "reply"))["reply"]["text"] == EN("system.welcome")  # the first-visit greeting
    frame = {"type": "message", "id": "e2e-en-000001", "text": "Hello there, good morning", "lang": "en-GB"}
    await ws.send_json(frame)
    assert (await receive(ws, "reply"))["reply"]["text"] == EN("system.welcome")
    await ws.send_json(frame)  # resent after a reconnect that lost the ack
    assert (await receive(ws, "ack"))["duplicate"] is True
    await service.idle()
    await ws.close()
    assert await service.store.messages.count_documents({"direction": "in"}) == 2  # the greeting's /start + 1
    assert await service.store.messages.count_documents({"direction": "out"}) == 2


@pytest.mark.rasa
@pytest.mark.browser
async def test_e2e_browser_chats_presses_a_button_and_shares_location(service: Service) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        browser, page, problems = await _chat_page(p, service, locale="el-GR", geolocation=(35.5138, 24.0180))
        await page.wait_for_selector("#status:has-text('Σε σύνδεση')")
        await page.get_by_label("Το μήνυμά σας").fill("Καλημέρα σας")
        await page.keyboard.press("Enter")
        await page.wait_for_selector(f".msg.out:has-text('{EL('system.welcome')[:40]}')")
        await page.get_by_role("button", name=EL("menu.report")).last.click()
        await page.wait_for_selector(f".msg.out:has-text('{EL('menu.report_prompt')[:40]}')")
        await page.locator("#locate").click()
        await page.wait_for_selector(f".msg.in:has-text('{EL('webchat.location_sent')}')")
        await service.idle()
        await page.screenshot(path="/tmp/webchat-e2e.png", full_page=True)
        await page.get_by_role("link", name="English").click()
        await page.wait_for_selector("html[lang=en]")
        await page.wait_for_selector(f".msg.in:has-text('{EL('menu.report')}')")  # history after the switch
        await browser.close()
    assert problems == []  # no script error, no CSP violation
    stored = [d async for d in service.store.messages.find({"direction": "in"}).sort("created_at", 1)]
    assert stored[0]["text"] == "/start"  # the first visit's greeting
    assert stored[1]["text"] == "Καλημέρα σας"
    assert stored[2]["button"] == "menu:report"
    assert stored[3]["location"] == {"lat": 35.5138, "lon": 24.018}


@pytest.mark.rasa
@pytest.mark.browser
async def test_e2e_browser_english_visitor_sees_english_and_old_buttons_are_inert(service: Service) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        browser, page, problems = await _chat_page(p, service, locale="en-US")  # Accept-Language: en-US
        await page.wait_for_selector(f"#status:has-text('{EN('webchat.connected')}')")
        await page.wait_for_selector(f".msg.out:has-text('{EN('system.welcome')[:40]}')")  # greeted, with the menu
        assert await page.locator("h1").inner_text() == EN("webchat.heading")
        assert await page.locator("#locate").inner_text() == EN("webchat.use_location")
        assert await page.locator(".msg.out .who").first.inner_text() == EN("webchat.bot")
        visible = (await page.locator("body").inner_text()).replace("Ελληνικά", "")  # the switch names itself
        assert not re.search("[\u0370-\u03ff]", visible), visible
        menu_buttons = await page.locator(".msg.out").first.locator("button").count()
        assert menu_buttons >= 4
        await page.get_by_role("button", name=EN("menu.report")).click()
        await page.wait_for_selector(f".msg.out:has-text('{EN('menu.report_prompt')[:40]}')")
        await service.idle()
        await page.reload()
        await page.wait_for_selector(f".msg.out:has-text('{EN('menu.report_prompt')[:40]}')")
        old = page.locator(".buttons.inert button")  # the greeting's menu, from before the reload
        assert await old.count() == menu_buttons and await old.first.is_disabled()
        assert await page.locator(".buttons button:not([disabled])").count() == 0
        # a photo from the file field goes to the server (POST /chat/upload) and is acknowledged
        await page.set_input_files("#photo", files=[{"name": "pothole.jpg", "mimeType": "image/jpeg",
                                                     "buffer": _jpeg((320, 240))}])
        await page.wait_for_selector(f".msg.in:not(.pending):not(.failed):has-text('{EN('webchat.photo_sent')}')")
        await service.idle()
        assert await service.store.webchat_photos.count_documents({}) == 1
        await browser.close()
    assert problems == []


PHONE_FITS = """() => {
    const box = (sel) => document.querySelector(sel).getBoundingClientRect();
    return {height: innerHeight, page: document.scrollingElement.scrollHeight, log: box("#log").height,
            locate: box("#locate").bottom, photo: box("label.file").bottom, send: box("#send").bottom,
            privacy: box(".privacy").bottom};
}"""


@pytest.mark.rasa
@pytest.mark.browser
@pytest.mark.parametrize("locale", ["el-GR", "en-US"])
async def test_e2e_on_a_390x844_phone_the_composer_and_its_buttons_fit_without_scrolling(
        service: Service, locale: str) -> None:
    """QA F9: on a 390×844 phone the 📍 / 📷 buttons and the privacy line sat below the fold (page 965 px high).
    The log takes what the rest of the screen leaves and scrolls inside, with a greeting and a conversation in it."""
    playwright_api = pytest.importorskip("playwright.async_api")
    t = EL if locale == "el-GR" else EN
    async with playwright_api.async_playwright() as p:
        browser, page, problems = await _chat_page(p, service, locale=locale)
        await page.wait_for_selector(f".msg.out:has-text('{t('system.welcome')[:40]}')")
        for n in range(4):  # more than the log shows at once
            await _say(page, "Καλημέρα σας" if locale == "el-GR" else "Good morning")
            await page.wait_for_selector(f".msg.in >> nth={n}")
        await service.idle()
        await page.locator(".msg.out").nth(4).wait_for()  # the greeting and four answers
        fits = await page.evaluate(PHONE_FITS)
        await page.screenshot(path=f"/tmp/webchat-phone-{locale}.png")
        scrolled = await page.evaluate("(() => { const l = document.getElementById('log');"
                                       " return l.scrollHeight > l.clientHeight; })()")
        await browser.close()
    assert problems == []
    assert fits["height"] == 844 and fits["page"] <= 844, fits  # no page scroll
    assert max(fits["locate"], fits["photo"], fits["send"], fits["privacy"]) <= 844, fits
    assert fits["log"] >= 250, fits  # the log keeps a useful height
    assert scrolled  # the conversation scrolls inside the log


async def press_when_offered(ws: Any, label: str, client_id: str) -> dict[str, Any]:
    """Read replies until one offers the button ``label``, press it; the reply that offered it."""
    reply = (await receive(ws, "reply"))["reply"]
    while label not in [b["label"] for b in reply.get("buttons", [])]:
        reply = (await receive(ws, "reply"))["reply"]
    button = next(b for b in reply["buttons"] if b["label"] == label)
    await ws.send_json({"type": "button", "id": client_id, "payload": button["payload"]})
    return reply


@pytest.mark.rasa
async def test_e2e_without_a_geocoder_the_pin_is_asked_with_the_pages_location_control(service: Service) -> None:
    session, ws = await _open(service, accept_language="el")
    await receive(ws, "history")
    await receive(ws, "reply")  # the greeting
    for n, text in enumerate(("Ξεχειλίζουν οι κάδοι στη Χάληδων 10", "ναι")):
        await ws.send_json({"type": "message", "id": f"e2e-pin-00000{n}", "text": text})
        await service.idle()
    ask = (await receive(ws, "reply"))["reply"]
    while EL("complaints.no_pin") not in [b["label"] for b in ask.get("buttons", [])]:
        ask = (await receive(ws, "reply"))["reply"]
    assert ask["text"] == EL("complaints.ask_pin", place="«Χάληδων 10»") and ask["request_location"] is True
    assert [b["label"] for b in ask["buttons"]] == [EL("complaints.no_pin")]  # the page adds "📍 use my location"
    await ws.send_json({"type": "location", "id": "e2e-pin-000009", "lat": 35.5160, "lon": 24.0170})
    assert (await receive(ws, "reply"))["reply"]["text"] == EL("complaints.ask_photo", max_mb=10)
    conv = await service.store.conversations.find_one({"_id": f"webchat:{chat_id_for(session)}"})
    slots = conv["flow"]["slots"]
    assert slots["address"] == "Χάληδων 10" and slots["point"] == {"lat": 35.5160, "lon": 24.0170}
    await ws.close()


@pytest.mark.rasa
async def test_e2e_phone_step_on_the_web_is_a_field_not_a_share_button(service: Service) -> None:
    _session, ws = await _open(service, accept_language="en")
    await receive(ws, "history")
    await receive(ws, "reply")  # the greeting
    frames = [{"type": "message", "id": "e2e-ph-000001", "text": "The bins on Chalidon street are overflowing"},
              {"type": "message", "id": "e2e-ph-000002", "text": "yes"}]
    for frame in frames:
        await ws.send_json(frame)
        await service.idle()
    await press_when_offered(ws, EN("complaints.no_pin"), "e2e-ph-00000a")
    await press_when_offered(ws, EN("complaints.skip_photo"), "e2e-ph-000003")
    consent = (await receive(ws, "reply"))["reply"]
    yes = next(b for b in consent["buttons"] if b["label"] == EN("complaints.consent_yes"))
    await ws.send_json({"type": "button", "id": "e2e-ph-000004", "payload": yes["payload"]})
    ask = (await receive(ws, "reply"))["reply"]
    assert ask["text"] == EN("complaints.ask_phone_web") and ask["request_contact"] is True
    assert "📞" not in ask["text"]
    await ws.send_json({"type": "message", "id": "e2e-ph-000005", "text": "6912345678"})
    summary = (await receive(ws, "reply"))["reply"]
    assert "691 234 5678" in summary["text"]
    await ws.close()


@pytest.mark.parametrize(("query", "header", "expected"), [
    (None, "en-US,en;q=0.9", ("en", False)), (None, "el-GR,el;q=0.9,en;q=0.8", ("el", False)),
    (None, "de-DE,de;q=0.9,en;q=0.7,el;q=0.6", ("en", False)), (None, "fr-FR", ("el", False)),
    (None, None, ("el", False)), (None, "en;q=0.3,el;q=0.8", ("el", False)), (None, "en;q=0,el", ("el", False)),
    ("en", "el-GR", ("en", True)), ("el", "en-US", ("el", True)), ("xx", "en-US", ("en", False)),
])
def test_page_language_from_the_switch_or_the_browser(query: str | None, header: str | None,
                                                      expected: tuple[str, bool]) -> None:
    assert webchat.page_language(query, header) == expected


async def test_english_browser_gets_the_english_page(chat: Chat) -> None:
    chat.client.session.cookie_jar.clear()
    resp = await chat.client.get("/chat", headers={"Accept-Language": "en-GB,en;q=0.9"})
    page = await resp.text()
    assert '<html lang="en">' in page and Texts("en")("webchat.heading") in page
    assert 'href="/chat?lang=el"' in page and resp.headers["Vary"] == "Accept-Language"
    assert 'maxlength="2000"' in page


def _jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: dropped by the re-encoding
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", exif=exif)
    return out.getvalue()


async def _upload(service: Service, session: str, data: bytes, *, client_id: str = "up-00000001",
                  origin: str | None = None, filename: str = "photo.jpg") -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("id", client_id)
    form.add_field("lang", "en-GB")
    form.add_field("photo", data, filename=filename, content_type="application/octet-stream")
    async with service.http.post(f"{service.url}/chat/upload?lang=en", data=form,
                                 headers={"Cookie": f"{COOKIE}={session}",
                                          "Origin": origin or service.url}) as resp:
        await resp.read()
        return resp


@pytest.mark.rasa
async def test_e2e_photo_upload_reaches_the_report_and_is_served_without_exif(service: Service) -> None:
    session, ws = await _open(service, accept_language="en")
    await receive(ws, "history")
    await receive(ws, "reply")  # the greeting
    await ws.send_json({"type": "message", "id": "e2e-up-000001",
                        "text": "The bins on Chalidon street are overflowing"})
    await ws.send_json({"type": "message", "id": "e2e-up-000002", "text": "yes"})
    await service.idle()
    await press_when_offered(ws, EN("complaints.no_pin"), "e2e-up-00000a")
    reply = (await receive(ws, "reply"))["reply"]
    while reply["text"] != EN("complaints.ask_photo", max_mb=10):
        reply = (await receive(ws, "reply"))["reply"]

    resp = await _upload(service, session, _jpeg())
    assert resp.status == 200
    assert (await receive(ws, "reply"))["reply"]["text"] == EN("complaints.photo_added", count=1)
    conv = await service.store.conversations.find_one({"_id": f"webchat:{chat_id_for(session)}"})
    (photo,) = conv["flow"]["slots"]["photos"]
    assert photo["url"].startswith("/chat/photos/") and photo["file_id"] is None
    async with service.http.get(service.url + photo["url"]) as got:
        body = await got.read()
        assert got.status == 200 and got.headers["Content-Type"] == "image/jpeg"
    assert body.startswith(b"\xff\xd8") and b"PhoneMaker" not in body  # re-encoded, no EXIF
    async with service.http.get(service.url + "/chat/photos/not-a-token") as got:
        assert got.status == 404
    await ws.close()


async def test_upload_checks_type_size_session_and_origin(service: Service) -> None:
    session, ws = await _open(service)
    await ws.close()
    resp = await _upload(service, session, b"%PDF-1.7 not a photo", client_id="up-00000002")
    assert resp.status == 415
    big = _jpeg() + b"\0" * (10 * 1024 * 1024)
    assert (await _upload(service, session, big, client_id="up-00000003")).status == 413
    async with service.http.post(f"{service.url}/chat/upload", data=aiohttp.FormData({"id": "up-00000004"}),
                                 headers={"Origin": service.url}) as resp:
        assert resp.status == 403  # no chat session cookie
    assert (await _upload(service, session, _jpeg(), client_id="up-00000005",
                          origin="https://evil.example")).status == 403
    assert (await _upload(service, session, _jpeg(), client_id="bad id!")).status == 400
    assert await service.store.webchat_photos.count_documents({}) == 0  # nothing kept of a refused upload


async def test_web_chat_photos_follow_the_photo_retention_and_erasure() -> None:
    from bot.core.models import utcnow
    from bot.privacy.registry import DataSubject, collection
    from bot.privacy.retention import run_retention
    from bot.store import open_store

    store = await open_store(None, "webchat_photos_retention")
    settings = Settings(_env_file=None, retention_photos_days=30)  # type: ignore[call-arg]
    now = utcnow()
    await store.webchat_photos.insert_many([
        {"_id": "old", "conversation_id": "webchat:a", "data": b"x", "created_at": now - timedelta(days=31)},
        {"_id": "new", "conversation_id": "webchat:a", "data": b"x", "created_at": now - timedelta(days=29)},
        {"_id": "other", "conversation_id": "webchat:b", "data": b"x", "created_at": now}])
    outcomes = {(o.collection, o.rule): o.done for o in await run_retention(store, settings)}
    assert outcomes[("webchat_photos", "web chat photos")] == 1
    assert sorted([d["_id"] async for d in store.webchat_photos.find()]) == ["new", "other"]
    entry = collection("webchat_photos")
    found = entry.find(DataSubject(conversation_ids=frozenset({"webchat:a"})))
    assert [d["_id"] async for d in store.webchat_photos.find(found)] == ["new"] and entry.erase == "delete"


async def _chat_page(p: Any, service: Service, *, locale: str,
                     geolocation: tuple[float, float] | None = None) -> tuple[Any, Any, list[str]]:
    """Debian's Chromium on a phone-sized (390×844) page of the web chat, where the browser says it stands at
    ``geolocation`` (lat, lon); script errors and CSP violations collected."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (test.sh installs it)"
    browser = await p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    extra: dict[str, Any] = {"geolocation": {"latitude": geolocation[0], "longitude": geolocation[1]},
                             "permissions": ["geolocation"]} if geolocation else {}
    context = await browser.new_context(locale=locale, viewport={"width": 390, "height": 844}, **extra)
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{service.url}/chat")
    return browser, page, problems


async def _say(page: Any, text: str) -> None:
    await page.locator("#text").fill(text)
    await page.keyboard.press("Enter")


@pytest.mark.rasa
@pytest.mark.browser
async def test_e2e_browser_a_pasted_text_over_the_limit_is_cut_and_the_page_says_so(service: Service) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        browser, page, problems = await _chat_page(p, service, locale="en-US")
        await page.wait_for_selector(f"#status:has-text('{EN('webchat.connected')}')")
        await page.locator("#text").focus()
        await page.keyboard.insert_text("The street light on Chalidon street is out. " * 60)  # a paste, 2,640
        assert len(await page.locator("#text").input_value()) == 2000  # the field's maxlength cut it
        assert await page.locator("#status").inner_text() == EN("webchat.cut_for_length", max=2000)
        await page.keyboard.press("Enter")
        await page.wait_for_selector(".msg.in:not(.pending):not(.failed)")
        await service.idle()
        await browser.close()
    assert problems == []
    typed = await service.store.messages.find_one({"direction": "in", "text": {"$regex": "^The street light"}})
    assert typed is not None and len(typed["text"]) == 2000 - 1  # what was sent: the cut text (trimmed)


@pytest.mark.rasa
@pytest.mark.browser
async def test_e2e_browser_pin_from_the_page_then_a_photo_dropped_on_the_chat(service: Service) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    photo = base64.b64encode(_jpeg((320, 240))).decode()
    async with playwright_api.async_playwright() as p:
        browser, page, problems = await _chat_page(p, service, locale="el-GR", geolocation=(35.5160, 24.0170))
        await page.wait_for_selector(f"#status:has-text('{EL('webchat.connected')}')")
        await _say(page, "Ξεχείλισε ο κάδος στη Χάληδων 10")
        await page.wait_for_selector(f".msg.out:has-text('{EL('complaints.yes_place')}')")
        await _say(page, "ναι")
        # no geocoder: the spot on the map is asked for, with "continue without" and the page's location control
        ask = page.locator(".msg.out", has_text=EL("complaints.ask_pin", place="«Χάληδων 10»"))
        await ask.wait_for()
        assert await ask.locator("button").all_inner_texts() == [EL("complaints.no_pin"), EL("webchat.use_location")]
        await ask.get_by_role("button", name=EL("webchat.use_location")).click()
        await page.wait_for_selector(f".msg.out:has-text('{EL('complaints.ask_photo', max_mb=10)[:40]}')")
        # a photo dragged from the desktop and dropped on the chat: a real drop event with a File in it
        await page.dispatch_event("#chat", "dragover", {"dataTransfer": await page.evaluate_handle(
            "() => new DataTransfer()")})
        assert await page.locator("#status").inner_text() == EL("webchat.photo_drop")
        assert "dropping" in (await page.get_attribute("#chat", "class") or "")
        dropped = await page.evaluate_handle(
            """(b64) => { const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
                          const dt = new DataTransfer();
                          dt.items.add(new File([bytes], "pothole.jpg", {type: "image/jpeg"}));
                          return dt; }""", photo)
        await page.dispatch_event("#chat", "drop", {"dataTransfer": dropped})
        await page.wait_for_selector(f".msg.in:not(.pending):not(.failed):has-text('{EL('webchat.photo_sent')}')")
        await page.wait_for_selector(f".msg.out:has-text('{EL('complaints.photo_added', count=1)[:30]}')")
        assert "dropping" not in (await page.get_attribute("#chat", "class") or "")
        await service.idle()
        await browser.close()
    assert problems == []
    conv = await service.store.conversations.find_one({"channel": "webchat"})
    slots = conv["flow"]["slots"]
    assert slots["address"] == "Χάληδων 10" and slots["point"] == {"lat": 35.5160, "lon": 24.0170}
    (kept,) = slots["photos"]
    assert kept["url"].startswith("/chat/photos/")
    assert await service.store.webchat_photos.count_documents({}) == 1


@pytest.mark.rasa
@pytest.mark.browser
async def test_e2e_browser_a_reconnect_while_a_reply_is_in_flight_shows_it_once(service: Service) -> None:
    """The reply is queued (in the history) but not yet pushed when the socket drops: the new socket's history has
    it, and then the live frame brings it again. The page shows it once (the message id)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    adapter = service.runtime.adapters["webchat"]
    send, gate, held = adapter.send, asyncio.Event(), asyncio.Event()

    async def held_back(chat_id: str, replies: Any) -> list[str]:
        held.set()
        await gate.wait()
        return await send(chat_id, replies)

    async with playwright_api.async_playwright() as p:
        browser, page, problems = await _chat_page(p, service, locale="en-US")
        await page.wait_for_selector(f".msg.out:has-text('{EN('system.welcome')[:40]}')")  # the greeting
        await service.idle()
        adapter.send = held_back  # type: ignore[method-assign]
        await _say(page, "help")
        await asyncio.wait_for(held.wait(), 30)  # the reply is queued and in the transcript, not pushed yet
        for ws in list(adapter._sockets.get(page_chat_id := next(iter(adapter._sockets)), ())):
            await ws.close()  # the network drops; the page reconnects by itself and gets the history
        await page.wait_for_selector(f"#status:has-text('{EN('webchat.offline')}')")
        await page.wait_for_selector(f"#status:has-text('{EN('webchat.connected')}')", timeout=10_000)
        help_text = EN("system.help")[:6]  # "I can:"
        await page.wait_for_selector(f".msg.out:has-text('{help_text}')")  # from the history
        adapter.send = send  # type: ignore[method-assign]
        gate.set()  # the live frame goes out now
        await service.idle()
        await _say(page, "thank you very much")  # frames come in order: its answer shown, the help frame was read
        await page.locator(".msg.out", has_text=EN("system.you_are_welcome")).wait_for()
        assert await page.locator(".msg.out", has_text=help_text).count() == 1
        assert await page.locator(".msg.in", has_text="help").count() == 1
        await browser.close()
    assert problems == [] and page_chat_id


@pytest.mark.browser
async def test_browser_on_a_phone_the_location_and_photo_controls_sit_alike_and_the_keyboard_reaches_both(
        service: Service) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        browser, page, problems = await _chat_page(p, service, locale="el-GR")
        locate, photo = await page.locator("#locate").bounding_box(), await page.locator("label.file").bounding_box()
        assert locate and photo
        assert locate["y"] == photo["y"] and locate["height"] == photo["height"]  # one row, the same height
        assert abs(locate["width"] - photo["width"]) <= 1 and photo["x"] + photo["width"] <= 390  # on the screen
        await page.locator("#locate").focus()
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "photo"  # a keyboard user can add a photo
        await page.screenshot(path="/tmp/webchat-tools.png")
        await browser.close()
    assert problems == []


@pytest.mark.browser
async def test_browser_a_staff_reply_arriving_live_is_labelled_staff_as_after_a_reload(service: Service) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        browser, page, problems = await _chat_page(p, service, locale="el-GR")
        await page.wait_for_selector(f"#status:has-text('{EL('webchat.connected')}')")
        await service.idle()
        conv = await service.store.conversations.find_one({"channel": "webchat"})
        await service.runtime.pipeline.send_to(conv["_id"], [Reply("Μαρία — Δήμος Χανίων: Το είδαμε, ερχόμαστε.")],
                                               sender="staff:maria")
        live = page.locator(".msg.out", has_text="Το είδαμε, ερχόμαστε.")
        await live.wait_for()
        assert await live.locator(".who").inner_text() == EL("webchat.staff")  # not the bot's name
        stored = await service.store.messages.find_one({"conversation_id": conv["_id"], "sender": "staff:maria"})
        await page.reload()
        await live.wait_for()
        assert await live.locator(".who").inner_text() == EL("webchat.staff") and await live.count() == 1
        await browser.close()
    assert problems == [] and stored is not None


@pytest.mark.rasa
async def test_e2e_a_photo_uploaded_first_starts_a_report_that_keeps_it(service: Service) -> None:
    """QA F38 in the web chat: the photo comes first, with no words; it is kept and the resident asked what it shows;
    the answer starts the report, which already holds the photo."""
    session, ws = await _open(service, accept_language="en")
    await receive(ws, "history")
    await receive(ws, "reply")  # the greeting
    resp = await _upload(service, session, _jpeg(), client_id="up-f38-0001")
    assert resp.status == 200
    assert (await receive(ws, "reply"))["reply"]["text"] == EN("complaints.photo_kept", count=1)
    assert (await receive(ws, "reply"))["reply"]["text"] == EN("complaints.ask_photo_problem")
    await ws.send_json({"type": "message", "id": "f38-msg-00001", "text": "this pothole is on Kydonias 100"})
    reply = (await receive(ws, "reply"))["reply"]
    assert reply["text"] == EN("complaints.understood", category=categories()["complaint_roads"].name("en"))
    conv = await service.store.conversations.find_one({"_id": f"webchat:{chat_id_for(session)}"})
    (photo,) = conv["flow"]["slots"]["photos"]
    assert photo["url"].startswith("/chat/photos/")
    assert conv["flow"]["slots"]["description"] == "this pothole is on Kydonias 100"
    await ws.close()


@pytest.mark.rasa
@pytest.mark.browser
async def test_e2e_browser_the_alerts_picker_changes_in_place(service: Service) -> None:
    """QA F2b: a tap on an area ticks it in the same message; the page does not grow by a keyboard per tap."""
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        browser, page, problems = await _chat_page(p, service, locale="el-GR")
        await page.wait_for_selector("#status:has-text('Σε σύνδεση')")
        await _say(page, "ειδοποιησεις")
        picker = page.locator(".msg.out", has=page.get_by_role("button", name="Σούδα"))
        await picker.wait_for()
        pickers_before = await page.locator(".msg.out .buttons").count()
        await picker.get_by_role("button", name="Σούδα").click()
        await page.get_by_role("button", name="✅ Σούδα").wait_for()
        await page.get_by_role("button", name="Νέα Χώρα").click()
        await page.get_by_role("button", name="✅ Νέα Χώρα").wait_for()
        assert await page.locator(".msg.out .buttons").count() == pickers_before  # replaced, not added
        assert await page.get_by_role("button", name="✅ Σούδα").count() == 1  # both ticks in one picker
        await browser.close()
    assert problems == []
