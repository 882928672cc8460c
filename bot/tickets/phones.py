"""Phone numbers given at assisted intake: stored in E.164 (``+306912345678``), shown in national format."""

from __future__ import annotations

import phonenumbers

REGION = "GR"


def normalise(raw: str) -> str | None:
    """E.164 of a valid number typed in any usual way (``6912345678``, ``0030 28210 12345``, ``+44 20 …``);
    ``None`` when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, REGION)
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
