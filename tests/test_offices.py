"""The office directory (``data/offices.yaml``, ``bot/offices/directory.py``): the file validates, every name and
service word finds its own office in any script, and bad entries are refused with the field's name."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from bot.offices.directory import OFFICES_FILE, Directory
from bot.tickets.categories import categories
from nlu.chania_text import to_latin

DIRECTORY = Directory.load()


def test_the_file_validates_and_every_office_is_listed_once() -> None:
    ids = [o.id for o in DIRECTORY.offices]
    assert len(ids) == len(set(ids)) >= 5
    assert {"town_hall", "kep", "citizen_office", "municipal_police", "deyach"} <= set(ids)


def test_every_unconfirmed_entry_says_so() -> None:
    """Until the municipality confirms an office, its entry and its hours stay unverified (README, go-live)."""
    for office in DIRECTORY.offices:
        if not office.verified:
            assert office.opening is None or not office.opening.verified, office.id


def test_every_name_and_alias_finds_its_own_office() -> None:
    for office in DIRECTORY.offices:
        for name in (office.name.el, office.name.en, *office.aliases):
            found = DIRECTORY.named(f"πού είναι {name};")
            assert found is not None and found.id == office.id, (office.id, name)


@pytest.mark.parametrize("text,office_id", [
    ("ΤΗΛΕΦΩΝΟ ΔΗΜΑΡΧΕΙΟΥ", "town_hall"),
    ("τηλεφωνο δημαρχειου", "town_hall"),
    ("thlefwno dimarxeiou", "town_hall"),
    ("Πού είναι η Δημοτική Αστυνομία;", "municipal_police"),
    ("pou einai h dhmotikh astynomia", "municipal_police"),
    ("kep hours", "kep"),
    ("what is the DEYACH phone number", "deyach"),
])
def test_an_office_is_found_accented_unaccented_upper_greeklish_and_english(text: str, office_id: str) -> None:
    found = DIRECTORY.named(text)
    assert found is not None and found.id == office_id


def test_every_service_word_leads_to_its_office() -> None:
    for office in DIRECTORY.offices:
        for service in office.services:
            for word in service.words:
                found = DIRECTORY.service(f"πού {word};")
                assert found is not None and found.office.id == office.id, (office.id, word)
                assert found.label == service.label


@pytest.mark.parametrize("text", ["τι ώρα ανοίγει το Αρχαιολογικό Μουσείο;", "Πότε κλείνει η Δημοτική Αγορά;",
                                  "Is the Municipal Garden open at night?", "where can I swim?", "καλημέρα"])
def test_other_questions_name_no_office_and_no_service(text: str) -> None:
    assert DIRECTORY.named(text) is None and DIRECTORY.service(text) is None


def test_a_report_category_is_a_complaint_category_of_the_chat() -> None:
    for office in DIRECTORY.offices:
        if office.report_category is not None:
            assert office.report_category in categories().intents, office.id


def _with(change: dict[str, Any]) -> dict[str, Any]:
    data = yaml.safe_load(OFFICES_FILE.read_text(encoding="utf-8"))
    data["offices"][0] = {**data["offices"][0], **change}
    return data


@pytest.mark.parametrize("change,field", [
    ({"lat": 35.5, "lon": None}, "lat"),
    ({"lat": 37.98, "lon": 23.72}, "outside the regional unit"),
    ({"address": {"el": "Κυδωνίας 29", "en": ""}}, "both languages"),
    ({"report_category": "tourist_beaches"}, "complaint intent"),
    ({"id": "Town Hall"}, "id"),
    ({"opening": {"seasons": [{"from": "01-01", "to": "12-31", "days": ["mon"], "open": "15:00",
                               "close": "08:00"}]}}, "closes"),
    ({"phones": "28210"}, "phones"),
    ({"short": {"el": "Δημαρχείο του Δήμου Χανίων στην οδό Κυδωνίας", "en": "Town hall"}}, "32 characters"),
])
def test_bad_entries_are_refused_naming_what_is_wrong(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Directory.from_data(_with(change))


def test_two_offices_with_one_id_are_refused() -> None:
    data = yaml.safe_load(OFFICES_FILE.read_text(encoding="utf-8"))
    data["offices"].append(dict(data["offices"][0]))
    with pytest.raises(ValidationError, match="share an id"):
        Directory.from_data(data)


def test_aliases_are_not_shared_between_offices() -> None:
    seen: dict[str, str] = {}
    for office in DIRECTORY.offices:
        for name in (office.name.el, office.name.en, *office.aliases):
            key = to_latin(name)
            assert seen.setdefault(key, office.id) == office.id, (name, seen[key], office.id)
