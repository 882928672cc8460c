"""Which language the bot answers in."""

from __future__ import annotations

import pytest

from bot.core.language import choose, detect


@pytest.mark.parametrize(("text", "lang"), [
    ("Δεν ανάβει η λάμπα στην Αποκορώνου", "el"),
    ("ΔΕΝ ΜΑΖΕΨΑΝ ΤΑ ΣΚΟΥΠΙΔΙΑ", "el"),
    ("den mazepsan ta skoupidia sti Nea Xora", "el"),
    ("exei lakouva sto dromo", "el"),
    ("The street light on Chalidon street is out", "en"),
    ("The street light on Αποκορώνου street is out since Monday", "en"),
    ("Η λάμπα στην Apokoronou street δεν ανάβει", "el"),
    ("where is the nearest beach?", "en"),
    ("tell me about Balos", "en"),
    ("show me museums", "en"),
    ("pes mou gia to Balo", "el"),
    ("thelo na pao sto Elafonisi avrio", "el"),
    ("12345", None),
    ("", None),
])
def test_detect(text: str, lang: str | None) -> None:
    assert detect(text) == lang


def test_choose_keeps_the_locked_language_and_falls_back_to_the_hint() -> None:
    assert choose("Καλημέρα", current="en", locked=True, hint="el") == "en"
    assert choose("Καλημέρα, δεν ανάβει η λάμπα", current="en", locked=False, hint=None) == "el"
    assert choose("Balos", current=None, locked=False, hint="el-GR") == "el"
    assert choose("Balos", current=None, locked=False, hint="de") == "en"
    assert choose("ok", current="el", locked=False, hint="en") == "el"


@pytest.mark.parametrize("command", ["/forget", "/mydata", "/stop", "/alerts", "/help"])
def test_a_command_keeps_the_conversations_language(command: str) -> None:
    assert choose(command, current="el", locked=False, hint="en") == "el"
    assert choose(command, current=None, locked=False, hint="el") == "el"
    assert choose(command, current="en", locked=False, hint="el") == "en"


@pytest.mark.parametrize(("text", "current"), [("yes", "el"), ("ok", "el"), ("sorry!", "el"), ("ναι", "en"),
                                               ("Ευχαριστώ!", "en"), ("Καλημέρα", "en"), ("oxi", "en")])
def test_one_or_two_words_never_switch_a_running_conversation(text: str, current: str) -> None:
    assert choose(text, current=current, locked=False, hint=None) == current  # type: ignore[arg-type]
    assert choose(text + " " + text, current=current, locked=False, hint=None) == current  # type: ignore[arg-type]


def test_a_sentence_in_the_other_language_switches() -> None:
    assert choose("The street light on my road is out", current="el", locked=False, hint="el") == "en"
    assert choose("δεν ανάβει η λάμπα στον δρόμο μου", current="en", locked=False, hint="en") == "el"
