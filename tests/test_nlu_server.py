"""The trained model behind the real Rasa server (``rasa run --enable-api``), over HTTP as the bot uses it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.rasa.server import RasaServer, model_path, new_rasa_token

pytestmark = [pytest.mark.rasa, pytest.mark.asyncio(loop_scope="session")]

# A handful of plain messages per language and script; each must get its intent.
MESSAGES = [
    # Greek, accented
    ("Δεν ανάβει η λάμπα στην οδό Χάληδων", "complaint_lighting"),
    ("Ξεχείλισε ο κάδος στη γωνία και βρωμάει", "complaint_waste"),
    ("Μεγάλη λακούβα στη μέση του δρόμου", "complaint_roads"),
    ("Πού είναι ο σταθμός των ΚΤΕΛ;", "tourist_transport"),
    ("Ευχαριστώ πολύ!", "thanks"),
    # Greek, unaccented and upper-case
    ("δεν εχουμε νερο απο το πρωι", "complaint_water"),
    ("αδεσποτα σκυλια στη γειτονια", "complaint_animals"),
    ("ΔΥΝΑΤΗ ΜΟΥΣΙΚΗ ΑΠΟ ΤΟ ΜΠΑΡ ΟΛΗ ΝΥΧΤΑ", "complaint_noise"),
    ("ΠΑΡΚΑΡΙΣΜΕΝΟ ΑΥΤΟΚΙΝΗΤΟ ΣΤΗ ΡΑΜΠΑ", "complaint_parking"),
    # Greeklish
    ("den mazepsan ta skoupidia", "complaint_waste"),
    ("lakouva sto dromo", "complaint_roads"),
    ("poia einai h kalyterh paralia?", "tourist_beaches"),
    ("kalhmera", "greet"),
    # English
    ("The street light outside my house is broken", "complaint_lighting"),
    ("A tree fell on the road", "complaint_greenery"),
    ("Which museums can I visit in Chania?", "tourist_culture"),
    ("How do I get to the airport?", "tourist_transport"),
    ("What's the status of my complaint?", "check_status"),
    ("What can you do?", "help"),
    ("Who won the football match last night?", "out_of_scope"),
]


@pytest_asyncio.fixture(loop_scope="session")
async def parse(rasa_server: RasaServer) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession() as session:
        async def _parse(text: str) -> dict[str, Any]:
            async with session.post(f"{rasa_server.url}/model/parse", params={"token": rasa_server.token},
                                    json={"text": text}) as resp:
                assert resp.status == 200
                return await resp.json()

        yield _parse


async def test_server_runs_the_up_to_date_model_and_needs_the_token(rasa_server: RasaServer) -> None:
    assert rasa_server.url.startswith("http://127.0.0.1:")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{rasa_server.url}/status", params={"token": rasa_server.token}) as resp:
            status = await resp.json()
        assert status["model_file"].endswith(model_path().name)
        async with session.post(f"{rasa_server.url}/model/parse", json={"text": "γεια"}) as resp:
            assert resp.status == 401
        async with session.post(f"{rasa_server.url}/model/parse", params={"token": "wrong"},
                                json={"text": "γεια"}) as resp:
            assert resp.status == 401


@pytest.mark.parametrize(("text", "intent"), MESSAGES)
async def test_intents(parse: Any, text: str, intent: str) -> None:
    result = await parse(text)
    assert result["intent"]["name"] == intent, result["intent_ranking"][:3]
    assert result["text"] == text  # the normaliser works on tokens; the answer keeps the person's text


async def test_accents_case_and_greeklish_give_the_same_answer(parse: Any) -> None:
    spellings = ["Δεν μάζεψαν τα σκουπίδια στη Σπλάντζια", "δεν μαζεψαν τα σκουπιδια στη σπλαντζια",
                 "ΔΕΝ ΜΑΖΕΨΑΝ ΤΑ ΣΚΟΥΠΙΔΙΑ ΣΤΗ ΣΠΛΑΝΤΖΙΑ", "den mazepsan ta skoupidia sth Splantzia"]
    results = [await parse(s) for s in spellings]
    assert {r["intent"]["name"] for r in results} == {"complaint_waste"}
    accented, unaccented, upper, greeklish = (r["intent"]["confidence"] for r in results)
    # the to_latin view is identical for all four; the raw-text view only casefolds, so upper-case and lower-case
    # are the same message, while accents and script move the confidence a little, never below "sure"
    assert abs(upper - unaccented) < 1e-6
    assert min(accented, unaccented, greeklish) > 0.9


def _entities(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [e for e in result["entities"] if e["entity"] == name]


@pytest.mark.parametrize(("text", "entity", "value", "span"), [
    ("ΚΑΜΕΝΗ ΛΑΜΠΑ ΣΤΗΝ ΟΔΟ ΧΑΛΗΔΩΝ", "location", "Χάληδων", "ΧΑΛΗΔΩΝ"),
    ("lakouva sthn Kydwnias mprosta sto fourno", "location", "Κυδωνίας", "Kydwnias"),
    ("Rubbish everywhere in Koum Kapi", "location", "Κουμ Καπί", "Koum Kapi"),
    ("ston mpalo pws pame?", "sight", "Balos", "mpalo"),
    ("Τι ώρα ανοίγει το Ναυτικό Μουσείο;", "sight", "Maritime Museum", "Ναυτικό Μουσείο"),
    ("Is the Samaria gorge open in April?", "sight", "Samaria Gorge", "Samaria gorge"),
    ("τι έγινε με το CHA-2026-000123;", "ticket_id", "CHA-2026-000123", "CHA-2026-000123"),
    ("status of cha-2026-004518 please", "ticket_id", "cha-2026-004518", "cha-2026-004518"),
])
async def test_entities(parse: Any, text: str, entity: str, value: str, span: str) -> None:
    found = _entities(await parse(text), entity)
    assert len(found) == 1, found
    assert found[0]["value"] == value
    assert text[found[0]["start"]:found[0]["end"]] == span


async def test_common_words_are_not_places(parse: Any) -> None:
    """The gazetteer's stemming is narrow: a basket is not the beach Kalathas, far is not the lighthouse."""
    for text in ["το καλάθι των αχρήστων είναι γεμάτο", "how far is the bus station", "τα πλατάνια στην πλατεία"]:
        result = await parse(text)
        assert _entities(result, "sight") == [] and _entities(result, "location") == [], result["entities"]


async def test_a_token_beginning_with_a_dash_starts_the_server(rasa_server: RasaServer) -> None:
    """Issue 9: ``--auth-token -x…`` was read as an option and the server did not start (one run in 64)."""
    token = "-" + new_rasa_token()
    async with RasaServer(rasa_server.model, token=token) as server:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{server.url}/model/parse", params={"token": token},
                                    json={"text": "γεια"}) as resp:
                assert resp.status == 200
            async with session.post(f"{server.url}/model/parse", params={"token": token[1:]},
                                    json={"text": "γεια"}) as resp:
                assert resp.status == 401


async def test_the_token_is_not_on_the_command_line(rasa_server: RasaServer) -> None:
    """QA F23: `ps` shows every user the command lines; the token goes through the environment instead."""
    assert rasa_server._proc is not None
    pid = rasa_server._proc.pid
    cmdline = (await asyncio.to_thread(Path(f"/proc/{pid}/cmdline").read_bytes)).decode(errors="replace")
    assert "launch.py" in cmdline and "--enable-api" in cmdline
    assert rasa_server.token not in cmdline
    async with aiohttp.ClientSession() as session:  # and the server does check it
        async with session.post(f"{rasa_server.url}/model/parse", json={"text": "γεια"}) as resp:
            assert resp.status == 401


async def test_generated_tokens_never_begin_with_a_dash() -> None:
    assert not any(new_rasa_token().startswith("-") for _ in range(2000))
