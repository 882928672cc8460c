"""Questions about the municipality's own offices, as a resident asks them: Telegram webhook → real Rasa → intent
``municipal_info`` → handlers/municipal.py → fake Bot API.

The expected hours are read from ``data/offices.yaml`` (they are not confirmed yet and will change); the days are
fixed by the service's clock (``Services.clock``): Tuesday 1 December 2026 (a working day), Saturday 5 December and
Christmas Day, Friday 25 December 2026 (a Greek public holiday), all in Athens time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.core.i18n import Texts
from bot.core.models import Inbound, NluResult
from bot.offices.directory import Directory, Office
from handlers.base import Conversation, Turn
from tests.fixtures.people import ViberPerson, ask, keyboard_payloads, set_clock, texts_of, venues
from tests.fixtures.service import Service
from tests.fixtures.viber import FakeViberApi

DIRECTORY = Directory.load()
TOWN_HALL, KEP, POLICE, WATER = (DIRECTORY.get(i) for i in ("town_hall", "kep", "municipal_police", "deyach"))
EL, EN = Texts("el"), Texts("en")


def athens(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Athens"))


TUESDAY_MORNING = athens(12, 1, 10, 0)


def hours(office: Office | None) -> dict[str, str]:
    """The office's weekday opening and closing time, as the data file has them."""
    assert office is not None and office.opening is not None
    season = office.opening.seasons[0]
    return {"open": f"{season.open:%H:%M}", "close": f"{season.close:%H:%M}"}


@pytest.fixture
async def service(make_service: Callable[..., Any]) -> Service:
    svc: Service = await make_service()
    set_clock(svc, TUESDAY_MORNING)
    return svc


async def intent_of(service: Service, user: int) -> str | None:
    doc = await service.store.messages.find_one({"conversation_id": f"telegram:{user}", "direction": "in"},
                                                sort=[("seq", -1)])
    assert doc is not None
    return ((doc.get("nlu") or {}).get("intent") or {}).get("name")


# ---------------------------------------------------------------------- a named office, in every script
@pytest.mark.parametrize("text,lang,office", [
    ("Τι ώρα κλείνει το δημαρχείο;", "el", TOWN_HALL),
    ("τι ωρα ανοιγει το δημαρχειο σημερα", "el", TOWN_HALL),
    ("ΕΙΝΑΙ ΑΝΟΙΧΤΟ ΤΟ ΚΕΠ ΤΩΡΑ;", "el", KEP),
    ("mexri poia ora einai anoixto to dimarxeio?", "el", TOWN_HALL),
    ("Until what time is the town hall open?", "en", TOWN_HALL),
])
async def test_a_named_office_says_open_now_until_its_closing_time(service: Service, text: str, lang: str,
                                                                   office: Office) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    calls = await ask(service, 9101, text, lang=lang, calls=2 if office.has_point else 1)
    assert await intent_of(service, 9101) == "municipal_info"
    shown = texts_of(calls)
    assert t("municipal.title", name=office.name(lang)) in shown
    assert t("municipal.open_now", close=hours(office)["close"]) in shown
    assert t("municipal.unverified") in shown  # nothing in data/offices.yaml is confirmed yet


async def test_town_hall_card_has_its_address_web_and_map_pin(service: Service) -> None:
    assert TOWN_HALL is not None and TOWN_HALL.lat is not None
    calls = await ask(service, 9102, "Πού είναι το δημαρχείο Χανίων;", calls=2)
    shown = texts_of(calls)
    assert EL("municipal.address", address=TOWN_HALL.address("el")) in shown
    assert "https://www.chania.gr" in shown
    [venue] = venues(calls)
    pin = (float(venue.body["latitude"]), float(venue.body["longitude"]))
    assert pin == pytest.approx((TOWN_HALL.lat, TOWN_HALL.lon))
    assert "mun:list" in keyboard_payloads(calls)


@pytest.mark.parametrize("text,lang,office", [
    ("τηλέφωνο ΚΕΠ", "el", KEP),
    ("pou einai i dimotiki astynomia", "el", POLICE),
    ("What is the phone number of the KEP?", "en", KEP),
])
async def test_phone_and_place_questions_get_the_office_card(service: Service, text: str, lang: str,
                                                             office: Office) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    shown = texts_of(await ask(service, 9103, text, lang=lang, calls=2 if office.has_point else 1))
    assert t("municipal.title", name=office.name(lang)) in shown
    if office.phone:
        assert t("municipal.phone", phone=office.phone) in shown
    else:  # no number was confirmed: none is made up
        assert "📞" not in shown
    if not (office.phone or office.address(lang) or office.email or office.web):
        assert t("municipal.no_contact") in shown  # and the resident is told where to look instead


# ---------------------------------------------------------------------- open or closed by the clock
async def test_weekday_before_opening_says_when_it_opens_today(service: Service) -> None:
    set_clock(service, athens(12, 1, 7, 15))
    shown = texts_of(await ask(service, 9111, "Είναι ανοιχτό το ΚΕΠ;"))
    assert EL("municipal.not_yet_open", **hours(KEP)) in shown


async def test_weekday_evening_says_closed_and_opens_tomorrow(service: Service) -> None:
    set_clock(service, athens(12, 1, 18, 30))
    shown = texts_of(await ask(service, 9112, "Is the KEP open now?", lang="en"))
    tomorrow = EN("municipal.next_tomorrow", **hours(KEP))
    assert EN("municipal.closed_now", close=hours(KEP)["close"], next=tomorrow) in shown


async def test_saturday_is_closed_and_opens_on_monday(service: Service) -> None:
    set_clock(service, athens(12, 5, 11, 0))
    shown = texts_of(await ask(service, 9113, "ειναι ανοιχτο το ΚΕΠ σημερα;"))
    monday = EL("municipal.next_day", day="Δευτέρα 7 Δεκεμβρίου", **hours(KEP))
    assert EL("municipal.closed_today", next=monday) in shown


async def test_christmas_day_is_a_public_holiday(service: Service) -> None:
    set_clock(service, athens(12, 25, 10, 0))
    shown = texts_of(await ask(service, 9114, "Is the KEP open today?", lang="en"))
    monday = EN("municipal.next_day", day="Monday 28 December", **hours(KEP))
    assert EN("municipal.closed_today_holiday", holiday="Christmas Day", next=monday) in shown


async def test_a_day_asked_about_gets_that_days_answer(service: Service) -> None:
    shown = texts_of(await ask(service, 9115, "is the town hall open on Saturday?", lang="en", calls=2))
    monday = EN("municipal.next_day", day="Monday 7 December", **hours(TOWN_HALL))
    assert EN("municipal.day_closed", day="Saturday 5 December", next=monday) in shown


# ---------------------------------------------------------------------- a service, no office named
@pytest.mark.parametrize("text,lang,office", [
    ("πού πληρώνω τα δημοτικά τέλη", "el", TOWN_HALL),
    ("ΠΟΥ ΒΓΑΖΩ ΠΙΣΤΟΠΟΙΗΤΙΚΟ;", "el", KEP),
    ("got a parking ticket, where do I pay it?", "en", POLICE),
])
async def test_where_do_i_pay_or_get_names_the_office_that_does_it(service: Service, text: str, lang: str,
                                                                   office: Office) -> None:
    t = Texts(lang)  # type: ignore[arg-type]
    shown = texts_of(await ask(service, 9121, text, lang=lang, calls=2 if office.has_point else 1))
    assert await intent_of(service, 9121) == "municipal_info"
    assert t("municipal.title", name=office.name(lang)) in shown
    assert any(t("municipal.for_service", service=s.label(lang), name=office.name(lang)) in shown
               for s in office.services)


async def test_water_utility_offers_to_report_a_leak_here(service: Service) -> None:
    assert WATER is not None
    calls = await ask(service, 9122, "Ποιο είναι το τηλέφωνο της ΔΕΥΑΧ;")
    assert EL("municipal.title", name=WATER.name("el")) in texts_of(calls)
    assert "mun:report:deyach" in keyboard_payloads(calls)
    report = await ask(service, 9122, button="mun:report:deyach")
    conv = await service.store.conversations.find_one({"_id": "telegram:9122"})
    assert conv is not None and (conv.get("flow") or {}).get("name") == "complaints"
    assert (conv["flow"]["slots"] or {}).get("category") == "complaint_water"
    assert texts_of(report)


# ---------------------------------------------------------------------- no office named: the short list
async def test_no_office_named_lists_the_main_offices_with_buttons(service: Service) -> None:
    calls = await ask(service, 9131, "Ποιες υπηρεσίες του δήμου μπορώ να επισκεφτώ;")
    shown = texts_of(calls)
    assert EL("municipal.list_title") in shown
    for office in DIRECTORY.main():
        assert office.name("el") in shown
        assert f"mun:office:{office.id}" in keyboard_payloads(calls)
    card = await ask(service, 9131, button="mun:office:kep")
    assert EL("municipal.title", name=KEP.name("el")) in texts_of(card)  # type: ignore[union-attr]


# ---------------------------------------------------------------------- in the middle of a report
async def test_office_question_during_a_report_is_answered_and_the_report_goes_on(service: Service) -> None:
    await ask(service, 9141, "Δεν μάζεψαν τα σκουπίδια στην οδό Αποκορώνου")
    before = await service.store.conversations.find_one({"_id": "telegram:9141"})
    assert before is not None and before["flow"]["name"] == "complaints"
    calls = await ask(service, 9141, "τι ώρα κλείνει το δημαρχείο;", calls=3)
    shown = texts_of(calls)
    assert EL("municipal.title", name=TOWN_HALL.name("el")) in shown  # type: ignore[union-attr]
    assert EL("complaints.resume") in shown
    after = await service.store.conversations.find_one({"_id": "telegram:9141"})
    assert after is not None and after["flow"]["name"] == "complaints"
    assert after["flow"]["slots"]["nonce"] == before["flow"]["slots"]["nonce"]  # the same report, not a new one


async def test_schedule_question_the_nlu_also_hears_as_an_office_question_is_not_asked_report_or_question(
        make_service: Callable[..., Any]) -> None:
    """QA F30: a schedule question routed to the complaint handler (the NLU's top intent a complaint) is handed to
    the office answer when ``municipal_info`` is ranked with confidence and the office is known."""
    svc: Service = await make_service()
    set_clock(svc, TUESDAY_MORNING)
    services = svc.runtime.services
    registry = svc.runtime.pipeline.registry
    ranking = [{"name": "complaint_other", "confidence": 0.5}, {"name": "municipal_info", "confidence": 0.4}]
    text = "Τι ώρα ανοίγει το ΚΕΠ;"
    inbound = Inbound(channel="telegram", user_id="9151", chat_id="9151", message_id="1", text=text)
    nlu = NluResult(intent="complaint_other", confidence=0.5, raw={"intent_ranking": ranking})
    conversation = Conversation(id="telegram:9151", channel="telegram", user_id="9151", chat_id="9151",
                                language="el")
    outcome = await registry.dispatch(Turn(inbound=inbound, nlu=nlu, conversation=conversation, texts=EL,
                                           services=services))
    shown = "\n".join(r.text for r in outcome.replies)
    assert EL("municipal.title", name=KEP.name("el")) in shown  # type: ignore[union-attr]
    assert EL("complaints.is_report") not in shown
    assert outcome.flow is None or getattr(outcome.flow, "name", None) != "complaints"
    # without municipal_info in the ranking the complaint flow still asks whether it is a report
    nlu = NluResult(intent="complaint_other", confidence=0.5,
                    raw={"intent_ranking": [{"name": "complaint_other", "confidence": 0.5}]})
    outcome = await registry.dispatch(Turn(inbound=inbound, nlu=nlu, conversation=conversation, texts=EL,
                                           services=services))
    assert EL("complaints.is_report") in "\n".join(r.text for r in outcome.replies)


async def test_citizen_office_shows_the_configured_phone_address_and_hours(make_service: Callable[..., Any]) -> None:
    svc: Service = await make_service(citizen_office_phone="28210 00000", citizen_office_address="Οδός Δοκιμής 1",
                                      citizen_office_hours="Δευτέρα–Παρασκευή 08:00–14:00",
                                      citizen_office_hours_en="Mon–Fri 08:00–14:00")
    set_clock(svc, TUESDAY_MORNING)
    shown = texts_of(await ask(svc, 9161, "Where is the citizen service office?", lang="en"))
    assert EN("municipal.phone", phone="28210 00000") in shown
    assert EN("municipal.address", address="Οδός Δοκιμής 1") in shown
    assert EN("municipal.hours_text", text="Mon–Fri 08:00–14:00") in shown
    office = DIRECTORY.get("citizen_office")
    assert office is not None
    listing = texts_of(await ask(svc, 9161, button="mun:list", lang="en"))
    assert EN("municipal.list_line", name=office.name("en"), state="Mon–Fri 08:00–14:00") in listing


def _turn(service: Service, text: str, nlu: NluResult, *, user: str, button: str | None = None,
          conversation: Conversation | None = None, lang: str = "el") -> Turn:
    inbound = Inbound(channel="telegram", user_id=user, chat_id=user, message_id=text or str(button), text=text,
                      button=button)
    conversation = conversation or Conversation(id=f"telegram:{user}", channel="telegram", user_id=user,
                                                chat_id=user, language=lang)  # type: ignore[arg-type]
    return Turn(inbound=inbound, nlu=nlu, conversation=conversation, texts=Texts(lang),  # type: ignore[arg-type]
                services=service.runtime.services)


async def test_just_asking_after_report_or_question_answers_a_known_office(service: Service) -> None:
    """The NLU took "Πότε ανοίγει το ΚΕΠ;" for a complaint and did not hear an office question: the bot asks
    "report or question?"; "just asking" then answers with the KEP's card, not "ask the citizen office"."""
    registry = service.runtime.pipeline.registry
    text = "Πότε ανοίγει το ΚΕΠ;"
    nlu = NluResult(intent="complaint_other", confidence=0.6,
                    raw={"intent_ranking": [{"name": "complaint_other", "confidence": 0.6}]})
    turn = _turn(service, text, nlu, user="9171")
    asked = await registry.dispatch(turn)
    assert EL("complaints.is_report") in "\n".join(r.text for r in asked.replies)
    [payload] = [b.payload for r in asked.replies for b in r.buttons if b.payload.endswith(":justasking")]
    turn.conversation.flow = asked.flow
    answered = await registry.dispatch(_turn(service, "", NluResult(intent=None, confidence=0.0), user="9171",
                                             button=payload, conversation=turn.conversation))
    shown = "\n".join(r.text for r in answered.replies)
    assert EL("municipal.title", name=KEP.name("el")) in shown  # type: ignore[union-attr]
    assert EL("municipal.open_now", close=hours(KEP)["close"]) in shown  # Tuesday 10:00
    assert answered.flow is None  # the report that never was is dropped


@pytest.mark.parametrize("text,office_card", [
    ("Is the town hall open today?", True),  # no sight of that name: the office answers
    ("Is the Maritime Museum open today?", False),  # a sight: the guide answers
])
async def test_a_sight_question_naming_an_office_and_no_sight_goes_to_the_office(service: Service, text: str,
                                                                                 office_card: bool) -> None:
    registry = service.runtime.pipeline.registry
    nlu = NluResult(intent="tourist_sight_info", confidence=0.6)
    outcome = await registry.dispatch(_turn(service, text, nlu, user="9181", lang="en"))
    shown = "\n".join(r.text for r in outcome.replies)
    assert (EN("municipal.title", name=TOWN_HALL.name("en")) in shown) is office_card  # type: ignore[union-attr]


async def test_the_main_menu_opens_the_offices_list(service: Service) -> None:
    menu = await ask(service, 9191, "/start")
    assert "mun:list" in keyboard_payloads(menu)
    offices = await ask(service, 9191, button="mun:list")
    assert EL("municipal.list_title") in texts_of(offices)


async def test_viber_resident_gets_the_card_its_pin_and_the_list_button(service: Service,
                                                                        fake_viber: FakeViberApi) -> None:
    assert TOWN_HALL is not None
    eleni = ViberPerson(service, fake_viber, "resident-viber-01==", "el")
    calls = await eleni.say("ποιο ειναι το ωραριο του δημαρχειου;")
    assert [c.body["type"] for c in calls] == ["text", "location"]
    assert EL("municipal.open_now", close=hours(TOWN_HALL)["close"]) in eleni.text
    assert (calls[1].body["location"]["lat"], calls[1].body["location"]["lon"]) == (TOWN_HALL.lat, TOWN_HALL.lon)
    await eleni.press(EL("municipal.button_list"))
    assert EL("municipal.list_title") in eleni.text


@pytest.mark.parametrize("text,lang", [
    ("Πήγα στο ΚΕΠ το πρωί και ήταν κλειστό, και στο τηλέφωνο δεν απαντά κανείς", "el"),
    ("I went to the town hall at eleven and the office was shut, nobody picks up the phone either", "en"),
])
async def test_a_complaint_about_an_office_is_a_report_not_an_office_question(service: Service, text: str,
                                                                              lang: str) -> None:
    """The line drawn in nlu/data/municipal.yml: a question about an office is municipal_info, a complaint about
    one (closed when it should be open, nobody answers) is complaint_other and starts a report."""
    await ask(service, 9201, text, lang=lang)
    assert await intent_of(service, 9201) == "complaint_other"
    conv = await service.store.conversations.find_one({"_id": "telegram:9201"})
    assert conv is not None and (conv.get("flow") or {}).get("name") == "complaints"
