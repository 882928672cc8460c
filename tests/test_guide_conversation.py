"""The visitor's answers (issue 9), as a visitor sees them: Telegram webhook → real Rasa → guide → fake Bot API.

The service's clock (``Services.clock``) is set to Saturday 5 December 2026, 12:00 in Athens, so the day asked about
is known: "on Monday" is Monday 7 December (the museums' winter timetables in data/pois.yaml). The "open now"
tests set it to other moments of a Monday, a Tuesday and Christmas Day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.core.geo import haversine_m
from bot.core.i18n import Texts
from bot.guide.catalogue import KINDS, Catalogue
from tests.fixtures.people import ask, keyboard_payloads, set_clock, texts_of, venues
from tests.fixtures.service import Service

SATURDAY_NOON = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # 12:00 in Athens
HARBOUR = (35.5175, 24.0180)
ATHENS = (37.9838, 23.7275)  # Syntagma square: far outside the guide's area
CATALOGUE = Catalogue.load()
EL, EN = Texts("el"), Texts("en")


@pytest.fixture
async def service(make_service: Callable[..., Any]) -> Service:
    svc: Service = await make_service()
    set_clock(svc, SATURDAY_NOON)
    return svc


def asks_for_location(calls: list[Any]) -> bool:
    return any(b.get("request_location") for c in calls for row in (c.reply_markup or {}).get("keyboard", [])
               for b in row)


# ---------------------------------------------------------------------- opening hours for the asked day
@pytest.mark.parametrize("text,lang,heading,hours", [
    ("Is the maritime museum open on Monday?", "en", "Maritime Museum of Crete — Monday 7 December",
     "Open 09:00–15:30. Last entry 15:00."),
    ("είναι ανοιχτό το ναυτικό μουσείο τη Δευτέρα;", "el", "Ναυτικό Μουσείο Κρήτης — Δευτέρα 7 Δεκεμβρίου",
     "Ανοιχτό 09:00–15:30. Τελευταία είσοδος 15:00."),
    ("What time does the archaeological museum close?", "en",
     "Archaeological Museum of Chania — today, Saturday 5 December", "Open now until 15:30 (last entry 15:10)."),
    ("τι ώρα κλείνει το αρχαιολογικό μουσείο;", "el", "Αρχαιολογικό Μουσείο Χανίων — σήμερα, Σάββατο 5 Δεκεμβρίου",
     "Ανοιχτό τώρα, έως τις 15:30 (τελευταία είσοδος 15:10)."),
    ("ti ora kleinei to arxaiologiko mouseio?", "el", "Αρχαιολογικό Μουσείο Χανίων — σήμερα, Σάββατο 5 Δεκεμβρίου",
     "Ανοιχτό τώρα, έως τις 15:30"),
])
async def test_opening_hours_are_computed_for_the_asked_day(service: Service, text: str, lang: str, heading: str,
                                                            hours: str) -> None:
    calls = await ask(service, 7101, text, lang=lang, calls=2)
    said = texts_of(calls)
    t = Texts(lang)  # type: ignore[arg-type]
    assert f"🕘 {heading}\n{hours}" in said
    assert t("tourism.hours_unverified") in said  # no hours in the catalogue are confirmed yet: says to check
    assert len(venues(calls)) == 1


async def test_out_of_season_says_so_and_gives_the_season(service: Service) -> None:
    said = texts_of(await ask(service, 7112, "Is Samaria gorge open tomorrow?", lang="en", calls=2))
    assert "Samaria Gorge — Sunday 6 December" in said and EN("tourism.hours_out_of_season") in said
    assert "1 May – 31 October: every day 07:00–16:00" in said


async def test_a_closed_day_says_so_and_gives_the_season_s_days(service: Service) -> None:
    said = texts_of(await ask(service, 7102, "Is the archaeological museum open on Tuesday?", lang="en", calls=2))
    assert "Archaeological Museum of Chania — Tuesday 8 December" in said
    assert EN("tourism.hours_closed_weekday") in said
    assert "1 November – 31 March: Wed, Thu, Fri, Sat, Sun, Mon 08:30–15:30" in said



# ---------------------------------------------------------------------- a day named, the way there: the season
def athens(month: int, day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=ZoneInfo("Europe/Athens"))


@pytest.mark.parametrize("now,text,lang,heading,line", [
    # QA F27: asked in December, a day named and no "open" word: the season's answer for that day, not the card
    (athens(12, 1, 10), "μπορω να περπατησω το φαραγγι της Σαμαριας αυριο;", "el",
     "Φαράγγι Σαμαριάς — Τετάρτη 2 Δεκεμβρίου", EL("tourism.hours_out_of_season")),
    (athens(12, 1, 10), "ΜΠΟΡΩ ΝΑ ΚΑΤΕΒΩ ΤΟ ΦΑΡΑΓΓΙ ΣΑΜΑΡΙΑΣ ΤΗΝ ΚΥΡΙΑΚΗ;", "el",
     "Φαράγγι Σαμαριάς — Κυριακή 6 Δεκεμβρίου", EL("tourism.hours_out_of_season")),
    (athens(12, 1, 10), "Can I hike the Samaria gorge tomorrow?", "en",
     "Samaria Gorge — Wednesday 2 December", EN("tourism.hours_out_of_season")),
    # in the season the same question gets the day's hours
    (athens(6, 1, 10), "Can I hike the Samaria gorge tomorrow?", "en",
     "Samaria Gorge — Tuesday 2 June", "07:00–16:00"),
])
async def test_a_day_named_for_a_seasonal_sight_gets_that_day_s_answer(service: Service, now: datetime, text: str,
                                                                        lang: str, heading: str, line: str) -> None:
    set_clock(service, now)
    said = texts_of(await ask(service, 7130, text, lang=lang, calls=2))
    assert f"🕘 {heading}\n" in said and line in said.split(heading, 1)[1].split("\n")[1], said


@pytest.mark.parametrize("now,text,lang,warning", [
    (athens(12, 1, 10), "πως θα παω στο φαραγγι της σαμαριας με λεωφορειο;", "el",
     EL("tourism.way_out_of_season", day="Τρίτη 1 Δεκεμβρίου")),
    (athens(12, 1, 10), "How do I get to the Samaria gorge tomorrow?", "en",
     EN("tourism.way_out_of_season", day="Wednesday 2 December")),
    (athens(6, 1, 10), "How do I get to the Samaria gorge tomorrow?", "en", None),  # in the season: no warning
])
async def test_the_way_to_a_seasonal_sight_says_when_it_is_closed_that_day(
        service: Service, now: datetime, text: str, lang: str, warning: str | None) -> None:
    set_clock(service, now)
    said = texts_of(await ask(service, 7131, text, lang=lang, calls=2))
    t, gorge = (EL if lang == "el" else EN), CATALOGUE.get("samaria_gorge")
    assert gorge is not None and gorge.bus is not None
    assert t("tourism.bus_route_ktel", line=gorge.bus.line(lang), stop=gorge.bus.stop(lang)) in said  # the way too
    if warning is None:
        assert "⚠️" not in said.split("\n")[1], said
    else:
        assert said.split("\n")[1] == warning, said


# ---------------------------------------------------------------------- asked today: open now, not yet, closed now
@pytest.mark.parametrize("now,text,lang,heading,line", [
    # Monday 7 December: the maritime museum's winter hours are every day 09:00-15:30, last entry 15:00
    (athens(12, 7, 7, 30), "είναι ανοιχτό το Ναυτικό Μουσείο;", "el",
     "Ναυτικό Μουσείο Κρήτης — σήμερα, Δευτέρα 7 Δεκεμβρίου",
     "Δεν άνοιξε ακόμη: ανοίγει σήμερα στις 09:00, έως τις 15:30 (τελευταία είσοδος 15:00)."),
    (athens(12, 7, 12, 0), "einai anoixto to nautiko mouseio?", "el",
     "Ναυτικό Μουσείο Κρήτης — σήμερα, Δευτέρα 7 Δεκεμβρίου",
     "Ανοιχτό τώρα, έως τις 15:30 (τελευταία είσοδος 15:00)."),
    (athens(12, 7, 18, 43), "είναι ανοιχτό το Ναυτικό Μουσείο;", "el",
     "Ναυτικό Μουσείο Κρήτης — σήμερα, Δευτέρα 7 Δεκεμβρίου",
     "Κλειστό τώρα (έκλεισε στις 15:30· ξανανοίγει αύριο 09:00–15:30)."),
    (athens(12, 7, 18, 43), "ειναι ανοιχτο το ναυτικο μουσειο;", "el",
     "Ναυτικό Μουσείο Κρήτης — σήμερα, Δευτέρα 7 Δεκεμβρίου",
     "Κλειστό τώρα (έκλεισε στις 15:30· ξανανοίγει αύριο 09:00–15:30)."),
    (athens(12, 7, 18, 43), "Is the maritime museum open?", "en",
     "Maritime Museum of Crete — today, Monday 7 December",
     "Closed now (it closed at 15:30; opens again tomorrow 09:00–15:30)."),
    (athens(12, 7, 8, 0), "Is the maritime museum open now?", "en",
     "Maritime Museum of Crete — today, Monday 7 December",
     "Not open yet: opens today at 09:00, until 15:30 (last entry 15:00)."),
    (athens(12, 7, 10, 15), "is the maritime museum open today?", "en",
     "Maritime Museum of Crete — today, Monday 7 December", "Open now until 15:30 (last entry 15:00)."),
    # the archaeological museum: winter Wed-Mon 08:30-15:30, last entry 15:10, closed on Tuesdays
    (athens(12, 7, 15, 20), "Is the archaeological museum still open?", "en",
     "Archaeological Museum of Chania — today, Monday 7 December",
     "Open until 15:30, but the last entry was at 15:10: too late to go in today "
     "(opens again Wednesday 9 December, 08:30–15:30)."),
    (athens(12, 8, 11, 0), "είναι ανοιχτό το αρχαιολογικό μουσείο;", "el",
     "Αρχαιολογικό Μουσείο Χανίων — σήμερα, Τρίτη 8 Δεκεμβρίου",
     "Κλειστό αυτή την ημέρα της εβδομάδας. Ξανανοίγει αύριο 08:30–15:30."),
    (athens(12, 7, 18, 43), "ανοίγει αύριο το αρχαιολογικό μουσείο;", "el",
     "Αρχαιολογικό Μουσείο Χανίων — Τρίτη 8 Δεκεμβρίου", "Κλειστό αυτή την ημέρα της εβδομάδας."),
    (athens(12, 7, 18, 43), "ΕΙΝΑΙ ΑΝΟΙΧΤΟ ΤΟ ΑΡΧΑΙΟΛΟΓΙΚΟ ΜΟΥΣΕΙΟ;", "el",
     "Αρχαιολογικό Μουσείο Χανίων — σήμερα, Δευτέρα 7 Δεκεμβρίου",
     "Κλειστό τώρα (έκλεισε στις 15:30· ξανανοίγει Τετάρτη 9 Δεκεμβρίου, 08:30–15:30)."),
    (athens(12, 8, 11, 0), "Is the archaeological museum open?", "en",
     "Archaeological Museum of Chania — today, Tuesday 8 December",
     "Closed on that day of the week. Opens again tomorrow 08:30–15:30."),
    # Christmas Day and Boxing Day are closed days of the maritime museum
    (athens(12, 25, 10, 0), "Is the maritime museum open today?", "en",
     "Maritime Museum of Crete — today, Friday 25 December",
     "Closed: public holiday (Christmas Day). Opens again Sunday 27 December, 09:00–15:30."),
])
async def test_asked_today_the_answer_is_about_now(service: Service, now: datetime, text: str, lang: str,
                                                   heading: str, line: str) -> None:
    set_clock(service, now)
    calls = await ask(service, 7120, text, lang=lang, calls=2)
    said = texts_of(calls)
    assert f"🕘 {heading}\n{line}" in said
    assert Texts(lang)("tourism.hours_unverified") in said  # type: ignore[arg-type]


async def test_a_sight_s_card_says_whether_it_is_open_now(service: Service) -> None:
    set_clock(service, athens(12, 7, 18, 43))
    said = texts_of(await ask(service, 7121, button="tour:info:maritime_museum", lang="en", calls=2))
    assert EN("tourism.hours_today", text="Closed now (it closed at 15:30; opens again tomorrow 09:00–15:30).") in said
    set_clock(service, athens(12, 7, 12, 0))
    said = texts_of(await ask(service, 7122, button="tour:info:maritime_museum", lang="el", calls=2))
    assert EL("tourism.hours_today", text="Ανοιχτό τώρα, έως τις 15:30 (τελευταία είσοδος 15:00).") in said


# ---------------------------------------------------------------------- near X, swim in X
async def test_near_firkas_lists_what_is_near_firkas_not_firkas(service: Service) -> None:
    calls = await ask(service, 7103, "What is there to see near Firkas?", lang="en", calls=2)
    said = texts_of(calls)
    firkas = CATALOGUE.get("firkas")
    assert firkas is not None
    assert said.startswith(EN("tourism.title_nearby_from", place="Firkas Fortress", first=1, last=5,
                              total=len(CATALOGUE.of(KINDS["nearby"])) - 1))
    assert "Firkas Fortress —" not in said
    expected = sorted((p for p in CATALOGUE.of(KINDS["nearby"]) if p.id != "firkas"),
                      key=lambda p: haversine_m(firkas.point, p.point))[:5]
    assert keyboard_payloads(calls)[:5] == [f"tour:info:{p.id}" for p in expected]
    [venue] = venues(calls)  # one pin: the nearest one
    assert venue.body["title"] == expected[0].name.en


@pytest.mark.parametrize("text", ["τι να δω κοντά στο λιμάνι;", "ti na do konta sto limani?"])
async def test_what_to_see_near_the_harbour_in_greek(service: Service, text: str) -> None:
    said = texts_of(await ask(service, 7104, text, calls=2))
    assert said.startswith(EL("tourism.title_nearby_from", place="Ενετικό Λιμάνι", first=1, last=5,
                              total=len(CATALOGUE.of(KINDS["nearby"])) - 1))
    assert "1. Ενετικό Λιμάνι" not in said


@pytest.mark.parametrize("text,lang,heading", [
    ("can I swim in Falasarna?", "en", "🏖 Falasarna Beach (Φαλάσαρνα)"),
    ("μπορώ να κολυμπήσω στα Φαλάσαρνα;", "el", "🏖 Φαλάσαρνα"),
])
async def test_swimming_in_a_named_beach_is_about_that_beach(service: Service, text: str, lang: str,
                                                             heading: str) -> None:
    said = texts_of(await ask(service, 7105, text, lang=lang, calls=2))
    falasarna = CATALOGUE.get("falasarna")
    assert falasarna is not None
    assert said.startswith(heading)
    assert falasarna.description(lang) in said  # type: ignore[arg-type]


# ---------------------------------------------------------------------- getting there by bus / on foot
@pytest.mark.parametrize("text,lang,line,stop", [
    ("How do I get to Elafonisi by bus?", "en", "Chania – Elafonisi", "Elafonisi (beach)"),
    ("πώς πάω στο Ελαφονήσι με το λεωφορείο;", "el", "Χανιά – Ελαφονήσι", "Ελαφονήσι (παραλία)"),
    ("How can I get to Samaria gorge by bus?", "en", "Chania – Omalos (Xyloskalo)", "Xyloskalo (gorge entrance)"),
])
async def test_the_ktel_route_from_the_central_station(service: Service, text: str, lang: str, line: str,
                                                       stop: str) -> None:
    calls = await ask(service, 7106, text, lang=lang, calls=2)
    said = texts_of(calls)
    t = Texts(lang)  # type: ignore[arg-type]
    assert t("tourism.bus_route_ktel", line=line, stop=stop) in said
    season = ("summer timetable only (about May to October)" if lang == "en"
              else "μόνο με το καλοκαιρινό δρομολόγιο (περίπου Μάιος–Οκτώβριος)")
    assert t("tourism.bus_route_season", season=season).removesuffix(".") in said
    assert t("tourism.bus_route_check") in said and t("tourism.transport_unverified") in said
    [venue] = venues(calls)
    assert venue.body["title"] == CATALOGUE.get("ktel_station").name(lang)  # type: ignore[union-attr]


@pytest.mark.parametrize("text,lang", [("How do I get to the old town by bus?", "en"),
                                       ("πώς πάω στην παλιά πόλη με λεωφορείο;", "el")])
async def test_the_old_town_is_a_walk_never_no_regular_bus(service: Service, text: str, lang: str) -> None:
    said = texts_of(await ask(service, 7107, text, lang=lang, calls=2))
    t = Texts(lang)  # type: ignore[arg-type]
    assert t("tourism.bus_none") not in said
    walk_start = t("tourism.walk", distance="§", minutes="§").split("§")[0]
    assert walk_start in said


# ---------------------------------------------------------------------- nearest: a location first
@pytest.mark.parametrize("text,lang", [("nearest beach", "en"), ("ποια είναι η κοντινότερη παραλία;", "el")])
async def test_nearest_beach_asks_for_a_location_then_ranks_by_it(service: Service, text: str, lang: str) -> None:
    user = 7108
    calls = await ask(service, user, text, lang=lang, calls=2)
    t = Texts(lang)  # type: ignore[arg-type]
    assert t("tourism.ask_location_nearest") in texts_of(calls)
    assert asks_for_location(calls)
    assert "tour:more:beaches:0" in keyboard_payloads(calls)  # or the best-known list, if they prefer

    kalyves = (35.4525, 24.1725)
    calls = await ask(service, user, location=kalyves, lang=lang, calls=2)
    expected = sorted(CATALOGUE.of(KINDS["beaches"]), key=lambda p: haversine_m(
        CATALOGUE.get("kalyves").point, p.point))  # type: ignore[union-attr]
    assert texts_of(calls).startswith(t("tourism.title_beaches_near", first=1, last=5, total=len(expected)))
    got = [p.removeprefix("tour:info:") for p in keyboard_payloads(calls) if p.startswith("tour:info:")]
    assert got[0] in {"kalyves", "almyrida"}
    assert len(venues(calls)) == 1


async def test_a_location_outside_the_area_is_refused_and_not_used_later(service: Service) -> None:
    user = 7109
    calls = await ask(service, user, location=ATHENS, lang="en")
    assert texts_of(calls) == EN("tourism.outside_area")
    assert not venues(calls)
    calls = await ask(service, user, "nearest beach", lang="en", calls=2)
    assert EN("tourism.ask_location_nearest") in texts_of(calls)  # asks again instead of ranking from Athens
    calls = await ask(service, user, "what can I see near me?", lang="en")
    assert asks_for_location(calls) and "km" not in texts_of(calls)


# ---------------------------------------------------------------------- one readable answer
@pytest.mark.parametrize("lang", ["el", "en"])
async def test_a_shared_location_gets_one_list_message_and_one_pin(service: Service, lang: str) -> None:
    calls = await ask(service, 7110 + (lang == "en"), location=HARBOUR, lang=lang, calls=2)
    assert [c.method for c in calls] == ["sendMessage", "sendVenue"]
    said = texts_of(calls)
    assert said.count("https://www.openstreetmap.org/?mlat=") == 5  # every sight has its map link in the list
    nearest = sorted(CATALOGUE.of(KINDS["nearby"]), key=lambda p: haversine_m(CATALOGUE.get("old_harbour").point,
                                                                              p.point))  # type: ignore[union-attr]
    assert venues(calls)[0].body["title"] == nearest[0].name(lang)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- buses and boats as a local would say them
def port_name(poi_id: str, lang: str) -> str:
    poi = CATALOGUE.get(poi_id)
    assert poi is not None
    return poi.name(lang)  # type: ignore[arg-type]


@pytest.mark.parametrize("text,lang", [("How do I get to Balos?", "en"), ("πώς πάω στον Μπάλο;", "el"),
                                       ("pws paw sto balo?", "el")])
async def test_balos_by_the_seasonal_ktel_bus_or_the_boat_from_kissamos(service: Service, text: str,
                                                                          lang: str) -> None:
    calls = await ask(service, 7130, text, lang=lang, calls=2)
    said = texts_of(calls)
    t = Texts(lang)  # type: ignore[arg-type]
    line, stop = (("Chania – Kissamos – Balos", "Balos (car park at the end of the dirt road)") if lang == "en" else
                  ("Χανιά – Κίσσαμος – Μπάλος", "Μπάλος (πάρκινγκ στο τέλος του χωματόδρομου)"))
    route = "Kissamos (Kavonisi) – Gramvousa – Balos" if lang == "en" else "Κίσσαμος (Καβονήσι) – Γραμβούσα – Μπάλος"
    assert t("tourism.bus_route_ktel", line=line, stop=stop) in said
    assert t("tourism.boat_there", route=route, port=port_name("kissamos_port", lang)) in said
    assert ("dirt road" if lang == "en" else "χωματόδρομος") in said
    assert t("tourism.bus_route_check") in said and t("tourism.boat_check") in said
    assert t("tourism.transport_unverified") in said  # verified: false, and the answer says so
    assert t("tourism.bus_none") not in said and t("tourism.bus_none_short") not in said
    [venue] = venues(calls)
    assert venue.body["title"] == port_name("ktel_station", lang)


@pytest.mark.parametrize("lang", ["en", "el"])
async def test_samaria_there_by_bus_and_back_by_boat_from_agia_roumeli(service: Service, lang: str) -> None:
    text = "how do I get to Samaria?" if lang == "en" else "πώς πάω στο φαράγγι της Σαμαριάς;"
    said = texts_of(await ask(service, 7131, text, lang=lang, calls=2))
    t = Texts(lang)  # type: ignore[arg-type]
    samaria = CATALOGUE.get("samaria_gorge")
    assert samaria is not None and samaria.boat is not None and samaria.bus is not None
    assert t("tourism.bus_route_ktel", line=samaria.bus.line(lang), stop=samaria.bus.stop(lang)) in said  # type: ignore[arg-type]
    assert t("tourism.boat_back", route=samaria.boat.route(lang),  # type: ignore[arg-type]
             port=port_name("agia_roumeli", lang)) in said


@pytest.mark.parametrize("text,lang", [("How do I get to Loutro?", "en"), ("πώς πάω στο Λουτρό;", "el")])
async def test_loutro_has_no_road_the_bus_to_chora_sfakion_then_the_boat(service: Service, text: str,
                                                                         lang: str) -> None:
    calls = await ask(service, 7132, text, lang=lang, calls=2)
    said = texts_of(calls)
    t = Texts(lang)  # type: ignore[arg-type]
    line = "Chania – Chora Sfakion" if lang == "en" else "Χανιά – Χώρα Σφακίων"
    assert t("tourism.bus_to_port", port=port_name("chora_sfakion_port", lang), line=line) in said
    assert port_name("chora_sfakion_port", lang) in said and t("tourism.boat_check") in said
    assert t("tourism.bus_none") not in said  # no "taxi or car" to a village without a road
    [venue] = venues(calls)
    assert venue.body["title"] == port_name("chora_sfakion_port", lang)


async def test_a_path_only_place_says_how_not_taxi_or_car(service: Service) -> None:
    calls = await ask(service, 7133, "how do I get to Agios Pavlos?", lang="en", calls=2)
    said = texts_of(calls)
    assert EN("tourism.bus_none_short") in said and "E4 path" in said
    assert EN("tourism.bus_none") not in said
    assert venues(calls)[0].body["title"] == "Agios Pavlos (Sfakia)"


async def test_the_overview_lists_what_one_reaches_by_boat(service: Service) -> None:
    said = texts_of(await ask(service, 7134, "how do I get around by bus?", lang="en", calls=2))
    boats = [p.name.en for p in CATALOGUE.served_by_boat()]
    assert EN("tourism.transport_served_boat", names=", ".join(boats)) in said
    assert "Balos Lagoon" in boats and "Loutro" in boats


# ---------------------------------------------------------------------- a visitor's walk (issue 9, item 3)
@pytest.mark.parametrize("text,lang", [("πως παω στο φαραγγι της σαμαριας", "el"),
                                       ("θέλω να πάω στο Ελαφονήσι", "el"),
                                       ("I want to go to Elafonisi", "en")])
async def test_how_do_i_get_there_is_answered_whatever_the_nlu_guessed(service: Service, text: str,
                                                                       lang: str) -> None:
    # the NLU reads these as tourist_sight_info or tourist_transport with low confidence: the card was shown
    said = texts_of(await ask(service, 7135, text, lang=lang, calls=2))
    name = "Samaria" if "σαμαρ" in text else "Elafonisi"
    poi = CATALOGUE.find(name)
    assert poi is not None
    assert said.startswith(Texts(lang)("tourism.transport_to_sight", name=poi.name(lang), bus="").rstrip())  # type: ignore[arg-type]


@pytest.mark.parametrize("text,lang,place", [
    ("where can I eat near the harbour?", "en", "Venetian Harbour"),
    ("πού να φάω κοντά στο λιμάνι;", "el", "Ενετικό Λιμάνι"),
    ("pou na faw konta sto limani", "el", "Ενετικό Λιμάνι"),
])
async def test_where_to_eat_says_the_guide_has_no_restaurants(service: Service, text: str, lang: str,
                                                              place: str) -> None:
    said = texts_of(await ask(service, 7136, text, lang=lang, calls=2))
    t = Texts(lang)  # type: ignore[arg-type]
    assert said.startswith(t("tourism.no_food") + "\n\n" + t("tourism.title_nearby_from", place=place, first=1,
                                                              last=5, total=len(CATALOGUE.of(KINDS["nearby"])) - 1))


async def test_where_to_eat_with_no_place_says_so_and_offers_the_guide(service: Service) -> None:
    calls = await ask(service, 7137, "where can I eat?", lang="en")
    assert texts_of(calls) == EN("tourism.no_food")
    assert "tour:more:nearby:0" in keyboard_payloads(calls)


@pytest.mark.parametrize("text,lang", [("museums open on Monday", "en"), ("μουσεία ανοιχτά τη Δευτέρα", "el"),
                                       ("mouseia anoixta deftera", "el")])
async def test_museums_open_on_monday_with_their_hours(service: Service, text: str, lang: str) -> None:
    calls = await ask(service, 7138, text, lang=lang)
    said = texts_of(calls)
    t = Texts(lang)  # type: ignore[arg-type]
    day = "Monday 7 December" if lang == "en" else "Δευτέρα 7 Δεκεμβρίου"
    assert said.startswith(t("tourism.open_on_title_museums", day=day))
    archaeological, war = CATALOGUE.get("archaeological_museum"), CATALOGUE.get("war_museum")
    assert archaeological is not None and war is not None
    assert t("tourism.open_on_item_open_last_entry", n=1, name=archaeological.name(lang), open="08:30",  # type: ignore[arg-type]
             close="15:30", last_entry="15:10") in said
    assert t("tourism.open_on_closed", names=war.name(lang)) in said  # type: ignore[arg-type]  # closed on Mondays
    assert t("tourism.hours_unverified") in said
    assert CATALOGUE.get("old_harbour").name(lang) not in said  # type: ignore[union-attr,arg-type]  # not a museum
    assert keyboard_payloads(calls)[0] == "tour:info:archaeological_museum"


@pytest.mark.parametrize("text,lang,name", [("is Balos open?", "en", "Balos Lagoon"),
                                            ("είναι ανοιχτός ο Μπάλος;", "el", "Μπάλος"),
                                            ("is Falasarna open?", "en", "Falasarna Beach")])
async def test_an_open_air_place_is_open_at_any_time(service: Service, text: str, lang: str, name: str) -> None:
    said = texts_of(await ask(service, 7139, text, lang=lang, calls=2))
    t = Texts(lang)  # type: ignore[arg-type]
    day = "Saturday 5 December" if lang == "en" else "Σάββατο 5 Δεκεμβρίου"
    assert said.startswith(t("tourism.hours_title_today", name=name, day=day) + "\n" + t("tourism.hours_always_open"))
    assert t("tourism.hours_unknown", name=name) not in said


async def test_tell_me_about_balos_is_answered_in_english(service: Service) -> None:
    said = texts_of(await ask(service, 7140, "tell me about Balos", lang="en", calls=2))
    assert said.startswith("🏖 Balos Lagoon (Μπάλος)")
    assert EN("tourism.boat_there", route="Kissamos (Kavonisi) – Gramvousa – Balos",
              port="Kissamos Port (Kavonisi)") in said



async def test_museums_open_now_asked_after_closing_are_not_listed_as_open(service: Service) -> None:
    set_clock(service, athens(12, 7, 18, 43))  # Monday evening: every museum has closed
    said = texts_of(await ask(service, 7141, "which museums are open now?", lang="en"))
    assert said.startswith(EN("tourism.open_on_title_museums", day="today, Monday 7 December"))
    assert EN("tourism.open_on_none_today") in said and "08:30–15:30" not in said
    assert EN("tourism.open_on_closed_today", names="").rstrip(".") in said
    set_clock(service, athens(12, 7, 9, 15))  # 09:15: the archaeological museum is open, the Venizelos house too
    said = texts_of(await ask(service, 7141, "which museums are open now?", lang="en"))
    assert EN("tourism.open_on_item_open_now_last_entry", n=1, name="Archaeological Museum of Chania",
              close="15:30", last_entry="15:10") in said
    set_clock(service, athens(12, 7, 8, 0))  # 08:00: nothing is open yet; each says when it opens
    said = texts_of(await ask(service, 7141, "μουσεία ανοιχτά σήμερα", lang="el"))
    assert EL("tourism.open_on_item_opens_later_last_entry", n=1, name="Αρχαιολογικό Μουσείο Χανίων", open="08:30",
              close="15:30", last_entry="15:10") in said


@pytest.mark.parametrize("text,lang", [("Is the archaeological museum open today?", "en"),
                                       ("είναι ανοιχτό το αρχαιολογικό μουσείο;", "el")])
async def test_a_generic_name_means_the_one_near_the_visitor(service: Service, text: str, lang: str) -> None:
    """QA F8: in Kissamos, "the archaeological museum" is Kissamos' own, not Chania's 45 km away."""
    user = 7190 + (lang == "en")
    kissamos, chania = CATALOGUE.get("kissamos_museum"), CATALOGUE.get("archaeological_museum")
    assert kissamos is not None and chania is not None
    await ask(service, user, location=(kissamos.lat + 0.001, kissamos.lon), lang=lang, calls=2)
    said = texts_of(await ask(service, user, text, lang=lang))
    assert kissamos.name(lang) in said and chania.name(lang) not in said  # type: ignore[arg-type]
    far = texts_of(await ask(service, user + 10, text, lang=lang))  # with no location: the best-known one
    assert chania.name(lang) in far  # type: ignore[arg-type]
