"""Area alerts in the chat: a resident subscribes to areas (or a spot and a radius) and kinds of notice, with
explicit consent, and can see, change or stop the subscription at any time.

Reached by ``/alerts``, the words "ειδοποιήσεις" / "alerts" in any script, or the menu's button; ``/stop`` stops
every subscription at once. Steps of the flow ``alerts``: ``areas`` (toggle buttons, a typed area name, or a shared
location) → ``radius`` (after a location) → ``kinds`` → ``confirm`` (what is kept, and the consent button). The
subscription is written only at "I agree" (:mod:`bot.alerts.subscriptions`). A tap on the picker changes the
picker itself (Telegram edits the message in place) rather than posting a new keyboard each time.
"""

from __future__ import annotations

from bot.alerts import subscriptions
from bot.alerts.areas import AreaCatalogue, alert_areas
from bot.alerts.kinds import KINDS
from bot.alerts.subscriptions import DEFAULT_RADIUS_M, RADII_M, Subscription
from bot.core.i18n import Texts
from bot.core.models import Button, GeoPoint, Reply
from handlers.base import Conversation, FlowState, Outcome, Turn, in_place

FLOW = "alerts"
PREFIX = "alr"
CHECKED = "✅ "


class AlertsHandler:
    name = FLOW
    intents: frozenset[str] = frozenset()
    button_prefix = PREFIX
    commands = frozenset({"/alerts", "/stop"})
    phrases = ("ειδοποιήσεις", "ειδοποίηση", "ειδοποιήσεις περιοχής", "alerts", "alert", "notifications",
               "area alerts", "notices")

    def __init__(self, catalogue: AreaCatalogue | None = None) -> None:
        self.areas = catalogue or alert_areas()

    # ------------------------------------------------------------------ entry points
    async def handle(self, turn: Turn) -> Outcome:
        if turn.inbound.command == "/stop":
            return await self._stop(turn)
        if turn.inbound.button is not None:
            return await self._button(turn, turn.inbound.button.split(":", 1)[1])
        return await self._start(turn)

    async def continue_flow(self, turn: Turn) -> Outcome | None:
        flow = turn.conversation.flow
        assert flow is not None
        if flow.step == "areas":
            if turn.inbound.location is not None:
                flow.slots["point"] = {"lat": turn.inbound.location.lat, "lon": turn.inbound.location.lon}
                flow.step = "radius"
                return Outcome([self._radius_prompt(turn.texts)], flow=flow)
            area = self.areas.named_in(turn.inbound.text) if turn.inbound.text else None
            if area is not None:
                self._toggle(flow.slots, "areas", area.id)
                return Outcome([self._areas_prompt(turn.texts, flow)], flow=flow)
        return None  # not an answer: routed as usual, then the prompt is offered again

    async def resume_prompt(self, turn: Turn) -> list[Reply]:
        flow = turn.conversation.flow
        if flow is None:
            return []
        t = turn.texts
        if flow.step == "radius":
            return [self._radius_prompt(t)]
        if flow.step == "kinds":
            return [self._kinds_prompt(t, flow)]
        if flow.step == "confirm":
            return [self._confirm_prompt(t, flow)]
        return [self._areas_prompt(t, flow)]

    # ------------------------------------------------------------------ steps
    async def _start(self, turn: Turn) -> Outcome:
        t = turn.texts
        current = await subscriptions.get(turn.services.store, turn.conversation.id)
        if current is not None:
            return Outcome([Reply(t("alerts.current", summary=self._summary(t, current)), buttons=(
                Button(t("alerts.change_areas"), f"{PREFIX}:change_areas"),
                Button(t("alerts.change_kinds"), f"{PREFIX}:change_kinds"),
                Button(t("alerts.stop_button"), f"{PREFIX}:stop"),
            ))])
        flow = FlowState(FLOW, "areas", {"areas": [], "point": None, "radius_m": DEFAULT_RADIUS_M,
                                         "kinds": list(KINDS)})
        return Outcome([Reply(t("alerts.intro")), self._areas_prompt(t, flow)], flow=flow)

    async def _button(self, turn: Turn, action: str) -> Outcome:
        t = turn.texts
        conv = turn.conversation
        verb, _, arg = action.partition(":")
        if verb == "start":
            return await self._start(turn)
        if verb == "stop":
            return await self._stop(turn)
        if verb in ("change_areas", "change_kinds"):
            current = await subscriptions.get(turn.services.store, conv.id)
            flow = self._flow_from(current)
            flow.step = "areas" if verb == "change_areas" else "kinds"
            return Outcome([self._areas_prompt(t, flow) if flow.step == "areas" else self._kinds_prompt(t, flow)],
                           flow=flow)
        flow = conv.flow if conv.flow is not None and conv.flow.name == FLOW else None
        if flow is None:  # a button of a subscription dialogue that has ended
            return Outcome([Reply(t("alerts.stale"), buttons=(Button(t("alerts.start_button"), f"{PREFIX}:start"),))])
        if verb == "cancel":
            return Outcome([Reply(t("alerts.cancelled"))], flow=None)
        if verb == "area" and self.areas.get(arg) is not None:
            self._toggle(flow.slots, "areas", arg)
            flow.step = "areas"
            return Outcome([in_place(turn, self._areas_prompt(t, flow))], flow=flow)
        if verb == "locate":
            flow.step = "areas"
            return Outcome([Reply(t("alerts.share_location"), request_location=True)], flow=flow)
        if verb == "radius" and arg.isdigit() and int(arg) in RADII_M:
            flow.slots["radius_m"] = int(arg)
            flow.step = "areas"
            return Outcome([in_place(turn, self._areas_prompt(t, flow))], flow=flow)
        if verb == "unpoint":
            flow.slots["point"] = None
            return Outcome([in_place(turn, self._areas_prompt(t, flow))], flow=flow)
        if verb == "areas_done":
            if not flow.slots.get("areas") and not flow.slots.get("point"):
                return Outcome([Reply(t("alerts.pick_one_area")), self._areas_prompt(t, flow)], flow=flow)
            flow.step = "kinds"
            return Outcome([in_place(turn, self._kinds_prompt(t, flow))], flow=flow)
        if verb == "kind" and arg in KINDS:
            self._toggle(flow.slots, "kinds", arg)
            flow.step = "kinds"
            return Outcome([in_place(turn, self._kinds_prompt(t, flow))], flow=flow)
        if verb == "kinds_done":
            if not flow.slots.get("kinds"):
                return Outcome([Reply(t("alerts.pick_one_kind")), self._kinds_prompt(t, flow)], flow=flow)
            flow.step = "confirm"
            return Outcome([in_place(turn, self._confirm_prompt(t, flow))], flow=flow)
        if verb == "confirm" and flow.step == "confirm":
            sub = self._subscription(conv, flow)
            await subscriptions.save(turn.services.store, sub, consent_language=turn.lang)
            return Outcome([Reply(t("alerts.subscribed", summary=self._summary(t, sub)))], flow=None)
        return Outcome(await self.resume_prompt(turn), flow=flow)

    async def _stop(self, turn: Turn) -> Outcome:
        t = turn.texts
        had = await subscriptions.stop(turn.services.store, turn.conversation.id)
        flow = turn.conversation.flow
        ends_flow = flow is not None and flow.name == FLOW
        return Outcome([Reply(t("alerts.stopped" if had else "alerts.nothing_to_stop"))],
                       flow=None if ends_flow else flow)

    # ------------------------------------------------------------------ prompts
    def _areas_prompt(self, t: Texts, flow: FlowState) -> Reply:
        chosen = set(flow.slots.get("areas") or ())
        buttons = [Button((CHECKED if a.id in chosen else "") + a.label(t.lang), f"{PREFIX}:area:{a.id}")
                   for a in self.areas.areas]
        point = flow.slots.get("point")
        if point:
            buttons.append(Button(CHECKED + t("alerts.around_me", radius=_radius(t, flow.slots["radius_m"])),
                                  f"{PREFIX}:unpoint"))
        else:
            buttons.append(Button(t("alerts.around_me_button"), f"{PREFIX}:locate"))
        buttons += [Button(t("alerts.next"), f"{PREFIX}:areas_done"), Button(t("alerts.cancel"), f"{PREFIX}:cancel")]
        return Reply(t("alerts.pick_areas"), buttons=tuple(buttons))

    @staticmethod
    def _radius_prompt(t: Texts) -> Reply:
        return Reply(t("alerts.pick_radius"), buttons=tuple(
            Button(_radius(t, r), f"{PREFIX}:radius:{r}") for r in RADII_M))

    @staticmethod
    def _kinds_prompt(t: Texts, flow: FlowState) -> Reply:
        chosen = set(flow.slots.get("kinds") or ())
        buttons = [Button((CHECKED if k in chosen else "") + t(f"alerts.kinds.{k}"), f"{PREFIX}:kind:{k}")
                   for k in KINDS]
        buttons += [Button(t("alerts.next"), f"{PREFIX}:kinds_done"), Button(t("alerts.cancel"), f"{PREFIX}:cancel")]
        return Reply(t("alerts.pick_kinds"), buttons=tuple(buttons))

    def _confirm_prompt(self, t: Texts, flow: FlowState) -> Reply:
        summary = self._summary(t, self._subscription(None, flow))
        return Reply(t("alerts.confirm", summary=summary), buttons=(
            Button(t("alerts.agree"), f"{PREFIX}:confirm"), Button(t("alerts.cancel"), f"{PREFIX}:cancel")))

    # ------------------------------------------------------------------ helpers
    def _summary(self, t: Texts, sub: Subscription) -> str:
        places = [a.name(t.lang) for a in (self.areas.get(i) for i in sub.areas) if a is not None]
        if sub.point is not None:
            places.append(t("alerts.around_me", radius=_radius(t, sub.radius_m)))
        kinds = [t(f"alerts.kinds.{k}") for k in KINDS if k in sub.kinds]
        return t("alerts.summary", areas=", ".join(places), kinds=", ".join(kinds))

    @staticmethod
    def _toggle(slots: dict[str, list[str]], key: str, value: str) -> None:
        values = list(slots.get(key) or ())
        slots[key] = [v for v in values if v != value] if value in values else [*values, value]

    @staticmethod
    def _flow_from(sub: Subscription | None) -> FlowState:
        if sub is None:
            return FlowState(FLOW, "areas", {"areas": [], "point": None, "radius_m": DEFAULT_RADIUS_M,
                                             "kinds": list(KINDS)})
        point = {"lat": sub.point.lat, "lon": sub.point.lon} if sub.point else None
        return FlowState(FLOW, "areas", {"areas": list(sub.areas), "point": point, "radius_m": sub.radius_m,
                                         "kinds": list(sub.kinds)})

    def _subscription(self, conv: Conversation | None, flow: FlowState) -> Subscription:
        point = flow.slots.get("point")
        return Subscription(
            conversation_id=conv.id if conv else "", channel=conv.channel if conv else "",
            chat_id=conv.chat_id if conv else "", areas=self.areas.valid(flow.slots.get("areas") or ()),
            point=GeoPoint(point["lat"], point["lon"]) if point else None,
            radius_m=int(flow.slots.get("radius_m") or DEFAULT_RADIUS_M),
            kinds=[k for k in KINDS if k in (flow.slots.get("kinds") or ())])


def _radius(t: Texts, metres: int) -> str:
    return t("alerts.radius_km", km=f"{metres / 1000:g}".replace(".", "," if t.lang == "el" else "."))


def create_handler() -> AlertsHandler:
    return AlertsHandler()
