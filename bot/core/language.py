"""Which language to answer in: Greek for Greek script and Greeklish, English for English (design: Greek first)."""

from __future__ import annotations

import re

from bot.core.models import Language

_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
_LATIN = re.compile(r"[a-zA-Z]")
_WORD = re.compile(r"[a-z']+")
_ANY_WORD = re.compile(r"[^\W\d_]+")
SWITCH_MIN_WORDS = 3  # a running conversation changes language only on a message of at least this many words

# Function words that give Greeklish away, and common English words; a message is scored by which it has more of.
_GREEKLISH = frozenset(
    "den dn kai ke einai ine to ta tin tis tou twn ton sto stin ston sta stis apo gia pou poy me na tha exei exoun "
    "ekei edo edw mas sas mou moy pws pos giati alla oxi nai ola kati kapoios kanei kanoun dromo dromos odos "
    "plateia spiti geitonia parakalw parakalo efxaristw eyxaristw euxaristw kalimera kalispera geia gia sou yia "
    "xtes simera avrio mera nyxta poli poly ligo megalo mikro ston".split()
)
_ENGLISH = frozenset(
    "the a an is are was were there here this that it of in on at to for from with my our your i we you they "
    "what where when how which who can could would please thanks thank hello hi not no yes and or but near "
    "street road light rubbish bin water see beach museum data forget erase delete privacy "
    # a visitor's words ("tell me about Balos": "me" alone reads as Greeklish "με")
    "tell about show give get go do does open close time bus boat ferry eat food visit swim far beaches museums "
    "gorge sights today tomorrow".split()
)


def detect(text: str) -> Language | None:
    """'el', 'en', or None when the text says nothing (empty, digits, a lone name).

    Greek script means Greek, unless the message is mostly English words around a Greek name
    ("the light on Αποκορώνου street is out")."""
    greek_letters = len(_GREEK.findall(text))
    latin_letters = len(_LATIN.findall(text))
    if not greek_letters and not latin_letters:
        return None
    words = _WORD.findall(text.lower())
    english = sum(w in _ENGLISH for w in words)
    if greek_letters:
        return "en" if english >= 2 and latin_letters > greek_letters else "el"
    greeklish = sum(w in _GREEKLISH for w in words)
    if greeklish > english:
        return "el"
    if english > greeklish:
        return "en"
    return None


def from_hint(hint: str | None) -> Language:
    """A platform's language code (Telegram ``language_code``, Viber ``language``): Greek or else English."""
    return "el" if hint and hint.lower().startswith("el") else "en"


def choose(text: str, *, current: Language | None, locked: bool, hint: str | None) -> Language:
    if locked and current:
        return current
    if text.lstrip().startswith("/"):  # a command (/forget, /mydata, /stop) is no sign of the person's language
        return current or from_hint(hint)
    if current and len(_ANY_WORD.findall(text)) < SWITCH_MIN_WORDS:
        return current  # "yes", "ok", "ναι", "sorry": Greeks type English words and visitors learn Greek ones
    return detect(text) or current or from_hint(hint)
