"""Viber adapter: ``POST /webhooks/viber`` in, ``{VIBER_API_URL}/send_message`` out (``broadcast_message`` for
area alerts: one call for up to 300 subscribers, see :meth:`ViberAdapter.broadcast`).

From viberbot we use what is good (design.md section 5): request parsing (``create_request``) and the message classes
(``TextMessage``, ``LocationMessage``, ``PictureMessage`` and their ``to_dict()``). We do not use its sender: it is
blocking, has no timeout and puts the token in the body. Here every call goes through the app's shared
``aiohttp.ClientSession`` with a per-request ``ClientTimeout`` and the token in the ``X-Viber-Auth-Token`` header.
The signature check is viberbot's HMAC-SHA256 over the raw body, compared in constant time (viberbot uses ``==``).

Button presses. A ``Reply`` button becomes a keyboard button with ``ActionType: reply`` and
``ActionBody: "btn:<payload>"`` (``Silent``, so the payload is not shown in the chat). Viber sends a pressed button
back as a plain text message whose text is the ActionBody; a text starting with ``btn:`` is mapped back to
``Inbound.button`` and anything else is typed text. Nobody types ``btn:menu:report`` by accident, and typing it on
purpose only does what pressing the button does (handlers check payloads anyway).

Language of our own labels ("send location"): ``send`` gets no conversation, so the label follows the language of
the reply text it comes with (Greek letters → Greek), which is the conversation's language.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp import web
from pymongo.errors import PyMongoError
from viberbot.api.messages import FileMessage, LocationMessage, PictureMessage, TextMessage
from viberbot.api.messages.data_types.location import Location
from viberbot.api.messages.message import Message
from viberbot.api.viber_requests import (
    ViberConversationStartedRequest,
    ViberDeliveredRequest,
    ViberFailedRequest,
    ViberMessageRequest,
    ViberSeenRequest,
    ViberSubscribedRequest,
    ViberUnsubscribedRequest,
    create_request,
)

from bot.channels.base import BroadcastResult, Intake, SendError
from bot.channels.payloads import ViberEvent
from bot.channels.validation import InvalidPayload, parse_json, validate
from bot.core import language
from bot.core.i18n import Texts
from bot.core.models import Attachment, GeoPoint, Inbound, Reply
from bot.core.settings import Settings
from bot.store import Store, StoreUnavailable

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/viber"
SIGNATURE_HEADER = "X-Viber-Content-Signature"
AUTH_HEADER = "X-Viber-Auth-Token"
BUTTON_PREFIX = "btn:"
# Viber always sends "message" and "webhook"; these are the optional callbacks we subscribe to.
# Viber REST API status codes after which a retry cannot succeed: badData, missingData, receiverNotRegistered,
# receiverNotSubscribed, receiverNoSuitableDevice, apiVersionNotSupported, incompatibleWithVersion. Others
# (12 tooManyRequests, account or webhook problems the municipality can fix) are retried with backoff.
PERMANENT_STATUSES = frozenset({3, 4, 5, 6, 11, 13, 14})
# the REST API's status codes by name (https://creators.viber.com/docs/bots-api/errors): our error texts use the
# names, so the alerts report can tell "the person left" from other failures whatever status_message says
STATUS_NAMES = {
    1: "invalidUrl", 2: "invalidAuthToken", 3: "badData", 4: "missingData", 5: "receiverNotRegistered",
    6: "receiverNotSubscribed", 7: "publicAccountBlocked", 8: "publicAccountNotFound", 9: "publicAccountSuspended",
    10: "webhookNotSet", 11: "receiverNoSuitableDevice", 12: "tooManyRequests", 13: "apiVersionNotSupported",
    14: "incompatibleWithVersion", 15: "publicAccountNotAuthorized", 16: "inChatReplyMessageNotAllowed",
    17: "publicAccountIsNotInline", 18: "noPublicChat", 19: "cannotSendBroadcast", 20: "broadcastNotAllowed",
    21: "unsupportedCountry", 22: "paymentUnsupported", 23: "freeMessagesExceeded", 24: "noBalance"}
# broadcast_message: receivers in its failed_list with these statuses are gone (not a Viber user any more, left the
# chat, no device for bots); any other receiver's failure is tried once more on its own with send_message
RECEIVER_GONE_STATUSES = frozenset({5, 6, 11})
# a broadcast call refused as a whole for these reasons cannot succeed as a broadcast: the outbox sends the batch's
# messages one by one instead (the account may not be allowed to broadcast; the body may be too large)
BROADCAST_REFUSED_STATUSES = PERMANENT_STATUSES | {19, 20}
BROADCAST_SIZE = 300  # receivers per broadcast_message call (the documented maximum)
BROADCAST_MAX_BYTES = 30_000  # the documented maximum JSON size of one broadcast_message request
EVENT_TYPES = ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"]
ACK_ONLY_EVENTS = frozenset({"delivered", "seen", "failed", "webhook"})
PICKER_MIN_API_VERSION = 3  # location-picker and share-phone buttons


def signature(token: str, body: bytes) -> str:
    """Viber's ``X-Viber-Content-Signature``: hex HMAC-SHA256 of the raw body keyed with the auth token."""
    return hmac.new(token.encode("ascii"), body, hashlib.sha256).hexdigest()


def _greek(text: str) -> bool:
    return language.detect(text) == "el"


class ViberAdapter:
    name = "viber"
    broadcast_size = BROADCAST_SIZE

    def __init__(self, settings: Settings, intake: Intake, http: aiohttp.ClientSession, *,
                 store: Store | None = None, timeout_s: float = 10.0) -> None:
        self.settings = settings
        self.intake = intake
        self.http = http
        self.store = store  # for the subscribed/unsubscribed flag on the conversation; None: not recorded
        self.api_url = settings.viber_api_url
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._token = settings.viber_token.get_secret_value() if settings.viber_token else ""
        self.enabled = bool(self._token)  # no VIBER_TOKEN: the webhook answers 404 and nothing is sent

    # ------------------------------------------------------------------ wiring
    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(WEBHOOK_PATH, self.webhook)

    async def start(self) -> None:
        if not (self.enabled and self.settings.public_url):
            return
        url = f"{self.settings.public_url}{WEBHOOK_PATH}"
        try:
            # send_name/send_photo false: we need neither the user's name nor their photo.
            answer = await self._call("set_webhook", {"url": url, "event_types": EVENT_TYPES,
                                                      "send_name": False, "send_photo": False})
        except SendError as exc:
            # Not fatal: Viber keeps the previous registration; the operator sees this in the log.
            log.error("viber set_webhook failed", extra={"error": str(exc)})
            return
        log.info("viber webhook set", extra={"url": url, "event_types": answer.get("event_types")})

    async def close(self) -> None:
        """Nothing of our own to close: the ClientSession belongs to the app."""

    # ------------------------------------------------------------------ inbound
    async def webhook(self, request: web.Request) -> web.StreamResponse:
        if not self.enabled:
            return web.json_response({"error": "the Viber channel is not configured"}, status=404)
        limit = self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
        body = await request.read()  # the app's client_max_size also applies
        if len(body) > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(body))
        sig = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(sig.encode("ascii", "replace"), signature(self._token, body).encode("ascii")):
            log.warning("viber webhook: bad signature", extra={"remote": request.remote})
            return web.json_response({"error": "bad signature"}, status=403)
        try:
            checked: ViberEvent = validate(ViberEvent, parse_json(body, max_bytes=limit))
        except InvalidPayload as exc:
            log.info("viber callback refused", extra={"reason": str(exc)})
            return web.json_response({"error": f"invalid callback: {exc}"}, status=400)
        if abs(time.time() - checked.timestamp / 1000) > self.settings.viber_replay_window_s:
            log.warning("viber webhook: timestamp outside the replay window", extra={"remote": request.remote})
            return web.json_response({"error": "timestamp outside the replay window"}, status=403)
        data = checked.model_dump(exclude_none=True)  # only checked fields reach viberbot and the store
        event = data.get("event")
        try:
            parsed = create_request(data)
        except KeyError as exc:
            if event in ACK_ONLY_EVENTS:  # e.g. a "failed" callback without "desc": viberbot raises KeyError('desc')
                log.info("viber callback", extra={"event": event, "token": str(data.get("message_token")),
                                                  "missing": str(exc)})
                return web.json_response({})
            return web.json_response({"error": f"missing field {exc}"}, status=400)
        except Exception as exc:  # viberbot raises a bare Exception for an unknown event or message type
            if event == "message":
                log.info("viber message of an unsupported kind", extra={"error": str(exc)})
                return await self._unsupported_message(data)
            log.info("viber callback ignored", extra={"event": str(event)[:40]})
            return web.json_response({})

        try:
            if isinstance(parsed, ViberMessageRequest):
                return await self._on_message(parsed, data)
            if isinstance(parsed, ViberConversationStartedRequest):
                return await self._on_conversation_started(parsed)
            if isinstance(parsed, ViberSubscribedRequest):
                await self._set_unsubscribed(parsed.user.id, False)
            elif isinstance(parsed, ViberUnsubscribedRequest):
                await self._set_unsubscribed(parsed.user_id, True)
            elif isinstance(parsed, (ViberDeliveredRequest, ViberSeenRequest, ViberFailedRequest)):
                extra = {"event": event, "token": str(parsed.message_token)}
                if isinstance(parsed, ViberFailedRequest):
                    extra["desc"] = str(parsed.desc)[:200]
                    log.warning("viber delivery failed", extra=extra)
                else:
                    log.debug("viber callback", extra=extra)
        except StoreUnavailable:
            return web.json_response({"error": "store unavailable"}, status=503)
        return web.json_response({})

    async def _on_message(self, req: ViberMessageRequest, data: dict[str, Any]) -> web.Response:
        try:
            inbound = self.to_inbound(req, data["message"])
        except (TypeError, ValueError, KeyError) as exc:
            return web.json_response({"error": f"bad message: {exc}"}, status=400)
        return await self._accept(inbound)

    async def _accept(self, inbound: Inbound) -> web.Response:
        try:
            accepted = await self.intake.accept(inbound)
            if accepted:
                await self._resubscribe(inbound.user_id)
        except StoreUnavailable:
            log.warning("viber message refused: store unavailable", extra={"message_id": inbound.message_id})
            return web.json_response({"error": "store unavailable"}, status=503)
        log.info("viber message", extra={"conversation": f"viber:{inbound.user_id}", "message_id": inbound.message_id,
                                         "duplicate": not accepted})
        return web.json_response({})

    async def _unsupported_message(self, data: dict[str, Any]) -> web.Response:
        """A message kind viberbot cannot parse (a newer type): pass it on without content, the bot shows help."""
        sender = data.get("sender")
        if not isinstance(sender, dict) or not sender.get("id") or "message_token" not in data:
            return web.json_response({"error": "bad message"}, status=400)
        uid = str(sender["id"])
        return await self._accept(Inbound(channel="viber", user_id=uid, chat_id=uid,
                                          message_id=str(data["message_token"]),
                                          language_hint=sender.get("language")))

    @staticmethod
    def to_inbound(req: ViberMessageRequest, raw: dict[str, Any]) -> Inbound:
        """One Viber message callback → ``Inbound`` (``raw`` is the callback's ``message`` object)."""
        uid = req.sender.id
        if not uid or req.message_token is None:
            raise ValueError("sender.id and message_token are required")
        kind = raw.get("type")
        text = ""
        button = None
        location = None
        attachments: tuple[Attachment, ...] = ()
        phone = None
        if kind == "text":
            text = str(raw.get("text") or "")
            if text.startswith(BUTTON_PREFIX):
                button, text = text[len(BUTTON_PREFIX):], ""
        elif kind == "location":
            loc = raw.get("location") or {}
            lat, lon = float(loc["lat"]), float(loc["lon"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError("location out of range")
            location = GeoPoint(lat, lon)
        elif kind in ("picture", "video", "file"):
            size = raw.get("size")
            attachments = (Attachment(kind="photo" if kind == "picture" else kind, url=raw.get("media"),
                                      size=int(size) if isinstance(size, int | float) else None),)
            text = str(raw.get("text") or "") if kind == "picture" else ""  # a picture may carry a caption
        elif kind == "contact":
            phone = (raw.get("contact") or {}).get("phone_number") or None
        elif kind == "url":
            text = str(raw.get("media") or "")
        # sticker and anything else: an empty message (the conversation handler shows the menu)
        return Inbound(channel="viber", user_id=str(uid), chat_id=str(uid), message_id=str(req.message_token),
                       text=text, location=location, attachments=attachments, button=button,
                       language_hint=req.sender.language, contact_phone=phone)

    async def _on_conversation_started(self, req: ViberConversationStartedRequest) -> web.Response:
        """Viber shows the JSON of a message in this response as the welcome; nothing is stored.

        Idempotent: Viber sends it again each time the person opens the chat screen (and on a retry); someone
        who has already written to the bot is not welcomed again (an empty answer shows nothing)."""
        if await self._known_user(req.user.id if req.user else None):
            log.info("viber conversation started again", extra={"conversation": f"viber:{req.user.id}"})
            return web.json_response({})
        lang = language.from_hint(req.user.language if req.user else None)
        texts = Texts(lang)
        welcome = f"{texts('system.welcome')}\n\n{texts('channels.viber_start_hint')}"
        body = TextMessage(text=welcome).to_dict() | {"sender": self._sender()}
        log.info("viber conversation started", extra={"language": lang})
        return web.json_response(body)

    async def _known_user(self, user_id: str | None) -> bool:
        if self.store is None or not user_id:
            return False
        try:
            return await self.store.conversations.find_one({"_id": f"viber:{user_id}"}, {"_id": 1}) is not None
        except PyMongoError:
            return False  # the welcome again is better than no answer

    async def _set_unsubscribed(self, user_id: str | None, value: bool) -> None:
        """Record (un)subscription on an existing conversation; a user we never talked to leaves no trace."""
        if self.store is None or not user_id:
            return
        try:
            await self.store.conversations.update_one({"_id": f"viber:{user_id}"}, {"$set": {"unsubscribed": value}})
        except PyMongoError as exc:
            raise StoreUnavailable(str(exc)) from exc
        log.info("viber subscription", extra={"conversation": f"viber:{user_id}", "unsubscribed": value})

    async def _resubscribe(self, user_id: str) -> None:
        """A user who writes to the bot is subscribed again (matches nothing unless the flag is set)."""
        if self.store is None:
            return
        try:
            await self.store.conversations.update_one({"_id": f"viber:{user_id}", "unsubscribed": True},
                                                      {"$set": {"unsubscribed": False}})
        except PyMongoError as exc:  # the message is stored already: not worth a retry from Viber
            log.warning("viber resubscribe not recorded", extra={"error": str(exc)})

    # ------------------------------------------------------------------ outbound
    async def send(self, chat_id: str, replies: Sequence[Reply]) -> list[str]:
        if not self.enabled:
            raise SendError("the Viber channel is not configured")
        if await self._is_unsubscribed(chat_id):
            raise SendError("the Viber user has unsubscribed", permanent=True)
        tokens: list[str] = []
        for reply in replies:
            for message in self.render(reply):
                payload = message.to_dict() | {"receiver": chat_id, "sender": self._sender()}
                answer = await self._call("send_message", payload)
                if answer.get("message_token") is not None:
                    tokens.append(str(answer["message_token"]))
        return tokens

    async def broadcast(self, chat_ids: Sequence[str], reply: Reply) -> BroadcastResult:
        """One reply to up to 300 subscribers with ``broadcast_message`` (the same parameters as ``send_message``,
        ``broadcast_list`` instead of ``receiver``). Its answer names in ``failed_list`` each receiver that did not
        get it, with a status: 5, 6 and 11 are permanent (the person is gone), the others worth a retry alone.
        People whose conversation says they unsubscribed are not sent to. Raises ``SendError`` when the call as a
        whole failed (``permanent`` when broadcasting cannot work: not allowed for the account, a bad body)."""
        if not self.enabled:
            raise SendError("the Viber channel is not configured")
        if len(chat_ids) > self.broadcast_size:
            raise SendError(f"viber broadcast_message: {len(chat_ids)} receivers, at most {self.broadcast_size}",
                            permanent=True)
        result = BroadcastResult()
        for chat_id in await self._unsubscribed_among(chat_ids):
            result.failed[chat_id] = SendError("the Viber user has unsubscribed", permanent=True)
        for message in self.render(reply):
            receivers = [c for c in chat_ids if c not in result.failed]
            if not receivers:
                break
            payload = message.to_dict() | {"broadcast_list": receivers, "sender": self._sender()}
            if len(json.dumps(payload, ensure_ascii=False).encode("utf-8")) > BROADCAST_MAX_BYTES:
                raise SendError("viber broadcast_message: the request is larger than 30 kB", permanent=True)
            answer = await self._call("broadcast_message", payload, permanent=BROADCAST_REFUSED_STATUSES)
            if answer.get("message_token") is not None:
                result.platform_message_ids.append(str(answer["message_token"]))
            for failure in answer.get("failed_list") or []:
                if not isinstance(failure, dict) or str(failure.get("receiver")) not in receivers:
                    continue
                status = failure.get("status")
                result.failed[str(failure["receiver"])] = SendError(
                    f"viber broadcast_message: status {status} ({STATUS_NAMES.get(status, 'failure')}: "
                    f"{str(failure.get('status_message') or '')[:80]})",
                    permanent=status in RECEIVER_GONE_STATUSES)
        return result

    async def _unsubscribed_among(self, chat_ids: Sequence[str]) -> list[str]:
        if self.store is None:
            return []
        try:
            cursor = self.store.conversations.find(
                {"_id": {"$in": [f"viber:{c}" for c in chat_ids]}, "unsubscribed": True}, {"_id": 1})
            return [d["_id"].removeprefix("viber:") async for d in cursor]
        except PyMongoError as exc:
            raise SendError(f"store unavailable: {exc}") from exc

    async def _is_unsubscribed(self, chat_id: str) -> bool:
        if self.store is None:
            return False
        try:
            doc = await self.store.conversations.find_one({"_id": f"viber:{chat_id}"}, {"unsubscribed": 1})
        except PyMongoError as exc:
            raise SendError(f"store unavailable: {exc}") from exc
        return bool(doc and doc.get("unsubscribed"))

    def render(self, reply: Reply) -> list[Message]:
        """One ``Reply`` → Viber messages in order: text (with the map link), location pin, picture, file.

        A Viber keyboard stays only while its message is the last one, so it goes on the last message.
        """
        lang = "el" if _greek(reply.text) else "en"
        texts = Texts(lang)
        text = reply.text
        if reply.location is not None:
            pin = reply.location
            place = f"{pin.name}, {pin.address}" if pin.address else pin.name
            text = "\n\n".join(p for p in (text, texts("channels.map_link", place=place, url=pin.map_url)) if p)
        keyboard, min_api = self.keyboard(reply, texts)
        parts: list[dict[str, Any]] = []
        if text:
            parts.append({"cls": TextMessage, "kw": {"text": text}})
        if reply.location is not None:
            parts.append({"cls": LocationMessage, "kw": {"location": Location(reply.location.lat,
                                                                                reply.location.lon)}})
        if reply.image:
            parts.append({"cls": PictureMessage, "kw": {"media": reply.image, "text": ""}})
        if reply.document is not None:  # Viber downloads the file from its one-time link on this service
            doc = reply.document
            parts.append({"cls": FileMessage, "kw": {"media": f"{self.settings.public_url or ''}{doc.url}",
                                                     "size": doc.size, "file_name": doc.name}})
        if not parts and keyboard is not None:  # buttons with no text: Viber needs a message to carry them
            parts.append({"cls": TextMessage, "kw": {"text": "…"}})
        messages: list[Message] = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            kw = dict(part["kw"])
            if last and keyboard is not None:
                kw["keyboard"] = keyboard
                kw["min_api_version"] = min_api
            messages.append(part["cls"](**kw))
        return messages

    @staticmethod
    def keyboard(reply: Reply, texts: Texts) -> tuple[dict[str, Any] | None, int | None]:
        """Viber keyboard for a reply's buttons and location/phone requests, and the min_api_version it needs."""
        buttons: list[dict[str, Any]] = []
        min_api = None
        for b in reply.buttons:
            buttons.append({"Columns": 6 if len(b.label) > 16 else 3, "Rows": 1, "ActionType": "reply",
                            "ActionBody": BUTTON_PREFIX + b.payload, "Text": html.escape(b.label, quote=False),
                            "Silent": True, "TextSize": "regular"})
        if reply.request_location:
            buttons.append({"Columns": 6, "Rows": 1, "ActionType": "location-picker", "ActionBody": "location",
                            "Text": html.escape(texts("channels.viber_share_location"), quote=False)})
            min_api = PICKER_MIN_API_VERSION
        if reply.request_contact:
            buttons.append({"Columns": 6, "Rows": 1, "ActionType": "share-phone", "ActionBody": "phone",
                            "Text": html.escape(texts("channels.viber_share_phone"), quote=False)})
            min_api = PICKER_MIN_API_VERSION
        if not buttons:
            return None, None
        return {"Type": "keyboard", "DefaultHeight": False, "Buttons": buttons}, min_api

    def _sender(self) -> dict[str, str]:
        sender = {"name": self.settings.viber_bot_name[:28]}  # Viber's limit is 28 characters
        if self.settings.viber_avatar_url:
            sender["avatar"] = self.settings.viber_avatar_url
        return sender

    async def _call(self, method: str, payload: dict[str, Any], *,
                    permanent: frozenset[int] = PERMANENT_STATUSES) -> dict[str, Any]:
        """POST one Viber API method; the token travels only in the header. Raises SendError (``permanent`` for
        the statuses given)."""
        url = f"{self.api_url}/{method}"
        try:
            async with self.http.post(url, json=payload, headers={AUTH_HEADER: self._token},
                                      timeout=self.timeout) as resp:
                if resp.status != 200:
                    wait = resp.headers.get("Retry-After", "")
                    raise SendError(f"viber {method}: HTTP {resp.status}",
                                    retry_after=float(wait) if wait.isdigit() else None)
                answer = await resp.json(content_type=None)
        except TimeoutError as exc:
            raise SendError(f"viber {method}: timed out") from exc
        except (aiohttp.ClientError, ValueError) as exc:
            raise SendError(f"viber {method}: {type(exc).__name__}") from exc
        if not isinstance(answer, dict) or answer.get("status") != 0:
            status = answer.get("status") if isinstance(answer, dict) else None
            message = answer.get("status_message") if isinstance(answer, dict) else None
            raise SendError(f"viber {method}: status {status} ({message})", permanent=status in permanent)
        return answer
