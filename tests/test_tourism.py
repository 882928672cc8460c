"""The tourist guide handler (handlers/tourism.py) on the real catalogue and texts, with the store stand-in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from bot.core.geo import haversine_m
from bot.core.i18n import Texts
from bot.core.models import Entity, GeoPoint, Inbound, NluResult, Pin, Reply, utcnow
from bot.core.services import Services
from bot.core.settings import Settings
from bot.guide.catalogue import KINDS, Catalogue, Category, Poi
from handlers.base import KEEP, Conversation, FlowState, Handler, Outcome, Turn
from handlers.tourism import AWAIT_LOCATION, TourismHandler, create_handler
from tests.fixtures.store import open_test_store

HARBOUR = GeoPoint(35.5175, 24.0180)  # on the quay of the Venetian harbour
XYLOSKALO = GeoPoint(35.3080, 23.9184)  # the car park at the top of the Samaria gorge
ELAFONISI = GeoPoint(35.2712, 23.5412)


@dataclass
class StubOutbox:
    sent: list[tuple[str, list[Reply]]] = field(default_factory=list)

    async def send_to(self, conversation_id: str, replies: list[Reply], *, sender: str = "bot") -> None:
        self.sent.append((conversation_id, replies))


@pytest.fixture
async def services() -> Services:
    store = await open_test_store("tourism_test")
    return Services(settings=Settings(_env_file=None), store=store, outbox=StubOutbox())  # type: ignore[call-arg]


@pytest.fixture
def handler(services: Services) -> TourismHandler:
    return create_handler(services)


@pytest.fixture
def catalogue(handler: TourismHandler) -> Catalogue:
    return handler.catalogue


def make_turn(services: Services, *, text: str = "", intent: str | None = None, confidence: float = 0.95,
              lang: str = "el", channel: str = "telegram", location: GeoPoint | None = None,
              last_location: GeoPoint | None = None, last_age: timedelta = timedelta(minutes=10),
              button: str | None = None, entities: Sequence[tuple[str, str]] = (), hint: str | None = None,
              flow: FlowState | None = None) -> Turn:
    inbound = Inbound(channel=channel, user_id="u1", chat_id="c1", message_id="m1", text=text,  # type: ignore[arg-type]
                      location=location, button=button, language_hint=hint or lang)
    nlu = NluResult(intent=intent, confidence=confidence if intent else 0.0,
                    entities=tuple(Entity(e, v) for e, v in entities))
    conv = Conversation(id=f"{channel}:u1", channel=channel, user_id="u1", chat_id="c1", language=lang,  # type: ignore[arg-type]
                        flow=flow, last_location=last_location,
                        last_location_at=utcnow() - last_age if last_location else None)
    return Turn(inbound=inbound, nlu=nlu, conversation=conv, texts=Texts(lang), services=services)  # type: ignore[arg-type]


def pins(outcome: Outcome) -> list[Reply]:
    return [r for r in outcome.replies if r.location is not None]


def listing(outcome: Outcome) -> Reply:
    return outcome.replies[-1]


def ids_of(outcome: Outcome, catalogue: Catalogue) -> list[str]:
    """The sights of a list page, from its "details" buttons (one per sight, in order)."""
    return [b.payload.split(":")[2] for b in listing(outcome).buttons if b.payload.startswith("tour:info:")]


def payload(outcome: Outcome, prefix: str) -> str | None:
    return next((b.payload for b in listing(outcome).buttons if b.payload.startswith(prefix)), None)


def brute_force(catalogue: Catalogue, origin: GeoPoint, categories: frozenset[Category],
                skip: str | None = None) -> list[Poi]:
    pois = [p for p in catalogue.of(categories) if p.id != skip]
    return sorted(pois, key=lambda p: haversine_m(origin, p.point))


def test_it_satisfies_the_handler_protocol(handler: TourismHandler) -> None:
    h: Handler = handler
    assert h.name == "tourism" and h.button_prefix == "tour"
    assert h.intents == {"tourist_nearby", "tourist_beaches", "tourist_culture", "tourist_nature",
                         "tourist_sight_info", "tourist_transport"}


# ---------------------------------------------------------------------- nearby
@pytest.mark.parametrize("lang", ["el", "en"])
async def test_nearby_with_a_shared_location_gives_the_5_nearest_in_one_answer_with_one_pin(
        services: Services, handler: TourismHandler, catalogue: Catalogue, lang: str) -> None:
    out = await handler.handle(make_turn(services, intent="tourist_nearby", lang=lang, location=HARBOUR))
    expected = brute_force(catalogue, HARBOUR, KINDS["nearby"])[:5]
    assert len(out.replies) == 1  # one readable answer, not a pin bubble per sight and then the list again
    [pin] = [p.location for p in pins(out)]
    assert (pin.lat, pin.lon, pin.name) == (expected[0].lat, expected[0].lon, expected[0].name(lang))  # the top one
    text = listing(out).text
    t = Texts(lang)
    assert text.startswith(t("tourism.title_nearby", first=1, last=5, total=85))
    positions = [text.index(f"{n}. {p.name(lang)} — ") for n, p in enumerate(expected, start=1)]
    assert positions == sorted(positions)
    assert text.count("https://www.openstreetmap.org/?mlat=") == 5
    assert t("tourism.straight_line") in text
    assert ids_of(out, catalogue) == [p.id for p in expected]
    assert payload(out, "tour:more:") == "tour:more:nearby:5"
    assert out.flow is KEEP


@pytest.mark.parametrize("origin,first", [
    (XYLOSKALO, ["samaria_gorge", "omalos"]),
    (ELAFONISI, ["elafonisi", "kedrodasos", "chrysoskalitissa"]),
    (HARBOUR, ["old_harbour", "janissaries_mosque"]),
])
async def test_distance_ordering_at_known_places(services: Services, handler: TourismHandler, catalogue: Catalogue,
                                                 origin: GeoPoint, first: list[str]) -> None:
    out = await handler.handle(make_turn(services, intent="tourist_nearby", location=origin))
    assert ids_of(out, catalogue)[:len(first)] == first
    metres = [haversine_m(origin, catalogue.get(i).point) for i in ids_of(out, catalogue)]
    assert metres == sorted(metres)
    [pin] = [p.location for p in pins(out)]
    assert pin.name == catalogue.get(first[0]).name.el and " · " in pin.address  # "2,3 χλμ. · Φαράγγι / μονοπάτι"


async def test_nearby_without_a_location_asks_for_it_and_the_shared_location_answers(
        services: Services, handler: TourismHandler, catalogue: Catalogue) -> None:
    out = await handler.handle(make_turn(services, text="τι να δω εδώ γύρω;", intent="tourist_nearby"))
    [ask] = out.replies
    assert ask.request_location and ask.text == Texts("el")("tourism.ask_location")
    assert isinstance(out.flow, FlowState) and out.flow.name == "tourism" and out.flow.step == AWAIT_LOCATION

    answer = await handler.continue_flow(make_turn(services, location=XYLOSKALO, flow=out.flow))
    assert answer is not None and answer.flow is None
    assert ids_of(answer, catalogue)[0] == "samaria_gorge"


async def test_a_typed_place_answers_the_location_question(services: Services, handler: TourismHandler,
                                                           catalogue: Catalogue) -> None:
    flow = FlowState("tourism", AWAIT_LOCATION, {"kind": "nearby"})
    answer = await handler.continue_flow(make_turn(services, text="κοντά στον Φιρκά", flow=flow))
    assert answer is not None and answer.flow is None
    firkas = catalogue.get("firkas")
    assert firkas is not None
    expected = brute_force(catalogue, firkas.point, KINDS["nearby"], skip="firkas")[:5]
    assert ids_of(answer, catalogue) == [p.id for p in expected]
    assert "Φρούριο Φιρκά" in listing(answer).text.splitlines()[0]
    assert payload(answer, "tour:more:") == "tour:more:nearby:5:firkas"


async def test_other_messages_are_not_answers_to_the_location_question(services: Services,
                                                                       handler: TourismHandler) -> None:
    flow = FlowState("tourism", AWAIT_LOCATION, {"kind": "nearby"})
    assert await handler.continue_flow(make_turn(services, text="θέλω να κάνω μια αναφορά",
                                                 intent="complaint_roads", flow=flow)) is None
    assert await handler.continue_flow(make_turn(services, text="καλημέρα", intent="greet", flow=flow)) is None
    assert await handler.continue_flow(make_turn(services, location=HARBOUR,
                                                 flow=FlowState("complaints", "location"))) is None
    assert await handler.resume_prompt(make_turn(services, flow=flow)) == []


async def test_a_category_list_waiting_for_a_location_keeps_its_kind(services: Services, handler: TourismHandler,
                                                                     catalogue: Catalogue) -> None:
    out = await handler.handle(make_turn(services, button="tour:loc:beaches"))
    assert out.replies[0].request_location and isinstance(out.flow, FlowState)
    answer = await handler.continue_flow(make_turn(services, location=HARBOUR, flow=out.flow))
    assert answer is not None
    expected = brute_force(catalogue, HARBOUR, KINDS["beaches"])[:5]
    assert ids_of(answer, catalogue) == [p.id for p in expected] and expected[0].id == "nea_chora_beach"


async def test_an_old_location_is_not_used(services: Services, handler: TourismHandler, catalogue: Catalogue) -> None:
    stale = make_turn(services, intent="tourist_nearby", last_location=HARBOUR, last_age=timedelta(hours=4))
    out = await handler.handle(stale)
    assert out.replies[0].request_location and out.replies[0].text == Texts("el")("tourism.location_expired")

    fresh = make_turn(services, intent="tourist_nearby", last_location=XYLOSKALO, last_age=timedelta(hours=2))
    out = await handler.handle(fresh)
    assert ids_of(out, catalogue)[0] == "samaria_gorge"


# ---------------------------------------------------------------------- categories and pages
async def pages(services: Services, handler: TourismHandler, catalogue: Catalogue, out: Outcome,
                **turn_kw: Any) -> list[list[str]]:
    """Press "more" until there is no more; the ids of every page."""
    seen = [ids_of(out, catalogue)]
    while (more := payload(out, "tour:more:")) is not None:
        out = await handler.handle(make_turn(services, button=more, **turn_kw))
        seen.append(ids_of(out, catalogue))
        assert len(seen) < 30
    return seen


@pytest.mark.parametrize("intent,kind", [("tourist_beaches", "beaches"), ("tourist_culture", "culture"),
                                         ("tourist_nature", "nature")])
async def test_category_lists_without_a_location_go_best_known_first_and_page_through_all(
        services: Services, handler: TourismHandler, catalogue: Catalogue, intent: str, kind: str) -> None:
    out = await handler.handle(make_turn(services, text="", intent=intent, lang="en"))
    assert payload(out, "tour:loc:") == f"tour:loc:{kind}"  # offers "nearest first"
    [pin] = [p.location for p in pins(out)]
    top = catalogue.get(ids_of(out, catalogue)[0])
    assert (pin.name, pin.address) == (top.name.en, Texts("en")(f"tourism.categories.{top.category.value}"))
    got = await pages(services, handler, catalogue, out, lang="en")
    assert all(1 <= len(page) <= 5 for page in got)
    flat = [i for page in got for i in page]
    assert flat == [p.id for p in catalogue.best_known(KINDS[kind])]
    assert {catalogue.get(i).category for i in flat} <= KINDS[kind]
    assert len(flat) == len(set(flat)) == len(catalogue.of(KINDS[kind]))


@pytest.mark.parametrize("kind", ["nearby", "beaches", "culture", "nature"])
async def test_lists_with_a_location_go_nearest_first_and_page_through_all(
        services: Services, handler: TourismHandler, catalogue: Catalogue, kind: str) -> None:
    out = await handler.handle(make_turn(services, button=f"tour:more:{kind}:0", last_location=HARBOUR))
    got = await pages(services, handler, catalogue, out, last_location=HARBOUR)
    flat = [i for page in got for i in page]
    assert flat == [p.id for p in brute_force(catalogue, HARBOUR, KINDS[kind])]
    assert Category.TRANSPORT_HUB not in {catalogue.get(i).category for i in flat}


async def test_a_place_named_in_a_category_question_orders_by_distance_from_it(
        services: Services, handler: TourismHandler, catalogue: Catalogue) -> None:
    out = await handler.handle(make_turn(services, text="παραλίες κοντά στην Κίσσαμο", intent="tourist_beaches"))
    kissamos = catalogue.get("kissamos")
    assert kissamos is not None
    expected = brute_force(catalogue, kissamos.point, KINDS["beaches"])[:5]
    assert ids_of(out, catalogue) == [p.id for p in expected]
    assert listing(out).text.splitlines()[0].startswith("🏖 Παραλίες κοντά σε: Κίσσαμος (Καστέλι)")
    # the NLU entity works the same way
    out2 = await handler.handle(make_turn(services, text="beaches near there", intent="tourist_beaches", lang="en",
                                          entities=[("location", "Kissamos")]))
    assert ids_of(out2, catalogue) == [p.id for p in expected]


# ---------------------------------------------------------------------- one sight
@pytest.mark.parametrize("text,lang,expected", [
    ("Μπάλος", "el", "balos"),
    ("πού είναι ο μπαλος;", "el", "balos"),
    ("ΜΠΑΛΟΣ ΠΛΗΡΟΦΟΡΙΕΣ", "el", "balos"),
    ("pws paw ston mpalo", "el", "balos"),
    ("Tell me about Balos lagoon", "en", "balos"),
    ("Πόσες ώρες είναι το φαράγγι της Σαμαριάς;", "el", "samaria_gorge"),
    ("farangi samarias", "el", "samaria_gorge"),
    ("Tell me about the maritime museum", "en", "maritime_museum"),
    ("ναυτικο μουσειο χανιων", "el", "maritime_museum"),
    ("Elafonissi pink sand?", "en", "elafonisi"),
    ("λίμνη κουρνά", "el", "kournas_lake"),
    ("limni kourna", "el", "kournas_lake"),
    ("ancient falasarna", "en", "ancient_falasarna"),
    ("Φαλάσαρνα", "el", "falasarna"),
    ("phalasarna", "en", "falasarna"),
    ("ΜΟΝΗ ΑΓΙΑΣ ΤΡΙΑΔΑΣ", "el", "agia_triada"),
    ("agii apostoli", "el", "agioi_apostoloi"),
])
async def test_sight_info_matches_names_in_every_script(services: Services, handler: TourismHandler,
                                                        catalogue: Catalogue, text: str, lang: str,
                                                        expected: str) -> None:
    out = await handler.handle(make_turn(services, text=text, intent="tourist_sight_info", lang=lang))
    [reply] = out.replies
    poi = catalogue.get(expected)
    assert poi is not None
    assert reply.location is not None and (reply.location.lat, reply.location.lon) == (poi.lat, poi.lon)
    assert reply.location.name == poi.name(lang)
    assert poi.description(lang) in reply.text
    assert reply.location.map_url in reply.text
    assert [b.payload for b in reply.buttons] == [f"tour:more:nearby:0:{expected}"]


async def test_sight_info_shows_practical_notes_and_bus(services: Services, handler: TourismHandler) -> None:
    out = await handler.handle(make_turn(services, text="Samaria gorge tickets?", intent="tourist_sight_info",
                                         lang="en"))
    text = out.replies[0].text
    t = Texts("en")
    assert text.startswith("🥾 Samaria Gorge (Φαράγγι Σαμαριάς)")
    assert t("tourism.info_season", text="Usually open May to October; closed when the weather is dangerous.") in text
    assert "Ticket at the entrance (Xyloskalo)." in text
    assert t("tourism.info_bus", text=t("tourism.bus_ktel_summer")) in text
    assert t("tourism.info_check") in text
    assert text.count(t("tourism.hours_today", text="").rstrip()) == 1  # structured hours: today's answer


async def test_sight_info_from_the_nlu_entity(services: Services, handler: TourismHandler) -> None:
    out = await handler.handle(make_turn(services, text="Πες μου για τον Μπάλο", intent="tourist_sight_info",
                                         entities=[("sight", "Μπάλο")]))
    assert out.replies[0].location is not None and out.replies[0].location.name == "Μπάλος"


async def test_an_unclear_sight_gets_suggestions_or_the_menu(services: Services, handler: TourismHandler,
                                                             catalogue: Catalogue) -> None:
    out = await handler.handle(make_turn(services, text="museum", intent="tourist_sight_info", lang="en"))
    [reply] = out.replies
    assert reply.text == Texts("en")("tourism.did_you_mean")
    suggested = [b.payload.split(":")[2] for b in reply.buttons]
    assert suggested and all(catalogue.get(i).category is Category.MUSEUM or "museum" in " ".join(
        catalogue.get(i).aliases).lower() for i in suggested)

    out = await handler.handle(make_turn(services, text="qwxz", intent="tourist_sight_info"))
    assert out.replies[0].text == Texts("el")("tourism.not_found")
    assert [b.payload for b in out.replies[0].buttons][:2] == ["tour:more:nearby:0", "tour:more:beaches:0"]


async def test_details_button_round_trip(services: Services, handler: TourismHandler, catalogue: Catalogue) -> None:
    out = await handler.handle(make_turn(services, intent="tourist_culture", lang="en"))
    first = listing(out).buttons[0]
    assert first.payload.startswith("tour:info:")
    info = await handler.handle(make_turn(services, button=first.payload, lang="en"))
    poi = catalogue.get(first.payload.split(":")[2])
    assert poi is not None and poi.description.en in info.replies[0].text
    around = info.replies[0].buttons[0].payload
    near = await handler.handle(make_turn(services, button=around, lang="en"))
    assert poi.id not in ids_of(near, catalogue)
    assert ids_of(near, catalogue) == [p.id for p in brute_force(catalogue, poi.point, KINDS["nearby"], poi.id)[:5]]


# ---------------------------------------------------------------------- transport
@pytest.mark.parametrize("lang", ["el", "en"])
async def test_transport_shows_the_hubs_and_the_sights_served_by_bus(services: Services, handler: TourismHandler,
                                                                     catalogue: Catalogue, lang: str) -> None:
    out = await handler.handle(make_turn(services, text="how do buses work here", intent="tourist_transport",
                                         lang=lang))
    hubs = catalogue.hubs()
    [reply] = out.replies
    assert [(p.location.lat, p.location.lon) for p in pins(out)] == [(hubs[0].lat, hubs[0].lon)]
    intro = reply.text
    assert catalogue.transport.intro(lang) in intro
    assert all(h.description(lang) in intro and Pin(h.name(lang), h.lat, h.lon).map_url in intro for h in hubs)
    served_text = listing(out).text
    for service, pois in catalogue.served_by_bus().items():
        line = next(ln for ln in served_text.splitlines()
                    if ln.startswith(Texts(lang)(f"tourism.transport_served_{service}", names="").rstrip()))
        assert all(p.name(lang) in line for p in pois)
    assert listing(out).buttons  # the guide's menu on the last message


async def test_transport_to_a_named_sight_and_to_a_hub(services: Services, handler: TourismHandler) -> None:
    out = await handler.handle(make_turn(services, text="How do I get to Elafonisi?", intent="tourist_transport",
                                         lang="en"))
    [reply] = out.replies
    t = Texts("en")
    assert t("tourism.bus_route_ktel", line="Chania – Elafonisi", stop="Elafonisi (beach)") in reply.text
    season = t("tourism.bus_route_season", season="summer timetable only (about May to October)")
    assert season.removesuffix(".") in reply.text  # then what the day trip looks like
    assert reply.location is not None and reply.location.name == "KTEL Bus Station"  # where to board

    out = await handler.handle(make_turn(services, text="πώς πάω στο αεροδρόμιο;", intent="tourist_transport"))
    assert out.replies[0].location is not None and out.replies[0].location.name.startswith("Αεροδρόμιο Χανίων")

    out = await handler.handle(make_turn(services, text="Theriso by bus?", intent="tourist_transport", lang="en"))
    assert Texts("en")("tourism.bus_none") in out.replies[0].text


# ---------------------------------------------------------------------- language, flows, bad input, formats
@pytest.mark.parametrize("hint,lang,noted", [("de", "en", True), ("fr-FR", "en", True), ("en", "en", False),
                                             ("el", "el", False), ("de", "el", False), ("", "en", False)])
async def test_other_languages_get_english_with_a_note(services: Services, handler: TourismHandler, hint: str,
                                                       lang: str, noted: bool) -> None:
    turn = make_turn(services, intent="tourist_beaches", lang=lang, hint=hint)
    out = await handler.handle(turn)
    note = Texts("en")("tourism.other_language")
    assert listing(out).text.startswith(note) is noted
    assert sum(r.text.count(note) for r in out.replies) == int(noted)


async def test_another_handlers_flow_is_left_alone(services: Services, handler: TourismHandler) -> None:
    complaint = FlowState("complaints", "ask_location", {"category": "lighting"})
    out = await handler.handle(make_turn(services, intent="tourist_nearby", flow=complaint))
    assert out.flow is KEEP and not any(r.request_location for r in out.replies)
    assert out.replies[0].text == Texts("el")("tourism.ask_place")
    out = await handler.handle(make_turn(services, button="tour:loc:beaches", flow=complaint))
    assert out.flow is KEEP and not any(r.request_location for r in out.replies)
    out = await handler.handle(make_turn(services, intent="tourist_beaches", flow=complaint))
    assert out.flow is KEEP

    ours = FlowState("tourism", AWAIT_LOCATION, {"kind": "nearby"})
    out = await handler.handle(make_turn(services, intent="tourist_beaches", flow=ours))
    assert out.flow is None  # answered something else: the guide's own wait is over


async def test_a_menu_button_of_another_handler_is_routed_by_intent(services: Services,
                                                                    handler: TourismHandler) -> None:
    out = await handler.handle(make_turn(services, button="menu:nearby", intent="tourist_nearby", confidence=1.0))
    assert out.replies[0].request_location


async def test_low_confidence_shows_a_named_sight_or_the_menu(services: Services, handler: TourismHandler) -> None:
    unsure = services.settings.nlu_confidence_threshold - 0.05  # just below the calibrated threshold
    out = await handler.handle(make_turn(services, text="Φραγκοκάστελλο", intent="tourist_culture", confidence=unsure))
    assert out.replies[0].location is not None and out.replies[0].location.name == "Φραγκοκάστελλο"
    out = await handler.handle(make_turn(services, text="κάτι άλλο", intent="tourist_culture", confidence=unsure))
    assert out.replies[0].text == Texts("el")("tourism.menu")


@pytest.mark.parametrize("button", ["tour:more:beaches:abc", "tour:more:castles:0", "tour:info:atlantis",
                                    "tour:more:beaches:999", "tour:bogus", "tour:", "tour:more:nearby:0:atlantis",
                                    "tour:info:balos:extra", "tour:loc:everything"])
async def test_bad_or_stale_buttons_get_a_clear_answer(services: Services, handler: TourismHandler,
                                                       button: str) -> None:
    out = await handler.handle(make_turn(services, button=button, lang="en"))
    [reply] = out.replies
    assert reply.text == Texts("en")("tourism.unknown_button")
    assert [b.payload for b in reply.buttons] == ["tour:more:nearby:0", "tour:more:beaches:0",
                                                  "tour:more:culture:0", "tour:more:nature:0", "tour:transport"]


@pytest.mark.parametrize("lang", ["el", "en"])
async def test_replies_are_the_same_for_both_channels_and_fit_their_limits(services: Services,
                                                                           handler: TourismHandler,
                                                                           lang: str) -> None:
    """Adapters render the same Reply values: check what both platforms need of them."""
    cases: list[dict[str, Any]] = [
        {"intent": "tourist_nearby", "location": HARBOUR},
        {"intent": "tourist_culture", "last_location": ELAFONISI},
        {"intent": "tourist_nature"},
        {"intent": "tourist_transport", "text": "bus"},
        {"intent": "tourist_sight_info", "text": "Αγία Τριάδα Τζαγκαρόλων"},
        {"button": "tour:more:nearby:80:agios_nikolaos_splantzia"},
    ]
    for case in cases:
        tg = await handler.handle(make_turn(services, channel="telegram", lang=lang, **case))
        vb = await handler.handle(make_turn(services, channel="viber", lang=lang, **case))
        assert tg.replies == vb.replies
        for reply in tg.replies:
            assert Reply.from_doc(reply.to_doc()) == reply  # stored by the pipeline, sent again by the outbox
            assert len(reply.text) <= 4096  # Telegram's message limit (Viber allows more)
            for b in reply.buttons:
                assert len(b.payload.encode()) <= 64 and b.payload.startswith("tour:")  # Telegram callback_data
                assert 0 < len(b.label) <= 32
            if reply.location is not None:
                assert reply.location.name and -90 <= reply.location.lat <= 90
        buttons_on = [i for i, r in enumerate(tg.replies) if r.buttons]
        assert buttons_on in ([], [len(tg.replies) - 1])  # Viber keeps a keyboard only on the last message


@pytest.mark.parametrize("metres,el,en", [(4, "10 μ.", "10 m"), (345, "350 μ.", "350 m"),
                                          (2449, "2,4 χλμ.", "2.4 km"), (38_600, "39 χλμ.", "39 km")])
async def test_distances_are_written_for_each_language(services: Services, metres: float, el: str,
                                                       en: str) -> None:
    from handlers.tourism import format_distance

    assert format_distance(metres, make_turn(services, lang="el")) == el
    assert format_distance(metres, make_turn(services, lang="en")) == en


async def test_the_catalogue_is_shared_through_services_extras(services: Services) -> None:
    first = create_handler(services)
    second = create_handler(services)
    assert first.catalogue is second.catalogue is services.extras["pois"]
