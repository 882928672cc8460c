"""What a visitor's question asks, beyond its intent: opening hours, which day, "near X", "the nearest".

Every word list is compared after the project's one normaliser (``nlu.chania_text.to_latin``), so accented,
unaccented, upper-case Greek and Greeklish meet in one form. These are words to recognise, not texts to show: the
answers live in ``data/i18n``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from nlu.chania_text import to_latin

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(to_latin(text))


def _forms(*forms: str) -> frozenset[str]:
    return frozenset(" ".join(_words(f)) for f in forms)


def _has(text: str, phrases: frozenset[str]) -> bool:
    words = _words(text)
    for phrase in phrases:
        parts = phrase.split()
        n = len(parts)
        if any(words[i:i + n] == parts for i in range(len(words) - n + 1)):
            return True
    return False


_WEEKDAY_FORMS = (
    ("monday", "Δευτέρα", "Δευτέρας", "Δευτέρες", "deutera"),
    ("tuesday", "Τρίτη", "Τρίτης", "Τρίτες"),
    ("wednesday", "Τετάρτη", "Τετάρτης", "Τετάρτες"),
    ("thursday", "Πέμπτη", "Πέμπτης", "Πέμπτες", "pempti"),
    ("friday", "Παρασκευή", "Παρασκευής", "Παρασκευές", "paraskeui"),
    ("saturday", "Σάββατο", "Σαββάτου", "Σάββατα", "savvato"),
    ("sunday", "Κυριακή", "Κυριακής", "Κυριακές", "kyriaki"),
)
_DAY_WORDS = {to_latin(form): index for index, forms in enumerate(_WEEKDAY_FORMS) for form in forms}
_RELATIVE: dict[str, int] = {to_latin(w): n for w, n in (
    ("today", 0), ("tonight", 0), ("now", 0), ("σήμερα", 0), ("τώρα", 0), ("apopse", 0), ("απόψε", 0),
    ("tomorrow", 1), ("αύριο", 1), ("avrio", 1), ("μεθαύριο", 2))}
_HOURS_WORDS = frozenset(to_latin(w) for w in (
    "open", "opens", "opened", "opening", "close", "closes", "closed", "closing", "hours", "timetable",
    "schedule", "ανοιχτό", "ανοιχτά", "ανοικτό", "ανοικτά", "ανοίγει", "ανοίγουν", "κλειστό", "κλειστά", "κλείνει",
    "κλείνουν", "ωράριο", "ωράρια", "anoixto", "anoixta", "anoigei", "kleinei", "kleisto"))


# Greek forms after the normaliser ("ανοιχτός" -> "anixtos", "κλείνει" -> "klini"): every case and gender at once.
_HOURS_STEMS = ("anixt", "anikt", "anig", "klist", "klin")


def asks_hours(text: str) -> bool:
    """Does the message ask when something opens or closes?"""
    return any(w in _HOURS_WORDS or w.startswith(_HOURS_STEMS) for w in _words(text))


def asked_day(text: str, today: date) -> date | None:
    """The date a question asks about: a weekday name (the next one, today included), today or tomorrow."""
    for word in _words(text):
        if word in _RELATIVE:
            return today + timedelta(days=_RELATIVE[word])
        if word in _DAY_WORDS:
            return today + timedelta(days=(_DAY_WORDS[word] - today.weekday()) % 7)
    return None


_NEAR = _forms("near", "nearby", "close to", "around", "next to", "κοντά", "κοντα", "γύρω", "δίπλα", "konta", "gyro",
               "dipla", "κοντινά", "πλησίον")
_NEAREST = _forms("nearest", "closest", "near me", "near here", "around here", "close by", "κοντινότερη",
                  "κοντινότερες", "κοντινότερο", "κοντινότερα", "πλησιέστερη", "πλησιέστερες", "πλησιέστερο",
                  "κοντά μου", "εδώ κοντά", "εδω γυρω", "γύρω μου", "kontinoteri", "kontinoteres", "konta mou",
                  "edo konta")


def names_near(text: str) -> bool:
    """Does the message ask about what is near something ("near Firkas", "κοντά στο λιμάνι")?"""
    return _has(text, _NEAR)


def asks_nearest(text: str) -> bool:
    """Does the message ask for the nearest ones to the person ("nearest beach", "η κοντινότερη παραλία")?"""
    return _has(text, _NEAREST)


_WAY = _forms("how do i get", "how can i get", "how to get", "how do we get", "how can we get", "get to", "go to",
              "getting to", "way to", "by bus", "bus to", "boat to", "ferry to", "πώς πάω", "πώς θα πάω",
              "πώς μπορώ να πάω", "πώς πηγαίνω", "πώς πηγαίνουμε", "πώς πάμε", "πώς φτάνω", "πώς θα φτάσω",
              "θέλω να πάω", "να πάω", "με λεωφορείο", "με το λεωφορείο", "με πλοίο", "με καράβι", "λεωφορείο για",
              "πλοίο για")


def asks_way(text: str) -> bool:
    """Does the message ask how to get somewhere ("how do I get to Balos?", "πώς πάω στο Ελαφονήσι;")?"""
    return _has(text, _WAY)


_FOOD = _forms("eat", "eating", "food", "restaurant", "restaurants", "taverna", "tavernas", "tavern", "cafe", "café",
               "cafes", "coffee", "bar", "bars", "lunch", "dinner", "breakfast", "φάω", "φάμε", "φαγητό", "τρώμε",
               "τρώω", "εστιατόριο", "εστιατόρια", "ταβέρνα", "ταβέρνες", "καφέ", "καφετέρια", "καφετέριες",
               "μεζεδοπωλείο", "ουζερί", "σουβλάκι", "fagito", "estiatorio")


def asks_food(text: str) -> bool:
    """Does the message ask where to eat or drink? The guide has no restaurants, cafés or bars."""
    return _has(text, _FOOD)


_MUSEUMS = _forms("museum", "museums", "μουσείο", "μουσεία", "μουσείων")


def names_museums(text: str) -> bool:
    """Does the message ask about museums as such ("museums open on Monday")?"""
    return _has(text, _MUSEUMS)
