"""The one text normaliser (nlu/chania_text.py), shared by training, Rasa parse time and the bot's name matching."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from nlu.chania_text import normalize, to_latin

NLU = Path(__file__).resolve().parent.parent / "nlu"


@pytest.mark.parametrize(("raw", "expected"), [
    ("Δεν ανάβει η λάμπα", "δεν αναβει η λαμπα"),
    ("ΔΕΝ ΑΝΑΒΕΙ Η ΛΑΜΠΑ", "δεν αναβει η λαμπα"),
    ("ΟΔΟΣ Χάληδων", "οδοσ χαληδων"),                      # final sigma and upper-case sigma meet
    ("Καραϊσκάκη, Πλαΐνό, ΐ ΰ", "καραισκακη, πλαινο, ι υ"),  # dialytika, with and without tonos
    ("  πολλά   κενά\tκαι\nγραμμές ", "πολλα κενα και γραμμεσ"),
    ("Straße CAFÉ", "strasse cafe"),                          # casefold, not lower
    ("", ""),
])
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert normalize(expected) == expected


@pytest.mark.parametrize("spellings", [
    ["Καλημέρα", "καλημερα", "ΚΑΛΗΜΕΡΑ", "kalhmera", "kalimera"],
    ["δεν μάζεψαν τα σκουπίδια", "ΔΕΝ ΜΑΖΕΨΑΝ ΤΑ ΣΚΟΥΠΙΔΙΑ", "den mazepsan ta skoupidia", "den mazepsan ta skupidia"],
    ["ξεχείλισε ο κάδος", "ksexeilise o kados", "3exeilise o kados", "ksexilise o kados"],
    ["λακούβα στο δρόμο", "lakouva sto dromo", "lakkouva sto drwmo"],
    ["Μπάλος", "Mpalos", "Balos", "ΜΠΑΛΟΣ"],
    ["Χαλέπα", "Halepa", "Chalepa", "Xalepa", "χαλεπα"],
    ["θάλασσα", "thalassa", "8alassa", "thalasa"],
    ["ευχαριστώ", "eyxaristw", "euxaristo", "efharisto", "efxaristo"],
    ["αυτό", "afto", "auto"],
    ["είναι", "einai", "ine", "EINAI"],
    ["στην οδό Κυδωνίας", "sthn odo Kydwnias", "stin odo kidonias"],
    ["φαράγγι Σαμαριάς", "faraggi samarias", "farangi samarias"],
])
def test_to_latin_greek_and_greeklish_meet(spellings: list[str]) -> None:
    forms = {to_latin(s) for s in spellings}
    assert len(forms) == 1, forms


def test_to_latin_keeps_numbers_and_references() -> None:
    assert to_latin("Αποκορώνου 12") == "apokoronou 12"
    assert to_latin("CHA-2026-000138").endswith("-2026-000138")  # digits 8 and 3 stay digits
    assert to_latin("8 μέρες, 3 κάδοι") == "8 meres, 3 kadi"


def _corpus() -> list[str]:
    texts: list[str] = []
    for path in sorted((NLU / "data").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" in item:
                texts += [line[2:] for line in item["examples"].splitlines() if line.startswith("- ")]
    with (NLU / "tests" / "heldout.tsv").open(encoding="utf-8") as handle:
        texts += [row["text"] for row in csv.DictReader(handle, dialect="excel-tab")]
    return texts


def test_to_latin_is_idempotent_on_the_whole_corpus() -> None:
    corpus = _corpus()
    assert len(corpus) > 2000
    for text in corpus:
        once = to_latin(text)
        assert to_latin(once) == once, text
        assert normalize(normalize(text)) == normalize(text)


def test_the_rasa_pipeline_starts_with_the_component_that_uses_this_normaliser() -> None:
    config = yaml.safe_load((NLU / "config.yml").read_text(encoding="utf-8"))
    first = config["pipeline"][0]
    assert first["name"] == "nlu.components.normalizer.ChaniaNormalizer"
    assert first.get("form", "latin") in {"latin", "plain"}
    source = (NLU / "components" / "normalizer.py").read_text(encoding="utf-8")
    assert "from nlu.chania_text import normalize, to_latin" in source
    gazetteer = (NLU / "components" / "gazetteer.py").read_text(encoding="utf-8")
    assert "from nlu.chania_text import to_latin" in gazetteer
