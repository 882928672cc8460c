"""bot/tickets/boundary.py and data/municipality.geojson: which places count as inside the Municipality of Chania."""

from __future__ import annotations

import pytest

from bot.core.models import GeoPoint
from bot.tickets.boundary import municipality

INSIDE = {
    "Chania harbour": GeoPoint(35.5197, 24.0180),
    "Souda": GeoPoint(35.487, 24.073),
    "Galatas": GeoPoint(35.496, 23.974),
    "Chania airport (Akrotiri)": GeoPoint(35.5317, 24.1497),
    "Mournies (El. Venizelos)": GeoPoint(35.485, 24.012),
    "Theriso": GeoPoint(35.406, 23.990),
    "Stavros (Akrotiri)": GeoPoint(35.592, 24.083),
    "Marathi": GeoPoint(35.51, 24.168),
    "Malaxa (Keramia)": GeoPoint(35.455, 24.045),
    "Kounoupidiana": GeoPoint(35.54, 24.08),
}
OUTSIDE = {
    "Kissamos": GeoPoint(35.494, 23.654),
    "Rethymno": GeoPoint(35.366, 24.482),
    "Sfakia": GeoPoint(35.201, 24.138),
    "Platanias": GeoPoint(35.512, 23.873),
    "Kalyves (Apokoronas)": GeoPoint(35.452, 24.172),
    "Athens": GeoPoint(37.984, 23.727),
    "Maleme (Platanias)": GeoPoint(35.521, 23.816),
    "Vamos (Apokoronas)": GeoPoint(35.408, 24.196),
}


@pytest.mark.parametrize("name", INSIDE)
def test_inside(name: str) -> None:
    assert municipality().contains(INSIDE[name])


@pytest.mark.parametrize("name", OUTSIDE)
def test_outside(name: str) -> None:
    assert not municipality().contains(OUTSIDE[name])


def test_named_outside_places_really_lie_outside_the_outline() -> None:
    places = municipality().outside_places
    assert len(places) >= 10
    for place in places:
        assert not municipality().contains(place.point), place.names


@pytest.mark.parametrize("text", ["Κίσσαμος", "ΚΙΣΣΑΜΟΣ", "kissamos", "Στο Ρέθυμνο, κεντρο", "rethymno",
                                  "near Chora Sfakion", "χωρα σφακιων", "Αγία Μαρίνα", "agia marina",
                                  "στην Κίσσαμο"])
def test_typed_outside_places(text: str) -> None:
    assert municipality().outside_place_named(text) is not None


@pytest.mark.parametrize("text", ["Αποκορώνου 12", "οδός Κισσάμου 40", "Kissamou street", "Σούδα", "Χαλέπα",
                                  "Ηρώων Πολυτεχνείου", "πλατεία Αγοράς", "Μαρίνας", "Καστέλι", "Kastelli"])
def test_addresses_in_chania_are_not_refused(text: str) -> None:
    # Chania has streets named after other towns (Κισσάμου, Ρεθύμνου): genitive street names are not places
    assert municipality().outside_place_named(text) is None
