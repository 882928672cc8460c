"""A fake Telegram Bot API on 127.0.0.1: answers like the real one and records every call.

Serves ``POST /bot<token>/<method>`` (JSON or form bodies). ``getUpdates`` hands out updates queued with
``queue_update`` (for the long-polling mode). ``fail_next(n)`` makes the next n sends answer HTTP 500;
``fail_next(n, status=429, retry_after=2)`` answers flood control as the Bot API does, ``status=403`` "bot was
blocked by the user". ``delay_s`` holds every send that long before recording and answering it.
``refuse_markup_edits`` makes ``editMessageReplyMarkup`` fail; an edit it accepts shows on the recorded message
(``Call.reply_markup``; ``Call.sent_markup`` is what the message was sent with).
``files[file_id] = bytes`` makes ``getFile`` know a file and serves it at ``/file/bot<token>/<file_path>``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000000001
BOT_USERNAME = "chania_city_bot"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    token: str
    at: float = field(default_factory=time.time)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # field → (file name, content)
    result: Any = None  # what the fake answered (a sent message carries its message_id)
    edited_markup: dict[str, Any] | None = None  # the inline keyboard a later editMessageReplyMarkup put on it

    @property
    def chat_id(self) -> str | None:
        chat = self.body.get("chat_id")
        return None if chat is None else str(chat)

    @property
    def sent_markup(self) -> dict[str, Any] | None:
        """The reply_markup the message was sent with."""
        markup = self.body.get("reply_markup")
        return json.loads(markup) if isinstance(markup, str) else markup

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        """The keyboard the person sees on the message now: the sent one, or the one an edit put there."""
        return self.edited_markup if self.edited_markup is not None else self.sent_markup

    @property
    def inline_labels(self) -> list[str]:
        """The labels of the message's inline buttons, row by row."""
        return [b["text"] for row in (self.reply_markup or {}).get("inline_keyboard", []) for b in row]


def file_ids_asked(api: FakeBotApi) -> list[str]:
    """The file ids the service asked ``getFile`` for, in order."""
    return [str(c.body.get("file_id")) for c in api.calls if c.method == "getFile"]


class FakeBotApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.refused: list[Call] = []  # sends answered with an error (fail_next)
        self.updates: list[dict[str, Any]] = []
        self._fail = 0
        self._fail_status = 500
        self._retry_after: int | None = None
        self.delay_s = 0.0
        self.refuse_markup_edits = False  # editMessageReplyMarkup answers 400, as for a message Telegram will not edit
        self._mid = itertools.count(1000)
        self._own: set[tuple[str, int]] = set()  # (chat, message id) of the messages the bot sent: editable
        self._changed = asyncio.Condition()
        self.files: dict[str, bytes] = {}  # file_id → content, for getFile and the file endpoint
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(r"/file/bot{token}/photos/{file_id}", self._file)
        app.router.add_post(r"/bot{token}/{method}", self._handle)
        app.router.add_get(r"/bot{token}/{method}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def reset(self) -> None:
        self.files.clear()
        self.calls.clear()
        self.refused.clear()
        self.updates.clear()
        self._fail = 0
        self.delay_s = 0.0
        self.refuse_markup_edits = False

    def fail_next(self, n: int, *, status: int = 500, retry_after: int | None = None) -> None:
        self._fail, self._fail_status, self._retry_after = n, status, retry_after

    def queue_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)

    def sent(self, chat_id: str | int | None = None, method: str | None = None) -> list[Call]:
        return [
            c for c in self.calls
            if (method is None or c.method == method) and (chat_id is None or c.chat_id == str(chat_id))
        ]

    async def wait_for(self, chat_id: str | int, count: int = 1, method: str | None = None,
                       wait_s: float = 15.0) -> list[Call]:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: len(self.sent(chat_id, method)) >= count),
                                       wait_s)
            except TimeoutError:
                raise AssertionError(
                    f"expected {count} {method or 'calls'} to chat {chat_id}, got {self.sent(chat_id, method)}"
                ) from None
        return self.sent(chat_id, method)

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["file_id"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            body = await request.json()
        else:
            body = dict(request.query) | dict(await request.post())  # a GET's parameters are in its query
        files = {k: (v.filename, v.file.read()) for k, v in body.items() if isinstance(v, web.FileField)}
        body = {k: (v if not isinstance(v, web.FileField) else "<file>") for k, v in body.items()}
        sending = method in ("sendMessage", "sendVenue", "sendPhoto", "sendLocation")
        if sending and self.delay_s:
            await asyncio.sleep(self.delay_s)
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # the sender went away (crashed) first: as if it never arrived
        if sending and self._fail > 0:
            self._fail -= 1
            self.refused.append(Call(method, body, request.match_info["token"]))
            status = self._fail_status
            answer: dict[str, Any] = {"ok": False, "error_code": status, "description": {
                429: f"Too Many Requests: retry after {self._retry_after}",
                403: "Forbidden: bot was blocked by the user"}.get(status, "Internal Server Error")}
            if status == 429:
                answer["parameters"] = {"retry_after": self._retry_after}
            return web.json_response(answer, status=status)
        edited = (str(body.get("chat_id")), int(body.get("message_id") or 0))
        if method in ("editMessageText", "editMessageReplyMarkup") and edited not in self._own:
            self.refused.append(Call(method, body, request.match_info["token"]))
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: message to edit not found"}, status=400)
        call = Call(method, body, request.match_info["token"], files=files)
        if method == "editMessageReplyMarkup":
            markup = call.sent_markup or {}
            if set(markup) != {"inline_keyboard"} or self.refuse_markup_edits:  # only inline keyboards go in
                self.refused.append(call)
                return web.json_response({"ok": False, "error_code": 400,
                                          "description": "Bad Request: inline keyboard expected"}, status=400)
            for original in self.calls:
                sent_id = original.result.get("message_id") if isinstance(original.result, dict) else None
                if (original.chat_id, sent_id) == edited:
                    original.edited_markup = markup
        self.calls.append(call)
        call.result = await self._result(method, body)
        async with self._changed:
            self._changed.notify_all()
        return web.json_response({"ok": True, "result": call.result})

    async def _result(self, method: str, body: dict[str, Any]) -> Any:
        now = int(time.time())
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Δήμος Χανίων", "username": BOT_USERNAME,
                    "can_join_groups": False, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}
        if method in ("sendMessage", "sendVenue", "sendPhoto", "sendLocation", "sendDocument"):
            msg: dict[str, Any] = {"message_id": next(self._mid), "date": now,
                                   "chat": {"id": int(body.get("chat_id", 0)), "type": "private"},
                                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "Δήμος Χανίων"}}
            self._own.add((str(body.get("chat_id")), msg["message_id"]))
            if method == "sendMessage":
                msg["text"] = body.get("text", "")
            if method == "sendDocument":
                msg["document"] = {"file_id": f"BQACAgQAAxkB{msg['message_id']}", "file_unique_id": "AgAD"}
            if method == "sendVenue":
                msg["venue"] = {"location": {"latitude": float(body["latitude"]),
                                             "longitude": float(body["longitude"])},
                                "title": body.get("title", ""), "address": body.get("address", "")}
            return msg
        if method == "getUpdates":
            offset = int(body.get("offset") or 0)
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if not pending:
                await asyncio.sleep(0.2)
            return pending
        if method == "getFile":
            file_id = str(body.get("file_id") or "")
            if file_id not in self.files:
                return None
            return {"file_id": file_id, "file_unique_id": "AgAD", "file_size": len(self.files[file_id]),
                    "file_path": f"photos/{file_id}"}
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True


class UpdateFactory:
    """Realistic Bot API updates (https://core.telegram.org/bots/api#update) for a private chat."""

    def __init__(self, start: int = 100_000) -> None:
        self._update_id = itertools.count(start)
        self._message_id = itertools.count(1)

    @staticmethod
    def user(user_id: int, language_code: str | None = "el", first_name: str = "Μαρία") -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def message(self, user_id: int, text: str | None = None, *, language_code: str | None = "el",
                **extra: Any) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": next(self._message_id),
            "from": self.user(user_id, language_code),
            "chat": {"id": user_id, "first_name": "Μαρία", "type": "private"},
            "date": int(time.time()),
        }
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        msg.update(extra)
        return {"update_id": next(self._update_id), "message": msg}

    def location(self, user_id: int, lat: float, lon: float, **kw: Any) -> dict[str, Any]:
        return self.message(user_id, location={"latitude": lat, "longitude": lon}, **kw)

    def photo(self, user_id: int, file_size: int = 84_000, caption: str | None = None, **kw: Any) -> dict[str, Any]:
        sizes = [
            {"file_id": f"AgACAgQAAxkBAAIB{n}", "file_unique_id": f"AQAD{n}", "width": w, "height": h,
             "file_size": max(1, file_size // d)}
            for n, (w, h, d) in enumerate(((90, 67, 40), (320, 240, 8), (1280, 960, 1)))
        ]
        extra: dict[str, Any] = {"photo": sizes}
        if caption:
            extra["caption"] = caption
        return self.message(user_id, **extra, **kw)

    def contact(self, user_id: int, phone: str, **kw: Any) -> dict[str, Any]:
        return self.message(user_id, contact={"phone_number": phone, "first_name": "Μαρία", "user_id": user_id},
                            **kw)

    def callback(self, user_id: int, data: str, *, language_code: str | None = "el",
                 message_id: int | None = None) -> dict[str, Any]:
        """A tap on an inline button; ``message_id`` is the bot's message that carried it (a fresh id if not given)."""
        return {
            "update_id": next(self._update_id),
            "callback_query": {
                "id": f"{user_id}{next(self._message_id)}",
                "from": self.user(user_id, language_code),
                "message": {"message_id": message_id or next(self._message_id), "date": int(time.time()),
                            "chat": {"id": user_id, "type": "private"},
                            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Δήμος Χανίων"},
                            "text": "…"},
                "chat_instance": "-4242",
                "data": data,
            },
        }
