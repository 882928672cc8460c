"""The catalogue of points of interest (``data/pois.yaml``): validation, nearest-N search and name matching.

* :class:`Catalogue` loads and validates the file (pydantic models below: schema, unique ids, both languages,
  coordinates inside the regional unit) and answers the tourist guide's questions.
* Nearest-N: every sight is kept as a unit vector on the sphere; for a query point the sight with the largest dot
  product is the nearest one (the chord, and so the great-circle distance, only grows as the dot product falls),
  so ordering is exact with three multiplications per sight and no trigonometry in the loop. Distances are then
  computed with :func:`bot.core.geo.haversine_m` for the few sights returned (``benchmarks/bench_nearest.py``
  measures it).
* Names: every name and alias goes through the project's one normaliser (``nlu.chania_text.to_latin``: accents,
  case, final sigma, Greek script and Greeklish all meet in one Latin form) and is split into words; a message
  matches a name when every word of the name is found among the message's words, each compared with
  ``rapidfuzz.fuzz.ratio`` (typos, Greek inflections: "Μπάλο" for "Μπάλος", "Σαμαριάς" for "Σαμαριά").
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Generic, Literal, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator
from rapidfuzz import fuzz, process

from bot.core.geo import haversine_m
from bot.core.models import GeoPoint, Language
from bot.guide.hours import Opening
from nlu.chania_text import to_latin

POIS_FILE = Path(__file__).resolve().parents[2] / "data" / "pois.yaml"

# The regional unit of Chania, roughly; the south limit takes in the island of Gavdos (about 34.84 N).
BBOX_LAT = (34.80, 35.75)
BBOX_LON = (23.45, 24.35)


class Category(StrEnum):
    BEACH = "beach"
    MUSEUM = "museum"
    ARCHAEOLOGICAL_SITE = "archaeological_site"
    MONASTERY_CHURCH = "monastery_church"
    MONUMENT = "monument"
    GORGE_TRAIL = "gorge_trail"
    NATURE = "nature"  # lakes, caves, plateaus, parks
    VILLAGE = "village"
    VIEWPOINT = "viewpoint"
    TRANSPORT_HUB = "transport_hub"


BusService = Literal["city", "ktel", "ktel_summer"]

# The guide's lists and the categories they show.
KINDS: dict[str, frozenset[Category]] = {
    "nearby": frozenset(Category) - {Category.TRANSPORT_HUB},
    "beaches": frozenset({Category.BEACH}),
    "culture": frozenset({Category.MUSEUM, Category.ARCHAEOLOGICAL_SITE, Category.MONASTERY_CHURCH,
                          Category.MONUMENT, Category.VILLAGE}),
    "nature": frozenset({Category.GORGE_TRAIL, Category.NATURE, Category.VIEWPOINT}),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    el: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @field_validator("el", "en")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v.strip()

    def __call__(self, lang: Language) -> str:
        return self.el if lang == "el" else self.en


class Practical(_Strict):
    season: Bilingual | None = None
    hours: Bilingual | None = None
    tickets: Bilingual | None = None
    access: Bilingual | None = None


class Bus(_Strict):
    """How to get there by bus: the service (blue city bus from the Municipal Market, green KTEL from the central
    bus station all year or in summer only), the line, where to get off, and the season when it runs."""

    service: BusService
    line: Bilingual
    stop: Bilingual
    season: Bilingual | None = None
    verified: bool = False


class Boat(_Strict):
    """By boat: the route, the entry where one boards (a port, a village's jetty), the season, and whether the boat
    is the way there (Gramvousa, Loutro) or the way back (out of the Samaria gorge at Agia Roumeli)."""

    route: Bilingual
    board_at: str = Field(pattern=r"^[a-z0-9_]{2,40}$")  # the id of another entry
    way: Literal["there", "back"] = "there"
    season: Bilingual | None = None
    verified: bool = False


class Poi(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{2,40}$")
    rank: int = Field(ge=1)
    category: Category
    name: Bilingual
    aliases: tuple[str, ...] = ()
    lat: float
    lon: float
    bus: Bus | None = None
    boat: Boat | None = None
    opening: Opening | None = None
    description: Bilingual
    practical: Practical = Practical()
    photo: HttpUrl | None = None
    hidden: bool = False  # kept, but not shown to visitors
    position_verified: bool = True  # false: an approximate position for the tourism office to check

    @model_validator(mode="after")
    def _inside_regional_unit(self) -> Poi:
        if not (BBOX_LAT[0] <= self.lat <= BBOX_LAT[1] and BBOX_LON[0] <= self.lon <= BBOX_LON[1]):
            raise ValueError(f"{self.id}: ({self.lat}, {self.lon}) is outside the regional unit of Chania")
        return self

    @property
    def point(self) -> GeoPoint:
        return GeoPoint(self.lat, self.lon)


class Transport(_Strict):
    hubs: tuple[str, ...]
    centre: str  # the sight walking distances are measured from
    intro: Bilingual


class PoiFile(_Strict):
    pois: tuple[Poi, ...]
    transport: Transport

    @model_validator(mode="after")
    def _consistent(self) -> PoiFile:
        seen: set[str] = set()
        for poi in self.pois:
            if poi.id in seen:
                raise ValueError(f"duplicate id {poi.id!r}")
            seen.add(poi.id)
        by_id = {p.id: p for p in self.pois}
        for hub in self.transport.hubs:
            if hub not in by_id or by_id[hub].category is not Category.TRANSPORT_HUB:
                raise ValueError(f"transport.hubs: {hub!r} is not a transport_hub entry")
        for poi in self.pois:
            if poi.boat is not None and (poi.boat.board_at not in by_id or poi.boat.board_at == poi.id):
                raise ValueError(f"{poi.id}: boat.board_at {poi.boat.board_at!r} is not another entry")
        if self.transport.centre not in by_id:
            raise ValueError(f"transport.centre: {self.transport.centre!r} is not an entry")
        return self


# ---------------------------------------------------------------------------------------------- nearest-N
def _unit(lat: float, lon: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat), math.radians(lon)
    c = math.cos(la)
    return c * math.cos(lo), c * math.sin(lo), math.sin(la)


class NearestIndex:
    """Exact nearest-N over a fixed list of points (unit vectors, largest dot product first)."""

    __slots__ = ("_n", "_xs", "_ys", "_zs")

    def __init__(self, points: Sequence[tuple[float, float]]) -> None:
        vectors = [_unit(lat, lon) for lat, lon in points]
        self._xs = [v[0] for v in vectors]
        self._ys = [v[1] for v in vectors]
        self._zs = [v[2] for v in vectors]
        self._n = len(vectors)

    def __len__(self) -> int:
        return self._n

    def nearest(self, lat: float, lon: float, k: int) -> list[int]:
        """Indices of the ``k`` nearest points, nearest first (ties keep the original order)."""
        if k <= 0 or not self._n:
            return []
        qx, qy, qz = _unit(lat, lon)
        dots = [x * qx + y * qy + z * qz for x, y, z in zip(self._xs, self._ys, self._zs, strict=True)]
        if k >= self._n:
            return sorted(range(self._n), key=lambda i: -dots[i])
        return heapq.nlargest(k, range(self._n), key=dots.__getitem__)


# ---------------------------------------------------------------------------------------------- names
_WORD = re.compile(r"[a-z0-9]+")
# Words that do not identify a sight ("the", "of", Greek articles after to_latin).
_STOP = frozenset({"the", "of", "and", "at", "in", "on", "to", "ti", "tis", "tin", "tou", "ton", "ta", "o",
                   "i", "ke", "sto", "sti", "stin", "ston", "stous", "tous", "apo"})


def words(text: str) -> list[str]:
    """The matching words of any text: shared normaliser, then words, then stop words dropped."""
    return [w for w in _WORD.findall(to_latin(text)) if w not in _STOP]


def _word_threshold(word: str) -> float:
    # short words must match exactly; longer ones tolerate a typo or a Greek case ending
    if len(word) <= 3:
        return 100.0
    if len(word) == 4:
        return 85.0
    return 80.0


class Named(Protocol):
    """What the name matcher needs of an entry: a sight here, an office in ``bot/offices/``."""

    @property
    def id(self) -> str: ...
    @property
    def rank(self) -> int: ...
    @property
    def name(self) -> Bilingual: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...


N = TypeVar("N", bound=Named)


@dataclass(frozen=True, slots=True)
class Match(Generic[N]):
    poi: N  # the entry named (a sight, for the guide)
    score: float  # 0-100, the mean similarity of the name's words
    name: str  # the name or alias that matched


@dataclass(frozen=True, slots=True)
class _Name(Generic[N]):
    poi: N
    text: str
    words: tuple[str, ...]

    @property
    def weight(self) -> int:
        return sum(len(w) for w in self.words)


class NameMatcher(Generic[N]):
    """Finds the sights (or any other named entries) a message names, in any script and spelling."""

    def __init__(self, pois: Iterable[N]) -> None:
        self._names: list[_Name[N]] = []
        for poi in pois:
            seen: set[tuple[str, ...]] = set()
            for text in (poi.name.el, poi.name.en, *poi.aliases):
                ws = tuple(words(text))
                if ws and ws not in seen:
                    seen.add(ws)
                    self._names.append(_Name(poi, text, ws))
        self._vocab = sorted({w for n in self._names for w in n.words})

    def match(self, text: str, *, limit: int = 3) -> list[Match[N]]:
        """Sights whose every name word appears in ``text``, best first: higher similarity, then the longer (more
        specific) name, then the better-known sight."""
        found: dict[str, float] = {}
        for word in set(words(text)):
            for vocab_word, score, _ in process.extract(word, self._vocab, scorer=fuzz.ratio, score_cutoff=80.0,
                                                        limit=None):
                if score >= _word_threshold(vocab_word) and score > found.get(vocab_word, 0.0):
                    found[vocab_word] = score
        best: dict[str, tuple[float, int, Match[N]]] = {}
        for name in self._names:
            if all(w in found for w in name.words):
                score = sum(found[w] for w in name.words) / len(name.words)
                key = (score, name.weight)
                current = best.get(name.poi.id)
                if current is None or key > current[:2]:
                    best[name.poi.id] = (score, name.weight, Match(name.poi, score, name.text))
        ranked = sorted(best.values(), key=lambda t: (-round(t[0]), -t[1], t[2].poi.rank))
        return [m for _, _, m in ranked[:limit]]

    def suggest(self, text: str, *, limit: int = 3, cutoff: float = 75.0) -> list[N]:
        """Looser "did you mean" candidates when :meth:`match` finds nothing."""
        query = " ".join(words(text))
        if not query:
            return []
        choices = [" ".join(n.words) for n in self._names]
        out: list[N] = []
        for _, _, index in process.extract(query, choices, scorer=fuzz.WRatio, score_cutoff=cutoff, limit=limit * 4):
            poi = self._names[index].poi
            if poi not in out:
                out.append(poi)
            if len(out) == limit:
                break
        return out


# ---------------------------------------------------------------------------------------------- the catalogue
class Catalogue:
    def __init__(self, pois: Sequence[Poi], transport: Transport,
                 photos: dict[str, tuple[str, ...]] | None = None) -> None:
        self.pois: tuple[Poi, ...] = tuple(pois)
        self.transport = transport
        self.photos = photos or {}  # sight id -> uploaded photo ids (bot/guide/photos.py), first = its card's
        self._by_id = {p.id: p for p in self.pois}
        self._indexes: dict[frozenset[Category], tuple[list[Poi], NearestIndex]] = {}

    @classmethod
    def from_data(cls, data: object) -> Catalogue:
        parsed = PoiFile.model_validate(data)
        return cls(parsed.pois, parsed.transport)

    @classmethod
    def load(cls, path: Path = POIS_FILE) -> Catalogue:
        with open(path, encoding="utf-8") as fh:
            return cls.from_data(yaml.safe_load(fh))

    def get(self, poi_id: str) -> Poi | None:
        return self._by_id.get(poi_id)

    def of(self, categories: frozenset[Category]) -> list[Poi]:
        return [p for p in self.pois if p.category in categories]

    def best_known(self, categories: frozenset[Category]) -> list[Poi]:
        """Sights of these categories, best known first (``rank``, then file order)."""
        return sorted(self.of(categories), key=lambda p: p.rank)

    def _index(self, categories: frozenset[Category]) -> tuple[list[Poi], NearestIndex]:
        cached = self._indexes.get(categories)
        if cached is None:
            subset = self.of(categories)
            cached = self._indexes[categories] = (subset, NearestIndex([(p.lat, p.lon) for p in subset]))
        return cached

    def nearest(self, origin: GeoPoint, categories: frozenset[Category], *, limit: int,
                offset: int = 0) -> list[tuple[Poi, float]]:
        """``limit`` sights after the first ``offset``, nearest first, with their distance in metres."""
        subset, index = self._index(categories)
        picked = index.nearest(origin.lat, origin.lon, offset + limit)[offset:]
        return [(subset[i], haversine_m(origin, subset[i].point)) for i in picked]

    @cached_property
    def matcher(self) -> NameMatcher[Poi]:
        return NameMatcher(self.pois)

    def find(self, text: str, *, min_score: float = 85.0) -> Poi | None:
        """The one sight ``text`` names, or ``None``."""
        match = self.best_match(text, min_score=min_score)
        return match.poi if match else None

    def best_match(self, text: str, *, min_score: float = 85.0) -> Match[Poi] | None:
        matches = self.matcher.match(text, limit=1)
        return matches[0] if matches and matches[0].score >= min_score else None

    def nearest_namesake(self, match: Match[Poi], origin: GeoPoint | None, *, far_m: float = 15_000,
                         near_m: float = 8_000) -> Poi:
        """The sight meant by a generic name: a visitor in Kissamos asking for "the archaeological museum" means the
        Archaeological Museum of Kissamos, not Chania's (45 km away), though only Chania's has that bare alias. A
        sight of the same kind near ``origin`` whose name holds every word of the matched name wins when the
        matched one is far."""
        if origin is None or haversine_m(origin, match.poi.point) < far_m:
            return match.poi
        generic = set(words(match.name))
        best: tuple[float, Poi] | None = None
        for poi in self.pois:
            if poi is match.poi or poi.hidden or poi.category is not match.poi.category:
                continue
            distance = haversine_m(origin, poi.point)
            if distance <= near_m and any(generic <= set(words(n)) for n in (poi.name.el, poi.name.en, *poi.aliases)):
                if best is None or distance < best[0]:
                    best = (distance, poi)
        return best[1] if best else match.poi

    def served_by_bus(self) -> dict[str, list[Poi]]:
        """Sights (not transport hubs) by bus service, best known first."""
        out: dict[str, list[Poi]] = {"city": [], "ktel": [], "ktel_summer": []}
        for poi in sorted(self.pois, key=lambda p: p.rank):
            if poi.bus and poi.category is not Category.TRANSPORT_HUB:
                out[poi.bus.service].append(poi)
        return out

    def served_by_boat(self) -> list[Poi]:
        """Sights (not transport hubs) one reaches by boat, best known first."""
        return sorted((p for p in self.pois if p.boat is not None and p.boat.way == "there"
                       and p.category is not Category.TRANSPORT_HUB), key=lambda p: p.rank)

    def hubs(self) -> list[Poi]:
        return [self._by_id[h] for h in self.transport.hubs]

    @property
    def centre(self) -> Poi:
        return self._by_id[self.transport.centre]
