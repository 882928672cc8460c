"""Texts of the staff dashboard: ``data/i18n/staff/el.yaml`` (default) and ``data/i18n/staff/en.yaml``.

The staff interface has its own catalogue, apart from the residents' ``data/i18n/<lang>.yaml``: the two audiences
and their texts change independently. Same rules: dotted keys, ``str.format`` placeholders, every key in both
languages with the same placeholders (``tests/test_dashboard_i18n.py``). Names of categories and departments come
from ``data/categories.yaml``.
"""

from __future__ import annotations

from functools import cache

from bot.categories import categories
from bot.i18n import I18N_DIR, Texts, load_flat
from bot.models import LANGUAGES, Language

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
        key = f"status.{status}"
        return self(key) if status and self.has(key) else (status or "—")

    def channel(self, channel: str | None) -> str:
        key = f"channel.{channel}"
        return self(key) if channel and self.has(key) else (channel or "—")

    def role(self, role: str | None) -> str:
        key = f"role.{role}"
        return self(key) if role and self.has(key) else (role or "—")


def texts_for(lang: str | None) -> StaffTexts:
    return StaffTexts(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)  # type: ignore[arg-type]
