"""Answers to "where?" as residents type them on a phone (QA, session 2): a chatty yes, "here", a Greeklish street
the lookup tables do not know. The real app over the Telegram webhook, the real Rasa server, the fake Bot API
recording what the person reads."""

from __future__ import annotations

from typing import Any

import pytest

from bot import tickets
from bot.core.i18n import Texts
from bot.core.models import GeoPoint
from bot.offices.directory import Directory
from handlers.complaints import place_label
from tests.fixtures.people import TelegramPerson, finish
from tests.fixtures.service import Service

pytestmark = pytest.mark.rasa

EL, EN = Texts("el"), Texts("en")
HALEPA = GeoPoint(35.5185, 24.0400)


async def test_a_chatty_greek_yes_keeps_the_street_and_its_number(service: Service) -> None:
    maria = TelegramPerson(service, 9301)
    await maria.say("καλησπερα, εχει μια τεραστια λακκουβα στην τζανακακη μπροστα απο το 25, σχεδον επεσα με το "
                    "μηχανακι")
    assert EL("complaints.confirm_place", place="«Τζανακάκη 25»") in maria.texts
    await maria.say("ναι ρε φιλε εκει σου λεω")
    assert maria.texts[0] == EL("complaints.ask_pin", place="«Τζανακάκη 25»")  # confirmed, not a new "place"
    await maria.press(EL("complaints.no_pin"))
    ref = await finish(maria, EL, pin_asked=False)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Τζανακάκη 25"


async def test_an_english_yes_with_words_around_it_confirms(service: Service) -> None:
    john = TelegramPerson(service, 9302, lang="en")
    await john.say("There is a huge pothole on Chalidon 10, nearly fell off my bike")
    assert 'Is it at “Chalidon 10” (Χάληδων 10)?' in john.seen
    await john.say("yes mate that's the one, thanks")
    assert john.texts[0] == EN("complaints.ask_pin", place="“Chalidon 10” (Χάληδων 10)")


@pytest.mark.parametrize(("lang", "here"), [("el", "εδώ"), ("el", "στο σπιτι μου"), ("el", "ΕΔΩ ΚΟΝΤΑ"),
                                            ("el", "sth geitonia mou"), ("en", "right here")])
async def test_here_asks_for_the_location_button_and_is_never_the_place(service: Service, lang: str,
                                                                        here: str) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    nikos = TelegramPerson(service, 9303, lang=lang)
    await nikos.say("δεν αναβει η λαμπα του δρομου" if lang == "el" else "the street light is out")
    await nikos.say(here)
    assert nikos.seen == t("complaints.place_here")
    assert nikos.last[0].reply_markup["keyboard"][0][0]["request_location"] is True  # type: ignore[index]
    conv = await nikos.conversation()
    assert conv["flow"]["step"] == "location" and conv["flow"]["slots"]["address"] is None
    await nikos.share_location(HALEPA)
    assert nikos.texts[0] == t("complaints.ask_photo", max_mb=10)
    ref = await finish(nikos, t, pin_asked=False)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and not ticket.get("address")
    assert ticket["location"]["coordinates"] == [HALEPA.lon, HALEPA.lat]


async def test_a_greeklish_street_with_a_number_is_offered_as_the_place(service: Service) -> None:
    eleni = TelegramPerson(service, 9304)
    await eleni.say("trexei nero apo to pezodromio stin Kalergon 12 edo kai mera, xanetai poly nero")
    assert EL("complaints.confirm_place", place="«Kalergon 12»") in eleni.texts  # not "where is it?" again
    await eleni.say("nai")
    assert eleni.texts[0] == EL("complaints.ask_pin", place="«Kalergon 12»")


# The Greek question is one the NLU reads firmly as the report's own category (complaint_waste, ~0.8), so the bot
# cannot answer it. The town hall's hours are intent municipal_info (nlu/data/municipal.yml): answered with the
# office's card (handlers/municipal.py), then the report is offered again.
@pytest.mark.parametrize(("lang", "report", "question", "answered"), [
    ("el", "Γέμισαν τα σκουπίδια στη Χάληδων 14", "πότε θα περάσει το απορριμματοφόρο;", False),
    ("en", "The bins on Chalidon 14 are overflowing", "what time does the town hall close?", True),
])
async def test_a_question_at_the_place_step_is_not_the_address(service: Service, lang: str, report: str,
                                                               question: str, answered: bool) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    nikos = TelegramPerson(service, 9305, lang=lang)
    await nikos.say(report)
    await nikos.say(question)
    if answered:  # a question the bot can answer: answered, then the report is offered again
        town_hall = Directory.load().get("town_hall")
        assert town_hall is not None
        assert nikos.texts[0].startswith(t("municipal.title", name=town_hall.name(lang)))
        assert t("complaints.resume") in nikos.seen
    else:  # one it cannot: said so, and the place asked again
        assert nikos.texts[0] == t("complaints.place_question")
    conv = await nikos.conversation()
    assert conv["flow"]["step"] == "location" and conv["flow"]["slots"]["address"] is None
    assert conv["flow"]["slots"]["suggested_place"] == "Χάληδων 14"  # asked again: "is it at «Χάληδων 14»?"


async def test_a_yes_in_english_keeps_a_greek_conversation_greek(service: Service) -> None:
    maria = TelegramPerson(service, 9306, lang="en")  # a phone set to English, a resident writing Greek
    await maria.say("Καλησπέρα, δεν ανάβει η λάμπα στην Αποκορώνου 30")
    assert EL("complaints.confirm_place", place="«Αποκορώνου 30»") in maria.texts
    await maria.say("yes")
    assert maria.texts[0] == EL("complaints.ask_pin", place="«Αποκορώνου 30»")  # still Greek


async def test_a_landmark_named_in_the_report_is_the_place_with_its_point(service: Service) -> None:
    """QA F21: the guide knows where the Municipal Market is; no "where?" again and no pin to ask for."""
    maria = TelegramPerson(service, 9307)
    await maria.say("λακκούβα έξω από τη Δημοτική Αγορά")
    assert EL("complaints.confirm_place", place="«Δημοτική Αγορά Χανίων»") in maria.texts
    await maria.say("ναι")
    assert maria.texts[0] == EL("complaints.ask_photo", max_mb=10)  # the landmark's point: no pin step
    ref = await finish(maria, EL, pin_asked=False)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Δημοτική Αγορά Χανίων"
    lon, lat = ticket["location"]["coordinates"]
    assert abs(lat - 35.5143) < 0.01 and abs(lon - 24.0206) < 0.01


async def test_a_corner_keeps_both_streets(service: Service) -> None:
    nikos = TelegramPerson(service, 9308)
    await nikos.say("σπασμενο πεζοδρομιο στη γωνια Κυδωνιας και Αποκορωνου")
    assert EL("complaints.confirm_place", place="«Κυδωνίας & Αποκορώνου»") in nikos.texts


async def test_the_same_typed_address_is_offered_as_a_duplicate_without_a_geocoder(service: Service) -> None:
    """QA F19: no geocoder, so no point to compare; the same street and number of the same kind, still open."""
    first = TelegramPerson(service, 9309)
    await first.say("Δεν ανάβει η λάμπα στην Αποκορώνου 10")
    await first.say("ναι")
    await first.press(EL("complaints.no_pin"))
    ref = await finish(first, EL, pin_asked=False)
    second = TelegramPerson(service, 9310)
    await second.say("δεν αναβει η λαμπα στην αποκορωνου 10")  # unaccented, another resident
    await second.say("ναι")
    await second.press(EL("complaints.no_pin"))
    assert ref in second.seen and "Αποκορώνου 10" in second.seen
    assert EL("complaints.follow", ref=ref) in [label for c in second.last for label in c.inline_labels]
    other = TelegramPerson(service, 9311)  # another kind at the same address: no offer
    await other.say("Γέμισαν τα σκουπίδια στην Αποκορώνου 10")
    await other.say("ναι")
    await other.press(EL("complaints.no_pin"))
    assert ref not in other.seen


async def test_an_animal_report_asks_its_state_unless_the_words_say_it(service: Service) -> None:
    """QA F28: the animals department needs the animal's state (Open311 requires it too)."""
    hurt = TelegramPerson(service, 9312)
    await hurt.say("γεια, υπαρχει ενα σκυλι χτυπημενο στο δρομο στην Αποκορώνου 40")
    assert EL("complaints.confirm_place", place="«Αποκορώνου 40»") in hurt.texts  # injured: not asked
    await hurt.say("ναι")
    await hurt.press(EL("complaints.no_pin"))
    ref = await finish(hurt, EL, pin_asked=False)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["attributes"] == {"animal_state": "injured"}

    john = TelegramPerson(service, 9313, lang="en")
    await john.say("There is a dog lying on the pavement on Chalidon 10")
    assert EN("complaints.confirm_place", place="“Chalidon 10” (Χάληδων 10)") not in john.texts  # asked first:
    assert "What state is the animal in?" in john.texts
    await john.press("Stray")
    assert 'Is it at “Chalidon 10” (Χάληδων 10)?' in john.seen


@pytest.mark.parametrize(("lang", "question"), [("el", "πότε μαζεύουν τα σκουπίδια στη Νέα Χώρα;"),
                                                ("en", "When do you collect the rubbish in Nea Chora?")])
async def test_a_schedule_question_is_not_filed_as_a_report(make_service: Any, lang: str, question: str) -> None:
    """QA F30: a question about a service's schedule is asked whether it is a report; if not, who can answer."""
    service = await make_service(citizen_office_phone="28213 41600")
    t = Texts(lang)  # type: ignore[arg-type]
    person = TelegramPerson(service, 9314, lang=lang)
    await person.say(question)
    assert t("complaints.is_report") in person.texts
    await person.press(t("complaints.is_report_no"))
    assert person.texts == [t("complaints.just_asking", contact="28213 41600")]
    assert (await person.conversation())["flow"] is None
    assert await service.store.tickets.count_documents({}) == 0
    await person.say(question)  # and if it was a report after all, it goes on as one
    await person.press(t("complaints.is_report_yes"))
    assert person.texts[0] == t("complaints.confirm_place", place=place_label("Νέα Χώρα", lang))


async def test_a_whole_area_alone_is_not_enough_for_the_crew(service: Service) -> None:
    """QA F28: «Ακρωτήρι» is a municipal unit of 10,000 people: the spot or a street is asked, with no skipping."""
    nikos = TelegramPerson(service, 9315)
    await nikos.say("σπασμένο πεζοδρόμιο στο Ακρωτήρι")
    await nikos.say("ναι")
    pin_area = EL("complaints.pin_area", place="«Ακρωτήρι»")
    assert nikos.texts[0] == pin_area
    assert EL("complaints.no_pin") not in [label for c in nikos.last for label in c.inline_labels]
    await nikos.say("συνέχεια χωρίς")  # skipping is not offered for a whole area
    assert nikos.texts[0] == pin_area
    await nikos.say("στην πλατεία των Κουνουπιδιανών")  # a landmark typed now: the report's place
    conv = await nikos.conversation()
    assert conv["flow"]["slots"]["address"] == "στην πλατεία των Κουνουπιδιανών"
