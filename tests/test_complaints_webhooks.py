"""Complete complaint conversations over the webhooks: the real app on a loopback port, the fake Telegram Bot API
and fake Viber API recording what the bot sends, the real Rasa server understanding what people write
(harness: tests/fixtures/service.py). Greek and English, Telegram and Viber."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bot import tickets
from bot.core.geo import EARTH_RADIUS_M
from bot.core.i18n import Texts
from bot.core.models import GeoPoint
from bot.tickets.categories import categories
from tests.fixtures.people import REF, TelegramPerson, ViberPerson
from tests.fixtures.service import Service
from tests.fixtures.viber import (
    FakeViberApi,
    location_message,
    picture_message,
)

pytestmark = pytest.mark.rasa

EL, EN = Texts("el"), Texts("en")
HARBOUR = GeoPoint(35.5197, 24.0180)


def near(point: GeoPoint, metres: float) -> GeoPoint:
    return GeoPoint(point.lat + math.degrees(metres / EARTH_RADIUS_M), point.lon)


async def the_ticket(service: Service, reference: str) -> dict[str, Any]:
    ticket = await tickets.get_ticket(service.runtime.services, reference)
    assert ticket is not None, reference
    return ticket


# ------------------------------------------------------------------------------------------------ happy paths

async def test_telegram_greek_report_to_a_reference_number(service: Service) -> None:
    maria = TelegramPerson(service, 7001)
    await maria.say("Καλησπέρα, δεν ανάβει η λάμπα του δρόμου στην Αποκορώνου εδώ και τρεις μέρες")
    assert EL("complaints.understood", category="Φωτισμός") in maria.texts
    assert EL("complaints.confirm_place", place="«Αποκορώνου»") in maria.texts  # the place in the message, offered

    await maria.press(EL("complaints.yes_place"))
    assert maria.texts == [EL("complaints.ask_pin", place="«Αποκορώνου»"), EL("system.location_below")]
    await maria.press(EL("complaints.no_pin"))
    assert maria.texts == [EL("complaints.ask_photo", max_mb=10)]
    await maria.photo(size=2_500_000)
    assert maria.texts == [EL("complaints.photo_added", count=1)]
    await maria.press(EL("complaints.photos_done"))
    await maria.press(EL("complaints.consent_yes"))
    assert maria.texts == [EL("complaints.ask_phone"), EL("system.contact_below")]
    assert maria.last[1].reply_markup["keyboard"] == [[{"text": EL("system.share_contact_button"),
                                                        "request_contact": True}]]  # Telegram's phone button
    await maria.contact("306912345678")
    assert "691 234 5678" in maria.text and "Αποκορώνου" in maria.text  # the summary
    await maria.press(EL("complaints.submit"))

    reference = REF.search(maria.text).group(0)  # type: ignore[union-attr]
    assert maria.text == EL("complaints.submitted", ref=reference, department="Τμήμα Ηλεκτροφωτισμού")
    ticket = await the_ticket(service, reference)
    assert ticket["category"] == "complaint_lighting" and ticket["department"] == "lighting"
    assert ticket["description"].startswith("Καλησπέρα, δεν ανάβει η λάμπα")
    assert ticket["address"] == "Αποκορώνου" and ticket["citizen"] == {"phone": "+306912345678"}
    assert ticket["photos"][0]["file_id"].startswith("AgACAgQ") and ticket["photos"][0]["size"] == 2_500_000
    assert (ticket["channel"], ticket["language"], ticket["conversation_id"]) == ("telegram", "el", "telegram:7001")
    assert ticket["history"][0]["status"] == "new"
    assert (await maria.conversation())["flow"] is None


async def test_viber_english_report_with_a_pin(service: Service, fake_viber: FakeViberApi) -> None:
    john = ViberPerson(service, fake_viber, "vIbEr-JoHn==", lang="en")
    await john.say("The rubbish bins on our street have not been emptied for a week and they smell")
    assert EN("complaints.understood", category="Rubbish and cleaning") in john.text
    await john.send(location_message(HARBOUR.lat, HARBOUR.lon, address="Akti Kountouriotou"))
    await john.send(picture_message("https://dl-media.viber.com/1/share/2/long/bins.jpg", size=900_000))
    assert john.text == EN("complaints.photo_added", count=1)
    await john.press(EN("complaints.photos_done"))
    await john.press(EN("complaints.consent_no"))
    assert "map pin (35.51970, 24.01800)" in john.text
    await john.press(EN("complaints.submit"))
    reference = REF.search(john.text).group(0)  # type: ignore[union-attr]
    assert john.text.startswith(f"Your report has been filed with reference {reference}")
    ticket = await the_ticket(service, reference)
    assert ticket["location"] == {"type": "Point", "coordinates": [HARBOUR.lon, HARBOUR.lat]}
    assert ticket["photos"] == [{"file_id": None, "url": "https://dl-media.viber.com/1/share/2/long/bins.jpg",
                                 "size": 900_000}]
    assert (ticket["channel"], ticket["language"], ticket["citizen"]) == ("viber", "en", {})


async def test_greeklish_is_answered_in_greek(service: Service) -> None:
    nikos = TelegramPerson(service, 7002)
    await nikos.say("den mazepsan ta skoupidia stin Nea Xwra, oi kadoi einai gematoi")
    assert EL("complaints.understood", category="Καθαριότητα – σκουπίδια") in nikos.texts


# ------------------------------------------------------------------------------------------------ low confidence

async def test_low_confidence_shows_the_category_buttons(make_service: Any) -> None:
    service = await make_service(nlu_confidence_threshold=1.0)  # nothing is certain enough: never guess
    eleni = TelegramPerson(service, 7003)
    await eleni.say("Υπάρχει μια λακκούβα στον δρόμο μπροστά από το σπίτι μου")
    assert eleni.texts == [EL("complaints.choose_category_low")]
    buttons = [b["text"] for row in eleni.last[0].reply_markup["inline_keyboard"] for b in row]
    assert "Δρόμοι – πεζοδρόμια" in buttons and len(buttons) == 9
    await eleni.press("Δρόμοι – πεζοδρόμια")
    assert eleni.texts[0] == EL("complaints.ask_location")
    assert (await eleni.conversation())["flow"]["slots"]["category"] == "complaint_roads"


# ------------------------------------------------------------------------------------------------ cancel

async def test_cancel_in_words_and_by_command(service: Service, fake_viber: FakeViberApi) -> None:
    kostas = TelegramPerson(service, 7004)
    await kostas.say("Σπασμένο πεζοδρόμιο στην Κισσάμου, σκόνταψε μια γιαγιά")
    assert (await kostas.conversation())["flow"]["name"] == "complaints"
    await kostas.say("άκυρο")
    assert kostas.texts == [EL("system.cancelled")]
    assert (await kostas.conversation())["flow"] is None

    anna = ViberPerson(service, fake_viber, "anna-viber==", lang="en")
    await anna.say("There is a big pothole in front of the school")
    await anna.send(location_message(HARBOUR.lat, HARBOUR.lon))
    assert anna.text == EN("complaints.ask_photo", max_mb=10)
    await anna.say("/cancel")
    assert anna.text == EN("system.cancelled")
    conv = await service.store.conversations.find_one({"_id": "viber:anna-viber=="})
    assert conv["flow"] is None
    assert await service.store.tickets.count_documents({}) == 0


# ------------------------------------------------------------------------------------------------ interruption

async def test_a_question_in_the_middle_is_answered_and_the_report_offered_again(service: Service) -> None:
    giorgos = TelegramPerson(service, 7005)
    await giorgos.say("Έχει σπάσει ο σωλήνας και τρέχει νερό στον δρόμο")
    assert (await giorgos.conversation())["flow"]["step"] == "location"
    for question in ("Ποιες παραλίες να επισκεφτώ κοντά στα Χανιά;", "βοήθεια"):
        await giorgos.say(question)
        assert len(giorgos.texts) >= 2, giorgos.texts
        assert giorgos.texts[-1].startswith(EL("complaints.resume"))  # offered again, after the answer
        flow = (await giorgos.conversation())["flow"]
        assert flow["step"] == "location" and flow["slots"]["address"] is None
    await giorgos.share_location(GeoPoint(35.487, 24.073))  # Souda: carries on where it was
    assert giorgos.texts == [EL("complaints.ask_photo", max_mb=10)]


# ------------------------------------------------------------------------------------------------ status

async def test_status_by_list_and_by_reference_and_not_someone_elses(service: Service) -> None:
    services = service.runtime.services
    mine = await tickets.create_ticket(services, category="complaint_noise", description="Μουσική ως τις 4",
                                       channel="telegram", language="el", conversation_id="telegram:7006")
    theirs = await tickets.create_ticket(services, category="complaint_parking", description="x",
                                         channel="telegram", language="el", conversation_id="telegram:7999")
    await tickets.change_status(services, mine["reference"], "acknowledged", actor="staff:maria",
                                note="Ενημερώθηκε η Δημοτική Αστυνομία")
    sofia = TelegramPerson(service, 7006)
    await sofia.say("Τι έγινε με την αναφορά μου;")
    assert sofia.texts[0].splitlines()[0] == EL("complaints.status_list_title")
    assert f"{mine['reference']} · Θόρυβος · Παραλήφθηκε από την υπηρεσία" in sofia.text
    assert theirs["reference"] not in sofia.text

    await sofia.say(f"Ποια είναι η κατάσταση της αναφοράς {mine['reference']};")
    assert sofia.text.startswith(f"Αναφορά {mine['reference']}") and "Ενημερώθηκε η Δημοτική Αστυνομία" in sofia.text

    await sofia.say(f"τι έγινε με την αναφορά {theirs['reference']}")
    assert sofia.text == EL("complaints.status_not_found", ref=theirs["reference"])

    tom = TelegramPerson(service, 7007, lang="en")
    await tom.say("What is the status of my report?")
    assert tom.text == EN("complaints.status_none")


# ------------------------------------------------------------------------------------------------ notifications

async def test_status_change_notifies_the_resident_on_their_channel(service: Service,
                                                                    fake_viber: FakeViberApi) -> None:
    services = service.runtime.services
    maria = TelegramPerson(service, 7008)
    await maria.say("Ένα αδέσποτο σκυλί είναι τραυματισμένο στην πλατεία Αγοράς")
    await maria.share_location(HARBOUR)
    await maria.press(EL("complaints.skip_photo"))
    await maria.press(EL("complaints.consent_no"))
    await maria.press(EL("complaints.submit"))
    reference = REF.search(maria.text).group(0)  # type: ignore[union-attr]

    before = len(service.fake_telegram.sent(7008, "sendMessage"))
    await tickets.change_status(services, reference, "in_progress", actor="staff:nikos",
                                note="Ο κτηνίατρος του δήμου είναι καθ' οδόν")
    await service.idle()  # queued in the outbox, sent by its sender loop
    [note] = service.fake_telegram.sent(7008, "sendMessage")[before:]
    assert note.body["text"] == (
        EL("tickets.notify", ref=reference, category="Ζώα", status="Σε εξέλιξη") + "\n"
        + EL("tickets.notify_note", note="Ο κτηνίατρος του δήμου είναι καθ' οδόν"))
    stored = await service.store.messages.find_one({"conversation_id": "telegram:7008", "direction": "out",
                                                    "text": note.body["text"]})
    assert stored["status"] == "sent"

    john = ViberPerson(service, fake_viber, "john-notify==", lang="en")
    await john.say("Cars are parked on the ramp for wheelchairs every day")
    await john.say("10 Iroon Polytechniou St")
    await john.press(EN("complaints.no_pin"))
    await john.press(EN("complaints.skip_photo"))
    await john.press(EN("complaints.consent_no"))
    await john.press(EN("complaints.submit"))
    reference = REF.search(john.text).group(0)  # type: ignore[union-attr]
    await tickets.change_status(services, reference, "resolved", actor="staff:nikos", note="Towed away")
    await service.idle()
    last = fake_viber.calls_to("send_message")[-1]
    assert last.body["receiver"] == "john-notify=="
    assert last.body["text"] == (EN("tickets.notify", ref=reference, category="Parking", status="Resolved") + "\n"
                                 + EN("tickets.notify_note", note="Towed away"))


# ------------------------------------------------------------------------------------------------ duplicates

async def test_duplicate_nearby_is_offered_and_can_be_followed(service: Service) -> None:
    services = service.runtime.services
    other = await tickets.create_ticket(services, category="complaint_roads", description="Λακκούβα",
                                        channel="viber", language="el", conversation_id="viber:someone",
                                        location=near(HARBOUR, 25))
    dimitra = TelegramPerson(service, 7009)
    await dimitra.say("Μεγάλη λακκούβα στην άσφαλτο, κινδυνεύουν τα μηχανάκια")
    await dimitra.share_location(HARBOUR)
    assert other["reference"] in dimitra.text and "25 μ." in dimitra.text
    await dimitra.press(EL("complaints.follow", ref=other["reference"]))
    assert dimitra.text == EL("complaints.following", ref=other["reference"])
    assert await service.store.tickets.count_documents({}) == 1

    before = len(service.fake_telegram.sent(7009, "sendMessage"))
    await tickets.change_status(services, other["reference"], "resolved", actor="staff:nikos")
    await service.idle()
    [told] = service.fake_telegram.sent(7009, "sendMessage")[before:]
    assert other["reference"] in told.body["text"] and "Επιλύθηκε" in told.body["text"]


# ------------------------------------------------------------------------------------------------ restart

async def test_a_restart_in_the_middle_of_a_report_loses_nothing(service: Service) -> None:
    petros = TelegramPerson(service, 7010)
    await petros.say("Πεσμένο δέντρο κλείνει τον δρόμο στη Χαλέπα")
    await petros.share_location(GeoPoint(35.5125, 24.0350))
    skip = petros.payload(EL("complaints.skip_photo"))
    await service.restart()  # a deploy: new process state, same database
    await petros.press_payload(skip)
    assert petros.texts == [EL("complaints.ask_consent")]
    await petros.press(EL("complaints.consent_no"))
    await petros.press(EL("complaints.submit"))
    reference = REF.search(petros.text).group(0)  # type: ignore[union-attr]
    ticket = await the_ticket(service, reference)
    assert ticket["category"] == "complaint_greenery"
    assert ticket["location"]["coordinates"] == [24.0350, 35.5125]


# ------------------------------------------------------------------------------------------------ bad input

async def test_a_place_outside_the_municipality_is_refused_and_asked_again(service: Service) -> None:
    manolis = TelegramPerson(service, 7011)
    await manolis.say("Δεν μάζεψαν τα σκουπίδια στη γειτονιά μας")
    await manolis.share_location(GeoPoint(35.494, 23.654))  # Kissamos
    assert manolis.texts[0] == EL("complaints.outside")
    await manolis.share_location(GeoPoint(35.366, 24.482))  # Rethymno
    assert manolis.texts[0] == EL("complaints.outside")
    assert (await manolis.conversation())["flow"]["step"] == "location"
    await manolis.share_location(GeoPoint(35.496, 23.974))  # Galatas
    assert manolis.texts == [EL("complaints.ask_photo", max_mb=10)]


async def test_text_over_2000_characters_is_cut_and_the_resident_told(service: Service) -> None:
    ann = TelegramPerson(service, 7012, lang="en")
    long_text = "The street light outside number 12 is broken and the whole road is dark at night. " * 30
    assert len(long_text) > 2000
    await ann.say(long_text)
    assert ann.texts[0] == EN("complaints.too_long", limit=2000)
    assert len((await ann.conversation())["flow"]["slots"]["description"]) == 2000


async def test_a_photo_over_10_mb_is_refused_politely(service: Service) -> None:
    babis = TelegramPerson(service, 7013)
    await babis.say("Ένα ψόφιο σκυλί είναι στην άκρη του δρόμου εδώ και δύο μέρες")
    assert EL("complaints.understood", category="Ζώα") in babis.texts
    await babis.share_location(HARBOUR)
    assert babis.texts == [EL("complaints.ask_photo", max_mb=10)]
    await babis.photo(size=11 * 1024 * 1024)
    assert babis.texts[0] == EL("complaints.photo_too_big", size_mb="11.0", max_mb=10)
    assert (await babis.conversation())["flow"]["slots"]["photos"] == []


async def test_buttons_of_a_finished_report_name_that_report(service: Service) -> None:
    irini = TelegramPerson(service, 7014, lang="en")
    await irini.say("Loud music from a bar every night until 4 am")
    await irini.share_location(HARBOUR)
    await irini.press(EN("complaints.skip_photo"))
    await irini.press(EN("complaints.consent_no"))
    submit = irini.payload(EN("complaints.submit"))
    cancel = irini.payload(EN("complaints.cancel"))
    await irini.press_payload(submit)
    ref = REF.search(irini.text)
    assert ref
    for old in (submit, cancel):
        await irini.press_payload(old)
        assert irini.texts == [EN("complaints.stale", ref=ref.group(0), status="Received")]
    assert await service.store.tickets.count_documents({}) == 1


@pytest.mark.parametrize(("lang", "words", "place"), [
    ("el", "αυτη η λακκουβα ειναι στην Κυδωνιας 100", "Κυδωνίας 100"),
    ("en", "this pothole is on Kydonias 100", "Kydonias 100"),
])
async def test_a_photo_sent_first_starts_a_report_and_is_kept(service: Service, lang: str, words: str,
                                                              place: str) -> None:
    """QA F38: on a phone the photo often comes first, with no words. It is kept, the resident is asked what it
    shows, the answer starts the report as a first message would, and the ticket carries the photo."""
    t = Texts(lang)  # type: ignore[arg-type]
    eleni = TelegramPerson(service, 7040 + (lang == "en"), lang=lang)
    await eleni.photo(size=900_000)
    assert eleni.texts == [t("complaints.photo_kept", count=1), t("complaints.ask_photo_problem")]
    await eleni.say(words)
    assert t("complaints.understood", category=categories()["complaint_roads"].name(t.lang)) in eleni.texts
    assert place in eleni.text  # the place is offered back
    await eleni.press(t("complaints.yes_place"))
    await eleni.press(t("complaints.no_pin"))
    assert eleni.texts == [t("complaints.photo_added", count=1)]  # the photo is already there
    await eleni.press(t("complaints.photos_done"))
    await eleni.press(t("complaints.consent_no"))
    await eleni.press(t("complaints.submit"))
    ref = REF.search(eleni.text)
    assert ref, eleni.text
    ticket = await the_ticket(service, ref.group(0))
    assert ticket["category"] == "complaint_roads" and ticket["description"] == words
    assert [p["size"] for p in ticket["photos"]] == [900_000]
