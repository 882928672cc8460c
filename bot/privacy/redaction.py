"""Masking personal data in free text: phone numbers, e-mail addresses and ΑΦΜ/ΑΜΚΑ-like numbers.

Used wherever citizen text leaves the staff's own screens: public views (Open311, the status page), exports, logs.
Phone numbers are found by ``phonenumbers`` (Google's libphonenumber): Greek numbers written without a prefix
(``6912345678``, ``28210 12345``) and any international number (``+44 20 7946 0958``, ``0030 697…``).
ΑΦΜ (tax number, 9 digits) and ΑΜΚΑ (social security number, 11 digits) are matched by their length alone,
digits optionally grouped by single spaces, dots or dashes: masking a harmless number costs little, leaking an ΑΜΚΑ
does not. Ticket references (``CHA-2026-000123``) are never masked: they are how a person follows their report.

The masks are language-neutral symbols, so the same redacted text serves Greek and English readers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import phonenumbers

Kind = Literal["phone", "email", "id_number"]

MASKS: dict[Kind, str] = {"phone": "☎•••", "email": "✉•••", "id_number": "#•••"}

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 9 (ΑΦΜ) or 11 (ΑΜΚΑ) digits, optionally grouped by one space, dot or dash, not part of a longer digit run
_ID_NUMBER_RE = re.compile(r"(?<![\d.-])(?:\d(?:[ .-]?\d){10}|\d(?:[ .-]?\d){8})(?![\d]|[.-]\d)")
_REFERENCE_RE = re.compile(r"\bCHA[\s_-]*\d{4}[\s_-]*\d{1,6}\b", re.IGNORECASE)
_DEFAULT_REGION = "GR"


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data in a text: its kind and where it is (``text[start:end]``)."""

    kind: Kind
    start: int
    end: int


def find_personal_data(text: str) -> list[Finding]:
    """The phone numbers, e-mail addresses and ΑΦΜ/ΑΜΚΑ-like numbers in ``text``, in order, never overlapping."""
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
    return sorted(found, key=lambda f: f.start)


def contains_personal_data(text: str) -> bool:
    return bool(find_personal_data(text))


def redact_text(text: str) -> str:
    """``text`` with every phone number, e-mail address and ΑΦΜ/ΑΜΚΑ-like number replaced by a mask."""
    if not text:
        return text
    out: list[str] = []
    pos = 0
    for f in find_personal_data(text):
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
