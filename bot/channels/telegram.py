"""Telegram through python-telegram-bot 22: webhook at ``POST /webhooks/telegram`` (or long polling when
``PUBLIC_URL`` is unset), replies through the Bot API at ``TELEGRAM_API_URL``.

Only PTB's ``Bot`` (sending, typed updates) is used, not its ``Application``: our aiohttp app is the web server and
our pipeline does the per-chat ordering, as in PTB's custom-webhook examples.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Sequence
from datetime import timedelta

import aiohttp
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.channels.base import Intake, SendError
from bot.channels.payloads import TgUpdate
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.validation import InvalidPayload, PayloadTooLarge, parse_json, validate
from bot.core import language
from bot.core.i18n import Texts
from bot.core.models import Attachment, GeoPoint, Inbound, Reply
from bot.core.settings import Settings
from bot.privacy import downloads
from bot.store import Store, StoreUnavailable

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")
MAX_TEXT = 4096  # Bot API limit per message
MAX_CALLBACK_DATA = 64  # bytes
# what a person may send that the bot cannot read: answered with one sentence, the file never fetched (QA F31)
UNREADABLE = ("voice", "audio", "video_note", "video", "animation", "sticker", "document")


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


def translate(update: Update) -> Inbound | None:
    """A Telegram update as one Inbound, or None for what the bot does not handle (other update types,
    group chats, service messages)."""
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        if message is None or query.data is None:
            return None
        return Inbound(
            channel="telegram", user_id=str(query.from_user.id), chat_id=str(message.chat.id),
            message_id=f"u{update.update_id}", button=query.data, language_hint=query.from_user.language_code,
            button_message_id=str(message.message_id),
        )
    message = update.message
    if message is None or message.from_user is None or message.chat.type != "private":
        return None
    text = message.text or message.caption or ""
    location = GeoPoint(message.location.latitude, message.location.longitude) if message.location else None
    attachments: tuple[Attachment, ...] = ()
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
        attachments = (Attachment(kind="photo", file_id=largest.file_id, size=largest.file_size),)
    elif message.document and (message.document.mime_type or "").startswith("image/"):
        doc = message.document
        attachments = (Attachment(kind="photo", file_id=doc.file_id, size=doc.file_size),)
    phone = None
    if message.contact is not None and message.contact.user_id == message.from_user.id:
        phone = message.contact.phone_number  # only the sender's own number, shared by the contact button
    unreadable = None
    if not (text or location or attachments or phone):
        unreadable = next((kind for kind in UNREADABLE if getattr(message, kind, None) is not None), None)
        if unreadable is None:
            return None  # service messages (someone joined, a pinned message …)
    return Inbound(
        channel="telegram", user_id=str(message.from_user.id), chat_id=str(message.chat.id),
        message_id=f"u{update.update_id}", text=text, location=location, attachments=attachments,
        contact_phone=phone, language_hint=message.from_user.language_code, unreadable=unreadable,
    )


def _inline_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    rows, row = [], []
    for button in reply.buttons:
        if len(button.payload.encode()) > MAX_CALLBACK_DATA:
            raise SendError(f"button payload over {MAX_CALLBACK_DATA} bytes: {button.payload[:20]!r}…", permanent=True)
        row.append(InlineKeyboardButton(button.label, callback_data=button.payload))
        if len(row) == 2 or len(button.label) > 18:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return InlineKeyboardMarkup(rows)


def labels_of(reply: Reply) -> Texts:
    """The catalogue for the adapter's own labels: ``send`` gets no conversation, so they follow the language of
    the reply's text (which is the conversation's), as on Viber; Greek when the text says nothing."""
    return Texts("en" if language.detect(reply.text) == "en" else "el")


def _request_keyboard(reply: Reply) -> ReplyKeyboardMarkup | None:
    texts = labels_of(reply)
    keys = []
    if reply.request_location:
        keys.append([KeyboardButton(texts("system.share_location_button"), request_location=True)])
    if reply.request_contact:
        keys.append([KeyboardButton(texts("system.share_contact_button"), request_contact=True)])
    if not keys:
        return None
    return ReplyKeyboardMarkup(keys, resize_keyboard=True, one_time_keyboard=True)


class TelegramAdapter:
    name = "telegram"

    def __init__(self, settings: Settings, intake: Intake, http: aiohttp.ClientSession, *,
                 store: Store | None = None) -> None:
        self.settings = settings
        self.intake = intake
        self.store = store  # reads the files of Reply.document (a person's data export) to upload them
        token = settings.telegram_token.get_secret_value() if settings.telegram_token else None
        self.enabled = token is not None
        self.bot: Bot | None = None
        if token is not None:
            api = settings.telegram_api_url
            self.bot = Bot(
                token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot",
                request=AiohttpRequest(http, read_timeout=10, connect_timeout=5),
                get_updates_request=AiohttpRequest(http, read_timeout=40, connect_timeout=5),
            )
        self._poller: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[object]] = set()

    # ------------------------------------------------------------------ web
    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/webhooks/telegram", self.webhook)

    async def webhook(self, request: web.Request) -> web.Response:
        if self.bot is None:
            return _json_error(404, "the Telegram channel is not configured")
        expected = self.settings.telegram_webhook_secret
        # aiohttp keeps header bytes that are not UTF-8 as surrogates: encode them back, so they simply differ
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode("utf-8", "surrogateescape")
        if expected is None or not hmac.compare_digest(given, expected.get_secret_value().encode()):
            return _json_error(403, "wrong or missing secret token")
        body = await request.read()  # over client_max_size: aiohttp answers 413
        try:
            update = self.parse_update(body)
        except PayloadTooLarge:
            return _json_error(413, "update too large")
        except InvalidPayload as exc:
            log.info("telegram update refused", extra={"reason": str(exc)})
            return _json_error(400, f"invalid update: {exc}")
        if update is None:  # poll, my_chat_member, edited_message, future types …
            return web.json_response({"ok": True, "ignored": True})
        return await self._accept(update)

    def parse_update(self, body: bytes) -> Update | None:
        """The webhook body as a PTB ``Update`` built only from checked fields (``bot.channels.payloads``), or None
        for a well-formed update of a type the bot does not handle. Raises ``InvalidPayload``."""
        data = parse_json(body, max_bytes=self.settings.max_body_bytes)
        checked: TgUpdate = validate(TgUpdate, data)
        if checked.message is None and checked.callback_query is None:
            return None
        return Update.de_json(checked.model_dump(by_alias=True, exclude_none=True), self.bot)

    async def _accept(self, update: Update) -> web.Response:
        inbound = translate(update)
        if inbound is None:
            log.debug("telegram update ignored", extra={"update_id": update.update_id})
            return web.json_response({"ok": True, "ignored": True})
        try:
            accepted = await self.intake.accept(inbound)
        except StoreUnavailable:
            return _json_error(503, "storage unavailable, retry later")
        if accepted and update.callback_query is not None:
            self._spawn(self._answer_callback(update.callback_query.id))
        return web.json_response({"ok": True, "duplicate": not accepted})

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> None:
        if self.bot is None:
            return
        await self.bot.initialize()  # getMe: fails fast on a wrong token
        if self.settings.public_url:
            secret = self.settings.telegram_webhook_secret
            await self.bot.set_webhook(
                url=f"{self.settings.public_url}/webhooks/telegram", allowed_updates=list(ALLOWED_UPDATES),
                secret_token=secret.get_secret_value() if secret else None,
                max_connections=min(100, self.settings.max_concurrent_updates),
            )
            log.info("telegram webhook registered")
        else:
            await self.bot.delete_webhook()
            self._poller = asyncio.create_task(self._poll(), name="telegram-polling")
            log.info("telegram long polling started")

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._background:
            await asyncio.wait(self._background, timeout=5)
        if self.bot is not None:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()

    async def _poll(self) -> None:
        assert self.bot is not None
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=30, allowed_updates=ALLOWED_UPDATES)
            except TelegramError as exc:
                log.warning("telegram polling failed", extra={"error": str(exc)})
                await asyncio.sleep(3)
                continue
            for update in updates:
                while True:
                    response = await self._accept(update)
                    if response.status != 503:
                        break
                    await asyncio.sleep(2)  # store down: keep the update (offset not advanced) and retry
                offset = update.update_id + 1

    # ------------------------------------------------------------------ sending
    async def send(self, chat_id: str, replies: Sequence[Reply]) -> list[str]:
        if self.bot is None:
            raise SendError("the Telegram channel is not configured")
        ids: list[str] = []
        try:
            for reply in replies:
                ids += await self._send_one(int(chat_id), reply)
        except RetryAfter as exc:  # 429 flood control: Telegram says how long to wait
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise SendError(f"RetryAfter: {seconds:g} s", retry_after=seconds) from exc
        except (Forbidden, BadRequest) as exc:  # blocked by the person, chat not found, malformed: never succeeds
            raise SendError(f"{type(exc).__name__}: {exc}", permanent=True) from exc
        except TelegramError as exc:
            raise SendError(f"{type(exc).__name__}: {exc}") from exc
        return ids

    async def _send_one(self, chat_id: int, reply: Reply) -> list[str]:
        assert self.bot is not None
        inline = _inline_keyboard(reply)
        request = _request_keyboard(reply)
        text = reply.text[:MAX_TEXT]
        if reply.edit and text and request is None and not (reply.location or reply.image or reply.document):
            edited = await self._edit(chat_id, int(reply.edit), text, inline)
            if edited is not None:
                return [edited]
        sent = []
        if text and request is None and await self._keyboard_showing(chat_id):
            sent.append(await self._send_removing_keyboard(chat_id, text, inline))
        elif text and request is not None and inline is not None:
            # one message carries one keyboard: the buttons stay with the question, and a short second message
            # in the person's language brings the 📍 / 📞 key, which sits below the typing field
            sent.append(await self.bot.send_message(chat_id, text, reply_markup=inline, link_preview_options=None))
            hint = "system.location_below" if reply.request_location else "system.contact_below"
            sent.append(await self.bot.send_message(chat_id, labels_of(reply)(hint), reply_markup=request))
        elif text:
            sent.append(await self.bot.send_message(chat_id, text, reply_markup=request or inline,
                                                    link_preview_options=None))
        if text and request is not None:
            await self._note_keyboard(chat_id, showing=True)
        if reply.location is not None:
            pin = reply.location
            sent.append(await self.bot.send_venue(chat_id, latitude=pin.lat, longitude=pin.lon, title=pin.name[:256],
                                                  address=(pin.address or f"{pin.lat:.5f}, {pin.lon:.5f}")[:256]))
        if reply.image:
            sent.append(await self.bot.send_photo(chat_id, photo=reply.image))
        if reply.document is not None:
            document = await self._send_document(chat_id, reply)
            if document is not None:
                sent.append(document)
        return [str(m.message_id) for m in sent]

    # A 📍 / 📞 reply keyboard is one_time: hidden once used, but it stays a tap away under the typing field until
    # a message removes it. The conversation remembers that one is showing, so the next message that asks for
    # neither removes it (QA F16), whichever way the person answered (the key, a button, typed text).
    def _conversation_of(self, chat_id: int) -> str:
        return f"telegram:{chat_id}"  # private chats only (``translate``): the chat id is the user id

    async def _keyboard_showing(self, chat_id: int) -> bool:
        if self.store is None:
            return False
        doc = await self.store.conversations.find_one({"_id": self._conversation_of(chat_id)},
                                                      {"telegram_keyboard": 1})
        return bool(doc and doc.get("telegram_keyboard"))

    async def _note_keyboard(self, chat_id: int, *, showing: bool) -> None:
        if self.store is not None:
            await self.store.conversations.update_one({"_id": self._conversation_of(chat_id)},
                                                      {"$set": {"telegram_keyboard": showing}})

    async def _send_removing_keyboard(self, chat_id: int, text: str, inline: InlineKeyboardMarkup | None) -> Message:
        """The text with a ``ReplyKeyboardRemove``. A message carries one keyboard, and only inline keyboards can be
        added by an edit, so the reply's buttons are put on the same message right after it is sent."""
        assert self.bot is not None
        message = await self.bot.send_message(chat_id, text, reply_markup=ReplyKeyboardRemove(),
                                              link_preview_options=None)
        await self._note_keyboard(chat_id, showing=False)
        if inline is not None:
            try:
                await self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message.message_id,
                                                         reply_markup=inline)
            except BadRequest as exc:  # the buttons must not be lost: bring them on a message of their own
                log.info("telegram could not add the buttons, sending them anew", extra={"reason": str(exc)})
                message = await self.bot.send_message(chat_id, text, reply_markup=inline, link_preview_options=None)
        return message

    async def _edit(self, chat_id: int, message_id: int, text: str, inline: InlineKeyboardMarkup | None) -> str | None:
        """Edits the message in place; None when Telegram cannot (too old, deleted): then it is sent anew."""
        assert self.bot is not None
        try:
            await self.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=inline,
                                             link_preview_options=None)
        except BadRequest as exc:
            if "not modified" in str(exc).lower():  # a double tap: the message already shows this
                return str(message_id)
            log.info("telegram edit refused, sending anew", extra={"reason": str(exc)})
            return None
        return str(message_id)

    async def _send_document(self, chat_id: int, reply: Reply) -> Message | None:
        """Upload the file (sendDocument); its one-time link is consumed once Telegram has it."""
        assert self.bot is not None and reply.document is not None
        token = reply.document.token
        found = await downloads.peek(self.store, token) if self.store is not None and token else None
        if found is None:
            log.warning("document no longer available", extra={"chat_id": chat_id})
            return None
        message = await self.bot.send_document(chat_id, document=found.content, filename=found.name)
        await downloads.take(self.store, token)  # type: ignore[arg-type]
        return message

    async def _answer_callback(self, query_id: str) -> None:
        assert self.bot is not None
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.debug("answerCallbackQuery failed", extra={"error": str(exc)})

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._background.add(task)
        task.add_done_callback(self._background.discard)
