"""The staff dashboard's own catalogue (data/i18n/staff/{el,en}.yaml): same keys and placeholders in both
languages, Greek really Greek, and every key the templates and views use exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.dashboard.i18n import StaffTexts, staff_catalogue

DASHBOARD = Path(__file__).resolve().parent.parent / "bot" / "dashboard"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    el, en = staff_catalogue("el"), staff_catalogue("en")
    assert sorted(set(el) ^ set(en)) == []
    for key in el:
        assert _fields(el[key]) == _fields(en[key]), key
        assert el[key].strip() and en[key].strip(), key


def test_greek_texts_are_greek() -> None:
    el = staff_catalogue("el")
    greek = [k for k, v in el.items() if any("\u0370" <= ch <= "\u03ff" for ch in v)]
    assert len(greek) >= 0.85 * len(el)


def test_every_literal_key_used_in_templates_and_views_exists() -> None:
    used: set[str] = set()
    for path in [*DASHBOARD.rglob("*.html"), *DASHBOARD.rglob("*.py")]:
        used |= set(re.findall(r"""\br?t\(["']([a-z_]+(?:\.[a-z_]+)+)["']""", path.read_text(encoding="utf-8")))
    assert len(used) > 150
    missing = sorted(used - set(staff_catalogue("el")))
    assert missing == []


def test_missing_key_names_the_file() -> None:
    with pytest.raises(KeyError, match=r"data/i18n/staff/en\.yaml"):
        StaffTexts("en")("no.such.key")
