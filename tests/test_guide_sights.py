"""The guide's sights in MongoDB (bot/guide/sights.py): seeded from data/pois.yaml, exported back, and edits in the
database are in the bot's next answer without a restart (the real app over HTTP, Telegram webhook)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from bot.guide import sights
from bot.guide.catalogue import POIS_FILE, Bilingual, PoiFile
from bot.store import Store, open_store
from tests.fixtures.service import Service, free_port

SEED = sights.read_file(POIS_FILE)


@pytest.fixture
async def store() -> Store:
    return await open_store(None, f"guide_{uuid.uuid4().hex[:8]}")


async def test_the_seed_is_imported_once_and_exports_back_to_the_same_catalogue(store: Store) -> None:
    assert await sights.seed_if_empty(store) is True
    assert await store.sights.count_documents({}) == len(SEED.pois)
    first = await sights.catalogue_version(store)
    assert await sights.seed_if_empty(store) is False  # later starts: MongoDB is the source
    assert await sights.catalogue_version(store) == first
    exported = PoiFile.model_validate(yaml.safe_load(await sights.export_yaml(store)))
    assert exported == SEED  # same sights, same order, same fields


async def test_a_bad_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    await sights.seed_if_empty(store)
    before = await sights.catalogue_version(store)
    bad = yaml.safe_load(POIS_FILE.read_text(encoding="utf-8"))
    bad["pois"][0]["lat"] = 40.0  # outside the regional unit
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError):
        await sights.import_file(store, path)
    assert await sights.catalogue_version(store) == before
    assert (await store.sights.find_one({"_id": bad["pois"][0]["id"]}))["lat"] != 40.0


async def test_import_replaces_and_drops_sights_no_longer_in_the_file(store: Store, tmp_path: Path) -> None:
    await sights.seed_if_empty(store)
    data = yaml.safe_load(POIS_FILE.read_text(encoding="utf-8"))
    data["pois"] = [p for p in data["pois"] if p["id"] != "gavdos"]
    path = tmp_path / "smaller.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert await sights.import_file(store, path) == len(SEED.pois) - 1
    assert await store.sights.find_one({"_id": "gavdos"}) is None


def _with(poi_id: str, **changes: Any) -> Any:
    poi = next(p for p in SEED.pois if p.id == poi_id)
    return poi.model_copy(update=changes)


async def test_an_edit_is_in_the_bots_next_answer_without_a_restart(make_service: Any) -> None:
    service: Service = await make_service(nlu_url=f"http://127.0.0.1:{free_port()}", nlu_token="unused")
    user = 8101

    async def press(payload: str) -> str:
        before = len(service.fake_telegram.sent(user, "sendMessage"))
        assert (await service.telegram(service.tg.callback(user, payload, language_code="en"))).status == 200
        await service.idle()
        calls = await service.fake_telegram.wait_for(user, count=before + 1, method="sendMessage")
        return "\n".join(c.body["text"] for c in calls[before:])

    assert _with("balos").description.en in await press("tour:info:balos")  # the seed's text first
    new = Bilingual(el="Νέα περιγραφή από το γραφείο τουρισμού.", en="A new description from the tourism office.")
    await sights.save_poi(service.store, _with("balos", description=new), by="maria")
    assert "A new description from the tourism office." in await press("tour:info:balos")

    await sights.save_poi(service.store, _with("old_harbour", hidden=True), by="maria")
    listing = await press("tour:more:culture:0")
    assert "Venetian Harbour" not in listing and "Chania Old Town" in listing
    doc = await service.store.sights.find_one({"_id": "old_harbour"})
    assert doc is not None and doc["hidden"] is True and doc["updated_by"] == "maria"  # hidden, not deleted
