"""data/categories.yaml and its loader bot/tickets/categories.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.tickets.categories import CATEGORIES_PATH, categories, load_categories

ROOT = Path(__file__).resolve().parent.parent
DESIGN_COMPLAINT_INTENTS = {  # design.md section 3
    "complaint_lighting", "complaint_waste", "complaint_roads", "complaint_water", "complaint_greenery",
    "complaint_animals", "complaint_noise", "complaint_parking", "complaint_other",
}


def test_every_complaint_intent_of_the_design_has_a_category() -> None:
    cats = categories()
    assert cats.intents == DESIGN_COMPLAINT_INTENTS
    for cat in cats:
        assert cat.name("el") and cat.name("en") and cat.name("el") != cat.name("en")
        assert cat.description("el") and cat.description("en")
        dept = cats.department(cat.department)
        assert dept is not None and dept.name("el") and dept.name("en")
        assert cats.by_service_code(cat.service_code) is cat


def test_greek_names_are_greek() -> None:
    for cat in categories():
        assert any("\u0370" <= ch <= "\u03ff" for ch in cat.name("el")), cat.intent


def test_a_new_category_is_a_data_change(tmp_path: Path) -> None:
    raw = yaml.safe_load(CATEGORIES_PATH.read_text(encoding="utf-8"))
    raw["departments"]["beaches"] = {"el": "Τμήμα Ακτών", "en": "Beaches Office"}
    raw["categories"]["complaint_beach"] = {
        "name": {"el": "Παραλίες", "en": "Beaches"}, "department": "beaches", "service_code": "CHA-BEACH",
        "description": {"el": "Καθαριότητα ακτών", "en": "Beach cleaning"},
    }
    path = tmp_path / "categories.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    cats = load_categories(path)
    assert "complaint_beach" in cats
    assert cats["complaint_beach"].name("el") == "Παραλίες"
    assert cats.department("beaches").name("en") == "Beaches Office"  # type: ignore[union-attr]
    assert len(cats) == len(categories()) + 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["categories"]["complaint_noise"].update(department="nowhere"), "unknown department"),
        (lambda raw: raw["categories"]["complaint_noise"].update(service_code="CHA-LIGHT"), "already used"),
        (lambda raw: raw["categories"]["complaint_noise"]["name"].pop("en"), "en"),
        (lambda raw: raw["categories"].update(noise=raw["categories"].pop("complaint_noise")), "complaint_"),
        # Open311 service attributes
        (lambda raw: raw["categories"]["complaint_waste"]["attributes"][0].pop("values"), "values are given"),
        (lambda raw: raw["categories"]["complaint_lighting"]["attributes"][0].update(
            values=[{"key": "a", "name": {"el": "α", "en": "a"}}]), "values are given"),
        (lambda raw: raw["categories"]["complaint_waste"]["attributes"][0]["values"].append(
            {"key": "bulky", "name": {"el": "ξανά", "en": "again"}}), "repeated value key"),
        (lambda raw: raw["categories"]["complaint_waste"]["attributes"].append(
            raw["categories"]["complaint_waste"]["attributes"][0]), "repeated attribute code"),
        (lambda raw: raw["categories"]["complaint_animals"]["attributes"][0].update(datatype="colour"),
         "datatype"),
        (lambda raw: raw["categories"]["complaint_animals"]["attributes"][0]["description"].pop("el"), "el"),
    ],
)
def test_a_broken_file_is_refused_with_the_reason(tmp_path: Path, change, message: str) -> None:
    raw = yaml.safe_load(CATEGORIES_PATH.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "categories.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_categories(path)


def test_every_category_has_training_examples() -> None:
    """A category without NLU examples could never be reached (skipped until the NLU data exists)."""
    files = sorted((ROOT / "nlu" / "data").glob("**/*.yml")) if (ROOT / "nlu" / "data").is_dir() else []
    trained: set[str] = set()
    for f in files:
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        trained |= {item["intent"] for item in doc.get("nlu") or () if "intent" in item}
    if not trained:
        pytest.skip("no NLU training data in nlu/data yet")
    assert categories().intents <= trained
