"""Greetings, help, the menu, commands (/start /help /cancel /language) and the fallback for everything else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.i18n import Texts
from bot.core.models import Button, Reply
from handlers.base import KEEP, Outcome, Turn

if TYPE_CHECKING:
    from handlers.registry import HandlerRegistry

CANCEL_WORDS = frozenset({"ακυρο", "ακυρωση", "akyro", "akiro", "akuro", "cancel", "stop", "σταματα"})


def _plain(text: str) -> str:
    from nlu.chania_text import normalize

    return normalize(text).strip(" .!")


HEARD = frozenset({"voice", "audio", "video", "video_note"})  # unreadable messages one would listen to or watch


class ConversationHandler:
    name = "conversation"
    intents = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "help", "out_of_scope"})
    button_prefix = "menu"

    def __init__(self) -> None:
        self.registry: HandlerRegistry | None = None

    # --------------------------------------------------------------- the menu
    @staticmethod
    def menu(texts: Texts) -> tuple[Button, ...]:
        return (
            Button(texts("menu.report"), "menu:report"),
            Button(texts("menu.nearby"), "menu:nearby"),
            Button(texts("menu.status"), "menu:status"),
            Button(texts("municipal.menu_button"), "mun:list"),
            Button(texts("alerts.start_button"), "alr:start"),
            Button(texts("menu.language"), "menu:language"),
            Button(texts("privacy.menu_button"), "privacy:menu"),
        )

    def menu_reply(self, texts: Texts, key: str = "menu.title") -> Reply:
        return Reply(texts(key), buttons=self.menu(texts))

    # --------------------------------------------------------------- intents
    async def handle(self, turn: Turn) -> Outcome:
        t = turn.texts
        if turn.inbound.button is not None:
            return await self._menu_button(turn)
        if not turn.nlu.ok:
            return Outcome([self.menu_reply(t, "system.nlu_down")])
        intent = turn.nlu.intent
        if intent is None or turn.low_confidence or intent == "out_of_scope":
            key = "system.not_understood" if intent != "out_of_scope" or turn.low_confidence else "system.out_of_scope"
            return Outcome([self.menu_reply(t, key)])
        if intent == "greet":
            return Outcome([self.menu_reply(t, "system.welcome")])
        if intent == "help":
            return Outcome([self.menu_reply(t, "system.help")])
        if intent == "thanks":
            return Outcome([Reply(t("system.you_are_welcome"))])
        if intent == "goodbye":
            return Outcome([Reply(t("system.goodbye"))])
        # affirm / deny with nothing to confirm
        return Outcome([self.menu_reply(t, "system.nothing_to_confirm")])

    async def continue_flow(self, turn: Turn) -> Outcome | None:
        return None

    async def resume_prompt(self, turn: Turn) -> list[Reply]:
        return []

    async def _menu_button(self, turn: Turn) -> Outcome:
        action = turn.inbound.button.split(":", 1)[1] if turn.inbound.button else ""
        registry = self.registry
        if action == "report":
            return Outcome([Reply(turn.texts("menu.report_prompt"))])
        if action == "nearby" and registry and "tourist_nearby" in registry.by_intent:
            return await registry.dispatch_intent(turn, "tourist_nearby")
        if action == "status" and registry and "check_status" in registry.by_intent:
            return await registry.dispatch_intent(turn, "check_status")
        if action == "language":
            return self._switch_language(turn, None)
        return Outcome([self.menu_reply(turn.texts)])

    async def unreadable(self, turn: Turn) -> Outcome:
        """A voice note, sticker, video or file: what the bot reads instead (text, photos, places). Outside a flow
        with the menu; in one, the flow's question follows (``HandlerRegistry.dispatch``)."""
        t = turn.texts
        key = "system.cannot_hear" if turn.inbound.unreadable in HEARD else "system.cannot_read"
        if turn.conversation.flow is not None:
            return Outcome([Reply(t(key))])
        return Outcome([self.menu_reply(t, key)])

    async def unknown_button(self, turn: Turn) -> Outcome:
        return Outcome([self.menu_reply(turn.texts, "system.stale_button")])

    # --------------------------------------------------------------- commands
    def is_cancel(self, turn: Turn) -> bool:
        return turn.conversation.flow is not None and _plain(turn.inbound.text) in CANCEL_WORDS

    async def command(self, turn: Turn) -> Outcome:
        t = turn.texts
        cmd = turn.inbound.command
        if cmd is None or cmd == "/cancel":
            if turn.conversation.flow is None:
                return Outcome([self.menu_reply(t, "system.nothing_to_cancel")])
            return Outcome([self.menu_reply(t, "system.cancelled")], flow=None)
        if cmd == "/start":
            return Outcome([self.menu_reply(t, "system.welcome")])
        if cmd == "/help":
            return Outcome([self.menu_reply(t, "system.help")])
        if cmd == "/language":
            arg = turn.inbound.text.split()[1:2]
            return self._switch_language(turn, arg[0].lower() if arg else None)
        return Outcome([self.menu_reply(t, "system.unknown_command")])

    @staticmethod
    def _switch_language(turn: Turn, wanted: str | None) -> Outcome:
        conv = turn.conversation
        if wanted in ("el", "gr", "ελ", "ελληνικα"):
            lang = "el"
        elif wanted in ("en", "english", "αγγλικα"):
            lang = "en"
        else:
            lang = "en" if conv.language == "el" else "el"
        conv.language, conv.language_locked = lang, True
        texts = Texts(lang)
        return Outcome([Reply(texts("system.language_set"), buttons=ConversationHandler.menu(texts))], flow=KEEP)
