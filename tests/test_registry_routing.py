"""Routing of commands and whole-message phrases to the handler that lists them (handlers/base.py, rule 2)."""

from __future__ import annotations

import pytest

from bot.core.i18n import Texts
from bot.core.models import Inbound, NluResult, Reply
from bot.core.services import Services
from bot.core.settings import Settings
from bot.store import open_store
from handlers.base import Conversation, FlowState, Outcome, Turn
from handlers.conversation import ConversationHandler
from handlers.registry import HandlerRegistry


class Listing:
    name = "listing"
    intents = frozenset()
    button_prefix = "lst"
    commands = frozenset({"/alerts"})
    phrases = ("ειδοποιήσεις", "alerts")

    async def handle(self, turn: Turn) -> Outcome:
        return Outcome([Reply(f"listing:{turn.inbound.text}")])

    async def continue_flow(self, turn: Turn) -> Outcome | None:
        return None

    async def resume_prompt(self, turn: Turn) -> list[Reply]:
        return []


async def _send(registry: HandlerRegistry, text: str, *, flow: FlowState | None = None) -> Outcome:
    services = Services(settings=Settings(), store=await open_store(None, "routing"), outbox=None)  # type: ignore[arg-type]
    conv = Conversation(id="telegram:1", channel="telegram", user_id="1", chat_id="1", language="el", flow=flow)
    inbound = Inbound(channel="telegram", user_id="1", chat_id="1", message_id="1", text=text)
    nlu = NluResult(intent="out_of_scope", confidence=0.9, raw={}, ok=True)
    return await registry.dispatch(Turn(inbound=inbound, nlu=nlu, conversation=conv, texts=Texts("el"),
                                        services=services))


@pytest.mark.parametrize("text", ["/alerts", "/alerts@ChaniaBot", "Ειδοποιήσεις", "ειδοποιησεις!",
                                  "eidopoihseis", "ΕΙΔΟΠΟΙΗΣΕΙΣ", "Alerts"])
async def test_commands_and_phrases_reach_the_handler_that_lists_them(text: str) -> None:
    outcome = await _send(HandlerRegistry(ConversationHandler(), [Listing()]), text)
    assert [r.text for r in outcome.replies] == [f"listing:{text}"]


async def test_a_phrase_inside_a_longer_message_is_not_a_trigger() -> None:
    outcome = await _send(HandlerRegistry(ConversationHandler(), [Listing()]), "δεν ήρθαν ειδοποιήσεις για το νερό")
    assert not any(r.text.startswith("listing:") for r in outcome.replies)


async def test_other_commands_still_go_to_the_conversation_handler() -> None:
    outcome = await _send(HandlerRegistry(ConversationHandler(), [Listing()]), "/help")
    assert outcome.replies[0].text == Texts("el")("system.help")


def test_two_handlers_cannot_claim_one_command() -> None:
    class Other(Listing):
        name, button_prefix, phrases = "other", "oth", ()

    with pytest.raises(ValueError, match="/alerts"):
        HandlerRegistry(ConversationHandler(), [Listing(), Other()])
