"""The per-language text catalogues in `data/i18n/<lang>.yaml` (design.md section 6).

Keys are dotted paths into the YAML (``complaints.ask_location``); values are ``str.format`` templates. A text that
counts something has the plural forms as sub-keys (``one``, ``other``) and is used through :meth:`Texts.plural`.
Every key must exist in every language: ``tests/test_i18n.py`` checks keys and placeholders match.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale

from bot.core.models import LANGUAGES, Language

I18N_DIR = Path(__file__).resolve().parents[2] / "data" / "i18n"


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = str(node)


def load_flat(path: Path) -> dict[str, str]:
    """A YAML catalogue as ``{"dotted.key": "template"}``."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    flat: dict[str, str] = {}
    _flatten("", data, flat)
    return flat


@cache
def _locale(lang: Language) -> Locale:
    return Locale.parse(lang)


def _plural_form(lang: Language, n: int) -> str:
    return _locale(lang).plural_form(abs(n))


@cache
def catalogue(lang: Language) -> dict[str, str]:
    return load_flat(I18N_DIR / f"{lang}.yaml")


class Texts:
    """Texts of one language: ``texts("menu.title")`` or ``texts("tickets.created", ref="CHA-2026-000001")``."""

    __slots__ = ("_cat", "lang")
    source = "data/i18n/{lang}.yaml"

    def __init__(self, lang: Language) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        self.lang: Language = lang
        self._cat = self._load(lang)

    @staticmethod
    def _load(lang: Language) -> dict[str, str]:
        return catalogue(lang)

    def __call__(self, key: str, **params: Any) -> str:
        try:
            template = self._cat[key]
        except KeyError:
            raise KeyError(f"text {key!r} missing from {self.source.format(lang=self.lang)}") from None
        return template.format(**params) if params else template

    def has(self, key: str) -> bool:
        return key in self._cat

    def plural(self, key: str, n: int, **params: Any) -> str:
        """The form of ``key`` for the number ``n``: ``key.one`` / ``key.other`` chosen by the language's CLDR
        plural rule (babel), so Greek reads "1 μήνυμα", "2 μηνύματα" (and "0 μηνύματα")."""
        form = _plural_form(self.lang, n)
        return self(f"{key}.{form}" if self.has(f"{key}.{form}") else f"{key}.other", n=n, **params)
