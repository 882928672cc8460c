"""Web chat: a page at ``GET /chat`` (for the municipality's website, and to try the bot without any token) and a
WebSocket at ``GET /chat/ws``, through the same pipeline as Telegram and Viber.

Identity. ``GET /chat`` sets an opaque random session id in an HttpOnly, SameSite=Lax cookie. The conversation's
``user_id``/``chat_id`` is a hash of it, not the cookie itself: the id shown to staff and written to logs and the
database cannot be used to take over the citizen's chat. The WebSocket handshake needs that cookie and an ``Origin``
of this same site (no cross-site WebSocket hijacking).

Frames, client → server (JSON text frames, at most ``MAX_FRAME_BYTES``)::

    {"type": "message",  "id": "<client uuid>", "text": "...", "lang": "el-GR"}
    {"type": "button",   "id": "<client uuid>", "payload": "menu:report", "of": "<id of the reply it was on>"}
    {"type": "location", "id": "<client uuid>", "lat": 35.51, "lon": 24.02}

``id`` makes a resend after a reconnect harmless (the pipeline de-duplicates on it). Server → client::

    {"type": "history", "messages": [{"direction": "in", "text": ...} | {"direction": "out", "id": ...,
                                      "sender": ..., "reply": {...}}]}
    {"type": "reply", "id": "<stored message id>", "sender": "bot" | "staff:<username>" | ...,
     "reply": {"text", "buttons": [{"label", "payload"}], "location": {..., "map_url"} | null, "image",
               "request_location"}}
    {"type": "ack", "id": ..., "duplicate": false}
    {"type": "error", "id": ... | null, "code": "invalid" | "too_long" | "unavailable" | "slow_down",
     "message": "<text in the page's language>"}

A reply's ``id`` is its stored message's: a reconnect while a reply is on its way brings it in the history and
then in its live frame; the page shows it once.
``unavailable`` (database down) and ``slow_down`` mean "not taken, send it again later"; the page does that by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import BodyPartReader as aiohttp_BodyPartReader
from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import TypeAdapter
from pymongo.errors import PyMongoError

from bot.channels.base import Intake
from bot.channels.payloads import WebChatButton, WebChatFrame, WebChatMessage
from bot.channels.validation import InvalidPayload, PayloadTooLarge, parse_json, validate
from bot.core.events import WEBCHAT, EventBus
from bot.core.i18n import Texts
from bot.core.models import Attachment, GeoPoint, Inbound, Language, Reply, utcnow
from bot.core.settings import Settings
from bot.privacy import downloads
from bot.privacy.web import file_response
from bot.store import Store, StoreUnavailable, shapes
from bot.tickets.photos import MAX_BYTES as MAX_PHOTO_BYTES
from bot.tickets.photos import BadUpload, image_type, prepare_upload

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

COOKIE = "chania_chat"
COOKIE_MAX_AGE = 30 * 24 * 3600
SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
CLIENT_ID_IN_FRAME = re.compile(r'"id"\s*:\s*"([A-Za-z0-9-]{8,64})"')
LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
MAX_FRAME_BYTES = 8 * 1024
MAX_TEXT_CHARS = 2000
WS_MAX_MSG_SIZE = 64 * 1024  # larger frames close the socket (1009); below it, our own limit answers an error frame
HISTORY_LIMIT = 50
MAX_SOCKETS_PER_CHAT = 8  # open tabs of one visitor
RATE_BURST = 10  # frames per socket at once, then one every RATE_REFILL_S seconds
RATE_REFILL_S = 1.0

_TEXT_KEYS = ("title", "heading", "intro", "privacy", "privacy_link", "log_label", "input_label", "placeholder", "send",
              "use_location", "location_sent", "location_unavailable", "open_map", "image_alt", "you", "bot", "staff",
              "connecting", "connected", "offline", "pending", "error_too_long", "error_unavailable",
              "error_slow_down", "error_invalid", "switch_label", "switch_to", "noscript", "phone_label",
              "phone_send", "cut_for_length", "old_buttons", "photo_button", "photo_sent", "photo_drop",
              "error_photo_too_big", "error_photo_type")
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9-]{8,64}$")
PHOTO_URL = "/chat/photos/{token}"
WELCOME_ID = "welcome"  # the client id of the /start a first visit sends: once per chat (de-duplicated)


def page_language(query_lang: str | None, accept_language: str | None) -> tuple[Language, bool]:
    """The page's language: ``?lang=`` when the visitor chose it (the switch), else the browser's
    Accept-Language (the first of el / en by preference), else Greek. Returns (language, chosen)."""
    if query_lang in ("el", "en"):
        return query_lang, True  # type: ignore[return-value]
    best: tuple[float, int, Language] | None = None
    for i, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("el", "en"):
            continue
        q = 1.0
        if params.strip().startswith("q="):
            with contextlib.suppress(ValueError):
                q = float(params.strip()[2:])
        if q > 0 and (best is None or (q, -i) > (best[0], best[1])):
            best = (q, -i, primary)  # type: ignore[assignment]
    return (best[2] if best else "el"), False


FRAME: TypeAdapter[Any] = TypeAdapter(WebChatFrame)


def _client_id(data: str) -> str | None:
    """The client id of a refused frame, when it has a readable one: the page then knows which message failed."""
    match = CLIENT_ID_IN_FRAME.search(data[:MAX_FRAME_BYTES])
    return match.group(1) if match else None


class FrameError(ValueError):
    def __init__(self, code: str, client_id: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.client_id = client_id


def chat_id_for(session_id: str) -> str:
    """The conversation's user/chat id for a session cookie: stable, not reversible."""
    return hashlib.sha256(f"webchat:{session_id}".encode()).hexdigest()[:32]


def reply_frame(reply: Reply) -> dict[str, Any]:
    doc = reply.to_doc()
    if doc.get("document") and downloads.PATH in (doc["document"].get("url") or ""):  # the chat's own link
        doc["document"]["url"] = downloads.WEBCHAT_PATH + doc["document"]["url"].split(downloads.PATH, 1)[1]
    if reply.location is not None:
        doc["location"]["map_url"] = reply.location.map_url
    return doc


def _texts(lang: Language) -> dict[str, str]:
    t = Texts(lang)
    return {key: t(f"webchat.{key}") for key in _TEXT_KEYS}


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self) -> None:
        self.tokens = float(RATE_BURST)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.stamp) / RATE_REFILL_S)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class WebChatAdapter:
    name = "webchat"
    enabled = True

    def __init__(self, settings: Settings, intake: Intake, store: Store, bus: EventBus | None = None) -> None:
        self.settings = settings
        self.intake = intake
        self.store = store
        self.bus = bus  # replies travel through it to whichever instance holds the visitor's socket
        self._listener: asyncio.Task[None] | None = None
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}
        self._env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                                       autoescape=jinja2.select_autoescape(("html",)), undefined=jinja2.StrictUndefined)
        self._asset_version = hashlib.sha256(
            b"".join(p.read_bytes() for p in sorted(STATIC.iterdir()) if p.is_file())).hexdigest()[:12]
        public = urlsplit(settings.public_url) if settings.public_url else None
        self._public_origin = f"{public.scheme}://{public.netloc}".lower() if public else None

    # ------------------------------------------------------------------ wiring
    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/chat", self.page)
        app.router.add_get("/chat/ws", self.websocket)
        app.router.add_post("/chat/upload", self.upload)
        app.router.add_get("/chat/photos/{token}", self.photo)
        app.router.add_get(downloads.WEBCHAT_PATH + "{token}", self.download)
        app.router.add_static("/chat/static/", STATIC, append_version=False)
        app.on_shutdown.append(self._on_shutdown)  # open sockets would otherwise hold up a graceful shutdown

    async def start(self) -> None:
        """Nothing to register (the page and socket are served by our own app): listen for replies to push."""
        if self.bus is not None and self._listener is None:
            ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(ready), name="webchat-replies")
            await ready.wait()

    async def _listen(self, ready: asyncio.Event) -> None:
        assert self.bus is not None
        async with self.bus.subscribe(WEBCHAT) as queue:
            ready.set()
            while True:
                event = await queue.get()
                await self._push(event["chat_id"], event["frames"])

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                with contextlib.suppress(Exception):
                    await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def _on_shutdown(self, _app: web.Application) -> None:
        await self.close()

    @property
    def open_sockets(self) -> int:
        return sum(len(s) for s in self._sockets.values())

    # ------------------------------------------------------------------ the page
    async def page(self, request: web.Request) -> web.Response:
        lang, explicit = page_language(request.query.get("lang"), request.headers.get("Accept-Language"))
        other: Language = "el" if lang == "en" else "en"
        html = self._env.get_template("webchat.html").render(
            lang=lang, other=other, explicit=explicit, t=_texts(lang), max_text=MAX_TEXT_CHARS,
            js_url=f"/chat/static/webchat.js?v={self._asset_version}",
            css_url=f"/chat/static/webchat.css?v={self._asset_version}",
        )
        resp = web.Response(text=html, content_type="text/html", charset="utf-8")
        session = request.cookies.get(COOKIE, "")
        if not SESSION_RE.match(session):
            session = secrets.token_urlsafe(32)
        secure = request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
        resp.set_cookie(COOKIE, session, max_age=COOKIE_MAX_AGE, path="/chat", httponly=True, samesite="Lax",
                        secure=secure)  # set on every visit: the 30 days run from the last one
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Vary"] = "Accept-Language"
        resp.headers["Content-Security-Policy"] = self._csp(request)
        return resp

    def _csp(self, request: web.Request) -> str:
        host = request.host
        return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
                f"connect-src 'self' ws://{host} wss://{host}; base-uri 'none'; form-action 'self'; "
                "frame-ancestors 'self'")

    # ------------------------------------------------------------------ the socket
    def _origin_ok(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if not origin:
            return False  # every browser sends it on a WebSocket handshake
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        if parts.netloc.lower() == request.host.lower():
            return True
        return self._public_origin is not None and f"{parts.scheme}://{parts.netloc}".lower() == self._public_origin

    # ------------------------------------------------------------------ photos
    async def upload(self, request: web.Request) -> web.Response:
        """``POST /chat/upload`` (multipart: ``id``, ``lang``, ``photo``): a photo from the page. Checked here, not
        in the browser: at most 10 MB, a JPEG, PNG, GIF or WebP by its first bytes, re-encoded without EXIF
        (``bot.tickets.photos.prepare_upload``). Kept in ``webchat_photos`` and passed on as a photo attachment
        whose URL this service serves, as a Telegram photo is (the staff see it on the ticket)."""
        page_lang: Language = "en" if request.query.get("lang") == "en" else "el"
        texts = Texts(page_lang)
        session = request.cookies.get(COOKIE, "")
        if not SESSION_RE.match(session) or not self._origin_ok(request):
            return web.json_response({"error": "no chat session or cross-origin upload"}, status=403)
        chat_id = chat_id_for(session)
        fields: dict[str, str] = {}
        data = b""
        try:
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp_BodyPartReader):
                    continue
                if part.name == "photo":
                    data = await part.read_chunk(MAX_PHOTO_BYTES + 1)
                    while len(data) <= MAX_PHOTO_BYTES and (chunk := await part.read_chunk()):
                        data += chunk
                    if len(data) > MAX_PHOTO_BYTES:
                        return self._upload_error(texts, fields.get("id"), "photo_too_big", 413)
                elif part.name in ("id", "lang"):
                    fields[part.name] = (await part.text())[:64]
        except (ValueError, AssertionError, KeyError):
            return self._upload_error(texts, fields.get("id"), "invalid", 400)
        client_id = fields.get("id", "")
        if not CLIENT_ID_RE.match(client_id):
            return self._upload_error(texts, None, "invalid", 400)
        if not data or image_type(data) is None:
            return self._upload_error(texts, client_id, "photo_type", 415)
        try:
            photo = await asyncio.to_thread(prepare_upload, data)
        except BadUpload:
            return self._upload_error(texts, client_id, "photo_type", 415)
        token = secrets.token_urlsafe(24)
        try:
            await self.store.webchat_photos.insert_one({
                "_id": token, "conversation_id": f"webchat:{chat_id}", "data": photo["data"],
                "content_type": photo["content_type"], "size": photo["size"], "created_at": utcnow()})
        except PyMongoError:
            return self._upload_error(texts, client_id, "unavailable", 503)
        hint = fields.get("lang") if LANG_RE.match(fields.get("lang") or "") else None
        inbound = Inbound(channel="webchat", user_id=chat_id, chat_id=chat_id, message_id=f"{chat_id}:{client_id}",
                          attachments=(Attachment(kind="photo", url=PHOTO_URL.format(token=token),
                                                  size=photo["size"]),), language_hint=hint)
        try:
            accepted = await self.intake.accept(inbound)
        except StoreUnavailable:
            return self._upload_error(texts, client_id, "unavailable", 503)
        return web.json_response({"type": "ack", "id": client_id, "duplicate": not accepted})

    @staticmethod
    def _upload_error(texts: Texts, client_id: str | None, code: str, status: int) -> web.Response:
        return web.json_response({"type": "error", "id": client_id, "code": code,
                                  "message": texts(f"webchat.error_{code}")}, status=status)

    async def photo(self, request: web.Request) -> web.Response:
        """``GET /chat/photos/{token}``: an uploaded photo, by its unguessable token (the ticket links it)."""
        token = request.match_info["token"]
        doc = await self.store.webchat_photos.find_one({"_id": token}) if len(token) <= 64 else None
        if doc is None:
            raise web.HTTPNotFound()
        return web.Response(body=bytes(doc["data"]), content_type=doc.get("content_type") or "image/jpeg",
                            headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"})

    async def download(self, request: web.Request) -> web.Response:
        """``GET /chat/download/{token}``: this chat's data export, once, only with the chat's session cookie."""
        session = request.cookies.get(COOKIE, "")
        token = request.match_info["token"]
        found = None
        if SESSION_RE.match(session) and len(token) <= 64:
            found = await downloads.take(self.store, token, f"webchat:{chat_id_for(session)}")
        return file_response(found, "privacy.export.gone_webchat")

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        session = request.cookies.get(COOKIE, "")
        if not SESSION_RE.match(session):
            return web.json_response({"error": "no chat session: open /chat first"}, status=403)
        if not self._origin_ok(request):
            log.warning("webchat: cross-origin socket refused", extra={"origin": request.headers.get("Origin")})
            return web.json_response({"error": "cross-origin WebSocket refused"}, status=403)
        chat_id = chat_id_for(session)
        if len(self._sockets.get(chat_id, ())) >= MAX_SOCKETS_PER_CHAT:
            return web.json_response({"error": "too many open chat windows"}, status=429)
        page_lang: Language = "en" if request.query.get("lang") == "en" else "el"
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=WS_MAX_MSG_SIZE, compress=False)
        await ws.prepare(request)
        self._sockets.setdefault(chat_id, set()).add(ws)
        bucket = _Bucket()
        texts = Texts(page_lang)
        try:
            await self._send_history(ws, chat_id, texts)
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        await self._on_frame(ws, chat_id, msg.data, bucket, texts)
                    except (ConnectionError, RuntimeError):
                        raise
                    except Exception:  # a bug must not cost the visitor their socket
                        log.exception("webchat: frame failed", extra={"conversation": f"webchat:{chat_id}"})
                        await self._error(ws, texts, FrameError("invalid"))
                elif msg.type == WSMsgType.BINARY:
                    await self._error(ws, texts, FrameError("invalid"))
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            sockets = self._sockets.get(chat_id)
            if sockets is not None:
                sockets.discard(ws)
                if not sockets:
                    del self._sockets[chat_id]
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, chat_id: str, data: str, bucket: _Bucket,
                        texts: Texts) -> None:
        try:
            inbound = self.parse_frame(chat_id, data)
            if not bucket.take():
                raise FrameError("slow_down", inbound.message_id.rpartition(":")[2])
            try:
                accepted = await self.intake.accept(inbound)
            except StoreUnavailable:
                raise FrameError("unavailable", inbound.message_id.rpartition(":")[2]) from None
        except FrameError as err:
            await self._error(ws, texts, err)
            return
        await ws.send_json({"type": "ack", "id": inbound.message_id.rpartition(":")[2], "duplicate": not accepted})

    @staticmethod
    def parse_frame(chat_id: str, data: str) -> Inbound:
        """A client frame → ``Inbound``; :class:`FrameError` with a code the page understands. The frame passes
        the same gates as a webhook body (``bot.channels.validation``): size and depth before parsing, bounded
        numbers, BSON-safe strings, then the typed frame model."""
        try:
            frame = validate(FRAME, parse_json(data, max_bytes=MAX_FRAME_BYTES))
        except PayloadTooLarge:
            raise FrameError("too_long") from None
        except InvalidPayload:
            raise FrameError("invalid", _client_id(data)) from None
        hint = frame.lang if frame.lang is not None and LANG_RE.match(frame.lang) else None
        base: dict[str, Any] = {"channel": "webchat", "user_id": chat_id, "chat_id": chat_id,
                                "message_id": f"{chat_id}:{frame.id}", "language_hint": hint}
        if isinstance(frame, WebChatMessage):
            if not frame.text.strip():
                raise FrameError("invalid", frame.id)
            if len(frame.text) > MAX_TEXT_CHARS:
                raise FrameError("too_long", frame.id)
            return Inbound(text=frame.text.strip(), **base)
        if isinstance(frame, WebChatButton):
            return Inbound(button=frame.payload, button_message_id=frame.of, **base)
        return Inbound(location=GeoPoint(frame.lat, frame.lon), **base)

    async def _error(self, ws: web.WebSocketResponse, texts: Texts, err: FrameError) -> None:
        await ws.send_json({"type": "error", "id": err.client_id, "code": err.code,
                            "message": texts(f"webchat.error_{err.code}")})

    async def _send_history(self, ws: web.WebSocketResponse, chat_id: str, texts: Texts) -> None:
        """The latest messages of this chat, oldest first: replies sent while no page was open are shown here."""
        try:
            cursor = self.store.messages.find(
                {"conversation_id": f"webchat:{chat_id}"},
                {"direction": 1, "text": 1, "button": 1, "location": 1, "reply": 1, "sender": 1, "created_at": 1,
                 "attachments": 1},
            ).sort([("created_at", -1), ("seq", -1)]).limit(HISTORY_LIMIT)  # seq: same-millisecond ties
            docs = [doc async for doc in cursor]
        except PyMongoError:
            log.warning("webchat: history unavailable", extra={"conversation": f"webchat:{chat_id}"})
            await self._error(ws, texts, FrameError("unavailable"))
            return
        docs.reverse()
        labels: dict[str, str] = {}
        items: list[dict[str, Any]] = []
        for stored in docs:
            doc = shapes.message(stored)  # whatever the store holds, the page still gets its history
            if doc.get("direction") == "out" and doc.get("reply"):
                try:
                    reply = Reply.from_doc(doc["reply"])
                except (KeyError, TypeError, ValueError):
                    log.warning("webchat: unreadable stored reply", extra={"message_id": str(doc.get("_id"))})
                    continue
                labels = {b.payload: b.label for b in reply.buttons} or labels
                items.append({"direction": "out", "id": str(doc.get("_id")), "sender": doc.get("sender", "bot"),
                              "reply": reply_frame(reply)})
            elif doc.get("direction") == "in" and doc.get("text") != "/start":  # the first visit's greeting
                item: dict[str, Any] = {"direction": "in", "text": doc.get("text") or ""}
                if doc.get("button"):
                    item["text"] = labels.get(doc["button"], "")
                    item["button"] = True
                if doc.get("location"):
                    item["location"] = True
                if doc.get("attachments"):
                    item["photo"] = True
                items.append(item)
        await ws.send_json({"type": "history", "messages": items})
        if not docs:  # a first visit: the greeting and the menu, as /start on Telegram (once: a fixed message id);
            await self._welcome(chat_id, texts)  # after the history frame, so its reply cannot overtake it

    async def _welcome(self, chat_id: str, texts: Texts) -> None:
        inbound = Inbound(channel="webchat", user_id=chat_id, chat_id=chat_id, text="/start",
                          message_id=f"{chat_id}:{WELCOME_ID}", language_hint=texts.lang)
        with contextlib.suppress(StoreUnavailable):
            await self.intake.accept(inbound)

    # ------------------------------------------------------------------ outbound
    async def send(self, chat_id: str, replies: Sequence[Reply]) -> list[str]:
        """Push to every open page of this chat, on whichever instance holds it (through the event bus); with none
        open the replies wait in the store (history). The web chat has no platform message ids."""
        frames = [{"type": "reply", "id": reply.message_key, "sender": reply.sender or "bot",
                   "reply": reply_frame(reply), **({"edit": reply.edit} if reply.edit else {})} for reply in replies]
        if self.bus is None:
            await self._push(chat_id, frames)
        else:
            self.bus.publish({"chat_id": chat_id, "frames": frames}, topic=WEBCHAT)
        return []

    async def _push(self, chat_id: str, frames: list[dict[str, Any]]) -> None:
        sockets = list(self._sockets.get(chat_id, ()))
        for frame in frames:
            for ws in sockets:
                if ws.closed:
                    continue
                try:
                    await ws.send_json(frame)
                except (ConnectionError, RuntimeError):
                    log.info("webchat: socket went away while sending", extra={"conversation": f"webchat:{chat_id}"})
