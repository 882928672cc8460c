"""Residents' phone numbers: the one normaliser, on ``phonenumbers`` (Google's libphonenumber), region GR.

A number is stored in E.164 (``+306912345678``) and shown in national format to Greek readers. Every place that
takes a phone uses :func:`normalise`: the chat's call-back step (typed or shared as a contact), assisted intake,
Open311 requests and the privacy search.
"""

from __future__ import annotations

import re

import phonenumbers

REGION = "GR"
MAX_LENGTH = 40
# what people type around the digits: spaces, dashes, dots, slashes, brackets, one leading "+"
_PHONE_SHAPE_RE = re.compile(r"^\+?[\d\s().\-/]+$")


def normalise(raw: str | None) -> str | None:
    """E.164 of a valid number typed in any usual way (``69 1234 5678``, ``+30 691-234-5678``, ``0030 28210 12345``,
    ``306912345678`` as Telegram shares it, ``+357 99 123456``); ``None`` for anything else, including text
    around the number."""
    text = (raw or "").strip()
    if not text or len(text) > MAX_LENGTH or not _PHONE_SHAPE_RE.match(text):
        return None
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str | None) -> str:
    """A Greek number as Greeks write it (``691 234 5678``), a foreign one in international format."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, REGION)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
