"""What the pipeline gives a handler and what a handler gives back.

Routing (``bot/pipeline.py``), in this order:

1. a button payload ``"<prefix>:..."`` goes to the handler whose ``button_prefix`` is ``<prefix>``;
2. a command listed in a handler's optional ``commands`` (``/alerts``), or a whole message equal to one of its
   optional ``phrases`` (normalised: "ειδοποιήσεις" = "eidopoiiseis"), or a message its optional
   ``claims(text)`` recognises ("θέλω να διαγράψετε τα στοιχεία μου", even mid-report), goes to that handler's
   ``handle``; any other command (``/start``, ``/help``, ``/cancel``, ``/language``) goes to the conversation handler;
3. a running flow (``conversation.flow.name == handler.name``) goes to that handler's ``continue_flow``;
   when it returns ``None`` the message was not an answer to the flow (a tourist question, "help"): it is routed
   by intent as in 4., and the flow handler's ``resume_prompt`` replies are appended so the flow is offered again;
4. otherwise by NLU intent to the handler listing it in ``intents`` (low confidence is the handler's call:
   ``turn.low_confidence``); no intent, or NLU down, goes to the conversation handler's menu.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.i18n import Texts
from bot.core.models import GeoPoint, Inbound, Language, NluResult, Reply

if TYPE_CHECKING:
    from bot.core.services import Services


@dataclass(slots=True)
class FlowState:
    """A running multi-step flow: the owning handler's name and its slots (plain BSON-able values)."""

    name: str
    step: str
    slots: dict[str, Any] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "step": self.step, "slots": self.slots}

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> FlowState | None:
        if not doc:
            return None
        return cls(name=doc["name"], step=doc["step"], slots=dict(doc.get("slots") or {}))


@dataclass(slots=True)
class Conversation:
    """One per (channel, user). ``id`` is ``"<channel>:<user_id>"``."""

    id: str
    channel: str
    user_id: str
    chat_id: str
    language: Language
    language_locked: bool = False  # set by /language: stop following the language of each message
    flow: FlowState | None = None
    paused: bool = False  # staff took over: the bot does not answer
    last_location: GeoPoint | None = None
    last_location_at: datetime | None = None
    is_new: bool = False  # created by this message: the first reply carries the privacy notice
    # run by the pipeline after the turn's replies are delivered (erasure sweeps what the turn stored)
    after_turn: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()
"""``Outcome.flow = KEEP`` leaves the conversation's flow as it is; ``None`` ends it."""


@dataclass(slots=True)
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    flow: FlowState | Any | None = KEEP
    answered_prompt: bool = False  # the running flow took the text as the answer to its question (NLU unused)


@dataclass(slots=True)
class Turn:
    inbound: Inbound
    nlu: NluResult
    conversation: Conversation
    texts: Texts
    services: Services

    @property
    def lang(self) -> Language:
        return self.texts.lang

    @property
    def low_confidence(self) -> bool:
        return (not self.nlu.ok) or self.nlu.confidence < self.services.settings.nlu_confidence_threshold


def in_place(turn: Turn, reply: Reply) -> Reply:
    """``reply`` replaces the message whose button was pressed, on channels that can edit (a picker whose ticks
    change with each tap stays one message); a typed answer gets a new message as usual."""
    button_message = turn.inbound.button_message_id
    return replace(reply, edit=button_message) if button_message else reply


class Handler(Protocol):
    name: str
    intents: frozenset[str]
    button_prefix: str

    async def handle(self, turn: Turn) -> Outcome:
        """Answer a message routed here by intent or by a button payload with this handler's prefix."""

    async def continue_flow(self, turn: Turn) -> Outcome | None:
        """The conversation's flow belongs to this handler; ``None`` if the message is not an answer to it."""

    async def resume_prompt(self, turn: Turn) -> list[Reply]:
        """After an interruption: the replies that offer the running flow again."""
