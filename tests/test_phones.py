"""bot/tickets/phones.py: the one phone normaliser (chat, assisted intake, Open311, privacy search) and display."""

from __future__ import annotations

import pytest

from bot.tickets import phones


@pytest.mark.parametrize(("typed", "e164"), [
    # Greek mobiles as people type them
    ("6912345678", "+306912345678"),
    ("69 1234 5678", "+306912345678"),
    ("691-234-5678", "+306912345678"),
    ("69.12.34.56.78", "+306912345678"),
    ("+30 691 234 5678", "+306912345678"),
    ("+30-6944-123456", "+306944123456"),
    ("0030 6912345678", "+306912345678"),
    ("0030.691.234.5678", "+306912345678"),
    ("306912345678", "+306912345678"),  # a Telegram contact: country code, no "+"
    ("  6944 123 456 ", "+306944123456"),
    # Chania landlines
    ("2821012345", "+302821012345"),
    ("28210 12345", "+302821012345"),
    ("2821 0 12345", "+302821012345"),
    ("(28210) 12345", "+302821012345"),
    ("+30 28210-12345", "+302821012345"),
    # abroad
    ("+357 99 123456", "+35799123456"),
    ("00357 22 123456", "+35722123456"),
    ("0044 20 7946 0958", "+442079460958"),
])
def test_numbers_in_the_forms_people_type_become_e164(typed: str, e164: str) -> None:
    assert phones.normalise(typed) == e164


@pytest.mark.parametrize("junk", [
    "", "   ", None, "abc", "12345", "1234567890", "6912", "69123456789012",
    "τηλέφωνο δεν έχω τώρα", "πάρτε με στο 6912345678", "6912345678 ή 2821012345", "+30 69x 1234567",
    "6912345678" * 5, "+", "++306912345678",
])
def test_junk_is_rejected(junk: str | None) -> None:
    assert phones.normalise(junk) is None


@pytest.mark.parametrize(("e164", "shown"), [
    ("+306912345678", "691 234 5678"),
    ("+302821012345", "2821 012345"),  # libphonenumber groups by the 4-digit area code
    ("+35799123456", "+357 99 123456"),
    ("", ""),
    (None, ""),
])
def test_display_is_national_for_greek_numbers_and_international_for_others(e164: str | None, shown: str) -> None:
    assert phones.display(e164) == shown


def test_display_round_trips_through_normalise() -> None:
    for e164 in ("+306912345678", "+302821012345", "+35799123456"):
        assert phones.normalise(phones.display(e164)) == e164
