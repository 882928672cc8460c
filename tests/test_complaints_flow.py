"""The complaints handler driven turn by turn through the real handler registry (routing of handlers/base.py),
with NLU results built by hand and the in-process store. The same conversations over the webhooks, with the real
Rasa server, are in tests/test_complaints_webhooks.py."""

from __future__ import annotations

import math
from itertools import count
from typing import Any

import bson
import pytest

from bot import tickets
from bot.core.geo import EARTH_RADIUS_M
from bot.core.i18n import Texts
from bot.core.models import Attachment, Entity, GeoPoint, Inbound, NluResult, Reply
from bot.core.services import Services
from bot.core.settings import Settings
from handlers.base import KEEP, Conversation, FlowState, Turn
from handlers.complaints import MAX_PHOTO_BYTES, create_handler
from handlers.conversation import ConversationHandler
from handlers.registry import HandlerRegistry

HARBOUR = GeoPoint(35.5197, 24.0180)
KISSAMOS = GeoPoint(35.494, 23.654)
EL, EN = Texts("el"), Texts("en")
_ids = count(1)


class Chat:
    """One person talking to the bot: routes each message like the pipeline does and keeps the flow state the way
    the conversation document does (a BSON round trip after every turn)."""

    def __init__(self, services: Services, user: str = "100", *, channel: str = "telegram", lang: str = "el",
                 registry: HandlerRegistry | None = None) -> None:
        self.services = services
        self.registry = registry or HandlerRegistry(ConversationHandler(), [create_handler(services)])
        self.conv = Conversation(id=f"{channel}:{user}", channel=channel, user_id=user, chat_id=user,
                                 language=lang)  # type: ignore[arg-type]
        self.last: list[Reply] = []

    async def send(self, text: str = "", *, intent: str | None = None, confidence: float = 0.95,
                   entities: dict[str, str] | None = None, button: str | None = None,
                   location: GeoPoint | None = None, photos: tuple[Attachment, ...] = (),
                   phone: str | None = None) -> list[Reply]:
        inbound = Inbound(channel=self.conv.channel, user_id=self.conv.user_id,  # type: ignore[arg-type]
                          chat_id=self.conv.chat_id, message_id=str(next(_ids)), text=text, location=location,
                          attachments=photos, button=button, contact_phone=phone)
        ents = tuple(Entity(k, v) for k, v in (entities or {}).items())
        nlu = NluResult(intent=intent, confidence=confidence if intent else 0.0, entities=ents)
        turn = Turn(inbound=inbound, nlu=nlu, conversation=self.conv, texts=Texts(self.conv.language),
                    services=self.services)
        outcome = await self.registry.dispatch(turn)
        if outcome.flow is not KEEP:
            self.conv.flow = outcome.flow
        if self.conv.flow is not None:  # what MongoDB gives back after a restart
            self.conv.flow = FlowState.from_doc(bson.decode(bson.encode(self.conv.flow.to_doc())))
        self.last = outcome.replies
        return outcome.replies

    async def press(self, label: str) -> list[Reply]:
        return await self.send(button=self.button(label))

    def button(self, label: str, replies: list[Reply] | None = None) -> str:
        for reply in replies if replies is not None else self.last:
            for b in reply.buttons:
                if b.label == label:
                    return b.payload
        raise AssertionError(f"no button {label!r} in {[b.label for r in self.last for b in r.buttons]}")

    @property
    def step(self) -> str | None:
        return self.conv.flow.step if self.conv.flow else None

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)


def near(point: GeoPoint, metres: float) -> GeoPoint:
    return GeoPoint(point.lat + math.degrees(metres / EARTH_RADIUS_M), point.lon)


def day(at: Any) -> str:
    return tickets.local_time(at).strftime("%d/%m/%Y")


async def only_ticket(services: Services) -> dict[str, Any]:
    docs = await services.store.tickets.find({}).to_list()
    assert len(docs) == 1, docs
    return docs[0]


# ---------------------------------------------------------------------------------------------------- happy paths

async def test_greek_report_with_place_entity_photo_and_phone(services: Services) -> None:
    chat = Chat(services)
    await chat.send("Δεν ανάβει η λάμπα στην Αποκορώνου εδώ και τρεις μέρες", intent="complaint_lighting",
                    entities={"location": "Αποκορώνου"})
    assert EL("complaints.understood", category="Φωτισμός") in chat.text
    assert "Αποκορώνου" in chat.last[-1].text and chat.last[-1].request_location
    assert chat.step == "location"

    await chat.press(EL("complaints.yes_place"))
    assert chat.step == "pin"  # no geocoder: the text is kept and the spot on the map asked for
    assert chat.text == EL("complaints.ask_pin", place="«Αποκορώνου»") and chat.last[-1].request_location
    await chat.press(EL("complaints.no_pin"))
    assert chat.step == "photos"
    await chat.send(photos=(Attachment(file_id="AgADphoto1", size=2_000_000),))
    assert chat.text == EL("complaints.photo_added", count=1)
    await chat.press(EL("complaints.photos_done"))
    assert chat.step == "phone_consent"
    await chat.press(EL("complaints.consent_yes"))
    assert chat.step == "phone" and chat.last[-1].request_contact
    await chat.send(phone="306912345678")
    assert chat.step == "summary"
    for part in ("Φωτισμός", "Δεν ανάβει η λάμπα", "Αποκορώνου", "691 234 5678"):
        assert part in chat.text

    await chat.press(EL("complaints.submit"))
    assert chat.conv.flow is None
    ticket = await only_ticket(services)
    assert ticket["reference"] in chat.text and "Τμήμα Ηλεκτροφωτισμού" in chat.text
    assert ticket["category"] == "complaint_lighting" and ticket["department"] == "lighting"
    assert ticket["description"] == "Δεν ανάβει η λάμπα στην Αποκορώνου εδώ και τρεις μέρες"
    assert ticket["address"] == "Αποκορώνου" and ticket["location"] is None
    assert ticket["photos"] == [{"file_id": "AgADphoto1", "url": None, "size": 2_000_000}]
    assert ticket["citizen"] == {"phone": "+306912345678"}
    assert (ticket["channel"], ticket["language"], ticket["conversation_id"]) == ("telegram", "el", "telegram:100")


async def test_english_report_with_a_pin_and_nothing_optional(services: Services) -> None:
    chat = Chat(services, channel="viber", user="abc==", lang="en")
    await chat.send("The bins on our street have not been emptied for a week", intent="complaint_waste")
    assert EN("complaints.understood", category="Rubbish and cleaning") in chat.text
    await chat.send(location=HARBOUR)
    await chat.press(EN("complaints.skip_photo"))
    await chat.press(EN("complaints.consent_no"))
    assert chat.step == "summary" and "map pin (35.51970, 24.01800)" in chat.text
    await chat.press(EN("complaints.submit"))
    ticket = await only_ticket(services)
    assert ticket["location"] == {"type": "Point", "coordinates": [24.0180, 35.5197]}
    assert ticket["citizen"] == {} and ticket["photos"] == []
    assert ticket["language"] == "en" and ticket["channel"] == "viber"
    assert chat.text.startswith(f"Your report has been filed with reference {ticket['reference']}")


async def test_words_answer_button_questions(services: Services) -> None:
    chat = Chat(services)
    await chat.send("λακκούβα στη Σούδα", intent="complaint_roads")
    await chat.send("Σούδα, λιμάνι", intent="out_of_scope")  # a typed address is often "out of scope" for NLU
    assert chat.conv.flow.slots["address"] == "Σούδα, λιμάνι"  # type: ignore[union-attr]
    await chat.send("όχι", intent="deny")  # no pin
    assert chat.step == "photos"
    await chat.send("όχι", intent="deny")  # no photo
    assert chat.step == "phone_consent"
    await chat.send("ναι", intent="affirm")
    assert chat.step == "phone"
    await chat.send("69 1234 5678")
    assert chat.step == "summary" and "691 234 5678" in chat.text  # national format
    await chat.send("ναι", intent="affirm")
    assert (await only_ticket(services))["citizen"] == {"phone": "+306912345678"}


# ---------------------------------------------------------------------------------------------------- category

async def test_low_confidence_shows_the_categories_instead_of_guessing(services: Services) -> None:
    chat = Chat(services)
    unsure = services.settings.nlu_confidence_threshold - 0.05  # just below the calibrated threshold
    await chat.send("υπάρχει ένα θέμα στη γειτονιά", intent="complaint_noise", confidence=unsure)
    assert chat.step == "category"
    assert chat.text == EL("complaints.choose_category_low")
    assert len(chat.last[0].buttons) == 9 and "Φωτισμός" in [b.label for b in chat.last[0].buttons]
    await chat.press("Πράσινο – δέντρα")
    assert chat.step == "location" and chat.conv.flow.slots["category"] == "complaint_greenery"  # type: ignore


async def test_the_category_can_be_changed(services: Services) -> None:
    chat = Chat(services, lang="en")
    await chat.send("water everywhere on the road", intent="complaint_roads")
    await chat.press(EN("complaints.change_category"))
    assert chat.step == "category"
    await chat.press("Water and drains")
    assert chat.step == "location" and chat.conv.flow.slots["category"] == "complaint_water"  # type: ignore


# ---------------------------------------------------------------------------------------------------- cancel / stale

@pytest.mark.parametrize("how", ["/cancel", "άκυρο", "ΑΚΥΡΟ", "cancel", "button"])
async def test_cancel_at_any_point(services: Services, how: str) -> None:
    chat = Chat(services)
    await chat.send("σκουπίδια παντού", intent="complaint_waste")
    await chat.send(location=HARBOUR)
    await chat.press(EL("complaints.skip_photo"))
    await chat.press(EL("complaints.consent_no"))
    if how == "button":
        await chat.press(EL("complaints.cancel"))
        assert chat.text == EL("complaints.cancelled")
    else:
        await chat.send(how)
    assert chat.conv.flow is None
    assert await services.store.tickets.count_documents({}) == 0


async def test_buttons_of_a_finished_report_name_that_report(services: Services) -> None:
    chat = Chat(services)
    await chat.send("θόρυβος από μπαρ", intent="complaint_noise")
    await chat.send(location=HARBOUR)
    await chat.press(EL("complaints.skip_photo"))
    await chat.press(EL("complaints.consent_no"))
    submit = chat.button(EL("complaints.submit"))
    await chat.send(button=submit)
    assert chat.conv.flow is None
    ticket = await only_ticket(services)
    again = await chat.send(button=submit)  # a double tap, or a tap on yesterday's summary
    assert [r.text for r in again] == [EL("complaints.stale", ref=ticket["reference"], status=EL("tickets.status.new"))]
    assert "κλείσει" not in again[0].text  # the ticket is open: never "closed"
    assert await services.store.tickets.count_documents({}) == 1
    await chat.press(EL("complaints.stale_details", ref=ticket["reference"]))
    assert chat.text.startswith(f"Αναφορά {ticket['reference']}")

    # an old button while a new report is running: named, and the running one is offered again
    await chat.send("πάλι θόρυβος", intent="complaint_noise")
    again = await chat.send(button=submit)
    assert again[0].text == EL("complaints.stale", ref=ticket["reference"], status=EL("tickets.status.new"))
    assert again[1].text.startswith(EL("complaints.resume")) and chat.step == "location"
    for junk in ("cmp:", "cmp:zz", "cmp:zz:submit:extra:parts"):
        assert (await chat.send(button=junk))[0].text == EL("complaints.stale_unknown")


async def test_a_cancelled_reports_button_says_it_is_no_longer_in_progress(services: Services) -> None:
    chat = Chat(services, lang="en")
    await chat.send("dead cat on the road", intent="complaint_animals")
    await chat.send(location=HARBOUR)
    skip = chat.button(EN("complaints.skip_photo"))
    await chat.send("cancel")
    assert chat.conv.flow is None
    again = await chat.send(button=skip)
    assert [r.text for r in again] == [EN("complaints.stale_unknown")] and "closed" not in again[0].text


# ---------------------------------------------------------------------------------------------------- interruptions

@pytest.mark.parametrize(("text", "intent"), [("ποιες παραλίες έχει κοντά;", "tourist_beaches"),
                                              ("βοήθεια", "help"), ("what can you do", "help")])
async def test_another_question_is_answered_and_the_report_offered_again(services: Services, text: str,
                                                                          intent: str) -> None:
    chat = Chat(services)
    await chat.send("σπασμένο πεζοδρόμιο", intent="complaint_roads")
    assert chat.step == "location"
    replies = await chat.send(text, intent=intent)
    assert len(replies) >= 2
    assert replies[-1].text.startswith(EL("complaints.resume")) and replies[-1].request_location
    assert chat.step == "location" and chat.conv.flow.slots.get("address") is None  # type: ignore[union-attr]
    await chat.send("Ηρώων Πολυτεχνείου 5")
    assert chat.step == "pin"


@pytest.mark.parametrize("text", ["what can I see near me?", "Τι να δω εδώ κοντά;", "where is the nearest beach"])
async def test_a_question_while_asked_where_is_not_taken_for_the_address(services: Services, text: str) -> None:
    chat = Chat(services)
    await chat.send("Δεν ανάβει η λάμπα στην Αποκορώνου", intent="complaint_lighting",
                    entities={"location": "Αποκορώνου"})
    step = chat.step
    replies = await chat.send(text, intent="tourist_nearby")
    assert replies[-1].text.startswith(EL("complaints.resume"))
    assert chat.step == step and chat.conv.flow.slots.get("address") is None  # type: ignore[union-attr]


async def test_a_place_name_is_an_answer_not_a_tourist_question(services: Services) -> None:
    chat = Chat(services)
    await chat.send("χαλασμένο φανάρι", intent="complaint_lighting")
    await chat.send("στον Φάρο", intent="tourist_sight_info", entities={"sight": "Φάρος"})
    assert chat.step == "pin" and chat.conv.flow.slots["address"] == "στον Φάρο"  # type: ignore[union-attr]


async def test_status_check_in_the_middle_of_a_report(services: Services) -> None:
    chat = Chat(services)
    await chat.send("σκουπίδια", intent="complaint_waste")
    await chat.send(location=HARBOUR)
    replies = await chat.send("τι έγινε με την αναφορά μου", intent="check_status")
    assert replies[0].text == EL("complaints.status_none")
    assert replies[-1].text.startswith(EL("complaints.resume")) and chat.step == "photos"


async def test_a_second_complaint_waits_for_the_first(services: Services) -> None:
    chat = Chat(services)
    await chat.send("σκουπίδια", intent="complaint_waste")
    await chat.send(location=HARBOUR)
    await chat.send("και τα φώτα είναι σβηστά", intent="complaint_lighting")
    assert EL("complaints.one_at_a_time") in chat.text and chat.step == "photos"
    assert chat.conv.flow.slots["category"] == "complaint_waste"  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------------- bad input

async def test_outside_the_municipality(services: Services) -> None:
    chat = Chat(services)
    await chat.send("λακκούβα στην Κίσσαμο", intent="complaint_roads", entities={"location": "Κίσσαμος"})
    assert EL("complaints.outside") in chat.text and chat.step == "location"
    await chat.send(location=KISSAMOS)
    assert chat.text.startswith(EL("complaints.outside")) and chat.step == "location"
    await chat.send("Ρέθυμνο")
    assert chat.text.startswith(EL("complaints.outside")) and chat.step == "location"
    await chat.send(location=GeoPoint(35.487, 24.073))  # Souda
    assert chat.step == "photos"


async def test_text_over_2000_characters_is_cut_and_said(services: Services) -> None:
    chat = Chat(services, lang="en")
    await chat.send("The pavement is broken. " * 100, intent="complaint_roads")
    assert chat.last[0].text == EN("complaints.too_long", limit=2000)
    assert len(chat.conv.flow.slots["description"]) == 2000  # type: ignore[union-attr]


async def test_photos_too_big_or_not_photos_are_refused_politely(services: Services) -> None:
    chat = Chat(services, lang="en")
    await chat.send("dead cat on the road", intent="complaint_animals")
    await chat.send(location=HARBOUR)
    await chat.send(photos=(Attachment(file_id="big", size=MAX_PHOTO_BYTES + 1),))
    assert chat.last[0].text == EN("complaints.photo_too_big", size_mb="10.0", max_mb=10)
    assert chat.step == "photos" and chat.conv.flow.slots["photos"] == []  # type: ignore[union-attr]
    await chat.send(photos=(Attachment(kind="video", url="https://media.test/v.mp4", size=1000),))
    assert chat.last[0].text == EN("complaints.only_photos")
    await chat.send(photos=(Attachment(file_id="ok", size=MAX_PHOTO_BYTES),))
    assert chat.conv.flow.slots["photos"] == [{"file_id": "ok", "url": None, "size": MAX_PHOTO_BYTES}]  # type: ignore
    for i in range(6):
        await chat.send(photos=(Attachment(file_id=f"p{i}", size=1000),))
    assert len(chat.conv.flow.slots["photos"]) == 5 and EN("complaints.photo_limit", max=5) in chat.text  # type: ignore


async def test_a_photo_early_in_the_report_is_kept(services: Services) -> None:
    chat = Chat(services)
    await chat.send("μπάζα στο πεζοδρόμιο", intent="complaint_waste")
    await chat.send(photos=(Attachment(file_id="early", size=1000),))
    assert EL("complaints.photo_kept", count=1) in chat.text and chat.step == "location"


async def test_phone_only_with_consent(services: Services) -> None:
    chat = Chat(services)
    await chat.send("σκύλος τραυματισμένος", intent="complaint_animals")
    await chat.send(location=HARBOUR)
    await chat.press(EL("complaints.skip_photo"))
    assert chat.step == "phone_consent"
    await chat.send(phone="306912345678")  # shared without pressing the consent button: not kept
    assert chat.step == "phone_consent" and chat.conv.flow.slots["phone"] is None  # type: ignore[union-attr]
    await chat.press(EL("complaints.consent_yes"))
    await chat.send("τηλέφωνο δεν έχω τώρα")
    assert chat.text.startswith(EL("complaints.bad_phone")) and chat.step == "phone"
    await chat.press(EL("complaints.skip_phone"))
    assert chat.step == "summary"
    await chat.press(EL("complaints.submit"))
    assert (await only_ticket(services))["citizen"] == {}


# ---------------------------------------------------------------------------------------------------- edit

async def test_edit_from_the_summary_asks_only_that_again(services: Services) -> None:
    chat = Chat(services, lang="en")
    await chat.send("broken swing in the playground", intent="complaint_greenery")
    await chat.send("Kipos park")
    await chat.press(EN("complaints.no_pin"))
    await chat.press(EN("complaints.skip_photo"))
    await chat.press(EN("complaints.consent_no"))
    await chat.press(EN("complaints.edit"))
    await chat.press(EN("complaints.edit_place"))
    assert chat.step == "location"
    await chat.send("Dimotikos Kipos, Tzanakaki St")
    assert chat.step == "pin"  # a new address: the spot on the map is asked for again
    await chat.send("skip")
    assert chat.step == "summary" and "Dimotikos Kipos, Tzanakaki St" in chat.text
    await chat.press(EN("complaints.edit"))
    await chat.press(EN("complaints.edit_description"))
    await chat.send("The swing's chain is broken; children could get hurt", intent="complaint_greenery")
    assert chat.step == "summary" and "chain is broken" in chat.text
    await chat.press(EN("complaints.submit"))
    ticket = await only_ticket(services)
    assert ticket["address"] == "Dimotikos Kipos, Tzanakaki St" and "chain" in ticket["description"]


# ---------------------------------------------------------------------------------------------------- duplicates

async def test_duplicate_nearby_can_be_followed_instead(services: Services) -> None:
    other = await tickets.create_ticket(services, category="complaint_lighting", description="σβηστή λάμπα",
                                        channel="viber", language="el", conversation_id="viber:other",
                                        location=near(HARBOUR, 20))
    chat = Chat(services, lang="en")
    await chat.send("street light out by the harbour", intent="complaint_lighting")
    await chat.send(location=HARBOUR)
    assert chat.step == "duplicate"
    assert other["reference"] in chat.text and "20 m" in chat.text and "Received" in chat.text
    await chat.press(EN("complaints.follow", ref=other["reference"]))
    assert chat.conv.flow is None and chat.text == EN("complaints.following", ref=other["reference"])
    assert await services.store.tickets.count_documents({}) == 1
    followed = await tickets.get_ticket(services, other["reference"])
    assert [f["conversation_id"] for f in followed["followers"]] == ["telegram:100"]  # type: ignore[index]

    await tickets.change_status(services, other["reference"], "resolved", actor="staff:maria", note="ok")
    assert {c for c, _ in services.outbox.sent} == {"viber:other", "telegram:100"}  # type: ignore[attr-defined]


async def test_duplicate_can_be_declined_and_is_not_offered_for_far_or_other_kinds(services: Services) -> None:
    await tickets.create_ticket(services, category="complaint_lighting", description="x", channel="viber",
                                language="el", conversation_id="viber:other", location=near(HARBOUR, 120))
    await tickets.create_ticket(services, category="complaint_waste", description="x", channel="viber",
                                language="el", conversation_id="viber:other", location=HARBOUR)
    chat = Chat(services)
    await chat.send("σβηστή λάμπα", intent="complaint_lighting")
    await chat.send(location=HARBOUR)
    assert chat.step == "photos"  # 120 m away and another category: no suggestion

    near_one = await tickets.create_ticket(services, category="complaint_lighting", description="x",
                                           channel="viber", language="el", conversation_id="viber:other",
                                           location=near(HARBOUR, 30))
    chat2 = Chat(services, user="200")
    await chat2.send("σβηστή λάμπα", intent="complaint_lighting")
    await chat2.send(location=HARBOUR)
    assert chat2.step == "duplicate" and near_one["reference"] in chat2.text
    await chat2.press(EL("complaints.new_anyway"))
    assert chat2.step == "photos"


async def test_duplicate_radius_is_configurable(services: Services) -> None:
    await tickets.create_ticket(services, category="complaint_lighting", description="x", channel="viber",
                                language="el", conversation_id="viber:other", location=near(HARBOUR, 120))
    services.settings = Settings(duplicate_radius_m=150)
    chat = Chat(services)
    await chat.send("σβηστή λάμπα", intent="complaint_lighting")
    await chat.send(location=HARBOUR)
    assert chat.step == "duplicate"


async def test_own_open_report_nearby(services: Services) -> None:
    chat = Chat(services)
    await chat.send("σπασμένη κολόνα", intent="complaint_lighting")
    await chat.send(location=HARBOUR)
    await chat.press(EL("complaints.skip_photo"))
    await chat.press(EL("complaints.consent_no"))
    await chat.press(EL("complaints.submit"))
    first = await only_ticket(services)
    await chat.send("σπασμένη κολόνα ακόμα", intent="complaint_lighting")
    await chat.send(location=near(HARBOUR, 5))
    assert chat.step == "duplicate"
    assert chat.text == EL("complaints.duplicate_own", ref=first["reference"], distance=5, category="Φωτισμός",
                           status="Καταχωρίστηκε", date=day(first["created_at"]))
    await chat.press(EL("complaints.follow", ref=first["reference"]))
    assert chat.conv.flow is None and await services.store.tickets.count_documents({}) == 1


# ---------------------------------------------------------------------------------------------------- status

async def test_status_list_and_by_reference_only_for_the_filer(services: Services) -> None:
    mine = [await tickets.create_ticket(services, category=c, description="x", channel="telegram", language="el",
                                        conversation_id="telegram:100", address="Χαλέπα")
            for c in ("complaint_waste", "complaint_noise")]
    theirs = await tickets.create_ticket(services, category="complaint_roads", description="προσωπικά στοιχεία",
                                         channel="viber", language="el", conversation_id="viber:other")
    await tickets.change_status(services, mine[0]["reference"], "in_progress", actor="staff:maria",
                                note="Το συνεργείο έρχεται αύριο")
    chat = Chat(services)

    await chat.send("τι έγινε με την αναφορά μου", intent="check_status")
    lines = chat.text.splitlines()
    assert lines[0] == EL("complaints.status_list_title")
    assert lines[1].startswith(f"{mine[1]['reference']} · Θόρυβος · Καταχωρίστηκε · ")
    assert lines[2].startswith(f"{mine[0]['reference']} · Καθαριότητα – σκουπίδια · Σε εξέλιξη · ")
    assert theirs["reference"] not in chat.text
    assert chat.conv.flow is None

    await chat.press(mine[0]["reference"])
    assert "Σε εξέλιξη" in chat.text and "Το συνεργείο έρχεται αύριο" in chat.text and "Χαλέπα" in chat.text

    ref = mine[1]["reference"].lower().replace("-", " ")
    await chat.send(f"τι έγινε με την {ref}", intent="check_status", entities={"ticket_id": ref})
    assert chat.text.startswith(EL("complaints.status_detail", ref=mine[1]["reference"], category="Θόρυβος",
                                   status="Καταχωρίστηκε", date=day(mine[1]["created_at"]),
                                   changed=day(mine[1]["created_at"])))

    await chat.send(f"status of {theirs['reference']}", intent="check_status",
                    entities={"ticket_id": theirs["reference"]})
    assert chat.text == EL("complaints.status_not_found", ref=theirs["reference"])
    assert "προσωπικά" not in chat.text
    await chat.send(button=f"cmp:status:{theirs['reference']}")  # a forged button is no way round
    assert chat.text == EL("complaints.status_not_found", ref=theirs["reference"])
    await chat.send("CHA-2026-999999", intent="check_status")
    assert chat.text == EL("complaints.status_not_found", ref="CHA-2026-999999")


async def test_status_when_nothing_was_filed(services: Services) -> None:
    chat = Chat(services, lang="en")
    await chat.send("status of my report", intent="check_status")
    assert chat.text == EN("complaints.status_none")


# ---------------------------------------------------------------------------------------------------- restart

async def test_a_new_handler_instance_continues_the_flow(services: Services) -> None:
    """The flow lives in the slots only: a restarted service (a new registry and handler) carries on."""
    chat = Chat(services)
    await chat.send("βουλωμένο φρεάτιο", intent="complaint_water")
    await chat.send(location=HARBOUR)
    chat.registry = HandlerRegistry(ConversationHandler(), [create_handler(services)])
    await chat.press(EL("complaints.skip_photo"))
    assert chat.step == "phone_consent"


# ----------------------------------------------------------------------------------------------- issue 9: the place

def _lamp_on_apokoronou(text: str = "Δεν ανάβει η λάμπα στην Αποκορώνου 25") -> tuple[str, str, dict[str, Any]]:
    start = text.index("Αποκορώνου")
    return text, "complaint_lighting", {"entity": "location", "value": "Αποκορώνου", "start": start,
                                        "end": start + len("Αποκορώνου")}


async def _send_with_entity(chat: Chat, text: str, intent: str, entity: dict[str, Any],
                            ranking: list[dict[str, Any]] | None = None) -> list[Reply]:
    """Like Chat.send, with an entity that keeps its span (as Rasa gives it) and an intent ranking."""
    inbound = Inbound(channel=chat.conv.channel, user_id=chat.conv.user_id,  # type: ignore[arg-type]
                      chat_id=chat.conv.chat_id, message_id=str(next(_ids)), text=text)
    raw = {"intent": {"name": intent, "confidence": 0.9}, "intent_ranking": ranking or [], "entities": [entity]}
    nlu = NluResult.from_rasa(raw)
    turn = Turn(inbound=inbound, nlu=nlu, conversation=chat.conv, texts=Texts(chat.conv.language),
                services=chat.services)
    outcome = await chat.registry.dispatch(turn)
    if outcome.flow is not KEEP:
        chat.conv.flow = outcome.flow
    chat.last = outcome.replies
    return outcome.replies


@pytest.mark.parametrize("word", ["yes", "ναι", "Ναι", "nai", "ok", "σωστά", "Σωστα", "exactly", "ΑΚΡΙΒΩΣ",
                                  "ναι, εκεί", "yes that's it"])
async def test_a_yes_in_words_confirms_the_suggested_place(services: Services, word: str) -> None:
    chat = Chat(services)
    await _send_with_entity(chat, *_lamp_on_apokoronou())
    assert "«Αποκορώνου 25»" in chat.last[-1].text and chat.step == "location"
    await chat.send(word)  # NLU may say anything here: the words decide
    assert chat.step == "pin"
    assert chat.conv.flow.slots["address"] == "Αποκορώνου 25"  # type: ignore[union-attr]


@pytest.mark.parametrize("word", ["no", "όχι", "oxi", "Όχι, δεν είναι εκεί", "λάθος"])
async def test_a_no_asks_for_the_place_again(services: Services, word: str) -> None:
    chat = Chat(services)
    await _send_with_entity(chat, *_lamp_on_apokoronou())
    await chat.send(word)
    assert chat.step == "location" and chat.conv.flow.slots["address"] is None  # type: ignore[union-attr]
    assert chat.last[-1].text == EL("complaints.ask_location") and chat.last[-1].request_location
    await chat.send("Χάληδων 10")
    assert chat.conv.flow.slots["address"] == "Χάληδων 10"  # type: ignore[union-attr]


async def test_the_house_number_is_kept_but_not_a_number_of_days(services: Services) -> None:
    chat = Chat(services)
    await _send_with_entity(chat, *_lamp_on_apokoronou("λάμπα σβηστή στην Αποκορώνου 3 μέρες τώρα"))
    assert "«Αποκορώνου»" in chat.last[-1].text


@pytest.mark.parametrize(("lang", "text"), [("en", "asdkjh qwpoeiru zxcmvn"), ("el", "ξέρω γω, κάπου εκεί"),
                                            ("en", "dunno"), ("el", "δεν ξερω"), ("el", "den kserw")])
async def test_no_place_at_all_is_asked_once_more_with_an_example(services: Services, lang: str, text: str) -> None:
    chat = Chat(services, lang=lang)
    texts = Texts(lang)  # type: ignore[arg-type]
    await chat.send("σκουπίδια παντού", intent="complaint_waste")
    await chat.send(text, intent="greet")  # even if NLU takes a shrug for a greeting, it is no welcome menu
    assert chat.step == "location" and chat.conv.flow.slots["address"] is None  # type: ignore[union-attr]
    assert [r.text for r in chat.last] == [texts("complaints.place_again")] and chat.last[0].request_location
    await chat.send("κάτω από το σπίτι")  # the second try: only a place will do
    assert chat.step == "location" and chat.last[-1].text == texts("complaints.place_still")
    await chat.send("Πλατεία Αγοράς, δίπλα στο περίπτερο")
    assert chat.step == "pin"
    assert chat.conv.flow.slots["address"] == "Πλατεία Αγοράς, δίπλα στο περίπτερο"  # type: ignore[union-attr]


async def test_english_shows_greek_places_in_latin_script(services: Services) -> None:
    chat = Chat(services, lang="en")
    text = "The street light on Αποκορώνου 25 is out"
    start = text.index("Αποκορώνου")
    await _send_with_entity(chat, text, "complaint_lighting",
                            {"entity": "location", "value": "Αποκορώνου", "start": start, "end": start + 10})
    assert chat.last[-1].text.startswith('Is it at “Apokoronou 25” (Αποκορώνου 25)?')
    await chat.send("yes")
    await chat.press(EN("complaints.no_pin"))
    await chat.press(EN("complaints.skip_photo"))
    await chat.press(EN("complaints.consent_no"))
    assert "Place: Apokoronou 25 (Αποκορώνου 25)" in chat.text


async def test_two_problems_in_one_message_file_the_first_and_offer_the_second(services: Services) -> None:
    chat = Chat(services, lang="en")
    text = "rubbish on Νεάρχου and a pothole too"
    start = text.index("Νεάρχου")
    ranking = [{"name": "complaint_waste", "confidence": 0.55}, {"name": "complaint_roads", "confidence": 0.3},
               {"name": "greet", "confidence": 0.05}]
    await _send_with_entity(chat, text, "complaint_waste",
                            {"entity": "location", "value": "Νεάρχου", "start": start, "end": start + 7}, ranking)
    await chat.send("yes")
    await chat.press(EN("complaints.no_pin"))
    await chat.press(EN("complaints.skip_photo"))
    await chat.press(EN("complaints.consent_no"))
    await chat.press(EN("complaints.submit"))
    first = await only_ticket(services)
    assert first["category"] == "complaint_waste" and first["address"] == "Νεάρχου"
    assert chat.last[-1].text == EN("complaints.offer_second", category="Roads and pavements")
    await chat.press(EN("complaints.file_second"))
    assert chat.conv.flow.slots["category"] == "complaint_roads"  # type: ignore[union-attr]
    assert chat.last[-1].text.startswith('Is it at “Nearchou” (Νεάρχου)?')
    await chat.send("yes")
    await chat.press(EN("complaints.no_pin"))
    await chat.press(EN("complaints.skip_photo"))
    await chat.press(EN("complaints.consent_no"))
    await chat.press(EN("complaints.submit"))
    second = await services.store.tickets.find_one({"category": "complaint_roads"})
    assert second is not None and second["address"] == "Νεάρχου" and second["description"] == text
    assert not any(b.payload.startswith("cmp:second") for r in chat.last for b in r.buttons)


async def test_one_problem_is_not_taken_for_two(services: Services) -> None:
    chat = Chat(services)
    ranking = [{"name": "complaint_waste", "confidence": 0.6}, {"name": "complaint_roads", "confidence": 0.3}]
    await _send_with_entity(chat, "σκουπίδια στη Νεάρχου", "complaint_waste",
                            {"entity": "location", "value": "Νεάρχου", "start": 13, "end": 20}, ranking)
    assert chat.conv.flow.slots["second_category"] is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("lang", "text"), [("el", "γιατί απορρίφθηκε;"), ("el", "Γιατι απορριφθηκε η αναφορα μου"),
                                            ("en", "Why was it rejected?"), ("el", "giati aporrifthike?")])
async def test_why_was_it_rejected(services: Services, lang: str, text: str) -> None:
    mine = await tickets.create_ticket(services, category="complaint_parking", description="x", channel="telegram",
                                       language="el", conversation_id="telegram:100")
    await tickets.change_status(services, mine["reference"], "rejected", actor="staff:maria",
                                note="Ιδιωτικός χώρος στάθμευσης")
    chat = Chat(services, lang=lang)
    await chat.send(text, intent="out_of_scope")
    texts = Texts(lang)  # type: ignore[arg-type]
    ticket = await only_ticket(services)
    assert chat.text == "\n".join([
        texts("complaints.why_status", ref=mine["reference"], status=texts("tickets.status.rejected"),
              date=day(ticket["history"][-1]["at"])),
        texts("complaints.why_note", note="Ιδιωτικός χώρος στάθμευσης")])


@pytest.mark.parametrize("typed", ["πρασινο δεντρα", "Πράσινο – δέντρα", "ΠΡΑΣΙΝΟ ΔΕΝΤΡΑ"])
async def test_a_category_typed_as_its_button_says_is_taken(services: Services, typed: str) -> None:
    chat = Chat(services)
    unsure = services.settings.nlu_confidence_threshold - 0.05
    await chat.send("υπάρχει ένα θέμα στη γειτονιά", intent="complaint_noise", confidence=unsure)
    assert chat.step == "category"
    await chat.send(typed, intent="out_of_scope", confidence=0.3)  # NLU has no idea: the label decides
    assert chat.step == "location" and chat.conv.flow.slots["category"] == "complaint_greenery"  # type: ignore
