"""Is a place inside the Municipality of Chania? (``data/municipality.geojson``, an approximate outline.)

A shared pin is tested against the outline's polygon (even-odd ray casting, holes allowed); a typed place is
checked against the names of well-known places outside the municipality (Kissamos, Rethymno …) in any spelling —
Greek with or without accents, Greeklish, English. Anything else typed is taken as an address in the municipality:
streets and neighbourhoods cannot be placed without a geocoder, and a resident who types one is rarely elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.core.geo import in_polygon
from bot.core.models import GeoPoint
from nlu.chania_text import to_latin

MUNICIPALITY_PATH = Path(__file__).resolve().parents[2] / "data" / "municipality.geojson"

Ring = Sequence[Sequence[float]]  # [[lon, lat], ...] as in GeoJSON


@dataclass(frozen=True, slots=True)
class OutsidePlace:
    names: tuple[str, ...]
    point: GeoPoint


class Municipality:
    def __init__(self, polygons: list[list[Ring]], outside: list[OutsidePlace]) -> None:
        self._polygons = polygons  # each: outer ring, then holes
        self._outside = outside
        self._outside_keys = [(tuple(to_latin(n).split()), place) for place in outside for n in place.names]

    def contains(self, point: GeoPoint) -> bool:
        return any(in_polygon(point, rings) for rings in self._polygons)

    def outside_place_named(self, text: str) -> OutsidePlace | None:
        """A known place outside the municipality named in ``text`` (whole words, any spelling), if any."""
        words = to_latin(text).replace(",", " ").replace(".", " ").split()
        for key, place in self._outside_keys:
            k = len(key)
            if any(tuple(words[i:i + k]) == key for i in range(len(words) - k + 1)):
                return place
        return None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east) of the outline: the geocoder's search box."""
        lons = [p[0] for rings in self._polygons for p in rings[0]]
        lats = [p[1] for rings in self._polygons for p in rings[0]]
        return min(lats), min(lons), max(lats), max(lons)

    @property
    def outside_places(self) -> list[OutsidePlace]:
        return list(self._outside)


def load_municipality(path: Path = MUNICIPALITY_PATH) -> Municipality:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    polygons: list[list[Ring]] = []
    outside: list[OutsidePlace] = []
    for feature in data["features"]:
        geom, props = feature["geometry"], feature.get("properties") or {}
        if geom["type"] == "Polygon":
            polygons.append(geom["coordinates"])
        elif geom["type"] == "MultiPolygon":
            polygons.extend(geom["coordinates"])
        elif geom["type"] == "Point" and props.get("role") == "outside":
            lon, lat = geom["coordinates"]
            outside.append(OutsidePlace(tuple(props["names"]), GeoPoint(lat=lat, lon=lon)))
    if not polygons:
        raise ValueError(f"{path}: no Polygon or MultiPolygon feature")
    return Municipality(polygons, outside)


@cache
def municipality() -> Municipality:
    return load_municipality()
