"""Texts of the staff dashboard: ``data/i18n/staff/el.yaml`` (default) and ``data/i18n/staff/en.yaml``.

The staff interface has its own catalogue, apart from the residents' ``data/i18n/<lang>.yaml``: the two audiences
and their texts change independently. Same rules: dotted keys, ``str.format`` placeholders, every key in both
languages with the same placeholders (``tests/test_dashboard_i18n.py``). Names of categories and departments come
from ``data/categories.yaml`` (a complaint intent is named by its category), ticket statuses from the residents'
catalogue (``tickets.status``: residents and staff read the same names), other intents from ``intent.*`` here.
Numbers are formatted for the language with babel (decimal comma in Greek).
"""

from __future__ import annotations

from functools import cache

from babel.numbers import format_decimal, format_percent

from bot.core.i18n import I18N_DIR, Texts, load_flat
from bot.core.models import LANGUAGES, Language
from bot.tickets.categories import categories

STAFF_I18N_DIR = I18N_DIR / "staff"
DEFAULT_LANGUAGE: Language = "el"


@cache
def staff_catalogue(lang: Language) -> dict[str, str]:
    return load_flat(STAFF_I18N_DIR / f"{lang}.yaml")


class StaffTexts(Texts):
    """``t("tickets.title")``, ``t("tickets.count", n=3)``; ``t.category("complaint_waste")``."""

    __slots__ = ()
    source = "data/i18n/staff/{lang}.yaml"

    @staticmethod
    def _load(lang: Language) -> dict[str, str]:
        return staff_catalogue(lang)

    def category(self, intent: str | None) -> str:
        cat = categories().get(intent or "")
        return cat.name(self.lang) if cat else (intent or "—")

    def department(self, department_id: str | None) -> str:
        dep = categories().department(department_id or "")
        return dep.name(self.lang) if dep else (department_id or "—")

    def status(self, status: str | None) -> str:
        """The status as residents read it too (``data/i18n/<lang>.yaml`` ``tickets.status``)."""
        resident = Texts(self.lang)
        key = f"tickets.status.{status}"
        return resident(key) if status and resident.has(key) else (status or "—")

    def intent(self, intent: str | None) -> str:
        """An NLU intent in words: a complaint intent by its category's name, the others from ``intent.*``."""
        if not intent:
            return "—"
        cat = categories().get(intent)
        if cat is not None:
            return cat.name(self.lang)
        key = f"intent.{intent}"
        return self(key) if self.has(key) else intent

    def intent_names(self) -> dict[str, str]:
        """Every known intent → its name (for the live pages' script)."""
        codes = [c.intent for c in categories()]
        codes += [k.split(".", 1)[1] for k in staff_catalogue(self.lang) if k.startswith("intent.")]
        return {code: self.intent(code) for code in codes}

    def number(self, value: float | None, digits: int = 0) -> str:
        """``1234.5`` → ``1.234,5`` in Greek, ``1,234.5`` in English."""
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.lang)

    def percent(self, value: float | None) -> str:
        """A share ``0.87`` → ``87%`` (Greek: ``87%``, with the language's digits and signs)."""
        return "—" if value is None else format_percent(value, format="#,##0%", locale=self.lang)

    def coordinates(self, lat: float, lon: float) -> str:
        """``35,51450, 24,01800`` reads badly: Greek coordinates are separated by a semicolon."""
        sep = "; " if self.lang == "el" else ", "
        return self.number(lat, 5) + sep + self.number(lon, 5)

    def channel(self, channel: str | None) -> str:
        key = f"channel.{channel}"
        return self(key) if channel and self.has(key) else (channel or "—")

    def language(self, language: str | None) -> str:
        key = f"language.{language}"
        return self(key) if language and self.has(key) else (language or "—")

    def role(self, role: str | None) -> str:
        key = f"role.{role}"
        return self(key) if role and self.has(key) else (role or "—")


def texts_for(lang: str | None) -> StaffTexts:
    return StaffTexts(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)  # type: ignore[arg-type]
