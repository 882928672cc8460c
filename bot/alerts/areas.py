"""The areas a resident can subscribe to and a notice can target (``data/alert_areas.geojson``).

The seven municipal units and neighbourhoods of the city, as approximate polygons (the file says so). A
neighbourhood has its unit as ``parent``: a notice to the unit reaches the neighbourhood's subscribers and a notice to
the neighbourhood reaches the unit's. A subscription by shared location (a point and a radius) is reached by a
notice to any area that contains the point or comes within the radius of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.core.geo import distance_to_ring_m, in_polygon
from bot.core.models import GeoPoint, Language
from nlu.chania_text import to_latin

AREAS_PATH = Path(__file__).resolve().parents[2] / "data" / "alert_areas.geojson"


@dataclass(frozen=True, slots=True)
class Area:
    id: str
    kind: str  # "unit" | "neighbourhood"
    names: dict[str, str]  # language → full name
    short: dict[str, str]  # language → button label
    parent: str | None
    aliases: tuple[str, ...]
    rings: Sequence[Sequence[Sequence[float]]]
    approximate: bool

    def name(self, lang: Language) -> str:
        return self.names.get(lang) or self.names["el"]

    def label(self, lang: Language) -> str:
        return self.short.get(lang) or self.short["el"]

    def contains(self, point: GeoPoint) -> bool:
        return in_polygon(point, self.rings)

    def near(self, point: GeoPoint, radius_m: float) -> bool:
        return self.contains(point) or distance_to_ring_m(point, self.rings[0]) <= radius_m

    def geojson(self) -> dict[str, Any]:
        return {"type": "Feature", "properties": {"id": self.id, "name_el": self.names["el"],
                                                  "name_en": self.names["en"], "kind": self.kind},
                "geometry": {"type": "Polygon", "coordinates": self.rings}}


# words around an area's name that add no place: "στο Ακρωτήρι", "in the Souda area", "περιοχή Χαλέπας"
_AREA_FILLERS = frozenset({"sto", "sti", "stin", "ston", "sta", "stis", "stous", "to", "ti", "tin", "tis", "i", "o",
                           "ta", "tou", "perioxi", "periohi", "kapou", "mesa", "in", "at", "the", "area",
                           "district", "somewhere", "near", "konta", "de", "d", "e", "dimotiki", "enotita"})


class AreaCatalogue:
    def __init__(self, areas: Iterable[Area]) -> None:
        self.areas = list(areas)
        self.by_id = {a.id: a for a in self.areas}
        self._keys = [(to_latin(n), a) for a in self.areas for n in (*a.names.values(), *a.short.values(), *a.aliases)]

    @property
    def units(self) -> list[Area]:
        return [a for a in self.areas if a.kind == "unit"]

    def get(self, area_id: str) -> Area | None:
        return self.by_id.get(area_id)

    def valid(self, ids: Iterable[str]) -> list[str]:
        """``ids`` that name an area, in catalogue order, once each."""
        wanted = set(ids)
        return [a.id for a in self.areas if a.id in wanted]

    def reach(self, ids: Iterable[str]) -> set[str]:
        """The area ids whose subscribers a notice to ``ids`` reaches: the areas, their units and their
        neighbourhoods."""
        reached: set[str] = set()
        for area_id in ids:
            area = self.by_id.get(area_id)
            if area is None:
                continue
            reached.add(area.id)
            if area.parent:
                reached.add(area.parent)
            reached.update(a.id for a in self.areas if a.parent == area.id)
        return reached

    def at(self, point: GeoPoint) -> list[Area]:
        """The areas containing ``point`` (its neighbourhood first, then its unit)."""
        found = [a for a in self.areas if a.contains(point)]
        return sorted(found, key=lambda a: a.kind != "neighbourhood")

    def only_an_area(self, text: str) -> Area | None:
        """The area when ``text`` names nothing more precise than it ("Ακρωτήρι", "στη Χαλέπα", "Souda area"): no
        street, number or landmark a crew could go to."""
        area = self.named_in(text)
        if area is None or re.search(r"\d", text):
            return None
        rest = to_latin(text)
        for key, other in sorted(self._keys, key=lambda pair: -len(pair[0])):
            if other is area and key:
                rest = re.sub(rf"\b{re.escape(key)}\w{{0,2}}\b", " ", rest)
        words = [w for w in re.findall(r"\w+", rest) if w not in _AREA_FILLERS]
        return area if not words else None

    def named_in(self, text: str) -> Area | None:
        """An area named in ``text`` (any script; whole words, a Greek ending allowed: "Χαλέπας" names Χαλέπα).
        A neighbourhood wins over a unit ("Ελ. Βενιζέλου 5, Χαλέπα" is in Χαλέπα, not the unit named after the
        same man), then the longest name."""
        latin = to_latin(text)
        best: tuple[tuple[bool, int], Area] | None = None
        for key, area in self._keys:
            ending = r"\w{0,2}" if len(key) >= 5 else ""
            rank = (area.kind == "neighbourhood", len(key))
            if key and re.search(rf"\b{re.escape(key)}{ending}\b", latin) and (best is None or rank > best[0]):
                best = (rank, area)
        return best[1] if best else None

    def covers_whole_municipality(self, ids: Iterable[str]) -> bool:
        return {a.id for a in self.units} <= set(ids)


def load_areas(path: Path = AREAS_PATH) -> AreaCatalogue:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    areas = []
    for f in sorted(data["features"], key=lambda f: f["properties"].get("order", 0)):
        p = f["properties"]
        areas.append(Area(
            id=p["id"], kind=p["kind"], names={"el": p["name_el"], "en": p["name_en"]},
            short={"el": p.get("short_el") or p["name_el"], "en": p.get("short_en") or p["name_en"]},
            parent=p.get("parent"), aliases=tuple(p.get("aliases") or ()), rings=f["geometry"]["coordinates"],
            approximate=bool(p.get("approximate")),
        ))
    return AreaCatalogue(areas)


@cache
def alert_areas() -> AreaCatalogue:
    return load_areas()
