"""Issue 9, the complaint flow, as a person lives it: the real app over the Telegram webhook, the real Rasa server,
the fake Bot API recording what the person sees. Each test is a few exchanges, in Greek and in English."""

from __future__ import annotations

import pytest

from bot import tickets
from bot.core.i18n import Texts
from bot.core.models import GeoPoint
from tests.fixtures.people import REF, TelegramPerson, finish
from tests.fixtures.service import Service

pytestmark = pytest.mark.rasa

EL, EN = Texts("el"), Texts("en")
HARBOUR = GeoPoint(35.5197, 24.0180)



# ------------------------------------------------------------------------------------- yes / no at "Is it at X?"

@pytest.mark.parametrize("word", ["ναι", "nai", "σωστά", "ok"])
async def test_greek_yes_confirms_the_place_with_its_house_number(service: Service, word: str) -> None:
    maria = TelegramPerson(service, 9101)
    await maria.say("Δεν ανάβει η λάμπα στην Αποκορώνου 25")
    assert EL("complaints.confirm_place", place="«Αποκορώνου 25»") in maria.texts
    await maria.say(word)
    assert maria.texts == [EL("complaints.ask_pin", place="«Αποκορώνου 25»"), EL("system.location_below")]
    ref = await finish(maria, EL)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] == "Αποκορώνου 25"


@pytest.mark.parametrize("word", ["yes", "exactly", "ok"])
async def test_english_yes_confirms_and_the_place_is_in_latin_script(service: Service, word: str) -> None:
    john = TelegramPerson(service, 9102, lang="en")
    await john.say("The street light on Apokoronou 25 is out")
    assert john.seen.count('Is it at “Apokoronou 25” (Αποκορώνου 25)?') == 1
    await john.say(word)
    assert john.texts == [EN("complaints.ask_pin", place="“Apokoronou 25” (Αποκορώνου 25)"),
                          EN("system.location_below")]
    await john.press(EN("complaints.no_pin"))
    await john.press(EN("complaints.skip_photo"))
    await john.press(EN("complaints.consent_no"))
    assert "Place: Apokoronou 25 (Αποκορώνου 25)" in john.seen


@pytest.mark.parametrize(("lang", "word"), [("el", "όχι"), ("el", "oxi"), ("en", "no")])
async def test_no_asks_for_the_place_again(service: Service, lang: str, word: str) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    eleni = TelegramPerson(service, 9103, lang=lang)
    await eleni.say("Σπασμένο πεζοδρόμιο στη Χάληδων" if lang == "el" else "Broken pavement on Chalidon street")
    await eleni.say(word)
    assert eleni.texts == [t("complaints.place_not_there"), t("complaints.ask_location")]
    conv = await eleni.conversation()
    assert conv["flow"]["step"] == "location" and conv["flow"]["slots"]["address"] is None
    await eleni.say("Κυδωνίας 40" if lang == "el" else "40 Kydonias street")
    assert eleni.texts[0].startswith(t("complaints.ask_pin", place="@").partition("@")[0])


# ------------------------------------------------------------------------------------- answers that are no place

@pytest.mark.parametrize(("lang", "text"), [("en", "asdkjh qwpoeiru zxcmvn"), ("el", "ξέρω γω, κάπου εκεί"),
                                            ("en", "dunno")])
async def test_no_place_is_asked_again_and_never_stored(service: Service, lang: str, text: str) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    nikos = TelegramPerson(service, 9104, lang=lang)
    await nikos.say("Ξεχείλισε ο κάδος και βρωμάει" if lang == "el" else "The bin is overflowing and it stinks")
    await nikos.say(text)
    assert nikos.seen == t("complaints.place_again")  # not the welcome menu, not "Place: dunno"
    assert nikos.last[0].reply_markup["keyboard"][0][0]["request_location"] is True  # type: ignore[index]
    await nikos.say("κάπου εκεί γύρω" if lang == "el" else "somewhere around there")
    assert nikos.seen == t("complaints.place_still")
    await nikos.say("Πλατεία Αγοράς" if lang == "el" else "Market square")
    place = "«Πλατεία Αγοράς»" if lang == "el" else "“Market square”"
    assert nikos.texts == [t("complaints.ask_pin", place=place), t("system.location_below")]
    await nikos.say("όχι" if lang == "el" else "no")  # no pin, in words
    assert nikos.texts == [t("complaints.ask_photo", max_mb=10)]
    ref = await finish(nikos, t, pin_asked=False)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None and ticket["address"] in ("Πλατεία Αγοράς", "Market square")


# ------------------------------------------------------------------------------------- two problems in one message

async def test_two_problems_in_capitals_are_offered_as_the_same_two_reports(service: Service) -> None:
    """QA F16: upper-case, accented and unaccented spellings of one message file the same first report and offer
    the same second one (the normaliser reads them alike at training and at parse time)."""
    spellings = ("ΣΠΑΣΜΕΝΟ ΠΑΓΚΑΚΙ ΚΑΙ ΚΑΜΕΝΗ ΛΑΜΠΑ ΣΤΗΝ ΠΛΑΤΕΙΑ 1866",
                 "σπασμένο παγκάκι και καμένη λάμπα στην πλατεία 1866",
                 "σπασμενο παγκακι και καμενη λαμπα στην πλατεια 1866")
    filed = set()
    for n, text in enumerate(spellings):
        person = TelegramPerson(service, 9120 + n)
        await person.say(text)
        await person.press(EL("complaints.yes_place"))
        await person.press(EL("complaints.no_pin"))
        if n:  # the same square as the first person's report: offered to follow that one, a new one asked for
            await person.press(EL("complaints.new_anyway"))
        ref = await finish(person, EL, pin_asked=False)
        ticket = await tickets.get_ticket(service.runtime.services, ref)
        assert ticket is not None
        offer = person.last[-1]
        assert offer.inline_labels == [EL("complaints.file_second")], person.texts
        filed.add((ticket["category"], offer.body["text"]))
    assert len(filed) == 1, filed


async def test_two_problems_file_the_first_and_offer_the_second_on_the_street_named(service: Service) -> None:
    anna = TelegramPerson(service, 9105, lang="en")
    await anna.say("rubbish on Νεάρχου and a pothole too")
    assert 'Is it at “Nearchou” (Νεάρχου)?' in anna.seen
    await anna.say("yes")
    first = await finish(anna, EN)
    offer = anna.last[-1].body["text"]
    assert offer == EN("complaints.offer_second", category="Rubbish and cleaning")
    await anna.press(EN("complaints.file_second"))
    assert 'Is it at “Nearchou” (Νεάρχου)?' in anna.seen
    await anna.say("yes")
    second = await finish(anna, EN)
    store = service.runtime.services
    a, b = await tickets.get_ticket(store, first), await tickets.get_ticket(store, second)
    assert a is not None and b is not None
    assert {a["category"], b["category"]} == {"complaint_roads", "complaint_waste"}
    assert a["address"] == b["address"] == "Νεάρχου"


async def test_the_street_named_not_where_the_writer_lives(service: Service) -> None:
    kostas = TelegramPerson(service, 9106)
    await kostas.say("Μένω στη Νέα Χώρα, δεν μάζεψαν τα σκουπίδια στη Χάληδων")
    assert EL("complaints.confirm_place", place="«Χάληδων»") in kostas.texts


# ------------------------------------------------------------------------------------- why rejected, stale buttons

@pytest.mark.parametrize(("lang", "text"), [("el", "γιατί απορρίφθηκε;"), ("en", "Why was it rejected?")])
async def test_why_was_it_rejected_gives_the_last_status_and_its_note(service: Service, lang: str,
                                                                     text: str) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    sofia = TelegramPerson(service, 9107, lang=lang)
    await sofia.say("Παρκαρισμένο αυτοκίνητο στη ράμπα στην Τζανακάκη")
    await sofia.say("ναι")
    ref = await finish(sofia, EL)
    await tickets.change_status(service.runtime.services, ref, "rejected", actor="staff:maria",
                                note="Ο χώρος είναι ιδιωτικός")
    await service.idle()
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None
    rejected_on = tickets.local_time(ticket["history"][-1]["at"]).strftime("%d/%m/%Y")
    await sofia.say(text)
    assert sofia.seen.splitlines() == [
        t("complaints.why_status", ref=ref, status=t("tickets.status.rejected"), date=rejected_on),
        t("complaints.why_note", note="Ο χώρος είναι ιδιωτικός")]


async def test_a_stale_button_names_the_open_report_never_closed(service: Service) -> None:
    giorgos = TelegramPerson(service, 9108)
    await giorgos.say("Μεγάλη λακκούβα στην Κισσάμου")
    await giorgos.say("ναι")
    await giorgos.press(EL("complaints.no_pin"))
    await giorgos.press(EL("complaints.skip_photo"))
    await giorgos.press(EL("complaints.consent_no"))
    submit = giorgos.payload(EL("complaints.submit"))
    await giorgos.press_payload(submit)
    ref = REF.search(giorgos.text)
    assert ref
    await giorgos.press_payload(submit)
    assert giorgos.seen == EL("complaints.stale", ref=ref.group(0), status=EL("tickets.status.new"))
    assert "κλείσει" not in giorgos.seen
    await giorgos.press(EL("complaints.stale_details", ref=ref.group(0)))
    assert giorgos.seen.startswith(f"Αναφορά {ref.group(0)}")
    assert await service.store.tickets.count_documents({}) == 1


# ------------------------------------------------------------------------------------- a label typed, not tapped

@pytest.mark.parametrize(("lang", "typed"), [
    ("el", ("χωρις φωτογραφια", "οχι ευχαριστω", "αλλαγη", "ΠΙΣΩ ΣΤΗΝ ΠΕΡΙΛΗΨΗ", "υποβολη")),
    ("en", ("no photo", "No, thanks", "edit", "back to the summary", "Submit")),
])
async def test_a_button_label_typed_instead_of_tapped_acts_as_the_button(service: Service, lang: str,
                                                                         typed: tuple[str, ...]) -> None:
    """On a phone people often type what the button says: "αλλαγη" at the summary opens the edit menu, it is not
    "please use the buttons"."""
    t = Texts(lang)  # type: ignore[arg-type]
    person = TelegramPerson(service, 9109, lang=lang)
    await person.say("Σπασμένο παγκάκι στο πάρκο" if lang == "el" else "A broken bench in the park")
    await person.share_location(HARBOUR)
    assert person.texts == [t("complaints.ask_photo", max_mb=10)]
    no_photo, no_call, edit, back, submit = typed
    summary_buttons = [t("complaints.submit"), t("complaints.edit"), t("complaints.cancel")]
    await person.say(no_photo)
    assert person.texts == [t("complaints.ask_consent")]
    await person.say(no_call)
    assert person.last[-1].inline_labels == summary_buttons  # the summary
    await person.say(edit)
    assert person.texts == [t("complaints.edit_what")]
    await person.say(back)
    assert person.last[-1].inline_labels == summary_buttons
    await person.say(submit)
    ref = REF.search(person.text)
    assert ref and await tickets.get_ticket(service.runtime.services, ref.group(0)) is not None
    said = " ".join(c.body["text"] for c in service.fake_telegram.sent(9109, "sendMessage"))
    assert t("complaints.use_buttons") not in said




async def test_why_rejected_about_an_open_report_says_so_without_describe_it_again(service: Service) -> None:
    kate = TelegramPerson(service, 9110, lang="en")
    await kate.say("There is a dead cat on Apokoronou 25")
    assert kate.texts[0] == "I've put this under “Animals”. If that's not right, tap “Change category”."
    await kate.say("exactly")
    ref = await finish(kate, EN)
    ticket = await tickets.get_ticket(service.runtime.services, ref)
    assert ticket is not None
    filed_on = tickets.local_time(ticket["history"][-1]["at"]).strftime("%d/%m/%Y")
    await kate.say("why was it rejected?")
    assert kate.seen.splitlines() == [  # it was not: no "the department left no note, describe it again"
        EN("complaints.why_not_rejected"),
        EN("complaints.why_status", ref=ref, status=EN("tickets.status.new"), date=filed_on)]
