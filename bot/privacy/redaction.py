"""Masking personal data in free text: phone numbers, e-mail addresses, ΑΦΜ/ΑΜΚΑ-like numbers and names.

Used wherever citizen text leaves the staff's own screens: public views (Open311, the status page), exports, logs.
Phone numbers are found by ``phonenumbers`` (Google's libphonenumber): Greek numbers written without a prefix
(``6912345678``, ``28210 12345``) and any international number (``+44 20 7946 0958``, ``0030 697…``).
ΑΦΜ (tax number, 9 digits) and ΑΜΚΑ (social security number, 11 digits) are matched by their length alone,
digits optionally grouped by single spaces, dots or dashes: masking a harmless number costs little, leaking an ΑΜΚΑ
does not. Ticket references (``CHA-2026-000123``) are never masked: they are how a person follows their report.
Names: the words after a self-introduction ("my name is", "λέγομαι", "με λένε", "ονομάζομαι", "το όνομά μου είναι",
Greeklish too), up to three, stopping at punctuation or a common word ("και", "and" …); and, when the caller knows
them (the reporter's name on the ticket), those names in any case, accent, Greeklish spelling or Greek ending
(Γιώργος, Γιώργο, Γιώργου, giorgos).

The masks are language-neutral symbols, so the same redacted text serves Greek and English readers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import phonenumbers

from nlu.chania_text import normalize, to_latin

Kind = Literal["phone", "email", "id_number", "name"]

MASKS: dict[Kind, str] = {"phone": "☎•••", "email": "✉•••", "id_number": "#•••", "name": "👤•••"}

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 9 (ΑΦΜ) or 11 (ΑΜΚΑ) digits, optionally grouped by one space, dot or dash, not part of a longer digit run
_ID_NUMBER_RE = re.compile(r"(?<![\d.-])(?:\d(?:[ .-]?\d){10}|\d(?:[ .-]?\d){8})(?![\d]|[.-]\d)")
_REFERENCE_RE = re.compile(r"\bCHA[\s_-]*\d{4}[\s_-]*\d{1,6}\b", re.IGNORECASE)
_DEFAULT_REGION = "GR"
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# self-introductions, as normalised words (casefold, no accents, σ for ς); Greeklish as to_latin writes it
_INTRODUCTIONS: tuple[tuple[str, ...], ...] = (
    ("my", "name", "is"), ("my", "name's"), ("i", "am", "called"),
    ("λεγομαι",), ("με", "λενε"), ("ονομαζομαι",), ("το", "ονομα", "μου", "ειναι"),
    ("legomai",), ("me", "lene"), ("onomazomai",), ("to", "onoma", "mou", "einai"), ("to", "onoma", "mou", "ine"),
)
_INTRODUCTION_HINTS = ("name", "called", "λεγομαι", "λενε", "ονομ", "legomai", "lene", "onom")
_MAX_NAME_WORDS = 3
# words that end a name after an introduction: articles, pronouns, conjunctions, prepositions, common verbs
_NOT_NAMES = frozenset(normalize(w) for w in """
    και κι η ο το οι τα τη την τον του της των ενα ενας μια απο στο στη στην στον στα στις σε με για
    που πως τι ειμαι μενω εχω θελω δεν μη μην αλλα ομως οτι γιατι ειναι αυτο αυτη αυτος εγω εσυ εμεις
    κυριε κυρια κυριος
    kai ki apo sto sti stin ston se me gia pou pos ti eimai imai meno exo echo thelo den alla oti giati einai ine
    and or but the a an from in at on to of for with i im i'm my is am live living have want not no it this
    that who which here there mr mrs ms
""".split())
_LATIN_VOWELS = "aeiouy"


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data in a text: its kind and where it is (``text[start:end]``)."""

    kind: Kind
    start: int
    end: int


def _name_stem(word: str) -> str:
    """The part of a name (in Latin letters) that its Greek forms share: giorgos → giorg, eleni → elen."""
    stem = word.rstrip("s")
    if len(stem) > 3 and stem[-1] in _LATIN_VOWELS:
        stem = stem[:-1]
    return stem if len(stem) >= 3 else word


def _name_parts(names: Iterable[str]) -> list[tuple[str, str]]:
    parts = []
    for name in names:
        for m in _WORD_RE.finditer(name or ""):
            latin = to_latin(m.group(0))
            if len(latin) >= 3:  # initials ("Κ.") are not worth masking and would match every other word
                parts.append((latin, _name_stem(latin)))
    return parts


def _is_name(latin: str, parts: list[tuple[str, str]]) -> bool:
    return any(latin == part or (stem != part and latin.startswith(stem) and len(latin) - len(stem) <= 3)
               for part, stem in parts)


def _name_spans(text: str, names: Iterable[str]) -> list[tuple[int, int]]:
    """Where names are in ``text``: after a self-introduction, and the known ``names`` anywhere."""
    parts = _name_parts(names)
    folded = normalize(text)
    if not parts and not any(h in folded for h in _INTRODUCTION_HINTS):
        return []
    words = list(_WORD_RE.finditer(text))
    keys = [normalize(m.group(0)) for m in words]
    spans: list[tuple[int, int]] = []
    if parts:
        spans += [m.span() for m in words if _is_name(to_latin(m.group(0)), parts)]
    for i in range(len(words)):
        for phrase in _INTRODUCTIONS:
            if tuple(keys[i:i + len(phrase)]) != phrase:
                continue
            j = i + len(phrase)
            end = j
            while end < len(words) and end - j < _MAX_NAME_WORDS and keys[end] not in _NOT_NAMES \
                    and text[words[end - 1].end():words[end].start()].strip(" :") == "":
                end += 1
            if end > j:  # the whole name as one mask: not even the number of its words shows
                spans.append((words[j].start(), words[end - 1].end()))
            break
    return spans


def find_personal_data(text: str, names: Iterable[str] = ()) -> list[Finding]:
    """The phone numbers, e-mail addresses, ΑΦΜ/ΑΜΚΑ-like numbers and names in ``text``, in order, never
    overlapping. ``names``: names known to belong to the person (the reporter's name on the ticket)."""
    if not text:
        return []
    taken: list[tuple[int, int]] = [m.span() for m in _REFERENCE_RE.finditer(text)]
    found: list[Finding] = []

    def add(kind: Kind, start: int, end: int) -> None:
        if all(end <= s or start >= e for s, e in taken):
            taken.append((start, end))
            found.append(Finding(kind, start, end))

    for m in _EMAIL_RE.finditer(text):
        add("email", *m.span())
    for pm in phonenumbers.PhoneNumberMatcher(text, _DEFAULT_REGION, leniency=phonenumbers.Leniency.VALID):
        add("phone", pm.start, pm.end)
    for m in _ID_NUMBER_RE.finditer(text):
        add("id_number", *m.span())
    for start, end in _name_spans(text, names):
        add("name", start, end)
    return sorted(found, key=lambda f: f.start)


def contains_personal_data(text: str) -> bool:
    return bool(find_personal_data(text))


def redact_text(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with every phone number, e-mail address, ΑΦΜ/ΑΜΚΑ-like number and name (after a
    self-introduction, or one of the known ``names``) replaced by a mask."""
    if not text:
        return text
    out: list[str] = []
    pos = 0
    for f in find_personal_data(text, names):
        out.append(text[pos:f.start])
        out.append(MASKS[f.kind])
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def redact_value(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings, anything else as is) with every string redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value
