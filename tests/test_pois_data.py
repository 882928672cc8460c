"""data/pois.yaml: schema, ids, both languages, coordinates, and that every name finds its own sight."""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.core.geo import haversine_m
from bot.core.models import GeoPoint
from bot.guide.catalogue import BBOX_LAT, BBOX_LON, KINDS, POIS_FILE, Catalogue, Category, PoiFile, words

RAW = yaml.safe_load(Path(POIS_FILE).read_text(encoding="utf-8"))
CATALOGUE = Catalogue.load()
SIGHTS = [p for p in CATALOGUE.pois if p.category is not Category.TRANSPORT_HUB]
GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
# Greek, Latin (with accents), digits, spaces and ordinary punctuation; no look-alike letters from other scripts.
ALLOWED = re.compile(r"^[\u0370-\u03ff\u1f00-\u1fffA-Za-z\u00c0-\u024f0-9 .,;:!?'\"«»()\-–—/&·’+%€]+$", re.S)


def test_the_file_validates_and_has_at_least_80_sights() -> None:
    PoiFile.model_validate(RAW)
    assert len(SIGHTS) >= 80
    assert {p.category for p in SIGHTS} == set(Category) - {Category.TRANSPORT_HUB}


def test_ids_are_unique() -> None:
    ids = [p["id"] for p in RAW["pois"]]
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_a_duplicate_id_is_refused() -> None:
    data = copy.deepcopy(RAW)
    data["pois"].append(copy.deepcopy(data["pois"][0]))
    with pytest.raises(ValidationError, match="duplicate id"):
        PoiFile.model_validate(data)


@pytest.mark.parametrize("field,value", [
    ("lat", 37.98), ("lon", 25.13), ("lat", 34.5),  # Athens, Heraklion, south of Gavdos
    ("category", "castle"), ("bus", "tram"), ("id", "Has Spaces"),
])
def test_bad_values_are_refused(field: str, value: object) -> None:
    data = copy.deepcopy(RAW)
    data["pois"][0][field] = value
    with pytest.raises(ValidationError):
        PoiFile.model_validate(data)


@pytest.mark.parametrize("field", ["name", "description"])
@pytest.mark.parametrize("lang", ["el", "en"])
def test_a_missing_or_blank_language_is_refused(field: str, lang: str) -> None:
    for value in (None, "   "):
        data = copy.deepcopy(RAW)
        if value is None:
            del data["pois"][3][field][lang]
        else:
            data["pois"][3][field][lang] = value
        with pytest.raises(ValidationError):
            PoiFile.model_validate(data)


def test_unknown_fields_are_refused() -> None:
    data = copy.deepcopy(RAW)
    data["pois"][0]["opening"] = "9-5"
    with pytest.raises(ValidationError):
        PoiFile.model_validate(data)


def test_both_languages_are_really_greek_and_english() -> None:
    for poi in CATALOGUE.pois:
        assert GREEK.search(poi.name.el), poi.id
        assert GREEK.search(poi.description.el), poi.id
        assert not GREEK.search(poi.description.en), poi.id
        for field in ("season", "hours", "tickets", "access"):
            value = getattr(poi.practical, field)
            if value is not None:
                assert GREEK.search(value.el) and not GREEK.search(value.en), (poi.id, field)


def test_names_and_aliases_use_only_greek_and_latin_letters() -> None:
    for poi in CATALOGUE.pois:
        for text in (poi.name.el, poi.name.en, *poi.aliases):
            assert ALLOWED.match(text), (poi.id, text)


def test_coordinates_are_inside_the_regional_unit() -> None:
    for poi in CATALOGUE.pois:
        assert BBOX_LAT[0] <= poi.lat <= BBOX_LAT[1] and BBOX_LON[0] <= poi.lon <= BBOX_LON[1], poi.id


def test_no_two_sights_share_a_place() -> None:
    """Distinct sights at the same coordinates mean a copy-paste slip (the closest real pair is ~40 m apart)."""
    pois = CATALOGUE.pois
    for i, a in enumerate(pois):
        for b in pois[i + 1:]:
            assert haversine_m(a.point, b.point) >= 15, (a.id, b.id)


OLD_TOWN = ["old_harbour", "old_town", "lighthouse", "firkas", "maritime_museum", "janissaries_mosque", "arsenals",
            "agora", "etz_hayyim", "cathedral", "san_francesco", "byzantine_collection", "agios_nikolaos_splantzia",
            "kastelli_hill", "schiavo_bastion", "koum_kapi", "ktel_station", "taxi_rank"]
AKROTIRI = ["kalathas", "stavros", "marathi", "loutraki", "seitan_limania", "agia_triada", "gouverneto", "katholiko",
            "arkoudospilios", "airport", "venizelos_graves"]


def _km(a: str, b: str) -> float:
    pa, pb = CATALOGUE.get(a), CATALOGUE.get(b)
    assert pa is not None and pb is not None
    return haversine_m(pa.point, pb.point) / 1000


def test_geography_the_old_town_is_around_the_harbour() -> None:
    assert max(_km("old_harbour", s) for s in OLD_TOWN) < 1.0


def test_geography_akrotiri_is_the_peninsula_east_of_town() -> None:
    harbour = CATALOGUE.get("old_harbour")
    assert harbour is not None
    for poi_id in AKROTIRI:
        poi = CATALOGUE.get(poi_id)
        assert poi is not None and poi.lon > harbour.lon + 0.03 and poi.lat > 35.49, poi_id


def test_geography_well_known_distances() -> None:
    assert 10 < _km("old_harbour", "airport") < 16  # "about 14 km from the centre"
    assert 6 < _km("samaria_gorge", "agia_roumeli") < 16  # a 16 km walk, shorter as the crow flies
    assert _km("elafonisi", "chrysoskalitissa") < 6  # the convent is on the road to Elafonisi
    assert _km("gonia_monastery", "afrata") < 4  # both at Kolymbari
    assert _km("old_harbour", "gavdos") > 70  # Gavdos lies about 40 km south of Crete's south coast
    south = min(SIGHTS, key=lambda p: p.lat)
    west = min((p for p in SIGHTS if p.lat > 35.0), key=lambda p: p.lon)
    assert south.id == "gavdos" and west.id in {"chrysoskalitissa", "elafonisi"}


def test_each_name_and_alias_belongs_to_one_sight_only() -> None:
    owners: dict[tuple[str, ...], set[str]] = {}
    for poi in CATALOGUE.pois:
        for text in (poi.name.el, poi.name.en, *poi.aliases):
            owners.setdefault(tuple(words(text)), set()).add(poi.id)
    shared = {k: v for k, v in owners.items() if len(v) > 1}
    assert shared == {}


def test_every_name_and_alias_finds_its_own_sight() -> None:
    misses = []
    for poi in CATALOGUE.pois:
        for text in (poi.name.el, poi.name.en, *poi.aliases):
            found = CATALOGUE.find(text)
            if found is None or found.id != poi.id:
                misses.append((poi.id, text, found.id if found else None))
    assert misses == []


def test_ranks_give_a_best_known_order() -> None:
    ranks = [p.rank for p in SIGHTS]
    assert len(set(ranks)) == len(ranks), "equal ranks among sights make the order depend on the file order"
    top = [p.id for p in CATALOGUE.best_known(KINDS["beaches"])[:3]]
    assert top == ["balos", "elafonisi", "falasarna"]


def test_transport_section() -> None:
    hubs = CATALOGUE.hubs()
    assert {h.id for h in hubs} >= {"ktel_station", "airport", "souda_port", "taxi_rank"}
    assert all(h.category is Category.TRANSPORT_HUB for h in hubs)
    served = CATALOGUE.served_by_bus()
    assert sum(len(v) for v in served.values()) >= 20
    assert "samaria_gorge" in {p.id for p in served["ktel_summer"]}


def test_photos_when_given_are_https() -> None:
    for poi in CATALOGUE.pois:
        if poi.photo is not None:
            assert poi.photo.scheme == "https", poi.id


def test_geo_point_of_a_sight() -> None:
    poi = CATALOGUE.get("lighthouse")
    assert poi is not None and poi.point == GeoPoint(poi.lat, poi.lon)


# ---------------------------------------------------------------------- buses and boats, as a local knows them
def test_balos_has_its_seasonal_ktel_bus_and_the_boats_from_kissamos() -> None:
    balos = CATALOGUE.get("balos")
    assert balos is not None and balos.bus is not None and balos.boat is not None
    assert balos.bus.service == "ktel_summer" and "Balos" in balos.bus.line.en
    assert "dirt road" in balos.bus.season.en  # type: ignore[union-attr]
    assert balos.boat.board_at == "kissamos_port" and balos.boat.way == "there"
    assert not balos.bus.verified and not balos.boat.verified  # nobody has checked the 2027 timetables yet


def test_sights_without_a_road_have_their_boat() -> None:
    # Loutro, Agia Roumeli, Sweetwater and Marmara have no road; Gramvousa and Gavdos are islands
    for poi_id, port in [("loutro", "chora_sfakion_port"), ("agia_roumeli", "chora_sfakion_port"),
                         ("sweetwater", "chora_sfakion_port"), ("marmara", "loutro"),
                         ("gramvousa", "kissamos_port"), ("gavdos", "chora_sfakion_port")]:
        poi = CATALOGUE.get(poi_id)
        assert poi is not None and poi.boat is not None and poi.bus is None, poi_id
        assert poi.boat.board_at == port and poi.boat.way == "there", poi_id


def test_samaria_is_by_bus_there_and_by_boat_back() -> None:
    samaria = CATALOGUE.get("samaria_gorge")
    assert samaria is not None and samaria.bus is not None and samaria.boat is not None
    assert "Xyloskalo" in samaria.bus.stop.en
    assert samaria.boat.way == "back" and samaria.boat.board_at == "agia_roumeli"
    assert "Sougia" in samaria.boat.route.en and "Chora Sfakion" in samaria.boat.route.en


def test_no_bus_or_boat_is_marked_verified_without_a_check() -> None:
    # every timetable in the file was written without access to the operators' current ones
    assert [p.id for p in CATALOGUE.pois if (p.bus and p.bus.verified) or (p.boat and p.boat.verified)] == []


def test_a_boat_from_an_unknown_place_is_refused() -> None:
    data = copy.deepcopy(RAW)
    balos = next(p for p in data["pois"] if p["id"] == "balos")
    balos["boat"]["board_at"] = "atlantis"
    with pytest.raises(ValidationError, match="board_at"):
        PoiFile.model_validate(data)
    balos["boat"]["board_at"] = "balos"  # not from itself
    with pytest.raises(ValidationError, match="board_at"):
        PoiFile.model_validate(data)


def test_bus_and_boat_texts_are_greek_and_english() -> None:
    for poi in CATALOGUE.pois:
        texts = [poi.bus.line, poi.bus.stop, poi.bus.season] if poi.bus else []
        texts += [poi.boat.route, poi.boat.season] if poi.boat else []
        for text in filter(None, texts):
            assert GREEK.search(text.el) and not GREEK.search(text.en), (poi.id, text)
