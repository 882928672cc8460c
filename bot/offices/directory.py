"""The directory of offices (``data/offices.yaml``): validation, and which office or service a question names.

Names, aliases and a service's words are matched as the guide matches sights (``bot.guide.catalogue.NameMatcher``:
the project's one normaliser, so accented, unaccented, upper-case Greek and Greeklish meet; fuzzy per word, so
"δημαρχειου" finds "δημαρχείο"). Opening hours use the guide's structured format (``bot.guide.hours.Opening``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from bot.guide.catalogue import BBOX_LAT, BBOX_LON, Bilingual, NameMatcher
from bot.guide.hours import Opening

OFFICES_FILE = Path(__file__).resolve().parents[2] / "data" / "offices.yaml"
NAME_MIN_SCORE = 90.0  # an office named inside a question must match closely ("κεπ", "δημαρχειου")
SERVICE_MIN_SCORE = 85.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionalBilingual(_Strict):
    """A text in both languages that may still be unknown (both empty)."""

    el: str = ""
    en: str = ""

    @model_validator(mode="after")
    def _both_or_neither(self) -> OptionalBilingual:
        if bool(self.el.strip()) != bool(self.en.strip()):
            raise ValueError("give the text in both languages, or leave both empty")
        return self

    def __call__(self, lang: str) -> str:
        return (self.el if lang == "el" else self.en).strip()


class ServiceEntry(_Strict):
    label: Bilingual
    words: tuple[str, ...] = Field(min_length=1)


class Office(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{2,30}$")
    rank: int = Field(ge=1)
    main: bool = True
    name: Bilingual
    short: Bilingual  # on buttons (Telegram shows about 32 characters)
    aliases: tuple[str, ...] = ()
    address: OptionalBilingual = OptionalBilingual()
    lat: float | None = None
    lon: float | None = None
    position_verified: bool = False
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=120)
    web: HttpUrl | None = None
    opening: Opening | None = None
    contact_from_settings: bool = False
    report_category: str | None = None  # a complaint intent this office's problems are reported with in the chat
    services: tuple[ServiceEntry, ...] = ()
    verified: bool = False

    @model_validator(mode="before")
    @classmethod
    def _empty_is_none(cls, data: object) -> object:
        if isinstance(data, dict):
            data = {k: (None if v == "" and k in ("web", "lat", "lon", "opening") else v) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _point(self) -> Office:
        if (self.lat is None) != (self.lon is None):
            raise ValueError(f"{self.id}: give both lat and lon, or neither")
        if self.lat is not None and self.lon is not None and not (
                BBOX_LAT[0] <= self.lat <= BBOX_LAT[1] and BBOX_LON[0] <= self.lon <= BBOX_LON[1]):
            raise ValueError(f"{self.id}: ({self.lat}, {self.lon}) is outside the regional unit of Chania")
        if max(len(self.short.el), len(self.short.en)) > 32:
            raise ValueError(f"{self.id}: a short name has at most 32 characters")
        if self.report_category is not None and not self.report_category.startswith("complaint_"):
            raise ValueError(f"{self.id}: report_category must be a complaint intent")
        return self

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


class OfficeFile(_Strict):
    offices: tuple[Office, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> OfficeFile:
        ids = [o.id for o in self.offices]
        if len(set(ids)) != len(ids):
            raise ValueError("two offices share an id")
        return self


@dataclass(frozen=True, slots=True)
class _ServiceName:
    """One service of one office, in the shape the name matcher reads (its words are the "aliases")."""

    id: str
    rank: int
    name: Bilingual
    aliases: tuple[str, ...]
    office: Office
    label: Bilingual


@dataclass(frozen=True, slots=True)
class ServiceMatch:
    office: Office
    label: Bilingual


class Directory:
    def __init__(self, offices: Sequence[Office]) -> None:
        self.offices: tuple[Office, ...] = tuple(sorted(offices, key=lambda o: o.rank))
        self._by_id = {o.id: o for o in self.offices}

    @classmethod
    def from_data(cls, data: object) -> Directory:
        return cls(OfficeFile.model_validate(data).offices)

    @classmethod
    def load(cls, path: Path = OFFICES_FILE) -> Directory:
        with open(path, encoding="utf-8") as fh:
            return cls.from_data(yaml.safe_load(fh))

    def get(self, office_id: str) -> Office | None:
        return self._by_id.get(office_id)

    def main(self) -> list[Office]:
        return [o for o in self.offices if o.main]

    @cached_property
    def _names(self) -> NameMatcher[Office]:
        return NameMatcher(self.offices)

    @cached_property
    def _services(self) -> NameMatcher[_ServiceName]:
        return NameMatcher(_ServiceName(f"{o.id}.{i}", o.rank, s.label, s.words, o, s.label)
                           for o in self.offices for i, s in enumerate(o.services))

    def named(self, text: str) -> Office | None:
        """The office a message names ("τηλέφωνο ΚΕΠ", "is the town hall open?"), or ``None``."""
        matches = self._names.match(text, limit=1)
        return matches[0].poi if matches and matches[0].score >= NAME_MIN_SCORE else None

    def service(self, text: str) -> ServiceMatch | None:
        """The service a message asks for ("πού πληρώνω τα δημοτικά τέλη;") and the office that does it."""
        matches = self._services.match(text, limit=1)
        if not matches or matches[0].score < SERVICE_MIN_SCORE:
            return None
        found = matches[0].poi
        return ServiceMatch(found.office, found.label)
