"""``python bot.py nlu-eval FILE.tsv [--by COLUMN]``: input errors, the metrics, and a real run against Rasa."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.rasa.evaluation import cli_main, read_rows, scores
from bot.rasa.server import ROOT, RasaServer

HEADER = "text\tintent\tlang\n"


def write(tmp_path: Path, content: str, name: str = "eval.tsv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return str(path)


@pytest.mark.parametrize(("content", "by", "message"), [
    (None, None, "no such file"),
    ("sentence\tlabel\nγεια\tgreet\n", None, "missing column(s) text, intent"),
    ("text,intent\nγεια,greet\n", None, "missing column(s) text, intent"),  # comma-separated, not TSV
    (HEADER + "γεια\tgreet\tel\n", "script", "missing column(s) script"),
    (HEADER + "γεια\tgreet\tel\nκαλησπέρα\tgreeting\tel\nhello\tsalute\ten\n", None,
     "unknown intent name(s) 'greeting' (line 3), 'salute' (line 4)"),
    (HEADER + "γεια\tgreet\tel\n\tgoodbye\tel\n", None, "line 3: empty 'text' or 'intent'"),
    (HEADER, None, "no labelled rows"),
    ("", None, "missing column(s)"),
])
def test_bad_files_exit_2_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               content: str | None, by: str | None, message: str) -> None:
    path = str(tmp_path / "missing.tsv") if content is None else write(tmp_path, content)
    assert cli_main(path, by) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert message in out.err
    assert out.err.startswith("nlu-eval: ")


def test_not_utf8_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, HEADER + "καλημέρα\tgreet\tel\n", encoding="iso-8859-7")
    assert cli_main(path, None) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_rows_extra_columns_bom_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufefftext\tintent\tnote\n" "Γεια σας\tgreet\tx\n" "\n" "bye\tgoodbye\t\n")
    rows = read_rows(path, "note")
    assert [(r.text, r.intent, r.columns["note"]) for r in rows] == [("Γεια σας", "greet", "x"),
                                                                      ("bye", "goodbye", "")]


def test_scores_by_hand() -> None:
    truth = ["greet", "greet", "greet", "thanks", "thanks", "deny"]
    pred = ["greet", "greet", "thanks", "thanks", "greet", None]
    s = scores(truth, pred)
    assert s["n"] == 6
    assert s["accuracy"] == round(3 / 6, 4)
    # greet: P 2/3 R 2/3; thanks: P 1/2 R 1/2; deny: never predicted -> 0
    assert s["per_intent"]["greet"] == {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667, "support": 3}
    assert s["per_intent"]["thanks"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert s["per_intent"]["deny"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert s["macro_f1"] == round((0.6667 + 0.5 + 0.0) / 3, 4)
    assert s["confusions"] == [{"true": "deny", "predicted": "(none)", "count": 1},
                               {"true": "greet", "predicted": "thanks", "count": 1},
                               {"true": "thanks", "predicted": "greet", "count": 1}]


SMALL = HEADER + "".join(f"{t}\t{i}\t{lang}\n" for t, i, lang in [
    ("Δεν ανάβει η λάμπα του δρόμου", "complaint_lighting", "el"),
    ("ΔΕΝ ΜΑΖΕΨΑΝ ΤΑ ΣΚΟΥΠΙΔΙΑ", "complaint_waste", "el"),
    ("lakouva sto dromo", "complaint_roads", "el"),
    ("ευχαριστώ πολύ", "thanks", "el"),
    ("The street light is broken", "complaint_lighting", "en"),
    ("Where can I swim today?", "tourist_beaches", "en"),
    ("thank you", "thanks", "en"),
])


@pytest.mark.rasa
@pytest.mark.asyncio(loop_scope="session")
async def test_nlu_eval_command_against_the_running_server(tmp_path: Path, rasa_server: RasaServer) -> None:
    """``bot.py nlu-eval`` as a user runs it, with RASA_URL/RASA_TOKEN pointing at the real server."""
    path = write(tmp_path, SMALL)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RASA_", "NLU_"))}
    env |= {"RASA_URL": rasa_server.url, "RASA_TOKEN": rasa_server.token}
    proc = await asyncio.to_thread(subprocess.run, [sys.executable, "bot.py", "nlu-eval", path, "--by", "lang"],
                                   cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["n"] == 7
    assert result["accuracy"] == 1.0, result["confusions"]
    assert result["macro_f1"] == 1.0
    assert set(result["per_intent"]) == {"complaint_lighting", "complaint_waste", "complaint_roads", "thanks",
                                         "tourist_beaches"}
    assert result["per_intent"]["thanks"]["support"] == 2
    assert result["confusions"] == []
    assert {g: v["n"] for g, v in result["groups"].items()} == {"el": 4, "en": 3}
    assert result["latency_ms"]["p50"] <= result["latency_ms"]["p95"] <= result["latency_ms"]["max"]
    assert 0 <= result["low_confidence"]["share"] <= 1


@pytest.mark.rasa
@pytest.mark.asyncio(loop_scope="session")
async def test_nlu_eval_counts_mistakes(rasa_server: RasaServer, tmp_path: Path) -> None:
    """Deliberately wrong labels show up as confusions, per group."""
    from bot.rasa.evaluation import evaluate

    path = write(tmp_path, HEADER + "Δεν ανάβει η λάμπα του δρόμου\tcomplaint_water\tel\n"
                 "ευχαριστώ πολύ\tthanks\tel\nthank you\tgreet\ten\n")
    result = await evaluate(path, "lang", url=rasa_server.url, token=rasa_server.token)
    assert result["n"] == 3
    assert result["accuracy"] == round(1 / 3, 4)
    assert {"true": "complaint_water", "predicted": "complaint_lighting", "count": 1} in result["confusions"]
    assert {"true": "greet", "predicted": "thanks", "count": 1} in result["confusions"]
    assert result["groups"]["el"]["accuracy"] == 0.5 and result["groups"]["en"]["accuracy"] == 0.0
