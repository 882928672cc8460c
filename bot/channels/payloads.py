"""Typed models of the platform payloads at the boundary: exactly the fields the adapters use (issue 10).

Field names and shapes follow the Bot API (https://core.telegram.org/bots/api#update), the Viber REST API callbacks
and our web-chat frames (``bot/channels/webchat.py``). The models are strict (see
``bot.channels.validation.Strict``); fields not listed are dropped, so what reaches python-telegram-bot, viberbot
and the store is only what was checked here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bot.channels.validation import (
    Id,
    Int64,
    LanguageTag,
    Latitude,
    Longitude,
    Pixels,
    Short,
    Size,
    Strict,
    Text,
    UnixTime,
    UnixTimeMs,
    Url,
)

# ---------------------------------------------------------------------------------------------- Telegram


class TgUser(Strict):
    id: Int64
    is_bot: bool = False
    first_name: Short = ""
    language_code: LanguageTag | None = None


class TgChat(Strict):
    id: Int64
    type: Short


class TgLocation(Strict):
    latitude: Latitude
    longitude: Longitude


class TgPhotoSize(Strict):
    file_id: Id
    file_unique_id: Id
    width: Pixels
    height: Pixels
    file_size: Size | None = None


class TgDocument(Strict):
    file_id: Id
    file_unique_id: Id
    mime_type: Short | None = None
    file_size: Size | None = None


class TgMedia(Strict):
    """A voice note, audio, video, video note, GIF or sticker: the bot reads none of them (it answers that it reads
    text, photos and places) and never fetches the file. The defaults fill what python-telegram-bot requires."""

    file_id: Id
    file_unique_id: Id
    duration: Size = 0
    width: Pixels = 0
    height: Pixels = 0
    length: Pixels = 0
    is_animated: bool = False
    is_video: bool = False
    type: Short = "regular"


class TgContact(Strict):
    phone_number: Annotated[str, Field(max_length=64)]
    first_name: Short = ""
    user_id: Int64 | None = None


class TgMessage(Strict):
    message_id: Int64
    date: UnixTime
    chat: TgChat
    from_user: TgUser | None = Field(None, alias="from")
    text: Text | None = None
    caption: Text | None = None
    location: TgLocation | None = None
    photo: Annotated[list[TgPhotoSize], Field(max_length=20)] | None = None
    document: TgDocument | None = None
    contact: TgContact | None = None
    voice: TgMedia | None = None
    audio: TgMedia | None = None
    video: TgMedia | None = None
    video_note: TgMedia | None = None
    animation: TgMedia | None = None
    sticker: TgMedia | None = None


class TgCallbackMessage(Strict):
    """The message a pressed button belongs to (or an inaccessible one: ``date`` 0)."""

    message_id: Int64
    date: UnixTime
    chat: TgChat


class TgCallbackQuery(Strict):
    id: Id
    from_user: TgUser = Field(alias="from")
    chat_instance: Short = ""
    message: TgCallbackMessage | None = None
    data: Annotated[str, Field(max_length=256)] | None = None


class TgUpdate(Strict):
    update_id: Int64
    message: TgMessage | None = None
    callback_query: TgCallbackQuery | None = None


# ---------------------------------------------------------------------------------------------- Viber


class ViberUser(Strict):
    id: Id
    name: Short | None = None
    language: LanguageTag | None = None
    country: Short | None = None
    api_version: Annotated[int, Field(ge=0, le=1000)] | None = None


class ViberLocation(Strict):
    lat: Latitude
    lon: Longitude
    address: Text | None = None


class ViberContact(Strict):
    name: Short | None = None
    phone_number: Annotated[str, Field(max_length=64)] | None = None


class ViberMessage(Strict):
    type: Short
    text: Text | None = None
    media: Url | None = None
    thumbnail: Url | None = None
    file_name: Short | None = None
    size: Size | None = None
    location: ViberLocation | None = None
    contact: ViberContact | None = None
    sticker_id: Int64 | None = None
    tracking_data: Text | None = None


class ViberEvent(Strict):
    event: Short | None = None  # none, or one viberbot does not know: answered 200 and ignored
    timestamp: UnixTimeMs
    message_token: Int64 | None = None
    chat_hostname: Short | None = None
    sender: ViberUser | None = None
    message: ViberMessage | None = None
    user: ViberUser | None = None
    user_id: Id | None = None
    desc: Text | None = None
    type: Short | None = None
    context: Text | None = None
    subscribed: bool | None = None
    silent: bool | None = None


# ---------------------------------------------------------------------------------------------- web chat

ClientId = Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{8,64}$")]


class WebChatMessage(Strict):
    type: Literal["message"]
    id: ClientId
    text: str  # its length is checked by the adapter (``too_long`` rather than ``invalid``)
    lang: str | None = None


class WebChatButton(Strict):
    type: Literal["button"]
    id: ClientId
    payload: Annotated[str, Field(min_length=1, max_length=256)]
    of: Annotated[str, Field(pattern=r"^[A-Za-z0-9:_.=+/-]{1,200}$")] | None = None  # the reply the button was on
    lang: str | None = None


class WebChatLocation(Strict):
    type: Literal["location"]
    id: ClientId
    lat: Latitude
    lon: Longitude
    lang: str | None = None


WebChatFrame = Annotated[WebChatMessage | WebChatButton | WebChatLocation, Field(discriminator="type")]
