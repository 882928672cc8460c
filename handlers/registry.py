"""Routes a turn to the handler that owns it (the rules are in handlers/base.py's docstring)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.models import NluResult
from handlers.base import KEEP, Handler, Outcome, Turn
from handlers.conversation import ConversationHandler
from nlu.chania_text import to_latin


def plain(text: str) -> str:
    """A whole message compared with a handler's ``phrases``, in the common Latin form of ``nlu.chania_text``:
    "Ειδοποιήσεις", "ειδοποιησεις" and "eidopoihseis" meet."""
    return to_latin(text.strip(" .!;?"))


class HandlerRegistry:
    def __init__(self, conversation: ConversationHandler, handlers: Iterable[Handler] = ()) -> None:
        self.conversation = conversation
        self.by_name: dict[str, Handler] = {}
        self.by_prefix: dict[str, Handler] = {}
        self.by_intent: dict[str, Handler] = {}
        self.by_command: dict[str, Handler] = {}  # "/alerts" → the handler listing it in ``commands``
        self.by_phrase: dict[str, Handler] = {}  # a whole message ("ειδοποιήσεις", normalised) → its handler
        self.claimers: list[Handler] = []  # handlers whose ``claims(text)`` recognises requests in any words
        for handler in (conversation, *handlers):
            self.register(handler)
            if hasattr(handler, "registry"):  # handlers that hand a turn to another (menu, hand-back)
                handler.registry = self

    def register(self, handler: Handler) -> None:
        if callable(getattr(handler, "claims", None)):
            self.claimers.append(handler)
        for table, key in ((self.by_name, handler.name), (self.by_prefix, handler.button_prefix)):
            if key in table and table[key] is not handler:
                raise ValueError(f"two handlers claim {key!r}")
            table[key] = handler
        for intent in handler.intents:
            if intent in self.by_intent and self.by_intent[intent] is not handler:
                raise ValueError(f"two handlers claim intent {intent!r}")
            self.by_intent[intent] = handler
        for table, keys in ((self.by_command, getattr(handler, "commands", ())),
                            (self.by_phrase, [plain(p) for p in getattr(handler, "phrases", ())])):
            for key in keys:
                if key in table and table[key] is not handler:
                    raise ValueError(f"two handlers claim {key!r}")
                table[key] = handler

    async def dispatch(self, turn: Turn) -> Outcome:
        inbound = turn.inbound
        if inbound.button is not None:
            handler = self.by_prefix.get(inbound.button.split(":", 1)[0])
            if handler is None:
                return await self.conversation.unknown_button(turn)
            return await handler.handle(turn)
        if inbound.unreadable is not None and not inbound.text:
            return await self.unreadable(turn)
        owner = self.by_command.get(inbound.command) if inbound.command else self.by_phrase.get(plain(inbound.text))
        if owner is None and not inbound.command:
            owner = next((h for h in self.claimers if h.claims(inbound.text)), None)  # type: ignore[attr-defined]
        if owner is not None:
            return await owner.handle(turn)
        if inbound.command is not None or self.conversation.is_cancel(turn):
            return await self.conversation.command(turn)
        flow = turn.conversation.flow
        owner = self.by_name.get(flow.name) if flow else None
        if owner is not None:
            outcome = await owner.continue_flow(turn)
            if outcome is not None:
                outcome.answered_prompt = True
                return outcome
            outcome = await self.by_intent_or_menu(turn)
            if outcome.flow is KEEP:  # answered the interruption; offer the running flow again
                outcome.replies.extend(await owner.resume_prompt(turn))
            return outcome
        return await self.by_intent_or_menu(turn)

    async def unreadable(self, turn: Turn) -> Outcome:
        """A voice note or sticker: one sentence of what the bot reads, and the running flow's question again."""
        outcome = await self.conversation.unreadable(turn)
        flow = turn.conversation.flow
        owner = self.by_name.get(flow.name) if flow else None
        if owner is not None:
            outcome.replies.extend(await owner.resume_prompt(turn))
        return outcome

    async def by_intent_or_menu(self, turn: Turn) -> Outcome:
        intent = turn.nlu.intent
        if intent is None and turn.inbound.location is not None and "tourist_nearby" in self.by_intent:
            intent = "tourist_nearby"  # a bare shared location outside any flow: what is there to see nearby
            turn = self.with_intent(turn, intent)
        bare_photo = not turn.inbound.text.strip() and any(a.kind == "photo" for a in turn.inbound.attachments)
        if intent is None and bare_photo and turn.conversation.flow is None:
            starter = next((h for h in self.by_name.values() if callable(getattr(h, "photo_first", None))), None)
            if starter is not None:  # a bare photo outside any flow: a report begins with it (QA F38)
                return await starter.photo_first(turn)  # type: ignore[attr-defined]
        handler = self.by_intent.get(intent) if intent else None
        if handler is None or handler is self.conversation:
            return await self.conversation.handle(turn)
        return await handler.handle(turn)

    async def dispatch_intent(self, turn: Turn, intent: str) -> Outcome:
        """Act as if the person had asked for ``intent`` (menu buttons)."""
        return await self.by_intent_or_menu(self.with_intent(turn, intent))

    @staticmethod
    def with_intent(turn: Turn, intent: str) -> Turn:
        nlu = NluResult(intent=intent, confidence=1.0, raw={"intent": {"name": intent, "confidence": 1.0},
                                                             "source": "button"})
        return Turn(inbound=turn.inbound, nlu=nlu, conversation=turn.conversation, texts=turn.texts,
                    services=turn.services)
