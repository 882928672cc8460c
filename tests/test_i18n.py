"""Every user-facing text exists in Greek and English with the same placeholders."""

from __future__ import annotations

import string

import pytest

from bot.core.i18n import Texts, catalogue


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogues_have_the_same_keys() -> None:
    el, en = catalogue("el"), catalogue("en")
    assert sorted(set(el) - set(en)) == [] and sorted(set(en) - set(el)) == []


def test_placeholders_match_and_no_text_is_empty() -> None:
    el, en = catalogue("el"), catalogue("en")
    for key in el:
        assert _fields(el[key]) == _fields(en[key]), key
        assert el[key].strip() and en[key].strip(), key


def test_greek_texts_are_greek() -> None:
    el = catalogue("el")
    greek = [k for k, v in el.items() if any("\u0370" <= ch <= "\u03ff" for ch in v)]
    assert len(greek) >= 0.8 * len(el)


def test_missing_key_names_the_file() -> None:
    with pytest.raises(KeyError, match=r"data/i18n/en\.yaml"):
        Texts("en")("no.such.key")
