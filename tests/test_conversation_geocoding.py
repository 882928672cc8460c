"""Issue 9, typed addresses on the map: the real service over the Telegram webhook with the real Rasa server and a
fake Nominatim on loopback (GEOCODER_URL). Found → shown back with a map pin to confirm, then the duplicate check
runs on that point; not found, failing, declined or no geocoder at all → the text is kept and the spot on the map
is asked for, in the person's language, with the location button and "continue without" (never blocking)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bot import tickets
from bot.core.geo import EARTH_RADIUS_M
from bot.core.i18n import Texts
from bot.core.models import GeoPoint
from tests.fakes.nominatim import FakeNominatim
from tests.fixtures.people import TelegramPerson, ViberPerson, finish

pytestmark = pytest.mark.rasa

EL, EN = Texts("el"), Texts("en")
KISSAMOU_40 = GeoPoint(35.5135, 24.0105)



async def _service(make_service: Any, nominatim: FakeNominatim) -> Any:
    return await make_service(geocoder_url=nominatim.url, geocoder_min_delay_s=0.0)



async def test_found_address_is_confirmed_with_a_pin_and_checked_for_duplicates(make_service: Any,
                                                                              nominatim: FakeNominatim) -> None:
    nominatim.add("κισσάμου 40", KISSAMOU_40.lat, KISSAMOU_40.lon, "Κισσάμου, Χανιά, Δήμος Χανίων, 73131, Ελλάς")
    service = await _service(make_service, nominatim)
    nearby = GeoPoint(KISSAMOU_40.lat + math.degrees(15 / EARTH_RADIUS_M), KISSAMOU_40.lon)
    other = await tickets.create_ticket(service.runtime.services, category="complaint_roads", description="λακκούβα",
                                        channel="viber", language="el", conversation_id="viber:x", location=nearby)
    eleni = TelegramPerson(service, 9301)
    await eleni.say("Μεγάλη λακκούβα στην Κισσάμου 40")
    assert EL("complaints.confirm_place", place="«Κισσάμου 40»") in eleni.texts
    await eleni.say("ναι")
    assert eleni.texts == [EL("complaints.geo_confirm", place="Κισσάμου, Χανιά, Δήμος Χανίων, 73131, Ελλάς")]
    (venue,) = [c for c in service.fake_telegram.sent(9301) if c.method == "sendVenue"]
    assert (float(venue.body["latitude"]), float(venue.body["longitude"])) == pytest.approx(
        (KISSAMOU_40.lat, KISSAMOU_40.lon))
    await eleni.say("ναι")
    assert other["reference"] in eleni.seen and "15 μ." in eleni.seen  # the duplicate check ran on the point
    await eleni.press(EL("complaints.new_anyway"))
    ref = await finish(eleni, EL, pin_asked=False)  # the pin came from the geocoder
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Κισσάμου 40"
    assert ticket["location"]["coordinates"] == pytest.approx([KISSAMOU_40.lon, KISSAMOU_40.lat])
    assert nominatim.requests[0].params["q"] == "Κισσάμου 40, Χανιά"


async def test_declined_result_keeps_the_text_and_asks_for_a_pin(make_service: Any,
                                                                nominatim: FakeNominatim) -> None:
    nominatim.add("χάληδων 10", 35.5160, 24.0170, "Χάληδων, Χανιά, Ελλάς")
    service = await _service(make_service, nominatim)
    john = TelegramPerson(service, 9302, lang="en")
    await john.say("The street light at Chalidon 10 is out")
    await john.say("yes")
    assert john.texts == [EN("complaints.geo_confirm", place="Χάληδων, Χανιά, Ελλάς")]
    await john.say("no")
    assert john.texts == [EN("complaints.geo_declined"), EN("system.location_below")]  # the pin asked for
    ref = await finish(john, EN)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Χάληδων 10" and ticket["location"] is None


@pytest.mark.parametrize("status", [503, 200])
async def test_geocoder_failing_or_not_finding_never_blocks(make_service: Any, nominatim: FakeNominatim,
                                                            status: int) -> None:
    nominatim.status = status  # 200 with no place known: an empty list, Nominatim's "not found"
    service = await _service(make_service, nominatim)
    maria = TelegramPerson(service, 9303)
    await maria.say("Σπασμένο πεζοδρόμιο στη Τζανακάκη 12")
    await maria.say("ναι")
    assert maria.texts == [EL("complaints.geo_not_found", place="«Τζανακάκη 12»"), EL("system.location_below")]
    ref = await finish(maria, EL)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Τζανακάκη 12"


# ------------------------------------------------------------------------------------- no geocoder: ask for the pin

def keyboard(call: Any) -> list[list[dict[str, Any]]]:
    return (call.reply_markup or {}).get("keyboard", [])




async def test_without_a_geocoder_the_greek_resident_is_asked_for_the_pin_and_can_send_it(service: Any) -> None:
    assert service.runtime.services.settings.geocoder_url is None
    eleni = TelegramPerson(service, 9304)
    await eleni.say("Σπασμένο φανάρι στην Κυδωνίας 40")
    await eleni.say("ναι")
    assert eleni.texts == [EL("complaints.ask_pin", place="«Κυδωνίας 40»"), EL("system.location_below")]
    question, key = eleni.last
    assert question.inline_labels == [EL("complaints.no_pin")] and keyboard(question) == []
    assert keyboard(key) == [[{"text": "📍 Αποστολή της τοποθεσίας μου", "request_location": True}]]
    await eleni.share_location(KISSAMOU_40)
    assert eleni.texts == [EL("complaints.ask_photo", max_mb=10)]
    ref = await finish(eleni, EL, pin_asked=False)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Κυδωνίας 40"
    assert ticket["location"]["coordinates"] == pytest.approx([KISSAMOU_40.lon, KISSAMOU_40.lat])


@pytest.mark.parametrize(("lang", "words"), [("en", "skip"), ("en", "no"), ("el", "δεν έχω gps"),
                                             ("el", "συνεχεια χωρις"), ("el", "oxi")])
async def test_without_a_geocoder_the_pin_can_be_skipped_in_words(service: Any, lang: str, words: str) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    person = TelegramPerson(service, 9305, lang=lang)
    await person.say("The street light at Chalidon 10 is out" if lang == "en" else "Δεν ανάβει η λάμπα στη Χάληδων 10")
    await person.say("yes" if lang == "en" else "ναι")
    place = "“Chalidon 10” (Χάληδων 10)" if lang == "en" else "«Χάληδων 10»"
    assert person.texts == [t("complaints.ask_pin", place=place), t("system.location_below")]
    assert keyboard(person.last[1])[0][0]["text"] == t("system.share_location_button")
    await person.say(words)
    assert person.texts == [t("complaints.ask_photo", max_mb=10)]  # never blocked
    ref = await finish(person, t, pin_asked=False)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Χάληδων 10" and ticket["location"] is None


async def test_a_yes_at_the_pin_says_how_and_an_outside_pin_keeps_the_address(service: Any) -> None:
    john = TelegramPerson(service, 9306, lang="en")
    await john.say("There is a big pothole in the road")
    assert john.texts[-1] == EN("complaints.ask_location")
    await john.say("12 Tzanakaki street")
    await john.say("yes")  # "yes, I'll send it": how, not a skip
    assert john.texts == [EN("complaints.pin_how", button=EN("complaints.no_pin")),
                          EN("complaints.ask_pin", place="“12 Tzanakaki street”"), EN("system.location_below")]
    await john.share_location(GeoPoint(35.366, 24.482))  # Rethymno
    assert john.texts[0] == EN("complaints.outside")
    conv = await john.conversation()
    assert conv["flow"]["step"] == "pin" and conv["flow"]["slots"]["address"] == "12 Tzanakaki street"
    await john.press(EN("complaints.no_pin"))
    assert john.texts == [EN("complaints.ask_photo", max_mb=10)]


@pytest.mark.parametrize("lang", ["el", "en"])
async def test_telegram_location_steps_read_in_the_persons_language_only(service: Any, lang: str) -> None:
    """Telegram puts one keyboard on a message: the question keeps its buttons, and a second message in the
    person's language (never the other one) brings the 📍 key."""
    t, other = Texts(lang), Texts("en" if lang == "el" else "el")  # type: ignore[arg-type]
    person = TelegramPerson(service, 9307, lang=lang)
    await person.say("Δεν ανάβει η λάμπα στην Αποκορώνου 25" if lang == "el"
                     else "The street light on Apokoronou 25 is out")
    place = "«Αποκορώνου 25»" if lang == "el" else "“Apokoronou 25” (Αποκορώνου 25)"
    question, key = person.last[-2:]
    assert [question.body["text"], key.body["text"]] == [t("complaints.confirm_place", place=place),
                                                         t("system.location_below")]
    assert question.inline_labels == [t("complaints.yes_place"), t("complaints.no_place")]
    assert keyboard(key) == [[{"text": t("system.share_location_button"), "request_location": True}]]
    await person.press(t("complaints.no_place"))
    (ask,) = person.last[1:]  # "all right, not there", then the question with the 📍 key on it: one message
    assert ask.body["text"] == t("complaints.ask_location")
    assert keyboard(ask) == [[{"text": t("system.share_location_button"), "request_location": True}]]
    said = " ".join(c.body["text"] for c in service.fake_telegram.sent(9307, "sendMessage"))
    for key_name in ("system.location_below", "system.share_location_button", "complaints.ask_location"):
        assert other(key_name) not in said


@pytest.mark.parametrize("lang", ["el", "en"])
async def test_viber_pin_step_has_continue_without_and_the_location_picker_in_the_persons_language(
        service: Any, fake_viber: Any, lang: str) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    person = ViberPerson(service, fake_viber, f"viber-pin-{lang}==", lang=lang)
    await person.say("Σπασμένο πεζοδρόμιο στη Χάληδων 10" if lang == "el" else "Broken pavement on Chalidon 10")
    await person.say("ναι" if lang == "el" else "yes")
    (ask,) = person.last
    place = "«Χάληδων 10»" if lang == "el" else "“Chalidon 10” (Χάληδων 10)"
    assert ask.body["text"] == t("complaints.ask_pin", place=place)
    keys = [(b["ActionType"], b["Text"]) for b in ask.body["keyboard"]["Buttons"]]
    assert keys == [("reply", t("complaints.no_pin")), ("location-picker", t("channels.viber_share_location"))]
    await person.press(t("complaints.no_pin"))
    assert person.text == t("complaints.ask_photo", max_mb=10)


def removes_keyboard(call: Any) -> bool:
    return (call.sent_markup or {}).get("remove_keyboard") is True


async def test_telegram_location_key_is_removed_by_the_next_message_that_does_not_ask_for_it(service: Any) -> None:
    """QA F16: the one-time 📍 key stays a tap away under the typing field until a message removes it. Answered with
    "continue without a pin", the next question removes it and still carries its own buttons; later messages
    send no removal, as there is nothing left to remove."""
    eleni = TelegramPerson(service, 9310)
    await eleni.say("Σπασμένο φανάρι στην Κυδωνίας 40")
    await eleni.say("ναι")
    assert keyboard(eleni.last[-1])[0][0]["request_location"] is True
    assert not any(removes_keyboard(c) for c in eleni.last)
    await eleni.press(EL("complaints.no_pin"))
    (ask_photo,) = eleni.last
    assert ask_photo.body["text"] == EL("complaints.ask_photo", max_mb=10)
    assert removes_keyboard(ask_photo)
    assert EL("complaints.skip_photo") in ask_photo.inline_labels  # put on the same message by an edit
    (edit,) = service.fake_telegram.sent(9310, "editMessageReplyMarkup")
    assert int(edit.body["message_id"]) == ask_photo.result["message_id"]
    ref = await finish(eleni, EL, pin_asked=False)
    assert ref.startswith("CHA-")
    removals = [c for c in service.fake_telegram.sent(9310, "sendMessage") if removes_keyboard(c)]
    assert removals == [ask_photo]


async def test_telegram_location_key_is_removed_after_the_inline_yes_and_after_a_shared_pin(
        make_service: Any, nominatim: FakeNominatim) -> None:
    """The other answers: the inline «Yes, there» to a place the person typed (then found on the map), and the 📍
    key itself (one-time keys hide when used, yet stay summonable until removed)."""
    nominatim.add("αποκορώνου 25", 35.5131, 24.0170, "Αποκορώνου, Χανιά, Ελλάς")
    service = await _service(make_service, nominatim)
    john = TelegramPerson(service, 9311, lang="en")
    await john.say("The street light on Apokoronou 25 is out")
    assert keyboard(john.last[-1])[0][0]["request_location"] is True
    await john.press(EN("complaints.yes_place"))
    (found,) = john.last
    assert found.body["text"] == EN("complaints.geo_confirm", place="Αποκορώνου, Χανιά, Ελλάς")
    assert removes_keyboard(found) and found.inline_labels == [EN("complaints.geo_yes"), EN("complaints.geo_no")]
    await john.say("yes")  # typed: nothing is showing any more, nothing to remove
    assert john.last and not any(removes_keyboard(c) or keyboard(c) for c in john.last)

    maria = TelegramPerson(service, 9312)
    await maria.say("Δεν ανάβει η λάμπα")
    assert any(keyboard(c) for c in maria.last)  # where is it? with the 📍 key
    await maria.share_location(GeoPoint(35.5138, 24.0180))
    assert maria.last and removes_keyboard(maria.last[0])
    assert not any(removes_keyboard(c) for c in maria.last[1:])


async def test_telegram_buttons_refused_by_the_edit_come_on_a_message_of_their_own(service: Any) -> None:
    """Should Telegram refuse to add the buttons to the message that removed the 📍 key, the question is sent again
    with them: never a question without its buttons."""
    service.fake_telegram.refuse_markup_edits = True
    eleni = TelegramPerson(service, 9313)
    await eleni.say("Σπασμένο φανάρι στην Κυδωνίας 40")
    await eleni.say("ναι")
    await eleni.press(EL("complaints.no_pin"))
    removed, again = eleni.last
    assert removed.body["text"] == again.body["text"] == EL("complaints.ask_photo", max_mb=10)
    assert removes_keyboard(removed) and not removed.inline_labels
    assert EL("complaints.skip_photo") in again.inline_labels
    await eleni.press(EL("complaints.skip_photo"))
    assert eleni.texts == [EL("complaints.ask_consent")]
