"""Residents file complaints: a guided report that ends with a reference number, and status checks.

The flow (state in the conversation document, so a restart or another instance carries on):

1. a complaint intent starts it; the message is the description (the first 2,000 characters). The understood
   category is stated with a button to change it; when NLU is unsure the category buttons are shown instead.
2. the place: a shared pin (must lie inside the municipality) or typed street/area (a known place outside the
   municipality is refused); a ``location`` entity in the first message is offered back for confirmation.
   A typed address goes to the geocoder (when configured) and comes back as a pin to confirm; otherwise (no
   geocoder, not found, declined) the text is kept and the spot on the map is asked for once (``pin`` step:
   the location button, or "continue without" / "skip" / "δεν έχω" — never blocking).
   With a pin, an open ticket of the same category nearby is offered to follow instead of a new one.
3. optional photos (≤ 10 MB each), 4. an optional call-back phone, asked only after a consent button,
5. a summary with Submit / Edit / Cancel.

Which step comes next is derived from what the slots still miss (:func:`_next_step`), so editing one answer
from the summary asks only that again. Buttons carry the flow's nonce (``cmp:<nonce>:<action>[:<arg>]``): a
button from an old, finished flow gets "that report is already closed". ``check_status`` lists the person's
tickets or shows one by reference — only to the conversation that filed (or follows) it.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import tickets
from bot.alerts import notices as alert_notices
from bot.alerts.areas import alert_areas
from bot.alerts.broadcast import period_text
from bot.core.geo import haversine_m
from bot.core.i18n import Texts
from bot.core.latin import greek_to_latin, has_greek
from bot.core.models import Attachment, Button, GeoPoint, Pin, Reply
from bot.core.services import Services
from bot.guide.catalogue import Catalogue, Poi
from bot.tickets import phones
from bot.tickets.boundary import Municipality, municipality
from bot.tickets.categories import Attribute, Categories, categories
from bot.tickets.geocoding import geocoder_of
from handlers.answers import place_from_entities, place_kind, skips, yes_or_no
from handlers.base import KEEP, FlowState, Handler, Outcome, Turn
from handlers.urgency import is_urgent
from nlu.chania_text import normalize

if TYPE_CHECKING:
    from handlers.registry import HandlerRegistry

log = logging.getLogger(__name__)

MUNICIPAL_INTENT = "municipal_info"  # questions about the municipality's offices (handlers/municipal.py)

FLOW = "complaints"
PREFIX = "cmp"
MAX_TEXT = tickets.MAX_DESCRIPTION  # 2,000 characters
MAX_ADDRESS = 300
MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 10 * 1024 * 1024
STATUS_LIST_LIMIT = 5

# Intents that interrupt a flow (answered by their handler, then the flow is offered again) ...
_INTERRUPTING = frozenset({"help", "check_status", "greet", "thanks", "goodbye", "out_of_scope", "tourist_nearby",
                           "tourist_beaches", "tourist_culture", "tourist_nature", "tourist_sight_info",
                           "tourist_transport", "talk_to_human", MUNICIPAL_INTENT})
# ... except where a typed answer is expected: a place name is an answer to "where?", not a tourist question,
# and a typed address is often "out of scope" for NLU.
_ANSWERS_TO_WHERE = frozenset({"tourist_nearby", "tourist_sight_info", "out_of_scope", MUNICIPAL_INTENT})

# A typed "where" answer is not a question: a question mark (Greek ";" too) or a question word first says it is one.
_AFTER_PLACE = frozenset({"photos", "phone_consent", "phone", "summary"})  # the place is settled by then
_QUESTION_MARKS = ("?", ";", "\u037e")
_QUESTION_WORDS = frozenset({"what", "where", "which", "how", "can", "is", "are", "do", "when", "τι", "που", "πως",
                             "ποιο", "ποια", "ποιος", "ποιες", "ποιοι", "ποτε", "ιντα", "μπορω", "μπορειτε", "ti",
                             "pou", "pos", "poio", "poia", "pote", "inta"})

# "why was it rejected?": answered with the last status and its note, whatever NLU made of it
WHY_PHRASES = ("γιατί απορρίφθηκε", "γιατί απορρίφθηκε η αναφορά μου", "γιατί απορρίψατε την αναφορά μου",
               "γιατί την απορρίψατε", "giati aporrifthike", "why was it rejected", "why was my report rejected",
               "why was my complaint rejected", "why did you reject it", "why did you reject my report")
_WHY_WORDS = frozenset({"γιατι", "giati", "why", "logos", "λογοσ", "reason"})
_REJECT_STEMS = ("απορριφ", "απορριψ", "απερριψ", "aporrif", "aporrip", "reject", "κλεισατε", "closed")

# A second problem in the same message ("rubbish on Νεάρχου and a pothole too"): the second complaint intent of
# the ranking, if NLU gives it at least this and the message joins two things.
SECOND_PROBLEM_MIN_CONFIDENCE = 0.1
_JOINING_WORDS = frozenset({"και", "επισησ", "επιπλεον", "ακομα", "kai", "ke", "episis", "and", "also", "too",
                            "plus", "as", "well"})


def asks_why_rejected(text: str) -> bool:
    words = normalize(text).replace(";", " ").replace("?", " ").split()
    return any(w in _WHY_WORDS for w in words) and any(w.startswith(_REJECT_STEMS) for w in words)


def place_label(place: str, lang: str) -> str:
    """A place as the person reads it: for English, a Greek name in Latin script first, then as written."""
    if lang == "en" and has_greek(place):
        return f"“{greek_to_latin(place)}” ({place})"
    return f"«{place}»" if lang == "el" else f"“{place}”"


def _point(slots: dict[str, Any]) -> GeoPoint | None:
    p = slots.get("point")
    return GeoPoint(p["lat"], p["lon"]) if p else None


def _only_an_area(slots: dict[str, Any]) -> bool:
    """The typed place is a whole area ("Ακρωτήρι", "στη Χαλέπα") and there is no point on the map (QA F28)."""
    return not slots.get("point") and bool(slots.get("address")) and \
        alert_areas().only_an_area(slots["address"]) is not None


def _is_question(text: str) -> bool:
    """Ends with a question mark (Greek ";" too) or starts with a question word."""
    text = text.strip()
    words = normalize(text).split()
    return text.endswith(_QUESTION_MARKS) or bool(words and words[0] in _QUESTION_WORDS)


class ComplaintsHandler:
    name = FLOW
    button_prefix = PREFIX
    phrases = WHY_PHRASES

    def __init__(self, cats: Categories | None = None, area: Municipality | None = None) -> None:
        self.categories = cats or categories()
        self.area = area or municipality()
        self._sights: Catalogue | None = None
        self.intents = frozenset(self.categories.intents | {"check_status"})
        self.registry: HandlerRegistry | None = None  # set by the registry: office questions go to their handler

    # ================================================================= entry points (handlers/base.py)
    async def handle(self, turn: Turn) -> Outcome:
        button = turn.inbound.button
        if button and button.startswith(f"{PREFIX}:"):
            return await self._button(turn, button.split(":")[1:])
        intent = turn.nlu.intent
        if asks_why_rejected(turn.inbound.text):
            return await self._why(turn)
        if intent == "check_status":
            return await self._status(turn)
        if intent in self.categories:
            return await self._start(turn, intent)
        return await self._start(turn, None)  # routed here without a category: ask for it

    async def photo_first(self, turn: Turn) -> Outcome:
        """A photo with no words, outside any flow (the usual order on a phone, QA F38): the photo is kept for a new
        report and the resident is asked what it shows; the answer starts the report as a first message would."""
        slots = self._new_slots(None, turn.inbound.received_at)
        replies = self._take_photos(slots, turn.inbound.attachments, turn.texts)
        if slots["photos"]:
            replies.append(Reply(turn.texts("complaints.photo_kept", count=len(slots["photos"]))))
        return await self._proceed(turn, slots, replies, step="photo_first")

    async def continue_flow(self, turn: Turn) -> Outcome | None:
        flow = turn.conversation.flow
        if flow is None or flow.name != FLOW:
            return None
        slots = dict(flow.slots)
        step = flow.step
        inbound = turn.inbound
        t = turn.texts
        replies: list[Reply] = []

        if inbound.attachments:
            before = len(slots.get("photos") or ())
            replies += self._take_photos(slots, inbound.attachments, t)
            added = len(slots["photos"]) - before
            if added and step != "photos":
                replies.append(Reply(t("complaints.photo_kept", count=len(slots["photos"]))))
        if inbound.location is not None:
            return await self._place_answer(turn, slots, replies, point=inbound.location)
        if inbound.contact_phone and step == "phone":
            return await self._phone_answer(turn, slots, replies, inbound.contact_phone)
        text = inbound.text.strip()

        if not text or (inbound.attachments and step not in ("location", "description", "photo_first")):
            # a photo (its caption answers only a typed question such as the address), a sticker …: ask again
            return await self._proceed(turn, slots, replies, step=step)
        if step == "photo_first":  # what the photo shows: the report starts from these words, with the photos
            intent = turn.nlu.intent if turn.nlu.ok else None
            if intent is None or turn.low_confidence or intent in self.categories:
                return await self._start(turn, intent if intent in self.categories else None, carried=slots)
            return None  # another request ("τι ώρα ανοίγει…"): answered, then the question is asked again
        pressed = self._typed_label(turn, step, slots, text)
        if pressed is not None:  # "αλλαγη", "Submit", "συνεχεια χωρις σημειο": typed instead of tapped
            return await self._act(turn, slots, pressed[0], pressed[1], replies)
        if step == "location":
            answered = await self._place_words(turn, slots, replies, text)
            if answered is not None:
                return answered
        if self._interrupts(turn, step):
            return None

        if step == "location":
            return await self._place_answer(turn, slots, replies, text=text)
        if step == "description":
            replies += self._set_description(slots, text, t)
            return await self._proceed(turn, slots, replies)
        if step == "phone":
            return await self._phone_answer(turn, slots, replies, text)

        if step == "pin" and _only_an_area(slots):  # a street or a landmark typed now is the report's place
            if place_kind(text, turn.nlu) == "place" and not skips(text):
                slots["address"] = None
                return await self._place_answer(turn, slots, replies, text=text)
            return await self._proceed(turn, slots, replies, step="pin")
        # a step answered with buttons: accept yes / no in words, a corrected category, else point at the buttons
        if step == "pin" and skips(text):
            return await self._act(turn, slots, "nopin", None, replies)
        intent = turn.nlu.intent if not turn.low_confidence else None
        if step == "category" and intent in self.categories:
            slots["category"] = intent
            return await self._proceed(turn, slots, replies)
        if intent in self.categories:
            replies.append(Reply(t("complaints.one_at_a_time")))
            return await self._proceed(turn, slots, replies, step=step)
        said = yes_or_no(text, turn.nlu)
        if said is not None:
            action = _WORD_ACTIONS.get((step, "affirm" if said else "deny"))
            if action is not None:
                return await self._act(turn, slots, action[0], action[1], replies)
        if step == "pin":  # a yes, or words: say how to send the spot, or go on without it
            replies.append(Reply(t("complaints.pin_how", button=t("complaints.no_pin"))))
        else:
            replies.append(Reply(t("complaints.use_buttons")))
        return await self._proceed(turn, slots, replies, step=step)

    async def resume_prompt(self, turn: Turn) -> list[Reply]:
        flow = turn.conversation.flow
        if flow is None or flow.name != FLOW:
            return []
        prompts = self._prompt_replies(turn, flow.step, dict(flow.slots))
        if not prompts:
            return []
        first = prompts[0]
        intro = Reply(f"{turn.texts('complaints.resume')}\n{first.text}", buttons=first.buttons,
                      request_location=first.request_location, request_contact=first.request_contact)
        return [intro, *prompts[1:]]

    async def take_shared(self, turn: Turn, location: GeoPoint | None,
                          attachments: Sequence[Attachment]) -> Outcome | None:
        """After a staff hand-back: what the resident sent staff during the take-over, for the held report (now the
        running flow) as if sent now — the photos, and the location when the report has no place yet. ``None`` when
        none of it applies (handlers/handoff.py then simply offers the report again)."""
        flow = turn.conversation.flow
        if flow is None or flow.name != FLOW:
            return None
        if flow.slots.get("point") or flow.slots.get("address"):
            location = None
        if location is None and not attachments:
            return None
        slots = dict(flow.slots)
        replies = self._take_photos(slots, attachments, turn.texts)  # only a photo refused says something
        if location is not None:
            return await self._place_answer(turn, slots, replies, point=location)
        return await self._proceed(turn, slots, replies, step=flow.step)

    # ================================================================= starting a report
    async def _start(self, turn: Turn, intent: str | None, *, carried: dict[str, Any] | None = None) -> Outcome:
        """``carried``: the slots of a report begun with a photo (its photos and start time are kept)."""
        t = turn.texts
        asked_first = bool(_SCHEDULE_QUESTION.match(normalize(turn.inbound.text).strip())) and not carried
        if asked_first and (office_answer := self._office_handler(turn, turn.inbound.text)) is not None:
            return await office_answer.handle(turn)  # "τι ώρα κλείνει το δημαρχείο;": a question, answered as one
        replies: list[Reply] = [Reply(t("system.emergency"))] if is_urgent(turn.inbound.text) else []
        sure = intent is not None and not turn.low_confidence
        slots = self._new_slots(intent if sure else None, (carried or {}).get("started_at") or turn.inbound.received_at)
        slots["photos"] = list((carried or {}).get("photos") or ())
        slots["second_category"] = self._second_problem(turn, intent) if sure else None
        slots["asked_first"] = asked_first
        replies += self._set_description(slots, turn.inbound.text, t)
        if turn.inbound.attachments:
            replies += self._take_photos(slots, turn.inbound.attachments, t)
        if sure:
            cat = self.categories[intent]  # type: ignore[index]
            replies.append(Reply(t("complaints.understood", category=cat.name(t.lang)),
                                 buttons=(self._button_for(slots, t("complaints.change_category"), "chcat"),)))
        place = place_from_entities(turn.inbound.text, turn.nlu)
        sight = None if place else self._sight_named(turn)
        if sight is not None and not self.area.contains(sight.point):
            replies.append(Reply(t("complaints.outside")))
        elif sight is not None:  # "λακκούβα έξω από τη Δημοτική Αγορά": the guide knows where that is
            slots["suggested_place"] = sight.name("el")[:MAX_ADDRESS]
            slots["suggested_point"] = {"lat": sight.lat, "lon": sight.lon}
        elif place and self.area.outside_place_named(place):
            replies.append(Reply(t("complaints.outside")))
        elif place:
            slots["suggested_place"] = place[:MAX_ADDRESS]
        return await self._proceed(turn, slots, replies)

    def _office_handler(self, turn: Turn, text: str, *, heard: bool = False) -> Handler | None:
        """The handler of questions about the municipality's offices, when that handler knows the office or service
        ``text`` names and the NLU also heard such a question (``municipal_info`` ranked with confidence) or the
        resident said it is a question ("just asking") (QA F30)."""
        handler = self.registry.by_intent.get(MUNICIPAL_INTENT) if self.registry is not None else None
        knows = getattr(handler, "knows", None)
        if handler is None or not callable(knows) or not knows(text):
            return None
        if heard:
            return handler
        threshold = turn.services.settings.nlu_confidence_threshold
        heard = any(r.get("name") == MUNICIPAL_INTENT and float(r.get("confidence") or 0.0) >= threshold
                    for r in turn.nlu.raw.get("intent_ranking") or [])
        return handler if heard else None

    @staticmethod
    def _office_answer(turn: Turn) -> str:
        """For questions about the municipality's services (collection days, office hours): who can answer."""
        t, settings = turn.texts, turn.services.settings
        hours = (settings.citizen_office_hours_en or settings.citizen_office_hours) if t.lang == "en" \
            else settings.citizen_office_hours
        contact = ", ".join(x for x in (settings.citizen_office_phone, settings.citizen_office_address, hours) if x)
        return t("complaints.just_asking", contact=contact) if contact else t("complaints.just_asking_no_contact")

    def _sight_named(self, turn: Turn) -> Poi | None:
        """A landmark of the guide the message names (NLU's ``sight`` entity): a place with a point on the map."""
        name = turn.nlu.entity("sight")
        if not name:
            return None
        if self._sights is None:
            self._sights = Catalogue.load()  # names and positions of landmarks; the seed file is enough here
        return self._sights.find(name)

    @staticmethod
    def _new_slots(category: str | None, started_at: datetime) -> dict[str, Any]:
        return {
            "nonce": secrets.token_hex(4),
            "started_at": started_at,  # the report's messages, for staff who may not read the whole chat
            "description": "",
            "category": category,
            "low_confidence": category is None,
            "suggested_place": None,
            "suggested_point": None,  # a landmark's position, taken with its name when confirmed
            "point": None,
            "address": None,
            "dup_key": None,
            "dup": None,
            "dup_declined": False,
            "photos": [],
            "photos_done": False,
            "consent": None,
            "phone": None,
            "place_tries": 0,
            "pin_done": False,
            "pin_reason": None,
            "second_category": None,
        }

    def _second_problem(self, turn: Turn, first: str | None) -> str | None:
        """Another complaint category the same message names, if it plainly joins two problems."""
        words = set(normalize(turn.inbound.text).split())
        if not words & _JOINING_WORDS:
            return None
        for ranked in (turn.nlu.raw.get("intent_ranking") or [])[1:3]:
            name, confidence = ranked.get("name"), float(ranked.get("confidence") or 0.0)
            if name != first and name in self.categories and confidence >= SECOND_PROBLEM_MIN_CONFIDENCE:
                return name
        return None

    def _set_description(self, slots: dict[str, Any], text: str, t: Texts) -> list[Reply]:
        text = (text or "").strip()
        slots["description"] = text[:MAX_TEXT]
        return [Reply(t("complaints.too_long", limit=MAX_TEXT))] if len(text) > MAX_TEXT else []

    # ================================================================= moving through the steps
    async def _next_step(self, turn: Turn, slots: dict[str, Any]) -> str:
        """The first thing the report still misses."""
        if slots.get("asked_first"):
            return "is_report"
        if not slots.get("category"):
            return "category"
        if self._missing_attribute(slots) is not None:
            return "attribute"
        if not slots.get("point") and not slots.get("address"):
            return "location"
        if slots.get("geo") and not slots.get("geo_done") and not slots.get("point"):
            return "geo_confirm"
        if not slots.get("point") and not slots.get("pin_done"):
            return "pin"  # a typed address only (no geocoder, not found, declined): ask for the spot, once
        await self._check_duplicates(turn, slots)
        if slots.get("dup") and not slots.get("dup_declined"):
            return "duplicate"
        if not slots.get("photos_done"):
            return "photos"
        if slots.get("consent") is None:
            return "phone_consent"
        if slots.get("consent") and not slots.get("phone"):
            return "phone"
        return "summary"

    async def _proceed(self, turn: Turn, slots: dict[str, Any], replies: list[Reply], *,
                       step: str | None = None) -> Outcome:
        """Stay on ``step`` (re-asking it) or go to the next missing answer, and ask for it."""
        if step is None or step not in _STEPS:
            step = await self._next_step(turn, slots)
        if step in _AFTER_PLACE and not slots.get("notice_checked"):
            replies = [*replies, *await self._known_notice(turn, slots, "alerts.known_notice_before")]
        return Outcome([*replies, *self._prompt_replies(turn, step, slots)],
                       flow=FlowState(name=FLOW, step=step, slots=slots))

    async def _check_duplicates(self, turn: Turn, slots: dict[str, Any]) -> None:
        """An open report of the same category near the pin or, with no point to compare, at the same typed street
        and number (QA F19): kept in ``slots["dup"]`` to be offered. Looked up once per category and place."""
        point, address = _point(slots), slots.get("address")
        settings = turn.services.settings
        if point is not None:
            key = f"{slots['category']}@{point.lat:.6f},{point.lon:.6f}"
        elif address and slots.get("category"):
            key = f"{slots['category']}@{tickets.address_key(address)}"
        else:
            return
        if slots.get("dup_key") == key:
            return
        if point is not None:
            found = await tickets.find_nearby_open(turn.services, slots["category"], point,
                                                   radius_m=settings.duplicate_radius_m, days=settings.duplicate_days)
        else:
            found = await tickets.find_open_at_address(turn.services, slots["category"], address,
                                                       days=settings.duplicate_days)
        slots["dup_key"], slots["dup_declined"], slots["dup"] = key, False, None
        if not found:
            return
        other = found[0]
        dup = {"ref": other["reference"], "status": other["status"], "created_at": other["created_at"],
               "own": other.get("conversation_id") == turn.conversation.id}
        if point is not None:
            dup["distance"] = round(haversine_m(point, tickets.ticket_point(other)))  # type: ignore[arg-type]
        else:  # matched by the typed address: the prompt names it instead of a distance
            dup["address"] = other.get("address") or address
        slots["dup"] = dup

    def _missing_attribute(self, slots: dict[str, Any]) -> Attribute | None:
        """The first required question of the category (Open311's attributes: an animal's state) not answered yet;
        answered by the report's own words where they give it away ("σκυλί χτυπημένο" → injured)."""
        cat = self.categories.get(slots.get("category") or "")
        answers: dict[str, str] = slots.setdefault("attributes", {})
        for attribute in cat.attributes if cat else ():
            if not attribute.required or not attribute.values or attribute.code in answers:
                continue
            hinted = attribute.value_hinted(slots.get("description") or "")
            if hinted is None:
                return attribute
            answers[attribute.code] = hinted
        return None

    async def _known_notice(self, turn: Turn, slots: dict[str, Any], key: str) -> list[Reply]:
        """A notice in force for the report's place and kind ("a water cut announced in Χαλέπα until 14:00"), once
        per report: as soon as the place is settled, so the resident may stop before filing (QA F20)."""
        slots["notice_checked"] = True
        known = await alert_notices.explaining(turn.services.store, _point(slots), slots.get("address"),
                                               slots.get("category") or "")
        if known is None:
            return []
        t = turn.texts
        return [Reply(t(key, title=alert_notices.text_for(known, t.lang)[0], period=period_text(known, t.lang)))]

    # ================================================================= prompts
    def _button_for(self, slots: dict[str, Any], label: str, action: str, arg: str | None = None) -> Button:
        payload = f"{PREFIX}:{slots['nonce']}:{action}" + (f":{arg}" if arg is not None else "")
        return Button(label, payload)

    def _prompt_replies(self, turn: Turn, step: str, slots: dict[str, Any]) -> list[Reply]:
        t = turn.texts
        b = self._button_for
        if step == "category":
            key = "complaints.choose_category_low" if slots.get("low_confidence") else "complaints.choose_category"
            return [Reply(t(key), buttons=tuple(b(slots, c.name(t.lang), "cat", c.intent) for c in self.categories))]
        if step == "location":
            place = slots.get("suggested_place")
            if place:
                return [Reply(t("complaints.confirm_place", place=place_label(place, t.lang)),
                              buttons=(b(slots, t("complaints.yes_place"), "place"),
                                       b(slots, t("complaints.no_place"), "noplace")), request_location=True)]
            tries = slots.get("place_tries") or 0
            key = "complaints.ask_location" if not tries else ("complaints.place_again" if tries == 1
                                                              else "complaints.place_still")
            if tries and slots.get("place_here"):
                key = "complaints.place_here"
            return [Reply(t(key), request_location=True)]
        if step == "is_report":  # "πότε μαζεύουν τα σκουπίδια στη Νέα Χώρα;" may be a question, not a report
            return [Reply(t("complaints.is_report"), buttons=(b(slots, t("complaints.is_report_yes"), "isreport"),
                                                              b(slots, t("complaints.is_report_no"), "justasking")))]
        if step == "attribute":
            attribute = self._missing_attribute(slots)
            if attribute is not None:
                return [Reply(attribute.description.get(t.lang), buttons=tuple(
                    b(slots, v.name.get(t.lang), "attr", f"{attribute.code}={v.key}") for v in attribute.values))]
        if step == "geo_confirm":
            geo = slots["geo"]
            return [Reply(t("complaints.geo_confirm", place=geo["name"]),
                          location=Pin(name=geo["name"][:100], lat=geo["lat"], lon=geo["lon"]),
                          buttons=(b(slots, t("complaints.geo_yes"), "geoyes"),
                                   b(slots, t("complaints.geo_no"), "geono")))]
        if step == "pin":
            if _only_an_area(slots):  # "Ακρωτήρι": a whole area; the crew needs the spot or the street
                return [Reply(t("complaints.pin_area", place=place_label(slots.get("address") or "", t.lang)),
                              request_location=True)]
            reason = slots.get("pin_reason")
            key = {"not_found": "complaints.geo_not_found", "declined": "complaints.geo_declined"}.get(
                reason or "", "complaints.ask_pin")
            return [Reply(t(key, place=place_label(slots.get("address") or "", t.lang)),
                          buttons=(b(slots, t("complaints.no_pin"), "nopin"),), request_location=True)]
        if step == "duplicate":
            dup = slots["dup"]
            cat = self.categories.get(slots["category"])
            key = "complaints.duplicate_own" if dup.get("own") else "complaints.duplicate"
            if dup.get("address"):  # matched by the typed address, not by a distance
                key += "_address"
            text = t(key, ref=dup["ref"], distance=dup.get("distance"), category=cat.name(t.lang) if cat else "",
                     status=t(f"tickets.status.{dup['status']}"), date=_date(dup["created_at"]),
                     place=place_label(dup.get("address") or "", t.lang))
            return [Reply(text, buttons=(b(slots, t("complaints.follow", ref=dup["ref"]), "follow"),
                                         b(slots, t("complaints.new_anyway"), "newdup")))]
        if step == "photos":
            count = len(slots.get("photos") or ())
            if count:
                return [Reply(t("complaints.photo_added", count=count),
                              buttons=(b(slots, t("complaints.photos_done"), "photosdone"),
                                       b(slots, t("complaints.photos_remove"), "rmphotos")))]
            return [Reply(t("complaints.ask_photo", max_mb=MAX_PHOTO_BYTES // (1024 * 1024)),
                          buttons=(b(slots, t("complaints.skip_photo"), "photosdone"),))]
        if step == "phone_consent":
            return [Reply(t("complaints.ask_consent"), buttons=(b(slots, t("complaints.consent_yes"), "consent", "y"),
                                                                b(slots, t("complaints.consent_no"), "consent", "n")))]
        if step == "phone":
            key = "complaints.ask_phone_web" if turn.inbound.channel == "webchat" else "complaints.ask_phone"
            return [Reply(t(key), buttons=(b(slots, t("complaints.skip_phone"), "consent", "n"),),
                          request_contact=True)]
        if step == "description":
            return [Reply(t("complaints.ask_description"))]
        if step == "photo_first":
            return [Reply(t("complaints.ask_photo_problem"))]
        if step == "edit":
            return [Reply(t("complaints.edit_what"), buttons=(
                b(slots, t("complaints.edit_category"), "edit", "category"),
                b(slots, t("complaints.edit_description"), "edit", "description"),
                b(slots, t("complaints.edit_place"), "edit", "place"),
                b(slots, t("complaints.edit_photos"), "edit", "photos"),
                b(slots, t("complaints.edit_phone"), "edit", "phone"),
                b(slots, t("complaints.edit_back"), "edit", "back"),
            ))]
        # summary
        return [Reply(self._summary(turn, slots), buttons=(b(slots, t("complaints.submit"), "submit"),
                                                           b(slots, t("complaints.edit"), "edit"),
                                                           b(slots, t("complaints.cancel"), "cancel")))]

    def _summary(self, turn: Turn, slots: dict[str, Any]) -> str:
        t = turn.texts
        cat = self.categories.get(slots.get("category") or "")
        return t("complaints.summary", category=cat.name(t.lang) if cat else "—",
                 description=slots.get("description") or "—", place=self._place_text(t, slots),
                 photos=len(slots.get("photos") or ()),
                 phone=phones.display(slots["phone"]) if slots.get("phone") else t("complaints.no_phone"))

    @staticmethod
    def _place_text(t: Texts, slots: dict[str, Any]) -> str:
        parts = []
        if slots.get("address"):
            address = slots["address"]
            parts.append(f"{greek_to_latin(address)} ({address})" if t.lang == "en" and has_greek(address) else address)
        point = _point(slots)
        if point is not None:
            parts.append(t("complaints.pin", lat=f"{point.lat:.5f}", lon=f"{point.lon:.5f}"))
        return " · ".join(parts) or "—"

    # ================================================================= answers
    def _typed_label(self, turn: Turn, step: str, slots: dict[str, Any], text: str) -> tuple[str, str | None] | None:
        """The action of the current question's button whose label the person typed (any case, accents or none)."""
        words = _label_words(text)
        if not words:
            return None
        for reply in self._prompt_replies(turn, step, slots):
            for button in reply.buttons:
                if _label_words(button.label) == words:
                    parts = button.payload.split(":")  # cmp:<nonce>:<action>[:<arg>]
                    return parts[2], parts[3] if len(parts) > 3 else None
        return None

    def _interrupts(self, turn: Turn, step: str) -> bool:
        """Is this message another kind of question rather than an answer to ``step``?"""
        nlu = turn.nlu
        if turn.low_confidence or nlu.intent not in _INTERRUPTING or step == "description":
            return False
        if step in ("location", "phone", "pin"):
            text = turn.inbound.text.strip()
            if _is_question(text):
                return True
            if step == "pin":  # "I have no GPS", "it's by the bakery": an answer, not another question
                return False
            if nlu.intent in _ANSWERS_TO_WHERE or nlu.entity("location") or any(ch.isdigit() for ch in text):
                return False
        return True

    async def _place_answer(self, turn: Turn, slots: dict[str, Any], replies: list[Reply], *,
                            point: GeoPoint | None = None, text: str | None = None) -> Outcome:
        t = turn.texts
        if point is not None:
            if not self.area.contains(point):
                flow = turn.conversation.flow
                again = "pin" if flow is not None and flow.step == "pin" else "location"  # the address stays
                return await self._proceed(turn, slots, [*replies, Reply(t("complaints.outside"))], step=again)
            slots["point"] = {"lat": point.lat, "lon": point.lon}
        elif text is not None:
            if self.area.outside_place_named(text):
                return await self._proceed(turn, slots, [*replies, Reply(t("complaints.outside"))], step="location")
            kind = place_kind(text, turn.nlu)
            if kind != "place" and _is_question(text):  # "τι ώρα κλείνει το δημαρχείο;" is no address
                return await self._proceed(turn, slots, [*replies, Reply(t("complaints.place_question"))],
                                           step="location")
            if slots.get("place_tries") and kind != "place":
                return await self._ask_place_again(turn, slots, replies, here=kind == "here")
            if len(text) > MAX_ADDRESS:
                replies = [*replies, Reply(t("complaints.too_long", limit=MAX_ADDRESS))]
            slots["address"] = text[:MAX_ADDRESS]
            replies = [*replies, *await self._locate(turn, slots)]
        slots["suggested_place"] = None
        return await self._proceed(turn, slots, replies)

    async def _locate(self, turn: Turn, slots: dict[str, Any]) -> list[Reply]:
        """A typed address on the map (bot/tickets/geocoding.py), to be confirmed. Not found, or no geocoder: the
        text is kept and the next step (``pin``) asks for the spot on the map, which the person may skip."""
        geocoder = geocoder_of(turn.services)
        slots["geo"], slots["geo_done"] = None, False
        slots["pin_done"], slots["pin_reason"] = False, None
        if geocoder is None or not slots.get("address") or slots.get("point"):
            return []
        place = await geocoder.locate(slots["address"], turn.lang)
        if place is None:
            slots["pin_reason"] = "not_found"  # the pin step says so
            return []
        slots["geo"] = {"lat": place.point.lat, "lon": place.point.lon, "name": place.display_name}
        return []

    async def _place_words(self, turn: Turn, slots: dict[str, Any], replies: list[Reply],
                           text: str) -> Outcome | None:
        """At "where?": a yes / no to the suggested place, or an answer that is no place at all (asked again)."""
        if slots.get("suggested_place"):
            said = yes_or_no(text, turn.nlu)
            if said is True:
                return await self._act(turn, slots, "place", None, replies)
            if said is False:
                return await self._act(turn, slots, "noplace", None, replies)
        kind = place_kind(text, turn.nlu)
        if kind in ("unsure", "gibberish", "here"):
            return await self._ask_place_again(turn, slots, replies, here=kind == "here")
        return None

    async def _ask_place_again(self, turn: Turn, slots: dict[str, Any], replies: list[Reply], *,
                               here: bool = False) -> Outcome:
        """Asks for the place once more; ``here`` ("εδώ", "στο σπίτι μου") asks for the location button first."""
        slots["place_tries"] = (slots.get("place_tries") or 0) + 1
        slots["place_here"] = here
        slots["suggested_place"] = slots["suggested_point"] = None
        return await self._proceed(turn, slots, replies, step="location")

    def _take_photos(self, slots: dict[str, Any], attachments: Sequence[Attachment], t: Texts) -> list[Reply]:
        replies: list[Reply] = []
        photos: list[dict[str, Any]] = list(slots.get("photos") or ())
        for a in attachments:
            if a.kind != "photo":
                replies.append(Reply(t("complaints.only_photos")))
            elif a.size is not None and a.size > MAX_PHOTO_BYTES:
                replies.append(Reply(t("complaints.photo_too_big", size_mb=f"{a.size / (1024 * 1024):.1f}",
                                       max_mb=MAX_PHOTO_BYTES // (1024 * 1024))))
            elif len(photos) >= MAX_PHOTOS:
                replies.append(Reply(t("complaints.photo_limit", max=MAX_PHOTOS)))
                break
            elif a.file_id or a.url:
                photos.append({"file_id": a.file_id, "url": a.url, "size": a.size})
        slots["photos"] = photos
        return replies

    async def _phone_answer(self, turn: Turn, slots: dict[str, Any], replies: list[Reply], text: str) -> Outcome:
        if turn.nlu.intent == "deny" and not turn.inbound.contact_phone:
            slots["consent"], slots["phone"] = False, None
            return await self._proceed(turn, slots, replies)
        phone = phones.normalise(text)
        if phone is None:
            return await self._proceed(turn, slots, [*replies, Reply(turn.texts("complaints.bad_phone"))],
                                       step="phone")
        slots["phone"] = phone
        return await self._proceed(turn, slots, replies)

    # ================================================================= buttons
    async def _button(self, turn: Turn, parts: list[str]) -> Outcome:
        if parts and parts[0] == "status":
            return await self._status(turn, reference=parts[1] if len(parts) > 1 else None)
        if len(parts) == 3 and parts[0] == "second":
            return await self._start_second(turn, parts[1], parts[2])
        flow = turn.conversation.flow
        nonce = parts[0] if parts else ""
        if flow is None or flow.name != FLOW or flow.slots.get("nonce") != nonce or len(parts) < 2:
            replies = [await self._stale_reply(turn, nonce)]
            if flow is not None and flow.name == FLOW:  # a report is running: offer it again
                replies += await self.resume_prompt(turn)
            return Outcome(replies, flow=KEEP)
        return await self._act(turn, dict(flow.slots), parts[1], parts[2] if len(parts) > 2 else None, [])

    async def _act(self, turn: Turn, slots: dict[str, Any], action: str, arg: str | None,
                   replies: list[Reply]) -> Outcome:
        t = turn.texts
        if action == "cat" and arg in self.categories:
            slots["category"], slots["low_confidence"] = arg, False
        elif action == "isreport":
            slots["asked_first"] = False
        elif action == "justasking":
            asked = self._office_handler(turn, slots.get("description") or "", heard=True)
            if asked is not None:  # the question names an office or a service the bot knows: answer it
                question = replace(turn.inbound, text=slots.get("description") or "", button=None)
                outcome = await asked.handle(replace(turn, inbound=question))
                return Outcome(outcome.replies, flow=None)
            return Outcome([Reply(self._office_answer(turn))], flow=None)
        elif action == "chcat":
            slots["category"], slots["attributes"] = None, {}
        elif action == "attr" and arg and "=" in arg:
            code, _, key = arg.partition("=")
            cat = self.categories.get(slots.get("category") or "")
            attribute = next((a for a in cat.attributes if a.code == code), None) if cat else None
            if attribute is not None and key in {v.key for v in attribute.values}:
                slots.setdefault("attributes", {})[code] = key
        elif action == "place" and slots.get("suggested_place"):
            slots["address"], slots["suggested_place"] = slots["suggested_place"], None
            if slots.get("suggested_point"):  # a landmark: its point too, so no pin is asked
                slots["point"], slots["suggested_point"] = slots["suggested_point"], None
            replies = [*replies, *await self._locate(turn, slots)]
        elif action == "geoyes" and slots.get("geo"):
            slots["point"] = {"lat": slots["geo"]["lat"], "lon": slots["geo"]["lon"]}
            slots["geo_done"] = True
        elif action == "geono":
            slots["geo_done"], slots["pin_reason"] = True, "declined"
        elif action == "nopin" and not _only_an_area(slots):  # (an old button: an area alone needs the spot)
            slots["pin_done"] = True
        elif action == "noplace":
            slots["suggested_place"] = slots["suggested_point"] = None
            replies = [*replies, Reply(t("complaints.place_not_there"))]
        elif action == "follow" and slots.get("dup"):
            return await self._follow(turn, slots)
        elif action == "newdup":
            slots["dup_declined"] = True
        elif action == "photosdone":
            slots["photos_done"] = True
        elif action == "rmphotos":
            slots["photos"] = []
            return await self._proceed(turn, slots, replies, step="photos")
        elif action == "consent":
            slots["consent"] = arg == "y"
            if not slots["consent"]:
                slots["phone"] = None
        elif action == "submit":
            return await self._submit(turn, slots)
        elif action == "cancel":
            return Outcome([Reply(t("complaints.cancelled"))], flow=None)
        elif action == "edit":
            return await self._edit(turn, slots, arg, replies)
        return await self._proceed(turn, slots, replies)

    async def _edit(self, turn: Turn, slots: dict[str, Any], what: str | None, replies: list[Reply]) -> Outcome:
        if what is None:
            return await self._proceed(turn, slots, replies, step="edit")
        if what == "category":
            slots["category"] = None
        elif what == "description":
            return await self._proceed(turn, slots, replies, step="description")
        elif what == "place":
            slots["point"] = slots["address"] = slots["geo"] = slots["pin_reason"] = None
            slots["pin_done"] = False
        elif what == "photos":
            slots["photos_done"] = False
        elif what == "phone":
            slots["consent"], slots["phone"] = None, None
        return await self._proceed(turn, slots, replies)

    async def _follow(self, turn: Turn, slots: dict[str, Any]) -> Outcome:
        t = turn.texts
        dup = slots["dup"]
        if dup.get("own"):
            return Outcome([Reply(t("complaints.own_duplicate_done", ref=dup["ref"]))], flow=None)
        try:
            await tickets.follow_ticket(turn.services, dup["ref"], turn.conversation.id, turn.lang)
        except LookupError:  # deleted meanwhile: file a new one after all
            slots["dup"], slots["dup_declined"] = None, True
            return await self._proceed(turn, slots, [])
        return Outcome([Reply(t("complaints.following", ref=dup["ref"]))], flow=None)

    async def _submit(self, turn: Turn, slots: dict[str, Any]) -> Outcome:
        missing = await self._next_step(turn, slots)
        if missing != "summary":
            return await self._proceed(turn, slots, [], step=missing)
        point = _point(slots)
        ticket = await tickets.create_ticket(
            turn.services,
            category=slots["category"],
            description=slots.get("description") or "",
            channel=turn.inbound.channel,
            language=turn.lang,
            conversation_id=turn.conversation.id,
            location=point,
            address=slots.get("address"),
            photos=slots.get("photos") or (),
            citizen={"phone": slots["phone"]} if slots.get("consent") and slots.get("phone") else None,
            report_nonce=slots.get("nonce"),
            report_started_at=slots.get("started_at"),
            attributes=slots.get("attributes") or None,
        )
        cat = self.categories[ticket["category"]]
        dept = self.categories.department(cat.department)
        t = turn.texts
        replies = [Reply(t("complaints.submitted", ref=ticket["reference"],
                           department=dept.name(t.lang) if dept else cat.department))]
        if not slots.get("notice_checked"):  # told when the place was settled, as a rule
            replies += await self._known_notice(turn, slots, "alerts.known_notice")
        second = self.categories.get(slots.get("second_category") or "")
        if second is not None:
            replies.append(Reply(t("complaints.offer_second", category=second.name(t.lang)), buttons=(
                Button(t("complaints.file_second"), f"{PREFIX}:second:{second.intent}:{ticket['reference']}"),)))
        return Outcome(replies, flow=None)

    async def _start_second(self, turn: Turn, category: str, reference: str) -> Outcome:
        """The second problem of a message, offered after the first was filed: same description and street."""
        t = turn.texts
        first = await tickets.get_ticket(turn.services, reference)
        if first is None or first.get("conversation_id") != turn.conversation.id or category not in self.categories:
            return Outcome([Reply(t("complaints.stale_unknown"))], flow=KEEP)
        if turn.conversation.flow is not None and turn.conversation.flow.name == FLOW:
            return Outcome([Reply(t("complaints.one_at_a_time")), *await self.resume_prompt(turn)], flow=KEEP)
        slots = self._new_slots(category, turn.inbound.received_at)
        slots["description"] = first.get("description") or ""
        slots["suggested_place"] = first.get("address")
        if first.get("location"):
            slots["suggested_place"] = None
            lon, lat = first["location"]["coordinates"]
            slots["point"] = {"lat": lat, "lon": lon}
        cat = self.categories[category]
        replies = [Reply(t("complaints.understood", category=cat.name(t.lang)),
                         buttons=(self._button_for(slots, t("complaints.change_category"), "chcat"),))]
        return await self._proceed(turn, slots, replies)

    async def _stale_reply(self, turn: Turn, nonce: str) -> Reply:
        """A button of a report that is no longer running: say which report it was and where it stands."""
        t = turn.texts
        ticket = None
        if nonce:
            ticket = await turn.services.store.tickets.find_one(
                {"conversation_id": turn.conversation.id, "report_nonce": nonce},
                projection={"reference": 1, "status": 1})
        if ticket is None:
            return Reply(t("complaints.stale_unknown"))
        return Reply(t("complaints.stale", ref=ticket["reference"], status=t(f"tickets.status.{ticket['status']}")),
                     buttons=(Button(t("complaints.stale_details", ref=ticket["reference"]),
                                     f"{PREFIX}:status:{ticket['reference']}"),))

    # ================================================================= status
    async def _status(self, turn: Turn, reference: str | None = None) -> Outcome:
        t = turn.texts
        conv_id = turn.conversation.id
        if reference is None:
            entity = turn.nlu.entity("ticket_id")
            reference = tickets.parse_reference(entity or "") or tickets.parse_reference(turn.inbound.text)
        if reference is not None:
            ref = tickets.parse_reference(reference) or reference[:32]
            ticket = await tickets.get_ticket(turn.services, ref)
            if ticket is None or not (ticket.get("conversation_id") == conv_id or tickets.is_follower(ticket, conv_id)):
                # the same answer for "no such ticket" and "someone else's": references cannot be probed
                return Outcome([Reply(t("complaints.status_not_found", ref=ref))])
            return Outcome([Reply(self._status_detail(t, ticket, owner=ticket.get("conversation_id") == conv_id))])

        own = await tickets.tickets_of_conversation(turn.services, conv_id, limit=STATUS_LIST_LIMIT)
        followed = await tickets.tickets_followed_by(turn.services, conv_id, limit=STATUS_LIST_LIMIT)
        if not own and not followed:
            return Outcome([Reply(t("complaints.status_none"))])
        lines = [t("complaints.status_list_title")]
        listed = sorted([*own, *followed], key=lambda x: (x["created_at"], x["reference"]), reverse=True)
        listed = listed[:STATUS_LIST_LIMIT]
        for ticket in listed:
            line = self._status_line(t, ticket)
            if ticket.get("conversation_id") != conv_id:
                line += " " + t("complaints.status_following")
            lines.append(line)
        buttons = tuple(Button(x["reference"], f"{PREFIX}:status:{x['reference']}") for x in listed)
        return Outcome([Reply("\n".join(lines), buttons=buttons)])

    async def _why(self, turn: Turn) -> Outcome:
        """"Why was it rejected?": the last status of the person's latest report (a rejected one first) and the
        department's note with it."""
        t = turn.texts
        own = await tickets.tickets_of_conversation(turn.services, turn.conversation.id, limit=STATUS_LIST_LIMIT)
        if not own:
            return Outcome([Reply(t("complaints.status_none"))])
        ticket = next((x for x in own if x["status"] == "rejected"), own[0])
        last = (ticket.get("history") or [{}])[-1]
        status = t(f"tickets.status.{ticket['status']}")
        lines = [t("complaints.why_status", ref=ticket["reference"], status=status, date=_date(last.get("at")))]
        if last.get("note"):
            lines.append(t("complaints.why_note", note=last["note"]))
        elif ticket["status"] == "rejected":  # an open report needs no "describe it again"
            lines.append(t("complaints.why_no_note"))
        if ticket["status"] != "rejected":
            lines.insert(0, t("complaints.why_not_rejected"))
        return Outcome([Reply("\n".join(lines))])

    def _status_line(self, t: Texts, ticket: dict[str, Any]) -> str:
        cat = self.categories.get(ticket["category"])
        return t("complaints.status_line", ref=ticket["reference"], category=cat.name(t.lang) if cat else "",
                 status=t(f"tickets.status.{ticket['status']}"), date=_date(ticket["created_at"]))

    def _status_detail(self, t: Texts, ticket: dict[str, Any], *, owner: bool) -> str:
        cat = self.categories.get(ticket["category"])
        last = (ticket.get("history") or [{}])[-1]
        lines = [t("complaints.status_detail", ref=ticket["reference"], category=cat.name(t.lang) if cat else "",
                   status=t(f"tickets.status.{ticket['status']}"), date=_date(ticket["created_at"]),
                   changed=_date(last.get("at") or ticket["updated_at"]))]
        if ticket.get("duplicate_of"):
            lines.append(t("tickets.notify_duplicate", other=ticket["duplicate_of"]))
        if owner:  # what the person wrote and the department's notes to them: not for followers
            if ticket.get("address"):
                lines.append(t("complaints.status_place", place=ticket["address"]))
            description = ticket.get("description") or ""
            if description:
                short = description if len(description) <= 200 else description[:200] + "…"
                lines.append(t("complaints.status_description", description=short))
            note = next((h.get("note") for h in reversed(ticket.get("history") or []) if h.get("note")), None)
            if note:
                lines.append(t("tickets.notify_note", note=note))
        return "\n".join(lines)


_STEPS = frozenset({"is_report", "category", "attribute", "location", "geo_confirm", "pin", "duplicate", "photos",
                    "phone_consent", "phone", "summary", "edit", "description", "photo_first"})

# yes / no typed (or said) at a button step: the button it stands for
_WORD_ACTIONS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("photos", "deny"): ("photosdone", None),
    ("phone_consent", "affirm"): ("consent", "y"),
    ("phone_consent", "deny"): ("consent", "n"),
    ("geo_confirm", "affirm"): ("geoyes", None),
    ("geo_confirm", "deny"): ("geono", None),
    ("pin", "deny"): ("nopin", None),
    ("duplicate", "affirm"): ("follow", None),
    ("duplicate", "deny"): ("newdup", None),
    ("summary", "affirm"): ("submit", None),
    ("is_report", "affirm"): ("isreport", None),
    ("is_report", "deny"): ("justasking", None),
}

# "πότε μαζεύουν τα σκουπίδια;", "what time…": a question about a service's schedule, maybe not a report
_SCHEDULE_QUESTION = re.compile(r"^(?:ποτε|τι ωρα|ποια μερα|ποιεσ μερεσ|καθε ποτε|ποιο ωραριο|pote|ti ora|ti wra|"
                                r"poia mera|kathe pote|when|what time|what day|which day|which days|how often)\b")


def _label_words(text: str) -> list[str]:
    return re.findall(r"\w+", normalize(text))


def _date(at: Any) -> str:
    return tickets.local_time(at).strftime("%d/%m/%Y") if at else "—"


def create_handler(services: Services | None = None) -> ComplaintsHandler:
    return ComplaintsHandler()
