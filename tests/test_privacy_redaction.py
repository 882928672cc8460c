"""Redaction of phone numbers, e-mail addresses and ΑΦΜ/ΑΜΚΑ-like numbers in real Greek and English text."""

from __future__ import annotations

import pytest

from bot.privacy.redaction import MASKS, find_personal_data, redact_text, redact_value

PHONE, EMAIL, ID = MASKS["phone"], MASKS["email"], MASKS["id_number"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Δεν μάζεψαν τα σκουπίδια, πάρτε με στο 6912345678 ή στο 28210 12345",
     f"Δεν μάζεψαν τα σκουπίδια, πάρτε με στο {PHONE} ή στο {PHONE}"),
    ("κινητό:694 123 4567, σπίτι +30 2821 0 23456", f"κινητό:{PHONE}, σπίτι {PHONE}"),
    ("τηλ.6971234567 Γιώργος", f"τηλ.{PHONE} Γιώργος"),
    ("call me on +44 20 7946 0958 or 0030 6971234567", f"call me on {PHONE} or {PHONE}"),
    ("ΓΡΑΨΤΕ ΜΟΥ ΣΤΟ maria.papadaki@gmail.com ΠΑΡΑΚΑΛΩ", f"ΓΡΑΨΤΕ ΜΟΥ ΣΤΟ {EMAIL} ΠΑΡΑΚΑΛΩ"),
    ("email: g.k+dimos@chania.gov.gr.", f"email: {EMAIL}."),
    ("ΑΦΜ 123456789 και ΑΜΚΑ 01018012345", f"ΑΦΜ {ID} και ΑΜΚΑ {ID}"),
    ("o afm mou einai 123 456 789", f"o afm mou einai {ID}"),
    ("ΑΜΚΑ: 010180-12345", f"ΑΜΚΑ: {ID}"),
])
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "Καμένη λάμπα στην οδό Χάληδων 45, 73131 Χανιά",
    "Η αναφορά μου CHA-2026-000123 τι έγινε;",
    "ti egine me to cha 2026 123456",
    "Λακκούβα από τις 10/11/2026 στις 08:30, 3 μέτρα πλάτος",
    "Το λεωφορείο 21 για Γαλατά κάθε 15 λεπτά, εισιτήριο 1,70 €",
    "η πινακίδα λέει 1234567890 κάτι",  # 10 digits that are no Greek phone number: neither ΑΦΜ nor ΑΜΚΑ
    "",
])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text
    assert find_personal_data(text) == []


def test_findings_say_what_and_where() -> None:
    text = "Μαρία, 6912345678, maria@example.gr, ΑΦΜ 987654321"
    kinds = [(f.kind, text[f.start:f.end]) for f in find_personal_data(text)]
    assert kinds == [("phone", "6912345678"), ("email", "maria@example.gr"), ("id_number", "987654321")]


def test_digits_inside_an_email_are_not_a_second_finding() -> None:
    text = "6912345678@example.com"
    assert [f.kind for f in find_personal_data(text)] == ["email"]
    assert redact_text(text) == EMAIL


def test_redact_value_walks_nested_documents_and_keeps_other_types() -> None:
    doc = {"description": "πάρτε 6912345678", "notes": [{"text": "a@b.gr"}], "n": 3, "when": None}
    assert redact_value(doc) == {"description": f"πάρτε {PHONE}", "notes": [{"text": EMAIL}], "n": 3, "when": None}
    assert doc["description"] == "πάρτε 6912345678"  # a copy: the original is unchanged


NAME = MASKS["name"]


@pytest.mark.parametrize(("text", "redacted"), [
    ("Με λένε Μαρία Σηφάκη και η λάμπα δεν ανάβει", f"Με λένε {NAME} και η λάμπα δεν ανάβει"),
    ("λεγομαι γιωργος, οι καδοι ξεχειλιζουν", f"λεγομαι {NAME}, οι καδοι ξεχειλιζουν"),
    ("ΟΝΟΜΑΖΟΜΑΙ ΝΙΚΟΣ ΠΑΠΑΔΑΚΗΣ. ΛΑΚΚΟΥΒΑ", f"ΟΝΟΜΑΖΟΜΑΙ {NAME}. ΛΑΚΚΟΥΒΑ"),
    ("Το όνομά μου είναι Ελένη: η κολόνα έπεσε", f"Το όνομά μου είναι {NAME}: η κολόνα έπεσε"),
    ("me lene Kostas kai den anavei to fos", f"me lene {NAME} kai den anavei to fos"),
    ("My name is John Smith and the bin is full", f"My name is {NAME} and the bin is full"),
    ("my name's Anna, pothole at the harbour", f"my name's {NAME}, pothole at the harbour"),
    ("my name is not important, the light is out", "my name is not important, the light is out"),
    ("The street name is Kydonias", "The street name is Kydonias"),
    ("Σβηστή λάμπα, με λένε στο 6912345678", f"Σβηστή λάμπα, με λένε στο {PHONE}"),  # "they call me on"
])
def test_a_name_after_a_self_introduction_is_masked(text: str, redacted: str) -> None:
    assert redact_text(text) == redacted


def test_known_names_are_masked_in_any_case_accent_script_or_greek_ending() -> None:
    text = "Ο Γιώργος είπε ότι ο ΓΙΩΡΓΟΣ και ο κ. Παπαδάκη (giorgos papadakis) ξέρουν. Η Γεωργία όχι."
    out = redact_text(text, ["Γιώργος Παπαδάκης"])
    assert out == f"Ο {NAME} είπε ότι ο {NAME} και ο κ. {NAME} ({NAME} {NAME}) ξέρουν. Η Γεωργία όχι."
    assert redact_text("Ελένη Κ.: η Ελένης η λάμπα", ["Ελένη Κ."]) == f"{NAME} Κ.: η {NAME} η λάμπα"  # no initials
    assert redact_text("Σβηστή λάμπα στην Τσουδερών", ["Μαρία"]) == "Σβηστή λάμπα στην Τσουδερών"
