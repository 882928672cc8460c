"""Gated retraining with real Rasa servers: a candidate that scores worse is not promoted; promotion from the
dashboard swaps the model in the running server (the next parse shows it, no restart, no failed parse while it
loads) and rollback is one click."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from bot.rasa import promotion
from bot.rasa.client import NluClient
from bot.rasa.server import NLU_DIR, RasaServer, run_rasa_train
from tests.fixtures.dashboard import Dashboard

pytestmark = pytest.mark.rasa

PROBE = "Μεγάλη λακκούβα στην Αποκορώνου, κόντεψα να πέσω με το μηχανάκι"


@pytest_asyncio.fixture(scope="module")
async def worse_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained without the complaint and tourism data: it cannot know a pothole."""
    work = tmp_path_factory.mktemp("worse")
    data = work / "data"
    data.mkdir()
    for name in ("conversation.yml", "entities.yml"):
        shutil.copy(NLU_DIR / "data" / name, data / name)
    return await asyncio.to_thread(run_rasa_train, NLU_DIR / "config.yml", work, "nlu-worse", data)


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The registry, reports and promoted models in a temporary folder."""
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setattr(promotion, "MODELS_DIR", models)
    monkeypatch.setattr(promotion, "REGISTRY", models / "registry.json")
    monkeypatch.setattr(promotion, "REPORTS_DIR", models / "reports")
    monkeypatch.setattr(promotion, "CANDIDATES_DIR", models / "candidates")
    return models


def small_split(tmp_path: Path) -> Path:
    """Every fourth row of the held-out test split (86 rows, all five scripts)."""
    lines = (NLU_DIR / "tests" / "heldout.tsv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "eval.tsv"
    path.write_text("\n".join([lines[0], *lines[1::4]]) + "\n", encoding="utf-8")
    return path


async def test_a_worse_candidate_is_not_promoted(rasa_server: RasaServer, worse_model: Path, registry: Path,
                                                 tmp_path: Path) -> None:
    files = [small_split(tmp_path)]
    report = await promotion.gate(rasa_server.model, worse_model, tolerance=0.0, files=files)
    assert report["promote"] is False
    assert set(report["failed_scripts"]) == {"accented", "unaccented", "upper", "greeklish", "english"}
    assert report["per_script"]["english"]["candidate"] < report["per_script"]["english"]["current"]
    assert any(c["true"] == "complaint_roads" and c["candidate"] > c["current"] for c in report["confusions_changed"])
    promotion.save_report(report)
    assert promotion.read_registry()["current"] is None  # nothing switched

    # the same model against itself drops nowhere: it passes
    same = await promotion.gate(rasa_server.model, rasa_server.model, tolerance=0.0, files=files)
    assert same["promote"] is True and same["failed_scripts"] == []


@pytest_asyncio.fixture
async def own_server(rasa_server: RasaServer) -> AsyncIterator[RasaServer]:
    """A Rasa server of this test's own (the session's one must keep its model)."""
    async with RasaServer(rasa_server.model) as server:
        yield server


async def test_promotion_in_the_dashboard_swaps_the_model_without_a_failed_parse_and_rollback_is_one_click(
        dashboard: Dashboard, own_server: RasaServer, worse_model: Path, registry: Path) -> None:
    d = dashboard
    async with aiohttp.ClientSession() as http:
        client = NluClient(own_server.url, own_server.token, timeout_s=d.services.settings.nlu_timeout_s,
                           session=http)
        d.services.extras["nlu"] = client
        before = await client.parse(PROBE)
        assert before.intent == "complaint_roads"

        # a passed report for the candidate, as `train --candidate` would have left it
        candidate = registry / "candidates" / "nlu-worse.tar.gz"
        candidate.parent.mkdir()
        shutil.copy(worse_model, candidate)
        promotion.save_report({"candidate_model": candidate.name, "current_model": own_server.model.name,
                               "promote": True, "failed_scripts": [], "created_at": "2026-12-01T15:00:00Z",
                               "overall": {"current": 0.9, "candidate": 0.91, "n": 1}, "per_script": {},
                               "per_file": {}, "per_intent": {}, "confusions_changed": []})
        promotion.write_registry({"current": own_server.model.name, "previous": None, "history": []})
        shutil.copy(own_server.model, registry / own_server.model.name)

        admin = await d.login("root", role="admin")
        status, page, _ = await admin.get("/staff/nlu/models")
        assert status == 200 and 'data-model="nlu-worse.tar.gz"' in page and 'class="promote"' in page

        results = []
        stop = asyncio.Event()

        async def keep_parsing() -> None:
            while not stop.is_set():
                results.append(await client.parse(PROBE))

        parser = asyncio.create_task(keep_parsing())
        await asyncio.sleep(0.3)
        status, _, resp = await admin.post("/staff/nlu/models/promote", {"model": candidate.name})
        stop.set()
        await parser
        assert status == 303 and "done=nlu_promoted" in resp.headers["Location"]
        assert len(results) >= 3 and all(r.ok for r in results), [r for r in results if not r.ok]

        after = await client.parse(PROBE)  # the next parse, same server process, no restart
        assert after.ok and after.intent != "complaint_roads"
        assert (await client.status())["model"].endswith("nlu-worse.tar.gz")
        reg = promotion.read_registry()
        assert (reg["current"], reg["previous"]) == ("nlu-worse.tar.gz", own_server.model.name)
        audit = await d.store.audit.find_one({"action": "nlu.promote"})
        assert audit is not None and audit["target"] == "nlu-worse.tar.gz"

        status, page, _ = await admin.get("/staff/nlu/models")
        assert 'id="rollback"' in page
        status, _, resp = await admin.post("/staff/nlu/models/rollback")
        assert status == 303 and "done=nlu_rolled_back" in resp.headers["Location"]
        assert (await client.parse(PROBE)).intent == "complaint_roads"
        assert promotion.read_registry()["current"] == own_server.model.name


async def test_a_failed_report_cannot_be_promoted_and_others_may_not_try(dashboard: Dashboard, registry: Path) -> None:
    d = dashboard
    (registry / "candidates").mkdir()
    (registry / "candidates" / "nlu-bad.tar.gz").write_bytes(b"not a model")
    promotion.save_report({"candidate_model": "nlu-bad.tar.gz", "current_model": "nlu-x.tar.gz", "promote": False,
                           "failed_scripts": ["greeklish"], "created_at": "2026-12-01T15:00:00Z",
                           "overall": {"current": 0.9, "candidate": 0.8, "n": 1}, "per_script": {}, "per_file": {},
                           "per_intent": {}, "confusions_changed": []})
    admin = await d.login("root", role="admin")
    status, page, _ = await admin.get("/staff/nlu/models")
    assert status == 200 and 'data-promote="no"' in page and 'class="promote"' not in page
    status, _, resp = await admin.post("/staff/nlu/models/promote", {"model": "nlu-bad.tar.gz"})
    assert status == 303 and "error=nlu_not_promotable" in resp.headers["Location"]
    status, _, resp = await admin.post("/staff/nlu/models/rollback")
    assert status == 303 and "error=nlu_no_previous" in resp.headers["Location"]
    annotator = await d.login("anna", role="annotator")
    assert (await annotator.get("/staff/nlu/models"))[0] == 403
    assert (await annotator.post("/staff/nlu/models/promote", {"model": "nlu-bad.tar.gz"}))[0] == 403
    assert promotion.read_registry()["current"] is None
