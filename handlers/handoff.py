"""The resident asks for a person (intent ``talk_to_human``), and after a staff hand-back decides whether to go on
with a report left half-way (the ``handoff`` flow holding it; ``bot/handoff`` has the queue and the messages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import handoff
from bot.core.models import Attachment, GeoPoint, Reply, as_utc
from handlers.answers import yes_or_no
from handlers.base import KEEP, FlowState, Outcome, Turn
from handlers.urgency import is_urgent

if TYPE_CHECKING:
    from handlers.registry import HandlerRegistry


class HandoffHandler:
    name = handoff.HOLD_FLOW
    intents = frozenset({"talk_to_human"})
    button_prefix = "human"

    def __init__(self) -> None:
        self.registry: HandlerRegistry | None = None

    async def handle(self, turn: Turn) -> Outcome:
        button = turn.inbound.button
        if button is not None:
            return await self._decide(turn, button.split(":", 1)[1] == "continue" if ":" in button else None)
        return await self._ask_for_staff(turn)

    async def _ask_for_staff(self, turn: Turn) -> Outcome:
        t = turn.texts
        services = turn.services
        now = turn.inbound.received_at
        await handoff.request_staff(services.store, turn.conversation.id, now)
        hours = handoff.office_hours(services)
        urgent = [Reply(t("system.emergency"))] if is_urgent(turn.inbound.text) else []
        if hours.is_open(now):
            return Outcome([*urgent, Reply(t("handoff.waiting_open"))])
        when = handoff.when_text(t, hours.next_opening(now))
        text = t("handoff.waiting_closed", when=when, days=handoff.days_text(t, hours.days),
                 hours=services.settings.office_hours)
        if turn.conversation.flow is None:  # a report under way is offered again instead (handlers/base.py)
            text += " " + t("handoff.meanwhile_report")
        return Outcome([Reply(text), Reply(t("system.emergency"))])  # out of hours: 112 for dangers

    async def continue_flow(self, turn: Turn) -> Outcome | None:
        flow = turn.conversation.flow
        if flow is None or flow.name != self.name:
            return None
        said = yes_or_no(turn.inbound.text, turn.nlu)
        if said is None:
            return None  # something else: answered by intent; the question is asked again after it
        return await self._decide(turn, said)

    async def resume_prompt(self, turn: Turn) -> list[Reply]:
        flow = turn.conversation.flow
        if flow is None or flow.name != self.name:
            return []
        held = flow.slots.get("held") or {}
        return [handoff.continue_question(turn.texts, held.get("name"))]

    async def _decide(self, turn: Turn, go_on: bool | None) -> Outcome:
        flow = turn.conversation.flow
        held = FlowState.from_doc(flow.slots.get("held")) if flow is not None and flow.name == self.name else None
        if held is None or go_on is None:
            return Outcome([Reply(turn.texts("handoff.nothing_held"))], flow=KEEP)
        if not go_on:
            dropped = "handoff.report_dropped" if held.name == "complaints" else "handoff.other_dropped"
            return Outcome([Reply(turn.texts(dropped))], flow=None)
        owner = self.registry.by_name.get(held.name) if self.registry else None
        turn.conversation.flow = held
        take_shared = getattr(owner, "take_shared", None)
        if take_shared is not None:  # a location or photos sent to staff meanwhile go to the report (QA F14)
            since = flow.slots.get("since") if flow is not None else None
            location, photos = await handoff.shared_with_staff(turn.services.store, turn.conversation.id,
                                                               as_utc(since) if since else None)
            taken = await take_shared(turn, location, photos) if location or photos else None
            if taken is not None:
                kept = turn.texts("handoff.shared_kept", what=self._what(turn, location, photos, held))
                return Outcome([Reply(kept), *taken.replies], flow=taken.flow)
        replies = await owner.resume_prompt(turn) if owner is not None else []
        return Outcome(replies, flow=held)

    @staticmethod
    def _what(turn: Turn, location: GeoPoint | None, photos: list[Attachment], held: FlowState) -> str:
        """"the location and the 2 photos" you sent — the location only when the report had no place yet."""
        t = turn.texts
        parts = []
        if location is not None and not (held.slots.get("point") or held.slots.get("address")):
            parts.append(t("handoff.shared_location"))
        if photos:
            parts.append(t.plural("handoff.shared_photos", len(photos)))
        return t("handoff.shared_and").join(parts)


def create_handler() -> HandoffHandler:
    return HandoffHandler()
