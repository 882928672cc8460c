"""The tourist guide: nearby sights, beaches / culture / nature lists, one sight's details, getting around.

Intents: ``tourist_nearby``, ``tourist_beaches``, ``tourist_culture``, ``tourist_nature``, ``tourist_sight_info``,
``tourist_transport`` (design.md section 3). Data: ``data/pois.yaml`` through :class:`bot.guide.catalogue.Catalogue`.

Button payloads (all under 64 bytes, Telegram's ``callback_data`` limit):

* ``tour:menu`` — the guide's menu;
* ``tour:more:<kind>:<offset>[:<place id>]`` — a page of a list; ``kind`` is ``nearby``, ``beaches``, ``culture`` or
  ``nature``; with a place id the list is ordered by distance from that sight, otherwise from the person's last
  shared location (when recent) or, for the category lists, best known first;
* ``tour:loc:<kind>`` — ask for the location to order ``kind`` nearest first;
* ``tour:info:<id>`` — one sight; ``tour:transport`` — getting around.

A list page is one reply: the numbered list (distance, category, map link of each sight), its buttons, and one map
pin, the top result's (Telegram venue, Viber location, web-chat link) — not a pin bubble per sight.

Beyond the intent, the words of the question decide (``bot/guide/questions.py``): a named sight with "open / close /
ωράριο" gets that day's opening hours (``bot/guide/hours.py``, Europe/Athens); "near X" lists what is near X, not X;
"the nearest" without a location asks for one; "can I swim in Falasarna?" is about Falasarna itself. A location
outside the guide's area (the regional unit) is refused and never used for "nearest" afterwards.

The one flow: when the guide asked for a location (step ``await_location``), a shared location — or a typed place
name — answers it. Anything else is not an answer (``continue_flow`` returns ``None``) and the flow waits quietly.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from babel.dates import format_date, get_day_names

from bot.core.geo import haversine_m
from bot.core.models import Button, GeoPoint, Pin, Reply, as_utc
from bot.core.services import Services
from bot.guide import sights
from bot.guide.catalogue import BBOX_LAT, BBOX_LON, KINDS, Catalogue, Category, Poi
from bot.guide.hours import (
    WEEKDAYS,
    DayAnswer,
    NowAnswer,
    Opening,
    holiday_name,
    next_opening_text,
    opening_now,
    opening_on,
    today_in_athens,
)
from bot.guide.photos import photo_path
from bot.guide.questions import asked_day, asks_food, asks_hours, asks_nearest, asks_way, names_museums, names_near
from handlers.base import KEEP, FlowState, Handler, Outcome, Turn

if TYPE_CHECKING:
    from handlers.registry import HandlerRegistry

INTENT_KINDS = {"tourist_nearby": "nearby", "tourist_beaches": "beaches", "tourist_culture": "culture",
                "tourist_nature": "nature"}
INTENTS = frozenset({*INTENT_KINDS, "tourist_sight_info", "tourist_transport"})
AWAIT_LOCATION = "await_location"
PAGE_SIZE = 5
LOCATION_MAX_AGE = timedelta(hours=3)
PLACE_MIN_SCORE = 90.0  # a place named inside a longer question ("beaches near Kissamos") must match closely
MAX_LABEL = 32
MAX_DETAIL_BUTTONS = 8  # "museums open on Monday": a details button for each of the first eight open ones
WALK_RADIUS_M = 2500  # sights this close to the centre (straight line) are "in town": walking directions
WALK_DETOUR = 1.3  # streets are not straight lines
WALK_M_PER_MIN = 75  # 4.5 km/h

WEEKDAY_INDEX = {day: i for i, day in enumerate(WEEKDAYS)}
# Open-air sights without opening hours in the catalogue: "is Falasarna open?" is answered "at any time".
OPEN_AIR = frozenset({Category.BEACH, Category.VILLAGE, Category.VIEWPOINT})
OPEN_AIR_OPENING = Opening(always_open=True)

ICONS: dict[Category, str] = {
    Category.BEACH: "🏖", Category.MUSEUM: "🏛", Category.ARCHAEOLOGICAL_SITE: "🏺",
    Category.MONASTERY_CHURCH: "⛪", Category.MONUMENT: "🏰", Category.GORGE_TRAIL: "🥾", Category.NATURE: "🌿",
    Category.VILLAGE: "🏘", Category.VIEWPOINT: "🌅", Category.TRANSPORT_HUB: "🚌",
}


class TourismHandler:
    name = "tourism"
    intents = INTENTS
    button_prefix = "tour"

    def __init__(self, catalogue: Catalogue, *, page_size: int = PAGE_SIZE,
                 location_max_age: timedelta = LOCATION_MAX_AGE) -> None:
        self.catalogue = catalogue
        self.page_size = page_size
        self.location_max_age = location_max_age
        self._version: int | None = None  # of the catalogue in MongoDB; None: the seed file's, until one exists
        self.registry: HandlerRegistry | None = None  # set by the registry: office questions go to their handler

    async def _refresh(self, turn: Turn) -> None:
        """Answer from the latest catalogue: one primary-key read, a reload only when the guide was edited."""
        store = turn.services.store
        version = await sights.catalogue_version(store)
        if version is not None and version != self._version:
            self.catalogue, self._version = await sights.load_catalogue(store)

    # ------------------------------------------------------------------ the Handler protocol
    async def handle(self, turn: Turn) -> Outcome:
        await self._refresh(turn)
        button = turn.inbound.button
        if button is not None and button.startswith(f"{self.button_prefix}:"):
            outcome = self._button(turn, button)
        elif button is None and (office := self._office_question(turn)) is not None:
            return await office.handle(turn)  # "is the town hall open?" taken for a sight question: no sight named
        else:  # an intent (a menu button of another handler may have dispatched it here: ignore its payload)
            outcome = self._intent(turn)
        return _with_language_note(turn, outcome)

    async def continue_flow(self, turn: Turn) -> Outcome | None:
        flow = turn.conversation.flow
        if flow is None or flow.name != self.name or flow.step != AWAIT_LOCATION:
            return None
        await self._refresh(turn)
        kind = flow.slots.get("kind")
        kind = kind if kind in KINDS else "nearby"
        if turn.inbound.location is not None:
            if not in_guide_area(turn.inbound.location):
                return self._outside(turn)  # the flow keeps waiting for a location in the area
            outcome = self._list(turn, kind, 0, origin=turn.inbound.location)
        elif turn.nlu.intent in (None, "tourist_nearby") or turn.low_confidence:
            place = self._named_place(turn)
            if place is None:
                return None
            outcome = self._list(turn, kind, 0, place=place)
        else:
            return None
        outcome.flow = None
        return _with_language_note(turn, outcome)

    async def resume_prompt(self, turn: Turn) -> list[Reply]:
        return []  # waiting for a location needs no reminder: the location button is still on screen

    # ------------------------------------------------------------------ routing
    def _intent(self, turn: Turn) -> Outcome:
        intent = turn.nlu.intent or ""
        text = turn.inbound.text or ""
        if turn.inbound.location is not None and not in_guide_area(turn.inbound.location):
            return self._outside(turn)
        place = self._named_place(turn)
        if asks_food(text):  # "where can I eat near the harbour?": the guide has no restaurants; say so
            return self._no_food(turn, place)
        if place is not None and asks_hours(text) and intent != "tourist_transport":
            return self._hours(turn, place)
        if place is not None and asks_way(text) and place.category is not Category.TRANSPORT_HUB:
            return self._getting_to(turn, place)  # "πώς πάω στο φαράγγι;" even when the NLU says sight_info
        if place is not None and place.opening is not None and intent != "tourist_transport" and \
                asked_day(text, today_in_athens(turn.services.clock())) is not None:
            return self._hours(turn, place)  # "can I walk the gorge tomorrow?": that day's answer (QA F27)
        if place is None and asks_hours(text) and (
                intent in ("tourist_culture", "tourist_nature", "tourist_sight_info") or names_museums(text)):
            return self._open_on(turn, "nature" if intent == "tourist_nature" else "culture")
        if turn.low_confidence:
            return self._info(turn, place) if place is not None else self._menu(turn)
        if place is not None and names_near(text) and intent in (*INTENT_KINDS, "tourist_sight_info"):
            kind = INTENT_KINDS.get(intent, "nearby")  # "what is there to see near Firkas?"
            return self._list(turn, kind, 0, place=place)
        if intent in INTENT_KINDS:
            kind = INTENT_KINDS[intent]
            if place is not None:
                if kind != "nearby" and place.category in KINDS[kind]:
                    return self._info(turn, place)  # "can I swim in Falasarna?" is about Falasarna
                return self._list(turn, kind, 0, place=place)
            origin = self._origin(turn)
            if origin is None and kind != "nearby" and asks_nearest(text):
                return self._ask_location(turn, kind, nearest=True)
            return self._list(turn, kind, 0, origin=origin)
        if intent == "tourist_sight_info":
            return self._sight_info(turn)
        if intent == "tourist_transport":
            return self._transport(turn)
        return self._menu(turn)

    def _button(self, turn: Turn, payload: str) -> Outcome:
        parts = payload.split(":")
        action, args = (parts[1] if len(parts) > 1 else ""), parts[2:]
        if action == "menu" and not args:
            return self._menu(turn)
        if action == "transport" and not args:
            return self._transport(turn, from_button=True)
        if action == "info" and len(args) == 1 and (poi := self.catalogue.get(args[0])) is not None:
            return self._info(turn, poi)
        if action == "loc" and len(args) == 1 and args[0] in KINDS:
            return self._ask_location(turn, args[0])
        if action == "more" and len(args) in (2, 3) and args[0] in KINDS and args[1].isdigit():
            kind, offset = args[0], int(args[1])
            if len(args) == 3:
                place = self.catalogue.get(args[2])
                if place is None:
                    return self._unknown_button(turn)
                return self._list(turn, kind, offset, place=place)
            return self._list(turn, kind, offset, origin=self._origin(turn))
        return self._unknown_button(turn)

    def _office_question(self, turn: Turn) -> Handler | None:
        """The municipal offices' handler, when the message names one of its offices and no sight ("is the town hall
        open?" read as a sight question; a service word alone, "water", is no reason: "clear water to swim")."""
        handler = self.registry.by_intent.get("municipal_info") if self.registry is not None else None
        knows = getattr(handler, "knows", None)
        if handler is None or not callable(knows) or not knows(turn.inbound.text or "", services=False):
            return None
        return handler if self._named_place(turn) is None else None

    # ------------------------------------------------------------------ where the person is
    def _origin(self, turn: Turn) -> GeoPoint | None:
        if turn.inbound.location is not None:
            return turn.inbound.location if in_guide_area(turn.inbound.location) else None
        conv = turn.conversation
        if conv.last_location is None or conv.last_location_at is None or not in_guide_area(conv.last_location):
            return None
        age = as_utc(turn.inbound.received_at) - as_utc(conv.last_location_at)  # both stamped by the pipeline
        return conv.last_location if age <= self.location_max_age else None

    def _has_stale_location(self, turn: Turn) -> bool:
        last = turn.conversation.last_location
        return last is not None and in_guide_area(last) and self._origin(turn) is None

    def _named_place(self, turn: Turn) -> Poi | None:
        """A sight named by the NLU entities or, closely enough, in the message itself; a generic name ("the
        archaeological museum") means the one near the person's fresh location, if there is one."""
        origin = self._origin(turn)
        for entity in ("sight", "location"):
            value = turn.nlu.entity(entity)
            if value and (match := self.catalogue.best_match(value)) is not None:
                return self.catalogue.nearest_namesake(match, origin)
        if turn.inbound.text:
            matches = self.catalogue.matcher.match(turn.inbound.text, limit=1)
            if matches and matches[0].score >= PLACE_MIN_SCORE:
                return self.catalogue.nearest_namesake(matches[0], origin)
        return None

    # ------------------------------------------------------------------ answers
    def _menu(self, turn: Turn, key: str = "tourism.menu") -> Outcome:
        return Outcome([Reply(turn.texts(key), buttons=_menu_buttons(turn))], flow=_keep_or_end(turn, self.name))

    def _unknown_button(self, turn: Turn) -> Outcome:
        return self._menu(turn, "tourism.unknown_button")

    def _outside(self, turn: Turn) -> Outcome:
        return Outcome([Reply(turn.texts("tourism.outside_area"), request_location=True)], flow=KEEP)

    def _ask_location(self, turn: Turn, kind: str, *, expired: bool = False, nearest: bool = False) -> Outcome:
        t = turn.texts
        flow = turn.conversation.flow
        if flow is not None and flow.name != self.name:
            # Another flow (a complaint) is waiting for its own answers, maybe a location: do not ask for one here,
            # it would land in that flow. Offer the best-known list or a typed place instead.
            if kind != "nearby":
                return self._list(turn, kind, 0, origin=None)
            return Outcome([Reply(t("tourism.ask_place"), buttons=_menu_buttons(turn))], flow=KEEP)
        if nearest:
            reply = Reply(t("tourism.ask_location_nearest"), request_location=True,
                          buttons=(Button(t("tourism.button_best_known"), f"tour:more:{kind}:0"),))
        else:
            reply = Reply(t("tourism.location_expired") if expired else t("tourism.ask_location"),
                          request_location=True)
        return Outcome([reply], flow=FlowState(self.name, AWAIT_LOCATION, {"kind": kind}))

    def _list(self, turn: Turn, kind: str, offset: int, *, origin: GeoPoint | None = None,
              place: Poi | None = None) -> Outcome:
        t = turn.texts
        categories = KINDS[kind]
        if place is not None:
            origin = place.point
        if origin is None and kind == "nearby":
            return self._ask_location(turn, kind, expired=self._has_stale_location(turn))

        if origin is not None:
            skip = place.id if place is not None else None  # a place is not "near" itself
            total = sum(1 for p in self.catalogue.of(categories) if p.id != skip)
            found = self.catalogue.nearest(origin, categories, limit=offset + self.page_size + (skip is not None))
            entries: list[tuple[Poi, float | None]] = [
                (p, d) for p, d in found if p.id != skip][offset:offset + self.page_size]
        else:
            ranked = self.catalogue.best_known(categories)
            total = len(ranked)
            entries = [(p, None) for p in ranked[offset:offset + self.page_size]]
        if not entries:
            return self._unknown_button(turn)

        first, last = offset + 1, offset + len(entries)
        if place is not None:
            title = t(f"tourism.title_{kind}_from", place=place.name(turn.lang), first=first, last=last, total=total)
        elif origin is not None:
            key = "tourism.title_nearby" if kind == "nearby" else f"tourism.title_{kind}_near"
            title = t(key, first=first, last=last, total=total)
        else:
            title = t(f"tourism.title_{kind}_top", first=first, last=last, total=total)

        lines = [title, ""]
        pins: list[Pin] = []
        for n, (poi, distance) in enumerate(entries, start=first):
            name = poi.name(turn.lang)
            category = t(f"tourism.categories.{poi.category.value}")
            pin = Pin(name, poi.lat, poi.lon)
            if distance is None:
                lines.append(t("tourism.item_no_distance", n=n, name=name, category=category, url=pin.map_url))
                address = category
            else:
                shown = format_distance(distance, turn)
                lines.append(t("tourism.item", n=n, name=name, distance=shown, category=category, url=pin.map_url))
                address = f"{shown} · {category}"
            pins.append(Pin(name, poi.lat, poi.lon, address))
        if origin is not None:
            lines += ["", t("tourism.straight_line")]
        lines.append(t("tourism.tap_for_details"))

        buttons = [Button(_label(t("tourism.button_details", name=p.name(turn.lang))), f"tour:info:{p.id}")
                   for p, _ in entries]
        if last < total:
            more = f"tour:more:{kind}:{last}" + (f":{place.id}" if place is not None else "")
            buttons.append(Button(t("tourism.button_more"), more))
        if origin is None:
            buttons.append(Button(t("tourism.button_nearest_first"), f"tour:loc:{kind}"))
        listing = Reply("\n".join(lines), buttons=tuple(buttons), location=pins[0])  # the top result's pin
        return Outcome([listing], flow=_keep_or_end(turn, self.name))

    def _no_food(self, turn: Turn, place: Poi | None) -> Outcome:
        """No restaurants in the guide: say so plainly, then what there is to see there (or the guide's menu)."""
        note = turn.texts("tourism.no_food")
        origin = self._origin(turn)
        if place is None and origin is None:
            return Outcome([Reply(note, buttons=_menu_buttons(turn))], flow=_keep_or_end(turn, self.name))
        outcome = self._list(turn, "nearby", 0, origin=origin, place=place)
        first = outcome.replies[0]
        outcome.replies[0] = replace(first, text=f"{note}\n\n{first.text}")
        return outcome

    def _open_on(self, turn: Turn, kind: str) -> Outcome:
        """"Museums open on Monday": the sights with opening hours, open that day (hours) and closed (names)."""
        t, lang = turn.texts, turn.lang
        text = turn.inbound.text or ""
        now = turn.services.clock()
        today = today_in_athens(now)
        day = asked_day(text, today) or today
        museums = names_museums(text)
        categories = frozenset({Category.MUSEUM}) if museums else KINDS[kind]
        with_hours = [p for p in self.catalogue.best_known(categories)
                      if p.opening is not None and not p.opening.always_open]
        if not with_hours:
            return self._list(turn, kind, 0, origin=self._origin(turn))
        shown_day = format_date(day, "EEEE d MMMM", locale=lang)
        if day == today:
            shown_day = t("tourism.today_day", day=shown_day)
        what = "museums" if museums else kind
        lines = [t(f"tourism.open_on_title_{what}", day=shown_day), ""]
        opened: list[Poi] = []
        closed: list[str] = []
        for poi in with_hours:
            assert poi.opening is not None
            if day == today:  # asked today: what is open now or opens later, not what opened this morning
                current = opening_now(poi.opening, now)
                answer = current.today
                state = {"open": "open_now", "not_yet_open": "opens_later"}.get(current.state)
            else:
                answer = opening_on(poi.opening, day)
                state = "open" if answer.status == "open" else None
            if state is None:
                closed.append(poi.name(lang))
                continue
            opened.append(poi)
            assert answer.open is not None and answer.close is not None
            times = {"n": len(opened), "name": poi.name(lang), "open": f"{answer.open:%H:%M}",
                     "close": f"{answer.close:%H:%M}"}
            if answer.last_entry is not None:
                times["last_entry"] = f"{answer.last_entry:%H:%M}"
                lines.append(t(f"tourism.open_on_item_{state}_last_entry", **times))
            else:
                lines.append(t(f"tourism.open_on_item_{state}", **times))
        if not opened:
            lines.append(t("tourism.open_on_none_today" if day == today else "tourism.open_on_none"))
        if closed:
            key = "tourism.open_on_closed_today" if day == today else "tourism.open_on_closed"
            lines += ["", t(key, names=", ".join(closed))]
        lines += ["", t("tourism.hours_unverified")]
        if opened:
            lines.append(t("tourism.tap_for_details"))
        buttons = tuple(Button(_label(t("tourism.button_details", name=p.name(lang))), f"tour:info:{p.id}")
                        for p in opened[:MAX_DETAIL_BUTTONS])
        return Outcome([Reply("\n".join(lines), buttons=buttons or _menu_buttons(turn))],
                       flow=_keep_or_end(turn, self.name))

    def _sight_info(self, turn: Turn) -> Outcome:
        t = turn.texts
        poi = None
        value = turn.nlu.entity("sight")
        if value:
            poi = self.catalogue.find(value)
        if poi is None and turn.inbound.text:
            poi = self.catalogue.find(turn.inbound.text)
        if poi is not None:
            return self._info(turn, poi)
        suggestions = self.catalogue.matcher.suggest(value or turn.inbound.text)
        if suggestions:
            buttons = tuple(Button(_label(f"{ICONS[p.category]} {p.name(turn.lang)}"), f"tour:info:{p.id}")
                            for p in suggestions)
            return Outcome([Reply(t("tourism.did_you_mean"), buttons=buttons)], flow=_keep_or_end(turn, self.name))
        return self._menu(turn, "tourism.not_found")

    def _info(self, turn: Turn, poi: Poi) -> Outcome:
        t, lang = turn.texts, turn.lang
        name = poi.name(lang)
        heading = f"{ICONS[poi.category]} {name}"
        if lang == "en" and poi.name.el != poi.name.en:
            heading += f" ({poi.name.el})"  # the Greek name, as written on road signs
        category = t(f"tourism.categories.{poi.category.value}")
        lines = [heading, category, "", poi.description(lang), ""]
        practical = poi.practical
        for field in ("season", "hours", "tickets", "access"):
            value = getattr(practical, field)
            if value is not None:
                lines.append(t(f"tourism.info_{field}", text=value(lang)))
        if poi.opening is not None:
            now = opening_now(poi.opening, turn.services.clock())
            lines.append(t("tourism.hours_today", text=self._now_text(turn, now)))
        lines += self._card_transport(turn, poi)
        if practical.hours is not None or practical.tickets is not None or poi.opening is not None:
            lines.append(t("tourism.info_check"))
        pin = Pin(name, poi.lat, poi.lon, category)
        lines += ["", t("tourism.info_map", url=pin.map_url)]
        buttons: tuple[Button, ...] = ()
        if poi.category is not Category.TRANSPORT_HUB:
            buttons = (Button(t("tourism.button_around"), f"tour:more:nearby:0:{poi.id}"),)
        reply = Reply("\n".join(lines), buttons=buttons, location=pin, image=self._photo_url(turn, poi))
        return Outcome([reply], flow=_keep_or_end(turn, self.name))

    def _card_transport(self, turn: Turn, poi: Poi) -> list[str]:
        """A sight card's bus and boat lines: the kind of bus, the boat and where it leaves from."""
        t, lang = turn.texts, turn.lang
        lines = []
        if poi.bus is not None:
            lines.append(t("tourism.info_bus", text=t(f"tourism.bus_{poi.bus.service}")))
        if poi.boat is not None and (port := self.catalogue.get(poi.boat.board_at)) is not None:
            key = "tourism.boat_back" if poi.boat.way == "back" else "tourism.boat_there"
            lines.append(t(key, route=poi.boat.route(lang), port=port.name(lang)))
        elif poi.bus is None and poi.category is not Category.TRANSPORT_HUB:
            no_road = poi.practical.access is not None  # the access note says how (a path, a dirt road)
            lines.append(t("tourism.info_bus", text=t("tourism.bus_none_short" if no_road else "tourism.bus_none")))
        return lines

    def _photo_url(self, turn: Turn, poi: Poi) -> str | None:
        """The sight's first uploaded photo (a public URL: Telegram and Viber fetch it; the web chat's page is served
        by this service, so a path of the same origin, whichever address the visitor used), else its ``photo``."""
        uploaded = self.catalogue.photos.get(poi.id)
        if uploaded:
            path = photo_path(uploaded[0], "card")
            if turn.inbound.channel == "webchat":
                return path
            base = (turn.services.settings.public_url or "").rstrip("/")
            if base:
                return base + path
        return str(poi.photo) if poi.photo is not None else None

    def _getting_to(self, turn: Turn, place: Poi) -> Outcome:
        """Walking from the centre for sights in town; the bus line, stop and season; the boat and where to board
        it; what to check; one pin where to set off (the bus station, the port, the centre or the taxi rank)."""
        t, lang = turn.texts, turn.lang
        lines = [t("tourism.transport_to_sight", name=place.name(lang), bus="").rstrip()]
        if place.opening is not None:  # "how do I get to the gorge (tomorrow)?" in December: closed then (QA F27)
            today = today_in_athens(turn.services.clock())
            day = asked_day(turn.inbound.text or "", today) or today
            if opening_on(place.opening, day).reason == "out_of_season":
                lines.append(t("tourism.way_out_of_season", day=format_date(day, "EEEE d MMMM", locale=lang)))
        centre = self.catalogue.centre
        straight = haversine_m(centre.point, place.point)
        board: Poi | None = None
        checks: list[str] = []
        unverified = False
        if straight <= WALK_RADIUS_M:
            walk = straight * WALK_DETOUR
            lines.append(t("tourism.walk", distance=format_distance(walk, turn),
                           minutes=max(1, _half_up(walk / WALK_M_PER_MIN))))
            board = centre
        bus, boat = place.bus, place.boat
        if bus is not None and (straight > WALK_RADIUS_M or bus.line.en != "City bus (blue)"):
            key = "tourism.bus_route_city" if bus.service == "city" else "tourism.bus_route_ktel"
            lines.append(t(key, line=bus.line(lang), stop=bus.stop(lang)))
            if bus.season is not None:
                lines.append(t("tourism.bus_route_season", season=bus.season(lang)))
            if bus.service != "city":
                checks.append(t("tourism.bus_route_check"))
                board = self.catalogue.get("ktel_station") or board
            else:
                board = board or centre
            unverified = not bus.verified
        if boat is not None and (port := self.catalogue.get(boat.board_at)) is not None:
            if bus is None and boat.way == "there" and port.bus is not None and port.bus.service != "city":
                lines.append(t("tourism.bus_to_port", port=port.name(lang), line=port.bus.line(lang)))
            key = "tourism.boat_back" if boat.way == "back" else "tourism.boat_there"
            lines.append(t(key, route=boat.route(lang), port=port.name(lang)))
            if boat.season is not None:
                lines.append(t("tourism.boat_season", season=boat.season(lang)))
            checks.append(t("tourism.boat_check"))
            board = board or port
            unverified = unverified or not boat.verified
        elif bus is None and straight > WALK_RADIUS_M:
            if place.practical.access is not None:  # "on foot only, E4 path": not "taxi or car"
                lines += [t("tourism.bus_none_short"), t("tourism.info_access", text=place.practical.access(lang))]
                board = place
            else:
                lines.append(t("tourism.bus_none"))
                board = self.catalogue.get("taxi_rank")
        lines += checks
        if unverified:
            lines.append(t("tourism.transport_unverified"))
        buttons = (Button(_label(t("tourism.button_details", name=place.name(lang))), f"tour:info:{place.id}"),
                   Button(t("tourism.button_transport"), "tour:transport"))
        pin = Pin(board.name(lang), board.lat, board.lon) if board is not None else None
        return Outcome([Reply("\n".join(lines), buttons=buttons, location=pin)], flow=_keep_or_end(turn, self.name))

    def _hours(self, turn: Turn, poi: Poi) -> Outcome:
        """The opening hours on the day asked (today when none is named), or what is known."""
        t, lang = turn.texts, turn.lang
        name = poi.name(lang)
        buttons = (Button(_label(t("tourism.button_details", name=name)), f"tour:info:{poi.id}"),)
        opening = poi.opening or (OPEN_AIR_OPENING if poi.category in OPEN_AIR else None)
        if opening is None:
            lines = [t("tourism.hours_unknown", name=name)]
            if poi.practical.hours is not None:
                lines.append(t("tourism.info_hours", text=poi.practical.hours(lang)))
            lines.append(t("tourism.info_check"))
            return Outcome([Reply("\n".join(lines), buttons=buttons)], flow=_keep_or_end(turn, self.name))
        now = turn.services.clock()
        today = today_in_athens(now)
        day = asked_day(turn.inbound.text or "", today) or today
        shown_day = format_date(day, "EEEE d MMMM", locale=lang)
        if day == today:  # "is it open?" asked today is about now: open now, not yet, or closed for the day
            current = opening_now(opening, now)
            answer = current.today
            lines = [t("tourism.hours_title_today", name=name, day=shown_day), self._now_text(turn, current)]
        else:
            answer = opening_on(opening, day)
            lines = [t("tourism.hours_title", name=name, day=shown_day), self._day_text(turn, answer)]
        if answer.reason in ("out_of_season", "weekday"):
            lines += ["", *self._seasons_text(turn, opening)]
        if answer.status == "always_open":  # a beach: no hours to confirm, but the season of its boats or bus
            if poi.practical.season is not None:
                lines.append(t("tourism.info_season", text=poi.practical.season(lang)))
        elif not answer.verified:
            lines.append(t("tourism.hours_unverified"))
        pin = Pin(name, poi.lat, poi.lon, t(f"tourism.categories.{poi.category.value}"))
        lines += ["", t("tourism.info_map", url=pin.map_url)]
        return Outcome([Reply("\n".join(lines), buttons=buttons, location=pin)], flow=_keep_or_end(turn, self.name))

    @staticmethod
    def _day_text(turn: Turn, answer: DayAnswer) -> str:
        t = turn.texts
        if answer.status == "always_open":
            return t("tourism.hours_always_open")
        if answer.status == "open":
            assert answer.open is not None and answer.close is not None
            text = t("tourism.hours_open", open=f"{answer.open:%H:%M}", close=f"{answer.close:%H:%M}")
            if answer.last_entry is not None:
                text += " " + t("tourism.hours_last_entry", time=f"{answer.last_entry:%H:%M}")
            return text
        if answer.reason in ("holiday", "closed_day"):
            holiday = holiday_name(answer.day, turn.lang)
            return t("tourism.hours_closed_holiday", holiday=holiday) if holiday else t("tourism.hours_closed_day")
        if answer.reason == "weekday":
            return t("tourism.hours_closed_weekday")
        return t("tourism.hours_out_of_season")

    @classmethod
    def _now_text(cls, turn: Turn, now: NowAnswer) -> str:
        """Today's answer at this moment: "open now until 16:00 (last entry 15:30)", "opens at 08:30", "closed now
        (it closed at 16:00; opens again tomorrow 08:30–16:00)", or the day's reason for being closed."""
        t, today = turn.texts, now.today
        if now.state in ("always_open", "closed_today"):
            text = cls._day_text(turn, today)
            if now.next_open is not None:
                text += " " + t("tourism.hours_opens_again", next=cls._next_text(turn, now.next_open))
            return text
        assert today.open is not None and today.close is not None
        times = {"open": f"{today.open:%H:%M}", "close": f"{today.close:%H:%M}",
                 "last_entry": f"{today.last_entry:%H:%M}" if today.last_entry is not None else ""}
        with_last = "_last_entry" if today.last_entry is not None else ""
        if now.state == "open":
            return t(f"tourism.hours_now_open{with_last}", **times)
        if now.state == "not_yet_open":
            return t(f"tourism.hours_now_not_yet_open{with_last}", **times)
        key = "tourism.hours_now_last_entry_passed" if now.state == "last_entry_passed" else "tourism.hours_now_closed"
        if now.next_open is None:
            return t(f"{key}_no_next", **times)
        return t(key, next=cls._next_text(turn, now.next_open), **times)

    @staticmethod
    def _next_text(turn: Turn, day: DayAnswer) -> str:
        """``tomorrow 08:30–16:00`` or ``Monday 7 December, 09:00–15:30``: the next day a sight opens."""
        return next_opening_text(turn.texts, day, today_in_athens(turn.services.clock()), "tourism.hours_")

    @staticmethod
    def _seasons_text(turn: Turn, opening: Opening) -> list[str]:
        t, lang = turn.texts, turn.lang
        names = get_day_names("abbreviated", locale=lang)
        lines = [t("tourism.hours_seasons")]
        for season in opening.seasons:
            start, end = (date(2000, int(v[:2]), int(v[3:])) for v in (season.start, season.end))
            days = (t("tourism.hours_every_day") if len(set(season.days)) == len(WEEKDAYS)
                    else ", ".join(names[WEEKDAY_INDEX[d]] for d in season.days))
            lines.append(t("tourism.hours_season", start=format_date(start, "d MMMM", locale=lang),
                           end=format_date(end, "d MMMM", locale=lang), days=days,
                           open=f"{season.open:%H:%M}", close=f"{season.close:%H:%M}"))
        return lines

    def _transport(self, turn: Turn, *, from_button: bool = False) -> Outcome:
        t, lang = turn.texts, turn.lang
        place = None if from_button else self._named_place(turn)
        if place is not None and place.category is Category.TRANSPORT_HUB:
            return self._info(turn, place)
        if place is not None:  # "how do I get to Elafonisi?"
            return self._getting_to(turn, place)

        hubs = self.catalogue.hubs()
        lines = [t("tourism.transport_title"), "", self.catalogue.transport.intro(lang), ""]
        for hub in hubs:
            pin = Pin(hub.name(lang), hub.lat, hub.lon)
            lines += [f"{ICONS[hub.category]} {hub.name(lang)}", hub.description(lang),
                      t("tourism.info_map", url=pin.map_url), ""]
        served = self.catalogue.served_by_bus()
        lines.append(t("tourism.transport_served"))
        for service in ("city", "ktel", "ktel_summer"):
            if served[service]:
                names = ", ".join(p.name(lang) for p in served[service])
                lines.append(t(f"tourism.transport_served_{service}", names=names))
        if boats := self.catalogue.served_by_boat():
            lines.append(t("tourism.transport_served_boat", names=", ".join(p.name(lang) for p in boats)))
        lines += ["", t("tourism.transport_timetables")]
        first = hubs[0]  # one pin: the central bus station
        pin = Pin(first.name(lang), first.lat, first.lon, t("tourism.categories.transport_hub"))
        return Outcome([Reply("\n".join(lines), buttons=_menu_buttons(turn), location=pin)],
                       flow=_keep_or_end(turn, self.name))


# ---------------------------------------------------------------------- helpers
def in_guide_area(point: GeoPoint) -> bool:
    """Is a shared location inside the guide's area (the regional unit of Chania, as the catalogue's bounds)?"""
    return BBOX_LAT[0] <= point.lat <= BBOX_LAT[1] and BBOX_LON[0] <= point.lon <= BBOX_LON[1]


def _keep_or_end(turn: Turn, name: str) -> Any:
    """An answer given outside our flow leaves another handler's flow alone, and ends our own stale one."""
    flow = turn.conversation.flow
    return None if flow is not None and flow.name == name else KEEP


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1].rstrip() + "…"


def _menu_buttons(turn: Turn) -> tuple[Button, ...]:
    t = turn.texts
    return (
        Button(t("tourism.button_nearby"), "tour:more:nearby:0"),
        Button(t("tourism.button_beaches"), "tour:more:beaches:0"),
        Button(t("tourism.button_culture"), "tour:more:culture:0"),
        Button(t("tourism.button_nature"), "tour:more:nature:0"),
        Button(t("tourism.button_transport"), "tour:transport"),
    )


def format_distance(metres: float, turn: Turn) -> str:
    """``350 m`` / ``2.4 km`` / ``38 km`` (``2,4 χλμ.`` in Greek)."""
    t = turn.texts
    if metres < 1000:
        return t("tourism.distance_m", value=max(10, _half_up(metres / 10) * 10))
    km = metres / 1000
    if km < 10:
        value = f"{_half_up(km * 10) / 10:.1f}".replace(".", t("tourism.decimal_separator"))
    else:
        value = str(_half_up(km))
    return t("tourism.distance_km", value=value)


def _half_up(x: float) -> int:
    return math.floor(x + 0.5)  # 345 m is "350 m", not the banker's "340 m"


def _with_language_note(turn: Turn, outcome: Outcome) -> Outcome:
    """Other languages get English with a short note (Telegram ``language_code`` / Viber ``language`` hint)."""
    hint = (turn.inbound.language_hint or "").replace("_", "-").split("-")[0].lower()
    if turn.lang != "en" or not hint or hint in ("el", "en"):
        return outcome
    for i, reply in enumerate(outcome.replies):
        if reply.text:
            note = turn.texts("tourism.other_language")
            outcome.replies[i] = replace(reply, text=f"{note}\n\n{reply.text}")
            break
    return outcome


def create_handler(services: Services) -> TourismHandler:
    catalogue = services.extras.get("pois")
    if not isinstance(catalogue, Catalogue):
        catalogue = services.extras["pois"] = Catalogue.load()
    return TourismHandler(catalogue)
