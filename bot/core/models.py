"""The values that pass between adapters, pipeline and handlers (design.md section 2).

Adapters turn platform payloads into :class:`Inbound`; handlers return :class:`Reply` values;
adapters render replies for their platform. Nothing here knows about any platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Channel = Literal["telegram", "viber", "webchat", "assisted"]
Language = Literal["el", "en"]
LANGUAGES: tuple[Language, ...] = ("el", "en")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime (BSON datetimes are UTC; a client without tz_aware gives them naive)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class GeoPoint:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo (or other file) the person sent: a platform file id or a URL, and its size in bytes if known."""

    kind: str = "photo"
    file_id: str | None = None
    url: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """One platform message or button press."""

    channel: Channel
    user_id: str
    chat_id: str
    message_id: str
    text: str = ""
    location: GeoPoint | None = None
    attachments: tuple[Attachment, ...] = ()
    button: str | None = None
    language_hint: str | None = None
    contact_phone: str | None = None
    received_at: datetime = field(default_factory=utcnow)
    button_message_id: str | None = None  # the platform's id of the message whose button was pressed
    unreadable: str | None = None  # "voice", "sticker" …: a message the bot cannot read (only its kind is kept)

    @property
    def command(self) -> str | None:
        """`/start`, `/help`, `/cancel`, `/language` … (lower case, without a `@botname` suffix)."""
        if self.text.startswith("/"):
            return self.text.split()[0].split("@")[0].lower()
        return None

    def to_doc(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "text": self.text,
            "location": {"lat": self.location.lat, "lon": self.location.lon} if self.location else None,
            "attachments": [
                {"kind": a.kind, "file_id": a.file_id, "url": a.url, "size": a.size} for a in self.attachments
            ],
            "button": self.button,
            "language_hint": self.language_hint,
            "contact_phone": self.contact_phone,
            "received_at": self.received_at,
            "button_message_id": self.button_message_id,
            "unreadable": self.unreadable,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Inbound:
        loc = doc.get("location")
        return cls(
            channel=doc["channel"],
            user_id=doc["user_id"],
            chat_id=doc["chat_id"],
            message_id=doc["message_id"],
            text=doc.get("text") or "",
            location=GeoPoint(loc["lat"], loc["lon"]) if loc else None,
            attachments=tuple(Attachment(**a) for a in doc.get("attachments") or ()),
            button=doc.get("button"),
            language_hint=doc.get("language_hint"),
            contact_phone=doc.get("contact_phone"),
            received_at=as_utc(doc["received_at"]),
            button_message_id=doc.get("button_message_id"),
            unreadable=doc.get("unreadable"),
        )


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Pin:
    """A map pin: Telegram venue, Viber location, web-chat map link."""

    name: str
    lat: float
    lon: float
    address: str = ""

    @property
    def map_url(self) -> str:
        return f"https://www.openstreetmap.org/?mlat={self.lat:.5f}&mlon={self.lon:.5f}#map=16/{self.lat:.5f}/{self.lon:.5f}"


@dataclass(frozen=True, slots=True)
class Document:
    """A file for the person (their data export): Telegram uploads it, Viber sends a file message with ``url``,
    the web chat shows a download link. ``url`` is this service's path (``/privacy/download/…``); ``token`` names
    the stored file for adapters that upload it (bot/privacy/downloads.py)."""

    name: str
    url: str
    size: int
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    location: Pin | None = None
    image: str | None = None
    request_location: bool = False
    request_contact: bool = False
    document: Document | None = None
    # Replace the platform's message with this id (the one whose button was pressed) instead of sending a new one:
    # a picker that changes with each tap stays one message. Telegram edits it; channels that cannot edit send anew.
    edit: str | None = None
    # The stored message's id (the outbox entry's, the transcript's ``_id``) and who sends it ("bot", "staff:maria",
    # "alerts"), set by the outbox when it sends and never stored in the reply: the web chat tells by the key a reply
    # it already showed from the history, and labels a staff member's reply as staff's.
    message_key: str | None = None
    sender: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [{"label": b.label, "payload": b.payload} for b in self.buttons],
            "location": (
                {"name": self.location.name, "lat": self.location.lat, "lon": self.location.lon,
                 "address": self.location.address}
                if self.location else None
            ),
            "image": self.image,
            "request_location": self.request_location,
            "request_contact": self.request_contact,
            "document": (
                {"name": self.document.name, "url": self.document.url, "size": self.document.size,
                 "token": self.document.token}
                if self.document else None
            ),
            "edit": self.edit,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Reply:
        loc = doc.get("location")
        document = doc.get("document")
        return cls(
            text=doc.get("text", ""),
            buttons=tuple(Button(b["label"], b["payload"]) for b in doc.get("buttons") or ()),
            location=Pin(loc["name"], loc["lat"], loc["lon"], loc.get("address", "")) if loc else None,
            image=doc.get("image"),
            request_location=bool(doc.get("request_location")),
            request_contact=bool(doc.get("request_contact")),
            document=Document(document["name"], document["url"], int(document.get("size") or 0),
                              document.get("token")) if document else None,
            edit=doc.get("edit"),
        )


@dataclass(frozen=True, slots=True)
class Entity:
    entity: str
    value: str
    start: int | None = None
    end: int | None = None
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class NluResult:
    """The Rasa `/model/parse` answer, kept whole in `raw`; `ok` is False when NLU was unreachable."""

    intent: str | None
    confidence: float
    entities: tuple[Entity, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    ok: bool = True

    @classmethod
    def from_rasa(cls, data: dict[str, Any]) -> NluResult:
        intent = data.get("intent") or {}
        ents = tuple(
            Entity(
                entity=e.get("entity", ""),
                value=str(e.get("value", "")),
                start=e.get("start"),
                end=e.get("end"),
                confidence=e.get("confidence_entity", e.get("confidence")),
            )
            for e in data.get("entities") or ()
        )
        return cls(intent=intent.get("name"), confidence=float(intent.get("confidence") or 0.0), entities=ents,
                   raw=data)

    @classmethod
    def unavailable(cls, reason: str) -> NluResult:
        return cls(intent=None, confidence=0.0, raw={"error": reason}, ok=False)

    def entity(self, name: str) -> str | None:
        for e in self.entities:
            if e.entity == name:
                return e.value
        return None
