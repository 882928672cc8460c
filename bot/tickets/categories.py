"""Complaint categories and the departments responsible for them, from ``data/categories.yaml``.

One entry per complaint intent of the NLU model: its name in Greek and English, the responsible department, an
Open311 ``service_code`` and, optionally, Open311 ``attributes`` (extra questions another system may answer when
it files a request of that kind: GeoReport v2 service definitions). Adding a category is a data change (this
file's YAML + training examples), no code. The file is validated on load: a missing language, an unknown
department or a repeated service code is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.core.models import Language
from nlu.chania_text import normalize

AttributeType = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]

CATEGORIES_PATH = Path(__file__).resolve().parents[2] / "data" / "categories.yaml"


class _Names(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    el: str
    en: str

    def get(self, lang: Language) -> str:
        return self.el if lang == "el" else self.en


class AttributeValue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    name: _Names
    # word beginnings (no accents, lower case; Greek, Greeklish, English) that give the answer away in a report:
    # "ένα σκυλί χτυπημένο στον δρόμο" → injured. The chat then does not ask.
    hints: tuple[str, ...] = ()


class Attribute(BaseModel):
    """An Open311 service attribute: ``code``, ``datatype``, ``required``, a question (``description``) per language
    and, for the list types, the allowed ``values``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    datatype: AttributeType
    required: bool = False
    description: _Names
    values: tuple[AttributeValue, ...] = ()
    hint_order: tuple[str, ...] = ()  # which hinted value wins when the words give several

    def value_hinted(self, text: str) -> str | None:
        """The value whose hints the (normalised) text contains — the first in ``hint_order`` when several do
        ("αδέσποτο σκυλί τραυματισμένο": injured before stray) — else None."""
        words = re.findall(r"\w+", normalize(text))
        found = {v.key for v in self.values for h in v.hints if any(w.startswith(h) for w in words)}
        order = self.hint_order or tuple(v.key for v in self.values)
        return next((key for key in order if key in found), None)

    @model_validator(mode="after")
    def _values_for_lists(self) -> Attribute:
        listed = self.datatype in ("singlevaluelist", "multivaluelist")
        if listed != bool(self.values):
            raise ValueError(f"attribute {self.code}: values are given for list types and only for them")
        if len({v.key for v in self.values}) != len(self.values):
            raise ValueError(f"attribute {self.code}: repeated value key")
        if set(self.hint_order) - {v.key for v in self.values}:
            raise ValueError(f"attribute {self.code}: hint_order names a value it does not have")
        return self


class Department(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    names: _Names

    def name(self, lang: Language) -> str:
        return self.names.get(lang)


class Category(BaseModel):
    model_config = ConfigDict(frozen=True)
    intent: str
    names: _Names
    department: str
    service_code: str
    descriptions: _Names
    attributes: tuple[Attribute, ...] = ()

    def name(self, lang: Language) -> str:
        return self.names.get(lang)

    def description(self, lang: Language) -> str:
        return self.descriptions.get(lang)


class _CategoryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: _Names
    department: str
    service_code: str
    description: _Names
    attributes: tuple[Attribute, ...] = ()

    @model_validator(mode="after")
    def _unique_codes(self) -> _CategoryEntry:
        if len({a.code for a in self.attributes}) != len(self.attributes):
            raise ValueError("repeated attribute code")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    departments: dict[str, _Names]
    categories: dict[str, _CategoryEntry]

    @model_validator(mode="after")
    def _consistent(self) -> _File:
        if not self.categories:
            raise ValueError("no categories")
        codes: dict[str, str] = {}
        for intent, entry in self.categories.items():
            if not intent.startswith("complaint_"):
                raise ValueError(f"{intent}: a category is a complaint intent, its name starts with 'complaint_'")
            if entry.department not in self.departments:
                raise ValueError(f"{intent}: unknown department {entry.department!r}")
            if entry.service_code in codes:
                raise ValueError(f"{intent}: service_code {entry.service_code!r} already used by "
                                 f"{codes[entry.service_code]}")
            codes[entry.service_code] = intent
        return self


class Categories:
    """The loaded catalogue, in file order."""

    def __init__(self, categories: list[Category], departments: list[Department]) -> None:
        self._categories = {c.intent: c for c in categories}
        self._departments = {d.id: d for d in departments}

    def __iter__(self) -> Iterator[Category]:
        return iter(self._categories.values())

    def __len__(self) -> int:
        return len(self._categories)

    def __contains__(self, intent: object) -> bool:
        return intent in self._categories

    @property
    def intents(self) -> frozenset[str]:
        return frozenset(self._categories)

    def get(self, intent: str) -> Category | None:
        return self._categories.get(intent)

    def __getitem__(self, intent: str) -> Category:
        return self._categories[intent]

    def by_service_code(self, code: str) -> Category | None:
        return next((c for c in self._categories.values() if c.service_code == code), None)

    @property
    def departments(self) -> list[Department]:
        return list(self._departments.values())

    def department(self, department_id: str) -> Department | None:
        return self._departments.get(department_id)


def load_categories(path: Path = CATEGORIES_PATH) -> Categories:
    """Read and validate a categories file; ``ValueError`` with the reason when it is wrong."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    try:
        data = _File.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from None
    departments = [Department(id=k, names=v) for k, v in data.departments.items()]
    categories = [
        Category(intent=k, names=v.name, department=v.department, service_code=v.service_code,
                 descriptions=v.description, attributes=v.attributes)
        for k, v in data.categories.items()
    ]
    return Categories(categories, departments)


@cache
def categories() -> Categories:
    """The project's categories (``data/categories.yaml``), loaded once."""
    return load_categories()
